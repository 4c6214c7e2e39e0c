package engine

// Every lifecycle verb on real containers: a temporary state root per test,
// unique names and addresses, and everything removed at the end (the
// harness destroys what is left and checks the host for leftovers).

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/nixcsh/nixcsh/core"
	"github.com/nixcsh/nixcsh/core/conf"
	"github.com/nixcsh/nixcsh/core/network"
	"github.com/nixcsh/nixcsh/core/runtime"
	"github.com/nixcsh/nixcsh/core/runtime/procfs"
)

// deadline bounds every wait on a real signal in these tests.
const deadline = 60 * time.Second

func timeout(t testing.TB) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), deadline)
	t.Cleanup(cancel)
	return ctx
}

func (r *testRoot) start(name string) {
	r.t.Helper()
	if err := r.M.Start(timeout(r.t), name, nil); err != nil {
		r.t.Fatalf("start %s: %v", name, err)
	}
}

func (r *testRoot) status(name string) string {
	r.t.Helper()
	s, err := r.M.Status(context.Background(), name)
	if err != nil {
		r.t.Fatalf("status %s: %v", name, err)
	}
	return s
}

// state is the runtime's own view of a container (pids, cgroups).
func (r *testRoot) state(name string) runtime.State {
	st, _, err := runtime.ReadState(r.M.Paths.RunDir(name))
	if err != nil {
		r.t.Fatal(err)
	}
	return st
}

// runCode runs argv and returns its exit code, stdout and stderr.
func (r *testRoot) runCode(name string, argv ...string) (int, string, string) {
	r.t.Helper()
	var out, errb bytes.Buffer
	code, err := r.M.Run(timeout(r.t), name, argv, core.Stdio{Out: &out, Err: &errb})
	if err != nil {
		r.t.Fatalf("run %s %q: %v", name, argv, err)
	}
	return code, out.String(), errb.String()
}

// cli runs the nixcsh binary on this root and returns its exit status.
func (r *testRoot) cli(stdin string, args ...string) (int, string, string) {
	r.t.Helper()
	cmd := exec.CommandContext(timeout(r.t), nixcshBinary(r.t), append([]string{"--root", r.M.Paths.Root}, args...)...)
	cmd.Stdin = strings.NewReader(stdin)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	var ee *exec.ExitError
	if err != nil && !errors.As(err, &ee) {
		r.t.Fatalf("nixcsh %q: %v", args, err)
	}
	return cmd.ProcessState.ExitCode(), out.String(), errb.String()
}

// waitGone waits until every pid has exited.
func waitGone(t testing.TB, what string, pids ...int) {
	t.Helper()
	for _, p := range pids {
		if p <= 0 {
			continue
		}
		if err := procfs.WaitGone(timeout(t), p); err != nil {
			t.Errorf("%s (pid %d) still alive: %v", what, p, err)
		}
	}
}

// assertNothingLeft checks that nothing of a container that was running
// with state st remains on the host: processes, cgroups, network, run dir.
func (r *testRoot) assertNothingLeft(name string, st runtime.State) {
	r.t.Helper()
	for _, p := range []int{st.Leader, st.Supervisor} {
		if p > 0 {
			if _, err := os.Stat(fmt.Sprintf("/proc/%d", p)); err == nil {
				if c, _ := os.ReadFile(fmt.Sprintf("/proc/%d/stat", p)); !bytes.Contains(c, []byte(") Z")) {
					r.t.Errorf("process %d of %s still runs", p, name)
				}
			}
		}
	}
	for _, d := range st.Cgroups {
		if _, err := os.Stat(d); err == nil {
			r.t.Errorf("cgroup %s of %s left behind", d, name)
		}
	}
	// Also any cgroup named after the container in any hierarchy.
	dirs, _ := filepath.Glob("/sys/fs/cgroup/*/nixcsh-" + name + "-*")
	more, _ := filepath.Glob("/sys/fs/cgroup/*/*/nixcsh-" + name + "-*")
	if len(st.Cgroups) == 0 {
		for _, d := range append(dirs, more...) {
			r.t.Errorf("cgroup %s left behind", d)
		}
	}
	if network.LinkExists(network.HostLinkName(name, false)) {
		r.t.Errorf("link %s left behind", network.HostLinkName(name, false))
	}
	if _, err := os.Stat(network.NamespacePath(name)); err == nil {
		r.t.Errorf("network namespace %s left behind", network.NamespacePath(name))
	}
	if _, err := os.Stat(filepath.Join(r.M.Paths.RunDir(name), "state.json")); err == nil {
		r.t.Errorf("runtime state of %s left behind", name)
	}
}

