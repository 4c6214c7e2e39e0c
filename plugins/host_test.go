package plugins

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/nixcsh/nixcsh/core"
	"github.com/nixcsh/nixcsh/core/fault"
)

// auditRecord mirrors a line of the audit example's log.
type auditRecord struct {
	Event     string            `json:"event"`
	Container string            `json:"container"`
	Time      time.Time         `json:"time"`
	Attrs     map[string]string `json:"attrs"`
}

func readAudit(t *testing.T, path string) []auditRecord {
	t.Helper()
	var out []auditRecord
	sc := bufio.NewScanner(strings.NewReader(string(readFile(t, path))))
	for sc.Scan() {
		var r auditRecord
		if err := json.Unmarshal(sc.Bytes(), &r); err != nil {
			t.Fatalf("audit line %q: %v", sc.Text(), err)
		}
		out = append(out, r)
	}
	return out
}

func TestAuditRecordsCreateUpdateDestroy(t *testing.T) {
	dir := t.TempDir()
	install(t, dir, auditPkg, "audit")
	logPath := filepath.Join(t.TempDir(), "audit.jsonl")
	h := newHost(t, Config{Dirs: []string{dir}, Settings: map[string]map[string]string{"audit": {"path": logPath}}})

	conf := map[string]string{"HOST_ADDRESS": "10.233.1.1", "LOCAL_ADDRESS": "10.233.1.2", "PRIVATE_NETWORK": "1"}
	steps := []struct {
		event string
		attrs map[string]string
	}{
		{core.PreCreate, conf},
		{core.PostCreate, map[string]string{"HOST_ADDRESS": "10.233.1.1", "LOCAL_ADDRESS": "10.233.1.2", "generation": "1"}},
		{core.PreUpdate, map[string]string{"generation": "1", "config.services.httpd.enable": "true"}},
		{core.PostUpdate, map[string]string{"generation": "2"}},
		{core.PreDestroy, map[string]string{"generation": "2"}},
		{core.PostDestroy, map[string]string{}},
	}
	before := time.Now()
	for _, s := range steps {
		if err := fire(h, s.event, "foo", s.attrs); err != nil {
			t.Fatalf("%s: %v", s.event, err)
		}
	}
	after := time.Now()

	got := readAudit(t, logPath)
	if len(got) != len(steps) {
		t.Fatalf("audit log has %d records, want %d:\n%s", len(got), len(steps), readFile(t, logPath))
	}
	for i, s := range steps {
		r := got[i]
		if r.Event != s.event || r.Container != "foo" || !reflect.DeepEqual(r.Attrs, s.attrs) {
			t.Errorf("record %d = %+v, want event %s container foo attrs %v", i, r, s.event, s.attrs)
		}
		if r.Time.Before(before.Add(-time.Second)) || r.Time.After(after.Add(time.Second)) {
			t.Errorf("record %d time %s is outside the test's run %s..%s", i, r.Time, before, after)
		}
		if i > 0 && r.Time.Before(got[i-1].Time) {
			t.Errorf("record %d is older than record %d", i, i-1)
		}
	}
	if st := stateOf(h, "audit"); st != "running" {
		t.Errorf("audit state %q, want running", st)
	}
}

func TestAuditLogLocation(t *testing.T) {
	dir := t.TempDir()
	install(t, dir, auditPkg, "audit")

	t.Run("default under the state root", func(t *testing.T) {
		t.Setenv("NIXCSH_AUDIT_LOG", "")
		root := t.TempDir()
		h := newHost(t, Config{Root: root, Dirs: []string{dir}})
		if err := fire(h, core.PreStart, "web", nil); err != nil {
			t.Fatal(err)
		}
		got := readAudit(t, filepath.Join(root, "var/log/nixcsh/audit.jsonl"))
		if len(got) != 1 || got[0].Event != core.PreStart || got[0].Container != "web" {
			t.Fatalf("records %+v", got)
		}
	})
	t.Run("from NIXCSH_AUDIT_LOG", func(t *testing.T) {
		path := filepath.Join(t.TempDir(), "env.jsonl")
		t.Setenv("NIXCSH_AUDIT_LOG", path) // the plugin inherits nixcsh's environment
		h := newHost(t, Config{Dirs: []string{dir}})
		if err := fire(h, core.PostStop, "web", nil); err != nil {
			t.Fatal(err)
		}
		if got := readAudit(t, path); len(got) != 1 || got[0].Event != core.PostStop {
			t.Fatalf("records %+v", got)
		}
	})
}

