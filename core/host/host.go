// Package host is where container supervisors run: as systemd units
// (container@NAME.service, over D-Bus) where systemd is PID 1, else as
// detached processes in their own session. Both backends speak the
// sd_notify protocol with the supervisor, so the supervisor's code is the
// same in both: it calls daemon.SdNotify(READY=1) when its container is up.
package host

import (
	"context"
	"os"
	"strings"

	"github.com/nixcsh/nixcsh/core/fault"
)

// Unit is one supervisor to run.
type Unit struct {
	Container string   // container name
	Argv      []string // the supervisor command; argv[0] must be an absolute path
	Env       []string // its environment (nil: the caller's)
	LogFile   string   // its stdout/stderr (appended); the console log
	RunDir    string   // the container's runtime dir (the process backend keeps its pid file here)
}

// Backend starts, stops and watches supervisors.
type Backend interface {
	// Name is "process" or "systemd".
	Name() string
	// Start returns once the supervisor reported READY=1, or with its
	// error: its exit status and the last lines of LogFile. A cancelled ctx
	// stops what was begun.
	Start(ctx context.Context, u Unit) error
	// Stop sends SIGTERM to the supervisor (which powers the container off
	// cleanly) and waits until it is gone. Stopping a stopped unit is fine.
	Stop(ctx context.Context, u Unit) error
	// Active reports the supervisor's pid and whether it runs.
	Active(u Unit) (pid int, active bool, err error)
}

// Detect picks systemd when it is PID 1 (/run/systemd/system exists and
// /proc/1/comm is systemd), else detached processes.
func Detect() Backend {
	if systemdIsPID1() {
		return NewSystemd()
	}
	return NewProcess()
}

func systemdIsPID1() bool {
	if _, err := os.Stat("/run/systemd/system"); err != nil {
		return false
	}
	comm, err := os.ReadFile("/proc/1/comm")
	return err == nil && strings.TrimSpace(string(comm)) == "systemd"
}

// ByName is the backend for --backend process|systemd.
func ByName(name string) (Backend, error) {
	switch name {
	case "process":
		return NewProcess(), nil
	case "systemd":
		if !systemdIsPID1() {
			return nil, fault.Errorf(fault.Invalid, "--backend systemd: systemd is not PID 1 on this host; use --backend process")
		}
		return NewSystemd(), nil
	case "", "auto":
		return Detect(), nil
	}
	return nil, fault.Errorf(fault.Invalid, "unknown backend '%s': use process or systemd", name)
}

// withNotifySocket is env (or the caller's) with NOTIFY_SOCKET set to addr.
func withNotifySocket(env []string, addr string) []string {
	if env == nil {
		env = os.Environ()
	}
	out := make([]string, 0, len(env)+1)
	for _, kv := range env {
		if !strings.HasPrefix(kv, "NOTIFY_SOCKET=") {
			out = append(out, kv)
		}
	}
	return append(out, "NOTIFY_SOCKET="+addr)
}

// resolveArgv reads "/proc/self/exe" as argv[0] to mean this very binary:
// systemd would exec its own /proc/self/exe, and a binary replaced on disk
// (an upgrade) is best named by its path. Other paths must be absolute.
func resolveArgv(u Unit) ([]string, error) {
	if len(u.Argv) == 0 {
		return nil, fault.Errorf(fault.Invalid, "container '%s': no supervisor command", u.Container)
	}
	argv := append([]string(nil), u.Argv...)
	if argv[0] == "/proc/self/exe" {
		exe, err := os.Executable()
		if err != nil {
			return nil, fault.Errorf(fault.Failed, "container '%s': cannot find this program's path: %w", u.Container, err)
		}
		argv[0] = exe
	}
	if !strings.HasPrefix(argv[0], "/") {
		return nil, fault.Errorf(fault.Invalid, "container '%s': supervisor command must start with an absolute path, got %q", u.Container, u.Argv)
	}
	return argv, nil
}
