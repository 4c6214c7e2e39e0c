package nix

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

// evalStrict evaluates src deeply and prints it as nix-instantiate does.
func evalStrict(t *testing.T, src string) (string, error) {
	t.Helper()
	ev := NewEvaluator(Options{Getenv: func(k string) string {
		if k == "HOME" {
			return "/home/u"
		}
		return ""
	}})
	v, err := ev.EvalString(src, "/src/test.nix")
	if err != nil {
		return "", err
	}
	if err := ev.ForceDeep(v); err != nil {
		return "", err
	}
	return Print(v), nil
}

func TestEvalExpressions(t *testing.T) {
	cases := []struct{ src, want string }{
		{`1 + 2 * 3`, `7`},
		{`(1 + 2) * 3`, `9`},
		{`10 - 2 - 3`, `5`},
		{`7 / 2`, `3`},
		{`7 / 2.0`, `3.5`},
		{`-3 + 1`, `-2`},
		{`1.5e2`, `150`},
		{`0.1 + 0.2`, `0.3`},
		{`"a" + "b"`, `"ab"`},
		{`[ 1 ] ++ [ 2 3 ]`, `[ 1 2 3 ]`},
		{`{ a = 1; } // { b = 2; a = 3; }`, `{ a = 3; b = 2; }`},
		{`!true || false && true`, `false`},
		{`false -> true`, `true`},
		{`1 < 2 && "a" < "b" && [ 1 2 ] < [ 1 3 ]`, `true`},
		{`1 == 1.0`, `true`},
		{`{ a = [ 1 { b = 2; } ]; } == { a = [ 1 { b = 2; } ]; }`, `true`},
		{`let x = 1; y = x + 1; in y`, `2`},
		{`rec { a = b; b = 2; }`, `{ a = 2; b = 2; }`},
		{`let a.b.c = 1; a.b.d = 2; in a`, `{ b = { c = 1; d = 2; }; }`},
		{`{ a = { x = 1; }; a.y = 2; }`, `{ a = { x = 1; y = 2; }; }`},
		{`let n = "k"; in { ${n} = 1; "q r" = 2; }`, `{ k = 1; "q r" = 2; }`},
		{`{ ${null} = 1; b = 2; }`, `{ b = 2; }`},
		{`with { a = 1; }; let b = 2; in a + b`, `3`},
		{`let a = 1; in with { a = 2; }; a`, `1`},
		{`with { a = 1; }; with { a = 2; }; a`, `2`},
		{`let s = { a = 1; b = 2; }; in { inherit (s) a b; c = 3; }`, `{ a = 1; b = 2; c = 3; }`},
		{`let x = 5; in { inherit x; }`, `{ x = 5; }`},
		{`if 1 > 2 then "y" else "n"`, `"n"`},
		{`assert 1 == 1; "ok"`, `"ok"`},
		{`(x: y: x - y) 5 3`, `2`},
		{`({ a, b ? a * 2, ... }: b) { a = 4; z = 0; }`, `8`},
		{`(args@{ a, ... }: args) { a = 1; b = 2; }`, `{ a = 1; b = 2; }`},
		{`({ a, ... }@args: args.b) { a = 1; b = 2; }`, `2`},
		{`{ a.b = 1; }.a.b`, `1`},
		{`{ }.a or "d"`, `"d"`},
		{`{ a = 1; } ? a`, `true`},
		{`{ a.b = 1; } ? a.c`, `false`},
		{`let x = "w"; in "h ${x} ${toString 3}"`, `"h w 3"`},
		{`"a\nb\t\"q\" \${x} $${y}"`, `"a\nb\t\"q\" \${x} $\${y}"`},
		{"''\n  a\n    b\n  c\n''", `"a\n  b\nc\n"`},
		{"''\n  x ''${y} '''q ''\\n\n''", `"x \${y} ''q \n\n"`},
		{"let v = \"V\"; in ''\n  ${v}\n    z\n''", `"V\n  z\n"`},
		{`./a/../b`, `/src/b`},
		{`/abs/path`, `/abs/path`},
		{`~/x`, `/home/u/x`},
		{`let d = "q"; in ./dir/${d}.nix`, `/src/dir/q.nix`},
		{`./a + "/b"`, `/src/a/b`},
		{`http://example.org/x?y=1`, `"http://example.org/x?y=1"`},
		{`# comment
		  /* block */ 42`, `42`},
		{`builtins.typeOf (x: x)`, `"lambda"`},
		{`map (x: x * 2) [ 1 2 3 ]`, `[ 2 4 6 ]`},
		{`builtins.foldl' (a: b: a + b) 0 [ 1 2 3 ]`, `6`},
		{`builtins.sort (a: b: a < b) [ 3 1 2 ]`, `[ 1 2 3 ]`},
		{`builtins.match "a(b*)c" "abbc"`, `[ "bb" ]`},
		{`builtins.match "a" "ba"`, `null`},
		{`builtins.split "(a)|b" "xaybz"`, `[ "x" [ "a" ] "y" [ null ] "z" ]`},
		{`builtins.replaceStrings [ "a" "b" ] [ "1" "2" ] "abc"`, `"12c"`},
		{`builtins.substring 1 2 "hello"`, `"el"`},
		{`builtins.compareVersions "1.2.3" "1.10"`, `-1`},
		{`builtins.splitVersion "1.2pre3"`, `[ "1" "2" "pre" "3" ]`},
		{`builtins.parseDrvName "hello-2.1"`, `{ name = "hello"; version = "2.1"; }`},
		{`builtins.toJSON { a = [ 1 "x" null true 1.5 ]; }`, `"{\"a\":[1,\"x\",null,true,1.5]}"`},
		{`builtins.fromJSON "{\"a\": [1, 2.5, \"s\"]}"`, `{ a = [ 1 2.5 "s" ]; }`},
		{`builtins.fromTOML "x = 1\n[s]\ny = \"z\""`, `{ s = { y = "z"; }; x = 1; }`},
		{`builtins.hashString "sha256" "abc"`, `"ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"`},
		{`builtins.listToAttrs [ { name = "a"; value = 1; } { name = "a"; value = 2; } ]`, `{ a = 1; }`},
		{`builtins.mapAttrs (n: v: n + v) { a = "x"; }`, `{ a = "ax"; }`},
		{`builtins.zipAttrsWith (n: vs: vs) [ { a = 1; } { a = 2; b = 3; } ]`, `{ a = [ 1 2 ]; b = [ 3 ]; }`},
		{`builtins.groupBy (x: if x > 1 then "big" else "small") [ 1 2 3 ]`, `{ big = [ 2 3 ]; small = [ 1 ]; }`},
		{`builtins.genList (i: i * i) 4`, `[ 0 1 4 9 ]`},
		{`builtins.tryEval (throw "x")`, `{ success = false; value = false; }`},
		{`builtins.tryEval (assert false; 1)`, `{ success = false; value = false; }`},
		{`builtins.functionArgs ({ a, b ? 1 }: a)`, `{ a = false; b = true; }`},
		{`builtins.genericClosure { startSet = [ { key = 1; } ]; operator = x: if x.key < 3 then [ { key = x.key + 1; } ] else [ ]; }`,
			`[ { key = 1; } { key = 2; } { key = 3; } ]`},
		{`toString [ 1 "a" null true [ ] 2.5 ]`, `"1 a  1 2.500000"`},
		{`"${{ __toString = s: "T"; }}"`, `"T"`},
		{`{ __functor = self: x: x + self.n; n = 1; } 2`, `3`},
		{`builtins.seq 1 2`, `2`},
		{`let f = { a ? 1 }: a; in f { }`, `1`},
		{`(rec { a = 1; b = { c = a; }; }).b.c`, `1`},
		{`let { x = 1; body = x + 1; }`, `2`},
		{`__curPos.line`, `1`},
		{`builtins.unsafeGetAttrPos "b" { a = 1;
		  b = 2; }`, `{ column = 5; file = "/src/test.nix"; line = 2; }`},
		{`let x = [ x ]; in x`, `[ [ «repeated» ] ]`},
		{`[ (x: x) builtins.head (builtins.add 1) ]`, `[ <LAMBDA> <PRIMOP> <PRIMOP-APP> ]`},
		{`{ "a b" = 1; "if" = 2; _c' = 3; }`, `{ _c' = 3; "a b" = 1; "if" = 2; }`},
	}
	for _, c := range cases {
		got, err := evalStrict(t, c.src)
		if err != nil {
			t.Errorf("%s: unexpected error: %v", c.src, err)
			continue
		}
		if got != c.want {
			t.Errorf("%s\n got: %s\nwant: %s", c.src, got, c.want)
		}
	}
}