func TestRunExitCodesAndStreams(t *testing.T) {
	needRoot(t)
	t.Parallel()
	r := newTestRoot(t)
	name := r.create("rn", "")
	r.start(name)
	if s := r.status(name); s != "up" {
		t.Fatalf("status = %q", s)
	}
	if out := r.run(name, "uname"); !strings.Contains(out, "Linux") {
		t.Errorf("uname printed %q", out)
	}
	if code, _, _ := r.runCode(name, "sh", "-c", "exit 7"); code != 7 {
		t.Errorf("run exit 7 gave %d", code)
	}
	code, out, errs := r.runCode(name, "sh", "-c", "echo to-out; echo to-err >&2")
	if code != 0 || out != "to-out\n" || errs != "to-err\n" {
		t.Errorf("streams: code %d stdout %q stderr %q", code, out, errs)
	}
	// A command killed by a signal exits 128+N, as in a shell.
	if code, _, _ := r.runCode(name, "sh", "-c", "kill -9 $$"); code != 137 {
		t.Errorf("run of a command killed by SIGKILL gave %d, want 137", code)
	}
	// stdin reaches the command.
	var out2 bytes.Buffer
	if code, err := r.M.Run(timeout(t), name, []string{"tr", "a-z", "A-Z"}, core.Stdio{In: strings.NewReader("piped\n"), Out: &out2}); err != nil || code != 0 || out2.String() != "PIPED\n" {
		t.Errorf("run with stdin: code %d err %v out %q", code, err, out2.String())
	}
	// Through the CLI binary: its exit status is the command's.
	code, out, errs = r.cli("", "run", name, "--", "sh", "-c", "echo cli-out; echo cli-err >&2; exit 7")
	if code != 7 || out != "cli-out\n" || !strings.Contains(errs, "cli-err") {
		t.Errorf("cli run: exit %d stdout %q stderr %q", code, out, errs)
	}
}

func TestRunOnStoppedContainer(t *testing.T) {
	needRoot(t)
	t.Parallel()
	r := newTestRoot(t)
	name := r.create("rs", "")
	_, err := r.M.Run(timeout(t), name, []string{"true"}, core.Stdio{})
	if err == nil || !strings.Contains(err.Error(), "is not running") || !strings.Contains(err.Error(), "nixcsh start "+name) {
		t.Errorf("run on a stopped container: %v", err)
	}
	if code, _, errs := r.cli("", "run", name, "--", "true"); code != 1 || !strings.Contains(errs, "not running") {
		t.Errorf("cli run on a stopped container: exit %d, stderr %q", code, errs)
	}
}

func TestStopStartRestartNoops(t *testing.T) {
	needRoot(t)
	t.Parallel()
	r := newTestRoot(t)
	ctx := timeout(t)
	name := r.create("ss", "")
	// Stopping a stopped container is a no-op.
	if err := r.M.Stop(ctx, name); err != nil {
		t.Fatalf("stop of a stopped container: %v", err)
	}
	r.start(name)
	first := r.state(name)
	// Starting a running container is a no-op: same supervisor, same init.
	r.start(name)
	if again := r.state(name); again.Supervisor != first.Supervisor || again.Leader != first.Leader {
		t.Errorf("second start replaced the container: %+v -> %+v", first, again)
	}
	if err := r.M.Stop(ctx, name); err != nil {
		t.Fatal(err)
	}
	if s := r.status(name); s != "down" {
		t.Fatalf("status after stop = %q", s)
	}
	r.assertNothingLeft(name, first)
	if err := r.M.Stop(ctx, name); err != nil {
		t.Fatalf("second stop: %v", err)
	}
	r.start(name)
	second := r.state(name)
	if second.Leader == first.Leader {
		t.Errorf("start after stop kept leader %d", first.Leader)
	}
	if out := r.run(name, "uname"); !strings.Contains(out, "Linux") {
		t.Errorf("uname after restart printed %q", out)
	}
	if err := r.M.Restart(ctx, name, nil); err != nil {
		t.Fatal(err)
	}
	third := r.state(name)
	if third.Leader == second.Leader || r.status(name) != "up" {
		t.Errorf("restart: leader %d -> %d, status %s", second.Leader, third.Leader, r.status(name))
	}
	waitGone(t, "old init after restart", second.Leader)
	r.assertNothingLeftOfBoot(second)
}