func TestGuardVetoes(t *testing.T) {
	dir := t.TempDir()
	install(t, dir, guardPkg, "guard")
	guardHost := func(t *testing.T, settings map[string]string) *Host {
		return newHost(t, Config{Dirs: []string{dir}, Settings: map[string]map[string]string{"guard": settings}})
	}
	wantVeto := func(t *testing.T, err error, about string) {
		t.Helper()
		if err == nil {
			t.Fatalf("no veto, want one about %s", about)
		}
		if fault.KindOf(err) != fault.Vetoed || !strings.HasPrefix(err.Error(), "plugin guard: ") || !strings.Contains(err.Error(), about) {
			t.Fatalf("error %q (kind %v), want a veto \"plugin guard: ...%s...\"", err, fault.KindOf(err), about)
		}
	}

	t.Run("not enough free memory", func(t *testing.T) {
		h := guardHost(t, map[string]string{"min-available": "1P"})
		wantVeto(t, fire(h, core.PreStart, "web", nil), "memory available")
	})
	t.Run("enough free memory", func(t *testing.T) {
		h := guardHost(t, map[string]string{"min-available": "1K"})
		if err := fire(h, core.PreStart, "web", nil); err != nil {
			t.Fatal(err)
		}
	})
	t.Run("forwarded host port taken", func(t *testing.T) {
		l, err := net.Listen("tcp", ":0")
		if err != nil {
			t.Fatal(err)
		}
		defer l.Close()
		port := l.Addr().(*net.TCPAddr).Port
		h := guardHost(t, map[string]string{"min-available": "0"})
		wantVeto(t, fire(h, core.PreStart, "web", map[string]string{"HOST_PORT": fmt.Sprintf("tcp:%d:80", port)}), "port "+strconv.Itoa(port))
		l.Close()
		if err := fire(h, core.PreStart, "web", map[string]string{"HOST_PORT": fmt.Sprintf("tcp:%d:80", port)}); err != nil {
			t.Fatalf("after the port was freed: %v", err)
		}
	})
	t.Run("protected container", func(t *testing.T) {
		h := guardHost(t, map[string]string{"protected": "db, web"})
		wantVeto(t, fire(h, core.PreDestroy, "db", nil), "db is protected")
		wantVeto(t, fire(h, core.PreDestroy, "scratch", map[string]string{"PROTECTED": "1"}), "scratch is protected")
		if err := fire(h, core.PreDestroy, "scratch", nil); err != nil {
			t.Fatalf("unprotected destroy: %v", err)
		}
		// guard does not subscribe to post-destroy; nothing to say there.
		if err := fire(h, core.PostDestroy, "db", nil); err != nil {
			t.Fatal(err)
		}
	})
}

