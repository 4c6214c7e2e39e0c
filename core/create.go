package core

import (
	"context"
	"fmt"
	"net"
	"net/netip"
	"os"
	"strings"

	"github.com/nixcsh/nixcsh/core/conf"
	"github.com/nixcsh/nixcsh/core/fault"
	"github.com/nixcsh/nixcsh/core/fsx"
	"github.com/nixcsh/nixcsh/core/layout"
	"github.com/nixcsh/nixcsh/core/revert"
)

// CreateOptions are create's flags.
type CreateOptions struct {
	Config           string // --config: NixOS configuration text, put verbatim into the template
	ConfigFile       string // --config-file: imported by the template (absolute path)
	EnsureUniqueName bool
	AutoStart        bool
	Bridge           string
	Port             string // HOST_PORT
	HostAddress      string
	LocalAddress     string
	SystemPath       string        // --system-path: use a prebuilt generation instead of building
	Settings         SettingValues // --bind, --memory, --host-network, ...: the keys of conf.Settings
}

// hostNetwork says whether the settings share the host's network
// (--host-network, NixOS's privateNetwork = false): no link, no addresses,
// no firewall of the container's own.
func (o CreateOptions) hostNetwork() bool {
	v := o.Settings["host-network"]
	if len(v) == 0 {
		return false
	}
	on, _ := conf.SwitchValue(v[len(v)-1])
	return on
}

// Created is what create made.
type Created struct {
	Name         string `json:"name"`
	HostAddress  string `json:"hostAddress"`
	LocalAddress string `json:"localAddress"`
	Generation   int    `json:"generation,omitempty"`
}

// Builder turns a container's configuration.nix into a new generation of its
// profile. core/system provides it; the Manager only orchestrates, so core
// stays free of the configuration layer's import graph. A nil Builder means
// create stops after writing the files (no system built).
type Builder interface {
	// Build evaluates the container's configuration.nix and adds a generation to
	// its profile, returning the generation number and any warnings. It changes
	// nothing when it fails.
	Build(ctx context.Context, p layout.Paths, name string) (gen int, warnings []string, err error)
}

// Adopter is a Builder that can also take a prebuilt generation into a
// container's profile (create --system-path).
type Adopter interface {
	// Adopt checks that systemPath is a generation of the store (or a link
	// to one, as a profile's system link) and adds it to the container's
	// profile, returning its number.
	Adopt(ctx context.Context, p layout.Paths, name, systemPath string) (gen int, warnings []string, err error)
}

// ConfigTemplate is configuration.nix as nixos-container writes it.
func ConfigTemplate(name, config, configFile string) string {
	body := config
	if configFile != "" {
		body = "imports = [ " + configFile + " ];"
	}
	return "{ config, lib, pkgs, ... }:\n\n" +
		"{ boot.isContainer = true;\n" +
		"  networking.hostName = lib.mkDefault \"" + name + "\";\n" +
		"  networking.useDHCP = false;\n" +
		"  " + body + "\n" +
		"}\n"
}