// assertNothingLeftOfBoot checks one earlier boot's processes and cgroups.
func (r *testRoot) assertNothingLeftOfBoot(st runtime.State) {
	r.t.Helper()
	for _, d := range st.Cgroups {
		if _, err := os.Stat(d); err == nil {
			r.t.Errorf("cgroup %s of an earlier boot left behind", d)
		}
	}
}

// slowBoot holds the container's boot in a oneshot unit that reads a fifo
// the test made in the container's /root: multi-user.target waits for it.
const slowBoot = `systemd.services.slow = {
    wantedBy = [ "multi-user.target" ];
    serviceConfig.Type = "oneshot";
    script = "read x < /root/slowfifo";
  };`

// holdBoot makes the fifo and returns a function that blocks until the
// container's slow unit opened it (the boot is then held), or fails.
func (r *testRoot) holdBoot(name string) (waitHeld func(), release func()) {
	r.t.Helper()
	dir := filepath.Join(r.M.Paths.StateDir(name), "root")
	os.MkdirAll(dir, 0o700)
	fifo := filepath.Join(dir, "slowfifo")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		r.t.Fatal(err)
	}
	opened := make(chan *os.File, 1)
	go func() {
		// Opening a fifo for writing blocks until a reader opens it.
		f, err := os.OpenFile(fifo, os.O_WRONLY, 0)
		if err == nil {
			opened <- f
		}
		close(opened)
	}()
	var w *os.File
	waitHeld = func() {
		r.t.Helper()
		select {
		case w = <-opened:
		case <-time.After(deadline):
			// Unblock the opener before failing.
			if f, err := os.OpenFile(fifo, os.O_RDONLY|syscall.O_NONBLOCK, 0); err == nil {
				defer f.Close()
			}
			r.t.Fatal("the slow unit never opened its fifo: the boot was not held")
		}
	}
	release = func() {
		if w != nil {
			w.Close()
		}
	}
	r.t.Cleanup(release)
	return waitHeld, release
}

// Stop, terminate and destroy all reach a container whose start still
// holds its lock because the boot is held up.
func TestHaltWhileBooting(t *testing.T) {
	needRoot(t)
	for _, verb := range []string{"stop", "terminate", "destroy"} {
		t.Run(verb, func(t *testing.T) {
			t.Parallel()
			r := newTestRoot(t)
			name := r.create("sb", slowBoot)
			waitHeld, _ := r.holdBoot(name)
			started := make(chan error, 1)
			go func() { started <- r.M.Start(timeout(t), name, nil) }()
			waitHeld()
			booting := r.state(name)
			if s := r.status(name); s != "down" {
				t.Errorf("status while booting = %q, want down (activating counts as down)", s)
			}
			var err error
			switch verb {
			case "stop":
				err = r.M.Stop(timeout(t), name)
			case "terminate":
				err = r.M.Terminate(timeout(t), name)
			case "destroy":
				err = r.M.Destroy(timeout(t), name)
			}
			if err != nil {
				t.Fatalf("%s while booting: %v", verb, err)
			}
			select {
			case err := <-started:
				t.Logf("start returned: %v", err)
			case <-time.After(deadline):
				t.Fatal("start did not return")
			}
			waitGone(t, "init", booting.Leader)
			waitGone(t, "supervisor", booting.Supervisor)
			if verb == "destroy" {
				if r.M.Exists(name) {
					t.Error("destroyed container still exists")
				}
			} else if s := r.status(name); s != "down" {
				t.Errorf("status after %s = %q", verb, s)
			}
			r.assertNothingLeft(name, booting)
		})
	}
}

