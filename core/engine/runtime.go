package engine

import (
	"context"
	"fmt"

	sdbus "github.com/coreos/go-systemd/v22/dbus"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"

	"github.com/nixcsh/nixcsh/core"
	"github.com/nixcsh/nixcsh/core/fault"
	"github.com/nixcsh/nixcsh/core/fsx"
	"github.com/nixcsh/nixcsh/core/host"
	"github.com/nixcsh/nixcsh/core/layout"
	"github.com/nixcsh/nixcsh/core/network"
	"github.com/nixcsh/nixcsh/core/runtime"
	"github.com/nixcsh/nixcsh/core/system"
)

// containerRuntime is core.Runtime over core/runtime (nspawn), core/host
// (where the supervisor runs) and core/network.
type containerRuntime struct {
	paths       layout.Paths
	backendName string
	mu          sync.Mutex   // guards backend: verbs of one Manager may run concurrently (Lua, REPL)
	backend     host.Backend // chosen on first use
	exe         string       // the supervisor binary; "" is this program
}

func (r *containerRuntime) host() (host.Backend, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.backend != nil {
		return r.backend, nil
	}
	if r.backendName == "" {
		r.backend = host.Detect()
		return r.backend, nil
	}
	b, err := host.ByName(r.backendName)
	if err != nil {
		return nil, err
	}
	r.backend = b
	return b, nil
}

// unit is how a backend runs the container's supervisor: this very binary.
func (r *containerRuntime) unit(name string) (host.Unit, error) {
	exe := r.exe
	if exe == "" {
		var err error
		if exe, err = os.Executable(); err != nil {
			return host.Unit{}, fault.Errorf(fault.Failed, "cannot find the nixcsh binary to run the supervisor: %v", err)
		}
	}
	return host.Unit{
		Container: name,
		Argv:      []string{exe, SuperviseVerb, "--root", r.paths.Root, name},
		LogFile:   r.paths.LogFile(name),
		RunDir:    r.paths.RunDir(name),
	}, nil
}

func (r *containerRuntime) State(ctx context.Context, name string) (core.RunState, error) {
	runDir := r.paths.RunDir(name)
	_, statErr := os.Stat(filepath.Join(runDir, "state.json"))
	st, running, err := runtime.ReadState(runDir)
	if err != nil {
		return core.RunState{}, err
	}
	// Activating (booting) counts as down, as nixos-container's status says.
	if running && st.Ready {
		return core.RunState{Running: true, Leader: st.Leader, Supervisor: st.Supervisor, Started: st.Started}, nil
	}
	if st.Supervisor > 0 {
		return core.RunState{Booting: true, Leader: st.Leader, Supervisor: st.Supervisor, Started: st.Started}, nil
	}
	// Before nspawn names its leader there is no state file yet: ask the
	// backend whether a supervisor runs.
	if b, berr := r.host(); berr == nil {
		if u, uerr := r.unit(name); uerr == nil {
			if pid, active, aerr := b.Active(u); aerr == nil && active {
				return core.RunState{Booting: true, Supervisor: pid}, nil
			}
		}
	}
	if statErr == nil {
		// ReadState found the state of a supervisor that died without
		// cleaning up (kill -9, OOM) and removed its cgroups and files;
		// its network is left to remove.
		r.removeStaleNetwork(name)
	}
	return core.RunState{}, nil
}

// removeStaleNetwork tears down the network a dead supervisor left behind:
// only what carries this root's ownership mark (network.Teardown checks),
// so a same-named container of another state root is never touched.
func (r *containerRuntime) removeStaleNetwork(name string) {
	if _, ns, err := containerSpec(r.paths, name); err == nil && ns != nil {
		network.Teardown(*ns)
	}
}

func (r *containerRuntime) Start(ctx context.Context, name string, progress func(string)) error {
	b, err := r.host()
	if err != nil {
		return err
	}
	u, err := r.unit(name)
	if err != nil {
		return err
	}
	if _, ns, err := containerSpec(r.paths, name); err != nil {
		return err
	} else if ns != nil {
		if err := network.CheckName(name); err != nil {
			return err
		}
	}
	if err := os.MkdirAll(filepath.Dir(u.LogFile), 0o755); err != nil {
		return fault.Errorf(fault.Failed, "cannot make the log directory: %v", err)
	}
	// On a systemd host, the boot-time autostart unit follows the confs
	// (autostart.go); a failure here must not keep the container down.
	r.syncAutostart(ctx)
	if _, active, err := b.Active(u); err == nil && !active {
		// The Manager holds the container's lock and no supervisor runs:
		// whatever network of ours is there was left by one that died.
		r.removeStaleNetwork(name)
	}
	if progress != nil {
		defer followBoot(u.LogFile, progress)()
	}
	return b.Start(ctx, u)
}

func (r *containerRuntime) Stop(ctx context.Context, name string) error {
	b, err := r.host()
	if err != nil {
		return err
	}
	u, err := r.unit(name)
	if err != nil {
		return err
	}
	return b.Stop(ctx, u)
}

// Terminate kills the container at once, then waits for its supervisor to
// finish its clean-up (cgroups, network), so that a destroy that follows
// finds nothing of the container left on the host. A supervisor that is
// still setting up (no leader yet) is stopped through its backend.
func (r *containerRuntime) Terminate(ctx context.Context, name string) error {
	if err := runtime.Terminate(ctx, r.paths.RunDir(name)); err != nil {
		return err
	}
	b, err := r.host()
	if err != nil {
		return err
	}
	u, err := r.unit(name)
	if err != nil {
		return err
	}
	return b.Stop(ctx, u)
}

