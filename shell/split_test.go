package shell

import (
	"math/rand"
	"reflect"
	"strings"
	"testing"

	"mvdan.cc/sh/v3/shell"
)

func TestSplitLine(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want [][]string
	}{
		{"", nil},
		{"   ", nil},
		{"list", [][]string{{"list"}}},
		{"  start   foo  ", [][]string{{"start", "foo"}}},
		{"run foo -- uname -a", [][]string{{"run", "foo", "--", "uname", "-a"}}},
		{`create bar --config 'services.openssh.enable = true;'`, [][]string{{"create", "bar", "--config", "services.openssh.enable = true;"}}},
		{`a "b c" d\ e 'f'"g"h`, [][]string{{"a", "b c", "d e", "fgh"}}},
		{`"\"\\\$\` + "`" + `\x"`, [][]string{{"\"\\$`\\x"}}},
		{`'\n' \n`, [][]string{{`\n`, "n"}}},
		{"a; b ;c", [][]string{{"a"}, {"b"}, {"c"}}},
		{"a\nb", [][]string{{"a"}, {"b"}}},
		{"a;;b", [][]string{{"a"}, {"b"}}},
		{"a # b; c", [][]string{{"a"}}},
		{"a#b", [][]string{{"a#b"}}},
		{"a \\\nb", [][]string{{"a", "b"}}},
		{"\"a\\\nb\"", [][]string{{"ab"}}},
		{"'a\nb'", [][]string{{"a\nb"}}},
		{`''`, [][]string{{""}}},
		{`x '' y`, [][]string{{"x", "", "y"}}},
		{`${pkgs.curl} $HOME ~`, [][]string{{"${pkgs.curl}", "$HOME", "~"}}},
	} {
		got, err := SplitLine(tc.in)
		if err != nil {
			t.Errorf("SplitLine(%q): %v", tc.in, err)
			continue
		}
		if len(got) == 0 && len(tc.want) == 0 {
			continue
		}
		if !reflect.DeepEqual(got, tc.want) {
			t.Errorf("SplitLine(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

func TestSplitLineIncomplete(t *testing.T) {
	for _, in := range []string{`'open`, `"open`, `a \`, `"a\`, `a 'b' "c`} {
		if _, err := SplitLine(in); err != errIncomplete {
			t.Errorf("SplitLine(%q): err = %v, want errIncomplete", in, err)
		}
	}
}

// TestSplitMatchesPOSIXShell checks the splitter against mvdan.cc/sh's
// parser and expander on random lines made of the characters whose meaning
// both give them the same way (quotes, backslashes, blanks; no expansion
// characters, since nixcsh expands nothing). Backslash-newline is left out:
// mvdan.cc/sh v3.14 keeps it in some words where bash (and nixcsh) join the
// lines; TestSplitLine pins nixcsh's reading.
func TestSplitMatchesPOSIXShell(t *testing.T) {
	alphabet := []string{"a", "b", " ", "'", `"`, `\`, "\t", "x y", `\'`, `\"`, `\\`, "-", "=", "."}
	rng := rand.New(rand.NewSource(1))
	checked := 0
	for i := 0; i < 20000 && checked < 3000; i++ {
		var b strings.Builder
		for n := rng.Intn(12); n >= 0; n-- {
			b.WriteString(alphabet[rng.Intn(len(alphabet))])
		}
		line := b.String()
		want, err := shell.Fields(line, func(string) string { return "" })
		if err != nil {
			continue // unbalanced quotes: sh's parser refuses, so do we (checked below)
		}
		checked++
		stmts, err := SplitLine(line)
		if err == errIncomplete && strings.HasSuffix(line, `\`) {
			continue // sh -c keeps a final backslash; the shell reads a continuation line
		}
		if err != nil {
			t.Fatalf("SplitLine(%q): %v; sh reads %q", line, err, want)
		}
		var got []string
		for _, s := range stmts {
			got = append(got, s...)
		}
		if len(got) == 0 && len(want) == 0 {
			continue
		}
		if !reflect.DeepEqual(got, want) {
			t.Fatalf("SplitLine(%q) = %q, sh reads %q", line, got, want)
		}
	}
	if checked < 1000 {
		t.Fatalf("only %d random lines were valid sh", checked)
	}
}

func TestParseEntryLua(t *testing.T) {
	stmts, open := parseEntry(`list; lua print("a; b") -- 'x`)
	if open || len(stmts) != 2 || !stmts[1].isLua || stmts[1].lua != `print("a; b") -- 'x` {
		t.Fatalf("parseEntry = %+v, open %v", stmts, open)
	}
	// lua as a word inside another statement is an ordinary word.
	stmts, _ = parseEntry(`source lua x`)
	if len(stmts) != 1 || stmts[0].isLua {
		t.Fatalf("parseEntry(source lua x) = %+v", stmts)
	}
	// "luax" is not the lua builtin.
	stmts, _ = parseEntry(`luax 1`)
	if len(stmts) != 1 || stmts[0].isLua {
		t.Fatalf("parseEntry(luax 1) = %+v", stmts)
	}
}

func TestQuoteRoundTrip(t *testing.T) {
	for _, s := range []string{"", "plain", "a b", "it's", `"q"`, `back\slash`, "new\nline", "$x ${y}", "a;b#c"} {
		got, err := SplitLine("cmd " + quoteWord(s))
		if err != nil || len(got) != 1 || len(got[0]) != 2 || got[0][1] != s {
			t.Errorf("quoteWord(%q) = %s reads back as %q (%v)", s, quoteWord(s), got, err)
		}
		for _, q := range []byte{0, '\'', '"'} {
			line := "cmd " + escapeIn(q, s)
			if q != 0 {
				line = "cmd " + string(q) + escapeIn(q, s) + string(q)
			}
			if s == "" && q == 0 {
				continue
			}
			got, err := SplitLine(line)
			if err != nil || len(got) != 1 || len(got[0]) != 2 || got[0][1] != s {
				t.Errorf("escapeIn(%q, %q): %s reads back as %q (%v)", q, s, line, got, err)
			}
		}
	}
}
