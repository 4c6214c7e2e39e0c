package host

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"time"

	"github.com/nixcsh/nixcsh/core/fault"
	"github.com/nixcsh/nixcsh/core/runtime/procfs"
	"github.com/nixcsh/nixcsh/core/runtime/sdnotify"
)

// Process runs each supervisor as a detached process: its own session
// (setsid), stdin from /dev/null, stdout and stderr to the log, so that it
// outlives the command that started it. Its pid and start time are kept in
// RUNDIR/supervisor.json, which only counts while that very process lives.
type Process struct {
	// KillTimeout bounds Stop's wait after SIGTERM before SIGKILL: the
	// supervisor's own stop timeout plus its clean-up. Default 30s.
	KillTimeout time.Duration
}

// NewProcess is the process backend.
func NewProcess() *Process { return &Process{} }

func (*Process) Name() string { return "process" }

const (
	pidFileName    = "supervisor.json"
	notifyFileName = "supervisor.notify"
	logTailLines   = 15
)

type pidFile struct {
	Pid   int
	Start uint64
}

func (p *Process) killTimeout() time.Duration {
	if p.KillTimeout > 0 {
		return p.KillTimeout
	}
	return 30 * time.Second
}

// Active reads the pid file and checks it against /proc; a stale one is removed.
func (p *Process) Active(u Unit) (int, bool, error) {
	path := filepath.Join(u.RunDir, pidFileName)
	b, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return 0, false, nil
	}
	if err != nil {
		return 0, false, fault.Errorf(fault.Failed, "container '%s': cannot read %s: %w", u.Container, path, err)
	}
	var f pidFile
	if json.Unmarshal(b, &f) != nil || !procfs.Same(f.Pid, f.Start) {
		os.Remove(path)
		os.Remove(u.RunDir) // only if empty
		return 0, false, nil
	}
	return f.Pid, true, nil
}

// Start launches the supervisor and waits for its READY=1.
func (p *Process) Start(ctx context.Context, u Unit) error {
	argv, err := resolveArgv(u)
	if err != nil {
		return err
	}
	u.Argv = argv
	if pid, active, err := p.Active(u); err != nil {
		return err
	} else if active {
		return fault.Errorf(fault.Busy, "container '%s' is already running (supervisor pid %d)", u.Container, pid)
	}
	fail := func(err error) error {
		return &fault.StartError{Container: u.Container, Err: err}
	}
	if err := os.MkdirAll(u.RunDir, 0o755); err != nil {
		return fail(err)
	}
	if err := os.MkdirAll(filepath.Dir(u.LogFile), 0o755); err != nil {
		return fail(err)
	}
	log, err := os.OpenFile(u.LogFile, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o640)
	if err != nil {
		return fail(err)
	}
	defer log.Close()
	logStart := procfs.Size(u.LogFile)
	nl, err := sdnotify.Listen(filepath.Join(u.RunDir, notifyFileName))
	if err != nil {
		return fail(err)
	}
	defer nl.Close()

	cmd := exec.Command(u.Argv[0], u.Argv[1:]...)
	cmd.Env = withNotifySocket(u.Env, nl.Addr)
	cmd.Stdout, cmd.Stderr = log, log
	cmd.Dir = "/"
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
	if err := cmd.Start(); err != nil {
		return fail(err)
	}
	pid := cmd.Process.Pid
	// Reap the supervisor whenever it exits while this process still runs
	// (a REPL); after this process exits, init inherits it.
	exited := make(chan struct{})
	go func() { cmd.Wait(); close(exited) }()
	if err := writePidFile(u.RunDir, pid); err != nil {
		cmd.Process.Kill()
		<-exited
		return fail(err)
	}

	msgs := nl.Msgs
	for {
		select {
		case msg, ok := <-msgs:
			if !ok {
				msgs = nil
				continue
			}
			if msg["READY"] == "1" {
				return nil
			}
		case <-exited:
			os.Remove(filepath.Join(u.RunDir, pidFileName))
			os.Remove(u.RunDir)
			return fail(&fault.LogTailError{Msg: "its supervisor " + exitText(cmd.ProcessState),
				Log: u.LogFile, Tail: procfs.LogTail(u.LogFile, logStart, logTailLines)})
		case <-ctx.Done():
			p.stopPid(context.WithoutCancel(ctx), pid)
			<-exited
			os.Remove(filepath.Join(u.RunDir, pidFileName))
			os.Remove(u.RunDir)
			return fault.Errorf(fault.Failed, "start of container '%s' cancelled: %w", u.Container, ctx.Err())
		}
	}
}

func exitText(ps *os.ProcessState) string {
	if ps == nil {
		return "exited"
	}
	if ws, ok := ps.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
		return fmt.Sprintf("was killed by signal %s", ws.Signal())
	}
	if ps.ExitCode() == 0 {
		// A supervisor ends cleanly before READY=1 only when it was told to
		// stop (stop or terminate while the container was booting).
		return "was stopped before the container was ready"
	}
	return fmt.Sprintf("exited with status %d before the container was ready", ps.ExitCode())
}

func writePidFile(runDir string, pid int) error {
	st, err := procfs.StartTime(pid)
	if err != nil {
		return err
	}
	b, _ := json.Marshal(pidFile{Pid: pid, Start: st})
	tmp := filepath.Join(runDir, "."+pidFileName+".tmp")
	if err := os.WriteFile(tmp, b, 0o644); err != nil {
		return err
	}
	return os.Rename(tmp, filepath.Join(runDir, pidFileName))
}

// Stop sends SIGTERM and waits until the supervisor is gone.
func (p *Process) Stop(ctx context.Context, u Unit) error {
	pid, active, err := p.Active(u)
	if err != nil || !active {
		return err
	}
	if err := p.stopPid(ctx, pid); err != nil {
		return fault.Errorf(fault.Failed, "container '%s': supervisor (pid %d) did not stop: %w", u.Container, pid, err)
	}
	os.Remove(filepath.Join(u.RunDir, pidFileName))
	os.Remove(u.RunDir)
	return nil
}

// stopPid: SIGTERM, wait; SIGKILL after KillTimeout (a hung supervisor).
func (p *Process) stopPid(ctx context.Context, pid int) error {
	syscall.Kill(pid, syscall.SIGTERM)
	wctx, cancel := context.WithTimeout(ctx, p.killTimeout())
	defer cancel()
	err := procfs.WaitGone(wctx, pid)
	if err == nil || ctx.Err() != nil {
		return err
	}
	syscall.Kill(pid, syscall.SIGKILL)
	return procfs.WaitGone(ctx, pid)
}
