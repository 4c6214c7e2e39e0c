package lua

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/nixcsh/nixcsh/core"
	"github.com/nixcsh/nixcsh/core/fault"
	glua "github.com/yuin/gopher-lua"
)

// testSession makes a Session on a fresh temporary state root. Its Manager
// has no builder and no runtime: create writes files, status says "down".
func testSession(t testing.TB, sandbox bool, stdout, stderr io.Writer) (*Session, string) {
	return testSessionWith(t, sandbox, nil, stdout, stderr)
}

// testSessionWith is testSession with a runtime (nil: none).
func testSessionWith(t testing.TB, sandbox bool, rt core.Runtime, stdout, stderr io.Writer) (*Session, string) {
	t.Helper()
	root := t.TempDir()
	if stdout == nil {
		stdout = io.Discard
	}
	if stderr == nil {
		stderr = io.Discard
	}
	s := New(Options{
		NewManager: func(w io.Writer) (*core.Manager, error) {
			m := core.NewManager(root, w)
			m.Runtime = rt
			return m, nil
		},
		Stdout:  stdout,
		Stderr:  stderr,
		Sandbox: sandbox,
		Args:    []string{"a1", "a2"},
		Getenv:  func(k string) string { return map[string]string{"NIXCSH_TEST_VAR": "hello"}[k] },
		Environ: []string{"LISTED=yes"},
	})
	t.Cleanup(s.Close)
	return s, root
}

// luaT is the t object Lua tests get: t:eq(a, b [, msg]), t:ok(v [, msg]),
// t:fail(msg), t:root(), t:listen(). Failures report the Lua file:line.
func luaT(L *glua.LState, t *testing.T, root string) *glua.LTable {
	obj := L.NewTable()
	where := func(L *glua.LState) string { return strings.TrimSuffix(L.Where(1), ":") }
	msgOf := func(L *glua.LState, pos int) string {
		if L.GetTop() >= pos {
			return " (" + L.Get(pos).String() + ")"
		}
		return ""
	}
	obj.RawSetString("eq", L.NewFunction(func(L *glua.LState) int {
		a, b := L.Get(2), L.Get(3)
		if !L.Equal(a, b) {
			t.Errorf("%s: got %s, want %s%s", where(L), inspect(a, 1), inspect(b, 1), msgOf(L, 4))
		}
		return 0
	}))
	obj.RawSetString("ok", L.NewFunction(func(L *glua.LState) int {
		if !glua.LVAsBool(L.Get(2)) {
			t.Errorf("%s: not ok: %s%s", where(L), inspect(L.Get(2), 1), msgOf(L, 3))
		}
		return 0
	}))
	obj.RawSetString("fail", L.NewFunction(func(L *glua.LState) int {
		t.Errorf("%s: %s", where(L), L.OptString(2, "failed"))
		L.RaiseError("test stopped")
		return 0
	}))
	obj.RawSetString("root", L.NewFunction(func(L *glua.LState) int {
		L.Push(glua.LString(root))
		return 1
	}))
	// t:listen() opens a TCP listener on 127.0.0.1 (accepting and closing
	// connections) for the rest of the test and returns its port.
	obj.RawSetString("listen", L.NewFunction(func(L *glua.LState) int {
		l, err := netListen()
		if err != nil {
			L.RaiseError("listen: %v", err)
		}
		t.Cleanup(func() { l.Close() })
		go func() {
			for {
				c, err := l.Accept()
				if err != nil {
					return
				}
				c.Close()
			}
		}()
		L.Push(glua.LNumber(l.Addr().(*net.TCPAddr).Port))
		return 1
	}))
	return obj
}

