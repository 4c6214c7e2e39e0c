package options

import m "github.com/nixcsh/nixcsh/core/module"

// networking.interfaces and networking.defaultGateway, for the container's
// own interface. nixcsh makes one interface in the container, eth0 (as
// nixos-container does), and gives it LOCAL_ADDRESS from the host before
// boot; these options add addresses and routes on top of that from inside,
// as NixOS's network-addresses-IFACE and network-setup services do.
// modules/interfaces.nix renders them.
var interfacesFamily = family{
	name: "interfaces",
	decls: func() []Decl {
		addr := func(v string, bits int) *m.Type {
			return m.Submodule(
				m.OptNoDefault("address", m.Str(), "IP"+v+" address of the interface. Leave empty to configure the interface using DHCP."),
				m.OptNoDefault("prefixLength", m.Between(0, int64(bits)), "Subnet mask of the interface, specified as the number of bits in the prefix."),
			)
		}
		route := func(v string, bits int) *m.Type {
			return m.Submodule(
				m.OptNoDefault("address", m.Str(), "IP"+v+" address of the network."),
				m.OptNoDefault("prefixLength", m.Between(0, int64(bits)), "Subnet mask of the network, specified as the number of bits in the prefix."),
				m.Opt("via", m.NullOr(m.Str()), nil, "IP"+v+" address of the next hop."),
				m.Opt("type", m.NullOr(m.Enum("unicast", "local", "broadcast", "multicast")), nil, "Type of the route (ip-route(8)'s route types)."),
				m.Opt("options", m.AttrsOf(m.Str()), map[string]any{}, "Other route options (ip-route(8)'s OPTIONS, and metric, src, protocol, scope, from, table)."),
			)
		}
		gateway := m.NullOr(m.Either(m.Str(), m.Submodule(
			m.OptNoDefault("address", m.Str(), "The default gateway address."),
			m.Opt("interface", m.NullOr(m.Str()), nil, "The default gateway interface."),
			m.Opt("metric", m.NullOr(m.Int()), nil, "The default gateway metric/preference."),
			m.Opt("source", m.NullOr(m.Str()), nil, "The default source address."),
		)))
		return []Decl{
			m.Opt("networking.interfaces", m.AttrsOf(m.Submodule(
				m.OptNoDefault("name", m.Str(), "Name of the interface (default: the attribute name). A nixcsh container has eth0 (and lo)."),
				m.Opt("useDHCP", m.NullOr(m.Bool()), nil, "Whether this interface should be configured with DHCP; a nixcsh container's eth0 is configured by the host, so only false or null is honoured."),
				m.Opt("ipv4.addresses", m.ListOf(addr("v4", 32)), []any{}, "List of IPv4 addresses that will be statically assigned to the interface."),
				m.Opt("ipv6.addresses", m.ListOf(addr("v6", 128)), []any{}, "List of IPv6 addresses that will be statically assigned to the interface."),
				m.Opt("ipv4.routes", m.ListOf(route("v4", 32)), []any{}, "List of extra IPv4 static routes that will be assigned to the interface."),
				m.Opt("ipv6.routes", m.ListOf(route("v6", 128)), []any{}, "List of extra IPv6 static routes that will be assigned to the interface."),
				m.Opt("mtu", m.NullOr(m.Int()), nil, "MTU size for packets leaving the interface. Leave empty to use the default."),
			)), map[string]any{}, "The configuration for each network interface (in a container: eth0, the link to the host)."),
			m.Opt("networking.defaultGateway", gateway, nil, "The default gateway: an address, or { address; interface; metric; source; }."),
			m.Opt("networking.defaultGateway6", gateway, nil, "The default IPv6 gateway: an address, or { address; interface; metric; source; }."),
		}
	},
}
