package module

// Types declared in Nix: lib.types values read into Types, and the merging
// of an option's repeated declarations.

import (
	"reflect"

	"github.com/nixcsh/nixcsh/core/nix"
)

// nixSub is a submodule type declared in Nix: its modules, each with the
// file that declared it (repeated declarations union their modules).
type nixSub struct {
	modules []nix.Value
	files   []string
	// special is submoduleWith's specialArgs (nil if none); full marks
	// submoduleWith without shorthandOnlyDefinesConfig, where a definition
	// that is an attribute set is a whole module (options, imports, config).
	special nix.Value
	full    bool
}

func mergeSubs(a, b any) any {
	x, _ := a.(*nixSub)
	y, _ := b.(*nixSub)
	switch {
	case x == nil:
		return b
	case y == nil:
		return a
	}
	special := x.special
	if special == nil {
		special = y.special
	}
	return &nixSub{
		modules: append(append([]nix.Value{}, x.modules...), y.modules...),
		files:   append(append([]string{}, x.files...), y.files...),
		special: special,
		full:    x.full && y.full,
	}
}

// mergeTypes is the type of an option declared twice, as NixOS's typeMerge:
// submodules union their options, wrappers (listOf, attrsOf, nullOr ...)
// merge their element types, and other types merge only with an equal type.
// A declaration without a type (unspecified) takes the other's. ok is false
// when the types conflict.
func mergeTypes(a, b *Type) (*Type, bool) {
	switch {
	case a == nil || a.Name == "unspecified":
		return b, true
	case b == nil || b.Name == "unspecified":
		return a, true
	case a.Name == "submodule" && b.Name == "submodule":
		m := *a
		m.Options = append(append([]Decl{}, a.Options...), b.Options...)
		m.sub = mergeSubs(a.sub, b.sub)
		return &m, true
	case a.Name != b.Name:
		return nil, false
	}
	switch a.Name {
	case "listOf", "attrsOf", "lazyAttrsOf", "nullOr", "uniq", "functionTo":
		e, ok := mergeTypes(a.Elem, b.Elem)
		if !ok {
			return nil, false
		}
		m := *a
		m.Elem = e
		return &m, true
	case "enum":
		m := *a
		m.Enum = append([]any{}, a.Enum...)
		for _, v := range b.Enum {
			if !containsValue(m.Enum, v) {
				m.Enum = append(m.Enum, v)
			}
		}
		return &m, true
	case "either", "oneOf", "custom":
		return nil, false
	}
	if a.Description() != b.Description() {
		return nil, false
	}
	return a, true
}

func containsValue(list []any, v any) bool {
	for _, x := range list {
		if reflect.DeepEqual(x, v) {
			return true
		}
	}
	return false
}

// typeFromNix converts a lib.types value into a *Type.
func (sc *scope) typeFromNix(v nix.Value, file string) (*Type, error) {
	fv, err := sc.force(v)
	if err != nil {
		return nil, err
	}
	if sc.tagOf(fv) != "option-type" {
		return nil, sc.st.fail("The type of an option declared in '%s' is %s, not a type from lib.types.", file, nix.TypeOf(fv))
	}
	str := func(name string) string {
		a, ok := nix.GetAttr(fv, name)
		if !ok {
			return ""
		}
		f, err := sc.force(a)
		if err != nil {
			return ""
		}
		s, _ := nix.AsString(f)
		return s
	}
	num := func(name string) int64 {
		a, _ := nix.GetAttr(fv, name)
		f, err := sc.force(a)
		if err != nil {
			return 0
		}
		i, _ := nix.AsInt(f)
		return i
	}
	elem := func() (*Type, error) {
		a, ok := nix.GetAttr(fv, "elemType")
		if !ok {
			return Unspecified(), nil
		}
		return sc.typeFromNix(a, file)
	}
	t := &Type{Name: str("name")}
	switch t.Name {
	case "listOf", "attrsOf", "nullOr", "uniq", "functionTo":
		if t.Elem, err = elem(); err != nil {
			return nil, err
		}
	case "either", "oneOf":
		al, err := sc.force(sc.attr(fv, "alts"))
		if err != nil {
			return nil, err
		}
		for _, a := range nix.Elems(al) {
			at, err := sc.typeFromNix(a, file)
			if err != nil {
				return nil, err
			}
			t.Alts = append(t.Alts, at)
		}
	case "enum":
		g, err := sc.st.ev.ToGo(sc.attr(fv, "values"))
		if err != nil {
			return nil, err
		}
		t.Enum, _ = g.([]any)
	case "coercedTo":
		for _, n := range []string{"to", "from"} {
			a, err := sc.typeFromNix(sc.attr(fv, n), file)
			if err != nil {
				return nil, err
			}
			t.Alts = append(t.Alts, a)
		}
		t.coerce = sc.attr(fv, "coerce")
	case "strMatching":
		t.Pattern = str("pattern")
	case "between":
		t.Min, t.Max = num("min"), num("max")
	case "port":
		t.Min, t.Max = 0, 65535
	case "separatedString":
		t.Sep = str("sep")
	case "submodule":
		ml, err := sc.force(sc.attr(fv, "modules"))
		if err != nil {
			return nil, err
		}
		ms := nix.Elems(ml)
		files := make([]string, len(ms))
		for i := range files {
			files[i] = file
		}
		ns := &nixSub{modules: ms, files: files}
		if sa, ok := nix.GetAttr(fv, "specialArgs"); ok {
			ns.special = sa
		}
		if sh, ok := nix.GetAttr(fv, "shorthandOnlyDefinesConfig"); ok {
			if f, err := sc.force(sh); err == nil {
				b, _ := nix.AsBool(f)
				ns.full = !b
			}
		}
		t.sub = ns
	case "custom":
		t.Desc = str("description")
		t.check = &customType{check: sc.attr(fv, "check"), merge: sc.attr(fv, "merge")}
	}
	if d := str("description"); d != "" {
		t.Desc = d
	}
	if c, ok := nix.GetAttr(fv, "extraCheck"); ok {
		if ct, ok := t.check.(*customType); ok {
			ct.extra = c
		} else {
			t.check = &customType{extra: c}
		}
	}
	return t, nil
}

type customType struct {
	check, merge, extra nix.Value
}

func (sc *scope) callBool(f, arg nix.Value) (bool, error) {
	r, err := sc.st.ev.Call(f, arg)
	if err != nil {
		return false, err
	}
	b, _ := nix.AsBool(r)
	return b, nil
}
