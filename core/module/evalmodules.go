package module

import "github.com/nixcsh/nixcsh/core/nix"

// evalModules is lib.evalModules { modules, specialArgs ? { } }: a separate
// evaluation of the given modules by the module system, with none of
// nixcsh's options, giving { config, options } as NixOS's does.
func (st *state) evalModules(arg nix.Value) (nix.Value, error) {
	fa, err := st.ev.Force(arg)
	if err != nil {
		return nil, err
	}
	if nix.TypeOf(fa) != "set" {
		return nil, st.fail("lib.evalModules takes an attribute set { modules = [ ... ]; specialArgs = { ... }; }, not %s.", nix.TypeOf(fa))
	}
	sc := newScope(st, "", "")
	if sa, ok := nix.GetAttr(fa, "specialArgs"); ok {
		if err := sc.addArgs(sa); err != nil {
			return nil, err
		}
	}
	if err := sc.declareGo(moduleArgsDecl); err != nil {
		return nil, err
	}
	const file = "<lib.evalModules>"
	if mv, ok := nix.GetAttr(fa, "modules"); ok {
		ml, err := st.ev.Force(mv)
		if err != nil {
			return nil, err
		}
		if nix.TypeOf(ml) != "list" {
			return nil, st.fail("The modules given to lib.evalModules are %s, not a list.", nix.TypeOf(ml))
		}
		seen := map[string]bool{}
		for _, m := range nix.Elems(ml) {
			if err := sc.collect(m, file, seen); err != nil {
				return nil, err
			}
		}
	}
	sc.finish()
	if err := sc.checkUnknown(); err != nil {
		return nil, err
	}
	return nix.Attrs(map[string]nix.Value{
		"_type":   nix.String("configuration"),
		"config":  sc.result,
		"options": sc.options,
	}), nil
}