// TestLuaScripts runs every global TestX(t) of lua/testdata/*_test.lua, each
// in a fresh Session over a fresh state root (sandbox_*_test.lua files in a
// sandboxed one; runtime_*_test.lua ones with a fake runtime, fakeruntime_test.go).
func TestLuaScripts(t *testing.T) {
	files, _ := filepath.Glob("testdata/*_test.lua")
	if len(files) == 0 {
		t.Fatal("no Lua tests in testdata")
	}
	for _, file := range files {
		sandbox := strings.HasPrefix(filepath.Base(file), "sandbox_")
		withRuntime := strings.HasPrefix(filepath.Base(file), "runtime_")
		probe, _ := testSession(t, sandbox, nil, nil)
		var names []string
		probe.onActor(func() {
			if err := probe.state.DoFile(file); err != nil {
				t.Fatalf("%s: %v", file, err)
			}
			probe.state.G.Global.ForEach(func(k, v glua.LValue) {
				if _, ok := v.(*glua.LFunction); ok && strings.HasPrefix(k.String(), "Test") {
					names = append(names, k.String())
				}
			})
		})
		sort.Strings(names)
		for _, name := range names {
			t.Run(strings.TrimSuffix(filepath.Base(file), ".lua")+"/"+name, func(t *testing.T) {
				var stdout, stderr bytes.Buffer
				var rt core.Runtime
				if withRuntime {
					rt = newFakeRuntime()
				}
				s, root := testSessionWith(t, sandbox, rt, &syncBuf{b: &stdout}, &syncBuf{b: &stderr})
				ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
				defer cancel()
				if err := s.RunFile(ctx, file, nil); err != nil {
					t.Fatalf("loading %s: %v", file, err)
				}
				var err error
				s.onActor(func() {
					L := s.state
					L.SetContext(ctx)
					defer L.RemoveContext()
					err = L.CallByParam(glua.P{Fn: L.GetGlobal(name), Protect: true}, luaT(L, t, root))
				})
				if err != nil && !strings.Contains(err.Error(), "test stopped") {
					t.Errorf("%s raised: %v", name, s.scriptError(ctx, err))
				}
				if t.Failed() {
					t.Logf("stdout:\n%s\nstderr:\n%s", stdout.String(), stderr.String())
				}
			})
		}
	}
}

type syncBuf struct {
	mu sync.Mutex
	b  *bytes.Buffer
}

func (w *syncBuf) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.b.Write(p)
}

// signalWriter closes ready on its first write: the test's signal that the
// script reached a given point (it calls n.log there).
type signalWriter struct {
	once  sync.Once
	ready chan struct{}
}

func (w *signalWriter) Write(p []byte) (int, error) {
	w.once.Do(func() { close(w.ready) })
	return len(p), nil
}

// interruptAfterLog runs code, cancels its context as soon as it logs, and
// returns Exec's error; a script that does not stop fails the test.
func interruptAfterLog(t *testing.T, code string) error {
	t.Helper()
	sig := &signalWriter{ready: make(chan struct{})}
	s, _ := testSession(t, false, nil, sig)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := make(chan error, 1)
	go func() { done <- s.Exec(ctx, code, "cancel.lua") }()
	select {
	case <-sig.ready:
	case err := <-done:
		t.Fatalf("script ended before it was interrupted: %v", err)
	case <-time.After(30 * time.Second):
		t.Fatal("script never reached its n.log")
	}
	cancel()
	select {
	case err := <-done:
		return err
	case <-time.After(30 * time.Second):
		t.Fatal("script did not stop after its context was cancelled")
	}
	return nil
}

func TestInterrupt(t *testing.T) {
	for name, code := range map[string]string{
		"sleep":         `nixcsh.log("go"); nixcsh.sleep(3600); print("not reached")`,
		"busy loop":     `nixcsh.log("go"); while true do end`,
		"blocking verb": `nixcsh.log("go"); return nixcsh.wait_port("127.0.0.1", ` + closedPort(t) + `, 3600)`,
		"parallel":      `nixcsh.log("go"); nixcsh.parallel(function() nixcsh.sleep(3600) end, function() while true do end end)`,
		"each":          `nixcsh.log("go"); nixcsh.each({"a", "b", "c"}, function(x) return nixcsh.sleep(3600) end, {parallel = 2})`,
	} {
		t.Run(name, func(t *testing.T) {
			err := interruptAfterLog(t, code)
			if err == nil || err.Error() != "interrupted" {
				t.Fatalf("want the error 'interrupted', got %v", err)
			}
			if !errorsIsCanceled(err) {
				t.Errorf("the error does not wrap context.Canceled: %#v", err)
			}
		})
	}
}