// syncAutostart installs or removes the root's boot-time autostart unit
// when the backend is systemd, and reloads systemd if that changed it.
func (r *containerRuntime) syncAutostart(ctx context.Context) error {
	b, err := r.host()
	if err != nil || b.Name() != "systemd" {
		return nil
	}
	u, err := r.unit("")
	if err != nil {
		return err
	}
	changed, err := syncAutostart(autostartDir, u.Argv[0], r.paths)
	if err != nil || !changed {
		return err
	}
	conn, err := sdbus.NewWithContext(ctx)
	if err != nil {
		return fault.Errorf(fault.Failed, "installed the autostart unit %s but cannot reach systemd to reload it: %v", autostartUnitName(r.paths.Root), err)
	}
	defer conn.Close()
	if err := conn.ReloadContext(ctx); err != nil {
		return fault.Errorf(fault.Failed, "installed the autostart unit %s but systemctl daemon-reload failed: %v", autostartUnitName(r.paths.Root), err)
	}
	return nil
}

// leader is the running container's init, or an error saying it is down.
func (r *containerRuntime) leader(ctx context.Context, name string) (int, error) {
	st, err := r.State(ctx, name)
	if err != nil {
		return 0, err
	}
	if !st.Running {
		return 0, fault.Errorf(fault.Failed, "container '%s' is not running; start it with: nixcsh start %s", name, name)
	}
	return st.Leader, nil
}

func (r *containerRuntime) Exec(ctx context.Context, name string, argv []string, io core.Stdio) (int, error) {
	l, err := r.leader(ctx, name)
	if err != nil {
		return 0, err
	}
	return runtime.Exec(ctx, l, argv, io.In, io.Out, io.Err, io.TTY)
}

func (r *containerRuntime) RootLogin(ctx context.Context, name string, io core.Stdio) (int, error) {
	l, err := r.leader(ctx, name)
	if err != nil {
		return 0, err
	}
	return runtime.RootLogin(ctx, l, io.In, io.Out, io.Err, io.TTY)
}

func (r *containerRuntime) Login(ctx context.Context, name string, io core.Stdio) (int, error) {
	l, err := r.leader(ctx, name)
	if err != nil {
		return 0, err
	}
	return runtime.Login(ctx, l, io.In, io.Out, io.Err)
}

// Switch is switch-to-configuration for a running container: activate the
// profile's current generation into its root, then, inside, reload systemd
// and stop, restart, start and reload the units whose content changed; and
// reprogram the firewall when it changed.
func (r *containerRuntime) Switch(ctx context.Context, name string) (core.SwitchReport, error) {
	var rep core.SwitchReport
	l, err := r.leader(ctx, name)
	if err != nil {
		return rep, err
	}
	gen, ok, err := system.NewProfile(r.paths, name).Current()
	if err != nil || !ok {
		return rep, fault.Errorf(fault.Failed, "container '%s' has no current generation", name)
	}
	link := filepath.Join(r.paths.RunDir(name), activeLink)
	old, _ := os.Readlink(link)
	diff, err := system.Diff(old, gen.StorePath)
	if err != nil {
		return rep, err
	}
	root := r.paths.StateDir(name)
	if _, err := os.Stat(filepath.Join(r.paths.RunDir(name), ephemeralMark)); err == nil {
		// An ephemeral container runs from a copy of its root dir: the
		// running one is what must change (and what goes at its stop).
		root = fmt.Sprintf("/proc/%d/root", l)
	}
	if err := system.Activate(root, gen.StorePath); err != nil {
		return rep, err
	}
	if err := fsx.SymlinkAtomic(gen.StorePath, link); err != nil {
		return rep, fault.Errorf(fault.Failed, "cannot record the active generation: %v", err)
	}
	inside := func(args ...string) error {
		var out strings.Builder
		code, err := runtime.Exec(ctx, l, args, nil, &out, &out, false)
		if err != nil {
			return err
		}
		if code != 0 {
			return fault.Errorf(fault.Failed, "%s failed in container '%s' (exit %d): %s", strings.Join(args, " "), name, code, strings.TrimSpace(out.String()))
		}
		return nil
	}
	if err := inside("systemctl", "daemon-reload"); err != nil {
		return rep, err
	}
	if diff.EtcChanged {
		// New systemd.tmpfiles.rules take effect now, as switch-to-configuration
		// does; only the generation's own file (the host packages' rules under
		// /usr/lib/tmpfiles.d name users the container does not have).
		if err := inside("systemd-tmpfiles", "--create", "/etc/tmpfiles.d/nixos.conf"); err != nil {
			return rep, err
		}
	}
	steps := []struct {
		verb  string
		units []string
		into  *[]string
	}{
		{"stop", diff.Stop, &rep.Stopped},
		{"restart", diff.Restart, &rep.Restarted},
		{"start", diff.Start, &rep.Started},
		{"reload", diff.Reload, &rep.Reloaded},
	}
	for _, s := range steps {
		if len(s.units) == 0 {
			continue
		}
		units := append([]string(nil), s.units...)
		sort.Strings(units)
		if err := inside(append([]string{"systemctl", s.verb}, units...)...); err != nil {
			return rep, err
		}
		*s.into = units
	}
	if diff.FirewallChanged {
		if _, ns, err := containerSpec(r.paths, name); err == nil && ns != nil {
			if err := applyFirewall(network.NamespacePath(name), gen.StorePath); err != nil {
				return rep, err
			}
		}
	}
	return rep, nil
}
