package module

import (
	_ "embed"
	"fmt"
	"sort"
	"strings"
	"sync"

	"github.com/nixcsh/nixcsh/core/nix"
)

// unknown is one definition of an option nobody declared.
type unknown struct {
	path   string // the option path as the user wrote it, in full
	loc    string // where it is defined, as sc.loc prints it
	value  string // the definition, shortened
	reason string // what is wrong and what to do, after "The option 'path' "
	tail   string // a line to print after the definition values, or ""
}

// checkUnknown reports definitions of options nobody declared, as NixOS
// does, before any value is computed. Every unknown option of the scope is
// reported at once, sorted by path, so that one run shows all of them and the
// same configuration always gives the same error.
func (sc *scope) checkUnknown() error {
	var found []unknown
	for _, m := range sc.modules {
		if err := sc.unknownIn(def{file: m.file, value: m.config}, sc.root, nil, m.top, &found); err != nil {
			return err
		}
	}
	if len(found) == 0 {
		return nil
	}
	sort.SliceStable(found, func(i, j int) bool {
		if found[i].path != found[j].path {
			return found[i].path < found[j].path
		}
		return found[i].loc < found[j].loc
	})
	if len(found) == 1 {
		u := found[0]
		msg := fmt.Sprintf("The option '%s' %s Definition values:\n- In %s: %s", u.path, u.reason, u.loc, u.value)
		if u.tail != "" {
			msg += "\n" + u.tail
		}
		return sc.st.fail("%s", msg)
	}
	var b strings.Builder
	fmt.Fprintf(&b, "The configuration defines %d options that nixcsh does not have:", len(found))
	for _, u := range found {
		fmt.Fprintf(&b, "\n- '%s' (in %s) %s", u.path, u.loc, strings.TrimSuffix(u.reason, "."))
		if u.tail != "" {
			fmt.Fprintf(&b, "; %s", strings.TrimSuffix(u.tail, "."))
		}
	}
	return sc.st.fail("%s", b.String())
}

// unknownIn walks a definition down the declared tree and appends each name
// that is neither a namespace nor an option to found.
func (sc *scope) unknownIn(d def, n *node, at []string, top bool, found *[]unknown) error {
	if n.opt != nil {
		return nil
	}
	return sc.properties(d, false, func(d def) error {
		return sc.unknownNames(d, n, at, top, found)
	})
}

// unknownNames is unknownIn for a definition without properties around it.
func (sc *scope) unknownNames(d def, n *node, at []string, top bool, found *[]unknown) error {
	v := d.value
	if nix.TypeOf(v) != "set" {
		return sc.notNamespace(d, at, v)
	}
	if sc.tagOf(v) == "order" {
		// NixOS reports the first of _type, priority and content as an
		// unknown option; say what is wrong instead.
		at = append(append([]string{}, at...), "_type")
		*found = append(*found, unknown{path: sc.full(at), loc: sc.loc(d), value: sc.show(v, 0),
			reason: "does not exist: mkOrder (mkBefore, mkAfter) orders the definitions of one option and cannot wrap a set of options (NixOS refuses it too). Put it on the option's value."})
		return nil
	}
	for _, name := range nix.AttrNames(v) {
		if top && len(at) == 0 && reservedKeys[name] {
			continue
		}
		child, _ := nix.GetAttr(v, name)
		pos := d.pos
		if p, ok := nix.AttrPos(v, name); ok {
			pos = p
		}
		cd := def{file: d.file, pos: pos, value: child}
		path := append(append([]string{}, at...), name)
		c := n.children[name]
		if c == nil {
			*found = append(*found, sc.describeUnknown(n, at, name, cd))
			continue
		}
		if err := sc.unknownIn(cd, c, path, false, found); err != nil {
			return err
		}
	}
	return nil
}

