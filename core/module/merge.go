package module

// Merging: the checked definitions of an option combined by its type,
// submodules included.

import (
	"reflect"
	"strconv"
	"strings"

	"github.com/nixcsh/nixcsh/core/nix"
)

// merge combines checked definitions of one priority by type.
func (sc *scope) merge(path string, t *Type, defs []def, name string) (nix.Value, error) {
	if ct, ok := t.check.(*customType); ok && ct.merge != nil {
		if f, err := sc.force(ct.merge); err == nil && nix.TypeOf(f) == "lambda" {
			var loc []any
			for _, p := range SplitPath(path) {
				loc = append(loc, p)
			}
			var dl []nix.Value
			for _, d := range defs {
				dl = append(dl, nix.Attrs(map[string]nix.Value{"file": nix.String(d.file), "value": d.value}))
			}
			g, err := sc.st.ev.Call(f, nix.FromGo(loc))
			if err != nil {
				return nil, err
			}
			return sc.st.ev.Call(g, nix.List(dl))
		}
	}
	switch t.Name {
	case "listOf":
		var out []nix.Value
		for _, d := range defs {
			for _, e := range nix.Elems(d.value) {
				ed, err := sc.element(path, t.Elem, d, e, nil)
				if err != nil {
					return nil, err
				}
				if ed == nil {
					continue
				}
				idx := strconv.Itoa(len(out))
				out = append(out, sc.lazyMerge(path, t.Elem, ed, idx))
			}
		}
		return nix.List(out), nil
	case "attrsOf":
		order := []string{}
		byName := map[string][]def{}
		for _, d := range defs {
			for _, k := range nix.AttrNames(d.value) {
				a, _ := nix.GetAttr(d.value, k)
				pos := d.pos
				if p, ok := nix.AttrPos(d.value, k); ok {
					pos = p
				}
				ed, err := sc.element(path+"."+joinPath([]string{k}), t.Elem, d, a, &pos)
				if err != nil {
					return nil, err
				}
				if ed == nil {
					continue
				}
				if _, seen := byName[k]; !seen {
					order = append(order, k)
				}
				byName[k] = append(byName[k], ed...)
			}
		}
		m := make(map[string]nix.Value, len(order))
		for _, k := range order {
			ds := byName[k]
			// Priorities apply per attribute (mkDefault on one user).
			k := k
			p := path + "." + joinPath([]string{k})
			m[k] = nix.Lazy(func() (nix.Value, error) { return sc.mergeDefs(p, t.Elem, ds, k) })
		}
		return nix.Attrs(m), nil
	case "nullOr":
		nulls := 0
		for _, d := range defs {
			if nix.TypeOf(d.value) == "null" {
				nulls++
			}
		}
		switch nulls {
		case len(defs):
			return nix.Null(), nil
		case 0:
			return sc.merge(path, t.Elem, defs, name)
		}
		return nil, sc.st.fail("The option '%s' is defined both null and not null, in %s.", path, sc.files(defs))
	case "uniq":
		if len(defs) > 1 {
			return nil, sc.st.fail("The option '%s' is defined multiple times while it's expected to be unique.\nDefinition values:%s", path, sc.showDefs(defs))
		}
		return sc.merge(path, t.Elem, defs, name)
	case "either", "oneOf":
		for _, a := range t.Alts {
			all := true
			for _, d := range defs {
				ok, err := sc.check(a, d.value)
				if err != nil {
					return nil, err
				}
				all = all && ok
			}
			if all {
				return sc.merge(path, a, defs, name)
			}
		}
		return nil, sc.st.fail("The option '%s' has conflicting definition values:%s", path, sc.showDefs(defs))
	case "submodule":
		return sc.submodule(path, t, defs, name)
	case "coercedTo":
		// Alts is [ final type, type coerced from ]: definitions that are
		// only of the second are converted by the coercion function.
		to, from := t.Alts[0], t.Alts[1]
		conv := make([]def, len(defs))
		for i, d := range defs {
			conv[i] = d
			isTo, err := sc.check(to, d.value)
			if err != nil {
				return nil, err
			}
			if isTo {
				continue
			}
			if isFrom, err := sc.check(from, d.value); err != nil || !isFrom {
				return nil, err
			}
			if conv[i].value, err = sc.st.ev.Call(t.coerce.(nix.Value), d.value); err != nil {
				return nil, err
			}
			if conv[i].value, err = sc.force(conv[i].value); err != nil {
				return nil, err
			}
		}
		return sc.mergeDefs(path, to, conv, name)
	case "separatedString":
		parts := make([]string, len(defs))
		for i, d := range defs {
			parts[i], _ = nix.AsString(d.value)
		}
		return nix.String(strings.Join(parts, t.Sep)), nil
	case "unitOption":
		anyList := false
		for _, d := range defs {
			anyList = anyList || nix.TypeOf(d.value) == "list"
		}
		if anyList {
			var out []nix.Value
			for _, d := range defs {
				if nix.TypeOf(d.value) == "list" {
					out = append(out, nix.Elems(d.value)...)
				} else {
					out = append(out, d.value)
				}
			}
			return nix.List(out), nil
		}
		return sc.mergeEqual(path, defs)
	case "attrs":
		m := map[string]nix.Value{}
		for _, d := range defs {
			for _, k := range nix.AttrNames(d.value) {
				m[k], _ = nix.GetAttr(d.value, k)
			}
		}
		return nix.Attrs(m), nil
	case "anything", "unspecified":
		return sc.mergeAny(path, t, defs)
	case "raw":
		if len(defs) > 1 {
			return nil, sc.st.fail("The unique option '%s' is defined multiple times. Definition values:%s", path, sc.showDefs(defs))
		}
		return defs[0].value, nil
	}
	return sc.mergeEqual(path, defs)
}

