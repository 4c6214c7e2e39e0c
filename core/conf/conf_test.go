package conf

import (
	"path/filepath"
	"testing"
)

func TestParseQuotingAndComments(t *testing.T) {
	src := "# written by hand\nPRIVATE_NETWORK=1\nHOST_ADDRESS = 10.233.1.1\n; old style comment\n" +
		"EXTRA_NSPAWN_FLAGS=\"--bind=/a b --cap\\\"x\"\nQUOTED='single $x'\nMIXED=a'b c'\"d\"\nLONG=one \\\ntwo\nFOO_UNKNOWN=kept\n"
	f, err := Parse(src)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{
		"PRIVATE_NETWORK":    "1",
		"HOST_ADDRESS":       "10.233.1.1",
		"EXTRA_NSPAWN_FLAGS": `--bind=/a b --cap"x`,
		"QUOTED":             "single $x",
		"MIXED":              "ab cd",
		"LONG":               "one two",
		"FOO_UNKNOWN":        "kept",
	}
	for k, v := range want {
		if got := f.Get(k); got != v {
			t.Errorf("%s = %q, want %q", k, got, v)
		}
	}
	if _, ok := f.Lookup("MISSING"); ok {
		t.Error("Lookup of a missing key says it is set")
	}
}

func TestRewriteKeepsUnknownKeysCommentsAndOrder(t *testing.T) {
	src := "# keep me\nPRIVATE_NETWORK=1\nCUSTOM=x y\nAUTO_START=0\n"
	f, err := Parse(src)
	if err != nil {
		t.Fatal(err)
	}
	f.Set(AutoStart, "1")
	f.Set(HostPort, "tcp:8080:80")
	f.Set("SPACED", `a "b"`)
	want := "# keep me\nPRIVATE_NETWORK=1\nCUSTOM=x y\nAUTO_START=1\nHOST_PORT=tcp:8080:80\nSPACED=\"a \\\"b\\\"\"\n"
	if got := f.String(); got != want {
		t.Errorf("rewrite:\n%s\nwant:\n%s", got, want)
	}
	path := filepath.Join(t.TempDir(), "c.conf")
	if err := f.Write(path); err != nil {
		t.Fatal(err)
	}
	g, err := Read(path)
	if err != nil {
		t.Fatal(err)
	}
	if g.Get("SPACED") != `a "b"` || g.Get("CUSTOM") != "x y" || g.Get(AutoStart) != "1" {
		t.Errorf("round trip lost values: %v", g.Map())
	}
}

func TestParseErrors(t *testing.T) {
	for _, src := range []string{"NOEQUALS\n", "A='open\n", "B=\"open\n"} {
		if _, err := Parse(src); err == nil {
			t.Errorf("Parse(%q) succeeded, want an error", src)
		}
	}
}
