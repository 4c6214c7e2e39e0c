package host

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	sdbus "github.com/coreos/go-systemd/v22/dbus"
	"github.com/coreos/go-systemd/v22/unit"

	"github.com/nixcsh/nixcsh/core/fault"
	"github.com/nixcsh/nixcsh/core/runtime/procfs"
)

// Systemd runs each supervisor as container@NAME.service, as NixOS does:
// a template unit (Type=notify, so that the start job completes on the
// supervisor's READY=1) plus a per-container drop-in holding its command,
// environment and log, started, stopped and queried over D-Bus. Then
// `systemctl status container@NAME` works as on NixOS.
type Systemd struct {
	// UnitDir receives the units: /run/systemd/system by default (gone at
	// reboot; AUTO_START would install into /etc/systemd/system).
	UnitDir string
	// StartTimeout and StopTimeout become TimeoutStartSec/TimeoutStopSec.
	StartTimeout, StopTimeout time.Duration
}

// NewSystemd is the systemd backend with its defaults.
func NewSystemd() *Systemd {
	return &Systemd{UnitDir: "/run/systemd/system", StartTimeout: 2 * time.Minute, StopTimeout: time.Minute}
}

func (*Systemd) Name() string { return "systemd" }

// UnitName is the unit of a container.
func UnitName(container string) string { return "container@" + container + ".service" }

const templateName = "container@.service"

// Template is container@.service: what every container's unit shares.
// KillMode=mixed: SIGTERM goes to the supervisor alone (it powers its
// container off cleanly), SIGKILL to everything left at the stop timeout.
// Delegate=yes: the supervisor makes its container's cgroup below the unit's.
func (s *Systemd) Template() []*unit.UnitOption {
	return []*unit.UnitOption{
		unit.NewUnitOption("Unit", "Description", "Container '%i' (nixcsh)"),
		unit.NewUnitOption("Service", "Type", "notify"),
		unit.NewUnitOption("Service", "NotifyAccess", "all"),
		unit.NewUnitOption("Service", "KillMode", "mixed"),
		unit.NewUnitOption("Service", "KillSignal", "SIGTERM"),
		unit.NewUnitOption("Service", "Delegate", "yes"),
		unit.NewUnitOption("Service", "TimeoutStartSec", seconds(s.StartTimeout)),
		unit.NewUnitOption("Service", "TimeoutStopSec", seconds(s.StopTimeout)),
		unit.NewUnitOption("Service", "Restart", "no"),
		unit.NewUnitOption("Install", "WantedBy", "machines.target"),
	}
}

// DropIn is the per-container part: the supervisor command, its
// environment, and its output appended to the container's log.
func DropIn(u Unit) []*unit.UnitOption {
	opts := []*unit.UnitOption{
		unit.NewUnitOption("Service", "ExecStart", execLine(u.Argv)),
		unit.NewUnitOption("Service", "StandardOutput", "append:"+u.LogFile),
		unit.NewUnitOption("Service", "StandardError", "append:"+u.LogFile),
		unit.NewUnitOption("Service", "WorkingDirectory", "/"),
	}
	for _, kv := range u.Env {
		if strings.HasPrefix(kv, "NOTIFY_SOCKET=") {
			continue // systemd sets it
		}
		opts = append(opts, unit.NewUnitOption("Service", "Environment", quoteWord(kv)))
	}
	return opts
}

func seconds(d time.Duration) string { return fmt.Sprintf("%ds", int(d.Seconds())) }

// execLine quotes argv for ExecStart: each word in double quotes, with
// systemd's specifiers (%) and variable expansion ($) escaped.
func execLine(argv []string) string {
	words := make([]string, len(argv))
	for i, a := range argv {
		words[i] = quoteWord(a)
	}
	return strings.Join(words, " ")
}

func quoteWord(s string) string {
	r := strings.NewReplacer(`\`, `\\`, `"`, `\"`, "%", "%%", "$", "$$", "\n", `\n`)
	return `"` + r.Replace(s) + `"`
}

// install writes the template and the drop-in if they differ from what is
// there, and reports whether systemd must reload.
func (s *Systemd) install(u Unit) (bool, error) {
	changed := false
	write := func(path string, opts []*unit.UnitOption) error {
		b, err := io.ReadAll(unit.Serialize(opts))
		if err != nil {
			return err
		}
		if old, err := os.ReadFile(path); err == nil && bytes.Equal(old, b) {
			return nil
		}
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			return err
		}
		tmp := path + ".tmp"
		if err := os.WriteFile(tmp, b, 0o644); err != nil {
			return err
		}
		changed = true
		return os.Rename(tmp, path)
	}
	if err := write(filepath.Join(s.UnitDir, templateName), s.Template()); err != nil {
		return false, err
	}
	err := write(filepath.Join(s.UnitDir, UnitName(u.Container)+".d", "nixcsh.conf"), DropIn(u))
	return changed, err
}

