package shell

import (
	"reflect"
	"testing"
)

// The messages and their order are nixos-container's (its Getopt handling and
// its checks, in the order its script makes them).
func TestParseErrors(t *testing.T) {
	cases := []struct {
		words []string
		want  string
	}{
		{[]string{"run", "foo", "ls", "-l"}, "Unknown option: l"},
		{[]string{"--bogus", "list"}, "Unknown option: bogus"},
		{[]string{"create", "foo", "--host-address", "10.0.0.1"}, "With --host-address set, --local-address is required as well!"},
		{[]string{"--local-address=10.0.0.2"}, "With --host-address set, --local-address is required as well!"},
		{[]string{}, "no action specified"},
		{[]string{"--auto-start"}, "no action specified"},
		{[]string{"create", "foo", "--config", "x", "--config-file", "y"}, "--config and --config-file are mutually incompatible. Please define one or the other, but not both"},
		{[]string{"create"}, "no container name specified"},
		{[]string{"start"}, "no container name specified"},
		{[]string{"create", "foo bar"}, "invalid container name"},
		{[]string{"status", "a.b"}, "invalid container name"},
		{[]string{"create", "foo", "--config"}, "Option config requires an argument"},
		{[]string{"frobnicate", "foo"}, "unknown action 'frobnicate'; 'nixcsh --help' lists the actions"},
		{[]string{"start", "foo", "--config", "x"}, "option --config does not apply to 'start'; see: nixcsh help start"},
		{[]string{"status", "foo", "bar"}, "too many arguments for 'status': bar; usage: status <name> [--json]"},
		// The unknown option is found before the pairing check, as Getopt does.
		{[]string{"--host-address", "1", "--nope"}, "Unknown option: nope"},
		// Pairing is checked before the action.
		{[]string{"--host-address", "1"}, "With --host-address set, --local-address is required as well!"},
	}
	for _, c := range cases {
		_, err := Parse(c.words)
		if err == nil {
			t.Errorf("Parse(%q) succeeded, want %q", c.words, c.want)
			continue
		}
		if err.Error() != c.want {
			t.Errorf("Parse(%q) = %q, want %q", c.words, err.Error(), c.want)
		}
	}
}

func TestParseAccepts(t *testing.T) {
	cases := []struct {
		words []string
		verb  string
		args  []string
		flags map[string]string
		rest  []string
		glob  map[string]string
	}{
		{words: []string{"list"}, verb: "list", flags: map[string]string{}},
		{words: []string{"--root", "/tmp/r", "list", "--json"}, verb: "list", flags: map[string]string{"json": "1"}, glob: map[string]string{"root": "/tmp/r"}},
		{words: []string{"create", "--config=a = 1;", "foo", "--auto-start"}, verb: "create", args: []string{"foo"}, flags: map[string]string{"config": "a = 1;", "auto-start": "1"}},
		{words: []string{"--port", "tcp:8080:80", "create", "web", "--host-address", "10.1.0.1", "--local-address", "10.1.0.2"}, verb: "create", args: []string{"web"},
			flags: map[string]string{"port": "tcp:8080:80", "host-address": "10.1.0.1", "local-address": "10.1.0.2"}},
		{words: []string{"run", "foo", "--", "ls", "-l"}, verb: "run", args: []string{"foo"}, flags: map[string]string{}, rest: []string{"ls", "-l"}},
		{words: []string{"run", "foo", "uname"}, verb: "run", args: []string{"foo"}, flags: map[string]string{}, rest: []string{"uname"}},
		{words: []string{"-ensure-unique-name", "create", "x"}, verb: "create", args: []string{"x"}, flags: map[string]string{"ensure-unique-name": "1"}},
		{words: []string{"show-config", "foo", "services.openssh.enable"}, verb: "show-config", args: []string{"foo", "services.openssh.enable"}, flags: map[string]string{}},
		{words: []string{"start", "--all-autostart"}, verb: "start", flags: map[string]string{"all-autostart": "1"}},
	}
	for _, c := range cases {
		cmd, err := Parse(c.words)
		if err != nil {
			t.Errorf("Parse(%q): %v", c.words, err)
			continue
		}
		if cmd.Verb.Name != c.verb {
			t.Errorf("Parse(%q) verb = %s, want %s", c.words, cmd.Verb.Name, c.verb)
		}
		if len(c.args) > 0 || len(cmd.Inv.Args) > 0 {
			if !reflect.DeepEqual(cmd.Inv.Args, c.args) {
				t.Errorf("Parse(%q) args = %q, want %q", c.words, cmd.Inv.Args, c.args)
			}
		}
		if !reflect.DeepEqual(cmd.Inv.Flags, c.flags) {
			t.Errorf("Parse(%q) flags = %v, want %v", c.words, cmd.Inv.Flags, c.flags)
		}
		if !reflect.DeepEqual(cmd.Inv.Rest, c.rest) {
			t.Errorf("Parse(%q) rest = %q, want %q", c.words, cmd.Inv.Rest, c.rest)
		}
		if c.glob == nil {
			c.glob = map[string]string{}
		}
		if !reflect.DeepEqual(cmd.Globals, c.glob) {
			t.Errorf("Parse(%q) globals = %v, want %v", c.words, cmd.Globals, c.glob)
		}
	}
}

func TestHelp(t *testing.T) {
	cmd, err := Parse([]string{"--help"})
	if err != nil || !cmd.Help || cmd.Verb != nil {
		t.Fatalf("--help: %+v, %v", cmd, err)
	}
	cmd, err = Parse([]string{"run", "--help"})
	if err != nil || !cmd.Help || cmd.Verb == nil || cmd.Verb.Name != "run" {
		t.Fatalf("run --help: %+v, %v", cmd, err)
	}
}

// Repeatable flags (--bind) keep every value; others the last one.
func TestParseRepeatedFlags(t *testing.T) {
	cmd, err := Parse([]string{"create", "web", "--bind", "/a", "--bind=/b:/c", "--bind-ro", "/d", "--memory", "1G", "--memory", "2G"})
	if err != nil {
		t.Fatal(err)
	}
	in := cmd.Inv
	if got := in.Values("bind"); !reflect.DeepEqual(got, []string{"/a", "/b:/c"}) {
		t.Errorf("bind values %q", got)
	}
	if got := in.Values("bind-ro"); !reflect.DeepEqual(got, []string{"/d"}) {
		t.Errorf("bind-ro values %q", got)
	}
	if got := in.Values("memory"); !reflect.DeepEqual(got, []string{"2G"}) {
		t.Errorf("memory values %q", got)
	}
	if in.Values("cpus") != nil {
		t.Error("cpus has values though not given")
	}
}
