// Package module is the NixOS module system over core/nix: modules
// (attribute sets or functions of { config, lib, pkgs, options, ... }),
// imports, option declarations with types, definitions merged across modules
// by type and priority (mkDefault, mkForce, mkIf, mkMerge, mkBefore/mkAfter),
// `config` visible lazily to every module (the fixpoint), assertions and
// warnings, and NixOS's error messages.
package module

import (
	"context"
	_ "embed"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/nixcsh/nixcsh/core"
	"github.com/nixcsh/nixcsh/core/nix"
)

//go:embed lib.nix
var libSource string

// Options configure an evaluation.
type Options struct {
	// Decls are the options the host implements (core/options.All()).
	Decls []Decl
	// Packages lists the names `pkgs.NAME` offers (host programs and Debian
	// packages); it is called only if a module uses pkgs.
	Packages func() []string
	// Debian lists the installed Debian packages (pkgs.NAME's version and
	// description); PackageFiles lists the files of one, as dpkg's lists
	// do (for symlinkJoin and buildEnv of host packages).
	Debian       func() map[string]DebianPackage
	PackageFiles func(deb string) []string
	// SpecialArgs are extra module arguments (e.g. the container's name).
	SpecialArgs map[string]any
	// Modules are nixcsh's own modules (the config half of its service
	// families, as NixOS's nixos/modules are), evaluated with the user's.
	Modules []Source
}

// ModulesPath is where nixcsh's own modules live, as nixpkgs' nixos/modules
// does on NixOS (the `modulesPath` module argument).
const ModulesPath = "/nixcsh/modules"

// Source is a module given as text; File names it in errors and positions
// ("/nixcsh/modules/nginx.nix").
type Source struct {
	File, Text string
}

// Config is an evaluated configuration.
type Config struct {
	tree map[string]any
	// Defined lists the option paths that the user's modules defined (not
	// only defaulted, nor only set by nixcsh's own modules), sorted: the
	// "options used" of a generation's manifest.
	Defined []string
	// Warnings are the values of the `warnings` option.
	Warnings []string
	// Decls are all declarations: the host's and those of the modules.
	Decls []Decl
	// Files were made by pkgs.writeText and friends, at paths relative to
	// the generation; values name them through StorePlaceholder.
	Files map[string]WrittenFile
}

// Tree returns the whole configuration as Go values: nested
// map[string]any with bool, int64, float64, string, []any, nil; packages
// are maps with name, pname, outPath, mainProgram and (for host packages)
// debianPackage. Options without value are absent.
func (c *Config) Tree() map[string]any { return c.tree }

// Get returns the value at a dotted option path ("services.openssh.ports";
// quote names holding dots: environment.etc."foo.conf"). "" is the whole tree.
func (c *Config) Get(path string) (any, bool) {
	var cur any = c.tree
	if path == "" {
		return cur, true
	}
	for _, p := range SplitPath(path) {
		m, ok := cur.(map[string]any)
		if !ok {
			return nil, false
		}
		if cur, ok = m[p]; !ok {
			return nil, false
		}
	}
	return cur, true
}

// SplitPath splits an option path at dots outside double quotes.
func SplitPath(path string) []string {
	var parts []string
	var cur strings.Builder
	quoted := false
	for _, r := range path {
		switch {
		case r == '"':
			quoted = !quoted
		case r == '.' && !quoted:
			parts = append(parts, cur.String())
			cur.Reset()
		default:
			cur.WriteRune(r)
		}
	}
	return append(parts, cur.String())
}

