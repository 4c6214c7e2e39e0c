package module

// Option values: priorities, order, type checks and merging of definitions.

import (
	"fmt"
	"sort"
	"strings"

	"github.com/nixcsh/nixcsh/core/fault"
	"github.com/nixcsh/nixcsh/core/nix"
)

func (sc *scope) value(o *option) (nix.Value, error) {
	switch o.state {
	case 2:
		return o.val, o.err
	case 1:
		return nil, sc.st.fail("infinite recursion encountered while evaluating the option '%s'", o.path)
	}
	if err := sc.st.ctx.Err(); err != nil {
		return nil, fault.Errorf(fault.Failed, "evaluation cancelled: %w", err)
	}
	o.state = 1
	o.val, o.err = sc.compute(o)
	o.state = 2
	return o.val, o.err
}

func (sc *scope) compute(o *option) (nix.Value, error) {
	if o.aliasOf != nil {
		target := sc.optionAt(o.aliasOf)
		if target == nil {
			return nil, sc.st.fail("The option '%s' is an alias of '%s', which is not declared.", o.path, joinPath(o.aliasOf))
		}
		return sc.value(target)
	}
	defs, err := sc.defsAt(o.parts)
	if err != nil {
		return nil, err
	}
	for _, alias := range sc.aliases[joinPath(o.parts)] {
		ds, err := sc.defsAt(alias)
		if err != nil {
			return nil, err
		}
		defs = append(defs, ds...)
	}
	var all []def
	for _, d := range defs {
		ds, err := sc.discharge(d)
		if err != nil {
			return nil, err
		}
		all = append(all, ds...)
	}
	o.defined = len(all) > 0
	o.files = nil
	for _, d := range all {
		if !strings.HasPrefix(d.file, ModulesPath+"/") {
			o.byUser = true
		}
		if len(o.files) == 0 || o.files[len(o.files)-1] != d.file {
			o.files = append(o.files, d.file)
		}
	}
	if o.hasDefault {
		ds, err := sc.discharge(def{file: o.file, value: o.def, prio: 1500})
		if err != nil {
			return nil, err
		}
		all = append(all, ds...)
	}
	o.highestPrio, o.defs = topPriority(all)
	v, err := sc.mergeDefs(o.path, o.typ, all, lastPart(o.parts))
	if err != nil || o.apply == nil {
		return v, err
	}
	// apply runs when the value is needed, as in NixOS: an apply that throws
	// (mkRemovedOptionModule) does not break reading isDefined.
	return nix.Lazy(func() (nix.Value, error) { return sc.st.ev.Call(o.apply, v) }), nil
}

func stringsToAny(ss []string) []any {
	out := make([]any, len(ss))
	for i, s := range ss {
		out[i] = s
	}
	return out
}

// optionAt is the option declared at parts of this scope (nil if none).
func (sc *scope) optionAt(parts []string) *option {
	n := sc.root
	for _, p := range parts {
		if n = n.children[p]; n == nil {
			return nil
		}
	}
	return n.opt
}

func lastPart(parts []string) string {
	if len(parts) == 0 {
		return ""
	}
	return parts[len(parts)-1]
}

// checks them against the type and merges them.
func (sc *scope) mergeDefs(path string, t *Type, all []def, name string) (nix.Value, error) {
	_, defs := topPriority(all)
	sort.SliceStable(defs, func(i, j int) bool { return orderOf(defs[i]) < orderOf(defs[j]) })
	if len(defs) == 0 {
		return nil, &undefinedError{msg: fmt.Sprintf("The option '%s' is used but not defined.", path)}
	}
	if err := sc.checkDefs(path, t, defs); err != nil {
		return nil, err
	}
	return sc.merge(path, t, defs, name)
}

// checkDefs fails, as NixOS does, naming every definition that is not of
// type t.
func (sc *scope) checkDefs(path string, t *Type, defs []def) error {
	var bad []def
	for _, d := range defs {
		ok, err := sc.check(t, d.value)
		if err != nil {
			return err
		}
		if !ok {
			bad = append(bad, d)
		}
	}
	if len(bad) > 0 {
		return sc.st.fail("A definition for option '%s' is not of type '%s'. Definition values:%s", path, t.Description(), sc.showDefs(bad))
	}
	return nil
}

// topPriority returns the highest priority (the lowest number; plain
// definitions are 100) and the definitions that have it.
func topPriority(all []def) (int, []def) {
	best := 0
	for _, d := range all {
		p := d.prio
		if p == 0 {
			p = 100
		}
		if best == 0 || p < best {
			best = p
		}
	}
	var defs []def
	for _, d := range all {
		p := d.prio
		if p == 0 {
			p = 100
		}
		if p == best {
			defs = append(defs, d)
		}
	}
	return best, defs
}

func orderOf(d def) int {
	if d.order == 0 {
		return 1000
	}
	return d.order
}

func (sc *scope) showDefs(defs []def) string {
	var b strings.Builder
	for _, d := range defs {
		fmt.Fprintf(&b, "\n- In %s: %s", sc.loc(d), sc.show(d.value, 0))
	}
	return b.String()
}
