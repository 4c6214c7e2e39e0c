package core

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/nixcsh/nixcsh/core/conf"
	"github.com/nixcsh/nixcsh/core/fault"
	"github.com/nixcsh/nixcsh/core/fsx"
	"github.com/nixcsh/nixcsh/core/layout"
	"github.com/nixcsh/nixcsh/core/revert"
	"golang.org/x/sys/unix"
)

// Profiles is the rest of what the configuration layer (core/system) does for
// the verbs, beside building (Builder, create.go).
type Profiles interface {
	// List returns the container's generations, oldest first.
	List(p layout.Paths, name string) ([]layout.Generation, error)
	// SwitchTo makes generation gen (0: the one before the current) current.
	SwitchTo(p layout.Paths, name string, gen int) (layout.Generation, error)
	// GC removes store entries that no profile uses and returns them.
	GC(p layout.Paths) ([]string, error)
	// ShowConfig returns the evaluated value at an option path ("" = all).
	ShowConfig(p layout.Paths, name, path string) (any, error)
}

// RunState is what the runtime knows of a container right now.
type RunState struct {
	Running    bool      `json:"running"`
	Leader     int       `json:"leader,omitempty"`
	Supervisor int       `json:"supervisor,omitempty"`
	Started    time.Time `json:"started,omitempty"`
	// Booting: a supervisor runs but the container has not reached
	// multi-user.target yet (status says down; stop still has work to do).
	Booting bool `json:"booting,omitempty"`
}

// Stdio is where a command run in a container reads and writes. TTY asks for
// a pseudo-terminal (set when the user's stdin is a terminal).
type Stdio struct {
	In       io.Reader
	Out, Err io.Writer
	TTY      bool
}

// SwitchReport says what activating a generation in a running container did.
type SwitchReport struct {
	Restarted []string `json:"restarted"`
	Started   []string `json:"started"`
	Stopped   []string `json:"stopped"`
	Reloaded  []string `json:"reloaded"`
}

// Runtime runs containers. core/runtime, core/network and core/host provide
// it (wired in core/engine); core only orchestrates locks, hooks and messages.
type Runtime interface {
	State(ctx context.Context, name string) (RunState, error)
	// Start boots the container and returns once it reached multi-user.target.
	Start(ctx context.Context, name string, progress func(string)) error
	// Stop powers the container off cleanly (SIGKILL after the stop timeout).
	Stop(ctx context.Context, name string) error
	// Terminate kills it at once and waits until its leader is gone.
	Terminate(ctx context.Context, name string) error
	Exec(ctx context.Context, name string, argv []string, stdio Stdio) (int, error)
	RootLogin(ctx context.Context, name string, stdio Stdio) (int, error)
	Login(ctx context.Context, name string, stdio Stdio) (int, error)
	// Switch activates the profile's current generation in the running container.
	Switch(ctx context.Context, name string) (SwitchReport, error)
}

func (m *Manager) runtime() (Runtime, error) {
	if m.Runtime == nil {
		return nil, fault.Errorf(fault.Failed, "this nixcsh has no container runtime")
	}
	return m.Runtime, nil
}

// State reports whether the container runs; a missing container is NotFound.
func (m *Manager) State(ctx context.Context, name string) (RunState, error) {
	if _, err := m.Conf(name); err != nil {
		return RunState{}, err
	}
	if m.Runtime == nil {
		return RunState{}, nil
	}
	return m.Runtime.State(ctx, name)
}

// Status is "up" or "down", as nixos-container prints it.
func (m *Manager) Status(ctx context.Context, name string) (string, error) {
	st, err := m.State(ctx, name)
	if fault.KindOf(err) == fault.NotFound {
		return "gone", err
	}
	if err != nil {
		return "", err
	}
	if st.Running {
		return "up", nil
	}
	return "down", nil
}

