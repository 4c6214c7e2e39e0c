package module

import (
	"embed"
	"fmt"
	"sort"

	"github.com/nixcsh/nixcsh/core/nix"
)

// libParts are the rest of nixcsh's lib beyond lib.nix, one file per
// nixpkgs namespace (strings, lists, generators, ...). Each is a function
// `self: { ... }` of the complete lib, so the parts may use one another.
//
//go:embed lib/*.nix
var libParts embed.FS

// libCombine joins lib.nix and the parts into one lib, a fixed point so every
// part sees the complete lib. The namespaces nixpkgs offers beside the flat
// names (lib.strings.x, lib.lists.x ...) are the complete lib too, plus what a
// part puts under the namespace's name only (lib.lists.hasPrefix, whose flat
// name is the string function).
const libCombine = `base: parts:
  let
    merged = builtins.foldl' (acc: part: acc // part self) base parts;
    ns = name: self // (merged.${name} or { });
    self = merged // builtins.listToAttrs (map (name: { inherit name; value = ns name; }) [
      "strings" "lists" "attrsets" "trivial" "options" "modules" "fixedPoints"
      "customisation" "meta" "asserts" "debug" "misc"
    ]);
  in self`

// evalLib evaluates nixcsh's lib (lib.nix and lib/*.nix) in ev.
func evalLib(ev *nix.Evaluator) (nix.Value, error) {
	base, err := ev.EvalString(libSource, "/nixcsh/lib.nix")
	if err != nil {
		return nil, fmt.Errorf("lib.nix: %w", err)
	}
	entries, err := libParts.ReadDir("lib")
	if err != nil {
		return nil, err
	}
	names := make([]string, 0, len(entries))
	for _, e := range entries {
		names = append(names, e.Name())
	}
	sort.Strings(names)
	parts := make([]nix.Value, 0, len(names))
	for _, n := range names {
		text, err := libParts.ReadFile("lib/" + n)
		if err != nil {
			return nil, err
		}
		p, err := ev.EvalString(string(text), "/nixcsh/lib/"+n)
		if err != nil {
			return nil, fmt.Errorf("lib/%s: %w", n, err)
		}
		parts = append(parts, p)
	}
	combine, err := ev.EvalString(libCombine, "/nixcsh/lib-combine.nix")
	if err != nil {
		return nil, err
	}
	f, err := ev.Call(combine, base)
	if err != nil {
		return nil, err
	}
	return ev.Call(f, nix.List(parts))
}
