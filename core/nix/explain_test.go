package nix

import (
	"strings"
	"testing"
)

// TestAttrsExplained: a set made by AttrsExplained words the error for its
// missing attributes (select, getAttr, and `with` for names it knows),
// while `or`, `?` and ordinary sets behave as in Nix.
func TestAttrsExplained(t *testing.T) {
	set := AttrsExplained(map[string]Value{"here": Int(1), "knowm": Int(2), "otter": Int(3)}, func(n string) (string, bool) {
		if n == "known" {
			return "pkgs.known: install it", true
		}
		return "pkgs." + n + ": unknown", false
	})
	ev := NewEvaluator(Options{})
	for src, want := range map[string]string{
		`s: s.known`:                    "error: pkgs.known: install it\n       at /t.nix:1:4",
		`s: s.other`:                    "error: pkgs.other: unknown\n       at /t.nix:1:4\n       Did you mean otter?",
		`s: builtins.getAttr "known" s`: "pkgs.known: install it",
		`s: with s; known`:              "error: pkgs.known: install it\n       at /t.nix:1:12",
		`s: with s; other`:              "undefined variable 'other'",
		`s: with s; here + 1`:           "",
		`s: (s.known or 5) + (if s ? known then 1 else 0)`: "",
		`s: (s // { x = 1; }).known`:                       "attribute 'known' missing",
	} {
		f, err := ev.EvalString(src, "/t.nix")
		if err != nil {
			t.Fatalf("%s: %v", src, err)
		}
		v, err := ev.Call(f, set)
		if err == nil {
			err = ev.ForceDeep(v)
		}
		switch {
		case want == "" && err != nil:
			t.Errorf("%s: %v", src, err)
		case want != "" && (err == nil || !strings.Contains(err.Error(), want)):
			t.Errorf("%s: error %v, want %q", src, err, want)
		case strings.Contains(want, "install it") && strings.Contains(err.Error(), "Did you mean"):
			t.Errorf("%s: a known missing name got a suggestion: %v", src, err)
		}
	}
}