func TestCancelDuringStart(t *testing.T) {
	needRoot(t)
	t.Parallel()
	r := newTestRoot(t)
	name := r.create("cs", slowBoot)
	waitHeld, _ := r.holdBoot(name)
	ctx, cancel := context.WithCancel(context.Background())
	started := make(chan error, 1)
	go func() { started <- r.M.Start(ctx, name, nil) }()
	waitHeld()
	booting := r.state(name)
	cancel() // Ctrl-C
	select {
	case err := <-started:
		if err == nil {
			t.Error("a cancelled start returned no error")
		}
	case <-time.After(deadline):
		t.Fatal("start did not return after cancel")
	}
	waitGone(t, "init", booting.Leader)
	waitGone(t, "supervisor", booting.Supervisor)
	if s := r.status(name); s != "down" {
		t.Errorf("status after cancelled start = %q", s)
	}
	r.assertNothingLeft(name, booting)
}

func TestOneshotAndTmpfiles(t *testing.T) {
	needRoot(t)
	t.Parallel()
	r := newTestRoot(t)
	name := r.create("os", `systemd.services.foo = {
    wantedBy = [ "multi-user.target" ];
    serviceConfig = { Type = "oneshot"; RemainAfterExit = true; };
    script = "echo ran > /run/foo-ran";
  };
  systemd.tmpfiles.rules = [ "d /var/lib/foo-data 0750 root root -" ];`)
	r.start(name)
	if out := r.run(name, "systemctl", "is-active", "foo.service"); strings.TrimSpace(out) != "active" {
		t.Errorf("foo.service is %q", out)
	}
	if out := r.run(name, "cat", "/run/foo-ran"); out != "ran\n" {
		t.Errorf("/run/foo-ran = %q", out)
	}
	if out := r.run(name, "stat", "-c", "%F %a", "/var/lib/foo-data"); strings.TrimSpace(out) != "directory 750" {
		t.Errorf("tmpfiles path: %q", out)
	}
}

// unitProps reads MainPID and InvocationID of each unit inside.
func (r *testRoot) unitProps(name string, units ...string) map[string]string {
	r.t.Helper()
	out := map[string]string{}
	for _, u := range units {
		s := r.run(name, "systemctl", "show", "-p", "ActiveState,MainPID,InvocationID", u)
		out[u] = strings.Join(strings.Fields(s), " ")
	}
	return out
}

func svc(name, script string) string {
	return fmt.Sprintf(`systemd.services.%s = { wantedBy = [ "multi-user.target" ]; script = "%s"; };`, name, script)
}

