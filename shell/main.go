package shell

import (
	"context"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"runtime/debug"

	"github.com/nixcsh/nixcsh/core/engine"
	"github.com/nixcsh/nixcsh/core/fault"
)

// Main is the whole program: cmd/nixcsh calls os.Exit(Main(...)).
func Main(args []string, stdin io.Reader, stdout, stderr io.Writer) (code int) {
	defer recoverBug(stderr, os.Getenv, &code)
	prog := "nixcsh"
	if len(args) > 0 && filepath.Base(args[0]) == "nixos-container" {
		prog = "nixos-container"
	}
	words := args[1:]
	if len(words) > 0 && words[0] == engine.SuperviseVerb {
		return engine.SuperviseMain(words[1:], stderr)
	}
	sess := newSession(stdout, stderr)
	defer sess.close()
	env := &Env{Prog: prog, Stdin: stdin, Stdout: stdout, Stderr: stderr, Getenv: os.Getenv, NewManager: sess.newManager, OptionPaths: optionPaths}
	globals, rest, globalsOK := leadingGlobals(words)
	// The shell: no action on a terminal, lines from a pipe, or -c.
	// (Not as nixos-container, which has no shell: no action is an error.)
	if globalsOK && prog != "nixos-container" && (len(rest) == 0 || rest[0] == "-c") {
		env.Lua = sess.luaSession(globals, false, nil)
		if code, ran := env.shellMode(globals, rest); ran {
			return code
		}
	}
	if len(words) > 0 && words[0] == completeVerb {
		return env.completeMain(context.Background(), words[1:])
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	if globalsOK && isLuaScript(rest) {
		return sess.runLuaFile(ctx, globals, rest)
	}
	if len(words) == 0 {
		if prog == "nixos-container" {
			return env.fail(fault.Errorf(fault.Invalid, "no action specified"))
		}
		io.WriteString(stderr, Usage(prog))
		return 1
	}
	if len(words) == 2 && words[0] == "help" && words[1] == "--man" {
		io.WriteString(stdout, ManPage())
		return 0
	}
	if words[0] == "help" && len(words) <= 2 {
		cmd := &Command{Help: true}
		if len(words) == 2 {
			cmd.Verb = lookupVerb(words[1])
			if cmd.Verb == nil {
				io.WriteString(stderr, "unknown action '"+words[1]+"'\n")
				return 1
			}
		}
		return env.Execute(ctx, cmd)
	}
	cmd, err := Parse(words)
	if err != nil {
		return env.fail(err)
	}
	return env.Execute(ctx, cmd)
}

// recoverBug, deferred, turns a panic (a bug) into exit code 70 and one line
// for the user, not a Go stack. Under NIXCSH_DEBUG=1, and only then, the
// stack of the panic follows, for the report. It must be the deferred
// function itself, for recover to stop the panic; deferred code runs before
// the stack unwinds, so debug.Stack still shows where the panic happened.
func recoverBug(stderr io.Writer, getenv func(string) string, code *int) {
	r := recover()
	if r == nil {
		return
	}
	io.WriteString(stderr, "nixcsh: internal error: "+stringOf(r)+"\nPlease report this with the command that caused it")
	if getenv("NIXCSH_DEBUG") == "1" {
		io.WriteString(stderr, " and this stack:\n")
		stderr.Write(debug.Stack())
	} else {
		io.WriteString(stderr, " (run it with NIXCSH_DEBUG=1 to add the Go stack).\n")
	}
	*code = 70
}

func stringOf(r any) string {
	if e, ok := r.(error); ok {
		return e.Error()
	}
	if s, ok := r.(string); ok {
		return s
	}
	return "unexpected failure"
}
