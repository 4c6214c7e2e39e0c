package runtime

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/nixcsh/nixcsh/core/fault"
	"github.com/nixcsh/nixcsh/core/runtime/procfs"
	"github.com/nixcsh/nixcsh/core/runtime/sdnotify"
)

// Signals and exit codes of the nspawn/systemd protocol.
const (
	sigRTMin      = 34                           // the kernel's SIGRTMIN as glibc and systemd count it
	sigPoweroff   = syscall.Signal(sigRTMin + 3) // SIGRTMIN+3: systemd's "halt/poweroff now, cleanly"
	exitReboot    = 133                          // nspawn's exit status when the container rebooted
	logTailLines  = 15
	signalRecheck = 10 * time.Millisecond // see signalWhenAccepted
)

// Supervisor runs one container until it is stopped: the body of the
// per-container supervisor process (container@NAME.service, or the detached
// process of the process host backend).
type Supervisor struct {
	Spec Spec
	// BeforeBoot runs before every (re)boot: activation and network setup.
	// It may change the spec it is given (NetNSPath) for that boot.
	BeforeBoot func(ctx context.Context, s *Spec) error
	// AfterExit runs after every boot attempt, once nspawn has exited (and
	// also when BeforeBoot failed, so teardown must be idempotent).
	AfterExit func(s Spec)
	// Stopping runs once when a stop of a running boot begins, right after
	// the poweroff signal went out (or was scheduled), while the container
	// shuts down: the network lets go of the namespace here so that the
	// kernel removes the container's link together with its last process.
	Stopping func(s Spec)
	// Leader runs once a boot's leader (the container's init) is known, before
	// READY=1 is taken: the network of a container with private users is
	// set up here, in the namespace nspawn made. An error stops that boot.
	Leader func(ctx context.Context, s Spec, leader int) error
	// Ready runs when READY=1 arrived (multi-user.target reached), on every
	// boot, reboots included.
	Ready func(leader int)
	// Progress receives the container's STATUS= lines while it boots.
	Progress func(status string)
}

// bootResult is how one nspawn run ended.
type bootResult struct {
	exitCode int
	ready    bool
	stopped  bool   // we stopped it (ctx, SIGTERM) or it was terminated
	logTail  string // the console log's last lines of this boot
}