func errorsIsCanceled(err error) bool {
	for err != nil {
		if err == context.Canceled {
			return true
		}
		u, ok := err.(interface{ Unwrap() error })
		if !ok {
			return false
		}
		err = u.Unwrap()
	}
	return false
}

// The session stays usable after an interrupted run (the REPL's Ctrl-C).
func TestUsableAfterInterrupt(t *testing.T) {
	sig := &signalWriter{ready: make(chan struct{})}
	var out bytes.Buffer
	s, _ := testSession(t, false, &out, sig)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- s.Exec(ctx, `x = 41; nixcsh.log("go"); nixcsh.sleep(3600)`, "a") }()
	<-sig.ready
	cancel()
	if err := <-done; err == nil {
		t.Fatal("interrupted run returned no error")
	}
	if err := s.Exec(context.Background(), `print(x + 1, #nixcsh.list())`, "b"); err != nil {
		t.Fatal(err)
	}
	if got := out.String(); got != "42\t0\n" {
		t.Errorf("got %q", got)
	}
}

func closedPort(t *testing.T) string {
	l, err := netListen()
	if err != nil {
		t.Fatal(err)
	}
	port := l.Addr().(interface{ String() string }).String()
	l.Close()
	return port[strings.LastIndex(port, ":")+1:]
}

func TestRunScript(t *testing.T) {
	dir := t.TempDir()
	write := func(name, code string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(code), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	root := t.TempDir()
	opts := func(out, errOut io.Writer) Options {
		return Options{
			NewManager: func(w io.Writer) (*core.Manager, error) { return core.NewManager(root, w), nil },
			Stdout:     out, Stderr: errOut,
		}
	}
	cases := []struct {
		name, code string
		args       []string
		exit       int
		out, err   string
	}{
		{"args", `local n = require("nixcsh"); print(#n.args, n.args[1], n.args[2], arg[0] ~= nil)`, []string{"x", "y"}, 0, "2\tx\ty\ttrue\n", ""},
		{"error position", "local n = require('nixcsh')\n\nerror('broken here')\n", nil, 1, "", "error position.lua:3: broken here\n"},
		{"verb arg error position", "local n = require('nixcsh')\nn.start(42)\n", nil, 1, "", "verb arg error position.lua:2: nixcsh.start: argument #1 'name' must be a string, got number\n"},
		{"syntax", "x = = 1\n", nil, 1, "", ""},
		{"exit", `os.exit(3)`, nil, 3, "", ""},
		{"exit 0", `os.exit(0); print("no")`, nil, 0, "", ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var out, errOut bytes.Buffer
			path := write(c.name+".lua", c.code)
			code := RunScript(context.Background(), path, c.args, opts(&out, &errOut))
			if code != c.exit {
				t.Errorf("exit %d, want %d (stderr %q)", code, c.exit, errOut.String())
			}
			if out.String() != c.out {
				t.Errorf("stdout %q, want %q", out.String(), c.out)
			}
			if c.err != "" && !strings.HasSuffix(errOut.String(), c.err) {
				t.Errorf("stderr %q, want it to end with %q", errOut.String(), c.err)
			}
			if strings.Contains(errOut.String(), "goroutine") || strings.Contains(errOut.String(), ".go:") {
				t.Errorf("stderr shows Go internals: %q", errOut.String())
			}
		})
	}
	t.Run("syntax error names the file and line", func(t *testing.T) {
		var errOut bytes.Buffer
		path := write("bad.lua", "print(1)\nx = = 1\n")
		RunScript(context.Background(), path, nil, opts(io.Discard, &errOut))
		if !strings.Contains(errOut.String(), "bad.lua line:2") {
			t.Errorf("stderr %q does not name bad.lua line 2", errOut.String())
		}
	})
	t.Run("missing file", func(t *testing.T) {
		var errOut bytes.Buffer
		if code := RunScript(context.Background(), filepath.Join(dir, "nope.lua"), nil, opts(io.Discard, &errOut)); code != 1 {
			t.Errorf("exit %d", code)
		}
		if !strings.Contains(errOut.String(), "nope.lua: no such file") {
			t.Errorf("stderr %q", errOut.String())
		}
	})
}