// TestMisbehavingPlugins: each broken plugin is named with its stderr's
// tail, disabled, and the Host keeps serving the others (audit, which comes
// first in discovery order and so records every event it is given).
func TestMisbehavingPlugins(t *testing.T) {
	cases := []struct {
		mode     string
		settings map[string]string
		want     []string // in the error
	}{
		{"crash", nil, []string{"plugin crash: crashed during pre-start (exit status 3)", "crash: giving up on pre-start of web"}},
		{"hang", map[string]string{"timeout": "300ms"}, []string{"plugin hang: did not answer pre-start within 300ms", "hang: stuck in pre-start"}},
		{"garbage", nil, []string{"plugin garbage: failed its handshake: it wrote to stdout", "hello from garbage", "garbage: about to greet on stdout"}},
		{"mute", map[string]string{"timeout": "300ms"}, []string{"plugin mute: did not finish its handshake within 300ms", "mute: waiting for nothing"}},
		{"oldproto", nil, []string{"plugin oldproto: incompatible: it speaks another plugin protocol"}},
		{"newhost", nil, []string{"plugin newhost: incompatible: it needs nixcsh >= 99.0, this is nixcsh " + HostVersion}},
		{"badconf", nil, []string{"plugin badconf: rejected its settings: setting colour: must be blue"}},
	}
	for _, c := range cases {
		t.Run(c.mode, func(t *testing.T) {
			dir := pluginDir(t, c.mode)
			install(t, dir, auditPkg, "audit")
			logPath := filepath.Join(t.TempDir(), "audit.jsonl")
			h := newHost(t, Config{Dirs: []string{dir}, Settings: map[string]map[string]string{
				"audit": {"path": logPath}, c.mode: c.settings}})

			err := fire(h, core.PreStart, "web", nil)
			if err == nil {
				t.Fatal("no error from a broken plugin")
			}
			t.Logf("the user reads:\n%s", err)
			if fault.KindOf(err) != fault.Failed {
				t.Errorf("kind %v, want failed", fault.KindOf(err))
			}
			for _, w := range c.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error does not say %q:\n%s", w, err)
				}
			}
			if !strings.Contains(err.Error(), "disabled for this session") {
				t.Errorf("error does not say the plugin is disabled:\n%s", err)
			}
			if st := stateOf(h, c.mode); !strings.HasPrefix(st, "disabled: ") {
				t.Errorf("state %q, want disabled", st)
			}
			if pid := pidOf(h, c.mode); pid != 0 {
				t.Errorf("disabled plugin still has process %d", pid)
			}
			// The host goes on: the broken plugin is skipped, audit still hears.
			if err := fire(h, core.PostStart, "web", nil); err != nil {
				t.Fatalf("second event: %v", err)
			}
			if err := fire(h, core.PreStop, "web", nil); err != nil {
				t.Fatalf("third event: %v", err)
			}
			var events []string
			for _, r := range readAudit(t, logPath) {
				events = append(events, r.Event)
			}
			if want := []string{core.PreStart, core.PostStart, core.PreStop}; !reflect.DeepEqual(events, want) {
				t.Errorf("audit heard %v, want %v", events, want)
			}
			// Reload gives it another chance (and it fails again, the same way).
			if err := h.Reload(); err != nil {
				t.Fatal(err)
			}
			if st := stateOf(h, c.mode); st != "not started" {
				t.Errorf("after reload state %q, want not started", st)
			}
		})
	}
}

func TestPostEventFailuresAreCollected(t *testing.T) {
	dir := pluginDir(t, "crash", "ok")
	h := newHost(t, Config{Dirs: []string{dir}})
	err := fire(h, core.PostStart, "web", nil)
	if err == nil || !strings.Contains(err.Error(), "plugin crash: crashed during post-start") {
		t.Fatalf("error %v, want the crash", err)
	}
	// ok comes after crash and still got the post-event.
	if st := stateOf(h, "ok"); st != "running" {
		t.Errorf("ok state %q, want running", st)
	}
}

func TestVetoAndPluginError(t *testing.T) {
	h := newHost(t, Config{Dirs: []string{pluginDir(t, "ok")}})
	err := fire(h, core.PreStart, "web", map[string]string{"VETO": "not today"})
	if fault.KindOf(err) != fault.Vetoed || err.Error() != "plugin ok: not today" {
		t.Fatalf("error %v (kind %v), want veto \"plugin ok: not today\"", err, fault.KindOf(err))
	}
	// A veto on a post-event means nothing: the verb is done.
	if err := fire(h, core.PostStart, "web", map[string]string{"VETO": "too late"}); err != nil {
		t.Fatalf("post-event veto became %v", err)
	}
	err = fire(h, core.PreStop, "web", map[string]string{"FAIL": "lost my notes"})
	if fault.KindOf(err) != fault.Failed || err.Error() != "plugin ok: pre-stop of web failed: lost my notes" {
		t.Fatalf("error %v (kind %v)", err, fault.KindOf(err))
	}
	// A plugin's own error is not a crash: it stays up.
	if st := stateOf(h, "ok"); st != "running" {
		t.Errorf("state %q, want running", st)
	}
	root := h.cfg.Root
	if log := string(readFile(t, filepath.Join(root, "var/log/nixcsh/plugins.log"))); !strings.Contains(log, "saw post-start") {
		t.Errorf("plugins.log lacks the plugin's diagnostic:\n%s", log)
	}
}

