package runtime_test

import (
	"bytes"
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/nixcsh/nixcsh/core/runtime"
)

// assertDown checks that nothing of a stopped container is left.
func assertDown(t *testing.T, spec runtime.Spec, leader int, cgroups []string) {
	t.Helper()
	if leader > 0 && pidAlive(leader) {
		t.Errorf("leader %d still alive", leader)
	}
	for _, d := range cgroups {
		if _, err := os.Stat(d); !errors.Is(err, os.ErrNotExist) {
			t.Errorf("cgroup %s left behind", d)
		}
	}
	if _, err := os.Stat(spec.RunDir); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("RunDir %s left behind", spec.RunDir)
	}
	// No cgroup of this machine anywhere below the hierarchies' roots.
	matches, _ := filepath.Glob("/sys/fs/cgroup/*/nixcsh-" + runtime.MachineName(spec.Name) + "-*")
	if len(matches) > 0 {
		t.Errorf("cgroups left behind: %v", matches)
	}
}

func TestStopImmediately(t *testing.T) {
	spec := newSpec(t)
	r := start(t, spec)
	if err := r.stop(t); err != nil {
		t.Fatalf("stop right after start: %v", err)
	}
	assertDown(t, spec, 0, nil)
}

// TestStopWhileBooting stops a container whose boot is held by a unit that
// never finishes: systemd is up but multi-user.target is not reached.
func TestStopWhileBooting(t *testing.T) {
	spec := newSpec(t)
	fifo := filepath.Join(spec.Root, "booting.fifo")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Fatal(err)
	}
	writeFile(t, filepath.Join(spec.Root, "etc/systemd/system/hang.service"), `[Unit]
Before=multi-user.target
[Service]
Type=oneshot
ExecStart=/bin/sh -c 'echo started > /booting.fifo; exec sleep infinity'
`)
	wants := filepath.Join(spec.Root, "etc/systemd/system/multi-user.target.wants")
	os.MkdirAll(wants, 0o755)
	os.Symlink("../hang.service", filepath.Join(wants, "hang.service"))

	r := start(t, spec)
	// Opening the fifo blocks until the unit inside opens it for writing.
	opened := make(chan error, 1)
	go func() {
		f, err := os.Open(fifo)
		if err == nil {
			f.Close()
		}
		opened <- err
	}()
	select {
	case err := <-opened:
		if err != nil {
			t.Fatal(err)
		}
	case err := <-r.done:
		r.done <- err
		t.Fatalf("supervisor returned while booting: %v\n%s", err, readLog(spec))
	case <-time.After(bootDeadline):
		t.Fatalf("hang.service never started; log:\n%s", readLog(spec))
	}
	select {
	case <-r.ready:
		t.Fatal("READY while hang.service still runs")
	default:
	}
	st, _, _ := runtime.ReadState(spec.RunDir)
	if st.Leader == 0 || st.Ready {
		t.Fatalf("state while booting: %+v", st)
	}
	if err := r.stop(t); err != nil {
		t.Fatalf("stop while booting: %v", err)
	}
	if strings.Contains(readLog(spec), "did not power off") {
		t.Errorf("stop needed SIGKILL; log:\n%s", readLog(spec))
	}
	assertDown(t, spec, st.Leader, st.Cgroups)
}

func TestRebootBootsAgain(t *testing.T) {
	spec := newSpec(t)
	r := boot(t, spec)
	first := r.leader
	runtime.Exec(context.Background(), first, []string{"systemctl", "reboot"}, nil, nil, nil, false)
	r.waitReady(t)
	if r.leader == first || !pidAlive(r.leader) {
		t.Fatalf("after reboot leader %d (first %d)", r.leader, first)
	}
	st, ok, _ := runtime.ReadState(spec.RunDir)
	if !ok || st.Leader != r.leader || !st.Ready {
		t.Fatalf("state after reboot: %+v %v", st, ok)
	}
	if err := r.stop(t); err != nil {
		t.Fatal(err)
	}
	assertDown(t, spec, r.leader, st.Cgroups)
}

