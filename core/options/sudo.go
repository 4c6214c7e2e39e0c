package options

import m "github.com/nixcsh/nixcsh/core/module"

// security.sudo: the host's sudo (Debian package sudo) with a sudoers that
// the generation writes. modules/sudo.nix renders it.
var sudoFamily = family{
	name: "sudo",
	decls: func() []Decl {
		rule := m.Submodule(
			m.Opt("users", m.ListOf(m.Either(m.Str(), m.Int())), []any{}, "The usernames or uids this rule applies to."),
			m.Opt("groups", m.ListOf(m.Either(m.Str(), m.Int())), []any{}, "The groups or gids this rule applies to."),
			m.Opt("host", m.Str(), "ALL", "The host this rule applies to."),
			m.Opt("runAs", m.Str(), "ALL:ALL", "Under which user:group the commands may run."),
			m.Opt("commands", m.ListOf(m.Either(m.Str(), m.Submodule(
				m.OptNoDefault("command", m.Str(), "A command the rule allows."),
				m.Opt("options", m.ListOf(m.Enum("NOPASSWD", "PASSWD", "NOEXEC", "EXEC", "SETENV", "NOSETENV", "LOG_INPUT", "NOLOG_INPUT", "LOG_OUTPUT", "NOLOG_OUTPUT")), []any{}, "Tags of the command (sudoers(5)), e.g. NOPASSWD."),
			))), []any{}, "The commands the rule allows: a path, or { command; options; }."),
		)
		return []Decl{
			m.Opt("security.sudo.enable", m.Bool(), true, "Whether to write /etc/sudoers for the host's sudo (it is written only where the host has /usr/bin/sudo)."),
			m.Opt("security.sudo.wheelNeedsPassword", m.Bool(), true, "Whether members of the wheel group must give their password to sudo."),
			m.Opt("security.sudo.execWheelOnly", m.Bool(), false, "Accepted for NixOS compatibility; the host's sudo binary is not restricted to wheel."),
			m.Opt("security.sudo.extraRules", m.ListOf(rule), []any{}, "Rules written to sudoers after the default ones."),
			m.Opt("security.sudo.extraConfig", m.Lines(), "", "Lines appended to sudoers."),
		}
	},
}
