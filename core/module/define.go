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

// descend is the definitions d makes of the attribute name below it (at is
// where d stands), with the properties around d pushed down to them.
func (sc *scope) descend(d def, name string, at []string) ([]def, error) {
	var out []def
	err := sc.properties(d, false, func(d def) error {
		if nix.TypeOf(d.value) != "set" {
			return sc.notNamespace(d, at, d.value)
		}
		child, ok := nix.GetAttr(d.value, name)
		if !ok {
			return nil
		}
		pos := d.pos
		if p, ok := nix.AttrPos(d.value, name); ok {
			pos = p
		}
		out = append(out, def{file: d.file, pos: pos, value: child, conds: d.conds, prio: d.prio, order: d.order})
		return nil
	})
	return out, err
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

// discharge resolves the properties at the top of a definition of an
// option: pushed-down and direct mkIf conditions (forced now), mkMerge,
// mkOverride, mkOrder.
func (sc *scope) discharge(d def) ([]def, error) {
	var out []def
	err := sc.properties(d, true, func(d def) error {
		out = append(out, d)
		return nil
	})
	return out, err
}

// properties calls f with each definition left once the properties around
// d are taken off, as NixOS's lib/modules.nix does in two places:
//
//   - Above an option (atOption false), as pushDownProperties: mkMerge
//     splits d; mkIf's condition is kept unevaluated in d.conds, since it may
//     read config, which these very definitions make; mkOverride's priority
//     goes to d.prio. mkOrder is not pushed down: NixOS leaves it in place,
//     where its _type, priority and content read as names of options, and
//     refuses them as unknown options (see unknownIn).
//   - At an option (atOption true), as dischargeProperties, filterOverrides
//     and sortProperties: the conditions are forced and a false one drops
//     the definition; mkOrder's priority goes to d.order.
//
// Of nested mkOverride (or mkOrder), the outermost counts: NixOS reads only
// the outermost one.
func (sc *scope) properties(d def, atOption bool, f func(def) error) error {
	if atOption {
		for _, c := range d.conds {
			ok, err := sc.condition(c, d)
			if err != nil || !ok {
				return err
			}
		}
		d.conds = nil
	}
	v, err := sc.force(d.value)
	if err != nil {
		return err
	}
	switch sc.tagOf(v) {
	case "merge":
		cl, err := sc.force(sc.attr(v, "contents"))
		if err != nil {
			return err
		}
		for _, c := range nix.Elems(cl) {
			d2 := d
			d2.value = c
			if err := sc.properties(d2, atOption, f); err != nil {
				return err
			}
		}
		return nil
	case "if":
		c := sc.attr(v, "condition")
		if atOption {
			ok, err := sc.condition(c, d)
			if err != nil || !ok {
				return err
			}
		} else {
			d.conds = append(append([]nix.Value{}, d.conds...), c)
		}
		d.value = sc.attr(v, "content")
		return sc.properties(d, atOption, f)
	case "override":
		if d.prio == 0 {
			if d.prio, err = sc.intAttr(v, "priority"); err != nil {
				return err
			}
		}
		d.value = sc.attr(v, "content")
		return sc.properties(d, atOption, f)
	case "order":
		if atOption {
			if d.order == 0 {
				if d.order, err = sc.intAttr(v, "priority"); err != nil {
					return err
				}
			}
			d.value = sc.attr(v, "content")
			return sc.properties(d, atOption, f)
		}
	}
	d.value = v
	return f(d)
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