// Start boots the container; starting a running container is a no-op.
func (m *Manager) Start(ctx context.Context, name string, progress func(string)) error {
	rt, err := m.runtime()
	if err != nil {
		return err
	}
	if _, err := m.Conf(name); err != nil {
		return err
	}
	lock, err := m.lockContainer(ctx, name)
	if err != nil {
		return err
	}
	defer lock.Unlock()
	if st, err := rt.State(ctx, name); err == nil && st.Running {
		return nil
	}
	attrs := m.eventAttrs(name)
	if err := m.fire(ctx, PreStart, name, attrs); err != nil {
		return err
	}
	if err := rt.Start(ctx, name, progress); err != nil {
		// The host backends head most of their errors with the headline
		// already; StartFailed adds it to the others.
		if fault.KindOf(err) == fault.Failed {
			return fault.StartFailed(name, err)
		}
		return err
	}
	m.fire(ctx, PostStart, name, attrs)
	return nil
}

// Stop powers the container off; stopping a stopped container is a no-op.
func (m *Manager) Stop(ctx context.Context, name string) error {
	return m.halt(ctx, name, false)
}

// Terminate kills the container at once.
func (m *Manager) Terminate(ctx context.Context, name string) error {
	return m.halt(ctx, name, true)
}

func (m *Manager) halt(ctx context.Context, name string, kill bool) error {
	rt, err := m.runtime()
	if err != nil {
		return err
	}
	if _, err := m.Conf(name); err != nil {
		return err
	}
	lock, _, err := m.lockToHalt(ctx, rt, name, kill, PreStop)
	if err != nil {
		return err
	}
	defer lock.Unlock()
	return m.haltLocked(ctx, rt, name, kill)
}

// lockToHalt takes the container's lock for a verb that brings it down
// (stop, terminate, destroy). A start may hold the lock for as long as the
// container boots (a boot held up by a unit that never finishes): such a
// verb must still reach it. So a booting container is stopped (or killed)
// first, which makes the start return, and then the lock is taken. The
// verb's pre-event fires before that (a plugin may veto it); fired says so,
// so that the verb does not fire it twice.
func (m *Manager) lockToHalt(ctx context.Context, rt Runtime, name string, kill bool, preEvent string) (lock *fsx.Lock, fired bool, err error) {
	lock, err = fsx.LockFile(m.Paths.ContainerLock(name), false)
	if errors.Is(err, unix.EWOULDBLOCK) {
		if st, serr := rt.State(ctx, name); serr == nil && st.Booting {
			if err := m.fire(ctx, preEvent, name, m.eventAttrs(name)); err != nil {
				return nil, true, err
			}
			fired = true
			if kill {
				err = rt.Terminate(ctx, name)
			} else {
				err = rt.Stop(ctx, name)
			}
			if err != nil {
				return nil, fired, err
			}
		}
		lock, err = m.lockContainer(ctx, name)
		return lock, fired, err
	}
	if err != nil {
		return nil, false, fault.Errorf(fault.Failed, "cannot lock container '%s': %v", name, err)
	}
	return lock, false, nil
}

func (m *Manager) haltLocked(ctx context.Context, rt Runtime, name string, kill bool) error {
	st, err := rt.State(ctx, name)
	if err != nil {
		return err
	}
	if !st.Running && !st.Booting {
		return nil
	}
	attrs := m.eventAttrs(name)
	if err := m.fire(ctx, PreStop, name, attrs); err != nil {
		return err
	}
	if kill {
		err = rt.Terminate(ctx, name)
	} else {
		err = rt.Stop(ctx, name)
	}
	if err != nil {
		return err
	}
	m.fire(ctx, PostStop, name, attrs)
	return nil
}

// Restart is stop then start.
func (m *Manager) Restart(ctx context.Context, name string, progress func(string)) error {
	if err := m.Stop(ctx, name); err != nil {
		return err
	}
	return m.Start(ctx, name, progress)
}

// Run runs argv in a root login shell inside the running container and
// returns the command's exit code.
func (m *Manager) Run(ctx context.Context, name string, argv []string, stdio Stdio) (int, error) {
	rt, err := m.mustRun(ctx, name)
	if err != nil {
		return 0, err
	}
	return rt.Exec(ctx, name, argv, stdio)
}

