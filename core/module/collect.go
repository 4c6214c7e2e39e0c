package module

// Collecting modules: imports, module arguments and the config they define.

import (
	"errors"
	"os"
	"path/filepath"
	"strings"

	"github.com/nixcsh/nixcsh/core/fault"
	"github.com/nixcsh/nixcsh/core/nix"
)

// argsFor is the argument set of a module function: config, options, lib,
// pkgs, modulesPath (and name in submodules), plus, for every other argument
// the function names, config._module.args.NAME (lazily), as nixpkgs does.
func (sc *scope) argsFor(fn nix.Value) (nix.Value, error) {
	if sc.st.functionArgs == nil {
		fa, err := sc.st.ev.EvalShared("builtins.functionArgs", "/nixcsh/functionArgs.nix")
		if err != nil {
			return nil, err
		}
		sc.st.functionArgs = fa
	}
	formals, err := sc.st.ev.Call(sc.st.functionArgs, fn)
	if err != nil {
		return nil, err
	}
	var extra []string
	for _, n := range nix.AttrNames(formals) {
		if _, ok := nix.GetAttr(sc.args, n); !ok {
			extra = append(extra, n)
		}
	}
	if len(extra) == 0 {
		return sc.args, nil
	}
	m := map[string]nix.Value{}
	for _, n := range nix.AttrNames(sc.args) {
		m[n], _ = nix.GetAttr(sc.args, n)
	}
	for _, n := range extra {
		n := n
		m[n] = nix.Lazy(func() (nix.Value, error) {
			if _, err := sc.lazyConfig(); err != nil {
				return nil, err
			}
			// The scope's own _module.args (a submodule's), then the top's.
			for _, from := range []*scope{sc, sc.st.top} {
				if from == nil {
					continue
				}
				v, ok, err := from.moduleArg(n)
				if err != nil || ok {
					return v, err
				}
			}
			return nil, sc.st.fail("The module argument '%s' is not defined: set _module.args.%s or give the function a default for it.", n, n)
		})
	}
	return nix.Attrs(m), nil
}

// moduleArg looks name up in the scope's config._module.args.
func (sc *scope) moduleArg(name string) (nix.Value, bool, error) {
	mod, ok := nix.GetAttr(sc.config, "_module")
	if !ok {
		return nil, false, nil
	}
	fm, err := sc.force(mod)
	if err != nil {
		return nil, false, err
	}
	av, ok := nix.GetAttr(fm, "args")
	if !ok {
		return nil, false, nil
	}
	fa, err := sc.force(av)
	if err != nil {
		return nil, false, err
	}
	v, ok := nix.GetAttr(fa, name)
	return v, ok, nil
}

// moduleArgsDecl declares _module.args, in the top scope and in each
// submodule as NixOS does.
var moduleArgsDecl = Decl{Path: "_module.args", Type: AttrsOf(Raw()), Default: map[string]any{}, HasDefault: true,
	Description: "Additional arguments passed to each module (beyond config, lib, pkgs, options)."}

var reservedKeys = map[string]bool{"imports": true, "_file": true, "key": true, "disabledModules": true, "meta": true, "_class": true, "freeformType": true}

// containerProfiles are NixOS's own modules that make a system a small
// container (or trim it for one); a nixcsh container is that already, so
// importing one adds only a warning saying so.
var containerProfiles = map[string]bool{
	"virtualisation/lxc-container.nix":    true,
	"virtualisation/container-config.nix": true,
	"profiles/minimal.nix":                true,
	"profiles/headless.nix":               true,
}