// Create makes a new container: its conf, state dir, configuration.nix and
// first generation. It fails without leaving anything behind.
func (m *Manager) Create(ctx context.Context, name string, o CreateOptions) (*Created, error) {
	if o.Config != "" && o.ConfigFile != "" {
		return nil, fault.Errorf(fault.Invalid, "--config and --config-file are mutually incompatible. Please define one or the other, but not both")
	}
	hostNetwork := o.hostNetwork()
	if hostNetwork && (o.HostAddress != "" || o.LocalAddress != "" || o.Bridge != "" || o.Port != "") {
		return nil, fault.Errorf(fault.Invalid, "--host-network shares the host's network: --host-address, --local-address, --bridge and --port do not apply (leave them out, or leave out --host-network)")
	}
	if o.HostAddress != "" && o.LocalAddress == "" {
		return nil, fault.Errorf(fault.Invalid, "With --host-address set, --local-address is required as well!")
	}
	if o.HostAddress == "" && o.LocalAddress != "" && o.Bridge == "" {
		return nil, fault.Errorf(fault.Invalid, "--local-address alone needs --bridge (the container then sits on the bridge's network, as NixOS's hostBridge + localAddress); without a bridge give --host-address as well")
	}
	if err := ValidateName(name); err != nil {
		return nil, err
	}
	hostKey, localKey, err := addressKeys(o.HostAddress, o.LocalAddress)
	if err != nil {
		return nil, err
	}
	if o.ConfigFile != "" {
		abs, err := absPath(o.ConfigFile)
		if err != nil {
			return nil, err
		}
		o.ConfigFile = abs
	}
	// One create at a time, as nixos-container's /run/lock/nixos-container:
	// names and addresses are chosen and claimed under this lock.
	lock, err := fsx.LockFile(m.Paths.LockFile(), true)
	if err != nil {
		return nil, fault.Errorf(fault.Failed, "cannot take the create lock %s: %v", m.Paths.LockFile(), err)
	}
	defer lock.Unlock()

	if o.EnsureUniqueName {
		base := name
		for nr := 0; m.taken(name); nr++ {
			name = fmt.Sprintf("%s-%d", base, nr)
		}
	}
	if m.Exists(name) {
		return nil, fault.Errorf(fault.Exists, "container '%s' already exists", name)
	}
	if err := checkNewName(name); err != nil {
		return nil, err
	}
	if err := ctx.Err(); err != nil {
		return nil, fault.Errorf(fault.Failed, "create of '%s' cancelled", name)
	}
	host, local := o.HostAddress, o.LocalAddress
	if host == "" && local == "" && !hostNetwork {
		if host, local, err = m.allocateAddresses(); err != nil {
			return nil, err
		}
	}
	f, _ := conf.Parse("")
	f.Set(conf.PrivateNetwork, "1")
	f.Set(conf.HostAddress, "")
	f.Set(conf.LocalAddress, "")
	f.Set(hostKey, host)
	f.Set(localKey, local)
	f.Set(conf.HostBridge, o.Bridge)
	f.Set(conf.HostPort, o.Port)
	f.Set(conf.AutoStart, boolDigit(o.AutoStart))
	if o.SystemPath != "" {
		if _, ok := m.Builder.(Adopter); !ok {
			return nil, fault.Errorf(fault.Invalid, "--system-path is not available here: this nixcsh has no store to take a generation into")
		}
	}
	if err := applySettings(f, name, o.Settings); err != nil {
		return nil, err
	}

	attrs := f.Map()
	if err := m.fire(ctx, PreCreate, name, attrs); err != nil {
		return nil, err
	}

	// From here on everything made is undone on failure.
	undo := revert.New()
	defer undo.Fail()
	mkdir := func(dir string, mode os.FileMode) error {
		if _, err := os.Stat(dir); err == nil {
			return nil
		}
		if err := os.MkdirAll(dir, mode); err != nil {
			return err
		}
		undo.Add(func() { removeTree(dir) })
		return os.Chmod(dir, mode)
	}
	fail := func(err error) (*Created, error) {
		return nil, fault.Errorf(fault.Failed, "cannot create container '%s': %v", name, err)
	}
	undo.Add(func() { removeTree(m.Paths.ConfFile(name)) })
	if err := f.Write(m.Paths.ConfFile(name)); err != nil {
		return fail(err)
	}
	switch {
	case hostNetwork:
	case host == "":
		fmt.Fprintf(m.Stderr, "container IP is %s on bridge %s\n", local, o.Bridge)
	default:
		fmt.Fprintf(m.Stderr, "host IP is %s, container IP is %s\n", host, local)
	}
	if err := mkdir(m.Paths.ProfilesBase(), 0o700); err != nil {
		return fail(err)
	}
	if err := mkdir(m.Paths.ProfileDir(name), 0o755); err != nil {
		return fail(err)
	}
	if err := mkdir(m.Paths.StateDir(name), 0o755); err != nil {
		return fail(err)
	}
	text := ConfigTemplate(name, o.Config, o.ConfigFile)
	if err := fsx.WriteAtomic(m.Paths.ConfigNix(name), []byte(text), 0o644); err != nil {
		return fail(err)
	}
	c := &Created{Name: name, HostAddress: host, LocalAddress: local}
	if o.SystemPath != "" {
		// The profile holds the prebuilt generation, as a build would have
		// made it; configuration.nix stays the template, so a later update
		// builds from it instead (as NixOS's SYSTEM_PATH is replaced by
		// nixos-container update).
		gen, warnings, err := m.Builder.(Adopter).Adopt(ctx, m.Paths, name, o.SystemPath)
		if err != nil {
			return nil, err
		}
		for _, w := range warnings {
			m.warnf("warning: %s", w)
		}
		c.Generation = gen
	} else if m.Builder != nil {
		gen, warnings, err := m.Builder.Build(ctx, m.Paths, name)
		if err != nil {
			return nil, wrapBuildError(err)
		}
		for _, w := range warnings {
			m.warnf("warning: %s", w)
		}
		c.Generation = gen
	}
	undo.Success()
	m.fire(ctx, PostCreate, name, m.eventAttrs(name))
	return c, nil
}