func TestPoweroffInside(t *testing.T) {
	spec := newSpec(t)
	r := boot(t, spec)
	st, _, _ := runtime.ReadState(spec.RunDir)
	runtime.Exec(context.Background(), r.leader, []string{"systemctl", "poweroff"}, nil, nil, nil, false)
	select {
	case err := <-r.done:
		r.done <- err
		if err != nil {
			t.Fatalf("poweroff inside: Run = %v", err)
		}
	case <-time.After(bootDeadline):
		t.Fatal("Run did not return after poweroff inside")
	}
	assertDown(t, spec, r.leader, st.Cgroups)
}

func TestTerminate(t *testing.T) {
	spec := newSpec(t)
	r := boot(t, spec)
	st, _, _ := runtime.ReadState(spec.RunDir)
	if err := runtime.Terminate(context.Background(), spec.RunDir); err != nil {
		t.Fatal(err)
	}
	if pidAlive(r.leader) {
		t.Fatal("leader alive after Terminate returned")
	}
	select {
	case err := <-r.done:
		r.done <- err
		if err != nil {
			t.Fatalf("Run after terminate = %v", err)
		}
	case <-time.After(bootDeadline):
		t.Fatal("Run did not return after terminate")
	}
	assertDown(t, spec, r.leader, st.Cgroups)
	// Terminating a container that is down is not an error.
	if err := runtime.Terminate(context.Background(), spec.RunDir); err != nil {
		t.Fatal(err)
	}
}

func TestBootFailureReportsLogTail(t *testing.T) {
	spec := newSpec(t)
	spec.ExtraFlags = []string{"--no-such-nspawn-flag"}
	err := (&runtime.Supervisor{Spec: spec}).Run(context.Background())
	if err == nil {
		t.Fatal("Run with a bad flag succeeded")
	}
	if !strings.Contains(err.Error(), "no-such-nspawn-flag") || !strings.Contains(err.Error(), spec.Name) {
		t.Errorf("error lacks the log tail or the name: %v", err)
	}
	assertDown(t, spec, 0, nil)
}

func TestBeforeBootStoppingAndAfterExitHooks(t *testing.T) {
	spec := newSpec(t)
	var calls []string
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	sup := &runtime.Supervisor{
		Spec: spec,
		BeforeBoot: func(ctx context.Context, s *runtime.Spec) error {
			calls = append(calls, "before")
			s.ExtraFlags = append(s.ExtraFlags, "--setenv=NIXCSH_TEST=1")
			return nil
		},
		Stopping:  func(s runtime.Spec) { calls = append(calls, "stopping:"+strings.Join(s.ExtraFlags, ",")) },
		AfterExit: func(s runtime.Spec) { calls = append(calls, "after:"+strings.Join(s.ExtraFlags, ",")) },
		Ready:     func(int) { calls = append(calls, "ready"); cancel() },
		// nspawn forwards STATUS= lines; its own comes with READY=1.
		Progress: func(status string) { calls = append(calls, "status:"+status) },
	}
	if err := sup.Run(ctx); err != nil {
		t.Fatal(err)
	}
	want := "before status:Container running. ready stopping:--setenv=NIXCSH_TEST=1 after:--setenv=NIXCSH_TEST=1"
	if got := strings.Join(calls, " "); got != want {
		t.Errorf("calls %q, want %q", got, want)
	}
	// A failing BeforeBoot is returned, and AfterExit still runs (Stopping
	// does not: nothing was running).
	calls = nil
	sup.BeforeBoot = func(context.Context, *runtime.Spec) error { return errors.New("no network") }
	if err := sup.Run(context.Background()); err == nil || !strings.Contains(err.Error(), "no network") {
		t.Errorf("Run with failing BeforeBoot = %v", err)
	}
	if len(calls) != 1 || !strings.HasPrefix(calls[0], "after") {
		t.Errorf("calls %q", calls)
	}
}