func TestUpdateAndRollback(t *testing.T) {
	needRoot(t)
	t.Parallel()
	r := newTestRoot(t)
	ctx := timeout(t)
	genA := svc("changed", "exec sleep 1001") + svc("kept", "exec sleep 1002") + svc("removed", "exec sleep 1003") +
		` environment.etc."nixcsh-test".text = "one";`
	genB := svc("changed", "exec sleep 2001") + svc("kept", "exec sleep 1002") + svc("added", "exec sleep 2004") +
		` environment.etc."nixcsh-test".text = "two";`
	name := r.create("up", genA)
	r.start(name)
	units := []string{"changed.service", "kept.service", "removed.service", "added.service"}
	a := r.unitProps(name, units...)
	for _, u := range units[:3] {
		if !strings.Contains(a[u], "ActiveState=active") {
			t.Fatalf("%s before update: %s", u, a[u])
		}
	}
	if out := r.run(name, "cat", "/etc/nixcsh-test"); out != "one" && out != "one\n" {
		t.Errorf("/etc/nixcsh-test = %q", out)
	}
	r.Stderr.Reset()
	u, err := r.M.Update(ctx, name, core.UpdateOptions{Config: &genB})
	if err != nil {
		t.Fatal(err)
	}
	if !u.Reloaded || !strings.Contains(r.Stderr.String(), "reloading container...") {
		t.Errorf("update: reloaded %v, stderr %q", u.Reloaded, r.Stderr.String())
	}
	t.Logf("switch: %+v", *u.Switch)
	b := r.unitProps(name, units...)
	if b["changed.service"] == a["changed.service"] || !strings.Contains(b["changed.service"], "ActiveState=active") {
		t.Errorf("changed service not restarted: %s -> %s", a["changed.service"], b["changed.service"])
	}
	if b["kept.service"] != a["kept.service"] {
		t.Errorf("unchanged service was touched: %s -> %s", a["kept.service"], b["kept.service"])
	}
	if !strings.Contains(b["removed.service"], "ActiveState=inactive") {
		t.Errorf("removed service still %s", b["removed.service"])
	}
	if !strings.Contains(b["added.service"], "ActiveState=active") {
		t.Errorf("new service not started: %s", b["added.service"])
	}
	if out := r.run(name, "cat", "/etc/nixcsh-test"); strings.TrimSpace(out) != "two" {
		t.Errorf("/etc/nixcsh-test after update = %q", out)
	}
	if out := r.run(name, "pgrep", "-fx", "sleep 2001"); out == "" {
		t.Error("the changed service does not run its new command")
	}

	// Rollback switches back the same way.
	r.Stderr.Reset()
	rb, err := r.M.Rollback(ctx, name, 0)
	if err != nil {
		t.Fatal(err)
	}
	if !rb.Reloaded || !strings.Contains(r.Stderr.String(), "reloading container...") {
		t.Errorf("rollback: reloaded %v, stderr %q", rb.Reloaded, r.Stderr.String())
	}
	c := r.unitProps(name, units...)
	if c["changed.service"] == b["changed.service"] || !strings.Contains(c["changed.service"], "ActiveState=active") {
		t.Errorf("rollback did not restart the changed service: %s -> %s", b["changed.service"], c["changed.service"])
	}
	if c["kept.service"] != a["kept.service"] {
		t.Errorf("rollback touched the unchanged service: %s -> %s", a["kept.service"], c["kept.service"])
	}
	if !strings.Contains(c["removed.service"], "ActiveState=active") || !strings.Contains(c["added.service"], "ActiveState=inactive") {
		t.Errorf("rollback: removed %s, added %s", c["removed.service"], c["added.service"])
	}
	if out := r.run(name, "cat", "/etc/nixcsh-test"); strings.TrimSpace(out) != "one" {
		t.Errorf("/etc/nixcsh-test after rollback = %q", out)
	}
}

func TestTwoContainersReachEachOther(t *testing.T) {
	needRoot(t)
	t.Parallel()
	r := newTestRoot(t)
	a := r.create("pa", "")
	b := r.create("pb", "")
	// Both at once through one Manager (as a Lua script may do).
	var wg sync.WaitGroup
	for _, n := range []string{a, b} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := r.M.Start(timeout(t), n, nil); err != nil {
				t.Errorf("start %s: %v", n, err)
			}
		}()
	}
	wg.Wait()
	if t.Failed() {
		t.FailNow()
	}
	fa, _ := r.M.Conf(a)
	fb, _ := r.M.Conf(b)
	if _, err := exec.LookPath("ping"); err == nil {
		r.run(a, "ping", "-c", "1", "-W", "5", fb.Get(conf.HostAddress))
		r.run(b, "ping", "-c", "1", "-W", "5", fa.Get(conf.HostAddress))
		return
	}
	// No ping on this host: a TCP listener on each host side, reached from
	// the other container with bash's /dev/tcp.
	for _, pair := range [][2]string{{a, fb.Get(conf.HostAddress)}, {b, fa.Get(conf.HostAddress)}} {
		ln, err := net.Listen("tcp", net.JoinHostPort(pair[1], "0"))
		if err != nil {
			t.Fatal(err)
		}
		port := ln.Addr().(*net.TCPAddr).Port
		go func() {
			c, err := ln.Accept()
			if err == nil {
				c.Write([]byte("hello\n"))
				c.Close()
			}
		}()
		out := r.run(pair[0], "bash", "-c", fmt.Sprintf("exec 3<>/dev/tcp/%s/%d; cat <&3", pair[1], port))
		ln.Close()
		if out != "hello\n" {
			t.Errorf("%s -> %s: %q", pair[0], pair[1], out)
		}
	}
}

