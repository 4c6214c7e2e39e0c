package runtime_test

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/nixcsh/nixcsh/core/runtime"
	"github.com/nixcsh/nixcsh/core/runtime/runtimetest"
)

// bootDeadline bounds every wait for a container in these tests.
const bootDeadline = 60 * time.Second

// running is a container booted by a test.
type running struct {
	spec   runtime.Spec
	leader int
	cancel context.CancelFunc
	done   chan error // Run's result
	ready  chan int   // leaders, one per READY=1
}

// newSpec makes a minimal bootable root and a spec for it in a temp dir.
func newSpec(t testing.TB) runtime.Spec {
	t.Helper()
	runtimetest.SkipUnlessNspawn(t)
	dir := t.TempDir()
	name := runtimetest.UniqueName("rt_")
	root := filepath.Join(dir, "var/lib/containers", name)
	runtimetest.MinimalRoot(t, root)
	return runtime.Spec{
		Name:    name,
		Root:    root,
		LogFile: filepath.Join(dir, "var/log/nixcsh", name+".log"),
		RunDir:  filepath.Join(dir, "run/nixcsh", name),
	}
}

// start runs a Supervisor in the background; it does not wait for READY.
func start(t testing.TB, spec runtime.Spec) *running {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	r := &running{spec: spec, cancel: cancel, done: make(chan error, 1), ready: make(chan int, 4)}
	sup := &runtime.Supervisor{Spec: spec, Ready: func(leader int) { r.ready <- leader }}
	go func() { r.done <- sup.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		select {
		case <-r.done:
		case <-time.After(bootDeadline):
			t.Errorf("supervisor of %s did not return after cancel", spec.Name)
		}
		if st, _, _ := runtime.ReadState(spec.RunDir); st.Leader > 0 {
			syscall.Kill(st.Leader, syscall.SIGKILL)
		}
	})
	return r
}

// boot starts a Supervisor and waits for READY=1.
func boot(t testing.TB, spec runtime.Spec) *running {
	t.Helper()
	r := start(t, spec)
	r.waitReady(t)
	return r
}

func (r *running) waitReady(t testing.TB) {
	t.Helper()
	select {
	case r.leader = <-r.ready:
	case err := <-r.done:
		r.done <- err // for Cleanup
		t.Fatalf("supervisor returned before READY: %v", err)
	case <-time.After(bootDeadline):
		t.Fatalf("container %s not ready within %s; log:\n%s", r.spec.Name, bootDeadline, readLog(r.spec))
	}
}

// stop cancels the supervisor and waits for Run to return.
func (r *running) stop(t testing.TB) error {
	t.Helper()
	r.cancel()
	select {
	case err := <-r.done:
		r.done <- err // for Cleanup
		return err
	case <-time.After(bootDeadline):
		t.Fatalf("supervisor of %s did not return after cancel", r.spec.Name)
		return nil
	}
}

func readLog(spec runtime.Spec) string {
	b, _ := os.ReadFile(spec.LogFile)
	return string(b)
}

// pidAlive: pid exists and has not exited (a zombie has exited).
func pidAlive(pid int) bool {
	b, err := os.ReadFile("/proc/" + itoa(pid) + "/stat")
	if err != nil {
		return false
	}
	i := bytes.LastIndexByte(b, ')')
	return i > 0 && i+2 < len(b) && b[i+2] != 'Z' && b[i+2] != 'X'
}

func TestBootExecStop(t *testing.T) {
	spec := newSpec(t)
	r := boot(t, spec)
	if r.leader <= 0 {
		t.Fatalf("Ready gave leader %d", r.leader)
	}
	st, ok, err := runtime.ReadState(spec.RunDir)
	if err != nil || !ok || !st.Ready || st.Leader != r.leader || st.Supervisor != os.Getpid() {
		t.Fatalf("ReadState = %+v, %v, %v; want running, ready, leader %d", st, ok, err, r.leader)
	}
	if st.Machine != runtime.MachineName(spec.Name) || strings.Contains(st.Machine, "_") {
		t.Errorf("machine name %q", st.Machine)
	}
	if len(st.Cgroups) == 0 {
		t.Fatal("no cgroups in state")
	}
	// The container's init lives in our cgroup (nspawn's payload/ below it).
	cg, _ := os.ReadFile("/proc/" + itoa(r.leader) + "/cgroup")
	if !strings.Contains(string(cg), filepath.Base(st.Cgroups[0])) {
		t.Errorf("leader's cgroups %s do not include %s", cg, filepath.Base(st.Cgroups[0]))
	}

	ctx := context.Background()
	var out, errb bytes.Buffer
	code, err := runtime.Exec(ctx, r.leader, []string{"uname"}, nil, &out, &errb, false)
	if err != nil || code != 0 || strings.TrimSpace(out.String()) != "Linux" {
		t.Errorf("uname: code %d err %v stdout %q stderr %q", code, err, out.String(), errb.String())
	}
	out.Reset()
	errb.Reset()
	code, err = runtime.Exec(ctx, r.leader, []string{"sh", "-c", "echo out; echo err >&2; exit 7"}, nil, &out, &errb, false)
	if err != nil || code != 7 {
		t.Errorf("exit 7: code %d err %v", code, err)
	}
	if out.String() != "out\n" || errb.String() != "err\n" {
		t.Errorf("stdout %q stderr %q; want out / err separately", out.String(), errb.String())
	}
	// Arguments arrive as given, quoting included.
	out.Reset()
	code, err = runtime.Exec(ctx, r.leader, []string{"printf", "%s|", "a b", "it's", ""}, nil, &out, &errb, false)
	if err != nil || code != 0 || out.String() != "a b|it's||" {
		t.Errorf("quoting: code %d err %v out %q", code, err, out.String())
	}
	// Exec runs inside: hostname is the machine name, pid namespace is the container's.
	out.Reset()
	runtime.Exec(ctx, r.leader, []string{"sh", "-c", "hostname; cat /proc/1/comm"}, nil, &out, &errb, false)
	if want := st.Machine + "\nsystemd\n"; out.String() != want {
		t.Errorf("inside: %q, want %q", out.String(), want)
	}

	if err := r.stop(t); err != nil {
		t.Fatalf("stop: %v", err)
	}
	if pidAlive(r.leader) {
		t.Errorf("leader %d still alive after stop", r.leader)
	}
	for _, d := range st.Cgroups {
		if _, err := os.Stat(d); !errors.Is(err, os.ErrNotExist) {
			t.Errorf("cgroup %s left behind", d)
		}
	}
	if _, err := os.Stat(spec.RunDir); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("RunDir %s left behind", spec.RunDir)
	}
	if _, ok, _ := runtime.ReadState(spec.RunDir); ok {
		t.Error("ReadState says running after stop")
	}

	// Boot again from the same root.
	r2 := boot(t, spec)
	if r2.leader == r.leader {
		t.Errorf("second boot has the same leader %d", r.leader)
	}
	if err := r2.stop(t); err != nil {
		t.Fatalf("second stop: %v", err)
	}
}

func itoa(n int) string { return strconv.Itoa(n) }
