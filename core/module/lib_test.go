package module

import (
	"os"
	"path/filepath"
	"reflect"
	"sort"
	"testing"

	"github.com/nixcsh/nixcsh/core/nix"
)

func TestLibNix(t *testing.T) {
	ev := nix.NewEvaluator(nix.Options{})
	lib, err := evalLib(ev, nil)
	if err != nil {
		t.Fatal(err)
	}
	checkWithLib(t, ev, lib, map[string]any{
		`splitString "," "a,b,,c"`:                                         []any{"a", "b", "", "c"},
		`hasSuffix ".nix" "x.nix"`:                                         true,
		`toLower "AbC"`:                                                    "abc",
		`escapeShellArgs [ "a b" "it's" ]`:                                 `'a b' 'it'\''s'`,
		`foldr (x: acc: acc + x) "" [ "a" "b" "c" ]`:                       "cba",
		`unique [ 1 2 1 3 2 ]`:                                             []any{int64(1), int64(2), int64(3)},
		`flatten [ 1 [ 2 [ 3 ] ] ]`:                                        []any{int64(1), int64(2), int64(3)},
		`imap1 (i: v: "${toString i}${v}") [ "a" "b" ]`:                    []any{"1a", "2b"},
		`sublist 1 2 [ 0 1 2 3 ]`:                                          []any{int64(1), int64(2)},
		`[ (last [ 1 2 3 ]) (length (init [ 1 2 3 ])) ]`:                   []any{int64(3), int64(2)},
		`mapAttrs' (n: v: nameValuePair "x${n}" v) { a = 1; }`:             map[string]any{"xa": int64(1)},
		`map (x: x.name) (attrsToList { b = 1; a = 2; })`:                  []any{"a", "b"},
		`collect isInt { a = 1; b = { c = 2; }; d = "x"; }`:                []any{int64(1), int64(2)},
		`mapAttrsRecursive (p: v: v + 1) { a.b = 1; }`:                     map[string]any{"a": map[string]any{"b": int64(2)}},
		`[ (versionAtLeast "24.11" "24.05") (versionOlder "1.2" "1.10") ]`: []any{true, true},
		`toInt " 42 "`:                  int64(42),
		`trim "  x y  "`:                "x y",
		`makeBinPath [ "/usr" "/opt" ]`: "/usr/bin:/opt/bin",
		`concatImapStringsSep "," (i: v: "${toString i}=${v}") [ "a" "b" ]`: "1=a,2=b",
		`intersperse 0 [ 1 2 3 ]`:                                        []any{int64(1), int64(0), int64(2), int64(0), int64(3)},
		`hasInfix "b.c" "ab.cd"`:                                         true,
		`fixedWidthNumber 3 7`:                                           "007",
		`reverseList [ 1 2 3 ]`:                                          []any{int64(3), int64(2), int64(1)},
		`count (x: x > 1) [ 1 2 3 ]`:                                     int64(2),
		`findFirst (x: x > 1) null [ 1 2 3 ]`:                            int64(2),
		`subtractLists [ 2 ] [ 1 2 3 ]`:                                  []any{int64(1), int64(3)},
		`getAttrFromPath [ "a" "b" ] (setAttrByPath [ "a" "b" ] 5)`:      int64(5),
		`foldAttrs (n: a: [ n ] ++ a) [ ] [ { a = 2; } { a = 3; } ]`:     map[string]any{"a": []any{int64(2), int64(3)}},
		`pipe 2 [ (x: x * 3) (x: x + 1) ]`:                               int64(7),
		`getExe { name = "curl"; pname = "curl"; outPath = "/usr"; }`:    "/usr/bin/curl",
		`(mkIf true 1)._type`:                                            "if",
		`(mkDefault 1).priority`:                                         int64(1000),
		`(mkForce 1).priority`:                                           int64(50),
		`(mkAfter [ ]).priority`:                                         int64(1500),
		`(mkEnableOption "x").description`:                               "Whether to enable x.",
		`types.listOf types.port ? elemType`:                             true,
		`recursiveUpdate { a = { b = 1; c = 2; }; } { a = { b = 3; }; }`: map[string]any{"a": map[string]any{"b": int64(3), "c": int64(2)}},
		`filterAttrs (n: v: v != null) { a = null; b = 1; }`:             map[string]any{"b": int64(1)},
		`genAttrs [ "x" ] (n: n + "!")`:                                  map[string]any{"x": "x!"},
		`attrByPath [ "a" "z" ] 0 { a.b = 1; }`:                          int64(0),
	})
}