func TestDestroyRunning(t *testing.T) {
	needRoot(t)
	t.Parallel()
	r := newTestRoot(t)
	ctx := timeout(t)
	name := r.create("de", "")
	r.start(name)
	st := r.state(name)
	if len(st.Cgroups) == 0 {
		t.Fatal("no cgroups recorded")
	}
	if err := r.M.Destroy(ctx, name); err != nil {
		t.Fatal(err)
	}
	waitGone(t, "init", st.Leader)
	waitGone(t, "supervisor", st.Supervisor)
	r.assertNothingLeft(name, st)
	p := r.M.Paths
	for _, f := range []string{p.ConfFile(name), p.StateDir(name), p.ProfileDir(name), p.RunDir(name), p.GCRootsDir(name)} {
		if _, err := os.Lstat(f); err == nil {
			t.Errorf("%s left behind", f)
		}
	}
	if r.M.Exists(name) {
		t.Error("container still listed")
	}
}

func TestSupervisorKilled(t *testing.T) {
	needRoot(t)
	t.Parallel()
	r := newTestRoot(t)
	ctx := timeout(t)
	name := r.create("kl", "")
	r.start(name)
	st := r.state(name)
	syscall.Kill(st.Supervisor, syscall.SIGKILL)
	waitGone(t, "supervisor", st.Supervisor)
	if s := r.status(name); s != "down" {
		t.Errorf("status after kill -9 of the supervisor = %q", s)
	}
	waitGone(t, "init", st.Leader)
	if _, err := os.Stat(filepath.Join(r.M.Paths.RunDir(name), "state.json")); err == nil {
		t.Error("stale runtime state kept")
	}
	for _, d := range st.Cgroups {
		if _, err := os.Stat(d); err == nil {
			t.Errorf("cgroup %s of the dead supervisor kept", d)
		}
	}
	// The next start works and its stop leaves nothing.
	r.start(name)
	st2 := r.state(name)
	if err := r.M.Stop(ctx, name); err != nil {
		t.Fatal(err)
	}
	r.assertNothingLeft(name, st2)

	// A destroy straight after a kill -9 (no status, no start between)
	// also leaves nothing.
	r.start(name)
	st3 := r.state(name)
	syscall.Kill(st3.Supervisor, syscall.SIGKILL)
	waitGone(t, "supervisor", st3.Supervisor)
	if err := r.M.Destroy(ctx, name); err != nil {
		t.Fatal(err)
	}
	waitGone(t, "init", st3.Leader)
	r.assertNothingLeft(name, st3)
}

func TestConcurrentStarts(t *testing.T) {
	needRoot(t)
	t.Parallel()
	r := newTestRoot(t)
	name := r.create("cc", "")
	var wg sync.WaitGroup
	errs := make([]error, 2)
	for i := range errs {
		wg.Add(1)
		go func() { defer wg.Done(); errs[i] = r.M.Start(timeout(t), name, nil) }()
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Errorf("start %d: %v", i, err)
		}
	}
	if s := r.status(name); s != "up" {
		t.Fatalf("status = %q", s)
	}
	log, _ := os.ReadFile(r.M.Paths.LogFile(name))
	if n := strings.Count(string(log), "nixcsh: booting container "+name); n != 1 {
		t.Errorf("%d boots for two concurrent starts; log:\n%s", n, log)
	}
}

func TestSameNameTwoRoots(t *testing.T) {
	needRoot(t)
	t.Parallel()
	r1 := newTestRoot(t)
	r2 := newTestRoot(t)
	name := r1.create("tw", "")
	host, local := uniqueAddresses(t)
	if _, err := r2.M.Create(context.Background(), name, core.CreateOptions{HostAddress: host, LocalAddress: local}); err != nil {
		t.Fatal(err)
	}
	r1.start(name)
	err := r2.M.Start(timeout(t), name, nil)
	link := network.HostLinkName(name, false)
	if err == nil {
		t.Fatal("second root started a container whose link is taken")
	}
	if !strings.Contains(err.Error(), link) {
		t.Errorf("error does not name the taken link %s: %v", link, err)
	}
	t.Logf("second start: %v", err)
	if strings.Count(err.Error(), "failed to start container") > 1 {
		t.Errorf("headline repeated: %v", err)
	}
	if s := r1.status(name); s != "up" {
		t.Errorf("first container is %s", s)
	}
	if out := r1.run(name, "uname"); !strings.Contains(out, "Linux") {
		t.Errorf("first container: uname %q", out)
	}
	if s := r2.status(name); s != "down" {
		t.Errorf("second container is %s", s)
	}

	// Once the first one is stopped, the name's link and namespace are
	// free at once for the other root.
	first := r1.state(name)
	if err := r1.M.Stop(timeout(t), name); err != nil {
		t.Fatal(err)
	}
	r1.assertNothingLeft(name, first)
	r2.start(name)
	if out := r2.run(name, "uname"); !strings.Contains(out, "Linux") {
		t.Errorf("second container: uname %q", out)
	}
}

