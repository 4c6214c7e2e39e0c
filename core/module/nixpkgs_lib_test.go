package module

import (
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/nixcsh/nixcsh/core/nix"
)

// TestNixpkgsLibMisc runs nixpkgs' own lib test suite, lib/tests/misc.nix,
// against nixcsh's lib: every test case's `expr` is compared with its
// `expected` as `nix-instantiate --eval --strict` would, with nixcsh's
// lib.nix standing in for nixpkgs' lib/default.nix. It needs a nixpkgs
// checkout (or just its lib/ directory, e.g. nix-community/nixpkgs.lib) in
// NIXCSH_NIXPKGS and is skipped otherwise; nixpkgs' files are read there and
// never copied into nixcsh.
//
// It reports how many cases pass, fail, or use a name nixcsh's lib lacks
// (most used missing names first); NIXCSH_NIXPKGS_VERBOSE=1 lists every
// case. It fails when fewer cases pass than NIXCSH_NIXPKGS_MIN_PASS (default
// minMiscPass), so the count cannot silently go down.
func TestNixpkgsLibMisc(t *testing.T) {
	root := os.Getenv("NIXCSH_NIXPKGS")
	if root == "" {
		t.Skip("set NIXCSH_NIXPKGS to a nixpkgs checkout to run nixpkgs' lib/tests/misc.nix against nixcsh's lib")
	}
	file := filepath.Join(root, "lib", "tests", "misc.nix")
	data, err := os.ReadFile(file)
	if err != nil {
		t.Fatalf("NIXCSH_NIXPKGS=%s holds no lib/tests/misc.nix: %v", root, err)
	}
	src := string(data)
	if !strings.Contains(src, "import ../default.nix") {
		t.Fatalf("%s does not import ../default.nix; this harness substitutes that import with nixcsh's lib", file)
	}
	// The file becomes a function of nixcsh's lib; its relative paths
	// (./test-to-plist-expected.plist ...) still resolve next to the original.
	// nixcsh's evaluator has no store and so no `derivation`: the harness
	// gives the few cases that make one a stand-in with a derivation's shape
	// (what lib functions look at), keeping one line so positions still match.
	src = "__nixcshLib: let derivation = " + fakeDerivation + "; in " +
		strings.ReplaceAll(src, "import ../default.nix", "__nixcshLib")

	ev := nix.NewEvaluator(nix.Options{MaxSteps: 50_000_000})
	lib, err := evalLib(ev, nil)
	if err != nil {
		t.Fatal(err)
	}
	// runTests and testAllTrue are nixpkgs' test driver, not part of what a
	// configuration uses: the harness brings its own so that every case is
	// counted here one by one.
	wrap, err := ev.EvalString(`lib: lib // {
	  runTests = tests: tests;
	  testAllTrue = expr: { inherit expr; expected = map (x: true) expr; };
	}`, "/nixcsh/misc-harness.nix")
	if err != nil {
		t.Fatal(err)
	}
	hlib, err := ev.Call(wrap, lib)
	if err != nil {
		t.Fatal(err)
	}
	fn, err := ev.EvalString(src, file)
	if err != nil {
		t.Fatalf("%s does not parse: %v", file, err)
	}
	tests, err := ev.Call(fn, hlib)
	if err == nil {
		tests, err = ev.Force(tests)
	}
	if err != nil {
		t.Fatalf("misc.nix does not evaluate to its test set: %v", err)
	}
	eq, err := ev.EvalString(`a: b: a == b`, "/nixcsh/misc-eq.nix")
	if err != nil {
		t.Fatal(err)
	}

	verbose := os.Getenv("NIXCSH_NIXPKGS_VERBOSE") != ""
	missingRe := regexp.MustCompile(`attribute '([^']+)' missing|undefined variable '([^']+)'`)
	var pass, fail, missing int
	missingNames := map[string]int{}
	for _, name := range nix.AttrNames(tests) {
		if !strings.HasPrefix(name, "test") {
			continue
		}
		ok, detail := runMiscCase(ev, eq, tests, name)
		switch {
		case ok:
			pass++
		case missingRe.MatchString(detail):
			m := missingRe.FindStringSubmatch(detail)
			n := m[1] + m[2]
			missingNames[n]++
			missing++
		default:
			fail++
		}
		if verbose {
			status := "PASS"
			if !ok {
				status = "FAIL " + firstLine(detail)
			}
			t.Logf("%s: %s", name, status)
		}
	}
	names := make([]string, 0, len(missingNames))
	for n := range missingNames {
		names = append(names, n)
	}
	sort.Slice(names, func(i, j int) bool {
		if missingNames[names[i]] != missingNames[names[j]] {
			return missingNames[names[i]] > missingNames[names[j]]
		}
		return names[i] < names[j]
	})
	var ms []string
	for _, n := range names {
		ms = append(ms, n+"×"+strconv.Itoa(missingNames[n]))
	}
	t.Logf("nixpkgs lib/tests/misc.nix against nixcsh's lib: %d pass, %d fail, %d use a missing name (of %d cases)", pass, fail, missing, pass+fail+missing)
	t.Logf("missing names: %s", strings.Join(ms, " "))
	min := minMiscPass
	if s := os.Getenv("NIXCSH_NIXPKGS_MIN_PASS"); s != "" {
		if min, err = strconv.Atoi(s); err != nil {
			t.Fatalf("NIXCSH_NIXPKGS_MIN_PASS=%q is not a number", s)
		}
	}
	if pass < min {
		t.Errorf("only %d cases of misc.nix pass; at least %d did before", pass, min)
	}
}

const fakeDerivation = `attrs: attrs // { type = "derivation"; outputName = "out"; outputs = [ "out" ]; ` +
	`drvPath = "${builtins.storeDir}/00000000000000000000000000000000-${attrs.name}.drv"; ` +
	`outPath = "${builtins.storeDir}/00000000000000000000000000000000-${attrs.name}"; }`

// minMiscPass is how many cases of nixpkgs' misc.nix (as of nixpkgs.lib
// de42d44, June 2026) nixcsh's lib passes.
const minMiscPass = 282

// runMiscCase evaluates one case deeply and compares expr with expected;
// detail says why it did not pass.
func runMiscCase(ev *nix.Evaluator, eq, tests nix.Value, name string) (bool, string) {
	tc, _ := nix.GetAttr(tests, name)
	tc, err := ev.Force(tc)
	if err != nil {
		return false, err.Error()
	}
	expr, ok1 := nix.GetAttr(tc, "expr")
	expected, ok2 := nix.GetAttr(tc, "expected")
	if !ok1 || !ok2 {
		return false, "not a test case (no expr/expected)"
	}
	for _, v := range []nix.Value{expr, expected} {
		if err := ev.ForceDeep(v); err != nil {
			return false, err.Error()
		}
	}
	f, err := ev.Call(eq, expr)
	if err == nil {
		f, err = ev.Call(f, expected)
	}
	if err == nil {
		f, err = ev.Force(f)
	}
	if err != nil {
		return false, err.Error()
	}
	if b, _ := nix.AsBool(f); b {
		return true, ""
	}
	return false, "expr " + short(nix.Print(expr)) + " != expected " + short(nix.Print(expected))
}

func firstLine(s string) string {
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		s = s[:i]
	}
	return short(s)
}

func short(s string) string {
	if len(s) > 200 {
		return s[:200] + "…"
	}
	return s
}
