// Package network gives a container its private network: a named network
// namespace that systemd-nspawn joins (--network-namespace-path), the veth
// pair between host and container, addresses and routes (netlink), the host's
// port forwards and the container's firewall (nftables). It never runs `ip`
// or `nft`: everything goes through netlink so that errors are typed and the
// cost is a few syscalls.
//
// Everything a container's network consists of is named after the container:
// host link ve-NAME (vb-NAME when bridged), namespace /run/netns/nixcsh-NAME,
// host nat tables `ip nixcsh-NAME` and `ip6 nixcsh-NAME`. The host link
// carries an alias naming its owner, so Teardown never removes a link that
// another tool or another nixcsh state root made under the same name.
//
// The runtime's use, per start:
//
//	spec, err := network.SpecFromConf(name, paths.Root, conf.Get) // PRIVATE_NETWORK=1 only
//	nsPath, err := network.Setup(ctx, spec)   // then nspawn --network-namespace-path=nsPath
//	err = network.ApplyFirewall(nsPath, fw)   // networking.firewall; again on every update
//	...
//	err = network.Teardown(spec)              // after the container stopped, or its start failed
//
// Setup also switches forwarding on for the container's host link (never
// host-wide), so containers reach each other's LOCAL_ADDRESS through the host
// (see enableLinkForwarding).
//
// Setup refuses (fault.Exists) while a previous run's network is still there;
// Teardown first clears it (it is idempotent). Leftovers lists what exists.
package network

import (
	"errors"
	"fmt"
	"net"
	"net/netip"
	"os"
	"path/filepath"
	"regexp"
	"strings"

	"github.com/google/nftables"
	"github.com/vishvananda/netlink"

	"github.com/nixcsh/nixcsh/core/conf"
	"github.com/nixcsh/nixcsh/core/fault"
)

const (
	// maxLinkName is the kernel's IFNAMSIZ (16) minus the terminating nul.
	maxLinkName = 15
	// namespaceDir is where iproute2 (and therefore everybody) keeps named
	// network namespaces; `ip netns list` shows ours too.
	namespaceDir = "/run/netns"
	// namePrefix names nixcsh's namespaces and host nat tables.
	namePrefix = "nixcsh-"
	// aliasPrefix starts the alias of every host link nixcsh makes.
	aliasPrefix = "nixcsh:"
	// containerSide is the name of the container's end of the veth pair.
	containerSide = "eth0"
)

// StateDir holds nixcsh's host-wide network state (the lock and the sysctl
// values to restore). It is host-wide on purpose: sysctls and link names are
// shared by every nixcsh state root on the machine.
const StateDir = "/run/nixcsh/network"

// Spec is one container's private network, from its NAME.conf.
type Spec struct {
	Container string // container name (used for link and namespace names)
	// Owner identifies who made the network (the runtime passes its state
	// root). It is written into the host link's alias; Teardown leaves a link
	// of another owner alone, so two state roots using the same container
	// name cannot tear down each other's network.
	Owner string

	HostAddress, LocalAddress   string // IPv4, optional /prefix (no prefix = /32)
	HostAddress6, LocalAddress6 string // IPv6, optional /prefix (no prefix = /128)
	Bridge                      string // HOST_BRIDGE: host side is vb-NAME enslaved to it (no host address then)
	Ports                       []PortForward
	LocalMACAddress             string // LOCAL_MAC_ADDRESS: eth0's hardware address; "" lets the kernel pick
	// ExtraVeths are more veth pairs (NixOS's extraVeths): each named the
	// same on both sides, configured as the main pair but without a
	// default route, or its host side on a bridge.
	ExtraVeths []conf.ExtraVeth
	// Macvlans are host interfaces (NixOS's macvlans) on each of which a
	// macvlan link is made inside, named mv-IFACE as nspawn names it.
	Macvlans []string
	// FromPID, when set, makes Setup adopt the network namespace of this
	// process (a container with private users, whose namespace nspawn made
	// owned by the container's user namespace) instead of making one.
	FromPID int
}