// TestLibParts checks lib/*.nix, what configurations and modules call most:
// generators, versions, systems, importJSON/importTOML, and the namespaces.
func TestLibParts(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "a.json"), []byte(`{"x": [1, 2]}`), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "a.toml"), []byte("[s]\nk = \"v\"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	ev := nix.NewEvaluator(nix.Options{})
	lib, err := evalLib(ev, nil)
	if err != nil {
		t.Fatal(err)
	}
	checkWithLib(t, ev, lib, map[string]any{
		`generators.toINI { } { main = { a = 1; b = true; }; "x y" = { c = "d"; }; }`:                                      "[main]\na=1\nb=true\n\n[x y]\nc=d\n",
		`generators.toINIWithGlobalSection { } { globalSection.g = 1; sections.s.k = "v"; }`:                               "g=1\n\n[s]\nk=v\n",
		`generators.toKeyValue { mkKeyValue = generators.mkKeyValueDefault { } " = "; } { a = 1; b = "x"; }`:               "a = 1\nb = x\n",
		`generators.toKeyValue { listsAsDuplicateKeys = true; } { a = [ 1 2 ]; }`:                                          "a=1\na=2\n",
		`generators.toGitINI { user.name = "A B"; url."https://x/".insteadOf = "gh:"; }`:                                   "[url \"https://x/\"]\n\tinsteadOf = \"gh:\"\n\n[user]\n\tname = \"A B\"\n",
		`generators.toJSON { } { a = [ 1 ]; }`:                                                                             `{"a":[1]}`,
		`generators.toYAML { } { a = 1; }`:                                                                                 `{"a":1}`,
		`generators.toPretty { } { a = [ 1 "x" ]; b = null; }`:                                                             "{\n  a = [\n    1\n    \"x\"\n  ];\n  b = null;\n}",
		`generators.toPretty { multiline = false; } (x: x)`:                                                                "<function>",
		`[ version trivial.release (versions.majorMinor "24.11.1") (versions.major "3.2") (versions.minor "3.2") ]`:        []any{"24.11", "24.11", "24.11", "3", "2"},
		`(importJSON ` + dir + `/a.json).x`:                                                                                []any{int64(1), int64(2)},
		`(importTOML ` + dir + `/a.toml).s.k`:                                                                              "v",
		`with systems.elaborate "x86_64-linux"; [ isLinux isx86_64 isAarch64 system ]`:                                     []any{true, true, false, "x86_64-linux"},
		`(systems.elaborate { system = "aarch64-linux"; }).isAarch64`:                                                      true,
		`[ (strings.toUpper "a") (lists.head [ 1 ]) (attrsets.mapAttrsToList (n: v: n) { z = 1; }) ]`:                      []any{"A", int64(1), []any{"z"}},
		`[ (lists.hasPrefix [ 1 ] [ 1 2 ]) (hasPrefix "a" "ab") ]`:                                                         []any{true, true},
		`[ (escapeShellArg "abc") (escapeShellArg "a b") ]`:                                                                []any{"abc", "'a b'"},
		`cli.toGNUCommandLineShell { } { v = true; n = 2; s = "a b"; }`:                                                    "-n 2 -s 'a b' -v",
		`strings.levenshtein "kitten" "sitting"`:                                                                           int64(3),
		`[ (toHexString 255) (fromHexString "ff") ]`:                                                                       []any{"FF", int64(255)},
		`mergeAttrsList [ { a = 1; } { b = 2; } ]`:                                                                         map[string]any{"a": int64(1), "b": int64(2)},
		`updateManyAttrsByPath [ { path = [ "a" "b" ]; update = o: o + 1; } ] { a.b = 1; }`:                                map[string]any{"a": map[string]any{"b": int64(2)}},
		`removeAttrs ((makeExtensible (self: { a = 1; b = self.a + 1; })).extend (final: prev: { a = 10; })) [ "extend" ]`: map[string]any{"a": int64(10), "b": int64(11)},
		`escapeNixString "a\${b}"`:                                                                                         `"a\${b}"`,
		`showOption [ "services" "a.b" "x" ]`:                                                                              `services."a.b".x`,
		`(mkPackageOption { hello = { name = "hello"; }; } "hello" { }).default.name`:                                      "hello",
		`map baseNameOf (filesystem.listFilesRecursive ` + dir + `)`:                                                       []any{"a.json", "a.toml"},
		`[ licenses.mit.spdxId (elem "x86_64-linux" platforms.linux) ]`:                                                    []any{"MIT", true},
		`(types.attrsWith { elemType = types.int; }).elemType.name`:                                                        "int",
		`toShellVars { A = "x y"; L = [ "a" "b c" ]; }`:                                                                    "A='x y'\ndeclare -a L=(a 'b c')",
		`(mkPackageOption { } "hello" { nullable = true; default = null; }).default`:                                       nil,
	})
}

// TestLibPartNames checks that the names evalLib reads from each part's
// layout are exactly those its result set defines.
func TestLibPartNames(t *testing.T) {
	parts, err := loadLibParts()
	if err != nil {
		t.Fatal(err)
	}
	ev := nix.NewEvaluator(nix.Options{})
	lib, err := evalLib(ev, nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range parts {
		fn, err := ev.EvalString(p.text, p.file)
		if err != nil {
			t.Fatalf("%s: %v", p.file, err)
		}
		v, err := ev.Call(fn, lib)
		if err == nil {
			v, err = ev.Force(v)
		}
		if err != nil {
			t.Fatalf("%s: %v", p.file, err)
		}
		got := append([]string(nil), p.names...)
		sort.Strings(got)
		if want := nix.AttrNames(v); !reflect.DeepEqual(got, want) {
			t.Errorf("%s: the layout gives %v, the result set defines %v", p.file, got, want)
		}
	}
}

// checkWithLib checks that each "with lib; EXPR" of table is its value.
func checkWithLib(t *testing.T, ev *nix.Evaluator, lib nix.Value, table map[string]any) {
	t.Helper()
	for expr, want := range table {
		got, err := withLib(ev, lib, expr)
		if err != nil {
			t.Errorf("%s: %v", expr, err)
			continue
		}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("%s = %#v, want %#v", expr, got, want)
		}
	}
}

// withLib evaluates "with lib; EXPR" fully, as Go values.
func withLib(ev *nix.Evaluator, lib nix.Value, expr string) (any, error) {
	fn, err := ev.EvalString("lib: with lib; "+expr, "/test.nix")
	if err != nil {
		return nil, err
	}
	v, err := ev.Call(fn, lib)
	if err == nil {
		err = ev.ForceDeep(v)
	}
	if err != nil {
		return nil, err
	}
	return ev.ToGo(v)
}
