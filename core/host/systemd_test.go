package host_test

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/nixcsh/nixcsh/core/fault"
	"github.com/nixcsh/nixcsh/core/host"
	"github.com/nixcsh/nixcsh/core/runtime"
	"github.com/nixcsh/nixcsh/core/runtime/runtimetest"
)

// insideEnv marks a run of this test binary inside a throwaway "host"
// container where systemd is PID 1: there the systemd backend is real.
const insideEnv = "NIXCSH_HOST_TEST_INSIDE"

// testBinDir is where the host container sees this test binary.
const testBinDir = "/nixcsh-test"

// TestSystemdBackend boots a container with systemd as PID 1 (dbus comes
// up in it), then runs TestSystemdBackendInside in it via nsenter: this
// machine has no systemd as PID 1 of its own.
func TestSystemdBackend(t *testing.T) {
	runtimetest.SkipUnlessNspawn(t)
	if _, err := os.Stat("/usr/bin/dbus-daemon"); err != nil {
		t.Skip("needs dbus-daemon (Debian package dbus) for systemd's bus in the host container")
	}
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	name := runtimetest.UniqueName("sd")
	spec := runtime.Spec{
		Name:    name,
		Root:    filepath.Join(dir, "root"),
		Binds:   []runtime.Bind{{Source: filepath.Dir(exe), Target: testBinDir, ReadOnly: true}},
		LogFile: filepath.Join(dir, "console.log"),
		RunDir:  filepath.Join(dir, "run"),
	}
	runtimetest.MinimalRoot(t, spec.Root)
	// The nested container's root, inside the host container's.
	runtimetest.MinimalRoot(t, filepath.Join(spec.Root, nestedRoot))

	ctx, cancel := context.WithCancel(context.Background())
	ready := make(chan int, 1)
	done := make(chan error, 1)
	go func() {
		done <- (&runtime.Supervisor{Spec: spec, Ready: func(l int) { ready <- l }}).Run(ctx)
	}()
	t.Cleanup(func() {
		cancel()
		select {
		case <-done:
		case <-time.After(time.Minute):
			t.Error("host container did not stop")
		}
	})
	var leader int
	select {
	case leader = <-ready:
	case err := <-done:
		done <- err
		t.Fatalf("host container: %v", err)
	case <-time.After(time.Minute):
		t.Fatal("host container not ready")
	}

	cmd := exec.Command("/usr/bin/nsenter", "-t", strconv.Itoa(leader), "-m", "-u", "-i", "-n", "-p", "--",
		filepath.Join(testBinDir, filepath.Base(exe)), "-test.run=^TestSystemdBackendInside", "-test.v", "-test.count=1")
	cmd.Env = []string{insideEnv + "=1", "PATH=/usr/sbin:/usr/bin:/sbin:/bin"}
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	err = cmd.Run()
	t.Logf("inside the host container:\n%s", out.String())
	if err != nil {
		t.Fatalf("systemd backend test inside the host container failed: %v", err)
	}
	for _, inner := range []string{"TestSystemdBackendInside", "TestSystemdBackendInsideNested"} {
		if !strings.Contains(out.String(), "--- PASS: "+inner+" ") {
			t.Errorf("%s did not pass inside", inner)
		}
	}
}

