package module

// Results: the evaluated configuration as Go values, assertions and warnings,
// the options defined and declared.

import (
	"errors"
	"sort"
	"strings"

	"github.com/nixcsh/nixcsh/core/nix"
)

// toTree computes every option value under n. Children go in sorted order
// so that, of several broken options, the same one is reported every run.
func (sc *scope) toTree(n *node) (map[string]any, error) {
	out := map[string]any{}
	for _, k := range sortedChildren(n) {
		c := n.children[k]
		if n == sc.root && k == "_module" {
			continue // the modules' arguments, not part of the system
		}
		if c.opt != nil && c.opt.typ != nil && c.opt.typ.Name == "raw" {
			// A raw value (nixpkgs.pkgs = pkgs) is for modules to read; it
			// may be a whole package set, so it is not converted.
			continue
		}
		if c.opt != nil {
			// An option a module declared in Nix and nobody defined has its
			// default only for that module's use: nixcsh renders only its
			// own options, so a default that fails (a package the host
			// lacks, in a disabled service) is left out, as NixOS never
			// evaluates it; what reads it still gets the error. Definitions
			// are always checked.
			v, err := sc.value(c.opt)
			userOpt := c.opt.declared.Path == "" && !c.opt.defined
			if err != nil {
				var ue *undefinedError
				if errors.As(err, &ue) || userOpt {
					continue
				}
				return nil, err
			}
			g, keep, err := sc.toGo(v)
			if err != nil && userOpt {
				continue
			}
			if err != nil {
				return nil, err
			}
			if keep {
				out[k] = g
			}
			continue
		}
		sub, err := sc.toTree(c)
		if err != nil {
			return nil, err
		}
		out[k] = sub
	}
	return out, nil
}

// toGo converts a merged value; functions are left out (keep false), and
// so are `lib`, `pkgs` and any set met again inside itself (lib.strings is
// lib): values may hold them (_module.args.mypkgs = pkgs), but they are
// the evaluation's tools, not configuration data.
func (sc *scope) toGo(v nix.Value) (any, bool, error) {
	return sc.toGoIn(v, map[nix.Value]bool{})
}

func (sc *scope) toGoIn(v nix.Value, open map[nix.Value]bool) (any, bool, error) {
	fv, err := sc.force(v)
	if err != nil {
		return nil, false, err
	}
	if sub, ok := sc.st.subs[fv]; ok && sub != sc {
		t, err := sub.toTree(sub.root)
		return t, true, err
	}
	if open[fv] || sc.st.toolName(fv) != "" {
		return nil, false, nil
	}
	switch nix.TypeOf(fv) {
	case "list", "set":
		if sc.st.walking == nil {
			sc.st.walking = map[nix.Value]bool{}
		}
		if sc.st.walking[fv] {
			return nil, false, nil
		}
		sc.st.walking[fv] = true
		defer delete(sc.st.walking, fv)
	}
	switch nix.TypeOf(fv) {
	case "lambda":
		return nil, false, nil
	case "list":
		open[fv] = true
		defer delete(open, fv)
		l := make([]any, 0, len(nix.Elems(fv)))
		for _, e := range nix.Elems(fv) {
			g, keep, err := sc.toGoIn(e, open)
			if err != nil {
				return nil, false, err
			}
			if keep {
				l = append(l, g)
			}
		}
		return l, true, nil
	case "set":
		if isDerivation(sc, fv) {
			m := map[string]any{"type": "derivation"}
			for _, k := range []string{"name", "pname", "outPath", "debianPackage"} {
				if a, ok := nix.GetAttr(fv, k); ok {
					if f, err := sc.force(a); err == nil {
						if s, ok := nix.AsString(f); ok {
							m[k] = s
						}
					}
				}
			}
			// meta.mainProgram, as "mainProgram": the program of a shell.
			if meta, ok := nix.GetAttr(fv, "meta"); ok {
				if fm, err := sc.force(meta); err == nil {
					if mp, ok := nix.GetAttr(fm, "mainProgram"); ok {
						if f, err := sc.force(mp); err == nil {
							if s, ok := nix.AsString(f); ok {
								m["mainProgram"] = s
							}
						}
					}
				}
			}
			return m, true, nil
		}
		open[fv] = true
		defer delete(open, fv)
		m := map[string]any{}
		for _, k := range nix.AttrNames(fv) {
			a, _ := nix.GetAttr(fv, k)
			g, keep, err := sc.toGoIn(a, open)
			if err != nil {
				return nil, false, err
			}
			if keep {
				m[k] = g
			}
		}
		return m, true, nil
	}
	g, err := sc.st.ev.ToGo(fv)
	return g, true, err
}

func isDerivation(sc *scope, v nix.Value) bool {
	if t, ok := nix.GetAttr(v, "type"); ok {
		if f, err := sc.force(t); err == nil {
			if s, _ := nix.AsString(f); s == "derivation" {
				return true
			}
		}
	}
	_, hasOut := nix.GetAttr(v, "outPath")
	return hasOut
}

// assertions fails with the messages of the failed assertions, as NixOS
// does, and puts the warnings into cfg.
func (sc *scope) assertions(cfg *Config) error {
	l, err := sc.rootList("assertions")
	if err != nil {
		return err
	}
	var failed []string
	for _, a := range l {
		m, _ := a.(map[string]any)
		if ok, _ := m["assertion"].(bool); !ok {
			msg, _ := m["message"].(string)
			failed = append(failed, "- "+msg)
		}
	}
	if len(failed) > 0 {
		return sc.st.fail("Failed assertions:\n%s", strings.Join(failed, "\n"))
	}
	l, err = sc.rootList("warnings")
	if err != nil {
		return err
	}
	for _, w := range l {
		if s, ok := w.(string); ok {
			cfg.Warnings = append(cfg.Warnings, s)
		}
	}
	return nil
}

// rootList is the value of the list option name at the root of the scope,
// as Go values (nil if it is not declared).
func (sc *scope) rootList(name string) ([]any, error) {
	n := sc.root.children[name]
	if n == nil || n.opt == nil {
		return nil, nil
	}
	v, err := sc.value(n.opt)
	if err != nil {
		return nil, err
	}
	g, _, err := sc.toGo(v)
	l, _ := g.([]any)
	return l, err
}

func (sc *scope) walkOpts(n *node, f func(*option)) {
	if n.opt != nil {
		f(n.opt)
		return
	}
	for _, k := range sortedChildren(n) {
		sc.walkOpts(n.children[k], f)
	}
}

func sortedChildren(n *node) []string {
	keys := make([]string, 0, len(n.children))
	for k := range n.children {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

func (sc *scope) defined() []string {
	var out []string
	sc.walkOpts(sc.root, func(o *option) {
		if o.state == 2 && o.byUser {
			out = append(out, o.path)
		}
	})
	return out
}

func (sc *scope) decls() []Decl {
	var out []Decl
	sc.walkOpts(sc.root, func(o *option) {
		if o.declared.Path != "" {
			out = append(out, o.declared)
			return
		}
		out = append(out, Decl{Path: o.path, Type: o.typ, HasDefault: o.hasDefault, Description: o.desc, File: o.file})
	})
	return out
}
