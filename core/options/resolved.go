package options

import m "github.com/nixcsh/nixcsh/core/module"

// services.resolved: the host's systemd-resolved (Debian package
// systemd-resolved) as the container's resolver, /etc/resolv.conf pointing
// to its stub at 127.0.0.53 as on NixOS. modules/resolved.nix renders it.
var resolvedFamily = family{
	name: "resolved",
	decls: func() []Decl {
		return []Decl{
			m.Opt("services.resolved.enable", m.Bool(), false, "Whether to enable the systemd DNS resolver daemon, systemd-resolved."),
			m.Opt("services.resolved.fallbackDns", m.NullOr(strList()), nil, "A list of IPv4 and IPv6 addresses to use as the fallback DNS servers (null: systemd's built-in list)."),
			m.Opt("services.resolved.domains", strList(), []any{}, "A list of domains, used as search domains for single-label names."),
			m.Opt("services.resolved.llmnr", m.Enum("true", "resolve", "false"), "true", "Controls Link-Local Multicast Name Resolution support (RFC 4795)."),
			m.Opt("services.resolved.dnssec", m.Enum("true", "allow-downgrade", "false"), "false", "If set to true, all DNS lookups are DNSSEC-validated locally."),
			m.Opt("services.resolved.dnsovertls", m.Enum("true", "opportunistic", "false"), "false", "If set to true, all DNS lookups are encrypted with DNS-over-TLS."),
			m.Opt("services.resolved.extraConfig", m.Lines(), "", "Extra config to append to resolved.conf (NixOS before 25.11; prefer settings)."),
			m.Opt("services.resolved.settings", m.AttrsOf(m.AttrsOf(m.OneOf(m.Str(), m.Int(), m.Bool(), m.ListOf(m.Str())))), map[string]any{},
				"Settings for /etc/systemd/resolved.conf by section (settings.Resolve.DNS = [ ... ]; lists are joined with spaces); they override the options above. See resolved.conf(5)."),
		}
	},
	requires: []requirement{{when: "services.resolved.enable", file: "lib/systemd/systemd-resolved", pkg: "systemd-resolved"}},
}
