package nix

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// seedFromVectors adds the Nix language vectors (if present) as fuzz seeds.
func seedFromVectors(f *testing.F) {
	for _, s := range []string{`1 + 2`, `let x = { a = 1; }; in x.a or 2`, "''\n  a ${b}\n''", `{ a, ... }@x: x`,
		`rec { a = b; b = 1; }`, `with builtins; map (x: x) [ 1 ]`, `./a/${"b"}`, `"${toString 1}"`,
		// inputs that once crashed the evaluator (issue 14)
		`let a = { x = a; }; in builtins.toJSON a`, `let a = [ a ]; in a == [ a ]`,
		`let a = { x = a; }; in builtins.toXML a`, `builtins.substring 1 9223372036854775807 "abc"`} {
		f.Add(s)
	}
	files, _ := filepath.Glob(filepath.Join(langTestsDir(), "*.nix"))
	for _, p := range files {
		if data, err := os.ReadFile(p); err == nil {
			f.Add(string(data))
		}
	}
}

// internalFailure reports errors that come from a Go panic in the
// evaluator rather than from the Nix program.
func internalFailure(err error) bool {
	return err != nil && strings.Contains(err.Error(), "internal evaluator error")
}

func FuzzParse(f *testing.F) {
	seedFromVectors(f)
	f.Fuzz(func(t *testing.T, src string) {
		ev := NewEvaluator(Options{})
		if _, err := ev.Parse(src, "/fuzz/input.nix"); internalFailure(err) {
			t.Fatalf("parser failed internally on %q: %v", src, err)
		}
	})
}

func FuzzEval(f *testing.F) {
	seedFromVectors(f)
	f.Fuzz(func(t *testing.T, src string) {
		// budgets keep every input finite in time and memory
		ev := NewEvaluator(Options{MaxSteps: 20000, MaxCallDepth: 500})
		ev.maxStrLen, ev.maxListLen = 1<<16, 1<<16
		v, err := ev.EvalString(src, "/fuzz/input.nix")
		if err == nil {
			err = ev.ForceDeep(v)
			if err == nil {
				_ = Print(v)
				_, err = ev.ToJSON(v)
			}
		}
		if internalFailure(err) {
			t.Fatalf("evaluator failed internally on %q: %v", src, err)
		}
	})
}