// connect opens the system bus. The connection must outlive ctx (godbus
// closes a connection when its context ends): a cancelled start still has
// to stop the unit it began over it. Each call carries ctx instead.
func (s *Systemd) connect(ctx context.Context, u Unit) (*sdbus.Conn, error) {
	conn, err := sdbus.NewWithContext(context.WithoutCancel(ctx))
	if err != nil {
		return nil, fault.Errorf(fault.Failed, "container '%s': cannot reach systemd over D-Bus: %w", u.Container, err)
	}
	return conn, nil
}

// Start installs the unit, starts it and waits for its job: with
// Type=notify the job is done when the supervisor sent READY=1.
func (s *Systemd) Start(ctx context.Context, u Unit) error {
	argv, err := resolveArgv(u)
	if err != nil {
		return err
	}
	u.Argv = argv
	fail := func(err error) error {
		return &fault.StartError{Container: u.Container, Err: err}
	}
	conn, err := s.connect(ctx, u)
	if err != nil {
		return err
	}
	defer conn.Close()
	name := UnitName(u.Container)
	if state, pid, err := unitState(ctx, conn, name); err == nil && (state == "active" || state == "activating" || state == "reloading") {
		return fault.Errorf(fault.Busy, "container '%s' is already running (%s is %s, pid %d)", u.Container, name, state, pid)
	}
	changed, err := s.install(u)
	if err != nil {
		return fail(err)
	}
	if changed {
		if err := conn.ReloadContext(ctx); err != nil {
			return fail(fmt.Errorf("systemctl daemon-reload: %w", err))
		}
	}
	conn.ResetFailedUnitContext(ctx, name) // a failed earlier run must not linger in status
	if err := os.MkdirAll(filepath.Dir(u.LogFile), 0o755); err != nil {
		return fail(err)
	}
	logStart := procfs.Size(u.LogFile)
	done := make(chan string, 1)
	if _, err := conn.StartUnitContext(ctx, name, "replace", done); err != nil {
		return fail(err)
	}
	select {
	case result := <-done:
		if result == "done" {
			return nil
		}
		return fail(&fault.LogTailError{Msg: name + " " + jobText(result),
			Log: u.LogFile, Tail: procfs.LogTail(u.LogFile, logStart, logTailLines)})
	case <-ctx.Done():
		// Stop what was begun; the stop job replaces the start job.
		s.stop(context.WithoutCancel(ctx), conn, name)
		return fault.Errorf(fault.Failed, "start of container '%s' cancelled: %w", u.Container, ctx.Err())
	}
}

func jobText(result string) string {
	switch result {
	case "timeout":
		return "did not become ready in time"
	case "canceled":
		return "start was cancelled"
	case "dependency":
		return "has a failed dependency"
	}
	return "failed (" + result + ")"
}

// Stop stops the unit and waits for the stop job.
func (s *Systemd) Stop(ctx context.Context, u Unit) error {
	conn, err := s.connect(ctx, u)
	if err != nil {
		return err
	}
	defer conn.Close()
	if err := s.stop(ctx, conn, UnitName(u.Container)); err != nil {
		return fault.Errorf(fault.Failed, "container '%s': %w", u.Container, err)
	}
	return nil
}

func (s *Systemd) stop(ctx context.Context, conn *sdbus.Conn, name string) error {
	done := make(chan string, 1)
	if _, err := conn.StopUnitContext(ctx, name, "replace", done); err != nil {
		if strings.Contains(err.Error(), "not loaded") {
			return nil // never started: nothing to stop
		}
		return err
	}
	select {
	case result := <-done:
		if result != "done" {
			return fmt.Errorf("stopping %s: %s", name, result)
		}
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// Active asks systemd for the unit's state and main pid. "activating"
// (booting) counts as not active, as nixos-container's status does.
func (s *Systemd) Active(u Unit) (int, bool, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	conn, err := s.connect(ctx, u)
	if err != nil {
		return 0, false, err
	}
	defer conn.Close()
	state, pid, err := unitState(ctx, conn, UnitName(u.Container))
	if err != nil {
		return 0, false, fault.Errorf(fault.Failed, "container '%s': %w", u.Container, err)
	}
	return pid, state == "active" || state == "reloading", nil
}

func unitState(ctx context.Context, conn *sdbus.Conn, name string) (string, int, error) {
	props, err := conn.GetUnitPropertiesContext(ctx, name)
	if err != nil {
		return "", 0, err
	}
	state, _ := props["ActiveState"].(string)
	var pid int
	if p, err := conn.GetServicePropertyContext(ctx, name, "MainPID"); err == nil {
		if v, ok := p.Value.Value().(uint32); ok {
			pid = int(v)
		}
	}
	return state, pid, nil
}
