package host_test

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/nixcsh/nixcsh/core/fault"
	"github.com/nixcsh/nixcsh/core/host"
	"github.com/nixcsh/nixcsh/core/runtime"
	"github.com/nixcsh/nixcsh/core/runtime/procfs"
	"github.com/nixcsh/nixcsh/core/runtime/runtimetest"
)

// testUnit is a unit whose supervisor is this test binary in role.
func testUnit(t testing.TB, role string, extraEnv ...string) host.Unit {
	t.Helper()
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	name := runtimetest.UniqueName("h_")
	u := host.Unit{
		Container: name,
		Argv:      []string{exe, "-test.run=^$"},
		Env:       append([]string{roleEnv + "=" + role, "PATH=/usr/sbin:/usr/bin:/sbin:/bin"}, extraEnv...),
		LogFile:   filepath.Join(dir, "log", name+".log"),
		RunDir:    filepath.Join(dir, "run", name),
	}
	return u
}

// supervisorUnit runs a real runtime.Supervisor for a minimal root.
func supervisorUnit(t testing.TB) (host.Unit, runtime.Spec) {
	t.Helper()
	runtimetest.SkipUnlessNspawn(t)
	u := testUnit(t, "supervisor")
	dir := filepath.Dir(filepath.Dir(u.RunDir))
	spec := runtime.Spec{
		Name:    u.Container,
		Root:    filepath.Join(dir, "var/lib/containers", u.Container),
		LogFile: u.LogFile,
		RunDir:  u.RunDir,
	}
	runtimetest.MinimalRoot(t, spec.Root)
	b, _ := json.Marshal(spec)
	u.Env = append(u.Env, "NIXCSH_HOST_TEST_SPEC="+string(b))
	return u, spec
}

func TestProcessBackendRunsSupervisor(t *testing.T) {
	u, spec := supervisorUnit(t)
	b := host.NewProcess()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	t.Cleanup(func() { b.Stop(context.Background(), u) })

	if err := b.Start(ctx, u); err != nil {
		t.Fatal(err)
	}
	pid, active, err := b.Active(u)
	if err != nil || !active || pid <= 0 {
		t.Fatalf("Active = %d %v %v", pid, active, err)
	}
	// READY came from the container: its state says ready, its supervisor is pid.
	st, running, err := runtime.ReadState(spec.RunDir)
	if err != nil || !running || !st.Ready || st.Supervisor != pid {
		t.Fatalf("ReadState = %+v %v %v (supervisor pid %d)", st, running, err, pid)
	}
	// Detached: a session of its own, not ours.
	if sid, _ := getsid(pid); sid != pid {
		t.Errorf("supervisor session %d, want its own (%d)", sid, pid)
	}
	// Starting again is refused while it runs.
	if err := b.Start(ctx, u); fault.KindOf(err) != fault.Busy {
		t.Errorf("second Start = %v, want Busy", err)
	}

	if err := b.Stop(ctx, u); err != nil {
		t.Fatal(err)
	}
	if _, err := procfs.StartTime(pid); err == nil {
		t.Errorf("supervisor %d still alive after Stop", pid)
	}
	if _, err := procfs.StartTime(st.Leader); err == nil {
		t.Errorf("container init %d still alive after Stop", st.Leader)
	}
	if _, active, _ := b.Active(u); active {
		t.Error("Active after Stop")
	}
	if _, err := os.Stat(u.RunDir); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("RunDir left behind")
	}
	if !strings.Contains(readFile(u.LogFile), "is ready") {
		t.Errorf("log lacks the supervisor's lines:\n%s", readFile(u.LogFile))
	}
	// Stopping a stopped unit is fine.
	if err := b.Stop(ctx, u); err != nil {
		t.Errorf("second Stop = %v", err)
	}
}

func TestProcessBackendFailureBeforeReady(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root (writes runtime dirs and logs like the real backend)")
	}
	u := testUnit(t, "fail")
	err := host.NewProcess().Start(context.Background(), u)
	if err == nil {
		t.Fatal("Start of a failing supervisor succeeded")
	}
	msg := err.Error()
	for _, want := range []string{u.Container, "status 3", "the stand-in always fails", "booting..."} {
		if !strings.Contains(msg, want) {
			t.Errorf("error lacks %q:\n%s", want, msg)
		}
	}
	if _, active, _ := host.NewProcess().Active(u); active {
		t.Error("Active after a failed start")
	}
}

func TestProcessBackendCancelledStart(t *testing.T) {
	u, _ := supervisorUnit(t)
	b := host.NewProcess()
	ctx, cancel := context.WithCancel(context.Background())
	cancel() // cancelled before READY can arrive
	if err := b.Start(ctx, u); err == nil {
		t.Fatal("cancelled Start succeeded")
	}
	if _, active, _ := b.Active(u); active {
		t.Error("supervisor left running after a cancelled start")
	}
}