func TestEvalErrors(t *testing.T) {
	cases := []struct{ src, msg, pos string }{
		{`x`, `undefined variable 'x'`, "/src/test.nix:1:1"},
		{`let a = 1; in b`, `undefined variable 'b'`, "/src/test.nix:1:15"},
		{`{ a = 1; }.b`, `attribute 'b' missing`, ""},
		{`let x = x + 1; in x`, `infinite recursion encountered`, ""},
		{`1 + "a"`, `cannot add a string to an integer`, ""},
		{`"a" + 1`, `cannot coerce an integer to a string: 1`, ""},
		{`if 1 then 2 else 3`, `expected a Boolean but found an integer: 1`, ""},
		{`{ a = 1; }.a.b`, `expected a set but found an integer: 1`, ""},
		{`builtins.head [ ]`, `'builtins.head' called on an empty list`, ""},
		{`throw "boom"`, `boom`, ""},
		{`abort "stop"`, `evaluation aborted with the following error message: 'stop'`, ""},
		{`assert 1 == 2; 3`, `an integer with value '1' is not equal to an integer with value '2'`, ""},
		{`({ a }: a) { }`, `function 'anonymous lambda' called without required argument 'a'`, ""},
		{`({ a }: a) { a = 1; b = 2; }`, `function 'anonymous lambda' called with unexpected argument 'b'`, ""},
		{`1 / 0`, `division by zero`, ""},
		{`9223372036854775807 + 1`, `integer overflow in adding 9223372036854775807 + 1`, ""},
		{`let f = x: f x; in f 1`, `stack overflow; max-call-depth exceeded`, ""},
		{`{ a = 1; a = 2; }`, `attribute 'a' already defined at /src/test.nix:1:3`, ""},
		{`{ a = 1`, `syntax error, unexpected end of file, expecting ';'`, ""},
		{`1 +`, `syntax error, unexpected end of file`, ""},
		{`"abc`, `syntax error, unexpected end of file, expecting '"'`, ""},
		{`1 == 2 == 3`, `syntax error, unexpected '=='`, ""},
		{`./foo/`, `path './foo/' has a trailing slash`, ""},
		{`builtins.readFile /nonexistent/x`, `opening file '/nonexistent/x': No such file or directory`, ""},
	}
	for _, c := range cases {
		_, err := evalStrict(t, c.src)
		if err == nil {
			t.Errorf("%s: expected error %q", c.src, c.msg)
			continue
		}
		var ee *EvalError
		if !errors.As(err, &ee) {
			t.Errorf("%s: error is %T, not *EvalError", c.src, err)
			continue
		}
		if ee.Msg != c.msg {
			t.Errorf("%s\n got: %s\nwant: %s", c.src, ee.Msg, c.msg)
		}
		if c.pos != "" && ee.Pos.String() != c.pos {
			t.Errorf("%s: position %s, want %s", c.src, ee.Pos, c.pos)
		}
		if !strings.HasPrefix(ee.Error(), "error: ") {
			t.Errorf("%s: Error() = %q", c.src, ee.Error())
		}
	}
}