func TestExecPrintsExpressions(t *testing.T) {
	var out bytes.Buffer
	s, _ := testSession(t, false, &out, nil)
	for _, line := range []string{`1 + 1`, `x = 5`, `x`, `{a = 1, "b"}`, `"str"`} {
		if err := s.Exec(context.Background(), line, "repl"); err != nil {
			t.Fatalf("%s: %v", line, err)
		}
	}
	want := "2\n5\n{\"b\", a = 1}\nstr\n"
	if out.String() != want {
		t.Errorf("got %q, want %q", out.String(), want)
	}
}

func TestIncomplete(t *testing.T) {
	s, _ := testSession(t, false, nil, nil)
	for code, want := range map[string]bool{
		"function f()":               true,
		"do":                         true,
		"x = {":                      true,
		"x = [[abc":                  true,
		"if x then\nprint(1)":        true,
		"for i = 1, 2 do":            true,
		"print(1":                    true,
		"x = 1":                      false,
		"x = )":                      false,
		"s = 'abc":                   false,
		"function f() end":           false,
		"do end end":                 false,
		"n.create('a', {config = [[": true,
	} {
		if got := s.Incomplete(code); got != want {
			t.Errorf("Incomplete(%q) = %v, want %v", code, got, want)
		}
	}
}

func TestNames(t *testing.T) {
	s, _ := testSession(t, false, nil, nil)
	got := fmt.Sprint(s.Names("nixcsh.st"))
	if got != "[nixcsh.start nixcsh.status nixcsh.stop]" {
		t.Errorf("Names(nixcsh.st) = %s", got)
	}
	if got := fmt.Sprint(s.Names("nix")); got != "[nixcsh]" {
		t.Errorf("Names(nix) = %s", got)
	}
	if got := s.Names("nixcsh.start."); len(got) != 0 {
		t.Errorf("Names of a function's fields = %v", got)
	}
}

// Lua hooks registered in a session fire for verbs run outside Lua (the
// REPL's own commands), through Session.Hooks().
func TestHooksFromOutsideLua(t *testing.T) {
	s, root := testSession(t, false, nil, nil)
	if err := s.Exec(context.Background(), `
		seen = {}
		nixcsh.on("pre-create", function(ev)
			seen[#seen + 1] = ev.event .. " " .. ev.container .. " " .. ev.attrs.LOCAL_ADDRESS
			if ev.container == "nope" then return false, "not that one" end
		end)
		nixcsh.on("post-create", function(ev) error("post hooks only warn") end)`, "hooks"); err != nil {
		t.Fatal(err)
	}
	var warn bytes.Buffer
	m := core.NewManager(root, &warn)
	m.Hooks = core.HookList{s.Hooks()}
	if _, err := m.Create(context.Background(), "yes", core.CreateOptions{}); err != nil {
		t.Fatalf("create: %v", err)
	}
	if !strings.Contains(warn.String(), "post hooks only warn") {
		t.Errorf("post-create hook error not reported as a warning: %q", warn.String())
	}
	_, err := m.Create(context.Background(), "nope", core.CreateOptions{})
	if fault.KindOf(err) != fault.Vetoed || err.Error() != "lua hook: not that one" {
		t.Fatalf("veto: got %v (kind %v)", err, fault.KindOf(err))
	}
	if m.Exists("nope") {
		t.Error("vetoed create made the container")
	}
	var out bytes.Buffer
	s.opts.Stdout = &out
	s.stdout = &out
	if err := s.Exec(context.Background(), `for _, x in ipairs(seen) do print(x) end`, "x"); err != nil {
		t.Fatal(err)
	}
	if got := out.String(); got != "pre-create yes 10.233.1.2\npre-create nope 10.233.2.2\n" {
		t.Errorf("hook saw %q", got)
	}
}

func netListen() (net.Listener, error) { return net.Listen("tcp", "127.0.0.1:0") }

