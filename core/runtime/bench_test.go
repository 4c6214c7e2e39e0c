package runtime

// Benchmarks of the runtime against the raw tools it drives, in one run so
// that scripts/bench.sh can report ratios: BenchmarkBootRaw/BenchmarkBoot
// (to READY=1), BenchmarkExecRaw/BenchmarkExec (a `true` inside),
// BenchmarkStopRaw/BenchmarkStop (poweroff until everything is gone).

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"syscall"
	"testing"
	"time"

	"github.com/nixcsh/nixcsh/core/runtime/sdnotify"
)

const benchDeadline = time.Minute

// benchSpec is a minimal bootable root (see runtimetest; duplicated in its
// essentials here because runtimetest imports this package).
func benchSpec(b *testing.B) Spec { return benchSpecFor(b) }

func benchSpecFor(b testing.TB) Spec {
	b.Helper()
	if os.Geteuid() != 0 {
		b.Skip("needs root: boots real containers with systemd-nspawn")
	}
	if _, err := os.Stat(NspawnPath); err != nil {
		b.Skip("needs systemd-nspawn (Debian package systemd-container)")
	}
	dir := b.TempDir()
	name := "bench-" + strconv.Itoa(os.Getpid()%100000)
	root := filepath.Join(dir, "root")
	if err := PrepareRoot(root); err != nil {
		b.Fatal(err)
	}
	for p, c := range map[string]string{
		"etc/passwd":     "root:x:0:0:root:/root:/bin/sh\n",
		"etc/group":      "root:x:0:\n",
		"etc/shadow":     "root:*:19000:0:99999:7:::\n",
		"etc/pam.d/su":   "auth sufficient pam_rootok.so\naccount required pam_permit.so\nsession required pam_permit.so\n",
		"etc/pam.d/su-l": "auth include su\naccount include su\nsession include su\n",
	} {
		os.MkdirAll(filepath.Join(root, filepath.Dir(p)), 0o755)
		if err := os.WriteFile(filepath.Join(root, p), []byte(c), 0o644); err != nil {
			b.Fatal(err)
		}
	}
	os.MkdirAll(filepath.Join(root, "etc/systemd/system"), 0o755)
	os.Symlink("/usr/lib/systemd/system/multi-user.target", filepath.Join(root, "etc/systemd/system/default.target"))
	return Spec{Name: name, Root: root, LogFile: filepath.Join(dir, "log"), RunDir: filepath.Join(dir, "run")}
}

// rawBoot is systemd-nspawn by hand, as one would run it: NOTIFY_SOCKET
// of ours, wait for READY=1. It runs in a cgroup of its own (made outside
// the timed part) so that nspawn's payload/ does not land in ours.
type rawBoot struct {
	cmd    *exec.Cmd
	leader int
	cg     *cgroupSet
	nl     *sdnotify.Listener
	exited chan struct{}
}

// prepareRaw makes the cgroup and the notify socket (not timed).
func prepareRaw(b *testing.B, spec Spec) *rawBoot {
	cg, err := newCgroupSet(MachineName(spec.Name))
	if err != nil {
		b.Fatal(err)
	}
	nl, err := sdnotify.Listen(filepath.Join(b.TempDir(), "notify"))
	if err != nil {
		b.Fatal(err)
	}
	r := &rawBoot{cg: cg, nl: nl, exited: make(chan struct{})}
	r.cmd = exec.Command(NspawnPath, Args(spec)[1:]...)
	r.cmd.Env = append(os.Environ(), "NOTIFY_SOCKET="+nl.Addr)
	log, err := os.OpenFile(spec.LogFile, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o644)
	if err != nil {
		b.Fatal(err)
	}
	r.cmd.Stdout, r.cmd.Stderr = log, log
	return r
}

