package shell

// Plugins driven through the real CLI: the example plugins (audit, guard)
// and the plugins package's test double, built as executables and found by
// the nixcsh binary through --plugin-dir. create, update and destroy need no
// boot, so most of this runs as any user; the start veto needs root.

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"
)

// auditRecord is one line of audit's log (plugins/examples/audit).
type auditRecord struct {
	Event     string            `json:"event"`
	Container string            `json:"container"`
	Time      time.Time         `json:"time"`
	Attrs     map[string]string `json:"attrs"`
}

func readAudit(t *testing.T, path string) []auditRecord {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("audit log: %v", err)
	}
	var recs []auditRecord
	for _, line := range strings.Split(strings.TrimSpace(string(data)), "\n") {
		var r auditRecord
		if err := json.Unmarshal([]byte(line), &r); err != nil {
			t.Fatalf("audit log line %q: %v", line, err)
		}
		recs = append(recs, r)
	}
	return recs
}

// audit records pre/post create, update and destroy, in order, with the
// container's conf keys and the generation each verb made.
func TestIntegrationPluginAuditRecordsVerbs(t *testing.T) {
	dir := pluginDir(t, "audit", "guard")
	c := newCLI(t, dir)
	t.Cleanup(func() { c.destroyAll(); noPluginLeft(t, dir) })
	host, local := uniqueAddresses(t)

	c.must("create", "aud", "--config", "services.openssh.enable = true;", "--host-address", host, "--local-address", local)
	noPluginLeft(t, dir)
	c.must("update", "aud", "--config", `services.httpd.enable = true; services.httpd.adminAddr = "a@example.org";`)
	noPluginLeft(t, dir)
	c.must("destroy", "aud")
	noPluginLeft(t, dir)

	recs := readAudit(t, filepath.Join(c.root, "var/log/nixcsh/audit.jsonl"))
	want := []string{"pre-create", "post-create", "pre-update", "post-update", "pre-destroy", "post-destroy"}
	var got []string
	for _, r := range recs {
		got = append(got, r.Event)
	}
	if strings.Join(got, " ") != strings.Join(want, " ") {
		t.Fatalf("audit recorded %q, want %q", got, want)
	}
	for i, r := range recs {
		if r.Container != "aud" {
			t.Errorf("%s: container %q, want aud", r.Event, r.Container)
		}
		if r.Attrs["HOST_ADDRESS"] != host || r.Attrs["LOCAL_ADDRESS"] != local || r.Attrs["PRIVATE_NETWORK"] != "1" {
			t.Errorf("%s: conf keys %v, want HOST_ADDRESS=%s LOCAL_ADDRESS=%s PRIVATE_NETWORK=1", r.Event, r.Attrs, host, local)
		}
		if i > 0 && r.Time.Before(recs[i-1].Time) {
			t.Errorf("%s recorded at %s, before %s at %s", r.Event, r.Time, recs[i-1].Event, recs[i-1].Time)
		}
	}
	for event, gen := range map[string]string{"post-create": "1", "post-update": "2"} {
		for _, r := range recs {
			if r.Event == event && r.Attrs["generation"] != gen {
				t.Errorf("%s: generation %q, want %s (attrs %v)", event, r.Attrs["generation"], gen, r.Attrs)
			}
		}
	}
}

