package shell

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// testEnv is an Env writing to buffers, for a fresh state root.
func testEnv(t *testing.T) (*Env, *bytes.Buffer, *bytes.Buffer) {
	var out, errb bytes.Buffer
	env := &Env{
		Stdin:      strings.NewReader(""),
		Stdout:     &out,
		Stderr:     &errb,
		Getenv:     func(k string) string { return map[string]string{"HOME": "/home/u"}[k] },
		NewManager: newManager,
	}
	return env, &out, &errb
}

// Ctrl-C cancels the context of the running command; the shell reports it,
// sets status 130 and goes on with the next line.
func TestInterruptCancelsTheRunningCommand(t *testing.T) {
	env, out, errb := testEnv(t)
	started := make(chan struct{})
	env.Lua = &fakeLua{out: env.Stdout, started: started}
	r := newREPL(env, map[string]string{"root": t.TempDir()})
	ints := make(chan struct{}, 1)
	r.interrupts = ints
	r.in = newPlainLines(strings.NewReader("lua block()\n"))
	go func() {
		<-started
		ints <- struct{}{}
	}()
	done := make(chan int)
	go func() { done <- r.Run(context.Background()) }()
	select {
	case code := <-done:
		if code != statusInterrupted {
			t.Errorf("status after Ctrl-C %d, want %d", code, statusInterrupted)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the shell did not come back from an interrupted command")
	}
	// The same session goes on.
	r.in = newPlainLines(strings.NewReader("lua x = 1\nstatus nope\n"))
	if code := r.Run(context.Background()); code != 1 {
		t.Errorf("exit status %d, want 1 (status nope's)", code)
	}
	if errb.String() != "interrupted\n" {
		t.Errorf("stderr = %q, want the interruption reported once", errb.String())
	}
	if want := "lua[lua]: block()\nlua[lua]: x = 1\ngone\n"; out.String() != want {
		t.Errorf("stdout = %q, want %q", out.String(), want)
	}
}

// A Ctrl-C that arrived while no command ran is not for the next command.
func TestStaleInterruptIsDropped(t *testing.T) {
	env, _, errb := testEnv(t)
	env.Lua = &ctxLua{}
	r := newREPL(env, nil)
	ints := make(chan struct{}, 1)
	ints <- struct{}{}
	r.interrupts = ints
	r.in = newPlainLines(strings.NewReader("lua check\n"))
	if code := r.Run(context.Background()); code != 0 {
		t.Fatalf("exit %d, stderr %q: the command was cancelled by an earlier Ctrl-C", code, errb.String())
	}
}

// ctxLua fails when its context is already cancelled.
type ctxLua struct{ fakeLua }

func (c *ctxLua) Exec(ctx context.Context, code, chunk string) error { return ctx.Err() }

func TestPrompt(t *testing.T) {
	env, _, _ := testEnv(t)
	r := newREPL(env, nil)
	r.interactive = true
	for _, tc := range []struct {
		root   string
		status int
		want   string
	}{
		{"", 0, "nixcsh> "},
		{"/", 0, "nixcsh> "},
		{"/tmp/x", 0, "nixcsh[/tmp/x]> "},
		{"/home/u/lab", 0, "nixcsh[~/lab]> "},
		{"", 1, "nixcsh [1]> "},
		{"/tmp/x", 130, "nixcsh[/tmp/x] [130]> "},
	} {
		r.globals["root"] = tc.root
		r.status = tc.status
		if got := r.prompt(); got != tc.want {
			t.Errorf("prompt(root %q, status %d) = %q, want %q", tc.root, tc.status, got, tc.want)
		}
	}
}

// -c runs the lines and exits with the last status; errors go on.
func TestMainDashC(t *testing.T) {
	root := t.TempDir()
	var out, errb bytes.Buffer
	code := Main([]string{"nixcsh", "--root", root, "-c", "create foo; list\nshow-ip foo; status nope"}, strings.NewReader(""), &out, &errb)
	if code != 1 || out.String() != "foo\n10.233.1.2\ngone\n" || errb.String() != "host IP is 10.233.1.1, container IP is 10.233.1.2\n" {
		t.Fatalf("exit %d, stdout %q, stderr %q", code, out.String(), errb.String())
	}
	out.Reset()
	errb.Reset()
	if code := Main([]string{"nixcsh", "--root=" + root, "-c", "list"}, strings.NewReader(""), &out, &errb); code != 0 || out.String() != "foo\n" {
		t.Fatalf("--root=DIR -c list: exit %d, stdout %q, stderr %q", code, out.String(), errb.String())
	}
	errb.Reset()
	if code := Main([]string{"nixcsh", "-c"}, strings.NewReader(""), &out, &errb); code != 1 || !strings.Contains(errb.String(), "-c takes one argument") {
		t.Fatalf("-c alone: exit %d, stderr %q", code, errb.String())
	}
}

// With no action and stdin not a terminal, the lines of stdin are a script.
func TestMainPipedStdin(t *testing.T) {
	root := t.TempDir()
	var out, errb bytes.Buffer
	code := Main([]string{"nixcsh", "--root", root}, strings.NewReader("create foo\nlist\n"), &out, &errb)
	if code != 0 || out.String() != "foo\n" {
		t.Fatalf("exit %d, stdout %q, stderr %q", code, out.String(), errb.String())
	}
	// The one-shot command line is unchanged.
	out.Reset()
	if code := Main([]string{"nixcsh", "--root", root, "show-ip", "foo"}, strings.NewReader(""), &out, &errb); code != 0 || out.String() != "10.233.1.2\n" {
		t.Fatalf("show-ip: exit %d, stdout %q", code, out.String())
	}
}

func TestMainCompletionAndMan(t *testing.T) {
	var out, errb bytes.Buffer
	for _, sh := range []string{"bash", "zsh", "fish"} {
		out.Reset()
		if code := Main([]string{"nixcsh", "completion", sh}, strings.NewReader(""), &out, &errb); code != 0 || !strings.Contains(out.String(), "__complete") {
			t.Fatalf("completion %s: exit %d, stderr %q", sh, code, errb.String())
		}
	}
	errb.Reset()
	if code := Main([]string{"nixcsh", "completion", "tcsh"}, strings.NewReader(""), &out, &errb); code != 1 || !strings.Contains(errb.String(), "bash|zsh|fish") {
		t.Fatalf("completion tcsh: exit %d, stderr %q", code, errb.String())
	}
	out.Reset()
	if code := Main([]string{"nixcsh", "help", "--man"}, strings.NewReader(""), &out, &errb); code != 0 || !strings.HasPrefix(out.String(), ".TH NIXCSH 1") {
		t.Fatalf("help --man: exit %d, out %.40q", code, out.String())
	}
}

// __complete serves the completion scripts the values only nixcsh knows.
func TestCompleteMain(t *testing.T) {
	root := t.TempDir()
	for _, n := range []string{"foo", "fob", "bar"} {
		os.MkdirAll(filepath.Join(root, "etc/containers"), 0o755)
		os.WriteFile(filepath.Join(root, "etc/containers", n+".conf"), []byte("PRIVATE_NETWORK=1\n"), 0o644)
	}
	env, out, _ := testEnv(t)
	env.OptionPaths = func() []string { return testOptionPaths }
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"--root", root, "container", "f"}, "fob\nfoo\n"},
		{[]string{"--root", root, "container"}, "bar\nfob\nfoo\n"},
		{[]string{"option", "services.o"}, "services.openssh.\n"},
		{[]string{"config", "services.openssh.enable = true; net"}, "services.openssh.enable = true; networking.\n"},
	} {
		out.Reset()
		if code := env.completeMain(context.Background(), tc.args); code != 0 || out.String() != tc.want {
			t.Errorf("__complete %q: exit %d, out %q, want %q", tc.args, code, out.String(), tc.want)
		}
	}
}

func TestHelpListsEveryCommand(t *testing.T) {
	h := replHelp()
	for _, n := range commandNames() {
		if n == "quit" {
			continue // with exit
		}
		if !strings.Contains(h, "  "+n) {
			t.Errorf("help does not list %q", n)
		}
	}
}

// Ctrl-C ends -c and scripts: nothing after it runs.
func TestCancelledScriptStops(t *testing.T) {
	env, _, _ := testEnv(t)
	root := t.TempDir()
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if code := RunLines(ctx, env, map[string]string{"root": root}, "create foo; create bar"); code != statusInterrupted {
		t.Fatalf("exit %d, want %d", code, statusInterrupted)
	}
	if _, err := os.Stat(filepath.Join(root, "etc/containers/foo.conf")); err == nil {
		t.Fatal("a line ran after Ctrl-C")
	}
}
