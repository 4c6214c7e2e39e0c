package shell

// The saved Lua workflows (scripts/workflows/*.lua) run end to end by the
// nixcsh binary on real containers, in a temporary state root given as
// NIXCSH_ROOT, as a user runs them: `nixcsh FILE.lua ARGS...`. They need root
// and systemd-nspawn (and the host's apache2, curl and perl, which the
// containers run).

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

const workflows = "../scripts/workflows"

// needWorkflowHost skips unless real containers can run the workflows'
// services from the host's /usr.
func needWorkflowHost(t *testing.T) {
	t.Helper()
	needRoot(t)
	for _, p := range []string{"/usr/sbin/apache2", "/usr/bin/curl", "/usr/bin/perl"} {
		if _, err := os.Stat(p); err != nil {
			t.Skipf("needs %s on the host (containers run the host's /usr): %v", p, err)
		}
	}
}

// script runs `nixcsh FILE.lua ARGS...` with NIXCSH_ROOT set to the cli's
// root (and its plugin folder in NIXCSH_PLUGIN_DIR).
func (c *cli) scriptCmd(ctx context.Context, file string, args ...string) *exec.Cmd {
	cmd := exec.CommandContext(ctx, c.bin, append([]string{file}, args...)...)
	cmd.Env = append(append([]string(nil), c.env...), "NIXCSH_ROOT="+c.root, "NIXCSH_PLUGIN_DIR="+c.pluginDir)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
	return cmd
}

func (c *cli) script(file string, args ...string) result {
	c.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	cmd := c.scriptCmd(ctx, file, args...)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	if ctx.Err() != nil {
		c.t.Fatalf("%s %q did not finish in time\nstdout:\n%s\nstderr:\n%s", file, args, out.String(), errb.String())
	}
	code := 0
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		code = ee.ExitCode()
	} else if err != nil {
		c.t.Fatal(err)
	}
	return result{code: code, stdout: out.String(), stderr: errb.String()}
}

// info is `nixcsh info NAME --json`.
func (c *cli) info(name string) map[string]any {
	c.t.Helper()
	r := c.must("info", name, "--json")
	var m map[string]any
	if err := json.Unmarshal([]byte(r.stdout), &m); err != nil {
		c.t.Fatalf("info %s --json: %v\n%s", name, err, r.stdout)
	}
	return m
}

// httpGet fetches url from the host, retrying until it answers 200 or the
// deadline passes.
func httpGet(t *testing.T, url string, limit time.Duration) (string, error) {
	t.Helper()
	client := &http.Client{Timeout: 3 * time.Second}
	deadline := time.Now().Add(limit)
	for {
		resp, err := client.Get(url)
		if err == nil {
			body, rerr := io.ReadAll(resp.Body)
			resp.Body.Close()
			if rerr == nil && resp.StatusCode == http.StatusOK {
				return string(body), nil
			}
			err = fmt.Errorf("%s: %s %v", url, resp.Status, rerr)
		}
		if time.Now().After(deadline) {
			return "", err
		}
		// Nothing to wait on but the server itself: ask again shortly.
		time.Sleep(200 * time.Millisecond)
	}
}