func TestLazyStart(t *testing.T) {
	h := newHost(t, Config{Dirs: []string{pluginDir(t, "destroyonly", "ok")}})
	for _, i := range h.List() {
		if i.State != "not started" || pidOf(h, i.Name) != 0 {
			t.Fatalf("%s is %q before any event", i.Name, i.State)
		}
	}
	if _, err := os.Stat(filepath.Join(h.cfg.Root, "var/log/nixcsh/plugins.log")); !os.IsNotExist(err) {
		t.Errorf("a host that started nothing made its log (%v)", err)
	}
	if err := fire(h, core.PreStart, "web", nil); err != nil {
		t.Fatal(err)
	}
	list := h.List()
	if list[0].Name != "destroyonly" || list[0].State != "not started" || !reflect.DeepEqual(list[0].Events, []string{core.PreDestroy}) {
		t.Errorf("destroyonly after pre-start: %+v", list[0])
	}
	if list[1].Name != "ok" || list[1].State != "running" || list[1].Version != "0.0.1-ok" || list[1].SDKVersion == "" {
		t.Errorf("ok after pre-start: %+v", list[1])
	}
	if err := fire(h, core.PreDestroy, "web", nil); err != nil {
		t.Fatal(err)
	}
	if st := stateOf(h, "destroyonly"); st != "running" {
		t.Errorf("destroyonly after pre-destroy: %q", st)
	}
}

func TestCloseKillsEveryPlugin(t *testing.T) {
	h := newHost(t, Config{Dirs: []string{pluginDir(t, "ok", "destroyonly")}})
	if err := fire(h, core.PreDestroy, "web", nil); err != nil {
		t.Fatal(err)
	}
	pids := []int{pidOf(h, "ok"), pidOf(h, "destroyonly")}
	for _, pid := range pids {
		if pid == 0 || !alive(pid) {
			t.Fatalf("plugin processes %v not all running", pids)
		}
		// Out of the terminal's signals: not in nixcsh's process group.
		if pgid, err := syscall.Getpgid(pid); err != nil || pgid == syscall.Getpgrp() {
			t.Errorf("plugin %d is in nixcsh's process group %d (%v)", pid, pgid, err)
		}
	}
	h.Close()
	for _, pid := range pids {
		waitGone(t, pid, 10*time.Second)
	}
	h.Close() // idempotent
	if err := fire(h, core.PreStart, "web", nil); err == nil {
		t.Error("Fire after Close succeeded")
	}
}

// helperEnv names the plugin folder when the test binary runs as the
// host process of TestPluginDiesWithKilledHost.
const helperEnv = "NIXCSH_PLUGINS_TEST_HOST_DIR"

// TestHelperHost is not a test: run with helperEnv set, it is a host
// process that starts a plugin, prints its pid and waits to be killed.
func TestHelperHost(t *testing.T) {
	dir := os.Getenv(helperEnv)
	if dir == "" {
		t.Skip("runs only as the child of TestPluginDiesWithKilledHost")
	}
	h := NewHost(Config{Root: t.TempDir(), Dirs: []string{dir}})
	if err := fire(h, core.PreStart, "web", nil); err != nil {
		fmt.Println("ERROR", err)
		os.Exit(1)
	}
	fmt.Printf("PID %d\n", pidOf(h, "ok"))
	_, _ = bufio.NewReader(os.Stdin).ReadString('\n') // until killed
	os.Exit(0)
}

func TestPluginDiesWithKilledHost(t *testing.T) {
	dir := pluginDir(t, "ok")
	cmd := exec.Command(os.Args[0], "-test.run=^TestHelperHost$")
	cmd.Env = append(os.Environ(), helperEnv+"="+dir)
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	defer stdin.Close()
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })

	line, err := bufio.NewReader(stdout).ReadString('\n')
	if err != nil {
		t.Fatalf("host process said nothing: %v", err)
	}
	pid, err := strconv.Atoi(strings.TrimSpace(strings.TrimPrefix(line, "PID ")))
	if err != nil || pid <= 0 {
		t.Fatalf("host process said %q", line)
	}
	if !alive(pid) {
		t.Fatalf("plugin %d is not running", pid)
	}
	t.Cleanup(func() { // should the plugin have survived, do not leave it behind
		if alive(pid) {
			_ = syscall.Kill(pid, syscall.SIGKILL)
		}
	})
	if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	_ = cmd.Wait()
	waitGone(t, pid, 10*time.Second)
}