// boot starts nspawn directly into the unified cgroup and waits for READY=1.
func (r *rawBoot) boot(b *testing.B) {
	cgfd, err := syscall.Open(r.cg.unified, syscall.O_DIRECTORY|syscall.O_RDONLY, 0)
	if err != nil {
		b.Fatal(err)
	}
	defer syscall.Close(cgfd)
	r.cmd.SysProcAttr = &syscall.SysProcAttr{UseCgroupFD: true, CgroupFD: cgfd}
	if err := r.cmd.Start(); err != nil {
		b.Fatal(err)
	}
	go func() { r.cmd.Wait(); close(r.exited) }()
	timeout := time.After(benchDeadline)
	for {
		select {
		case msg := <-r.nl.Msgs:
			if v, ok := msg["X_NSPAWN_LEADER_PID"]; ok {
				r.leader, _ = strconv.Atoi(v)
			}
			if msg["READY"] == "1" {
				return
			}
		case <-r.exited:
			b.Fatal("raw nspawn exited before READY")
		case <-timeout:
			b.Fatal("raw nspawn not ready in time")
		}
	}
}

// stop: SIGRTMIN+3 to the leader (systemd's clean poweroff), wait for nspawn.
func (r *rawBoot) stop(b *testing.B) {
	syscall.Kill(r.leader, sigPoweroff)
	select {
	case <-r.exited:
	case <-time.After(benchDeadline):
		b.Fatal("raw nspawn did not exit")
	}
}

// cleanup is not timed: raw nspawn needs none, the cgroup was ours.
func (r *rawBoot) cleanup() {
	r.nl.Close()
	r.cmd.Stdout.(*os.File).Close()
	r.cg.remove(context.Background())
}

type supBoot struct {
	cancel context.CancelFunc
	done   chan error
	leader int
}

func startSupervisor(b *testing.B, spec Spec) *supBoot { return startSupervisorT(b, spec) }

func startSupervisorT(b testing.TB, spec Spec) *supBoot {
	ctx, cancel := context.WithCancel(context.Background())
	s := &supBoot{cancel: cancel, done: make(chan error, 1)}
	ready := make(chan int, 1)
	sup := &Supervisor{Spec: spec, Ready: func(l int) { ready <- l }}
	go func() { s.done <- sup.Run(ctx) }()
	select {
	case s.leader = <-ready:
	case err := <-s.done:
		b.Fatalf("supervisor returned before READY: %v", err)
	case <-time.After(benchDeadline):
		b.Fatal("supervisor not ready in time")
	}
	return s
}

func (s *supBoot) stop(b *testing.B) {
	s.cancel()
	select {
	case err := <-s.done:
		if err != nil {
			b.Fatal(err)
		}
	case <-time.After(benchDeadline):
		b.Fatal("supervisor did not return")
	}
}

func BenchmarkBootRaw(b *testing.B) {
	spec := benchSpec(b)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		r := prepareRaw(b, spec)
		b.StartTimer()
		r.boot(b)
		b.StopTimer()
		r.stop(b)
		r.cleanup()
		b.StartTimer()
	}
}

func BenchmarkBoot(b *testing.B) {
	spec := benchSpec(b)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		s := startSupervisor(b, spec)
		b.StopTimer()
		s.stop(b)
		b.StartTimer()
	}
}

func BenchmarkStopRaw(b *testing.B) {
	spec := benchSpec(b)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		r := prepareRaw(b, spec)
		r.boot(b)
		b.StartTimer()
		r.stop(b)
		b.StopTimer()
		r.cleanup()
		b.StartTimer()
	}
}

func BenchmarkStop(b *testing.B) {
	spec := benchSpec(b)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		s := startSupervisor(b, spec)
		b.StartTimer()
		s.stop(b)
	}
}

func BenchmarkExecRaw(b *testing.B) {
	spec := benchSpec(b)
	s := startSupervisor(b, spec)
	defer s.stop(b)
	args := []string{"-t", strconv.Itoa(s.leader), "-m", "-u", "-i", "-n", "-p", "--", "true"}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if err := exec.Command(NsenterPath, args...).Run(); err != nil {
			b.Fatal(err)
		}
	}
	b.StopTimer()
}

func BenchmarkExec(b *testing.B) {
	spec := benchSpec(b)
	s := startSupervisor(b, spec)
	defer s.stop(b)
	ctx := context.Background()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if code, err := Exec(ctx, s.leader, []string{"true"}, nil, nil, nil, false); err != nil || code != 0 {
			b.Fatalf("Exec: %d %v", code, err)
		}
	}
	b.StopTimer()
}