// addressKeys checks create's --host-address and --local-address and says
// which conf keys they go to: IPv4 addresses to HOST_ADDRESS/LOCAL_ADDRESS,
// as nixos-container writes them; IPv6 ones (nixos-container takes IPv4
// only) to HOST_ADDRESS6/LOCAL_ADDRESS6, which NixOS's module and nixcsh's
// network understand. Each may carry a /prefix.
func addressKeys(host, local string) (hostKey, localKey string, err error) {
	if host == "" && local == "" {
		return conf.HostAddress, conf.LocalAddress, nil
	}
	v6 := [2]bool{}
	for i, a := range []struct{ flag, val string }{{"--host-address", host}, {"--local-address", local}} {
		if a.val == "" { // a bridged container's local address alone
			continue
		}
		p, err := netip.ParsePrefix(a.val)
		if err != nil {
			var ip netip.Addr
			if ip, err = netip.ParseAddr(a.val); err == nil {
				p = netip.PrefixFrom(ip, ip.BitLen())
			}
		}
		if err != nil || strings.Contains(a.val, "%") || p.Addr().Is4In6() {
			return "", "", fault.Errorf(fault.Invalid, "invalid %s %q: expected an IPv4 or IPv6 address, e.g. 10.233.1.2, 10.233.1.2/24 or fc00::2", a.flag, a.val)
		}
		v6[i] = p.Addr().Is6()
	}
	if host == "" {
		v6[0] = v6[1]
	}
	if v6[0] != v6[1] {
		return "", "", fault.Errorf(fault.Invalid, "--host-address %s and --local-address %s must both be IPv4 or both IPv6", host, local)
	}
	if v6[0] {
		return conf.HostAddress6, conf.LocalAddress6, nil
	}
	return conf.HostAddress, conf.LocalAddress, nil
}

// wrapBuildError keeps the evaluator's message (it names file, line and
// option) under nixos-container's headline.
func wrapBuildError(err error) error {
	kind := fault.KindOf(err)
	if kind == fault.Failed {
		kind = fault.Invalid
	}
	return &fault.Error{Kind: kind, Msg: strings.TrimRight(err.Error(), "\n") + "\nfailed to build container configuration", Err: err}
}

// taken says whether create --ensure-unique-name must try another name.
func (m *Manager) taken(name string) bool {
	if m.Exists(name) {
		return true
	}
	_, err := os.Stat(m.Paths.StateDir(name))
	return err == nil
}

// allocateAddresses picks 10.233.N.1/.2 for the first N in 1..254 that no conf
// of this root uses and that no host interface already holds (containers of
// another state root, say), as nixos-container's scan does.
func (m *Manager) allocateAddresses() (string, string, error) {
	used := map[string]bool{}
	names, err := m.List(context.Background())
	if err != nil {
		return "", "", err
	}
	for _, n := range names {
		if f, err := conf.Read(m.Paths.ConfFile(n)); err == nil {
			for _, k := range []string{conf.HostAddress, conf.LocalAddress} {
				a, _, _ := strings.Cut(f.Get(k), "/")
				used[a] = true
			}
		}
	}
	if addrs, err := net.InterfaceAddrs(); err == nil {
		for _, a := range addrs {
			if ipn, ok := a.(*net.IPNet); ok {
				used[ipn.IP.String()] = true
			}
		}
	}
	for nr := 1; nr <= 254; nr++ {
		h, l := fmt.Sprintf("10.233.%d.1", nr), fmt.Sprintf("10.233.%d.2", nr)
		if !used[h] && !used[l] {
			return h, l, nil
		}
	}
	return "", "", fault.Errorf(fault.Failed, "out of IP addresses")
}

func boolDigit(b bool) string {
	if b {
		return "1"
	}
	return "0"
}

func absPath(p string) (string, error) {
	if strings.HasPrefix(p, "/") {
		return p, nil
	}
	wd, err := os.Getwd()
	if err != nil {
		return "", fault.Errorf(fault.Failed, "cannot resolve %s: %v", p, err)
	}
	return wd + "/" + p, nil
}