func TestAutoStart(t *testing.T) {
	needRoot(t)
	t.Parallel()
	r := newTestRoot(t)
	ctx := context.Background()
	host, local := uniqueAddresses(t)
	auto, err := r.M.Create(ctx, uniqueName("au"), core.CreateOptions{AutoStart: true, HostAddress: host, LocalAddress: local})
	if err != nil {
		t.Fatal(err)
	}
	manual := r.create("ma", "")
	code, out, errs := r.cli("", "start", "--all-autostart")
	if code != 0 {
		t.Fatalf("start --all-autostart: exit %d\n%s%s", code, out, errs)
	}
	if s := r.status(auto.Name); s != "up" {
		t.Errorf("autostart container is %s", s)
	}
	if s := r.status(manual); s != "down" {
		t.Errorf("manual container is %s", s)
	}
}

func TestFailedBoot(t *testing.T) {
	needRoot(t)
	t.Parallel()
	r := newTestRoot(t)
	name := r.create("fb", "")
	f, err := conf.Read(r.M.Paths.ConfFile(name))
	if err != nil {
		t.Fatal(err)
	}
	f.Set("EXTRA_NSPAWN_FLAGS", "--bogus")
	if err := f.Write(r.M.Paths.ConfFile(name)); err != nil {
		t.Fatal(err)
	}
	err = r.M.Start(timeout(t), name, nil)
	if err == nil {
		t.Fatal("start with --bogus succeeded")
	}
	msg := err.Error()
	if !strings.HasPrefix(msg, "failed to start container '"+name+"'") || !strings.Contains(msg, "bogus") {
		t.Errorf("error lacks the headline or the console lines: %v", err)
	}
	if strings.Count(msg, "failed to start container") > 1 {
		t.Errorf("headline repeated: %v", msg)
	}
	// The supervisor prints its failure to the console log without the
	// log's tail, which the host backend quotes once.
	if n := strings.Count(msg, "; last lines of "); n != 1 {
		t.Errorf("the log's tail is quoted %d times: %v", n, msg)
	}
	t.Logf("%v", err)
	if s := r.status(name); s != "down" {
		t.Errorf("status = %s", s)
	}
	r.assertNothingLeft(name, runtime.State{})
}

// screen collects a terminal's output and waits for text in it.
type screen struct {
	mu   sync.Mutex
	buf  bytes.Buffer
	more chan struct{}
}

func newScreen() *screen { return &screen{more: make(chan struct{}, 1)} }

func (s *screen) Write(p []byte) (int, error) {
	s.mu.Lock()
	s.buf.Write(p)
	s.mu.Unlock()
	select {
	case s.more <- struct{}{}:
	default:
	}
	return len(p), nil
}

func (s *screen) expect(t *testing.T, want string) {
	t.Helper()
	end := time.After(deadline)
	for {
		s.mu.Lock()
		got := s.buf.String()
		s.mu.Unlock()
		if i := strings.Index(got, want); i >= 0 {
			s.mu.Lock()
			s.buf.Next(i + len(want))
			s.mu.Unlock()
			return
		}
		select {
		case <-s.more:
		case <-end:
			t.Fatalf("no %q; output:\n%s", want, got)
		}
	}
}

func TestLoginAndRootLogin(t *testing.T) {
	needRoot(t)
	t.Parallel()
	r := newTestRoot(t)
	name := r.create("lg", `users.users.root.password = "hunter2";`)
	r.start(name)
	r.checkLogins(t, name)
}

