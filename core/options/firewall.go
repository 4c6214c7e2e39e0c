package options

import (
	"sort"
	"strings"

	m "github.com/nixcsh/nixcsh/core/module"
)

// declareFirewall declares networking.firewall. renderFirewall does not write
// rules: it fills Generation.Firewall, which the host applies to the
// container's traffic (core/network), as NixOS's firewall does on the
// machine itself.
func declareFirewall() []Decl {
	return []Decl{
		m.Opt("networking.firewall.enable", m.Bool(), true, "Whether to enable the firewall: new inbound connections are dropped unless a port is allowed."),
		m.Opt("networking.firewall.allowedTCPPorts", m.ListOf(m.Port()), []any{}, "TCP ports on which incoming connections are accepted."),
		m.Opt("networking.firewall.allowedUDPPorts", m.ListOf(m.Port()), []any{}, "UDP ports on which incoming packets are accepted."),
		m.Opt("networking.firewall.allowedTCPPortRanges", m.ListOf(portRange()), []any{}, "Ranges of TCP ports ({ from, to }) on which incoming connections are accepted."),
		m.Opt("networking.firewall.allowedUDPPortRanges", m.ListOf(portRange()), []any{}, "Ranges of UDP ports ({ from, to }) on which incoming packets are accepted."),
		m.Opt("networking.firewall.interfaces", m.AttrsOf(m.Submodule(
			m.Opt("allowedTCPPorts", m.ListOf(m.Port()), []any{}, "TCP ports on which incoming connections are accepted on this interface."),
			m.Opt("allowedUDPPorts", m.ListOf(m.Port()), []any{}, "UDP ports on which incoming packets are accepted on this interface."),
			m.Opt("allowedTCPPortRanges", m.ListOf(portRange()), []any{}, "Ranges of TCP ports accepted on this interface."),
			m.Opt("allowedUDPPortRanges", m.ListOf(portRange()), []any{}, "Ranges of UDP ports accepted on this interface."),
		)), map[string]any{}, "Ports opened on one interface only (the container's is eth0; a name ending in + matches every interface it begins)."),
		m.Opt("networking.firewall.trustedInterfaces", strList(), []any{}, "Interfaces all of whose traffic is accepted (a name ending in + matches every interface it begins)."),
		m.Opt("networking.firewall.allowPing", m.Bool(), true, "Whether to answer ICMP echo requests."),
	}
}

func portRange() *m.Type {
	return m.Submodule(
		m.OptNoDefault("from", m.Port(), "First port of the range."),
		m.OptNoDefault("to", m.Port(), "Last port of the range."),
	)
}

func ranges(vs []Values) []PortRange {
	out := []PortRange{}
	for _, r := range vs {
		from, _ := r.Int("from")
		to, _ := r.Int("to")
		out = append(out, PortRange{From: int(from), To: int(to)})
	}
	return out
}

// sortedInts are xs without repeats, in order (never null: the firewall's
// JSON has lists).
func sortedInts(xs []int) []int {
	out := append([]int{}, dedupe(xs)...)
	sort.Ints(out)
	return out
}

func renderFirewall(v Values, g *Generation, _ *Host) error {
	all := firewallPorts(v, "networking.firewall.")
	if v.Bool("services.openssh.enable") && v.Bool("services.openssh.openFirewall") {
		all.AllowedTCPPorts = sortedInts(append(all.AllowedTCPPorts, v.Ints("services.openssh.ports")...))
	}
	g.Firewall = Firewall{
		Enable:            v.Bool("networking.firewall.enable"),
		FirewallPorts:     all,
		AllowPing:         v.Bool("networking.firewall.allowPing"),
		TrustedInterfaces: dedupe(v.Strings("networking.firewall.trustedInterfaces")),
	}
	allRanges := append(append([]PortRange{}, all.AllowedTCPPortRanges...), all.AllowedUDPPortRanges...)
	names, ifaces := v.Subs("networking.firewall.interfaces")
	for _, name := range names {
		p := firewallPorts(ifaces[name], "")
		if err := checkInterfaceName("networking.firewall.interfaces", name); err != nil {
			return err
		}
		if g.Firewall.Interfaces == nil {
			g.Firewall.Interfaces = map[string]FirewallPorts{}
		}
		g.Firewall.Interfaces[name] = p
		allRanges = append(append(allRanges, p.AllowedTCPPortRanges...), p.AllowedUDPPortRanges...)
	}
	for _, name := range g.Firewall.TrustedInterfaces {
		if err := checkInterfaceName("networking.firewall.trustedInterfaces", name); err != nil {
			return err
		}
	}
	for _, r := range allRanges {
		if r.From > r.To {
			return invalid("networking.firewall: port range %d-%d is empty (from must not exceed to)", r.From, r.To)
		}
	}
	return nil
}

// firewallPorts reads the allowed* options under prefix: those of
// networking.firewall ("networking.firewall.") and of one of its
// interfaces.<name> (the submodule's own values, "") have the same names.
func firewallPorts(v Values, prefix string) FirewallPorts {
	return FirewallPorts{
		AllowedTCPPorts:      sortedInts(v.Ints(prefix + "allowedTCPPorts")),
		AllowedUDPPorts:      sortedInts(v.Ints(prefix + "allowedUDPPorts")),
		AllowedTCPPortRanges: ranges(v.SubList(prefix + "allowedTCPPortRanges")),
		AllowedUDPPortRanges: ranges(v.SubList(prefix + "allowedUDPPortRanges")),
	}
}

// checkInterfaceName refuses what no interface can be called (a name ending
// in + stands for every interface it begins).
func checkInterfaceName(option, name string) error {
	if len(strings.TrimSuffix(name, "+")) > 15 || name == "" || strings.ContainsAny(name, "/ ") {
		return invalid("%s: '%s' is not an interface name (at most 15 characters, no '/' or space)", option, name)
	}
	return nil
}