func TestSuggestions(t *testing.T) {
	_, err := evalStrict(t, `let cfg = { enable = true; port = 1; }; in cfg.enabel`)
	if err == nil || !strings.Contains(err.Error(), "Did you mean enable?") {
		t.Errorf("select hint: %v", err)
	}
	_, err = evalStrict(t, `({ x, z }: x) { y = 1; x = 2; z = 3; }`)
	if err == nil || !strings.Contains(err.Error(), "Did you mean one of x or z?") {
		t.Errorf("argument hint: %v", err)
	}
	if s := suggest("zzzzzz", []string{"a", "b"}); s != "" {
		t.Errorf("far-off names suggested: %q", s)
	}
}

func TestErrorTraceNamesCallSite(t *testing.T) {
	dir := t.TempDir()
	f := filepath.Join(dir, "m.nix")
	os.WriteFile(f, []byte("let\n  get = s: s.missing;\nin\nget { }\n"), 0o644)
	var out, errb bytes.Buffer
	code := Instantiate([]string{"--eval", "--strict", f}, nil, &out, &errb, nil, dir)
	if code != 1 {
		t.Fatalf("exit %d", code)
	}
	s := errb.String()
	for _, want := range []string{"error:", "… from call site", f + ":4:1:", "… while calling 'get'", "error: attribute 'missing' missing", "2|   get = s: s.missing;"} {
		if !strings.Contains(s, want) {
			t.Errorf("stderr lacks %q:\n%s", want, s)
		}
	}
}

