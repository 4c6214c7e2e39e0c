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
	"os"
	"path/filepath"
	"strings"

	"github.com/nixcsh/nixcsh/core/fault"
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
	err := fault.Errorf(fault.Invalid, format, args...)
	st.errs[err.Error()] = err
	return err
}

// undefinedError is an option read without any definition or default.
type undefinedError struct{ msg string }

func (e *undefinedError) Error() string { return e.msg }

// unwrap turns an error that went through the evaluator back into ours, and
// an evaluation error into a fault.Error.
func (st *state) unwrap(err error) error {
	if err == nil {
		return nil
	}
	var ce *fault.Error
	if errors.As(err, &ce) {
		return err
	}
	var ue *undefinedError
	if errors.As(err, &ue) {
		return fault.Errorf(fault.Invalid, "%s", ue.msg)
	}
	var ee *nix.EvalError
	if errors.As(err, &ee) {
		if mine, ok := st.errs[ee.Msg]; ok {
			return mine
		}
		return fault.Errorf(fault.Invalid, "%s", ee.Error())
	}
	return fault.Errorf(fault.Invalid, "%s", err.Error())
}

// Eval evaluates the NixOS configuration in configFile against decls and
// everything its modules declare. Errors are fault.Invalid with NixOS's text.
func Eval(ctx context.Context, configFile string, o Options) (*Config, error) {
	abs, err := filepath.Abs(configFile)
	if err != nil {
		return nil, fault.Errorf(fault.Invalid, "cannot resolve %s: %w", configFile, err)
	}
	if _, err := os.Stat(abs); err != nil {
		return nil, fault.Errorf(fault.NotFound, "the configuration file %s does not exist", abs)
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
			return nil, fault.Errorf(fault.Failed, "nixcsh's module %s does not evaluate: %v", m.File, err)
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
		return nil, fault.Errorf(fault.Failed, "nixcsh's lib does not evaluate: %v", err)
	}
	st.lib = lib
	st.pkgs = nix.Lazy(func() (nix.Value, error) { return st.makePkgs(o) })
	st.special = map[string]nix.Value{}
	for k, v := range o.SpecialArgs {
		st.special[k] = nix.FromGo(v)
	}
	return st, nil
}