// describeUnknown says why name under at is not an option and what to do:
// NixOS has it but nixcsh does not; or it is a likely typo of a sibling; or
// it is nowhere, and `nixcsh options` lists what there is.
func (sc *scope) describeUnknown(parent *node, at []string, name string, cd def) unknown {
	full := sc.full(append(append([]string{}, at...), name))
	u := unknown{path: full, loc: sc.loc(cd), value: sc.show(cd.value, 0)}
	listing := "'nixcsh options'"
	if p := sc.listingPrefix(at); p != "" {
		listing = "'nixcsh options " + p + "'"
	}
	switch {
	case sc.prefix == "" && inNixOS(full):
		u.reason = fmt.Sprintf("is not implemented by nixcsh (it exists in NixOS); %s lists what is.", listing)
	default:
		siblings := make([]string, 0, len(parent.children))
		for k := range parent.children {
			siblings = append(siblings, k)
		}
		if s := suggest(name, siblings); s != "" {
			u.reason = fmt.Sprintf("does not exist. Did you mean '%s'?", sc.full(append(append([]string{}, at...), s)))
		} else if s := suggest(name, nixosChildren(joinPath(at))); sc.prefix == "" && s != "" {
			u.reason = fmt.Sprintf("does not exist. Did you mean '%s'? (NixOS has it; nixcsh does not implement it: %s lists what is.)",
				sc.full(append(append([]string{}, at...), s)), listing)
		} else {
			u.reason = "does not exist."
			u.tail = listing + " lists the options nixcsh has."
		}
	}
	return u
}

// listingPrefix is the `nixcsh options` prefix that lists the siblings of an
// unknown name under at. Inside a submodule instance ("users.users.alice")
// it is the option holding the instances ("users.users"), since the listing
// writes instance names as <name>.
func (sc *scope) listingPrefix(at []string) string {
	if sc.prefix == "" {
		return joinPath(at)
	}
	parts := SplitPath(sc.prefix)
	return joinPath(parts[:len(parts)-1])
}

// suggest is the one of names closest to name, if close enough to be a
// likely typo (a few letters added, dropped, swapped or of another case).
func suggest(name string, names []string) string {
	best, bestDist := "", -1
	names = append([]string(nil), names...)
	sort.Strings(names)
	for _, k := range names {
		d := editDistance(strings.ToLower(name), strings.ToLower(k))
		if bestDist < 0 || d < bestDist {
			best, bestDist = k, d
		}
	}
	if bestDist < 0 || bestDist > typoLimit(name) {
		return ""
	}
	return best
}

// typoLimit is how many edits still make a likely typo of a name this long.
func typoLimit(name string) int {
	switch n := len(name); {
	case n <= 3:
		return 0
	case n <= 6:
		return 1
	case n <= 12:
		return 2
	default:
		return 3
	}
}

// editDistance is the optimal string alignment distance: insertions,
// deletions, substitutions and swaps of two adjacent letters count one each.
func editDistance(a, b string) int {
	ra, rb := []rune(a), []rune(b)
	d := make([][]int, len(ra)+1)
	for i := range d {
		d[i] = make([]int, len(rb)+1)
		d[i][0] = i
	}
	for j := range d[0] {
		d[0][j] = j
	}
	for i := 1; i <= len(ra); i++ {
		for j := 1; j <= len(rb); j++ {
			cost := 1
			if ra[i-1] == rb[j-1] {
				cost = 0
			}
			d[i][j] = min(d[i-1][j]+1, d[i][j-1]+1, d[i-1][j-1]+cost)
			if i > 1 && j > 1 && ra[i-1] == rb[j-2] && ra[i-2] == rb[j-1] {
				d[i][j] = min(d[i][j], d[i-2][j-2]+1)
			}
		}
	}
	return d[len(ra)][len(rb)]
}

// nixosOptions lists NixOS's option paths two or three names deep
// ("services.gitea", "programs.zsh", "boot.loader"), one a line, as
// scripts/nixos-option-names.sh derives them from nixpkgs' nixos/modules.
//
//go:embed nixos-options.txt
var nixosOptions string

// nixosNames maps every NixOS option path or namespace of the list (each
// prefix of a listed name) to the names directly under it.
var nixosNames = sync.OnceValue(func() map[string][]string {
	m := map[string][]string{}
	for _, l := range strings.Split(nixosOptions, "\n") {
		l = strings.TrimSpace(l)
		if l == "" || strings.HasPrefix(l, "#") {
			continue
		}
		// Every prefix of a NixOS option is a NixOS namespace.
		parts := strings.Split(l, ".")
		for i := 1; i <= len(parts); i++ {
			p := strings.Join(parts[:i], ".")
			if _, ok := m[p]; !ok {
				m[p] = nil
				parent := strings.Join(parts[:i-1], ".")
				m[parent] = append(m[parent], parts[i-1])
			}
		}
	}
	return m
})

// inNixOS reports whether NixOS has an option or namespace at path.
func inNixOS(path string) bool {
	_, ok := nixosNames()[path]
	return ok
}

// nixosChildren are the names NixOS has directly under path ("" for the top).
func nixosChildren(path string) []string { return nixosNames()[path] }