// state is one evaluation: the evaluator, lib, pkgs and the first error of
// the module system (kept typed: errors passing through the Nix evaluator
// come back as *nix.EvalError with the same message).
type state struct {
	ctx     context.Context
	ev      *nix.Evaluator
	lib     nix.Value
	pkgs    nix.Value
	pkgsSet nix.Value // pkgs once made
	files   func(deb string) []string
	builds  map[string]nix.Value // runCommand and friends, by store name
	toJSON  nix.Value            // builtins.toJSON, for pkgs.formats
	special map[string]nix.Value
	errs    map[string]error
	subs    map[nix.Value]*scope
	written map[string]WrittenFile
	// functionArgs is builtins.functionArgs; top is the outermost scope,
	// whose config holds _module.args.
	functionArgs nix.Value
	top          *scope
	// walking holds the sets and lists toGo is inside of, so a value that
	// contains itself (lib, pkgs held in an option) is left out, not
	// followed forever.
	walking map[nix.Value]bool
}

func (st *state) fail(format string, args ...any) error {
	err := core.Errorf(core.Invalid, format, args...)
	st.errs[err.Error()] = err
	return err
}

// undefinedError is an option read without any definition or default.
type undefinedError struct{ msg string }

func (e *undefinedError) Error() string { return e.msg }

// unwrap turns an error that went through the evaluator back into ours, and
// an evaluation error into a core.Error.
func (st *state) unwrap(err error) error {
	if err == nil {
		return nil
	}
	var ce *core.Error
	if errors.As(err, &ce) {
		return err
	}
	var ue *undefinedError
	if errors.As(err, &ue) {
		return core.Errorf(core.Invalid, "%s", ue.msg)
	}
	var ee *nix.EvalError
	if errors.As(err, &ee) {
		if mine, ok := st.errs[ee.Msg]; ok {
			return mine
		}
		return core.Errorf(core.Invalid, "%s", ee.Error())
	}
	return core.Errorf(core.Invalid, "%s", err.Error())
}

// Eval evaluates the NixOS configuration in configFile against decls and
// everything its modules declare. Errors are core.Invalid with NixOS's text.
func Eval(ctx context.Context, configFile string, o Options) (*Config, error) {
	abs, err := filepath.Abs(configFile)
	if err != nil {
		return nil, core.Errorf(core.Invalid, "cannot resolve %s: %w", configFile, err)
	}
	if _, err := os.Stat(abs); err != nil {
		return nil, core.Errorf(core.NotFound, "the configuration file %s does not exist", abs)
	}
	st, err := newState(ctx, o)
	if err != nil {
		return nil, err
	}
	sc := newScope(st, "", "")
	st.top = sc
	if err := sc.declareGo(moduleArgsDecl); err != nil {
		return nil, err
	}
	for _, d := range o.Decls {
		if err := sc.declareGo(d); err != nil {
			return nil, err
		}
	}
	seen := map[string]bool{}
	for _, m := range o.Modules {
		mv, err := st.ev.EvalShared(m.Text, m.File)
		if err != nil {
			return nil, core.Errorf(core.Failed, "nixcsh's module %s does not evaluate: %v", m.File, err)
		}
		if err := sc.collect(mv, m.File, seen); err != nil {
			return nil, st.unwrap(err)
		}
	}
	if err := sc.collect(nix.Path(abs), abs, seen); err != nil {
		return nil, st.unwrap(err)
	}
	sc.finish()
	if err := sc.checkUnknown(); err != nil {
		return nil, st.unwrap(err)
	}
	cfg := &Config{}
	if err := sc.assertions(cfg); err != nil {
		return nil, st.unwrap(err)
	}
	tree, err := sc.toTree(sc.root)
	if err != nil {
		return nil, st.unwrap(err)
	}
	cfg.tree = tree
	cfg.Defined = sc.defined()
	cfg.Decls = sc.decls()
	cfg.Files = st.written
	return cfg, nil
}

// newState is an evaluator with nixcsh's lib and pkgs.
func newState(ctx context.Context, o Options) (*state, error) {
	st := &state{ctx: ctx, ev: nix.NewEvaluator(nix.Options{HostPaths: true}), errs: map[string]error{}, subs: map[nix.Value]*scope{}, written: map[string]WrittenFile{}, files: o.PackageFiles, builds: map[string]nix.Value{}}
	lib, err := evalLib(st.ev, map[string]nix.Value{
		"evalModules": nix.Builtin("evalModules", 1, func(_ *nix.Evaluator, args []nix.Value) (nix.Value, error) {
			return st.evalModules(args[0])
		}),
	})
	if err != nil {
		return nil, core.Errorf(core.Failed, "nixcsh's lib does not evaluate: %v", err)
	}
	st.lib = lib
	st.pkgs = nix.Lazy(func() (nix.Value, error) { return st.makePkgs(o) })
	st.special = map[string]nix.Value{}
	for k, v := range o.SpecialArgs {
		st.special[k] = nix.FromGo(v)
	}
	return st, nil
}

