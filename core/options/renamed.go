package options

// Options NixOS renamed: modules/renamed.nix forwards each old name to the
// new one with NixOS's warning. The old names are declared by that module
// (mkRenamedOptionModule), so there is nothing to declare here.
var renamedFamily = family{
	name:  "renamed",
	decls: func() []Decl { return nil },
}
