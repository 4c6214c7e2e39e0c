package module

import (
	"reflect"
	"testing"

	"github.com/nixcsh/nixcsh/core/nix"
)

func TestLibNix(t *testing.T) {
	ev := nix.NewEvaluator(nix.Options{})
	lib, err := evalLib(ev)
	if err != nil {
		t.Fatal(err)
	}
	for expr, want := range map[string]any{
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
	} {
		fn, err := ev.EvalString("lib: with lib; "+expr, "/test.nix")
		if err != nil {
			t.Errorf("%s: %v", expr, err)
			continue
		}
		v, err := ev.Call(fn, lib)
		if err != nil {
			t.Errorf("%s: %v", expr, err)
			continue
		}
		got, err := ev.ToGo(v)
		if err != nil {
			t.Errorf("%s: %v", expr, err)
			continue
		}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("%s = %#v, want %#v", expr, got, want)
		}
	}
}