func TestNoPanicOnHugeOrDeepInput(t *testing.T) {
	deep := strings.Repeat("(", 200000) + "1" + strings.Repeat(")", 200000)
	if _, err := evalStrict(t, deep); err == nil || !strings.Contains(err.Error(), "nested too deeply") {
		t.Errorf("deeply nested parentheses: %v", err)
	}
	list := strings.Repeat("[", 50000) + strings.Repeat("]", 50000)
	if _, err := evalStrict(t, list); err == nil {
		t.Errorf("deeply nested lists parsed without a depth error")
	}
	// a long chain of lazily built thunks
	chain := `let l = builtins.genList (x: x) 100000; f = builtins.foldl' (acc: x: { inherit x; prev = acc; }) { } l; in f.x`
	if got, err := evalStrict(t, chain); err != nil || got != "99999" {
		t.Errorf("chain: %s %v", got, err)
	}
	// exponential work ends at the step budget
	ev := NewEvaluator(Options{MaxSteps: 100000})
	v, err := ev.EvalString(`let f = n: if n == 0 then 0 else f (n - 1) + f (n - 1); in f 60`, "/x.nix")
	if err == nil {
		_, err = ev.Force(v)
	}
	if err == nil || !strings.Contains(err.Error(), "step budget") {
		t.Errorf("step budget: %v", err)
	}
	// runaway string growth ends in an error, not an out-of-memory crash
	ev = NewEvaluator(Options{})
	ev.maxStrLen = 1 << 20
	v, err = ev.EvalString(`let d = s: s + s; in builtins.stringLength (builtins.foldl' (s: _: d s) "x" (builtins.genList (x: x) 40))`, "/x.nix")
	if err == nil {
		_, err = ev.Force(v)
	}
	if err == nil || !strings.Contains(err.Error(), "exceeds the limit") {
		t.Errorf("string growth: %v", err)
	}
}

func TestAPI(t *testing.T) {
	ev := NewEvaluator(Options{})
	in := map[string]any{"a": int64(1), "b": []any{"x", true, nil, 2.5}, "c": map[string]any{"d": "e"}}
	v := FromGo(in)
	out, err := ev.ToGo(v)
	if err != nil || !reflect.DeepEqual(out, in) {
		t.Fatalf("round trip: %#v %v", out, err)
	}
	fn, err := ev.EvalString(`{ config, lib, ... }: { out = lib.double config.n; names = builtins.attrNames config; }`, "/m/module.nix")
	if err != nil {
		t.Fatal(err)
	}
	lib := Attrs(map[string]Value{"double": Builtin("double", 1, func(e *Evaluator, args []Value) (Value, error) {
		x, err := e.Force(args[0])
		if err != nil {
			return nil, err
		}
		n, _ := AsInt(x)
		return Int(2 * n), nil
	})})
	arg := Attrs(map[string]Value{"config": FromGo(map[string]any{"n": 21}), "lib": lib, "extra": Null()})
	res, err := ev.Call(fn, arg)
	if err != nil {
		t.Fatal(err)
	}
	if TypeOf(res) != "set" || !reflect.DeepEqual(AttrNames(res), []string{"names", "out"}) {
		t.Fatalf("result %s %v", TypeOf(res), AttrNames(res))
	}
	o, _ := GetAttr(res, "out")
	o, err = ev.Force(o)
	if n, ok := AsInt(o); err != nil || !ok || n != 42 {
		t.Fatalf("out = %v %v", o, err)
	}
	if p, ok := AttrPos(res, "out"); !ok || p.String() != "/m/module.nix:1:25" {
		t.Errorf("AttrPos = %v %v", p, ok)
	}

	// Lazy runs once and blackholes while running
	calls := 0
	var self Value
	self = Lazy(func() (Value, error) { calls++; return ev.Force(self) })
	if _, err := ev.Force(self); err == nil || !strings.Contains(err.Error(), "infinite recursion") {
		t.Errorf("self-forcing Lazy: %v", err)
	}
	once := Lazy(func() (Value, error) { calls++; return String("v"), nil })
	ev.Force(once)
	ev.Force(once)
	if calls != 2 {
		t.Errorf("Lazy evaluated %d times", calls)
	}
	// a throw passing through a Builtin as an error stays catchable
	relay := Builtin("relay", 1, func(e *Evaluator, args []Value) (Value, error) { return e.Force(args[0]) })
	probe, err := ev.EvalString(`relay: (builtins.tryEval (relay (throw "inner"))).success`, "/p.nix")
	if err != nil {
		t.Fatal(err)
	}
	if r, err := ev.Call(probe, relay); err != nil || r != Bool(false) {
		t.Errorf("tryEval through a Builtin: %v %v", r, err)
	}
	// functions are not plain data
	if _, err := ev.ToGo(Builtin("f", 1, nil)); err == nil {
		t.Error("ToGo of a function succeeded")
	}
	// Go panics inside a Builtin become errors
	boom := Builtin("boom", 1, func(e *Evaluator, args []Value) (Value, error) { panic("kaput") })
	if _, err := ev.Call(boom, Null()); err == nil || !strings.Contains(err.Error(), "kaput") {
		t.Errorf("panicking builtin: %v", err)
	}
}