// web-and-db.lua: the backend and the web server, wired by address; the web
// page, fetched from the host at the web container's address, holds the
// backend's records.
func TestIntegrationWorkflowWebAndDB(t *testing.T) {
	needWorkflowHost(t)
	t.Parallel()
	c := newCLI(t, "")
	t.Cleanup(c.destroyAll)
	web, db := uniqueName("web"), uniqueName("db")
	wh, wl := uniqueAddresses(t)
	dh, dl := uniqueAddresses(t)

	r := c.script(filepath.Join(workflows, "web-and-db.lua"), web, db, "--web-address", wh+","+wl, "--db-address", dh+","+dl)
	if r.code != 0 {
		t.Fatalf("web-and-db.lua: %s", r)
	}
	if want := fmt.Sprintf("%s serves http://%s/records.txt with the records of %s (%s:7000):", web, wl, db, dl); !strings.Contains(r.stdout, want) {
		t.Errorf("stdout lacks %q:\n%s", want, r.stdout)
	}
	for name, local := range map[string]string{web: wl, db: dl} {
		if i := c.info(name); i["status"] != "up" || i["localAddress"] != local {
			t.Errorf("%s after the workflow: %v", name, i)
		}
	}
	records := c.must("run", db, "--", "cat", "/etc/records/data").stdout
	page, err := httpGet(t, "http://"+wl+"/records.txt", 30*time.Second)
	if err != nil {
		t.Fatalf("GET from the host: %v", err)
	}
	if !strings.Contains(page, "alice  42  engineering") || page != records {
		t.Errorf("http://%s/records.txt = %q, want the backend's records %q", wl, page, records)
	}

	// --cleanup destroys both at the end.
	web2, db2 := uniqueName("web"), uniqueName("db")
	wh2, wl2 := uniqueAddresses(t)
	dh2, dl2 := uniqueAddresses(t)
	r = c.script(filepath.Join(workflows, "web-and-db.lua"), web2, db2, "--cleanup", "--web-address", wh2+","+wl2, "--db-address", dh2+","+dl2)
	if r.code != 0 || !strings.Contains(r.stdout, "alice") {
		t.Fatalf("web-and-db.lua --cleanup: %s", r)
	}
	if got := strings.Fields(c.must("list").stdout); strings.Join(got, " ") != strings.Join(sortedPair(web, db), " ") {
		t.Errorf("after --cleanup, list = %q, want only the first run's %s and %s", got, db, web)
	}

	// A wrong option is refused before anything is made.
	r = c.script(filepath.Join(workflows, "web-and-db.lua"), "--db-address", "10.234.0.1")
	if r.code == 0 || !strings.Contains(r.stderr, "--db-address takes HOST,LOCAL") {
		t.Errorf("bad --db-address: %s", r)
	}
}

func sortedPair(a, b string) []string {
	if a > b {
		a, b = b, a
	}
	return []string{a, b}
}

const httpdConfig = `services.httpd.enable = true; services.httpd.adminAddr = "a@example.org"; networking.firewall.allowedTCPPorts = [ 80 ];`

