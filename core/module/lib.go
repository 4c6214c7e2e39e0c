package module

import (
	"embed"
	"fmt"
	"regexp"
	"sort"
	"strings"
	"sync"

	"github.com/nixcsh/nixcsh/core/nix"
)

// libParts are the rest of nixcsh's lib beyond lib.nix, one file per
// nixpkgs namespace (strings, lists, generators, ...). Each is a function
// `self: let ... in { ... }` of the complete lib, so the parts may use one
// another; the names of its result set are written one per line, two spaces
// in (`  name = ...` or `  inherit ... a b;`), which lets evalLib list them
// without parsing the file (TestLibPartNames checks the listing).
//
//go:embed lib/*.nix
var libParts embed.FS

// libPart is one file of libParts and the names it defines.
type libPart struct {
	file, text string
	names      []string
}

var (
	libPartsOnce sync.Once
	libPartList  []libPart
	libPartsErr  error
)

func loadLibParts() ([]libPart, error) {
	libPartsOnce.Do(func() {
		entries, err := libParts.ReadDir("lib")
		if err != nil {
			libPartsErr = err
			return
		}
		var names []string
		for _, e := range entries {
			names = append(names, e.Name())
		}
		sort.Strings(names)
		for _, n := range names {
			text, err := libParts.ReadFile("lib/" + n)
			if err != nil {
				libPartsErr = err
				return
			}
			libPartList = append(libPartList, libPart{file: "/nixcsh/lib/" + n, text: string(text), names: partNames(string(text))})
		}
	})
	return libPartList, libPartsErr
}

var (
	partBinding = regexp.MustCompile(`^  ([A-Za-z_][A-Za-z0-9_'-]*) =`)
	partInherit = regexp.MustCompile(`^  inherit\b(?:\s*\([^)]*\))?([^;]*)(;?)`)
)

// partNames lists the names a part's result set defines: its top-level
// bindings after the final `in`.
func partNames(text string) []string {
	lines := strings.Split(text, "\n")
	start := 0
	for i, l := range lines {
		if l == "in" {
			start = i + 1
		}
	}
	var names []string
	for i := start; i < len(lines); i++ {
		l := lines[i]
		if m := partBinding.FindStringSubmatch(l); m != nil {
			names = append(names, m[1])
			continue
		}
		if m := partInherit.FindStringSubmatch(l); m != nil {
			names = append(names, strings.Fields(m[1])...)
			// An inherit may go on over the next lines, to its semicolon.
			for m[2] == "" && i+1 < len(lines) {
				i++
				rest, _, found := strings.Cut(lines[i], ";")
				names = append(names, strings.Fields(rest)...)
				if found {
					break
				}
			}
		}
	}
	return names
}

// libCombine joins lib.nix and the parts into one lib. The namespaces
// nixpkgs offers beside the flat names (lib.strings.x, lib.lists.x ...) are
// the complete lib too, plus what a part puts under the namespace's name only
// (lib.lists.hasPrefix, whose flat name is the string function).
const libCombine = `base: parts:
  let
    merged = base // parts;
    ns = name: self // (merged.${name} or { });
    self = merged // builtins.listToAttrs (map (name: { inherit name; value = ns name; }) [
      "strings" "lists" "attrsets" "trivial" "options" "modules" "fixedPoints"
      "customisation" "meta" "asserts" "debug" "misc"
    ]);
  in self`

// evalLib evaluates nixcsh's lib (lib.nix and lib/*.nix) in ev. A part is
// parsed and evaluated only when one of its names is first used, so a
// configuration pays only for the lib it uses; later parts override earlier
// ones and lib.nix. extra are names made in Go (lib.evalModules), which
// override all.
func evalLib(ev *nix.Evaluator, extra map[string]nix.Value) (nix.Value, error) {
	base, err := ev.EvalShared(libSource, "/nixcsh/lib.nix")
	if err != nil {
		return nil, fmt.Errorf("lib.nix: %w", err)
	}
	parts, err := loadLibParts()
	if err != nil {
		return nil, err
	}
	var self nix.Value // the complete lib, set below before any part is forced
	defs := map[string]nix.Value{}
	for _, p := range parts {
		p := p
		value := nix.Lazy(func() (nix.Value, error) {
			fn, err := ev.EvalShared(p.text, p.file)
			if err != nil {
				return nil, err
			}
			v, err := ev.Call(fn, self)
			if err != nil {
				return nil, err
			}
			return ev.Force(v)
		})
		for _, n := range p.names {
			n := n
			defs[n] = nix.Lazy(func() (nix.Value, error) {
				pv, err := ev.Force(value)
				if err != nil {
					return nil, err
				}
				v, ok := nix.GetAttr(pv, n)
				if !ok {
					return nil, fmt.Errorf("nixcsh's %s does not define '%s' although its layout says so", p.file, n)
				}
				return v, nil
			})
		}
	}
	for n, v := range extra {
		defs[n] = v
	}
	combine, err := ev.EvalShared(libCombine, "/nixcsh/lib-combine.nix")
	if err != nil {
		return nil, err
	}
	f, err := ev.Call(combine, base)
	if err != nil {
		return nil, err
	}
	self, err = ev.Call(f, nix.Attrs(defs))
	return self, err
}
