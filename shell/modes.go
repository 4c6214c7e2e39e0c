package shell

import (
	"context"
	"io"
	"os"
	"os/signal"
	"strings"

	"github.com/nixcsh/nixcsh/core/fault"
	"github.com/nixcsh/nixcsh/core/verbs"
)

// leadingGlobals takes the global options with values (--root DIR,
// --backend NAME, --plugin-dir DIR) from the front of words, so that
// `nixcsh --root /tmp/x` opens the shell on that root. ok is false when a
// global lacks its value.
func leadingGlobals(words []string) (globals map[string]string, rest []string, ok bool) {
	globals = map[string]string{}
	for i := 0; i < len(words); i++ {
		w := words[i]
		if !strings.HasPrefix(w, "--") {
			return globals, words[i:], true
		}
		name, val, hasVal := strings.Cut(w[2:], "=")
		f := globalFlag(name)
		if f == nil || f.Value == "" {
			return globals, words[i:], true
		}
		if !hasVal {
			if i+1 >= len(words) {
				return nil, nil, false
			}
			i++
			val = words[i]
		}
		globals[name] = val
	}
	return globals, nil, true
}

// shellMode runs the shell when the command line asks for it: `-c TEXT`,
// no action with a terminal (interactive), or no action with piped stdin (a
// script). ran is false when it is none of these (no action, stdin a
// terminal but stdout not: usage is printed).
func (e *Env) shellMode(globals map[string]string, rest []string) (code int, ran bool) {
	ctx := context.Background()
	if len(rest) > 0 { // -c
		if len(rest) != 2 {
			return e.fail(fault.Errorf(fault.Invalid, "-c takes one argument, the lines to run: nixcsh -c 'list; status foo'")), true
		}
		// As in sh -c, Ctrl-C cancels the command and ends the run.
		ctx, stop := signalContext(ctx)
		defer stop()
		return RunLines(ctx, e, globals, rest[1]), true
	}
	in, isFile := e.Stdin.(*os.File)
	switch {
	case isFile && isTerminal(in) && isTerminal(e.Stdout):
		return RunInteractive(ctx, e, globals, in), true
	case !isTerminal(e.Stdin):
		ctx, stop := signalContext(ctx)
		defer stop()
		return RunScript(ctx, e, globals, e.Stdin), true
	}
	return 0, false
}

// completeVerb is the hidden entry point of the bash, zsh and fish
// completion scripts: `nixcsh __complete KIND PREFIX` prints the values of
// a kind of word (containers, bridges, option paths) that the scripts cannot
// know, one a line, from the same code as the shell's TAB.
const completeVerb = "__complete"

func (e *Env) completeMain(ctx context.Context, args []string) int {
	globals, args, ok := leadingGlobals(args)
	if !ok || len(args) < 1 || len(args) > 2 {
		return 1
	}
	prefix := ""
	if len(args) == 2 {
		prefix = args[1]
	}
	r := newREPL(e, globals)
	var out []string
	switch args[0] {
	case "container":
		out = r.complete.Names(ctx)
	case "bridge":
		out = r.complete.bridges()
	case "interface":
		out = r.complete.interfaces()
	case "option":
		out = optionSteps(r.complete.optionPaths(), prefix)
	case "config":
		// The option path at the end of --config text.
		tok := trailing(prefix, func(r byte) bool { return isNixIdent(r) || r == '.' })
		for _, c := range optionSteps(r.complete.optionPaths(), tok) {
			out = append(out, prefix[:len(prefix)-len(tok)]+c)
		}
	default:
		return 1
	}
	for _, s := range out {
		if strings.HasPrefix(s, prefix) {
			io.WriteString(e.Stdout, s+"\n")
		}
	}
	return 0
}

// kindWord names a completion kind for the scripts' __complete calls.
func kindWord(k verbs.Kind) string {
	switch k {
	case verbs.Container:
		return "container"
	case verbs.Bridge:
		return "bridge"
	case verbs.Interface:
		return "interface"
	case verbs.OptionPath:
		return "option"
	case verbs.NixText:
		return "config"
	case verbs.File:
		return "file"
	}
	return ""
}

// signalContext is ctx cancelled by Ctrl-C (SIGINT).
func signalContext(ctx context.Context) (context.Context, context.CancelFunc) {
	return signal.NotifyContext(ctx, os.Interrupt)
}