func TestImportAndSearchPath(t *testing.T) {
	dir := t.TempDir()
	os.MkdirAll(filepath.Join(dir, "lib", "sub"), 0o755)
	os.WriteFile(filepath.Join(dir, "lib", "default.nix"), []byte(`{ x = import ./sub/y.nix; }`), 0o644)
	os.WriteFile(filepath.Join(dir, "lib", "sub", "y.nix"), []byte(`"y"`), 0o644)
	os.WriteFile(filepath.Join(dir, "main.nix"), []byte(`(import ./lib).x + (import <mylib/sub/y.nix>) + builtins.getEnv "V"`), 0o644)
	ev := NewEvaluator(Options{SearchPath: []string{"mylib=" + filepath.Join(dir, "lib")}, Getenv: func(k string) string { return map[string]string{"V": "!"}[k] }})
	v, err := ev.EvalFile(filepath.Join(dir, "main.nix"))
	if err == nil {
		v, err = ev.Force(v)
	}
	if s, _ := AsString(v); err != nil || s != "yy!" {
		t.Fatalf("got %v %v", v, err)
	}
}

func TestInstantiateFlags(t *testing.T) {
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "f.nix"), []byte(`{ a ? 1, b }: { sum = a + b; s = "${toString b}"; l = [ ./x ]; }`), 0o644)
	run := func(args ...string) (int, string, string) {
		var out, errb bytes.Buffer
		code := Instantiate(args, strings.NewReader("1 + 2"), &out, &errb, func(string) string { return "" }, dir)
		return code, out.String(), errb.String()
	}
	if code, out, e := run("--eval", "--strict", "--arg", "b", "2", "f.nix"); code != 0 || out != "{ l = [ "+dir+"/x ]; s = \"2\"; sum = 3; }\n" {
		t.Errorf("--arg: %d %q %s", code, out, e)
	}
	if code, out, _ := run("--eval", "--json", "--arg", "b", "2", "-A", "sum", "f.nix"); code != 0 || out != "3\n" {
		t.Errorf("--json -A: %d %q", code, out)
	}
	if code, out, _ := run("--eval", "--argstr", "b", "x", "-A", "s", "--file", "f.nix"); code != 0 || out != "\"x\"\n" {
		t.Errorf("--argstr: %d %q", code, out)
	}
	if code, out, _ := run("--eval", "-"); code != 0 || out != "3\n" {
		t.Errorf("stdin: %d %q", code, out)
	}
	if code, out, _ := run("-E", "[ 1 ]", "--xml"); code != 0 || !strings.Contains(out, "<int value=\"1\" />") {
		t.Errorf("--xml: %d %q", code, out)
	}
	if code, out, _ := run("--parse", "-E", "a: a.b or 1"); code != 0 || out != "(a: ((a).b or 1))\n" {
		t.Errorf("--parse: %d %q", code, out)
	}
	// Unforced values print as nix-instantiate prints them; -0.0 is 0 - 0.0.
	if code, out, _ := run("--eval", "-E", "[ (1 + 1) ]"); code != 0 || out != "[ <CODE> ]\n" {
		t.Errorf("lazy output: %d %q", code, out)
	}
	if code, out, _ := run("--eval", "--strict", "-E", "[ (-0.0) (-1.5) ]"); code != 0 || out != "[ 0 -1.5 ]\n" {
		t.Errorf("negated floats: %d %q", code, out)
	}
	// nix-instantiate's flags for settings and builds are accepted;
	// abort-on-warn makes a warning an error.
	if code, out, _ := run("--eval-only", "--timeout", "1", "--read-write-mode", "-E", `builtins.warn "w" 1`); code != 0 || out != "1\n" {
		t.Errorf("warn: %d %q", code, out)
	}
	if code, _, e := run("--eval", "--option", "abort-on-warn", "true", "-E", `builtins.warn "w" 1`); code != 1 || !strings.Contains(e, "abort-on-warn is set") {
		t.Errorf("abort-on-warn: %d %s", code, e)
	}
	// Without --arg a top-level function is printed, as nix-instantiate
	// --eval does; with one, every argument needs a value.
	if code, out, e := run("--eval", "f.nix"); code != 0 || out != "<LAMBDA>\n" {
		t.Errorf("no --arg: %d %q %s", code, out, e)
	}
	if code, _, e := run("--eval", "--arg", "a", "3", "f.nix"); code != 1 || !strings.Contains(e, "cannot evaluate a function that has an argument without a value ('b')") {
		t.Errorf("missing auto arg: %d %s", code, e)
	}
	if code, _, e := run("--eval", "-E", "let f = x: f x; in f 1", "--max-call-depth", "50"); code != 1 || !strings.Contains(e, "max-call-depth exceeded") {
		t.Errorf("max-call-depth: %d %s", code, e)
	}
	if code, _, _ := run("--bogus"); code != 2 {
		t.Errorf("bad flag exit %d", code)
	}
}

