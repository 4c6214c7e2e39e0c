package options

import m "github.com/nixcsh/nixcsh/core/module"

// nixpkgs.*: a NixOS configuration chooses its package set here; a nixcsh
// container runs the host's packages, so these are accepted and ignored,
// with one warning (modules/nixpkgs.nix) so that nobody expects an overlay
// or a config.allowUnfree to change anything.
var nixpkgsFamily = family{
	name: "nixpkgs",
	decls: func() []Decl {
		return []Decl{
			m.Opt("nixpkgs.config", m.AttrsOf(m.Raw()), map[string]any{}, "The configuration of the Nix Packages collection (ignored: nixcsh uses the host's packages)."),
			m.Opt("nixpkgs.pkgs", m.Raw(), nil, "The package set to use (ignored: nixcsh uses the host's packages)."),
			m.Opt("nixpkgs.overlays", m.ListOf(m.Raw()), []any{}, "Overlays of the Nix Packages collection (ignored: nixcsh uses the host's packages)."),
			m.Opt("nixpkgs.hostPlatform", m.NullOr(m.Either(m.Str(), m.AttrsOf(m.Anything()))), nil, "The platform the system runs on (ignored: the container runs on the host)."),
			m.Opt("nixpkgs.buildPlatform", m.NullOr(m.Either(m.Str(), m.AttrsOf(m.Anything()))), nil, "The platform the system is built on (ignored: nothing is built)."),
			m.Opt("nixpkgs.system", m.NullOr(m.Str()), nil, "The system type, e.g. \"x86_64-linux\" (ignored: the container runs on the host)."),
			m.Opt("nixpkgs.localSystem", m.NullOr(m.AttrsOf(m.Anything())), nil, "The platform the system is built on (ignored: nothing is built)."),
		}
	},
}
