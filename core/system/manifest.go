package system

import (
	"encoding/json"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/nixcsh/nixcsh/core/fault"
	"github.com/nixcsh/nixcsh/core/options"
)

// Manifest describes a generation: what activation and switch-to-
// configuration need to know without re-reading every file. It is
// manifest.json at the generation's root.
type Manifest struct {
	Name         string `json:"name"`
	HostName     string `json:"hostName"`
	StateVersion string `json:"stateVersion"`
	MutableUsers bool   `json:"mutableUsers"`
	// UseHostResolvConf: the runtime copies the host's /etc/resolv.conf
	// into the container's /etc (the generation has none).
	UseHostResolvConf bool                `json:"useHostResolvConf"`
	Units             map[string]UnitInfo `json:"units"`
	Users             []options.User      `json:"users"`
	Groups            []options.Group     `json:"groups"`
	Firewall          options.Firewall    `json:"firewall"`
	Etc               map[string]EtcEntry `json:"etc"`
	Options           []string            `json:"options"`
	Warnings          []string            `json:"warnings,omitempty"`
}

// UnitInfo is one installed unit. Hash covers the unit file, the scripts it
// runs and the files that trigger its restart.
type UnitInfo struct {
	Hash             string `json:"hash"`
	Wanted           bool   `json:"wanted"`
	RestartIfChanged bool   `json:"restartIfChanged"`
	ReloadIfChanged  bool   `json:"reloadIfChanged,omitempty"`
	// ReloadHash covers reloadTriggers: a change reloads the unit.
	ReloadHash string `json:"reloadHash,omitempty"`
}

// EtcEntry is one file of the generation's etc/ (path relative to etc/).
type EtcEntry struct {
	Hash  string `json:"hash"`
	Copy  string `json:"copy,omitempty"` // mode of a copied (not linked) file
	User  string `json:"user,omitempty"`
	Group string `json:"group,omitempty"`
}

func newManifest(g *options.Generation, optionsUsed []string) *Manifest {
	m := &Manifest{
		Name: g.Name, HostName: g.HostName, StateVersion: g.StateVersion,
		MutableUsers: g.MutableUsers, UseHostResolvConf: g.UseHostResolvConf,
		Units: map[string]UnitInfo{}, Users: g.Users, Groups: g.Groups,
		Firewall: g.Firewall, Etc: map[string]EtcEntry{},
		Options: append([]string{}, optionsUsed...), Warnings: g.Warnings,
	}
	sort.Strings(m.Options)
	for p, f := range g.Files {
		rel, ok := strings.CutPrefix(p, "etc/")
		if !ok || f.Dir {
			continue
		}
		content := f.Data
		if f.Link != "" {
			content = []byte("link:" + f.Link)
		}
		m.Etc[rel] = EtcEntry{Hash: sha(content), Copy: f.CopyMode, User: f.User, Group: f.Group}
	}
	for _, u := range g.Units {
		var b strings.Builder
		add := func(p string) {
			if f := g.Files[p]; f != nil {
				b.WriteString(p + "\x00" + f.Link + "\x00")
				b.Write(f.Data)
				b.WriteString("\x00")
			}
		}
		add("etc/systemd/system/" + u.Name)
		for _, s := range u.Scripts {
			add(s)
		}
		for _, t := range u.Triggers {
			add(t)
		}
		for _, t := range u.TriggerValues {
			b.WriteString("trigger\x00" + t + "\x00")
		}
		info := UnitInfo{Hash: sha([]byte(b.String())), Wanted: u.Wanted,
			RestartIfChanged: u.RestartIfChanged, ReloadIfChanged: u.ReloadIfChanged}
		if len(u.ReloadValues) > 0 {
			info.ReloadHash = sha([]byte(strings.Join(u.ReloadValues, "\x00")))
		}
		m.Units[u.Name] = info
	}
	return m
}

// LoadManifest reads a generation's manifest.
func LoadManifest(storePath string) (*Manifest, error) {
	data, err := os.ReadFile(filepath.Join(storePath, "manifest.json"))
	if err != nil {
		return nil, fault.Errorf(fault.NotFound, "%s is not a nixcsh system generation (no manifest.json): %w", storePath, err)
	}
	var m Manifest
	if err := json.Unmarshal(data, &m); err != nil {
		return nil, fault.Errorf(fault.Failed, "the manifest of %s is damaged: %w", storePath, err)
	}
	return &m, nil
}

// UnitDiff is what switch-to-configuration does to a running container.
type UnitDiff struct {
	Stop            []string `json:"stop"`
	Start           []string `json:"start"`
	Restart         []string `json:"restart"`
	Reload          []string `json:"reload"`
	FirewallChanged bool     `json:"firewallChanged"`
	EtcChanged      bool     `json:"etcChanged"`
}

// Diff compares two generations' manifests. oldStore may be "" (nothing was
// active): every wanted unit starts.
func Diff(oldStore, newStore string) (UnitDiff, error) {
	nm, err := LoadManifest(newStore)
	if err != nil {
		return UnitDiff{}, err
	}
	om := &Manifest{}
	if oldStore != "" {
		// A previous generation that was garbage-collected meanwhile counts
		// as nothing: every wanted unit is (re)started, which is harmless.
		if m, err := LoadManifest(oldStore); err == nil {
			om = m
		} else if fault.KindOf(err) != fault.NotFound {
			return UnitDiff{}, err
		}
	}
	return diffManifests(om, nm), nil
}

func diffManifests(om, nm *Manifest) UnitDiff {
	d := UnitDiff{Stop: []string{}, Start: []string{}, Restart: []string{}, Reload: []string{}}
	for name, ou := range om.Units {
		nu, ok := nm.Units[name]
		if ou.Wanted && (!ok || !nu.Wanted) {
			d.Stop = append(d.Stop, name)
		}
	}
	for name, nu := range nm.Units {
		if !nu.Wanted {
			continue
		}
		ou, ok := om.Units[name]
		switch {
		case !ok || !ou.Wanted:
			d.Start = append(d.Start, name)
		case ou.Hash == nu.Hash:
			if ou.ReloadHash != nu.ReloadHash {
				d.Reload = append(d.Reload, name)
			}
		case nu.ReloadIfChanged:
			d.Reload = append(d.Reload, name)
		case nu.RestartIfChanged:
			d.Restart = append(d.Restart, name)
		}
	}
	for _, l := range [][]string{d.Stop, d.Start, d.Restart, d.Reload} {
		sort.Strings(l)
	}
	ofw, _ := json.Marshal(om.Firewall)
	nfw, _ := json.Marshal(nm.Firewall)
	d.FirewallChanged = string(ofw) != string(nfw)
	if len(om.Etc) != len(nm.Etc) {
		d.EtcChanged = true
	} else {
		for p, e := range nm.Etc {
			if om.Etc[p] != e {
				d.EtcChanged = true
				break
			}
		}
	}
	return d
}