// Cyclic values end in Nix's error, not a Go stack overflow; integer edges
// of substring are a string, not an internal error (issue 14).
func TestDeepWalksOfCyclicValues(t *testing.T) {
	for _, src := range []string{
		`let a = { x = a; }; in builtins.toJSON a`,
		`let a = [ a ]; in builtins.toJSON a`,
		`let a = { x = a; }; b = { x = b; }; in a == b`,
		`let a = [ a ]; b = [ b ]; in a == b`,
	} {
		ev := NewEvaluator(Options{})
		v, err := ev.EvalString(src, "/t.nix")
		if err == nil {
			_, err = ev.Force(v)
		}
		if err == nil || !strings.Contains(err.Error(), "stack overflow (possible infinite recursion)") {
			t.Errorf("%s: %v, want a stack overflow error", src, err)
		}
	}
	// A cycle that is never walked is harmless; and equal identities are
	// equal without a walk, as in Nix.
	for src, want := range map[string]string{
		`let a = { x = a; }; in a.x.x.x == a`:              "true",
		`builtins.substring 1 9223372036854775807 "abc"`:   `"bc"`,
		`builtins.substring 0 (-1) "abc"`:                  `"abc"`,
		`builtins.toJSON (let a = { x = 1; }; in [ a a ])`: `"[{\"x\":1},{\"x\":1}]"`,
	} {
		ev := NewEvaluator(Options{})
		v, err := ev.EvalString(src, "/t.nix")
		if err == nil {
			v, err = ev.Force(v)
		}
		if err != nil || Print(v) != want {
			t.Errorf("%s = %v (%v), want %s", src, v, err, want)
		}
	}
}

