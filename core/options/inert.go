package options

import m "github.com/nixcsh/nixcsh/core/module"

// Options whose subject a nixcsh container does not have: no Nix daemon or
// store inside (nix.*), no virtual console (console.*), no gettys of its own
// (services.getty), no documentation build (the host's /usr/share/man is
// there), no default package set (the host's /usr is). Real configurations
// set them routinely, so they are accepted, and one warning
// (modules/inert.nix) names those that were set.
var inertFamily = family{
	name: "inert",
	decls: func() []Decl {
		return []Decl{
			m.Opt("nix", m.Anything(), map[string]any{}, "Settings of the Nix package manager (ignored: a nixcsh container has no Nix daemon or store)."),
			m.Opt("documentation", m.Anything(), map[string]any{}, "Which documentation to build (ignored: the host's manuals under /usr/share are in the container)."),
			m.Opt("console", m.Anything(), map[string]any{}, "The virtual console (ignored: a container has none)."),
			m.Opt("services.getty", m.Anything(), map[string]any{}, "Gettys on virtual terminals (ignored: the container's console is nspawn's)."),
			m.Opt("environment.defaultPackages", m.ListOf(m.Package()), []any{}, "Packages NixOS adds by default (ignored: every program of the host's /usr is in the container)."),
			m.Opt("users.allowNoPasswordLogin", m.Bool(), false, "Disables NixOS's assertion that someone can log in; nixcsh has no such assertion (`nixcsh root-login` always works)."),
		}
	},
}
