package shell

import (
	"strings"
	"testing"
)

// `help lua` in the shell shows the Lua API generated from the verb table.
func TestHelpLuaShowsTheAPI(t *testing.T) {
	env, out, errb := testEnv(t)
	r := newREPL(env, map[string]string{"root": t.TempDir()})
	if code := r.help([]string{"lua"}); code != 0 {
		t.Fatalf("help lua: %d %s", code, errb.String())
	}
	for _, want := range []string{"nixcsh.start", "nixcsh.wait_port", "nixcsh.on"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("help lua does not mention %s:\n%s", want, out.String())
		}
	}
}