// builtins.match and split follow std::regex's POSIX ERE, as Nix does:
// bytes, leftmost-longest, stacked quantifiers, regex_iterator's empty
// matches, and only ERE's escapes (expected values from nix-instantiate 2.8).
func TestRegexIsPOSIXOnBytes(t *testing.T) {
	for src, want := range map[string]string{
		`builtins.split "a*" "baaac"`:                   `[ "" [ ] "b" [ ] "" [ ] "c" [ ] "" ]`,
		`builtins.split "x*" "axxb"`:                    `[ "" [ ] "a" [ ] "" [ ] "b" [ ] "" ]`,
		`builtins.split "" "ab"`:                        `[ "" [ ] "a" [ ] "b" [ ] "" ]`,
		`builtins.split "^a" "aaa"`:                     `[ "" [ ] "aa" ]`,
		`builtins.split "(a)|b" "ab"`:                   `[ "" [ "a" ] "" [ null ] "" ]`,
		`builtins.split "." "é"`:                        `[ "" [ ] "" [ ] "" ]`,
		`builtins.match "." "é"`:                        `null`,
		`builtins.match "[^a]" "é"`:                     `null`,
		`builtins.match "a.b" "a\nb"`:                   `[ ]`,
		`builtins.match "a+?" "aa"`:                     `[ ]`,
		`builtins.match "a**" "aa"`:                     `[ ]`,
		`builtins.match "a{2}{3}" "aaaaaa"`:             `[ ]`,
		`builtins.match "[]a]" "]"`:                     `[ ]`,
		`builtins.match "([a-z]+)-([0-9.]+)" "foo-1.2"`: `[ "foo" "1.2" ]`,
		`builtins.match "[[:space:]]*(.*)" "  x"`:       `[ "x" ]`,
		`builtins.match "[^?=-]" ">"`:                   `[ ]`, // a trailing '-' is literal in a negated bracket too
		`builtins.split "[^[:alnum:]+._?=-]+" "a>b"`:    `[ "a" [ ] "b" ]`,
	} {
		expectPrinted(t, src, want)
	}
	for _, pat := range []string{`\\d`, `\\w`, `\\-`, `(a)\\1`, `(?i)a`, `a{,2}`, `a{`, `a{2,1}`, `\\]`, `)`, `(a))`, `[a`, `[[:foo:]]`, `*a`, `a|*b`, `^*`} {
		ev := NewEvaluator(Options{})
		v, err := ev.EvalString(`builtins.match "`+pat+`" "aa"`, "/t.nix")
		if err == nil {
			_, err = ev.Force(v)
		}
		if err == nil || !strings.Contains(err.Error(), "invalid regular expression") {
			t.Errorf("pattern %s: %v, want invalid regular expression", pat, err)
		}
	}
}

// Fidelity details found by comparing with nix-instantiate 2.8 (issue 14).
func TestAgreesWithNixInstantiate(t *testing.T) {
	for src, want := range map[string]string{
		`builtins.unsafeGetAttrPos "a" (builtins.mapAttrs (n: v: v) { a = 1; })`: `null`,
		`builtins.toXML [ {} [] ]`:   `"<?xml version='1.0' encoding='utf-8'?>\n<expr>\n  <list>\n    <attrs>\n    </attrs>\n    <list>\n    </list>\n  </list>\n</expr>\n"`,
		`builtins.toXML "a\tb\rc\n"`: `"<?xml version='1.0' encoding='utf-8'?>\n<expr>\n  <string value=\"a\tb\rc&#xA;\" />\n</expr>\n"`,
		`let d = { type = "derivation"; outPath = "y"; }; in builtins.toXML d`: `"<?xml version='1.0' encoding='utf-8'?>\n<expr>\n  <derivation outPath=\"y\">\n    <repeated />\n  </derivation>\n</expr>\n"`,
		`2.5e-308`: `2.5e-308`,
		`0.0e-400`: `0`,
	} {
		expectPrinted(t, src, want)
	}
	for _, src := range []string{`1.0e400`, `1.0e-310`, `1.0e-400`} {
		if _, err := NewEvaluator(Options{}).EvalString(src, "/t.nix"); err == nil || !strings.Contains(err.Error(), "invalid float '"+src+"'") {
			t.Errorf("%s: %v, want invalid float", src, err)
		}
	}
}

// expectPrinted evaluates src deeply and compares its printed value.
func expectPrinted(t *testing.T, src, want string) {
	t.Helper()
	ev := NewEvaluator(Options{})
	v, err := ev.EvalString(src, "/t.nix")
	if err == nil {
		err = ev.ForceDeep(v)
	}
	if err != nil || Print(v) != want {
		t.Errorf("%s = %s (%v), want %s", src, Print(v), err, want)
	}
}

// With HostPaths (nixcsh's module evaluation) a path used as a string stays
// the host's path; without it, it is the store path Nix would copy it to.
func TestHostPaths(t *testing.T) {
	dir := t.TempDir()
	f := filepath.Join(dir, "a.conf")
	if err := os.WriteFile(f, []byte("hello\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	src := `"${` + f + `}"`
	for hostPaths, want := range map[bool]string{true: `"` + f + `"`, false: `"/nix/store/`} {
		ev := NewEvaluator(Options{HostPaths: hostPaths})
		v, err := ev.EvalString(src, "/t.nix")
		if err == nil {
			v, err = ev.Force(v)
		}
		if err != nil || !strings.HasPrefix(Print(v), want) {
			t.Errorf("HostPaths %v: %s (%v), want %s...", hostPaths, Print(v), err, want)
		}
	}
}