// rolling-update.lua on three running containers: all updated to generation
// 2; then a configuration whose web server never listens stops at the first
// container, which is rolled back, and leaves the others untouched.
// fleet-report.lua then shows every container's row.
func TestIntegrationWorkflowRollingUpdateAndFleetReport(t *testing.T) {
	needWorkflowHost(t)
	t.Parallel()
	c := newCLI(t, "")
	t.Cleanup(c.destroyAll)
	var names, locals []string
	for i := 0; i < 3; i++ {
		name := uniqueName(fmt.Sprintf("ru%d", i))
		host, local := uniqueAddresses(t)
		c.must("create", name, "--config", httpdConfig, "--host-address", host, "--local-address", local)
		c.must("start", name)
		names, locals = append(names, name), append(locals, local)
	}
	idle := uniqueName("idle")
	ih, il := uniqueAddresses(t)
	c.must("create", idle, "--host-address", ih, "--local-address", il)

	// Every container updated, one at a time, each answering on port 80.
	good := httpdConfig + ` environment.etc."release".text = "2";`
	r := c.script(filepath.Join(workflows, "rolling-update.lua"), append([]string{"--config", good}, names...)...)
	if r.code != 0 {
		t.Fatalf("rolling-update.lua: %s", r)
	}
	for _, name := range names {
		if !regexp.MustCompile(`(?m)^` + name + ` +generation 2, port 80 answers$`).MatchString(r.stdout) {
			t.Errorf("rolling-update.lua did not report %s updated:\n%s", name, r)
		}
		if i := c.info(name); i["generation"] != 2.0 || i["status"] != "up" {
			t.Errorf("%s after the update: %v", name, i)
		}
		if out := c.must("run", name, "--", "cat", "/etc/release").stdout; out != "2" {
			t.Errorf("%s: /etc/release = %q, want 2", name, out)
		}
	}

	// fleet-report.lua: a row per container, with its status, address,
	// generation and uptime.
	r = c.script(filepath.Join(workflows, "fleet-report.lua"))
	if r.code != 0 {
		t.Fatalf("fleet-report.lua: %s", r)
	}
	lines := strings.Split(strings.TrimRight(r.stdout, "\n"), "\n")
	if len(lines) != 6 || !regexp.MustCompile(`^NAME +STATUS +ADDRESS +GENERATION +UPTIME +AUTOSTART +PORTS$`).MatchString(lines[0]) ||
		lines[5] != "4 containers, 3 up" {
		t.Fatalf("fleet-report.lua:\n%s", r)
	}
	for i, name := range names {
		re := `(?m)^` + name + ` +up +` + regexp.QuoteMeta(locals[i]) + ` +2 +\d+m\d\ds +no +-$`
		if !regexp.MustCompile(re).MatchString(r.stdout) {
			t.Errorf("fleet report has no row matching %s:\n%s", re, r.stdout)
		}
	}
	if re := `(?m)^` + idle + ` +down +` + regexp.QuoteMeta(il) + ` +1 +- +no +-$`; !regexp.MustCompile(re).MatchString(r.stdout) {
		t.Errorf("fleet report has no row matching %s:\n%s", re, r.stdout)
	}

	// A configuration that does not evaluate: the first update fails, changes
	// nothing, and the run stops there.
	r = c.script(filepath.Join(workflows, "rolling-update.lua"), append([]string{"--config", "services.httpd.enable = ;"}, names...)...)
	if r.code != 1 || !regexp.MustCompile(`(?m)^`+names[0]+` +update failed \(unchanged\)$`).MatchString(r.stdout) ||
		!strings.Contains(r.stderr, names[0]+": update failed, left as it was:") {
		t.Errorf("rolling-update.lua with a configuration that does not evaluate: %s", r)
	}
	for _, name := range names {
		if info := c.info(name); info["generation"] != 2.0 || info["status"] != "up" {
			t.Errorf("%s after the failed evaluation: %v", name, info)
		}
	}

	// A configuration without the web server: the first container does not
	// answer, is rolled back to generation 2, and the others stay as they were.
	broken := `services.openssh.enable = true;`
	r = c.script(filepath.Join(workflows, "rolling-update.lua"), append([]string{"--timeout", "5", "--config", broken}, names...)...)
	if r.code != 1 {
		t.Fatalf("rolling-update.lua with a broken configuration should exit 1: %s", r)
	}
	wantRows := []string{
		`(?m)^` + names[0] + ` +FAILED, rolled back to generation 2$`,
		`(?m)^` + names[1] + ` +not updated \(stopped at the first failure\)$`,
		`(?m)^` + names[2] + ` +not updated \(stopped at the first failure\)$`,
	}
	for _, re := range wantRows {
		if !regexp.MustCompile(re).MatchString(r.stdout) {
			t.Errorf("report does not match %s:\n%s", re, r)
		}
	}
	if !strings.Contains(r.stderr, names[0]+": does not answer on port 80 after the update") || !strings.Contains(r.stderr, "which answers") {
		t.Errorf("stderr should say why and that the rollback answers:\n%s", r.stderr)
	}
	for i, name := range names {
		if info := c.info(name); info["generation"] != 2.0 || info["status"] != "up" {
			t.Errorf("%s after the failed update: %v", name, info)
		}
		if page, err := httpGet(t, "http://"+locals[i]+"/", 20*time.Second); err != nil || !strings.Contains(page, "Index of /") {
			t.Errorf("%s does not serve its page after the failed update: %v", name, err)
		}
		conf, _ := os.ReadFile(filepath.Join(c.root, "var/lib/containers", name, "etc/nixos/configuration.nix"))
		if i > 0 && (strings.Contains(string(conf), "openssh") || !strings.Contains(string(conf), `"release"`)) {
			t.Errorf("%s was touched by the failed run; configuration.nix:\n%s", name, conf)
		}
	}
}

// processesMentioning lists the processes whose command line contains s.
func processesMentioning(s string) []int {
	var pids []int
	ents, _ := os.ReadDir("/proc")
	for _, e := range ents {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		cmdline, err := os.ReadFile(filepath.Join("/proc", e.Name(), "cmdline"))
		if err == nil && bytes.Contains(cmdline, []byte(s)) {
			pids = append(pids, pid)
		}
	}
	return pids
}

// slowStart is a script that creates containers (NAME HOST LOCAL triples in
// its arguments) whose boot waits for a service that never finishes, then
// starts them all at once (n.parallel): the starts do not return until they
// are interrupted.
const slowStart = `
local n = require("nixcsh")
local config = [[
  systemd.services.slow = {
    wantedBy = [ "multi-user.target" ];
    before = [ "multi-user.target" ];
    serviceConfig.Type = "oneshot";
    serviceConfig.TimeoutStartSec = "infinity";
    script = "touch /var/lib/slow-started; exec sleep 600";
  };
]]
local starts = {}
for i = 1, #n.args, 3 do
  local name = n.args[i]
  assert(n.create(name, {host_address = n.args[i + 1], local_address = n.args[i + 2], config = config}))
  starts[#starts + 1] = function() return n.start(name) end
end
print("starts returned", n.parallel(unpack(starts)))
`