// Run boots the container and supervises it until it is down. A stop is a
// cancel of ctx or SIGTERM to this process: SIGRTMIN+3 to the container's
// init, SIGKILL after StopTimeout, then everything is removed and Run returns
// nil. nspawn's exit status 133 (reboot) boots again. A boot that fails
// before READY=1 returns an error holding the tail of the console log. A
// container powered off from inside returns nil.
func (s *Supervisor) Run(ctx context.Context) error {
	spec := s.Spec
	if spec.Name == "" || spec.Root == "" || spec.RunDir == "" || spec.LogFile == "" {
		return fault.Errorf(fault.Invalid, "container supervisor: Name, Root, RunDir and LogFile must all be set")
	}
	if _, err := os.Stat(NspawnPath); err != nil {
		return fault.Errorf(fault.Failed, "cannot start container '%s': %s is missing: install the Debian package systemd-container", spec.Name, NspawnPath)
	}
	if err := os.MkdirAll(spec.RunDir, 0o755); err != nil {
		return fault.Errorf(fault.Failed, "cannot start container '%s': %w", spec.Name, err)
	}
	// One supervisor per container: the lock is held for the whole run, so
	// a second one (even in this process) neither boots nor touches the
	// first one's RunDir.
	lock, err := os.OpenFile(filepath.Join(spec.RunDir, lockFileName), os.O_RDWR|os.O_CREATE, 0o644)
	if err != nil {
		return fault.Errorf(fault.Failed, "cannot start container '%s': %w", spec.Name, err)
	}
	defer lock.Close()
	if err := syscall.Flock(int(lock.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		return fault.Errorf(fault.Busy, "container '%s' is already running: another supervisor holds %s", spec.Name, lock.Name())
	}
	defer os.RemoveAll(spec.RunDir)
	os.Remove(filepath.Join(spec.RunDir, terminateFileName)) // a stale marker would swallow a crash
	if err := os.MkdirAll(filepath.Dir(spec.LogFile), 0o755); err != nil {
		return fault.Errorf(fault.Failed, "cannot start container '%s': %w", spec.Name, err)
	}
	log, err := os.OpenFile(spec.LogFile, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o640)
	if err != nil {
		return fault.Errorf(fault.Failed, "cannot start container '%s': cannot open its log: %w", spec.Name, err)
	}
	defer log.Close()

	// SIGTERM is how both host backends stop a supervisor.
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	term := make(chan os.Signal, 1)
	signal.Notify(term, syscall.SIGTERM)
	defer signal.Stop(term)
	go func() {
		select {
		case <-term:
			cancel()
		case <-ctx.Done():
		}
	}()

	for {
		if ctx.Err() != nil {
			return nil
		}
		bootSpec := spec
		var res bootResult
		if s.BeforeBoot != nil {
			err = s.BeforeBoot(ctx, &bootSpec)
		}
		if err == nil {
			res, err = s.boot(ctx, bootSpec, log)
			bootSpec.removeEphemeralLeftovers()
		}
		if s.AfterExit != nil {
			s.AfterExit(bootSpec)
		}
		switch {
		case res.stopped || (err != nil && ctx.Err() != nil):
			fmt.Fprintf(log, "nixcsh: container %s stopped\n", spec.Name)
			return nil
		case err != nil:
			return err
		case res.exitCode == exitReboot:
			fmt.Fprintf(log, "nixcsh: container %s rebooted; booting again\n", spec.Name)
			continue
		case !res.ready:
			return &fault.LogTailError{
				Msg: fmt.Sprintf("container '%s' failed to boot: systemd-nspawn exited with status %d before the container was ready", spec.Name, res.exitCode),
				Log: spec.LogFile, Tail: res.logTail}
		case res.exitCode == 0:
			fmt.Fprintf(log, "nixcsh: container %s powered off\n", spec.Name)
			return nil
		default:
			return &fault.LogTailError{
				Msg: fmt.Sprintf("container '%s' stopped unexpectedly: systemd-nspawn exited with status %d", spec.Name, res.exitCode),
				Log: spec.LogFile, Tail: res.logTail}
		}
	}
}

// gateScript holds the child until the supervisor has moved it into the
// container's cgroups, then becomes systemd-nspawn. Go cannot run code
// between fork and exec, and clone3's CLONE_INTO_CGROUP covers only the
// unified hierarchy, not the v1 ones of a hybrid host.
const gateScript = `read _ <&3; exec 3<&-; exec "$@"`

// boot runs nspawn once, until it exits.
func (s *Supervisor) boot(ctx context.Context, spec Spec, log *os.File) (res bootResult, err error) {
	machine := MachineName(spec.Name)
	logStart, _ := log.Seek(0, io.SeekEnd)
	defer func() {
		if !res.stopped {
			res.logTail = procfs.LogTail(spec.LogFile, logStart, logTailLines)
		}
	}()
	fail := func(err error) (bootResult, error) {
		return bootResult{}, fault.Errorf(fault.Failed, "cannot start container '%s': %w", spec.Name, err)
	}

	cg, err := newCgroupSet(machine)
	if err != nil {
		return fail(err)
	}
	defer func() {
		if rerr := cg.remove(context.WithoutCancel(ctx)); rerr != nil {
			fmt.Fprintf(log, "nixcsh: %v\n", rerr)
		}
	}()
	warnings, err := cg.limit(spec.Limits)
	for _, w := range warnings {
		fmt.Fprintf(log, "nixcsh: warning: %s\n", w)
	}
	if err != nil {
		return fail(err)
	}
	nl, err := sdnotify.Listen(filepath.Join(spec.RunDir, notifyFileName))
	if err != nil {
		return fail(err)
	}
	defer nl.Close()

	gateR, gateW, err := os.Pipe()
	if err != nil {
		return fail(err)
	}
	defer gateW.Close()
	args := Args(spec)
	cmd := exec.Command("/bin/sh", append([]string{"-c", gateScript, "nixcsh-nspawn-gate"}, args...)...)
	cmd.Env = append(envWithout(os.Environ(), "NOTIFY_SOCKET", "LISTEN_FDS", "LISTEN_PID", "LISTEN_FDNAMES", "WATCHDOG_PID", "WATCHDOG_USEC"),
		"NOTIFY_SOCKET="+nl.Addr)
	cmd.Stdout, cmd.Stderr = log, log
	cmd.ExtraFiles = []*os.File{gateR}
	// If the supervisor dies, nspawn gets SIGTERM and powers the container
	// off cleanly (it forwards --kill-signal to the container's init).
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGTERM}
	fmt.Fprintf(log, "nixcsh: booting container %s: %s\n", spec.Name, strings.Join(args, " "))
	started := time.Now()
	if err := cmd.Start(); err != nil {
		gateR.Close()
		return fail(err)
	}
	gateR.Close()
	exited := make(chan struct{})
	go func() { cmd.Wait(); close(exited) }()
	if err := cg.add(cmd.Process.Pid); err != nil {
		cmd.Process.Kill()
		<-exited
		return fail(err)
	}
	gateW.Close() // nspawn may start now

	st := State{Supervisor: os.Getpid(), Started: started, Machine: machine, Cgroups: cg.dirs}
	var (
		leaderErr error // the Leader hook failed: this boot is being killed
		stopping  bool
		signalled bool
		killTimer <-chan time.Time
		recheck   <-chan time.Time
		msgs      = nl.Msgs
	)
	// signalWhenAccepted sends SIGRTMIN+3 once the leader can take it. The
	// init of a pid namespace drops signals it neither handles nor blocks,
	// so a poweroff sent while nspawn's child is still setting up, or before
	// systemd has blocked the signal for its signalfd, would be lost: wait
	// until /proc shows the signal blocked or caught (there is no event for
	// that), then send it once.
	signalWhenAccepted := func() {
		recheck = nil
		if signalled || st.Leader == 0 {
			return
		}
		if signalAccepted(st.Leader, sigPoweroff) {
			syscall.Kill(st.Leader, sigPoweroff)
			signalled = true
			return
		}
		recheck = time.After(signalRecheck)
	}
	done := ctx.Done()
	for {
		select {
		case msg, ok := <-msgs:
			if !ok {
				msgs = nil
				continue
			}
			if v, ok := msg["X_NSPAWN_LEADER_PID"]; ok {
				if pid, err := strconv.Atoi(v); err == nil && pid > 0 {
					st.Leader = pid
					if err := writeState(spec.RunDir, st); err != nil {
						fmt.Fprintf(log, "nixcsh: cannot write state: %v\n", err)
					}
					if s.Leader != nil && !stopping && leaderErr == nil {
						if leaderErr = s.Leader(ctx, spec, pid); leaderErr != nil {
							fmt.Fprintf(log, "nixcsh: %v\n", leaderErr)
							syscall.Kill(pid, syscall.SIGKILL)
							cmd.Process.Kill()
						}
					}
					if stopping {
						signalWhenAccepted()
					}
				}
			}
			if v, ok := msg["STATUS"]; ok && s.Progress != nil && !res.ready {
				s.Progress(v)
			}
			if msg["READY"] == "1" && !res.ready && !stopping {
				res.ready = true
				st.Ready = true
				if err := writeState(spec.RunDir, st); err != nil {
					fmt.Fprintf(log, "nixcsh: cannot write state: %v\n", err)
				}
				fmt.Fprintf(log, "nixcsh: container %s is ready (leader %d, %.3fs)\n", spec.Name, st.Leader, time.Since(started).Seconds())
				if s.Ready != nil {
					s.Ready(st.Leader)
				}
			}
		case <-done:
			done = nil
			stopping = true
			fmt.Fprintf(log, "nixcsh: stopping container %s\n", spec.Name)
			killTimer = time.After(spec.stopTimeout())
			signalWhenAccepted()
			if s.Stopping != nil {
				s.Stopping(spec)
			}
		case <-recheck:
			signalWhenAccepted()
		case <-killTimer:
			fmt.Fprintf(log, "nixcsh: container %s did not power off within %s; killing it\n", spec.Name, spec.stopTimeout())
			if st.Leader > 0 {
				syscall.Kill(st.Leader, syscall.SIGKILL)
			}
			cmd.Process.Kill()
			killTimer = nil
		case <-exited:
			os.Remove(filepath.Join(spec.RunDir, stateFileName))
			if leaderErr != nil {
				return res, fault.Errorf(fault.Failed, "cannot start container '%s': %w", spec.Name, leaderErr)
			}
			res.exitCode = cmd.ProcessState.ExitCode()
			res.stopped = stopping
			if _, err := os.Stat(filepath.Join(spec.RunDir, terminateFileName)); err == nil {
				os.Remove(filepath.Join(spec.RunDir, terminateFileName))
				res.stopped = true
			}
			return res, nil
		}
	}
}

// signalAccepted reports whether pid blocks or catches sig, per /proc.
func signalAccepted(pid int, sig syscall.Signal) bool {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return false
	}
	bit := uint64(1) << (uint(sig) - 1)
	for _, line := range bytes.Split(b, []byte("\n")) {
		k, v, ok := bytes.Cut(line, []byte(":"))
		if !ok || (string(k) != "SigBlk" && string(k) != "SigCgt") {
			continue
		}
		mask, err := strconv.ParseUint(string(bytes.TrimSpace(v)), 16, 64)
		if err == nil && mask&bit != 0 {
			return true
		}
	}
	return false
}

// envWithout is env minus the named variables.
func envWithout(env []string, names ...string) []string {
	out := env[:0:0]
next:
	for _, kv := range env {
		for _, n := range names {
			if strings.HasPrefix(kv, n+"=") {
				continue next
			}
		}
		out = append(out, kv)
	}
	return out
}