// `plugins` lists each plugin with its version, events and state, and
// `plugins reload` stops them and finds them again.
func TestIntegrationPluginList(t *testing.T) {
	dir := pluginDir(t, "audit", "guard")
	c := newCLI(t, dir)
	t.Cleanup(func() { c.destroyAll(); noPluginLeft(t, dir) })

	r := c.must("plugins")
	// Version and events are known before any event (plugins asks them).
	for _, re := range []string{`(?m)^audit +1\.0\.0 +\* +not started$`, `(?m)^guard +1\.0\.0 +pre-start,pre-destroy +not started$`} {
		if !regexp.MustCompile(re).MatchString(r.stdout) {
			t.Errorf("before any event, `plugins` does not match %s:\n%s", re, r.stdout)
		}
	}

	// In one session: audit runs after the create (it hears everything),
	// guard does not (pre-start and pre-destroy only); reload stops audit.
	r = c.runIn(time.Minute, "create lst\nplugins\nplugins reload\nplugins --json\n")
	if r.code != 0 {
		t.Fatalf("session: %s", r)
	}
	for _, re := range []string{
		`(?m)^audit +1\.0\.0 +\* +running$`,
		`(?m)^guard +1\.0\.0 +pre-start,pre-destroy +not started$`,
	} {
		if !regexp.MustCompile(re).MatchString(r.stdout) {
			t.Errorf("after create, `plugins` does not match %s:\n%s", re, r.stdout)
		}
	}
	// After the reload, audit is known (version, events) but not running.
	var listed []struct{ Name, Version, State string }
	jsonStart := strings.LastIndex(r.stdout, "\n[")
	if err := json.Unmarshal([]byte(r.stdout[jsonStart+1:]), &listed); err != nil {
		t.Fatalf("plugins --json after reload: %v\n%s", err, r.stdout)
	}
	if len(listed) != 2 || listed[0].Name != "audit" || listed[0].State != "not started" || listed[0].Version != "1.0.0" {
		t.Errorf("plugins --json after reload: %+v", listed)
	}

	// A plugin file others may write is refused, said on stderr and listed.
	bad := filepath.Join(dir, "nixcsh-plugin-loose")
	data, err := os.ReadFile(filepath.Join(dir, "nixcsh-plugin-audit"))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(bad, data, 0o777); err != nil {
		t.Fatal(err)
	}
	os.Chmod(bad, 0o777) // past the umask
	r = c.must("plugins")
	if !strings.Contains(r.stderr, "warning: plugins: refusing plugin loose") ||
		!regexp.MustCompile(`(?m)^loose .*refused: the plugin file \(.*\) is writable by group or others \(mode 0777\); run chmod go-w `).MatchString(r.stdout) {
		t.Errorf("a group/other-writable plugin: %s", r)
	}
	os.Remove(bad)

	if r := c.run("plugins", "again"); r.code == 0 || !strings.Contains(r.stderr, "not 'again'") {
		t.Errorf("plugins again: %s", r)
	}
}