// element discharges one list element or attribute value of a definition;
// nil means mkIf false removed it.
func (sc *scope) element(path string, t *Type, d def, e nix.Value, pos *nix.Pos) ([]def, error) {
	ed := def{file: d.file, pos: d.pos, value: e}
	if pos != nil {
		ed.pos = *pos
	}
	fe, err := sc.force(e)
	if err != nil {
		return nil, err
	}
	wrapped := propertyTags[sc.tagOf(fe)]
	ds, err := sc.discharge(ed)
	if err != nil || len(ds) == 0 {
		return nil, err
	}
	if wrapped {
		if err := sc.checkDefs(path, t, ds); err != nil {
			return nil, err
		}
	}
	return ds, nil
}

// lazyMerge merges a list element's definitions on first use.
func (sc *scope) lazyMerge(path string, t *Type, ds []def, name string) nix.Value {
	if len(ds) == 1 && t.Name != "submodule" && t.check == nil && !needsMerge(t) {
		return ds[0].value
	}
	return nix.Lazy(func() (nix.Value, error) { return sc.mergeDefs(path, t, ds, name) })
}

func needsMerge(t *Type) bool {
	switch t.Name {
	case "listOf", "attrsOf", "nullOr", "either", "oneOf", "uniq", "coercedTo":
		return true
	}
	return false
}

func (sc *scope) files(defs []def) string {
	var fs []string
	for _, d := range defs {
		fs = append(fs, sc.loc(d))
	}
	return strings.Join(fs, " and ")
}

// mergeEqual accepts several definitions only if they are all equal.
func (sc *scope) mergeEqual(path string, defs []def) (nix.Value, error) {
	first, _, err := sc.toGo(defs[0].value)
	if err != nil {
		return nil, err
	}
	for _, d := range defs[1:] {
		g, _, err := sc.toGo(d.value)
		if err != nil {
			return nil, err
		}
		if !reflect.DeepEqual(first, g) {
			return nil, sc.st.fail("The option '%s' has conflicting definition values:%s\nUse `lib.mkForce value` or `lib.mkDefault value` to change the priority on any of these definitions.", path, sc.showDefs(defs))
		}
	}
	return defs[0].value, nil
}

// mergeAny is types.anything / unspecified: sets merge recursively, lists
// concatenate, everything else must agree.
func (sc *scope) mergeAny(path string, t *Type, defs []def) (nix.Value, error) {
	if len(defs) == 1 {
		return defs[0].value, nil
	}
	kinds := map[string]bool{}
	for _, d := range defs {
		kinds[nix.TypeOf(d.value)] = true
	}
	if len(kinds) == 1 {
		switch {
		case kinds["list"]:
			var out []nix.Value
			for _, d := range defs {
				out = append(out, nix.Elems(d.value)...)
			}
			return nix.List(out), nil
		case kinds["set"]:
			return sc.merge(path, AttrsOf(t), defs, "")
		case kinds["bool"] && t.Name == "unspecified":
			for _, d := range defs {
				if b, _ := nix.AsBool(d.value); b {
					return nix.Bool(true), nil
				}
			}
			return nix.Bool(false), nil
		case kinds["string"] && t.Name == "unspecified":
			var b strings.Builder
			for _, d := range defs {
				s, _ := nix.AsString(d.value)
				b.WriteString(s)
			}
			return nix.String(b.String()), nil
		}
	}
	return sc.mergeEqual(path, defs)
}

// submodule evaluates one instance of a submodule: its declarations (Go
// and Nix) and the definitions as its modules.
func (sc *scope) submodule(path string, t *Type, defs []def, name string) (nix.Value, error) {
	ns, _ := t.sub.(*nixSub)
	sub := newScope(sc.st, path, name)
	if ns != nil && ns.special != nil {
		if err := sub.addArgs(ns.special); err != nil {
			return nil, err
		}
	}
	if err := sub.declareGo(moduleArgsDecl); err != nil {
		return nil, err
	}
	for _, d := range t.Options {
		if err := sub.declareGo(d); err != nil {
			return nil, err
		}
	}
	seen := map[string]bool{}
	if ns != nil {
		for i, m := range ns.modules {
			if err := sub.collect(m, ns.files[i], seen); err != nil {
				return nil, err
			}
		}
	}
	for _, d := range defs {
		// types.submodule's shorthandOnlyDefinesConfig: a definition that is
		// an attribute set is config only, so an option named `options` or
		// `imports` (security.sudo.extraRules.*.commands.*.options) is a
		// value; a function is a whole module.
		fv, err := sub.force(d.value)
		if err != nil {
			return nil, err
		}
		if nix.TypeOf(fv) == "set" && (ns == nil || !ns.full) {
			sub.modules = append(sub.modules, modDef{file: d.file, config: fv})
			continue
		}
		if err := sub.collect(fv, d.file, seen); err != nil {
			return nil, err
		}
	}
	sub.finish()
	if err := sub.checkUnknown(); err != nil {
		return nil, err
	}
	return sub.result, nil
}
