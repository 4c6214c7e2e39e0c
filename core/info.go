package core

import (
	"context"
	"time"

	"github.com/nixcsh/nixcsh/core/conf"
	"github.com/nixcsh/nixcsh/core/fault"
)

// Info is everything a listing or `info` shows of one container.
type Info struct {
	Name          string `json:"name"`
	Status        string `json:"status"` // up, down
	HostAddress   string `json:"hostAddress,omitempty"`
	LocalAddress  string `json:"localAddress,omitempty"`
	HostAddress6  string `json:"hostAddress6,omitempty"`
	LocalAddress6 string `json:"localAddress6,omitempty"`
	Bridge        string `json:"bridge,omitempty"`
	Ports         string `json:"ports,omitempty"`
	AutoStart     bool   `json:"autoStart"`
	// Settings are the container settings set (bind, private-users,
	// memory, ...), by flag name, as the flags take them.
	Settings      map[string][]string `json:"settings,omitempty"`
	Generation    int                 `json:"generation,omitempty"`
	Leader        int                 `json:"pid,omitempty"`
	UptimeSeconds int64               `json:"uptimeSeconds,omitempty"`
}

// Info gathers a container's settings, state and current generation.
func (m *Manager) Info(ctx context.Context, name string) (*Info, error) {
	f, err := m.Conf(name)
	if err != nil {
		return nil, err
	}
	in := &Info{
		Name:          name,
		Status:        "down",
		HostAddress:   f.Get(conf.HostAddress),
		LocalAddress:  f.Get(conf.LocalAddress),
		HostAddress6:  f.Get(conf.HostAddress6),
		LocalAddress6: f.Get(conf.LocalAddress6),
		Bridge:        f.Get(conf.HostBridge),
		Ports:         f.Get(conf.HostPort),
		AutoStart:     f.Get(conf.AutoStart) == "1",
		Settings:      settingsOf(f),
	}
	if m.Runtime != nil {
		st, err := m.Runtime.State(ctx, name)
		if err != nil {
			return nil, err
		}
		if st.Running {
			in.Status, in.Leader = "up", st.Leader
			if !st.Started.IsZero() {
				in.UptimeSeconds = int64(time.Since(st.Started).Seconds())
			}
		}
	}
	if m.Profiles != nil {
		if gens, err := m.Profiles.List(m.Paths, name); err == nil {
			for _, g := range gens {
				if g.Current {
					in.Generation = g.Number
				}
			}
		}
	}
	return in, nil
}

// Infos is Info for every container, sorted by name.
func (m *Manager) Infos(ctx context.Context) ([]Info, error) {
	names, err := m.List(ctx)
	if err != nil {
		return nil, err
	}
	out := make([]Info, 0, len(names))
	for _, n := range names {
		in, err := m.Info(ctx, n)
		if err != nil {
			if fault.KindOf(err) == fault.NotFound { // destroyed while we looked
				continue
			}
			return nil, err
		}
		out = append(out, *in)
	}
	return out, nil
}

// AutoStartNames lists the containers whose conf says AUTO_START=1.
func (m *Manager) AutoStartNames(ctx context.Context) ([]string, error) {
	names, err := m.List(ctx)
	if err != nil {
		return nil, err
	}
	var out []string
	for _, n := range names {
		if f, err := m.Conf(n); err == nil && f.Get(conf.AutoStart) == "1" {
			out = append(out, n)
		}
	}
	return out, nil
}