// --- scopes: one module-system evaluation (the top or a submodule) --------

type node struct {
	children map[string]*node
	opt      *option
}

type option struct {
	path        string
	parts       []string
	typ         *Type
	def         nix.Value
	hasDefault  bool
	file        string
	desc        string
	example     any
	apply       nix.Value // mkOption's apply: a function of the merged value, or nil
	thunk       nix.Value
	state       int // 0 not computed, 1 computing, 2 done
	val         nix.Value
	err         error
	defined     bool
	files       []string // the files of its definitions, as options.X.files
	defs        []def    // the definitions of the highest priority (options.X.definitions)
	highestPrio int
	byUser      bool // defined by a module other than nixcsh's own
	declared    Decl
	aliasOf     []string // Decl.AliasOf, split
}

type modDef struct {
	file   string
	config nix.Value
	top    bool // the module itself is its config: skip imports, _file, ...
}

type def struct {
	file  string
	pos   nix.Pos
	value nix.Value
	conds []nix.Value
	prio  int
	order int
}

type scope struct {
	st      *state
	prefix  string // option path of a submodule instance ("users.users.alice")
	name    string // submodule instance name
	root    *node
	modules []modDef
	config  nix.Value
	options nix.Value
	args    nix.Value
	result  nix.Value // config without _module: a submodule's value
	built   bool
	// aliases maps an option path to the paths of the options that are
	// aliases of it (Decl.AliasOf): their definitions are its own too.
	aliases map[string][][]string
	// freeform is the module's freeformType: definitions of undeclared
	// names at the scope's root are accepted and merged by it (its element
	// type for attrsOf).
	freeform *Type
}

func newScope(st *state, prefix, name string) *scope {
	sc := &scope{st: st, prefix: prefix, name: name, root: &node{children: map[string]*node{}}, aliases: map[string][][]string{}}
	args := map[string]nix.Value{
		"config": nix.Lazy(func() (nix.Value, error) { return sc.lazyConfig() }),
		"options": nix.Lazy(func() (nix.Value, error) {
			if _, err := sc.lazyConfig(); err != nil {
				return nil, err
			}
			return sc.options, nil
		}),
		"lib":         st.lib,
		"pkgs":        st.pkgs,
		"modulesPath": nix.String(ModulesPath),
	}
	if prefix != "" {
		args["name"] = nix.String(name)
	}
	for k, v := range st.special {
		args[k] = v
	}
	sc.args = nix.Attrs(args)
	return sc
}

// addArgs adds module arguments (submoduleWith's specialArgs) to the scope's.
func (sc *scope) addArgs(extra nix.Value) error {
	fe, err := sc.force(extra)
	if err != nil {
		return err
	}
	if nix.TypeOf(fe) != "set" {
		return sc.st.fail("The specialArgs of the submodule '%s' are %s, not an attribute set.", sc.prefix, nix.TypeOf(fe))
	}
	m := map[string]nix.Value{}
	for _, n := range nix.AttrNames(sc.args) {
		m[n], _ = nix.GetAttr(sc.args, n)
	}
	for _, n := range nix.AttrNames(fe) {
		m[n], _ = nix.GetAttr(fe, n)
	}
	sc.args = nix.Attrs(m)
	return nil
}

func (sc *scope) lazyConfig() (nix.Value, error) {
	if !sc.built {
		return nil, sc.st.fail("infinite recursion encountered: 'config' is used while the modules are still being collected (imports must not depend on config)")
	}
	return sc.config, nil
}

