package shell

import (
	"bytes"
	"errors"
	"io"
	"testing"
	"time"

	"github.com/creack/pty"
	"github.com/nixcsh/nixcsh/core/fault"
	"github.com/nixcsh/nixcsh/core/verbs"
)

// ttyPair is a pseudo-terminal: writes to tty are read from master.
func ttyPair(t *testing.T) (master, tty io.ReadWriteCloser, read func() string) {
	m, s, err := pty.Open()
	if err != nil {
		t.Skipf("no pseudo-terminal: %v", err)
	}
	t.Cleanup(func() { m.Close(); s.Close() })
	return m, s, func() string {
		s.Close() // the master reads what was written, then EOF (EIO)
		var b bytes.Buffer
		io.Copy(&b, m)
		return b.String()
	}
}

func TestTerminalOutput(t *testing.T) {
	_, tty, read := ttyPair(t)
	env := &Env{Stderr: tty, Stdout: tty, Getenv: func(string) string { return "" }}
	env.afterVerb(verbs.Lookup("start"), 210*time.Millisecond)
	env.afterVerb(verbs.Lookup("stop"), time.Second) // no boot: nothing
	env.fail(fault.Errorf(fault.NotFound, "container 'x' does not exist"))
	env.fail(fault.ExitStatus(3)) // a passed-through status prints nothing
	want := "\r\033[Kready in 0.21s\r\n" + "\r\033[K\033[31mcontainer 'x' does not exist\033[0m\r\n"
	if got := read(); got != want {
		t.Fatalf("terminal shows %q, want %q", got, want)
	}
}

func TestNoColor(t *testing.T) {
	_, tty, read := ttyPair(t)
	env := &Env{Stderr: tty, Getenv: func(k string) string { return map[string]string{"NO_COLOR": "1"}[k] }}
	env.fail(errors.New("plain"))
	if got := read(); got != "plain\r\n" {
		t.Fatalf("NO_COLOR: terminal shows %q", got)
	}
	// Not a terminal: no colour, no progress line.
	var b bytes.Buffer
	env = &Env{Stderr: &b, Getenv: func(string) string { return "" }}
	env.fail(errors.New("plain"))
	env.afterVerb(verbs.Lookup("start"), time.Second)
	if b.String() != "plain\n" {
		t.Fatalf("pipe shows %q", b.String())
	}
}

func TestListTable(t *testing.T) {
	res := forTerminal(verbs.Names{
		{Name: "web", Status: "up", LocalAddress: "10.233.1.2", AutoStart: true},
		{Name: "db6", Status: "down", LocalAddress6: "fc00::2"},
		{Name: "bare", Status: "down"},
	})
	want := "NAME  STATUS  ADDRESS     AUTOSTART\n" +
		"web   up      10.233.1.2  yes\n" +
		"db6   down    fc00::2     no\n" +
		"bare  down    -           no\n"
	if got := res.(verbs.Texter).Text(); got != want {
		t.Fatalf("table:\n%s\nwant:\n%s", got, want)
	}
	if got := forTerminal(verbs.Names{}).(verbs.Texter).Text(); got != "no containers\n" {
		t.Fatalf("empty table = %q", got)
	}
	if got := forTerminal("up"); got != "up" {
		t.Fatalf("other results change: %v", got)
	}
}