// n.parallel really runs its functions' Go work at once: the first function
// waits for a port that the test opens only after the second function has
// connected to another port. Run one after the other, the script would
// never end (and the test would fail at its deadline).
func TestParallelIsConcurrent(t *testing.T) {
	second, err := netListen()
	if err != nil {
		t.Fatal(err)
	}
	defer second.Close()
	firstPort := closedPort(t)
	opened := make(chan net.Listener, 1)
	go func() {
		c, err := second.Accept()
		if err != nil {
			close(opened)
			return
		}
		c.Close()
		l, err := net.Listen("tcp", "127.0.0.1:"+firstPort)
		if err != nil {
			close(opened)
			return
		}
		opened <- l
	}()
	defer func() {
		if l, ok := <-opened; ok && l != nil {
			l.Close()
		}
	}()
	secondPort := second.Addr().(*net.TCPAddr).Port
	var out bytes.Buffer
	s, _ := testSession(t, false, &out, nil)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	code := fmt.Sprintf(`
		local n = require("nixcsh")
		local res = assert(n.parallel(
			function() return n.wait_port("127.0.0.1", %s, 3600) and "first" end,
			function() return n.wait_port("127.0.0.1", %d, 3600) and "second" end))
		print(res[1], res[2])`, firstPort, secondPort)
	if err := s.Exec(ctx, code, "parallel.lua"); err != nil {
		t.Fatal(err)
	}
	if out.String() != "first\tsecond\n" {
		t.Errorf("got %q", out.String())
	}
}