func (sc *scope) full(parts []string) string {
	p := joinPath(parts)
	if sc.prefix == "" {
		return p
	}
	if p == "" {
		return sc.prefix
	}
	return sc.prefix + "." + p
}

// joinPath writes an option path, quoting names that are not identifiers.
func joinPath(parts []string) string {
	out := make([]string, len(parts))
	for i, p := range parts {
		if isIdent(p) {
			out[i] = p
		} else {
			out[i] = fmt.Sprintf("%q", p)
		}
	}
	return strings.Join(out, ".")
}

func isIdent(s string) bool {
	if s == "" {
		return false
	}
	for i, r := range s {
		switch {
		case r == '_' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z':
		case i > 0 && (r >= '0' && r <= '9' || r == '-' || r == '\''):
		default:
			return false
		}
	}
	return true
}

func (sc *scope) force(v nix.Value) (nix.Value, error) { return sc.st.ev.Force(v) }

// --- declarations ------------------------------------------------------------

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

// --- collecting modules ------------------------------------------------------

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
		return core.Errorf(core.Failed, "evaluation cancelled: %w", err)
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
	fv, err := sc.force(v)
	if err != nil {
		return nil
	}
	switch sc.tagOf(fv) {
	case "merge":
		cl, err := sc.force(sc.attr(fv, "contents"))
		if err != nil {
			return nil
		}
		var out []string
		for _, c := range nix.Elems(cl) {
			out = append(out, sc.rootNames(c, top)...)
		}
		return out
	case "if", "override", "order":
		return sc.rootNames(sc.attr(fv, "content"), top)
	}
	var out []string
	for _, n := range nix.AttrNames(fv) {
		if !(top && reservedKeys[n]) {
			out = append(out, n)
		}
	}
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

// --- definitions ------------------------------------------------------------

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

// --- option values -----------------------------------------------------------

func (sc *scope) value(o *option) (nix.Value, error) {
	switch o.state {
	case 2:
		return o.val, o.err
	case 1:
		return nil, sc.st.fail("infinite recursion encountered while evaluating the option '%s'", o.path)
	}
	if err := sc.st.ctx.Err(); err != nil {
		return nil, core.Errorf(core.Failed, "evaluation cancelled: %w", err)
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
// checks them against the type and merges them.
func (sc *scope) mergeDefs(path string, t *Type, all []def, name string) (nix.Value, error) {
	_, defs := topPriority(all)
	sort.SliceStable(defs, func(i, j int) bool { return orderOf(defs[i]) < orderOf(defs[j]) })
	if len(defs) == 0 {
		return nil, &undefinedError{msg: fmt.Sprintf("The option '%s' is used but not defined.", path)}
	}
	var bad []def
	for _, d := range defs {
		ok, err := sc.check(t, d.value)
		if err != nil {
			return nil, err
		}
		if !ok {
			bad = append(bad, d)
		}
	}
	if len(bad) > 0 {
		return nil, sc.st.fail("A definition for option '%s' is not of type '%s'. Definition values:%s", path, t.Description(), sc.showDefs(bad))
	}
	return sc.merge(path, t, defs, name)
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

// --- results -------------------------------------------------------------------

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

func (sc *scope) assertions(cfg *Config) error {
	if n := sc.root.children["assertions"]; n != nil && n.opt != nil {
		v, err := sc.value(n.opt)
		if err != nil {
			return err
		}
		g, _, err := sc.toGo(v)
		if err != nil {
			return err
		}
		var failed []string
		l, _ := g.([]any)
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
	}
	if n := sc.root.children["warnings"]; n != nil && n.opt != nil {
		v, err := sc.value(n.opt)
		if err != nil {
			return err
		}
		g, _, err := sc.toGo(v)
		if err != nil {
			return err
		}
		l, _ := g.([]any)
		for _, w := range l {
			if s, ok := w.(string); ok {
				cfg.Warnings = append(cfg.Warnings, s)
			}
		}
	}
	return nil
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