// Ctrl-C (SIGINT) during a long start stops `nixcsh FILE.lua` promptly and
// leaves the containers down: no supervisor, nspawn or link of theirs
// remains. Once with one start, once with two in n.parallel.
func TestIntegrationWorkflowInterruptedStart(t *testing.T) {
	needRoot(t)
	t.Parallel()
	for _, count := range []int{1, 2} {
		t.Run(fmt.Sprintf("%d containers", count), func(t *testing.T) {
			c := newCLI(t, "")
			t.Cleanup(c.destroyAll)
			file := filepath.Join(t.TempDir(), "slow-start.lua")
			os.WriteFile(file, []byte(slowStart), 0o644)
			var names, args []string
			for i := 0; i < count; i++ {
				name := uniqueName("slow")
				host, local := uniqueAddresses(t)
				names, args = append(names, name), append(args, name, host, local)
			}
			interruptBoot(t, c, file, args, names)
		})
	}
}

// interruptBoot runs the script, sends SIGINT once every named container is
// booting, and checks that nixcsh stops and the containers are down.
func interruptBoot(t *testing.T, c *cli, file string, args, names []string) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := c.scriptCmd(ctx, file, args...)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()

	// Wait until every container is booting: its slow service has begun.
	for _, name := range names {
		marker := filepath.Join(c.root, "var/lib/containers", name, "var/lib/slow-started")
		for {
			if _, err := os.Stat(marker); err == nil {
				break
			}
			select {
			case err := <-exited:
				t.Fatalf("the script ended before %s booted: %v\nstdout:\n%s\nstderr:\n%s", name, err, out.String(), errb.String())
			case <-ctx.Done():
				t.Fatalf("%s did not begin to boot\nstderr:\n%s", name, errb.String())
			case <-time.After(50 * time.Millisecond): // poll for the marker
			}
		}
	}
	if err := cmd.Process.Signal(syscall.SIGINT); err != nil {
		t.Fatal(err)
	}
	var err error
	select {
	case err = <-exited:
	case <-time.After(30 * time.Second):
		t.Fatalf("nixcsh did not stop within 30s of SIGINT\nstderr:\n%s", errb.String())
	}
	var ee *exec.ExitError
	if !errors.As(err, &ee) || ee.ExitCode() == 0 || !strings.Contains(errb.String(), "interrupted") || strings.Contains(out.String(), "starts returned") {
		t.Errorf("after SIGINT: %v\nstdout:\n%s\nstderr:\n%s", err, out.String(), errb.String())
	}

	// Nothing half-made: each container is down, nothing of it runs.
	for _, name := range names {
		if st := strings.TrimSpace(c.must("status", name).stdout); st != "down" {
			t.Errorf("%s: status after the interrupted start: %q", name, st)
		}
		if err := exec.Command("ip", "link", "show", "ve-"+name).Run(); err == nil {
			t.Errorf("link ve-%s is left on the host", name)
		}
	}
	// No process (supervisor, nspawn, init) mentions the state root any more.
	for _, pid := range processesMentioning(c.root) {
		cmdline, _ := os.ReadFile(fmt.Sprintf("/proc/%d/cmdline", pid))
		if !waitGone(pid, 5*time.Second) {
			t.Errorf("process %d still runs: %s", pid, bytes.ReplaceAll(cmdline, []byte{0}, []byte{' '}))
		}
	}
}

// Lua hooks of the REPL on a real container: a post-start hook runs a
// command in the container that just came up; a pre-stop hook vetoes the
// stop until it is told not to.
func TestIntegrationLuaHooksOnRealContainer(t *testing.T) {
	needRoot(t)
	t.Parallel()
	c := newCLI(t, "")
	t.Cleanup(c.destroyAll)
	name := uniqueName("hook")
	host, local := uniqueAddresses(t)
	c.must("create", name, "--host-address", host, "--local-address", local)
	lines := strings.Join([]string{
		`lua nixcsh.on('post-start', function(e) local r = nixcsh.run(e.container, {'uname', '-n'}) print('post-start', e.container, r.code, r.stdout) end)`,
		`lua keep = true nixcsh.on('pre-stop', function(e) if keep then return false, e.container .. ' is kept' end end)`,
		`start ` + name,
		`stop ` + name,
		`status ` + name,
		`lua keep = false`,
		`stop ` + name,
		`status ` + name,
	}, "\n")
	r := c.runIn(2*time.Minute, lines+"\n")
	want := "post-start\t" + name + "\t0\t" + name + "\n\nup\ndown\n"
	if r.stdout != want || !strings.Contains(r.stderr, name+" is kept") {
		t.Errorf("%s\nwant stdout %q", r, want)
	}
}