func TestStalePidFile(t *testing.T) {
	u := testUnit(t, "notify")
	os.MkdirAll(u.RunDir, 0o755)
	// Our own pid with another start time: a reused pid, not the supervisor.
	st, _ := procfs.StartTime(os.Getpid())
	b, _ := json.Marshal(map[string]any{"Pid": os.Getpid(), "Start": st + 1})
	os.WriteFile(filepath.Join(u.RunDir, "supervisor.json"), b, 0o644)
	if _, active, err := host.NewProcess().Active(u); active || err != nil {
		t.Errorf("stale pid file: active %v err %v", active, err)
	}
	if _, err := os.Stat(u.RunDir); !errors.Is(err, os.ErrNotExist) {
		t.Error("stale pid file not removed")
	}
}

func readFile(p string) string {
	b, _ := os.ReadFile(p)
	return string(b)
}

// A supervisor that dies (SIGKILL, OOM) takes its container down: nspawn
// gets SIGTERM as its parent-death signal and powers the container off.
func TestKilledSupervisorTakesContainerDown(t *testing.T) {
	u, spec := supervisorUnit(t)
	b := host.NewProcess()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	t.Cleanup(func() { b.Stop(context.Background(), u) })
	if err := b.Start(ctx, u); err != nil {
		t.Fatal(err)
	}
	pid, _, _ := b.Active(u)
	st, running, _ := runtime.ReadState(spec.RunDir)
	if !running {
		t.Fatal("not running after Start")
	}
	syscall.Kill(pid, syscall.SIGKILL)
	if err := procfs.WaitGone(ctx, st.Leader); err != nil {
		t.Fatalf("container init %d still alive after its supervisor was killed: %v", st.Leader, err)
	}
	if _, active, _ := b.Active(u); active {
		t.Error("Active after the supervisor died")
	}
	// ReadState finds the state stale and removes what the dead
	// supervisor left: its files and its cgroups.
	if _, running, _ := runtime.ReadState(spec.RunDir); running {
		t.Error("ReadState says running after the supervisor died")
	}
	if left := existing(st.Cgroups); len(left) > 0 {
		t.Errorf("cgroups left behind: %v", left)
	}
	if _, err := os.Stat(filepath.Join(spec.RunDir, "state.json")); err == nil {
		t.Error("stale state file left behind")
	}
}

func existing(paths []string) []string {
	var out []string
	for _, p := range paths {
		if _, err := os.Stat(p); err == nil {
			out = append(out, p)
		}
	}
	return out
}

// "/proc/self/exe" names this binary (the CLI re-executing itself as
// `__supervise`); the stand-in supervisor only speaks sd_notify.
func TestProcessBackendSelfExe(t *testing.T) {
	u := testUnit(t, "notify")
	u.Argv[0] = "/proc/self/exe"
	b := host.NewProcess()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	t.Cleanup(func() { b.Stop(context.Background(), u) })
	if err := b.Start(ctx, u); err != nil {
		t.Fatal(err)
	}
	pid, active, err := b.Active(u)
	if err != nil || !active {
		t.Fatalf("Active = %d %v %v", pid, active, err)
	}
	exe, _ := os.Readlink("/proc/" + strconv.Itoa(pid) + "/exe")
	self, _ := os.Executable()
	if exe != self {
		t.Errorf("supervisor runs %s, want %s", exe, self)
	}
	if err := b.Stop(ctx, u); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(readFile(u.LogFile), "SIGTERM, exiting") {
		t.Errorf("log: %q", readFile(u.LogFile))
	}
}

// The supervisor outlives the command that started it.
func TestProcessBackendOutlivesStarter(t *testing.T) {
	u := testUnit(t, "notify")
	b := host.NewProcess()
	t.Cleanup(func() { b.Stop(context.Background(), u) })
	js, _ := json.Marshal(u)
	starter := exec.Command(u.Argv[0], "-test.run=^$")
	starter.Env = []string{roleEnv + "=starter", "NIXCSH_HOST_TEST_UNIT=" + string(js)}
	if out, err := starter.CombinedOutput(); err != nil {
		t.Fatalf("starter: %v\n%s", err, out)
	}
	pid, active, err := b.Active(u)
	if err != nil || !active {
		t.Fatalf("after the starter exited: Active = %d %v %v", pid, active, err)
	}
	if ppid := parentOf(pid); ppid == starter.Process.Pid {
		t.Errorf("supervisor's parent is still the starter %d", ppid)
	}
	if err := b.Stop(context.Background(), u); err != nil {
		t.Fatal(err)
	}
	if _, active, _ := b.Active(u); active {
		t.Error("active after Stop")
	}
}

func parentOf(pid int) int {
	b, _ := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	f := strings.Fields(string(b[strings.LastIndexByte(string(b), ')')+1:]))
	n, _ := strconv.Atoi(f[1])
	return n
}