// SpecFromConf reads a container's network from its NAME.conf keys (get is
// e.g. conf.File.Get): HOST_ADDRESS, LOCAL_ADDRESS, HOST_ADDRESS6,
// LOCAL_ADDRESS6, HOST_BRIDGE, HOST_PORT, LOCAL_MAC_ADDRESS. Whether the
// container has a private network at all (PRIVATE_NETWORK=1) is the
// caller's decision. It checks everything Setup would, so a bad conf is
// reported before anything is made.
func SpecFromConf(container, owner string, get func(key string) string) (Spec, error) {
	s := Spec{
		Container:       container,
		Owner:           owner,
		HostAddress:     get("HOST_ADDRESS"),
		LocalAddress:    get("LOCAL_ADDRESS"),
		HostAddress6:    get("HOST_ADDRESS6"),
		LocalAddress6:   get("LOCAL_ADDRESS6"),
		Bridge:          strings.TrimSpace(get("HOST_BRIDGE")),
		LocalMACAddress: strings.TrimSpace(get("LOCAL_MAC_ADDRESS")),
	}
	for _, w := range strings.Fields(get(conf.ExtraVeths)) {
		v, err := conf.ParseExtraVeth(w)
		if err != nil {
			return Spec{}, fault.Errorf(fault.Invalid, "container '%s': %s: %v", container, conf.ExtraVeths, err)
		}
		s.ExtraVeths = append(s.ExtraVeths, v)
	}
	if m := strings.Fields(get(conf.Macvlans)); len(m) > 0 {
		s.Macvlans = m
	}
	ports, err := ParsePorts(get("HOST_PORT"))
	if err != nil {
		return Spec{}, fault.Errorf(fault.Invalid, "container '%s': %w", container, err)
	}
	s.Ports = ports
	if _, err := s.plan(); err != nil {
		return Spec{}, err
	}
	return s, nil
}

// PortForward is one HOST_PORT item: traffic to the host's HostPort goes to
// the container's ContainerPort.
type PortForward struct {
	Proto                   string // tcp|udp
	HostPort, ContainerPort uint16
}

func (p PortForward) String() string {
	return fmt.Sprintf("%s:%d:%d", p.Proto, p.HostPort, p.ContainerPort)
}

// HostLinkName is the host side of the container's veth pair: ve-NAME, or
// vb-NAME when it is enslaved to a bridge (NixOS's and nspawn's names).
func HostLinkName(container string, bridged bool) string {
	if bridged {
		return "vb-" + container
	}
	return "ve-" + container
}

// NamespaceName is the container's named network namespace, found at
// /run/netns/NamespaceName(container).
func NamespaceName(container string) string { return namePrefix + container }

// NamespacePath is where the container's namespace is bind-mounted; it is the
// path Setup returns for nspawn's --network-namespace-path.
func NamespacePath(container string) string {
	return filepath.Join(namespaceDir, NamespaceName(container))
}

// forwardTableName is the host's nat table holding the container's forwards.
func forwardTableName(container string) string { return namePrefix + container }

var validName = regexp.MustCompile(`^[a-zA-Z0-9_-]+$`)

// CheckName reports whether container can name a network: the characters
// nixos-container allows, and short enough for the kernel's 15-byte link
// names ("ve-" + 11 characters).
func CheckName(container string) error {
	if !validName.MatchString(container) {
		return fault.Errorf(fault.Invalid, "invalid container name %q: use letters, digits, '_' and '-' only", container)
	}
	if link := HostLinkName(container, false); len(link) > maxLinkName {
		return fault.Errorf(fault.Invalid,
			"container name '%s' is too long: its network link %s would exceed the kernel's %d bytes (use at most %d characters)",
			container, link, maxLinkName, maxLinkName-len("ve-"))
	}
	return nil
}

// LinkExists reports whether a network link of that name exists on the host.
func LinkExists(name string) bool {
	_, err := netlink.LinkByName(name)
	return err == nil
}

// ownerAlias is the alias Setup gives the host link. IFALIASZ is 256 bytes;
// a very long owner is cut, which only weakens the ownership check for
// owners sharing their first 200 bytes.
func ownerAlias(container, owner string) string {
	a := aliasPrefix + container + ":" + owner
	if len(a) > 240 {
		a = a[:240]
	}
	return a
}

// addr is a parsed HOST_ADDRESS/LOCAL_ADDRESS: the address itself and the
// prefix the user gave (full length when none).
type addr struct {
	ip  netip.Addr
	net *net.IPNet // address with its prefix, as netlink wants it
}

// single is the address as a host route (/32 or /128).
func (a addr) single() *net.IPNet {
	return &net.IPNet{IP: a.ip.AsSlice(), Mask: net.CIDRMask(a.ip.BitLen(), a.ip.BitLen())}
}

func parseAddr(key, s string, v6 bool) (*addr, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return nil, nil
	}
	var p netip.Prefix
	var err error
	if strings.Contains(s, "/") {
		p, err = netip.ParsePrefix(s)
	} else {
		var ip netip.Addr
		ip, err = netip.ParseAddr(s)
		if err == nil {
			p = netip.PrefixFrom(ip, ip.BitLen())
		}
	}
	family, example := "IPv4", "10.233.1.2 or 10.233.1.2/24"
	if v6 {
		family, example = "IPv6", "fc00::2 or fc00::2/64"
	}
	if err != nil || p.Addr().Is6() != v6 || p.Addr().Is4In6() || p.Addr().Zone() != "" {
		return nil, fault.Errorf(fault.Invalid, "invalid %s %q: expected an %s address, e.g. %s", key, s, family, example)
	}
	ip := p.Addr()
	return &addr{ip: ip, net: &net.IPNet{IP: ip.AsSlice(), Mask: net.CIDRMask(p.Bits(), ip.BitLen())}}, nil
}

