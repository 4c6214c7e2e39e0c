package module

// Declarations: the tree of options a scope declares, from Go and from Nix.

import (
	"github.com/nixcsh/nixcsh/core/nix"
)

func (sc *scope) insert(parts []string, opt *option) error {
	n := sc.root
	for i, p := range parts {
		if n.opt != nil {
			return sc.st.fail("The option '%s' in '%s' is declared inside the option '%s' (declared in '%s')", opt.path, opt.file, sc.full(parts[:i]), n.opt.file)
		}
		c := n.children[p]
		if c == nil {
			c = &node{children: map[string]*node{}}
			n.children[p] = c
		}
		n = c
	}
	if n.opt != nil {
		// Declared again (a module adding sub-options to a submodule option,
		// as NixOS allows): the types merge, and at most one declaration
		// may give the default and the apply function.
		old := n.opt
		t, ok := mergeTypes(old.typ, opt.typ)
		if !ok || old.hasDefault && opt.hasDefault || old.apply != nil && opt.apply != nil {
			return sc.st.fail("The option '%s' in '%s' is already declared in '%s'.", opt.path, fileOr(opt.file), fileOr(old.file))
		}
		old.typ = t
		if old.declared.Path != "" {
			old.declared.Type = t
		}
		if opt.hasDefault {
			old.def, old.hasDefault = opt.def, true
		}
		if opt.apply != nil {
			old.apply = opt.apply
		}
		if old.desc == "" {
			old.desc = opt.desc
		}
		return nil
	}
	if len(n.children) > 0 {
		return sc.st.fail("The option '%s' in '%s' would hide the options under it.", opt.path, fileOr(opt.file))
	}
	n.opt = opt
	return nil
}

func fileOr(f string) string {
	if f == "" {
		return "nixcsh"
	}
	return f
}

func (sc *scope) declareGo(d Decl) error {
	parts := SplitPath(d.Path)
	opt := &option{path: sc.full(parts), parts: parts, typ: d.Type, hasDefault: d.HasDefault, file: d.File, desc: d.Description, example: d.Example, declared: d}
	if d.AliasOf != "" {
		opt.aliasOf = SplitPath(d.AliasOf)
		sc.aliases[d.AliasOf] = append(sc.aliases[d.AliasOf], parts)
	}
	if d.HasDefault {
		opt.def = nix.FromGo(d.Default)
	} else if d.DefaultFor != nil && sc.prefix != "" {
		opt.def, opt.hasDefault = nix.FromGo(d.DefaultFor(sc.name)), true
	} else if sc.prefix != "" && d.Path == "name" {
		// NixOS: a submodule's `name` option defaults to its attribute name.
		opt.def, opt.hasDefault = nix.String(sc.name), true
	}
	return sc.insert(parts, opt)
}

func (sc *scope) declareNix(v nix.Value, file string, parts []string) error {
	fv, err := sc.force(v)
	if err != nil {
		return err
	}
	if nix.TypeOf(fv) != "set" {
		return sc.st.fail("The option declaration '%s' in '%s' is not an option (use lib.mkOption).", sc.full(parts), file)
	}
	if tag := sc.tagOf(fv); tag == "option" {
		opt := &option{path: sc.full(parts), parts: append([]string{}, parts...), file: file}
		if tv, ok := nix.GetAttr(fv, "type"); ok {
			t, err := sc.typeFromNix(tv, file)
			if err != nil {
				return err
			}
			opt.typ = t
		} else {
			opt.typ = Unspecified()
		}
		if dv, ok := nix.GetAttr(fv, "default"); ok {
			opt.def, opt.hasDefault = dv, true
		}
		if av, ok := nix.GetAttr(fv, "apply"); ok {
			opt.apply = av
		}
		if dv, ok := nix.GetAttr(fv, "description"); ok {
			if f, err := sc.force(dv); err == nil {
				opt.desc, _ = nix.AsString(f)
			}
		}
		return sc.insert(parts, opt)
	}
	for _, name := range nix.AttrNames(fv) {
		child, _ := nix.GetAttr(fv, name)
		if err := sc.declareNix(child, file, append(append([]string{}, parts...), name)); err != nil {
			return err
		}
	}
	return nil
}

// tagOf returns the _type of a forced attribute set ("" if none).
func (sc *scope) tagOf(v nix.Value) string {
	if nix.TypeOf(v) != "set" {
		return ""
	}
	t, ok := nix.GetAttr(v, "_type")
	if !ok {
		return ""
	}
	ft, err := sc.force(t)
	if err != nil {
		return ""
	}
	s, _ := nix.AsString(ft)
	return s
}
