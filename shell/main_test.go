package shell

import (
	"bytes"
	"errors"
	"strings"
	"testing"
)

// explodeForTest is a bug for recoverBug to catch; its name must show in
// the stack.
func explodeForTest() {
	panic(errors.New("boom"))
}

func TestRecoverBugStackOnlyUnderDebug(t *testing.T) {
	for _, debug := range []string{"", "0", "true", "1"} {
		var stderr bytes.Buffer
		getenv := func(k string) string {
			if k == "NIXCSH_DEBUG" {
				return debug
			}
			return ""
		}
		code := func() (code int) {
			defer recoverBug(&stderr, getenv, &code)
			explodeForTest()
			return 0
		}()
		out := stderr.String()
		if code != 70 {
			t.Errorf("NIXCSH_DEBUG=%q: exit code %d, want 70", debug, code)
		}
		if !strings.HasPrefix(out, "nixcsh: internal error: boom\n") {
			t.Errorf("NIXCSH_DEBUG=%q: the message does not say what failed:\n%s", debug, out)
		}
		hasStack := strings.Contains(out, "goroutine ") && strings.Contains(out, "shell.explodeForTest")
		if debug == "1" && !hasStack {
			t.Errorf("NIXCSH_DEBUG=1: no stack down to the panic:\n%s", out)
		}
		if debug != "1" && (strings.Contains(out, "goroutine ") || strings.Contains(out, ".go:")) {
			t.Errorf("NIXCSH_DEBUG=%q: a Go stack reached the user:\n%s", debug, out)
		}
		if debug != "1" && strings.Count(out, "\n") != 2 {
			t.Errorf("NIXCSH_DEBUG=%q: want two lines, got:\n%s", debug, out)
		}
	}
}

// Without a panic recoverBug leaves the exit code and stderr alone.
func TestRecoverBugQuietWithoutPanic(t *testing.T) {
	var stderr bytes.Buffer
	code := func() (code int) {
		defer recoverBug(&stderr, func(string) string { return "1" }, &code)
		return 3
	}()
	if code != 3 || stderr.Len() != 0 {
		t.Errorf("got code %d and %q, want 3 and nothing", code, stderr.String())
	}
}