// checkLogins checks root-login (the Manager's and the CLI's) and login at a
// real prompt, as root with the password hunter2.
func (r *testRoot) checkLogins(t *testing.T, name string) {
	t.Helper()
	ctx := timeout(t)
	var out, errb bytes.Buffer
	code, err := r.M.RootLogin(ctx, name, core.Stdio{In: strings.NewReader("id\n"), Out: &out, Err: &errb})
	if err != nil || code != 0 || !strings.Contains(out.String(), "uid=0") {
		t.Errorf("root-login: code %d err %v out %q err %q", code, err, out.String(), errb.String())
	}
	// Through the CLI: echo id | nixcsh root-login NAME.
	if code, o, e := r.cli("id\n", "root-login", name); code != 0 || !strings.Contains(o, "uid=0") {
		t.Errorf("cli root-login: exit %d out %q err %q", code, o, e)
	}

	// login: a real prompt, fed through a pipe.
	inR, inW, _ := os.Pipe()
	defer inW.Close()
	scr := newScreen()
	res := make(chan error, 1)
	go func() {
		_, err := r.M.Login(ctx, name, core.Stdio{In: inR, Out: scr, Err: scr})
		inR.Close()
		res <- err
	}()
	scr.expect(t, "login: ")
	inW.Write([]byte("root\n"))
	scr.expect(t, "Password: ")
	inW.Write([]byte("hunter2\n"))
	scr.expect(t, "# ")
	inW.Write([]byte("echo in-$((6*7)) $(id -u)\n"))
	scr.expect(t, "in-42 0")
	inW.Write([]byte("exit\n"))
	select {
	case err := <-res:
		if err != nil {
			t.Errorf("login: %v", err)
		}
	case <-time.After(deadline):
		t.Fatal("login did not return")
	}
}

func TestShowHostKey(t *testing.T) {
	needRoot(t)
	t.Parallel()
	r := newTestRoot(t)
	ctx := timeout(t)
	name := r.create("hk", `services.openssh.enable = true;`)
	r.start(name)
	key, err := r.M.ShowHostKey(ctx, name)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(key, "ssh-ed25519 ") {
		t.Fatalf("host key %q", key)
	}
	if err := r.M.Restart(ctx, name, nil); err != nil {
		t.Fatal(err)
	}
	if k, err := r.M.ShowHostKey(ctx, name); err != nil || k != key {
		t.Errorf("after restart: %q, %v (was %q)", k, err, key)
	}
	cfg := `services.openssh.enable = true; environment.etc."touched".text = "x";`
	if _, err := r.M.Update(ctx, name, core.UpdateOptions{Config: &cfg}); err != nil {
		t.Fatal(err)
	}
	if k, err := r.M.ShowHostKey(ctx, name); err != nil || k != key {
		t.Errorf("after update: %q, %v (was %q)", k, err, key)
	}
	// sshd answers with that key.
	if out := r.run(name, "systemctl", "is-active", "sshd.service"); strings.TrimSpace(out) != "active" {
		t.Errorf("sshd.service is %q", out)
	}
}

// Ctrl-C on `nixcsh start` (SIGINT to the CLI) while the container boots
// stops what was begun.
func TestCLIInterruptDuringStart(t *testing.T) {
	needRoot(t)
	t.Parallel()
	r := newTestRoot(t)
	name := r.create("ci", slowBoot)
	waitHeld, _ := r.holdBoot(name)
	cmd := exec.Command(nixcshBinary(t), "--root", r.M.Paths.Root, "start", name)
	var errb bytes.Buffer
	cmd.Stderr = &errb
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill() })
	exited := make(chan struct{})
	go func() { cmd.Wait(); close(exited) }()
	waitHeld()
	booting := r.state(name)
	cmd.Process.Signal(os.Interrupt)
	select {
	case <-exited:
	case <-time.After(deadline):
		t.Fatal("nixcsh start did not return after SIGINT")
	}
	if cmd.ProcessState.ExitCode() == 0 {
		t.Errorf("interrupted start exited 0; stderr %q", errb.String())
	}
	t.Logf("stderr: %s", errb.String())
	waitGone(t, "init", booting.Leader)
	waitGone(t, "supervisor", booting.Supervisor)
	if s := r.status(name); s != "down" {
		t.Errorf("status after interrupted start = %q", s)
	}
	r.assertNothingLeft(name, booting)
}