// RootLogin opens a root shell inside the container, without authentication.
func (m *Manager) RootLogin(ctx context.Context, name string, stdio Stdio) (int, error) {
	rt, err := m.mustRun(ctx, name)
	if err != nil {
		return 0, err
	}
	return rt.RootLogin(ctx, name, stdio)
}

// Login opens the container's login prompt.
func (m *Manager) Login(ctx context.Context, name string, stdio Stdio) (int, error) {
	rt, err := m.mustRun(ctx, name)
	if err != nil {
		return 0, err
	}
	return rt.Login(ctx, name, stdio)
}

// mustRun checks that the container exists and is up.
func (m *Manager) mustRun(ctx context.Context, name string) (Runtime, error) {
	rt, err := m.runtime()
	if err != nil {
		return nil, err
	}
	st, err := m.State(ctx, name)
	if err != nil {
		return nil, err
	}
	if !st.Running {
		return nil, fault.Errorf(fault.Failed, "container '%s' is not running; start it with: nixcsh start %s", name, name)
	}
	return rt, nil
}

// Destroy terminates the container if it runs and removes everything create
// made. A missing container is not an error (nixos-container exits 0).
func (m *Manager) Destroy(ctx context.Context, name string) error {
	if err := ValidateName(name); err != nil {
		return err
	}
	if !m.Exists(name) {
		return nil
	}
	var (
		lock  *fsx.Lock
		fired bool
		err   error
	)
	if m.Runtime != nil {
		lock, fired, err = m.lockToHalt(ctx, m.Runtime, name, true, PreDestroy)
	} else {
		lock, err = m.lockContainer(ctx, name)
	}
	if err != nil {
		return err
	}
	defer lock.Unlock()
	attrs := m.eventAttrs(name)
	if !fired {
		if err := m.fire(ctx, PreDestroy, name, attrs); err != nil {
			return err
		}
	}
	if m.Runtime != nil {
		if err := m.haltLocked(ctx, m.Runtime, name, true); err != nil {
			return err
		}
	}
	var errs []error
	for _, dir := range []string{m.Paths.ProfileDir(name), m.Paths.GCRootsDir(name), m.Paths.StateDir(name), m.Paths.RunDir(name)} {
		if err := removeTree(dir); err != nil {
			errs = append(errs, err)
		}
	}
	if len(errs) > 0 {
		return fault.Errorf(fault.Failed, "cannot remove all of container '%s': %v; its settings are kept so that destroy can be run again", name, errors.Join(errs...))
	}
	if err := os.Remove(m.Paths.ConfFile(name)); err != nil && !errors.Is(err, os.ErrNotExist) {
		return fault.Errorf(fault.Failed, "cannot remove %s: %v", m.Paths.ConfFile(name), err)
	}
	m.fire(ctx, PostDestroy, name, attrs)
	return nil
}

// UpdateOptions are update's flags.
type UpdateOptions struct {
	Config     *string // nil: keep configuration.nix as it is
	ConfigFile string
	Settings   SettingValues // --bind, --memory, ...: replace these settings in NAME.conf
	// NoSwitch only builds: a running container keeps its generation until
	// the caller restarts it (create --from restarts changed containers).
	NoSwitch bool
}

// Updated is what update did.
type Updated struct {
	Generation int           `json:"generation"`
	Reloaded   bool          `json:"reloaded"`
	Switch     *SwitchReport `json:"switch,omitempty"`
}

