package core

import (
	"context"
	"errors"
	"os"
	"path/filepath"

	"github.com/nixcsh/nixcsh/core/conf"
	"github.com/nixcsh/nixcsh/core/fault"
	"github.com/nixcsh/nixcsh/core/fsx"
	"github.com/nixcsh/nixcsh/core/revert"
)

// FromContainer is one container of a file in the shape of NixOS's
// `containers` option (create --from), as the caller read it.
type FromContainer struct {
	Name string
	// Module is the NixOS module that selects this container's config from
	// the file; it is written beside configuration.nix (FromModule), which
	// imports it as create --config-file imports its file.
	Module string
	// Create holds the container-level settings (addresses, bridge, ports,
	// autoStart, privateNetwork); ConfigFile is set here.
	Create CreateOptions
	// HostAddress6 and LocalAddress6 are NixOS's hostAddress6/localAddress6
	// beside IPv4 ones in Create (which takes one pair).
	HostAddress6, LocalAddress6 string
	// LocalMAC is eth0's hardware address (localMacAddress).
	LocalMAC string
	// ExtraFlags are more systemd-nspawn flags (extraFlags).
	ExtraFlags string
	// RestartIfChanged is NixOS's containers.NAME.restartIfChanged.
	RestartIfChanged bool
}

// FromResult is what create --from did to one container.
type FromResult struct {
	Name         string `json:"name"`
	Action       string `json:"action"` // "created", "updated" or "unchanged"
	Generation   int    `json:"generation,omitempty"`
	HostAddress  string `json:"hostAddress,omitempty"`
	LocalAddress string `json:"localAddress,omitempty"`
	Restarted    bool   `json:"restarted,omitempty"`
	Started      bool   `json:"started,omitempty"`
}

// FromModule is where create --from writes a container's module.
func (m *Manager) FromModule(name string) string {
	return filepath.Join(filepath.Dir(m.Paths.ConfigNix(name)), "from.nix")
}

// CreateFrom creates the containers that do not exist and updates those
// that do, all before any is restarted; then, as extra-container does, it
// restarts the running containers whose system (or settings) changed and
// starts the autoStart ones that are not running. Containers it did not
// change are not touched.
func (m *Manager) CreateFrom(ctx context.Context, cs []FromContainer) ([]FromResult, error) {
	results := make([]FromResult, len(cs))
	changed := make([]bool, len(cs))
	for i, c := range cs {
		if err := ValidateName(c.Name); err != nil {
			return results[:i], err
		}
		r := &results[i]
		r.Name = c.Name
		o := c.Create
		o.ConfigFile = m.FromModule(c.Name)
		if !m.Exists(c.Name) {
			cr, err := m.createFrom(ctx, c, o)
			if err != nil {
				return results[:i], err
			}
			r.Action, r.Generation, r.HostAddress, r.LocalAddress = "created", cr.Generation, cr.HostAddress, cr.LocalAddress
			changed[i] = true
			continue
		}
		confChanged, err := m.setFromConf(c.Name, o, c)
		if err != nil {
			return results[:i], err
		}
		before := m.currentStorePath(c.Name)
		if _, err := m.writeFromModule(c); err != nil {
			return results[:i], err
		}
		u, err := m.Update(ctx, c.Name, UpdateOptions{ConfigFile: o.ConfigFile, NoSwitch: true})
		if err != nil {
			return results[:i], err
		}
		r.Generation = u.Generation
		changed[i] = confChanged || m.currentStorePath(c.Name) != before
		r.Action = "unchanged"
		if changed[i] {
			r.Action = "updated"
		}
	}
	for i, c := range cs {
		running := false
		if m.Runtime != nil {
			st, err := m.Runtime.State(ctx, c.Name)
			running = err == nil && st.Running
		}
		switch {
		case running && changed[i] && c.RestartIfChanged:
			if err := m.Restart(ctx, c.Name, nil); err != nil {
				return results, err
			}
			results[i].Restarted = true
		case !running && c.Create.AutoStart:
			if err := m.Start(ctx, c.Name, nil); err != nil {
				return results, err
			}
			results[i].Started = true
		}
	}
	return results, nil
}

