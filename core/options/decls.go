// Package options holds the NixOS options nixcsh implements: each declared
// once (type, default, description) and each rendering its part of a system
// generation (files under etc/, systemd units, users, the firewall).
//
// The declarations feed the module system's type checking (core/module), the
// `nixcsh options [PREFIX]` listing and REPL completion of option paths.
package options

import (
	"sort"
	"strings"

	m "github.com/nixcsh/nixcsh/core/module"
)

// Decl is one option declaration.
type Decl = m.Decl

func strList() *m.Type { return m.ListOf(m.Str()) }

// All returns every option nixcsh implements, sorted by path.
func All() []Decl {
	var ds []Decl
	for _, declare := range builtins {
		ds = append(ds, declare()...)
	}
	ds = append(ds, familyDecls()...)
	sort.Slice(ds, func(i, j int) bool { return ds[i].Path < ds[j].Path })
	return ds
}

// Paths lists the option paths under prefix (all when prefix is ""),
// descending into submodules as NixOS writes them ("users.users.<name>.uid").
// It serves `nixcsh options PREFIX` and REPL completion.
func Paths(prefix string) []string {
	var out []string
	var walk func(base string, ds []Decl)
	walk = func(base string, ds []Decl) {
		for _, d := range ds {
			p := base + d.Path
			t := d.Type
			switch {
			case t.Name == "attrsOf" && t.Elem.Name == "submodule":
				walk(p+".<name>.", t.Elem.Options)
			case t.Name == "listOf" && t.Elem.Name == "submodule":
				out = append(out, p)
				walk(p+".*.", t.Elem.Options)
			default:
				out = append(out, p)
			}
		}
	}
	walk("", All())
	var sel []string
	for _, p := range out {
		if strings.HasPrefix(p, prefix) {
			sel = append(sel, p)
		}
	}
	sort.Strings(sel)
	return sel
}

// Lookup finds the declaration of a path as Paths writes it.
func Lookup(path string) (Decl, bool) {
	var find func(base string, ds []Decl) (Decl, bool)
	find = func(base string, ds []Decl) (Decl, bool) {
		for _, d := range ds {
			p := base + d.Path
			if p == path {
				return d, true
			}
			t := d.Type
			if t.Name == "attrsOf" && t.Elem.Name == "submodule" && strings.HasPrefix(path, p+".<name>.") {
				return find(p+".<name>.", t.Elem.Options)
			}
			if t.Name == "listOf" && t.Elem.Name == "submodule" && strings.HasPrefix(path, p+".*.") {
				return find(p+".*.", t.Elem.Options)
			}
		}
		return Decl{}, false
	}
	return find("", All())
}

// Listing is one option as `nixcsh options` prints it.
type Listing struct {
	Path        string `json:"path"` // "users.users.<name>.uid"
	Type        string `json:"type"` // NixOS's wording: "null or signed integer"
	Default     any    `json:"default,omitempty"`
	HasDefault  bool   `json:"hasDefault"`
	Description string `json:"description"`
}

// List describes the options under prefix (all when ""), sorted by path,
// submodule options included with NixOS's <name> placeholder.
func List(prefix string) []Listing {
	var out []Listing
	for _, p := range Paths(prefix) {
		d, ok := Lookup(p)
		if !ok {
			continue
		}
		out = append(out, Listing{Path: p, Type: d.Type.Description(), Default: d.Default, HasDefault: d.HasDefault, Description: d.Description})
	}
	return out
}