// Update rewrites configuration.nix when asked, builds a new generation and,
// if the container runs, activates it. A failed build leaves
// configuration.nix, the profile and the running system as they were.
func (m *Manager) Update(ctx context.Context, name string, o UpdateOptions) (*Updated, error) {
	if o.Config != nil && o.ConfigFile != "" {
		return nil, fault.Errorf(fault.Invalid, "--config and --config-file are mutually incompatible. Please define one or the other, but not both")
	}
	if _, err := m.Conf(name); err != nil {
		return nil, err
	}
	if o.ConfigFile != "" {
		abs, err := absPath(o.ConfigFile)
		if err != nil {
			return nil, err
		}
		o.ConfigFile = abs
	}
	lock, err := m.lockContainer(ctx, name)
	if err != nil {
		return nil, err
	}
	defer lock.Unlock()
	// Until the new generation is built, everything written comes back on
	// failure: a failed update leaves everything as it was.
	undo := revert.New()
	defer undo.Fail()
	// New settings are checked before anything happens, written before the
	// build, and put back if it fails.
	restoreConf, newSettings, err := m.updateSettings(name, o.Settings)
	if err != nil {
		return nil, err
	}
	undo.Add(restoreConf)
	attrs := m.eventAttrs(name)
	if err := m.fire(ctx, PreUpdate, name, attrs); err != nil {
		return nil, err
	}
	path := m.Paths.ConfigNix(name)
	if o.Config != nil || o.ConfigFile != "" {
		old, err := os.ReadFile(path)
		if err != nil && !errors.Is(err, os.ErrNotExist) {
			return nil, fault.Errorf(fault.Failed, "cannot read %s: %v", path, err)
		}
		if err := fsx.WriteAtomic(path, []byte(ConfigTemplate(name, deref(o.Config), o.ConfigFile)), 0o644); err != nil {
			return nil, fault.Errorf(fault.Failed, "cannot write %s: %v", path, err)
		}
		undo.Add(func() {
			if old != nil {
				fsx.WriteAtomic(path, old, 0o644)
			} else {
				os.Remove(path)
			}
		})
	}
	u := &Updated{}
	if m.Builder != nil {
		gen, warnings, err := m.Builder.Build(ctx, m.Paths, name)
		if err != nil {
			return nil, wrapBuildError(err)
		}
		u.Generation = gen
		for _, w := range warnings {
			m.warnf("warning: %s", w)
		}
	}
	undo.Success() // the new generation is the profile's now
	if newSettings && m.Runtime != nil && !o.NoSwitch {
		if st, err := m.Runtime.State(ctx, name); err == nil && (st.Running || st.Booting) {
			m.warnf("warning: container '%s' runs with its old settings; the new ones take effect when it restarts: nixcsh restart %s", name, name)
		}
	}
	if o.NoSwitch {
		m.fire(ctx, PostUpdate, name, m.eventAttrs(name))
		return u, nil
	}
	return m.switchRunning(ctx, name, u, "built")
}

// updateSettings writes update's setting flags into the container's conf.
// It returns how to put the old conf back and whether anything changed.
func (m *Manager) updateSettings(name string, given SettingValues) (restore func(), changed bool, err error) {
	restore = func() {}
	if len(given) == 0 {
		return restore, false, nil
	}
	old, err := m.Conf(name)
	if err != nil {
		return restore, false, err
	}
	f, err := conf.Parse(old.String())
	if err != nil {
		return restore, false, fault.Errorf(fault.Failed, "cannot read the settings of container '%s': %v", name, err)
	}
	if err := applySettings(f, name, given); err != nil {
		return restore, false, err
	}
	if !settingsChanged(old, f) {
		return restore, false, nil
	}
	unlock, err := m.addressPrivateNetwork(f, name)
	if err != nil {
		return restore, false, err
	}
	defer unlock() // after the conf is written: it claims the addresses
	path := m.Paths.ConfFile(name)
	if err := f.Write(path); err != nil {
		return restore, false, fault.Errorf(fault.Failed, "cannot write %s: %v", path, err)
	}
	return func() { old.Write(path) }, true, nil
}