// Cancelling the context stops a verb that is running: the runtime's Start
// sees the cancellation and the script ends with "interrupted".
func TestInterruptCancelsRunningVerb(t *testing.T) {
	rt := newFakeRuntime()
	rt.blockStart = make(chan string, 1)
	rt.cancelled = make(chan error, 1)
	s, _ := testSessionWith(t, false, rt, nil, nil)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := make(chan error, 1)
	go func() {
		done <- s.Exec(ctx, `assert(nixcsh.create("slow")); nixcsh.start("slow"); print("not reached")`, "start.lua")
	}()
	select {
	case <-rt.blockStart:
	case err := <-done:
		t.Fatalf("ended before start ran: %v", err)
	case <-time.After(30 * time.Second):
		t.Fatal("start never ran")
	}
	cancel()
	select {
	case err := <-rt.cancelled:
		if err != context.Canceled {
			t.Errorf("the verb saw %v", err)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("the running verb was not cancelled")
	}
	if err := <-done; err == nil || err.Error() != "interrupted" {
		t.Errorf("script ended with %v", err)
	}
}

// shellLuaRunner is shell.LuaRunner (lua must not import shell).
type shellLuaRunner interface {
	Exec(ctx context.Context, code, chunkName string) error
	RunFile(ctx context.Context, path string, args []string) error
	Incomplete(code string) bool
	Names(prefix string) []string
}

var _ shellLuaRunner = (*Session)(nil)

// A Manager whose hooks already include the session's (the REPL's wiring)
// does not get them twice.
func TestHooksNotDoubled(t *testing.T) {
	root := t.TempDir()
	var s *Session
	s = New(Options{NewManager: func(w io.Writer) (*core.Manager, error) {
		m := core.NewManager(root, w)
		m.Hooks = core.HookList{s.Hooks(), nil}
		return m, nil
	}})
	defer s.Close()
	var out bytes.Buffer
	s.stdout = &out
	err := s.Exec(context.Background(), `
		local calls = 0
		nixcsh.on("pre-create", function() calls = calls + 1 end)
		assert(nixcsh.create("once"))
		print(calls)`, "x")
	if err != nil {
		t.Fatal(err)
	}
	if out.String() != "1\n" {
		t.Errorf("the hook ran %q times", out.String())
	}
}

func TestLogWritesTimestampedLine(t *testing.T) {
	var errOut bytes.Buffer
	s, _ := testSession(t, false, nil, &errOut)
	if err := s.Exec(context.Background(), `nixcsh.log("starting", 3, nil, {})`, "log"); err != nil {
		t.Fatal(err)
	}
	line := errOut.String()
	ts, rest, _ := strings.Cut(line, " starting")
	if _, err := time.Parse("2006-01-02 15:04:05", ts); err != nil {
		t.Errorf("no timestamp in %q: %v", line, err)
	}
	if !strings.HasPrefix(rest, "\t3\tnil\ttable: ") || !strings.HasSuffix(rest, "\n") {
		t.Errorf("log line %q", line)
	}
}

func TestResetManager(t *testing.T) {
	roots := []string{t.TempDir(), t.TempDir()}
	made := 0
	s := New(Options{NewManager: func(w io.Writer) (*core.Manager, error) {
		made++
		return core.NewManager(roots[made-1], w), nil
	}})
	defer s.Close()
	ctx := context.Background()
	if err := s.Exec(ctx, `assert(nixcsh.create("r1")); assert(#nixcsh.list() == 1)`, "a"); err != nil {
		t.Fatal(err)
	}
	s.ResetManager()
	if err := s.Exec(ctx, `assert(#nixcsh.list() == 0, "the new root is empty")`, "b"); err != nil {
		t.Fatal(err)
	}
	if made != 2 {
		t.Errorf("NewManager called %d times", made)
	}
}

// The container settings are create/update fields; a repeatable one (bind)
// takes a list, and info returns them by flag name.
func TestSettingsFields(t *testing.T) {
	s, root := testSession(t, false, nil, nil)
	dir := t.TempDir()
	code := fmt.Sprintf(`
		local n = require("nixcsh")
		assert(n.create("web", {bind = {%q, %q .. ":/srv"}, bind_ro = %q, memory = "512M", cpus = 1.5, private_users = "pick"}))
		local i = assert(n.info("web"))
		assert(#i.settings.bind == 2 and i.settings.bind[2] == %q .. ":/srv", "bind")
		assert(i.settings.bind_ro == nil and i.settings["bind-ro"][1] == %q, "bind-ro")
		assert(i.settings.memory[1] == "512M" and i.settings.cpus[1] == "1.5" and i.settings["private-users"][1] == "pick")
		assert(n.update("web", {bind = {}, tasks = 64, memory = ""}))
		i = assert(n.info("web"))
		assert(i.settings.bind == nil and i.settings.memory == nil and i.settings.tasks[1] == "64", "update")
		local ok, msg = n.update("web", {bind = %q})
		assert(ok == nil and msg:find("does not exist", 1, true), msg)
	`, dir, dir, dir, dir, dir, dir+"/missing")
	if err := s.Exec(context.Background(), code, "settings.lua"); err != nil {
		t.Fatal(err)
	}
	b, _ := os.ReadFile(filepath.Join(root, "etc/containers/web.conf"))
	if !strings.Contains(string(b), "EXTRA_NSPAWN_FLAGS=--bind-ro="+dir+"\n") || !strings.Contains(string(b), "TASKS_MAX=64") {
		t.Errorf("web.conf:\n%s", b)
	}
}

// Switch settings are booleans (and no_FLAG turns one off); list ones take
// lists.
func TestSwitchSettingsFields(t *testing.T) {
	s, root := testSession(t, false, nil, nil)
	code := `
		local n = require("nixcsh")
		assert(n.create("eph", {ephemeral = true, tmpfs = {"/var/a", "/var/b"}, capability = "net_admin", tun = true}))
		local i = assert(n.info("eph"))
		assert(i.settings.ephemeral[1] == "yes" and #i.settings.tmpfs == 2 and i.settings.capability[1] == "CAP_NET_ADMIN" and i.settings.tun[1] == "yes", "create")
		assert(n.update("eph", {no_ephemeral = true, host_network = true}))
		i = assert(n.info("eph"))
		assert(i.settings.ephemeral == nil and i.settings["host-network"][1] == "yes", "update")
		local ok, msg = n.update("eph", {macvlan = "lo"})
		assert(ok == nil and msg:find("need a private network", 1, true), msg)
	`
	if err := s.Exec(context.Background(), code, "switches.lua"); err != nil {
		t.Fatal(err)
	}
	b, _ := os.ReadFile(filepath.Join(root, "etc/containers/eph.conf"))
	if !strings.Contains(string(b), "PRIVATE_NETWORK=0\n") || strings.Contains(string(b), "EPHEMERAL") || !strings.Contains(string(b), "ENABLE_TUN=1") {
		t.Errorf("eph.conf:\n%s", b)
	}
}
