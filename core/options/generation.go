package options

import (
	"bufio"

	m "github.com/nixcsh/nixcsh/core/module"
	"os"
	"path/filepath"
	"strings"
)

// StorePlaceholder stands for the generation's own store path inside
// rendered files (unit ExecStart= of scripts, Apache's empty document root).
// core/system hashes the files with the placeholder in place and substitutes
// the final path when writing, so a generation can name itself and still be
// content-addressed, as Nix does with self-references.
const StorePlaceholder = m.StorePlaceholder

// File is one file of a generation, at a path relative to its root
// ("etc/ssh/sshd_config", "scripts/foo-start").
type File struct {
	Data []byte
	Mode os.FileMode // permission bits in the store: 0444, 0555 for scripts
	Link string      // non-empty: a symlink with this target instead of data
	Dir  bool        // an (empty) directory
	// CopyMode, for files under etc/, asks activation to copy the file into
	// the container's /etc with this mode (e.g. "0444") instead of linking
	// it through /etc/static, with owner User and Group.
	CopyMode    string
	User, Group string
}

// Unit is a systemd unit the generation installs under etc/systemd/system.
type Unit struct {
	Name     string   // "sshd.service"
	Wanted   bool     // started at boot (a .wants/.requires link exists)
	Triggers []string // generation files whose change restarts the unit
	// Scripts are generation files the unit runs; their content is part of
	// the unit's identity for switch-to-configuration.
	Scripts []string
	// TriggerValues are restartTriggers/reloadTriggers values (as text).
	TriggerValues    []string
	ReloadValues     []string
	RestartIfChanged bool
	ReloadIfChanged  bool
}

// User is a declared account, resolved (uid, primary gid, home, shell).
type User struct {
	Name        string   `json:"name"`
	UID         int      `json:"uid"`
	GID         int      `json:"gid"`
	Group       string   `json:"group"`
	Description string   `json:"description,omitempty"`
	Home        string   `json:"home"`
	Shell       string   `json:"shell"`
	CreateHome  bool     `json:"createHome,omitempty"`
	IsNormal    bool     `json:"isNormalUser,omitempty"`
	ExtraGroups []string `json:"extraGroups,omitempty"`
	// Password is the shadow field; InitialOnly means it is only set when the
	// account is created (initialPassword/initialHashedPassword, or none).
	Password    string `json:"-"`
	InitialOnly bool   `json:"-"`
	// PasswordFixed says hashedPassword is set: activation enforces it even
	// over a password changed inside the container.
	PasswordFixed bool `json:"passwordFixed,omitempty"`
	// UIDFixed says the uid was given by the configuration (not allocated),
	// so activation must not keep a different one found in the container.
	UIDFixed bool `json:"uidFixed,omitempty"`
}

// Group is a declared group.
type Group struct {
	Name     string   `json:"name"`
	GID      int      `json:"gid"`
	Members  []string `json:"members,omitempty"`
	GIDFixed bool     `json:"gidFixed,omitempty"`
}

// PortRange is an inclusive port range.
type PortRange struct {
	From int `json:"from"`
	To   int `json:"to"`
}

// Firewall is networking.firewall as the runtime programs it (nftables in
// the container's network namespace, from the host).
type Firewall struct {
	Enable bool `json:"enable"`
	// The ports open on every interface (their JSON fields stand at this
	// level, as they did before per-interface ports came).
	FirewallPorts
	AllowPing         bool     `json:"allowPing"`
	TrustedInterfaces []string `json:"trustedInterfaces,omitempty"`
	// Interfaces are ports open on one interface only
	// (networking.firewall.interfaces.<name>).
	Interfaces map[string]FirewallPorts `json:"interfaces,omitempty"`
}

// FirewallPorts are the ports networking.firewall (or one of its
// interfaces.<name>) opens.
type FirewallPorts struct {
	AllowedTCPPorts      []int       `json:"allowedTCPPorts"`
	AllowedUDPPorts      []int       `json:"allowedUDPPorts"`
	AllowedTCPPortRanges []PortRange `json:"allowedTCPPortRanges"`
	AllowedUDPPortRanges []PortRange `json:"allowedUDPPortRanges"`
}

// Generation is a rendered system, still in memory.
type Generation struct {
	Name         string
	HostName     string
	StateVersion string
	MutableUsers bool
	// UseHostResolvConf asks the runtime to copy the host's resolv.conf
	// into the container (the generation then has none).
	UseHostResolvConf bool
	Files             map[string]*File
	Units             []Unit
	Users             []User
	Groups            []Group
	Firewall          Firewall
	Warnings          []string
}