func writeFile(t *testing.T, path, content string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

// A container that does not power off within StopTimeout is killed.
func TestStopTimeoutKills(t *testing.T) {
	spec := newSpec(t)
	spec.StopTimeout = time.Second
	// A service that ignores SIGTERM and that systemd would wait for forever.
	writeFile(t, filepath.Join(spec.Root, "etc/systemd/system/stubborn.service"), `[Unit]
Before=multi-user.target
[Service]
ExecStart=/bin/sh -c 'trap "" TERM; while :; do sleep 1; done'
TimeoutStopSec=infinity
`)
	wants := filepath.Join(spec.Root, "etc/systemd/system/multi-user.target.wants")
	os.MkdirAll(wants, 0o755)
	os.Symlink("../stubborn.service", filepath.Join(wants, "stubborn.service"))
	r := boot(t, spec)
	st, _, _ := runtime.ReadState(spec.RunDir)
	if err := r.stop(t); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(readLog(spec), "did not power off within 1s; killing it") {
		t.Errorf("no kill after the stop timeout; log:\n%s", readLog(spec))
	}
	assertDown(t, spec, r.leader, st.Cgroups)
}

// A second supervisor for a running container refuses, and leaves the
// first one's runtime state alone.
func TestSecondSupervisorRefused(t *testing.T) {
	spec := newSpec(t)
	boot(t, spec)
	err := (&runtime.Supervisor{Spec: spec}).Run(context.Background())
	if err == nil || !strings.Contains(err.Error(), "already running") {
		t.Fatalf("second Run = %v", err)
	}
	if _, ok, _ := runtime.ReadState(spec.RunDir); !ok {
		t.Error("the running container's state was disturbed")
	}
}

// NetNSPath hands nspawn a network namespace made elsewhere (core/network
// makes it with netlink; here `ip netns add`).
func TestNetworkNamespacePath(t *testing.T) {
	spec := newSpec(t)
	ns := "nixcsh-t" + spec.Name[3:]
	if out, err := exec.Command("ip", "netns", "add", ns).CombinedOutput(); err != nil {
		t.Skipf("ip netns add: %v %s", err, out)
	}
	t.Cleanup(func() { exec.Command("ip", "netns", "del", ns).Run() })
	spec.NetNSPath = "/run/netns/" + ns
	var bootSpec runtime.Spec
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	leader := make(chan int, 1)
	done := make(chan error, 1)
	go func() {
		done <- (&runtime.Supervisor{Spec: spec, BeforeBoot: func(_ context.Context, s *runtime.Spec) error { bootSpec = *s; return nil },
			Ready: func(l int) { leader <- l }}).Run(ctx)
	}()
	var l int
	select {
	case l = <-leader:
	case err := <-done:
		t.Fatalf("Run: %v", err)
	case <-time.After(bootDeadline):
		t.Fatal("not ready")
	}
	if bootSpec.NetNSPath != spec.NetNSPath {
		t.Errorf("BeforeBoot saw NetNSPath %q", bootSpec.NetNSPath)
	}
	inside, _ := os.Readlink("/proc/" + itoa(l) + "/ns/net")
	var want syscall.Stat_t
	syscall.Stat(spec.NetNSPath, &want)
	var got syscall.Stat_t
	syscall.Stat("/proc/"+itoa(l)+"/ns/net", &got)
	if got.Ino != want.Ino {
		t.Errorf("container's netns %s is not %s", inside, spec.NetNSPath)
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
}

// PRIVATE_USERS=pick: nspawn shifts the root into a user namespace of its
// own; run must enter it so that root inside writes files as root inside.
func TestPrivateUsersExec(t *testing.T) {
	spec := newSpec(t)
	spec.PrivateUsers = "pick"
	r := boot(t, spec)
	var out, errb bytes.Buffer
	code, err := runtime.Exec(context.Background(), r.leader, []string{"sh", "-c", "id -u; awk '{print $2}' /proc/self/uid_map; touch /root/made-inside"}, nil, &out, &errb, false)
	if err != nil || code != 0 || !strings.HasPrefix(out.String(), "0\n") || strings.HasSuffix(out.String(), "\n0\n") {
		t.Fatalf("code %d err %v out %q stderr %q", code, err, out.String(), errb.String())
	}
	var made, root syscall.Stat_t
	if err := syscall.Stat(filepath.Join(spec.Root, "root/made-inside"), &made); err != nil {
		t.Fatal(err)
	}
	syscall.Stat(filepath.Join(spec.Root, "etc"), &root)
	// On disk (idmapped or chowned tree alike) it belongs to whoever owns
	// the rest of the container's tree.
	if made.Uid != root.Uid {
		t.Errorf("file made inside belongs to uid %d on disk; the container's root tree to %d", made.Uid, root.Uid)
	}
}