func (sc *scope) collect(v nix.Value, file string, seen map[string]bool) error {
	if err := sc.st.ctx.Err(); err != nil {
		return fault.Errorf(fault.Failed, "evaluation cancelled: %w", err)
	}
	fv, err := sc.force(v)
	if err != nil {
		return err
	}
	switch nix.TypeOf(fv) {
	case "path", "string":
		p, _ := nix.AsString(fv)
		if !filepath.IsAbs(p) {
			p = filepath.Join(filepath.Dir(file), p)
		}
		if st, err := os.Stat(p); err == nil && st.IsDir() {
			p = filepath.Join(p, "default.nix")
		}
		if seen[p] {
			return nil
		}
		seen[p] = true
		if _, err := os.Stat(p); err != nil {
			if rel, ok := strings.CutPrefix(p, ModulesPath+"/"); ok && containerProfiles[rel] {
				return sc.collect(nix.FromGo(map[string]any{"warnings": []any{
					"'${modulesPath}/" + rel + "' (imported from '" + file + "') adds nothing: a nixcsh container is a minimal, headless container already"}}), p, seen)
			} else if ok {
				return sc.st.fail("The module '${modulesPath}/%s' imported from '%s' is one of NixOS's own modules, which nixcsh does not have: it implements the options itself ('nixcsh options' lists them); remove the import.", rel, file)
			}
			return sc.st.fail("The module '%s' imported from '%s' does not exist.", p, file)
		}
		mv, err := sc.st.ev.EvalFile(p)
		if err != nil {
			return err
		}
		return sc.collect(mv, p, seen)
	case "lambda":
		args, err := sc.argsFor(fv)
		if err != nil {
			return err
		}
		r, err := sc.st.ev.Call(fv, args)
		if err != nil {
			return err
		}
		return sc.collectSet(r, file, seen)
	case "set":
		return sc.collectSet(fv, file, seen)
	}
	return sc.st.fail("The module in '%s' is %s, not a module (an attribute set or a function).", file, nix.TypeOf(fv))
}

func (sc *scope) collectSet(v nix.Value, file string, seen map[string]bool) error {
	fv, err := sc.force(v)
	if err != nil {
		return err
	}
	if nix.TypeOf(fv) != "set" {
		return sc.st.fail("The module in '%s' evaluates to %s, not an attribute set.", file, nix.TypeOf(fv))
	}
	if fa, ok := nix.GetAttr(fv, "_file"); ok {
		if f, err := sc.force(fa); err == nil {
			if s, ok := nix.AsString(f); ok {
				file = s
			}
		}
	}
	if imp, ok := nix.GetAttr(fv, "imports"); ok {
		il, err := sc.force(imp)
		if err != nil {
			return err
		}
		if nix.TypeOf(il) != "list" {
			return sc.st.fail("The 'imports' of the module in '%s' is not a list.", file)
		}
		for _, m := range nix.Elems(il) {
			if err := sc.collect(m, file, seen); err != nil {
				return err
			}
		}
	}
	if ffV, ok := nix.GetAttr(fv, "freeformType"); ok {
		t, err := sc.typeFromNix(ffV, file)
		if err != nil {
			return err
		}
		sc.freeform = t
	}
	optV, hasOpts := nix.GetAttr(fv, "options")
	cfgV, hasCfg := nix.GetAttr(fv, "config")
	if hasOpts {
		if err := sc.declareNix(optV, file, nil); err != nil {
			return err
		}
	}
	if hasOpts || hasCfg {
		var extra []string
		for _, k := range nix.AttrNames(fv) {
			if k != "options" && k != "config" && !reservedKeys[k] {
				extra = append(extra, k)
			}
		}
		if len(extra) > 0 {
			return sc.st.fail("Module '%s' has an unsupported attribute '%s'. This is caused by introducing a top-level 'config' or 'options' attribute. Add configuration attributes immediately on the top level instead, or move all of them (namely: %s) into the explicit 'config' attribute.", file, extra[0], strings.Join(extra, " "))
		}
		if hasCfg {
			sc.modules = append(sc.modules, modDef{file: file, config: cfgV})
		}
		return nil
	}
	sc.modules = append(sc.modules, modDef{file: file, config: fv, top: true})
	return nil
}

