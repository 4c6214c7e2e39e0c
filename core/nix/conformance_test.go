package nix

import (
	"bytes"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
)

// langTestsDir finds the Nix project's language test vectors: $NIX_LANG_TESTS,
// else ../shared/nix-lang-tests beside the repository root.
func langTestsDir() string {
	if d := os.Getenv("NIX_LANG_TESTS"); d != "" {
		return d
	}
	d, _ := filepath.Abs("../../../shared/nix-lang-tests")
	return d
}

// skipped are vectors outside nixcsh's scope, each with its reason.
var skipped = map[string]string{
	"eval-okay-parse-flake-ref": "flakes: builtins.parseFlakeRef is part of the flake/fetcher machinery",
	"eval-okay-readFileType":    "vector data: readDir/ldir and readDir/linked are symlinks upstream but regular files in this copy of the vectors",
}

func readMaybe(p string) (string, bool) {
	b, err := os.ReadFile(p)
	if err != nil {
		return "", false
	}
	return string(b), true
}

func TestNixLang(t *testing.T) {
	dir := langTestsDir()
	if _, err := os.Stat(dir); err != nil {
		t.Skipf("Nix language test vectors not found at %s (set NIX_LANG_TESTS)", dir)
	}
	work := t.TempDir()
	// lang is a directory (as in Nix's test suite) of links to the
	// vectors: "${./.}" and filterSource hash the directory, not a link
	lang := filepath.Join(work, "lang")
	if err := os.Mkdir(lang, 0o755); err != nil {
		t.Fatal(err)
	}
	all, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range all {
		if err := os.Symlink(filepath.Join(dir, e.Name()), filepath.Join(lang, e.Name())); err != nil {
			t.Fatal(err)
		}
	}
	env := map[string]string{"TEST_VAR": "foo", "NIX_PATH": "lang/dir3:lang/dir4", "HOME": "/fake-home"}
	getenv := func(k string) string { return env[k] }
	ents, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range ents {
		n := e.Name()
		if strings.HasSuffix(n, ".nix") && (strings.HasPrefix(n, "eval-") || strings.HasPrefix(n, "parse-")) {
			names = append(names, strings.TrimSuffix(n, ".nix"))
		}
	}
	sort.Strings(names)
	var passed, failed, skippedN, identicalStderr, evalFail, identicalParseStderr, parseFail int
	for _, name := range names {
		name := name
		ok := t.Run(name, func(t *testing.T) {
			if r, ok := skipped[name]; ok {
				skippedN++
				t.Skip(r)
			}
			base := filepath.Join(dir, name)
			flags := []string{}
			if f, ok := readMaybe(base + ".flags"); ok {
				flags = strings.Fields(f)
			}
			run := func(args []string, stdin string) (int, string, string) {
				var out, errb bytes.Buffer
				code := Instantiate(args, strings.NewReader(stdin), &out, &errb, getenv, work)
				norm := func(s string) string { return strings.ReplaceAll(s, work, "/pwd") }
				return code, norm(out.String()), norm(errb.String())
			}
			file := "lang/" + name + ".nix"
			switch {
			case strings.HasPrefix(name, "eval-okay-"):
				exp, hasExp := readMaybe(base + ".exp")
				if !hasExp {
					if _, dis := readMaybe(base + ".exp-disabled"); dis {
						skippedN++
						t.Skip("disabled upstream (.exp-disabled)")
					}
				}
				if hasExp {
					code, out, errs := run(append(append([]string{}, flags...), "--eval", "--strict", file), "")
					if code != 0 {
						t.Fatalf("exit %d\nstderr:\n%s", code, errs)
					}
					if out != exp {
						t.Fatalf("output differs\n got: %q\nwant: %q\nstderr: %s", out, exp, errs)
					}
					if e, ok := readMaybe(base + ".err.exp"); ok && e != errs {
						t.Fatalf("stderr differs\n got: %q\nwant: %q", errs, e)
					}
				}
				if expXML, ok := readMaybe(base + ".exp.xml"); ok {
					code, out, errs := run(append(append([]string{}, flags...), "--eval", "--xml", "--no-location", "--strict", file), "")
					if code != 0 {
						t.Fatalf("xml: exit %d\nstderr:\n%s", code, errs)
					}
					if out != expXML {
						t.Fatalf("xml output differs\n got: %q\nwant: %q", out, expXML)
					}
				}
			case strings.HasPrefix(name, "eval-fail-"):
				evalFail++
				args := flags
				if len(args) == 0 {
					args = []string{"--eval", "--strict", "--show-trace"}
				} else {
					// Nix's test suite runs with show-trace = true in its nix.conf
					args = append(args, "--show-trace")
				}
				code, out, errs := run(append(append([]string{}, args...), file), "")
				if code != 1 {
					t.Fatalf("expected exit 1, got %d\nstdout: %s\nstderr: %s", code, out, errs)
				}
				if !strings.HasPrefix(errs, "error:") {
					t.Fatalf("stderr does not start with error:\n%s", errs)
				}
				if e, ok := readMaybe(base + ".err.exp"); ok && e == errs {
					identicalStderr++
				}
				if e, ok := readMaybe(base + ".err.exp"); ok && finalErrorLine(e) != finalErrorLine(errs) {
					t.Fatalf("error message differs\n got: %s\nwant: %s\nfull stderr:\n%s", finalErrorLine(errs), finalErrorLine(e), errs)
				}
			case strings.HasPrefix(name, "parse-okay-"):
				src, _ := readMaybe(base + ".nix")
				code, out, errs := run([]string{"--parse", "-"}, src)
				if code != 0 {
					t.Fatalf("parse failed: %s", errs)
				}
				if exp, ok := readMaybe(base + ".exp"); ok && out != exp {
					t.Fatalf("AST print differs\n got: %q\nwant: %q", out, exp)
				}
			case strings.HasPrefix(name, "parse-fail-"):
				src, _ := readMaybe(base + ".nix")
				code, out, errs := run([]string{"--parse", "-"}, src)
				if code == 0 {
					t.Fatalf("parsed but should not: %s", out)
				}
				if e, ok := readMaybe(base + ".err.exp"); ok {
					if finalErrorLine(e) != finalErrorLine(errs) {
						t.Fatalf("error message differs\n got: %s\nwant: %s", finalErrorLine(errs), finalErrorLine(e))
					}
					if e == errs {
						identicalParseStderr++
					}
				}
				parseFail++
			}
		})
		switch {
		case ok && skipped[name] == "":
			passed++
		case !ok:
			failed++
		}
	}
	t.Logf("nix-lang: %d passed, %d failed, %d skipped", passed, failed, skippedN)
	// informational: eval-fail tests must fail with Nix's final message; how
	// many also reproduce Nix's whole trace, byte for byte
	t.Logf("eval-fail: %d of %d reproduce Nix's stderr (trace included) exactly", identicalStderr, evalFail)
	t.Logf("parse-fail: %d of %d reproduce Nix's stderr exactly", identicalParseStderr, parseFail)
}

// finalErrorLine is the first line of the innermost "error: " message.
func finalErrorLine(s string) string {
	lines := strings.Split(s, "\n")
	msg := ""
	for _, l := range lines {
		tl := strings.TrimLeft(l, " ")
		if strings.HasPrefix(tl, "error: ") {
			msg = strings.TrimPrefix(tl, "error: ")
		}
	}
	return msg
}
