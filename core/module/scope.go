package module

// Scopes: one module-system evaluation (the top or a submodule).

import (
	"fmt"
	"strings"

	"github.com/nixcsh/nixcsh/core/nix"
)

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