// TestSystemdBackendInside runs only inside the host container.
func TestSystemdBackendInside(t *testing.T) {
	if os.Getenv(insideEnv) == "" {
		t.Skip("runs inside TestSystemdBackend's host container")
	}
	b, err := host.ByName("systemd")
	if err != nil {
		t.Fatal(err)
	}
	if host.Detect().Name() != "systemd" {
		t.Error("Detect does not pick systemd where it is PID 1")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	exe, _ := os.Executable()
	u := host.Unit{
		Container: "inner_1",
		Argv:      []string{exe, "-test.run=^$"},
		Env:       []string{roleEnv + "=notify"},
		LogFile:   "/var/log/nixcsh/inner_1.log",
		RunDir:    "/run/nixcsh/inner_1",
	}
	if err := b.Start(ctx, u); err != nil {
		t.Fatal(err)
	}
	pid, active, err := b.Active(u)
	if err != nil || !active || pid <= 0 {
		t.Fatalf("Active = %d %v %v", pid, active, err)
	}
	status, _ := exec.Command("systemctl", "status", "--no-pager", host.UnitName(u.Container)).CombinedOutput()
	t.Logf("systemctl status:\n%s", status)
	if !strings.Contains(string(status), "active (running)") || !strings.Contains(string(status), strconv.Itoa(pid)) {
		t.Errorf("systemctl status:\n%s", status)
	}
	if err := b.Start(ctx, u); fault.KindOf(err) != fault.Busy {
		t.Errorf("second Start = %v, want Busy", err)
	}
	if err := b.Stop(ctx, u); err != nil {
		t.Fatal(err)
	}
	if _, active, _ := b.Active(u); active {
		t.Error("active after Stop")
	}
	if log, _ := os.ReadFile(u.LogFile); !strings.Contains(string(log), "SIGTERM, exiting") {
		t.Errorf("log lacks the supervisor's output: %q", log)
	}
	// A start cancelled before READY stops the unit it began.
	u.Env = []string{roleEnv + "=hang"}
	hangCtx, hangCancel := context.WithTimeout(ctx, time.Second)
	err = b.Start(hangCtx, u)
	hangCancel()
	if err == nil || !strings.Contains(err.Error(), "cancelled") {
		t.Errorf("cancelled Start = %v", err)
	}
	if _, active, _ := b.Active(u); active {
		t.Error("active after a cancelled start")
	}
	state, _ := exec.Command("systemctl", "is-active", host.UnitName(u.Container)).Output()
	if strings.TrimSpace(string(state)) != "inactive" {
		t.Errorf("after a cancelled start the unit is %q", state)
	}
	// A supervisor that fails before READY: the error holds its log tail.
	u.Env = []string{roleEnv + "=fail"}
	err = b.Start(ctx, u)
	if err == nil || !strings.Contains(err.Error(), "the stand-in always fails") {
		t.Errorf("failing Start = %v", err)
	}
	if err := b.Stop(ctx, u); err != nil {
		t.Errorf("Stop of a failed unit = %v", err)
	}
}

// nestedRoot is where the host container holds the nested container's root.
const nestedRoot = "var/lib/containers/nested"

// TestSystemdBackendInsideNested runs a real supervisor (nspawn inside the
// host container) as container@nested.service: READY=1 travels from the
// nested systemd through nspawn and the supervisor to the host's systemd.
func TestSystemdBackendInsideNested(t *testing.T) {
	if os.Getenv(insideEnv) == "" {
		t.Skip("runs inside TestSystemdBackend's host container")
	}
	b := host.NewSystemd()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	exe, _ := os.Executable()
	spec := runtime.Spec{Name: "nested", Root: "/" + nestedRoot, LogFile: "/var/log/nixcsh/nested.log", RunDir: "/run/nixcsh/nested"}
	js, _ := json.Marshal(spec)
	u := host.Unit{
		Container: "nested",
		Argv:      []string{exe, "-test.run=^$"},
		Env:       []string{roleEnv + "=supervisor", "NIXCSH_HOST_TEST_SPEC=" + string(js)},
		LogFile:   spec.LogFile,
		RunDir:    spec.RunDir,
	}
	if err := b.Start(ctx, u); err != nil {
		t.Fatal(err)
	}
	defer b.Stop(context.Background(), u)
	st, running, err := runtime.ReadState(spec.RunDir)
	if err != nil || !running || !st.Ready {
		t.Fatalf("nested state %+v %v %v", st, running, err)
	}
	var out bytes.Buffer
	code, err := runtime.Exec(ctx, st.Leader, []string{"cat", "/proc/1/comm"}, nil, &out, &out, false)
	if err != nil || code != 0 || out.String() != "systemd\n" {
		t.Errorf("exec in nested: %d %v %q", code, err, out.String())
	}
	status, _ := exec.Command("systemctl", "status", "--no-pager", host.UnitName(u.Container)).CombinedOutput()
	t.Logf("systemctl status:\n%s", status)
	if err := b.Stop(ctx, u); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(spec.RunDir); !os.IsNotExist(err) {
		t.Error("nested RunDir left behind")
	}
}