func (g *Generation) text(path, data string)   { g.Files[path] = &File{Data: []byte(data), Mode: 0o444} }
func (g *Generation) link(path, target string) { g.Files[path] = &File{Link: target} }
func (g *Generation) script(path, data string) {
	g.Files[path] = &File{Data: []byte(data), Mode: 0o555}
}

// Host answers which programs and Debian packages the host has; services
// run the host's binaries, so a missing one fails the build early.
type Host struct {
	Usr        string // the host's /usr, normally "/usr"
	DpkgStatus string // normally /var/lib/dpkg/status
	pkgs       map[string]m.DebianPackage
}

// addUnit installs a unit file and its .wants links for the given targets.
func (g *Generation) addUnit(u Unit, text string, wantedBy ...string) {
	g.text("etc/systemd/system/"+u.Name, text)
	for _, t := range wantedBy {
		g.link("etc/systemd/system/"+t+".wants/"+u.Name, "../"+u.Name)
	}
	if len(wantedBy) > 0 {
		u.Wanted = true
	}
	g.Units = append(g.Units, u)
}

// DefaultHost is this machine.
func DefaultHost() *Host { return &Host{Usr: "/usr", DpkgStatus: "/var/lib/dpkg/status"} }

// Has reports whether a file under the host's /usr exists ("sbin/sshd").
func (h *Host) Has(rel string) bool {
	_, err := os.Stat(filepath.Join(h.Usr, rel))
	return err == nil
}

// HasPackage reports whether NAME is a host program (/usr/bin/NAME,
// /usr/sbin/NAME) or an installed Debian package.
func (h *Host) HasPackage(name string) bool {
	if name == "" || strings.Contains(name, "/") {
		return false
	}
	if h.Has("bin/"+name) || h.Has("sbin/"+name) {
		return true
	}
	_, ok := h.Debian()[name]
	return ok
}

// shellOf is the path of a host package's program (a user's shell).
func shellOf(prog string, h *Host) string {
	if !h.Has("bin/"+prog) && h.Has("sbin/"+prog) {
		return "/usr/sbin/" + prog
	}
	return "/usr/bin/" + prog
}

// PackageFiles lists the paths an installed Debian package put on the
// host, as dpkg records them (info/NAME.list or info/NAME:ARCH.list).
func (h *Host) PackageFiles(deb string) []string {
	info := filepath.Join(filepath.Dir(h.DpkgStatus), "info")
	lists, _ := filepath.Glob(filepath.Join(info, deb+":*.list"))
	lists = append([]string{filepath.Join(info, deb+".list")}, lists...)
	for _, l := range lists {
		if data, err := os.ReadFile(l); err == nil {
			return strings.Fields(string(data))
		}
	}
	return nil
}

// Packages lists the names HasPackage accepts (for `pkgs`).
func (h *Host) Packages() []string {
	seen := map[string]bool{}
	for n := range h.Debian() {
		seen[n] = true
	}
	for _, d := range []string{"bin", "sbin"} {
		ents, _ := os.ReadDir(filepath.Join(h.Usr, d))
		for _, e := range ents {
			seen[e.Name()] = true
		}
	}
	out := make([]string, 0, len(seen))
	for n := range seen {
		out = append(out, n)
	}
	return out
}

// Debian lists the installed Debian packages with their versions and
// descriptions, as dpkg's status file records them (for `pkgs`).
func (h *Host) Debian() map[string]m.DebianPackage {
	if h.pkgs != nil {
		return h.pkgs
	}
	h.pkgs = map[string]m.DebianPackage{}
	f, err := os.Open(h.DpkgStatus)
	if err != nil {
		return h.pkgs
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	var name string
	var installed bool
	var p m.DebianPackage
	end := func() {
		if name != "" && installed {
			h.pkgs[name] = p
		}
		name, installed, p = "", false, m.DebianPackage{}
	}
	for sc.Scan() {
		line := sc.Text()
		switch {
		case line == "":
			end()
		case strings.HasPrefix(line, "Package: "):
			name = strings.TrimSpace(line[len("Package: "):])
		case strings.HasPrefix(line, "Status: "):
			installed = strings.HasSuffix(line, " installed")
		case strings.HasPrefix(line, "Version: "):
			p.Version = strings.TrimSpace(line[len("Version: "):])
		case strings.HasPrefix(line, "Description: "):
			p.Description = strings.TrimSpace(line[len("Description: "):])
		}
	}
	end()
	return h.pkgs
}

func readRegular(path string) ([]byte, error) {
	st, err := os.Stat(path)
	if err != nil {
		return nil, err
	}
	if !st.Mode().IsRegular() {
		return nil, &os.PathError{Op: "read", Path: path, Err: os.ErrInvalid}
	}
	return os.ReadFile(path)
}