// guard vetoes destroying a protected container and starting one when the
// host lacks memory (here: min-available = 1P, more than any host has).
func TestIntegrationPluginGuardVetoes(t *testing.T) {
	dir := pluginDir(t, "guard")
	c := newCLI(t, dir)
	t.Cleanup(func() { c.destroyAll(); noPluginLeft(t, dir) })
	conf := filepath.Join(c.root, "etc/nixcsh/plugins.conf")
	os.MkdirAll(filepath.Dir(conf), 0o755)
	if err := os.WriteFile(conf, []byte("[guard]\nprotected = keep\nmin-available = 1P\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	host, local := uniqueAddresses(t)
	c.must("create", "keep", "--host-address", host, "--local-address", local)

	r := c.run("destroy", "keep")
	if r.code == 0 || !strings.Contains(r.stderr, "plugin guard: keep is protected (guard's protected setting)") {
		t.Errorf("destroy of a protected container: %s", r)
	}
	for _, p := range []string{"etc/containers/keep.conf", "var/lib/containers/keep/etc/nixos/configuration.nix"} {
		if _, err := os.Stat(filepath.Join(c.root, p)); err != nil {
			t.Errorf("after the vetoed destroy: %v", err)
		}
	}
	if r := c.must("list"); strings.TrimSpace(r.stdout) != "keep" {
		t.Errorf("after the vetoed destroy, list: %q", r.stdout)
	}

	t.Run("start", func(t *testing.T) {
		needRoot(t)
		r := c.run("start", "keep")
		if r.code == 0 || !regexp.MustCompile(`plugin guard: not starting keep: the host has .* of memory available, guard's min-available is 1\.0PiB`).MatchString(r.stderr) {
			t.Errorf("start with too little memory: %s", r)
		}
		if r := c.must("status", "keep"); strings.TrimSpace(r.stdout) != "down" {
			t.Errorf("after the vetoed start, status: %q", r.stdout)
		}

		// With memory enough, a forwarded host port that is taken vetoes.
		os.WriteFile(conf, []byte("[guard]\nmin-available = 0\n"), 0o644)
		l, err := net.Listen("tcp", ":0")
		if err != nil {
			t.Fatal(err)
		}
		defer l.Close()
		port := l.Addr().(*net.TCPAddr).Port
		host, local := uniqueAddresses(t)
		name := uniqueName("port")
		c.must("create", name, "--host-address", host, "--local-address", local, "--port", fmt.Sprintf("tcp:%d:80", port))
		r = c.run("start", name)
		if want := fmt.Sprintf("plugin guard: not starting %s: host tcp port %d (HOST_PORT) is already in use on the host", name, port); r.code == 0 || !strings.Contains(r.stderr, want) {
			t.Errorf("start with a taken host port: %s\nwant %q", r, want)
		}
		if r := c.must("status", name); strings.TrimSpace(r.stdout) != "down" {
			t.Errorf("after the vetoed start, status: %q", r.stdout)
		}
	})
	noPluginLeft(t, dir)
}

// A plugin that crashes and one that hangs each fail the verb with a message
// naming them; the session goes on (the next verb works), and no plugin
// process remains when nixcsh exits.
func TestIntegrationPluginCrashAndHang(t *testing.T) {
	dir := pluginDir(t, "crash", "hang")
	c := newCLI(t, dir)
	t.Cleanup(func() { c.destroyAll(); noPluginLeft(t, dir) })
	conf := filepath.Join(c.root, "etc/nixcsh/plugins.conf")
	os.MkdirAll(filepath.Dir(conf), 0o755)
	if err := os.WriteFile(conf, []byte("[hang]\ntimeout = 1s\n"), 0o644); err != nil {
		t.Fatal(err)
	}

	// One-shot: the verb fails, naming the plugin and its last words.
	r := c.run("create", "one")
	if r.code == 0 || !strings.Contains(r.stderr, "plugin crash: crashed during pre-create (exit status 3)") ||
		!strings.Contains(r.stderr, "crash: giving up on pre-create of one") {
		t.Errorf("create with a crashing plugin: %s", r)
	}
	noPluginLeft(t, dir)

	check := func(how string, r result) {
		t.Helper()
		for _, want := range []string{
			"plugin crash: crashed during pre-create (exit status 3); disabled for this session",
			"crash: giving up on pre-create of a",
			"plugin hang: did not answer pre-create within 1s; disabled for this session",
			"hang: stuck in pre-create",
		} {
			if !strings.Contains(r.stderr, want) {
				t.Errorf("%s: stderr lacks %q:\n%s", how, want, r)
			}
		}
		for _, re := range []string{`(?m)^crash .*disabled: crashed during pre-create`, `(?m)^hang .*disabled: did not answer pre-create within 1s$`, `(?m)^c$`} {
			if !regexp.MustCompile(re).MatchString(r.stdout) {
				t.Errorf("%s: stdout does not match %s:\n%s", how, re, r)
			}
		}
		noPluginLeft(t, dir)
		if r := c.must("list"); strings.Join(strings.Fields(r.stdout), " ") != "c" {
			t.Errorf("%s: only c should exist, list says %q", how, r.stdout)
		}
		c.withoutPlugins().must("destroy", "c")
	}
	// a meets crash, b meets hang, c goes through: both are disabled.
	check("-c", c.run("-c", "create a; create b; create c; plugins; list"))
	check("piped lines", c.runIn(time.Minute, "create a\ncreate b\ncreate c\nplugins\nlist\n"))

	// plugins reload gives them another chance: crash fails again.
	r = c.runIn(time.Minute, "create a\nplugins reload\nplugins\ncreate d\n")
	if !regexp.MustCompile(`(?m)^crash .* not started$`).MatchString(r.stdout) {
		t.Errorf("after plugins reload, crash should be 'not started':\n%s", r)
	}
	if strings.Count(r.stderr, "plugin crash: crashed during pre-create") != 2 {
		t.Errorf("crash should fail both creates (before and after the reload):\n%s", r)
	}
	noPluginLeft(t, dir)
}

// Plugins die with nixcsh even when it is killed with SIGKILL and cannot stop
// them (Pdeathsig).
func TestIntegrationPluginDiesWithKilledNixcsh(t *testing.T) {
	dir := pluginDir(t, "audit")
	c := newCLI(t, dir)
	t.Cleanup(func() { c.destroyAll(); noPluginLeft(t, dir) })
	cmd := c.command(t.Context())
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	fmt.Fprintln(stdin, "create dies")
	fmt.Fprintln(stdin, "plugins")
	// Wait for the listing that says audit runs.
	lines := bufio.NewScanner(stdout)
	for lines.Scan() && !regexp.MustCompile(`^audit .*running$`).MatchString(lines.Text()) {
	}
	pids := processesUnder(dir)
	if len(pids) != 1 {
		t.Fatalf("audit should be running once, found processes %v", pids)
	}
	if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	cmd.Wait()
	go io.Copy(io.Discard, stdout)
	if !waitGone(pids[0], 10*time.Second) {
		t.Errorf("plugin %d still runs 10s after nixcsh was killed", pids[0])
	}
}

// Lua hooks run before plugins: the Lua pre-create and post-create hooks
// read audit's log and find that audit has not yet recorded the event they
// are handling; audit records it after.
func TestIntegrationLuaHooksBeforePlugins(t *testing.T) {
	dir := pluginDir(t, "audit")
	c := newCLI(t, dir)
	t.Cleanup(func() { c.destroyAll(); noPluginLeft(t, dir) })
	log := filepath.Join(c.root, "var/log/nixcsh/audit.jsonl")
	c.env = append(c.env, "AUDIT_LOG="+log)
	// `lua` takes the rest of its line, so the create is on the next line.
	hook := `lua for _, ev in ipairs({'pre-create', 'post-create'}) do nixcsh.on(ev, function(e) ` +
		`local f = io.open(os.getenv('AUDIT_LOG')) local s = f and f:read('*a') or '' if f then f:close() end ` +
		`print('lua saw', e.event, e.container, 'audit had it:', s:find('"event":"' .. e.event .. '","container":"' .. e.container .. '"', 1, true) ~= nil) end) end`
	r := c.run("-c", hook+"\ncreate x")
	if r.code != 0 {
		t.Fatalf("session: %s", r)
	}
	want := "lua saw\tpre-create\tx\taudit had it:\tfalse\nlua saw\tpost-create\tx\taudit had it:\tfalse\n"
	if r.stdout != want {
		t.Errorf("stdout:\n%s\nwant:\n%s", r.stdout, want)
	}
	var got []string
	for _, rec := range readAudit(t, log) {
		got = append(got, rec.Event+" "+rec.Container)
	}
	if strings.Join(got, ", ") != "pre-create x, post-create x" {
		t.Errorf("audit recorded %q", got)
	}

	// A Lua veto stops the verb before any plugin hears of it.
	r = c.run("-c", "lua nixcsh.on('pre-create', function(e) return false, 'lua says no' end)\ncreate y")
	if r.code == 0 || !strings.Contains(r.stderr, "lua says no") {
		t.Errorf("Lua veto: %s", r)
	}
	if data, _ := os.ReadFile(log); strings.Contains(string(data), `"container":"y"`) {
		t.Errorf("audit heard of y, which Lua vetoed:\n%s", data)
	}
}

// A saved script (`nixcsh FILE.lua`) gets the plugins of $NIXCSH_PLUGIN_DIR
// behind its own n.on hooks, and a plugin's veto reaches it as nil, message.
func TestIntegrationPluginsInLuaScript(t *testing.T) {
	dir := pluginDir(t, "audit", "guard")
	c := newCLI(t, dir)
	t.Cleanup(func() { c.destroyAll(); noPluginLeft(t, dir) })
	conf := filepath.Join(c.root, "etc/nixcsh/plugins.conf")
	os.MkdirAll(filepath.Dir(conf), 0o755)
	if err := os.WriteFile(conf, []byte("[guard]\nprotected = kept\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	host, local := uniqueAddresses(t)
	file := filepath.Join(t.TempDir(), "hooks.lua")
	os.WriteFile(file, []byte(`
local n = require("nixcsh")
local log = n.env.NIXCSH_ROOT .. "/var/log/nixcsh/audit.jsonl"
-- Counts newlines of the whole file: gopher-lua's f:lines() splits lines
-- longer than its 4096-byte buffer, and a post-create record (every option's
-- value) is longer.
local function audited()
  local f = io.open(log)
  if not f then return 0 end
  -- Newlines, not f:lines(): gopher-lua's lines() splits a line longer
  -- than its 4 KB buffer, and post-create's record holds every option.
  local _, count = f:read("*a"):gsub("\n", "")
  f:close()
  return count
end
n.on("pre-create", function(e) print("pre-create", e.container, "audit lines before lua:", audited()) end)
n.on("post-create", function(e) print("post-create", e.container, "generation", e.attrs.generation, "audit lines:", audited()) end)
assert(n.create("kept", {host_address = n.args[1], local_address = n.args[2]}))
print("audit lines after create:", audited())
local ok, err = n.destroy("kept")
print("destroy:", ok, err)
print("still there:", n.status("kept"))
`), 0o644)
	r := c.script(file, host, local)
	want := "pre-create\tkept\taudit lines before lua:\t0\n" +
		"post-create\tkept\tgeneration\t1\taudit lines:\t1\n" +
		"audit lines after create:\t2\n" +
		"destroy:\tnil\tplugin guard: kept is protected (guard's protected setting); remove it from the setting to destroy it\n" +
		"still there:\tdown\n"
	if r.code != 0 || r.stdout != want {
		t.Errorf("%s\nwant stdout:\n%s", r, want)
	}
	noPluginLeft(t, dir)
}

// Ctrl-C while a plugin hangs in a pre-event: nixcsh stops at once (it does
// not wait for the plugin's timeout), nothing is created, and the plugin
// dies with nixcsh.
func TestIntegrationPluginInterruptedWhileHanging(t *testing.T) {
	dir := pluginDir(t, "hang")
	c := newCLI(t, dir)
	t.Cleanup(func() { c.destroyAll(); noPluginLeft(t, dir) })
	conf := filepath.Join(c.root, "etc/nixcsh/plugins.conf")
	os.MkdirAll(filepath.Dir(conf), 0o755)
	if err := os.WriteFile(conf, []byte("[hang]\ntimeout = 10m\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	cmd := c.command(t.Context(), "create", "stuck")
	var errb strings.Builder
	cmd.Stderr = &errb
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	// The plugin says on stderr (into the plugin log) that it is stuck.
	plog := filepath.Join(c.root, "var/log/nixcsh/plugins.log")
	for {
		if data, _ := os.ReadFile(plog); strings.Contains(string(data), "hang: stuck in pre-create") {
			break
		}
		select {
		case err := <-exited:
			t.Fatalf("nixcsh ended before the plugin hung: %v\n%s", err, errb.String())
		case <-time.After(20 * time.Millisecond): // poll the log
		}
	}
	if err := cmd.Process.Signal(syscall.SIGINT); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-exited:
		if err == nil || !strings.Contains(errb.String(), "interrupted") {
			t.Errorf("after SIGINT: %v\n%s", err, errb.String())
		}
	case <-time.After(30 * time.Second):
		t.Fatalf("nixcsh did not stop within 30s of SIGINT\n%s", errb.String())
	}
	noPluginLeft(t, dir)
	if r := c.must("list"); strings.TrimSpace(r.stdout) != "" {
		t.Errorf("the interrupted create left %q", r.stdout)
	}
}

// `plugins reload` in a running session finds a plugin installed since the
// session began, and it hears the next verb.
func TestIntegrationPluginReloadFindsNewPlugin(t *testing.T) {
	built := pluginDir(t, "audit")
	dir := pluginDir(t)
	c := newCLI(t, dir)
	t.Cleanup(func() { c.destroyAll(); noPluginLeft(t, dir) })
	cmd := c.command(t.Context())
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	var errb strings.Builder
	cmd.Stderr = &errb
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	lines := bufio.NewScanner(stdout)
	waitFor := func(re string) {
		t.Helper()
		for lines.Scan() {
			if regexp.MustCompile(re).MatchString(lines.Text()) {
				return
			}
		}
		t.Fatalf("nixcsh ended before printing a line matching %s\nstderr:\n%s", re, errb.String())
	}
	fmt.Fprintln(stdin, "plugins")
	waitFor(`^no plugins found`)
	if err := os.Link(filepath.Join(built, "nixcsh-plugin-audit"), filepath.Join(dir, "nixcsh-plugin-audit")); err != nil {
		t.Fatal(err)
	}
	fmt.Fprintln(stdin, "plugins reload")
	waitFor(`^audit +1\.0\.0 +\* +not started$`)
	fmt.Fprintln(stdin, "create fresh")
	fmt.Fprintln(stdin, "plugins")
	waitFor(`^audit +1\.0\.0 +\* +running$`)
	stdin.Close()
	go io.Copy(io.Discard, stdout)
	if err := cmd.Wait(); err != nil {
		t.Fatalf("nixcsh: %v\n%s", err, errb.String())
	}
	noPluginLeft(t, dir)
	var got []string
	for _, r := range readAudit(t, filepath.Join(c.root, "var/log/nixcsh/audit.jsonl")) {
		got = append(got, r.Event+" "+r.Container)
	}
	if strings.Join(got, ", ") != "pre-create fresh, post-create fresh" {
		t.Errorf("audit recorded %q", got)
	}
}
