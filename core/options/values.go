package options

import (
	"fmt"
	"sort"
	"strings"
)

// Values reads a merged configuration tree: nested map[string]any with Go
// values (bool, int64, float64, string, []any, map[string]any, nil), as
// core/module produces it or as a test writes it by hand. An option missing
// from the tree reads as its declared default, so renderers never repeat a
// default that the declarations already hold.
type Values struct {
	tree  map[string]any
	decls []Decl
	base  string // option path prefix of this (sub)tree, for messages
}

// NewValues wraps a whole configuration tree.
func NewValues(tree map[string]any) Values {
	if tree == nil {
		tree = map[string]any{}
	}
	return Values{tree: tree, decls: All()}
}

func (v Values) decl(path string) (Decl, bool) {
	for _, d := range v.decls {
		if d.Path == path {
			return d, true
		}
	}
	return Decl{}, false
}

func lookup(tree map[string]any, path string) (any, bool) {
	parts := strings.Split(path, ".")
	var cur any = tree
	for _, p := range parts {
		mp, ok := cur.(map[string]any)
		if !ok {
			return nil, false
		}
		cur, ok = mp[p]
		if !ok {
			return nil, false
		}
	}
	return cur, true
}

// Get returns the value of a declared option (relative to this tree).
// A path that no declaration has is a renderer's typo: it would read as
// null (false, "", 0) whatever the configuration says, so it panics, and
// TestRenderersReadOnlyDeclaredOptions makes every renderer read.
func (v Values) Get(path string) any {
	d, declared := v.decl(path)
	if !declared {
		panic("options: a renderer reads " + v.Where(path) + ", which is not declared") // a defect of nixcsh, caught by the tests
	}
	if x, ok := lookup(v.tree, path); ok {
		return x
	}
	if d.HasDefault {
		return d.Default
	}
	return nil
}

// Bool reads a boolean option.
func (v Values) Bool(path string) bool { b, _ := v.Get(path).(bool); return b }

// Str reads a string option ("" when null).
func (v Values) Str(path string) string { return asString(v.Get(path)) }

// IsNull reports whether an option's value is null.
func (v Values) IsNull(path string) bool { return v.Get(path) == nil }

// Int reads an integer option; ok is false when it is null.
func (v Values) Int(path string) (int64, bool) { return asInt(v.Get(path)) }

// List reads a list option.
func (v Values) List(path string) []any { l, _ := v.Get(path).([]any); return l }

// Strings reads a list of strings (packages and paths as their strings).
func (v Values) Strings(path string) []string {
	var out []string
	for _, x := range v.List(path) {
		out = append(out, asString(x))
	}
	return out
}

// Ints reads a list of integers.
func (v Values) Ints(path string) []int {
	var out []int
	for _, x := range v.List(path) {
		if i, ok := asInt(x); ok {
			out = append(out, int(i))
		}
	}
	return out
}

// Map reads an attribute-set option.
func (v Values) Map(path string) map[string]any {
	mp, _ := v.Get(path).(map[string]any)
	return mp
}

// subDecls are the declarations of the submodules of an attrsOf or listOf
// option.
func (v Values) subDecls(path string) []Decl {
	if d, _ := v.decl(path); d.Type != nil && d.Type.Elem != nil {
		return d.Type.Elem.Options
	}
	return nil
}

// Subs reads an attrsOf-submodule option: the entries' names (sorted) and
// a Values for each, with the submodule's declarations for defaults.
func (v Values) Subs(path string) ([]string, map[string]Values) {
	sub := v.subDecls(path)
	mp := v.Map(path)
	names := make([]string, 0, len(mp))
	out := make(map[string]Values, len(mp))
	for k, x := range mp {
		t, _ := x.(map[string]any)
		names = append(names, k)
		out[k] = Values{tree: t, decls: sub, base: v.base + path + "." + k + "."}
	}
	sort.Strings(names)
	return names, out
}

// SubList reads a listOf-submodule option.
func (v Values) SubList(path string) []Values {
	sub := v.subDecls(path)
	var out []Values
	for i, x := range v.List(path) {
		t, _ := x.(map[string]any)
		out = append(out, Values{tree: t, decls: sub, base: fmt.Sprintf("%s%s.%d.", v.base, path, i)})
	}
	return out
}

// Where names this (sub)tree's option prefix in messages.
func (v Values) Where(path string) string { return v.base + path }

func asString(x any) string {
	switch t := x.(type) {
	case nil:
		return ""
	case string:
		return t
	case map[string]any: // a package or anything with an outPath
		if p, ok := t["outPath"]; ok {
			return asString(p)
		}
	case int64:
		return fmt.Sprint(t)
	case int:
		return fmt.Sprint(t)
	case bool:
		if t {
			return "1"
		}
		return ""
	}
	return fmt.Sprint(x)
}

func asInt(x any) (int64, bool) {
	switch t := x.(type) {
	case int64:
		return t, true
	case int:
		return int64(t), true
	case float64:
		return int64(t), true
	}
	return 0, false
}

// pkgName is a package's name (for `pkgs.NAME` stand-ins: NAME).
func pkgName(x any) string {
	if mp, ok := x.(map[string]any); ok {
		if n, ok := mp["pname"].(string); ok {
			return n
		}
		if n, ok := mp["name"].(string); ok {
			return n
		}
	}
	return ""
}
