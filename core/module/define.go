package module

// Definitions: finding an option's definitions in every module and
// resolving mkIf, mkMerge, mkOverride and mkOrder around them.

import (
	"fmt"

	"github.com/nixcsh/nixcsh/core/nix"
)

var propertyTags = map[string]bool{"if": true, "merge": true, "override": true, "order": true}

func (sc *scope) attr(v nix.Value, name string) nix.Value {
	a, _ := nix.GetAttr(v, name)
	return a
}

// defsAt finds every module's definitions of the option at parts, pushing
// mkIf/mkMerge/mkOverride/mkOrder at namespace level down to it (mkIf
// conditions are not forced here: they may read config).
func (sc *scope) defsAt(parts []string) ([]def, error) {
	var cur []def
	for _, m := range sc.modules {
		cur = append(cur, def{file: m.file, value: m.config})
	}
	for i, p := range parts {
		var next []def
		for _, d := range cur {
			ds, err := sc.descend(d, p, parts[:i])
			if err != nil {
				return nil, err
			}
			next = append(next, ds...)
		}
		cur = next
	}
	return cur, nil
}

func (sc *scope) descend(d def, name string, at []string) ([]def, error) {
	v, err := sc.force(d.value)
	if err != nil {
		return nil, err
	}
	switch sc.tagOf(v) {
	case "merge":
		cl, err := sc.force(sc.attr(v, "contents"))
		if err != nil {
			return nil, err
		}
		var out []def
		for _, c := range nix.Elems(cl) {
			d2 := d
			d2.value = c
			ds, err := sc.descend(d2, name, at)
			if err != nil {
				return nil, err
			}
			out = append(out, ds...)
		}
		return out, nil
	case "if":
		d2 := d
		d2.conds = append(append([]nix.Value{}, d.conds...), sc.attr(v, "condition"))
		d2.value = sc.attr(v, "content")
		return sc.descend(d2, name, at)
	case "override":
		d2 := d
		if d2.prio == 0 {
			p, err := sc.intAttr(v, "priority")
			if err != nil {
				return nil, err
			}
			d2.prio = p
		}
		d2.value = sc.attr(v, "content")
		return sc.descend(d2, name, at)
	case "order":
		d2 := d
		d2.value = sc.attr(v, "content")
		return sc.descend(d2, name, at)
	}
	if nix.TypeOf(v) != "set" {
		return nil, sc.notNamespace(d, at, v)
	}
	child, ok := nix.GetAttr(v, name)
	if !ok {
		return nil, nil
	}
	pos := d.pos
	if p, ok := nix.AttrPos(v, name); ok {
		pos = p
	}
	return []def{{file: d.file, pos: pos, value: child, conds: d.conds, prio: d.prio, order: d.order}}, nil
}

func (sc *scope) notNamespace(d def, at []string, v nix.Value) error {
	where := sc.full(at)
	if where == "" {
		return sc.st.fail("The module in '%s' defines a value that is not an attribute set:\n- In %s: %s", d.file, sc.loc(d), sc.show(v, 0))
	}
	return sc.st.fail("A definition for option '%s' is not of type 'attribute set'. Definition values:\n- In %s: %s", where, sc.loc(d), sc.show(v, 0))
}

func (sc *scope) intAttr(v nix.Value, name string) (int, error) {
	f, err := sc.force(sc.attr(v, name))
	if err != nil {
		return 0, err
	}
	i, ok := nix.AsInt(f)
	if !ok {
		return 0, sc.st.fail("The %s of a priority or order property is %s, not an integer.", name, nix.TypeOf(f))
	}
	return int(i), nil
}

// loc is where a definition is, as NixOS prints it: 'file' or 'file:line:col'.
func (sc *scope) loc(d def) string {
	if d.pos.IsValid() {
		if d.pos.File == "" || d.pos.File == d.file {
			return fmt.Sprintf("'%s:%d:%d'", d.file, d.pos.Line, d.pos.Col)
		}
		return fmt.Sprintf("'%s'", d.pos.String())
	}
	return fmt.Sprintf("'%s'", fileOr(d.file))
}

// discharge resolves the properties at the top of a definition: pushed-down
// and direct mkIf conditions (forced now), mkMerge, mkOverride, mkOrder.
func (sc *scope) discharge(d def) ([]def, error) {
	for _, c := range d.conds {
		ok, err := sc.condition(c, d)
		if err != nil || !ok {
			return nil, err
		}
	}
	d.conds = nil
	v, err := sc.force(d.value)
	if err != nil {
		return nil, err
	}
	switch sc.tagOf(v) {
	case "merge":
		cl, err := sc.force(sc.attr(v, "contents"))
		if err != nil {
			return nil, err
		}
		var out []def
		for _, c := range nix.Elems(cl) {
			d2 := d
			d2.value = c
			ds, err := sc.discharge(d2)
			if err != nil {
				return nil, err
			}
			out = append(out, ds...)
		}
		return out, nil
	case "if":
		ok, err := sc.condition(sc.attr(v, "condition"), d)
		if err != nil || !ok {
			return nil, err
		}
		d.value = sc.attr(v, "content")
		return sc.discharge(d)
	case "override":
		if d.prio == 0 {
			if d.prio, err = sc.intAttr(v, "priority"); err != nil {
				return nil, err
			}
		}
		d.value = sc.attr(v, "content")
		return sc.discharge(d)
	case "order":
		if d.order == 0 {
			if d.order, err = sc.intAttr(v, "priority"); err != nil {
				return nil, err
			}
		}
		d.value = sc.attr(v, "content")
		return sc.discharge(d)
	}
	d.value = v
	return []def{d}, nil
}

func (sc *scope) condition(c nix.Value, d def) (bool, error) {
	fc, err := sc.force(c)
	if err != nil {
		return false, err
	}
	b, ok := nix.AsBool(fc)
	if !ok {
		return false, sc.st.fail("mkIf called with a non-Boolean condition (%s) in %s", nix.TypeOf(fc), sc.loc(d))
	}
	return b, nil
}

// mergeDefs keeps the definitions of the highest priority, orders them,