// addressPrivateNetwork gives a container that update moved from the host's
// network to a private one (--no-host-network) the addresses create would
// have chosen, when it has none and no bridge, so that it is reachable.
// The caller writes f, then calls unlock: create's lock, under which
// addresses are chosen and claimed, is held until then.
func (m *Manager) addressPrivateNetwork(f *conf.File, name string) (unlock func(), err error) {
	unlock = func() {}
	if f.Get(conf.PrivateNetwork) != "1" || f.Get(conf.HostBridge) != "" {
		return unlock, nil
	}
	for _, k := range []string{conf.HostAddress, conf.LocalAddress, conf.HostAddress6, conf.LocalAddress6} {
		if f.Get(k) != "" {
			return unlock, nil
		}
	}
	lock, err := fsx.LockFile(m.Paths.LockFile(), true)
	if err != nil {
		return unlock, fault.Errorf(fault.Failed, "cannot take the create lock %s: %v", m.Paths.LockFile(), err)
	}
	host, local, err := m.allocateAddresses()
	if err != nil {
		lock.Unlock()
		return unlock, err
	}
	f.Set(conf.HostAddress, host)
	f.Set(conf.LocalAddress, local)
	fmt.Fprintf(m.Stderr, "container '%s': host IP is %s, container IP is %s\n", name, host, local)
	return func() { lock.Unlock() }, nil
}

// switchRunning activates the profile's current generation in the container
// if it runs ("reloading container..."), then fires post-update. done says
// what happened to the generation, for the error message.
func (m *Manager) switchRunning(ctx context.Context, name string, u *Updated, done string) (*Updated, error) {
	if m.Runtime != nil {
		if st, err := m.Runtime.State(ctx, name); err == nil && st.Running {
			fmt.Fprintln(m.Stderr, "reloading container...")
			rep, err := m.Runtime.Switch(ctx, name)
			if err != nil {
				return nil, fault.Errorf(fault.Failed, "container '%s' %s generation %d but could not switch to it: %v", name, done, u.Generation, err)
			}
			u.Reloaded, u.Switch = true, &rep
		}
	}
	m.fire(ctx, PostUpdate, name, m.eventAttrs(name))
	return u, nil
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

func (m *Manager) profiles() (Profiles, error) {
	if m.Profiles == nil {
		return nil, fault.Errorf(fault.Failed, "this nixcsh has no system builder")
	}
	return m.Profiles, nil
}

// Generations lists the container's system generations, oldest first.
func (m *Manager) Generations(ctx context.Context, name string) ([]layout.Generation, error) {
	p, err := m.profiles()
	if err != nil {
		return nil, err
	}
	if _, err := m.Conf(name); err != nil {
		return nil, err
	}
	return p.List(m.Paths, name)
}

// Rollback makes generation `to` (0: the previous one) current and, if the
// container runs, switches it there.
func (m *Manager) Rollback(ctx context.Context, name string, to int) (*Updated, error) {
	p, err := m.profiles()
	if err != nil {
		return nil, err
	}
	if _, err := m.Conf(name); err != nil {
		return nil, err
	}
	lock, err := m.lockContainer(ctx, name)
	if err != nil {
		return nil, err
	}
	defer lock.Unlock()
	attrs := m.eventAttrs(name)
	if err := m.fire(ctx, PreUpdate, name, attrs); err != nil {
		return nil, err
	}
	g, err := p.SwitchTo(m.Paths, name, to)
	if err != nil {
		return nil, err
	}
	return m.switchRunning(ctx, name, &Updated{Generation: g.Number}, "rolled back to")
}

// GC removes store entries no profile uses.
func (m *Manager) GC(ctx context.Context) ([]string, error) {
	p, err := m.profiles()
	if err != nil {
		return nil, err
	}
	return p.GC(m.Paths)
}

// ShowConfig returns the evaluated configuration of the current generation,
// or the value at one option path.
func (m *Manager) ShowConfig(ctx context.Context, name, path string) (any, error) {
	p, err := m.profiles()
	if err != nil {
		return nil, err
	}
	if _, err := m.Conf(name); err != nil {
		return nil, err
	}
	return p.ShowConfig(m.Paths, name, path)
}