// finish builds the config (and options) values: an attribute set per
// declared namespace, a lazy thunk per option.
func (sc *scope) finish() {
	if sc.built {
		return
	}
	sc.built = true
	sc.declareFreeform()
	sc.config, sc.options = sc.build(sc.root)
	sc.st.subs[sc.config] = sc
	// A submodule's value is its config without _module, as NixOS's
	// evalModules returns it (modules still see _module.args in config).
	sc.result = sc.config
	if _, ok := nix.GetAttr(sc.config, "_module"); ok {
		m := map[string]nix.Value{}
		for _, n := range nix.AttrNames(sc.config) {
			if n != "_module" {
				m[n], _ = nix.GetAttr(sc.config, n)
			}
		}
		sc.result = nix.Attrs(m)
		sc.st.subs[sc.result] = sc
	}
}

func (sc *scope) build(n *node) (nix.Value, nix.Value) {
	if o := n.opt; o != nil {
		o.thunk = nix.Lazy(func() (nix.Value, error) { return sc.value(o) })
		attrs := map[string]nix.Value{
			"_type": nix.String("option"),
			"value": o.thunk,
			"isDefined": nix.Lazy(func() (nix.Value, error) {
				if _, err := sc.value(o); err != nil {
					var ue *undefinedError
					if errors.As(err, &ue) {
						return nix.Bool(false), nil
					}
					return nil, err
				}
				return nix.Bool(o.defined), nil
			}),
			"description": nix.String(o.desc),
			"type":        nix.FromGo(map[string]any{"description": o.typ.Description(), "name": o.typ.Name}),
			"loc":         nix.FromGo(stringsToAny(o.parts)),
			"files":       sc.afterValue(o, func() nix.Value { return nix.FromGo(stringsToAny(o.files)) }),
			"definitions": sc.afterValue(o, func() nix.Value {
				vs := make([]nix.Value, len(o.defs))
				for i, d := range o.defs {
					vs[i] = d.value
				}
				return nix.List(vs)
			}),
			"highestPrio":  sc.afterValue(o, func() nix.Value { return nix.Int(int64(o.highestPrio)) }),
			"declarations": nix.FromGo([]any{fileOr(o.file)}),
		}
		if o.hasDefault {
			attrs["default"] = o.def
		}
		return o.thunk, nix.Attrs(attrs)
	}
	cfg := make(map[string]nix.Value, len(n.children))
	opts := make(map[string]nix.Value, len(n.children))
	for k, c := range n.children {
		cfg[k], opts[k] = sc.build(c)
	}
	return nix.Attrs(cfg), nix.Attrs(opts)
}

// declareFreeform declares, under a freeformType, an option of the
// freeform element type for each undeclared name the modules define at the
// root, so they are merged, checked and output like declared options.
func (sc *scope) declareFreeform() {
	if sc.freeform == nil {
		return
	}
	elem := Anything()
	if sc.freeform.Name == "attrsOf" || sc.freeform.Name == "lazyAttrsOf" {
		elem = sc.freeform.Elem
	}
	seen := map[string]bool{}
	for _, m := range sc.modules {
		for _, name := range sc.rootNames(m.config, m.top) {
			if seen[name] || sc.root.children[name] != nil {
				continue
			}
			seen[name] = true
			parts := []string{name}
			// An error here (a name that is not a string...) is reported
			// again, with its place, when the value is computed.
			_ = sc.insert(parts, &option{path: sc.full(parts), parts: parts, typ: elem, file: "freeformType"})
		}
	}
}

// rootNames lists the names a module's config defines at the root, through
// mkIf, mkMerge and priorities (without evaluating conditions).
func (sc *scope) rootNames(v nix.Value, top bool) []string {
	var out []string
	// An error here is reported again, with its place, when the value is
	// computed.
	_ = sc.properties(def{value: v}, false, func(d def) error {
		for _, n := range nix.AttrNames(d.value) {
			if !(top && reservedKeys[n]) {
				out = append(out, n)
			}
		}
		return nil
	})
	return out
}

// afterValue is a lazy attribute of options.X made from what computing the
// option's value records (its files, definitions, priority); an option
// without definitions has none, which is not an error.
func (sc *scope) afterValue(o *option, f func() nix.Value) nix.Value {
	return nix.Lazy(func() (nix.Value, error) {
		if _, err := sc.value(o); err != nil {
			var ue *undefinedError
			if !errors.As(err, &ue) {
				return nil, err
			}
		}
		return f(), nil
	})
}