func TestPluginLogsStayOffTheTerminal(t *testing.T) {
	// go-plugin would log to the host's stderr by default; ours goes to the
	// plugin log. Swap stderr for a pipe and check nothing arrives there.
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	saved := os.Stderr
	os.Stderr = w
	h := newHost(t, Config{Dirs: []string{pluginDir(t, "ok", "crash")}})
	_ = fire(h, core.PostStart, "web", nil)
	h.Close()
	os.Stderr = saved
	w.Close()
	leaked, _ := bufio.NewReader(r).ReadString(0)
	if leaked != "" {
		t.Errorf("plugins wrote to the terminal:\n%s", leaked)
	}
	log := string(readFile(t, filepath.Join(h.cfg.Root, "var/log/nixcsh/plugins.log")))
	for _, want := range []string{"running", "crash: giving up on post-start", "disabled"} {
		if !strings.Contains(log, want) {
			t.Errorf("plugins.log lacks %q:\n%s", want, log)
		}
	}
}

// TestInfoCache: a later session knows what a plugin wants from the info
// cache, and does not start it for events it does not want; a replaced
// plugin file is asked again.
func TestInfoCache(t *testing.T) {
	root := t.TempDir()
	dir := pluginDir(t, "destroyonly")
	first := newHost(t, Config{Root: root, Dirs: []string{dir}})
	if err := fire(first, core.PreStart, "web", nil); err != nil { // runs it once, to ask
		t.Fatal(err)
	}
	first.Close()
	logPath := filepath.Join(root, "var/log/nixcsh/plugins.log")
	starts := func() int { return strings.Count(string(readFile(t, logPath)), "nixcsh.destroyonly: starting: path=") }
	if n := starts(); n != 1 {
		t.Fatalf("first session started destroyonly %d times, want 1", n)
	}

	second := newHost(t, Config{Root: root, Dirs: []string{dir}})
	i := second.List()[0]
	if i.State != "not started" || i.Version != "0.0.1-destroyonly" || !reflect.DeepEqual(i.Events, []string{core.PreDestroy}) {
		t.Fatalf("second session lists %+v before any event", i)
	}
	if err := fire(second, core.PreStart, "web", nil); err != nil {
		t.Fatal(err)
	}
	second.Close()
	if n := starts(); n != 1 {
		t.Errorf("second session started destroyonly for pre-start (%d starts)", n)
	}

	// Replace the file (as a rebuild does): the cache no longer speaks for it.
	path := filepath.Join(dir, FilePrefix+"destroyonly")
	data := readFile(t, path)
	if err := os.Remove(path); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, data, 0o755); err != nil {
		t.Fatal(err)
	}
	third := newHost(t, Config{Root: root, Dirs: []string{dir}})
	if i := third.List()[0]; i.Version != "" || i.Events != nil {
		t.Errorf("a replaced plugin file is listed from the cache: %+v", i)
	}
}

// Describe learns the version and events of plugins that never ran, without
// leaving them running; one that cannot answer is listed as disabled.
func TestDescribe(t *testing.T) {
	dir := pluginDir(t, "destroyonly", "mute", "ok")
	h := newHost(t, Config{Dirs: []string{dir}, Timeout: 500 * time.Millisecond})
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	got := map[string]Info{}
	for _, i := range h.Describe(ctx) {
		got[i.Name] = i
	}
	if i := got["ok"]; i.Version != "0.0.1-ok" || !reflect.DeepEqual(i.Events, []string{"*"}) || i.State != "not started" {
		t.Errorf("ok: %+v", i)
	}
	if i := got["destroyonly"]; i.Version != "0.0.1-destroyonly" || !reflect.DeepEqual(i.Events, []string{core.PreDestroy}) || i.State != "not started" {
		t.Errorf("destroyonly: %+v", i)
	}
	if i := got["mute"]; i.State != "disabled: did not finish its handshake within 500ms" {
		t.Errorf("mute: %+v", i)
	}
	for _, name := range []string{"ok", "destroyonly", "mute"} {
		if pid := pidOf(h, name); pid != 0 {
			t.Errorf("%s still runs (pid %d) after Describe", name, pid)
		}
	}
	// What Describe learnt is cached for the next session.
	next := newHost(t, Config{Root: h.cfg.Root, Dirs: []string{dir}})
	if i := next.List()[2]; i.Name != "ok" || i.Version != "0.0.1-ok" {
		t.Errorf("next session lists %+v", i)
	}
	// And events still start a described plugin.
	if err := fire(h, core.PreStart, "web", nil); err != nil {
		t.Fatal(err)
	}
	if st := stateOf(h, "ok"); st != "running" {
		t.Errorf("ok after pre-start: %q", st)
	}
}
