// Package shell is nixcsh's front end for people: the one-shot command line
// (a drop-in for nixos-container) and the interactive shell. It parses words,
// finds the verb in core/verbs, and prints results and errors.
package shell

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/nixcsh/nixcsh/core"
	"github.com/nixcsh/nixcsh/core/fault"
	"github.com/nixcsh/nixcsh/core/verbs"
	"golang.org/x/sys/unix"
)

// Env is what a front end runs with: the streams, the environment and the
// way to make a Manager for a state root.
type Env struct {
	// Prog is how the program was invoked: "nixos-container" through that
	// symlink (the NixOS tool: no shell), else "nixcsh" ("" means nixcsh).
	Prog           string
	Stdin          io.Reader
	Stdout, Stderr io.Writer
	Getenv         func(string) string
	// NewManager wires a Manager for the given global options (--root,
	// --backend, --plugin-dir) and output stream.
	NewManager func(globals map[string]string, stderr io.Writer) (*core.Manager, error)
	// Lua runs the shell's lua and source builtins; nil: Lua is not available.
	Lua LuaRunner
	// OptionPaths lists NixOS option paths for completion inside --config
	// (core/options.Paths("")); nil completes none.
	OptionPaths func() []string
}

func (e *Env) prog() string {
	if e.Prog == "" {
		return "nixcsh"
	}
	return e.Prog
}

// Execute runs one parsed command and prints its result. It returns the exit
// code; errors are printed on stderr, once, without any Go detail.
func (e *Env) Execute(ctx context.Context, cmd *Command) int {
	if cmd.Help {
		if cmd.Verb != nil {
			io.WriteString(e.Stdout, VerbHelp(e.prog(), cmd.Verb))
		} else {
			io.WriteString(e.Stdout, Usage(e.prog()))
		}
		return 0
	}
	inv := cmd.Inv
	inv.Stdio = core.Stdio{In: e.Stdin, Out: e.Stdout, Err: e.Stderr, TTY: isTerminal(e.Stdin)}
	inv.Globals = cmd.Globals
	began := time.Now()
	var res any
	var err error
	if _, ok := cmd.Globals["cluster"]; ok {
		res, err = cmd.Verb.DoCluster(ctx, cmd.Globals, &inv)
	} else {
		for f := range inv.Flags {
			if cmd.Verb.ClusterOnly(f) {
				return e.fail(fault.Errorf(fault.Invalid, "--%s places a container in a cluster: give --cluster URL too", f))
			}
		}
		m, merr := e.NewManager(cmd.Globals, e.Stderr)
		if merr != nil {
			return e.fail(merr)
		}
		res, err = cmd.Verb.Do(ctx, m, &inv)
	}
	if err != nil {
		// status prints "gone" for a missing container, and fails.
		if s, ok := res.(string); ok && s != "" {
			fmt.Fprintln(e.Stdout, s)
		}
		return e.fail(err)
	}
	e.afterVerb(cmd.Verb, time.Since(began))
	if !inv.Switch("json") && isTerminal(e.Stdout) {
		res = forTerminal(res)
	}
	if err := PrintResult(e.Stdout, res, inv.Switch("json")); err != nil {
		return e.fail(err)
	}
	return 0
}

// fail prints err (unless it is a bare passed-through exit status) and
// returns its exit code.
func (e *Env) fail(err error) int {
	var st fault.ExitStatus
	if !errors.As(err, &st) {
		msg := err.Error()
		if errors.Is(err, context.Canceled) {
			msg = "interrupted"
		}
		fmt.Fprintln(e.Stderr, e.errorText(strings.TrimRight(msg, "\n")))
	}
	return fault.ExitCode(err)
}

// PrintResult writes a verb's result: as JSON when asked, else its text form.
func PrintResult(w io.Writer, res any, asJSON bool) error {
	if res == nil {
		return nil
	}
	if asJSON {
		b, err := json.MarshalIndent(res, "", "  ")
		if err != nil {
			return fault.Errorf(fault.Failed, "cannot print the result as JSON: %v", err)
		}
		_, err = fmt.Fprintf(w, "%s\n", b)
		return err
	}
	var text string
	switch r := res.(type) {
	case verbs.Texter:
		text = r.Text()
	case string:
		if r == "" {
			return nil
		}
		text = r + "\n"
	case []string:
		if len(r) > 0 {
			text = strings.Join(r, "\n") + "\n"
		}
	default:
		b, err := json.MarshalIndent(r, "", "  ")
		if err != nil {
			return fault.Errorf(fault.Failed, "cannot print the result: %v", err)
		}
		text = string(b) + "\n"
	}
	_, err := io.WriteString(w, text)
	return err
}

// isTerminal reports whether r is a terminal.
func isTerminal(r any) bool {
	f, ok := r.(*os.File)
	if !ok {
		return false
	}
	_, err := unix.IoctlGetTermios(int(f.Fd()), unix.TCGETS)
	return err == nil
}