// createFrom creates container c; a create that fails leaves nothing of it.
func (m *Manager) createFrom(ctx context.Context, c FromContainer, o CreateOptions) (*Created, error) {
	undo := revert.New()
	defer undo.Fail()
	made, err := m.writeFromModule(c)
	if err != nil {
		return nil, err
	}
	undo.Add(made)
	cr, err := m.Create(ctx, c.Name, o)
	if err != nil {
		return nil, err // Create undid its own steps
	}
	undo.Add(func() { m.Destroy(ctx, c.Name) })
	if _, err := m.setFromConf(c.Name, o, c); err != nil {
		return nil, err
	}
	undo.Success()
	return cr, nil
}

// writeFromModule writes c's module; the function it returns removes what
// it made (for a create that fails).
func (m *Manager) writeFromModule(c FromContainer) (undo func(), err error) {
	state := m.Paths.StateDir(c.Name)
	_, statErr := os.Stat(state)
	path := m.FromModule(c.Name)
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return nil, fault.Errorf(fault.Failed, "cannot create %s: %v", filepath.Dir(path), err)
	}
	if err := fsx.WriteAtomic(path, []byte(c.Module), 0o644); err != nil {
		return nil, fault.Errorf(fault.Failed, "cannot write %s: %v", path, err)
	}
	return func() {
		if errors.Is(statErr, os.ErrNotExist) {
			removeTree(state)
		} else {
			os.Remove(path)
		}
	}, nil
}

// setFromConf brings an existing container's settings to o's and says
// whether any changed. Addresses are kept when o names none (create chose
// them).
func (m *Manager) setFromConf(name string, o CreateOptions, c FromContainer) (bool, error) {
	f, err := m.Conf(name)
	if err != nil {
		return false, err
	}
	want := map[string]string{
		conf.HostBridge:      o.Bridge,
		conf.HostPort:        o.Port,
		conf.AutoStart:       boolDigit(o.AutoStart),
		"EXTRA_NSPAWN_FLAGS": c.ExtraFlags,
		"LOCAL_MAC_ADDRESS":  c.LocalMAC,
	}
	if o.HostAddress != "" || o.LocalAddress != "" {
		hostKey, localKey, err := addressKeys(o.HostAddress, o.LocalAddress)
		if err != nil {
			return false, err
		}
		want[hostKey], want[localKey] = o.HostAddress, o.LocalAddress
	}
	if c.HostAddress6 != "" || c.LocalAddress6 != "" {
		if _, _, err := addressKeys(c.HostAddress6, c.LocalAddress6); err != nil {
			return false, err
		}
		want[conf.HostAddress6], want[conf.LocalAddress6] = c.HostAddress6, c.LocalAddress6
	}
	if o.hostNetwork() {
		for _, k := range []string{conf.HostAddress, conf.LocalAddress, conf.HostAddress6, conf.LocalAddress6} {
			want[k] = ""
		}
	}
	before := f.String()
	for k, v := range want {
		if f.Get(k) != v {
			f.Set(k, v)
		}
	}
	// After EXTRA_NSPAWN_FLAGS: the binds are words of it.
	if err := applySettings(f, name, o.Settings); err != nil {
		return false, err
	}
	changed := f.String() != before
	if !changed {
		return false, nil
	}
	if err := f.Write(m.Paths.ConfFile(name)); err != nil {
		return false, fault.Errorf(fault.Failed, "cannot write %s: %v", m.Paths.ConfFile(name), err)
	}
	return true, nil
}

// currentStorePath is the store path of the container's current generation
// ("" if none).
func (m *Manager) currentStorePath(name string) string {
	if m.Profiles == nil {
		return ""
	}
	gens, err := m.Profiles.List(m.Paths, name)
	if err != nil {
		return ""
	}
	for _, g := range gens {
		if g.Current {
			return g.StorePath
		}
	}
	return ""
}