// plan is a validated Spec: every name and address Setup and Teardown need.
type plan struct {
	container, owner string
	hostLink         string
	nsName, nsPath   string
	table            string
	bridge           string
	host4, local4    *addr
	host6, local6    *addr
	ports            []PortForward
	mac              net.HardwareAddr // nil: the kernel picks
}

func (s Spec) plan() (*plan, error) {
	if err := CheckName(s.Container); err != nil {
		return nil, err
	}
	p := &plan{
		container: s.Container,
		owner:     s.Owner,
		hostLink:  HostLinkName(s.Container, s.Bridge != ""),
		nsName:    NamespaceName(s.Container),
		nsPath:    NamespacePath(s.Container),
		table:     forwardTableName(s.Container),
		bridge:    s.Bridge,
		ports:     s.Ports,
	}
	var err error
	for _, a := range []struct {
		key, val string
		v6       bool
		dst      **addr
	}{
		{"HOST_ADDRESS", s.HostAddress, false, &p.host4},
		{"LOCAL_ADDRESS", s.LocalAddress, false, &p.local4},
		{"HOST_ADDRESS6", s.HostAddress6, true, &p.host6},
		{"LOCAL_ADDRESS6", s.LocalAddress6, true, &p.local6},
	} {
		if *a.dst, err = parseAddr(a.key, a.val, a.v6); err != nil {
			return nil, fault.Errorf(fault.Invalid, "container '%s': %w", s.Container, err)
		}
	}
	if s.Bridge != "" && len(s.Bridge) > maxLinkName {
		return nil, fault.Errorf(fault.Invalid, "container '%s': HOST_BRIDGE %q is not a valid link name (at most %d bytes)", s.Container, s.Bridge, maxLinkName)
	}
	for _, f := range s.Ports {
		if f.Proto != "tcp" && f.Proto != "udp" || f.HostPort == 0 || f.ContainerPort == 0 {
			return nil, fault.Errorf(fault.Invalid, "container '%s': invalid port forward %s: expected tcp or udp and ports 1-65535", s.Container, f)
		}
	}
	if s.LocalMACAddress != "" {
		mac, err := net.ParseMAC(s.LocalMACAddress)
		if err != nil || len(mac) != 6 || mac[0]&1 != 0 {
			return nil, fault.Errorf(fault.Invalid, "container '%s': invalid LOCAL_MAC_ADDRESS %q: expected a unicast Ethernet address, e.g. 02:00:00:00:00:01", s.Container, s.LocalMACAddress)
		}
		p.mac = mac
	}
	if len(s.Ports) > 0 && p.local4 == nil && p.local6 == nil {
		return nil, fault.Errorf(fault.Invalid, "container '%s': HOST_PORT needs LOCAL_ADDRESS or LOCAL_ADDRESS6 (port forwards go to the container's address)", s.Container)
	}
	return p, nil
}

// Leftover is one piece of some container's network found on the host.
type Leftover struct {
	Kind   string // "link", "namespace" or "nft-table"
	Name   string // link name, namespace name or table name
	Owner  string // for links: the alias nixcsh gave it (container:owner)
	Family string // for nft tables: "ip" or "ip6"
}

func familyName(f nftables.TableFamily) string {
	if f == nftables.TableFamilyIPv6 {
		return "ip6"
	}
	return "ip"
}

// Leftovers lists every piece of nixcsh networking present on the host: host
// links carrying nixcsh's alias, namespaces under /run/netns named nixcsh-*,
// and host nat tables (ip and ip6) named nixcsh-*. The runtime compares it with the
// containers it knows to be running and tears down the rest.
func Leftovers() ([]Leftover, error) {
	var out []Leftover
	links, err := netlink.LinkList()
	if err != nil {
		return nil, fault.Errorf(fault.Failed, "cannot list the host's network links: %w", err)
	}
	for _, l := range links {
		if a := l.Attrs().Alias; strings.HasPrefix(a, aliasPrefix) {
			out = append(out, Leftover{Kind: "link", Name: l.Attrs().Name, Owner: strings.TrimPrefix(a, aliasPrefix)})
		}
	}
	entries, err := os.ReadDir(namespaceDir)
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		return nil, fault.Errorf(fault.Failed, "cannot list %s: %w", namespaceDir, err)
	}
	for _, e := range entries {
		if strings.HasPrefix(e.Name(), namePrefix) {
			out = append(out, Leftover{Kind: "namespace", Name: e.Name()})
		}
	}
	for _, fam := range forwardFamilies {
		tables, err := forwardTables(fam)
		if err != nil {
			return nil, err
		}
		for _, t := range tables {
			out = append(out, Leftover{Kind: "nft-table", Name: t, Family: familyName(fam)})
		}
	}
	return out, nil
}
