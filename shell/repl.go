package shell

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"sync/atomic"

	"github.com/nixcsh/nixcsh/core"
	"github.com/nixcsh/nixcsh/core/fault"
	"github.com/nixcsh/nixcsh/core/verbs"
	"github.com/nixcsh/nixcsh/lua"
)

// LuaRunner is the shell's view of the Lua package: one persistent Lua
// state per shell session, with the nixcsh module preloaded as the global
// `nixcsh`. The lua package implements it; Env.Lua holds it (nil: the lua
// and source builtins say Lua is not available).
type LuaRunner interface {
	// Exec runs code in the session's Lua state. ctx is cancelled by Ctrl-C.
	Exec(ctx context.Context, code, chunkName string) error
	// RunFile runs a Lua script with its arguments (the `arg` table).
	RunFile(ctx context.Context, path string, args []string) error
	// Incomplete reports whether code is an unfinished chunk (an open
	// function, do, {, string ...), so that the shell reads more lines.
	Incomplete(code string) bool
	// Names completes Lua globals and nixcsh.* names that start with prefix.
	Names(prefix string) []string
}

// statusInterrupted is the status of a verb cancelled with Ctrl-C, as sh
// reports a command killed by SIGINT.
const statusInterrupted = 130

// REPL is one shell session: interactive on a terminal, or a script read
// from a pipe or given with -c. Every line runs through the same code.
type REPL struct {
	env         *Env
	in          LineReader
	interactive bool              // prompts, history, Ctrl-D leaves with 0
	globals     map[string]string // the session's --root, --backend, --plugin-dir
	history     *History
	status      int // of the last command
	// interrupts delivers Ctrl-C while a command runs (SIGINT on a terminal).
	interrupts <-chan struct{}
	complete   *Completer
}

// RunInteractive is the shell on the user's terminal.
func RunInteractive(ctx context.Context, env *Env, globals map[string]string, stdin *os.File) int {
	r := newREPL(env, globals)
	r.interactive = true
	r.history = LoadHistory(HistoryPath(env.getenv))
	sigs := make(chan os.Signal, 1)
	signal.Notify(sigs, os.Interrupt)
	defer signal.Stop(sigs)
	ints := make(chan struct{}, 1)
	stop := make(chan struct{})
	defer close(stop)
	go func() {
		for {
			select {
			case <-sigs:
				select {
				case ints <- struct{}{}:
				default:
				}
			case <-stop:
				return
			}
		}
	}()
	r.interrupts = ints
	tl, err := newTermLines(stdin, env.Stdout, func(line string) Completion {
		return r.complete.Complete(ctx, line)
	}, r.history.Entries())
	if err != nil {
		fmt.Fprintf(env.Stderr, "nixcsh: cannot open the terminal: %v\n", err)
		return 1
	}
	r.in = tl
	defer tl.Close()
	return r.Run(ctx)
}

// RunScript runs lines from in without prompts (`nixcsh < session.txt`).
// Commands get an empty stdin: the script is not theirs to read.
func RunScript(ctx context.Context, env *Env, globals map[string]string, in io.Reader) int {
	e := *env
	e.Stdin = strings.NewReader("")
	r := newREPL(&e, globals)
	r.in = newPlainLines(in)
	return r.Run(ctx)
}

// RunLines runs the lines of `nixcsh -c 'LINE; LINE'`.
func RunLines(ctx context.Context, env *Env, globals map[string]string, text string) int {
	r := newREPL(env, globals)
	r.in = newPlainLines(strings.NewReader(text))
	return r.Run(ctx)
}

func newREPL(env *Env, globals map[string]string) *REPL {
	g := map[string]string{}
	for k, v := range globals {
		g[k] = v
	}
	r := &REPL{env: env, globals: g}
	r.complete = &Completer{
		Names:       r.containerNames,
		OptionPaths: env.OptionPaths,
	}
	if env.Lua != nil {
		r.complete.LuaNames = env.Lua.Names
	}
	return r
}

// Run reads and runs entries until the input ends or `exit`. It returns the
// exit status: exit's, 0 for Ctrl-D on a terminal, else the last command's.
func (r *REPL) Run(ctx context.Context) int {
	for {
		if ctx.Err() != nil { // -c or a script, stopped with Ctrl-C
			return statusInterrupted
		}
		text, err := r.readEntry()
		if errors.Is(err, ErrInterrupt) {
			continue // Ctrl-C at the prompt drops the line
		}
		if err == io.EOF {
			if r.interactive {
				io.WriteString(r.env.Stdout, "\n")
				return 0
			}
			return r.status
		}
		if err != nil { // the input itself failed (a terminal gone)
			r.env.fail(fault.Errorf(fault.Failed, "cannot read input: %v", err))
			return 1
		}
		if exit, code := r.runEntry(ctx, text); exit {
			return code
		}
	}
}

// readEntry reads one entry: a line, and continuation lines while a quote is
// open or the Lua code is unfinished.
func (r *REPL) readEntry() (string, error) {
	line, err := r.in.ReadLine(r.prompt())
	if err != nil {
		return "", err
	}
	r.remember(line)
	text := line
	for r.unfinished(text) {
		more, err := r.in.ReadLine(continuePrompt)
		if err == io.EOF {
			// The input ended inside an entry: run it, so the user sees
			// what was wrong with it (an open quote, Lua's own error).
			return text, nil
		}
		if err != nil {
			return "", err
		}
		r.remember(more)
		text += "\n" + more
	}
	return text, nil
}

const continuePrompt = "     > "

// unfinished reports whether an entry needs more lines.
func (r *REPL) unfinished(text string) bool {
	stmts, open := parseEntry(text)
	if open {
		return true
	}
	if n := len(stmts); n > 0 && stmts[n-1].isLua && r.env.Lua != nil {
		return strings.TrimSpace(stmts[n-1].lua) != "" && r.env.Lua.Incomplete(stmts[n-1].lua)
	}
	return false
}

// remember adds an interactive line to the history.
func (r *REPL) remember(line string) {
	if r.history == nil || !r.history.Add(line) {
		return
	}
	r.in.SetHistory(r.history.Entries())
}

// runEntry runs the statements of an entry in order.
func (r *REPL) runEntry(ctx context.Context, text string) (exit bool, code int) {
	stmts, open := parseEntry(text)
	for _, s := range stmts {
		if ctx.Err() != nil {
			return true, statusInterrupted
		}
		if exit, code := r.runStmt(ctx, s); exit {
			return true, code
		}
	}
	if open {
		r.status = r.env.fail(errIncomplete)
	}
	return false, 0
}

// runStmt runs one statement and sets the status.
func (r *REPL) runStmt(ctx context.Context, s stmt) (exit bool, code int) {
	if s.isLua {
		r.status = r.runLua(ctx, func(ctx context.Context, l LuaRunner) error {
			if strings.TrimSpace(s.lua) == "" {
				return fault.Errorf(fault.Invalid, "lua needs code to run, e.g.: lua print(#nixcsh.list())")
			}
			return l.Exec(ctx, s.lua, "lua")
		})
		return false, 0
	}
	args := s.words[1:]
	switch s.words[0] {
	case "exit", "quit":
		if len(args) > 1 {
			r.status = r.env.fail(fault.Errorf(fault.Invalid, "%s takes at most one argument, the exit status", s.words[0]))
			return false, 0
		}
		if len(args) == 1 {
			n, err := strconv.Atoi(args[0])
			if err != nil || n < 0 || n > 255 {
				r.status = r.env.fail(fault.Errorf(fault.Invalid, "%s: the exit status is a number from 0 to 255, not %q", s.words[0], args[0]))
				return false, 0
			}
			return true, n
		}
		return true, r.status
	case "help":
		r.status = r.help(args)
	case "history":
		r.status = r.printHistory(args)
	case "root":
		r.status = r.root(args)
	case "source":
		if len(args) == 0 {
			r.status = r.env.fail(fault.Errorf(fault.Invalid, "source needs a Lua file: source FILE.lua [ARGS...]"))
			return false, 0
		}
		r.status = r.runLua(ctx, func(ctx context.Context, l LuaRunner) error {
			return l.RunFile(ctx, args[0], args[1:])
		})
	default:
		r.status = r.runVerb(ctx, s.words)
	}
	return false, 0
}

// runVerb parses and runs a verb of the table with the CLI's rules; the
// session's global options apply unless the line gives its own.
func (r *REPL) runVerb(ctx context.Context, words []string) int {
	if !strings.HasPrefix(words[0], "-") && verbs.Lookup(words[0]) == nil {
		return r.env.fail(fault.Errorf(fault.Invalid, "unknown command '%s'; 'help' lists the commands", words[0]))
	}
	cmd, err := Parse(words)
	if err != nil {
		return r.env.fail(err)
	}
	for k, v := range r.globals {
		if _, ok := cmd.Globals[k]; !ok {
			if cmd.Globals == nil {
				cmd.Globals = map[string]string{}
			}
			cmd.Globals[k] = v
		}
	}
	return r.interruptible(ctx, func(ctx context.Context) int { return r.env.Execute(ctx, cmd) })
}

// runLua runs a Lua builtin, or says Lua is missing.
func (r *REPL) runLua(ctx context.Context, do func(context.Context, LuaRunner) error) int {
	if r.env.Lua == nil {
		return r.env.fail(fault.Errorf(fault.Failed, "Lua is not available in this build"))
	}
	return r.interruptible(ctx, func(ctx context.Context) int {
		if err := do(ctx, r.env.Lua); err != nil {
			return r.env.fail(err)
		}
		return 0
	})
}

// interruptible runs a command with a context that Ctrl-C cancels. The
// command undoes its own half-done work when its context ends (core's rule);
// the shell only waits for it to return.
func (r *REPL) interruptible(ctx context.Context, run func(context.Context) int) int {
	if r.interrupts == nil {
		return run(ctx)
	}
	// A Ctrl-C pressed before this command started is not for it.
	for drained := false; !drained; {
		select {
		case <-r.interrupts:
		default:
			drained = true
		}
	}
	vctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var interrupted atomic.Bool
	done := make(chan struct{})
	defer close(done)
	go func() {
		select {
		case <-r.interrupts:
			interrupted.Store(true)
			cancel()
		case <-done:
		}
	}()
	code := run(vctx)
	if interrupted.Load() && code != 0 {
		return statusInterrupted
	}
	return code
}

// prompt is "nixcsh> ", with the state root when it is not / and the last
// status when it is not 0: "nixcsh[/tmp/x] [1]> ".
func (r *REPL) prompt() string {
	if !r.interactive {
		return ""
	}
	p := "nixcsh"
	if root := r.stateRoot(); root != "/" {
		p += "[" + r.shortPath(root) + "]"
	}
	if r.status != 0 {
		st := "[" + strconv.Itoa(r.status) + "]"
		if r.env.color(r.env.Stdout) {
			st = "\033[31m" + st + "\033[0m"
		}
		p += " " + st
	}
	return p + "> "
}

// stateRoot is the session's state root.
func (r *REPL) stateRoot() string {
	if root := r.globals["root"]; root != "" {
		return root
	}
	if root := r.env.getenv("NIXCSH_ROOT"); root != "" {
		return root
	}
	return "/"
}

// shortPath writes ~ for the home directory.
func (r *REPL) shortPath(p string) string {
	if home := r.env.getenv("HOME"); home != "" && home != "/" {
		if p == home {
			return "~"
		}
		if rest, ok := strings.CutPrefix(p, home+"/"); ok {
			return "~/" + rest
		}
	}
	return p
}

// root is the root builtin: the session's state root. (It cannot be
// switched inside a session: the Lua state keeps the Manager it made.)
func (r *REPL) root(args []string) int {
	if len(args) > 0 {
		return r.env.fail(fault.Errorf(fault.Invalid, "root takes no arguments; start the shell with --root DIR for another state root"))
	}
	fmt.Fprintln(r.env.Stdout, r.stateRoot())
	return 0
}

// printHistory is the history builtin: the entries, numbered.
func (r *REPL) printHistory(args []string) int {
	if len(args) > 0 {
		return r.env.fail(fault.Errorf(fault.Invalid, "history takes no arguments"))
	}
	if r.history == nil {
		return 0
	}
	for i, e := range r.history.Entries() {
		fmt.Fprintf(r.env.Stdout, "%5d  %s\n", i+1, e)
	}
	return 0
}

// containerNames lists the containers of the session's root, for completion.
// Listing needs only the state layout, so no engine is wired for it.
func (r *REPL) containerNames(ctx context.Context) []string {
	names, _ := core.NewManager(r.stateRoot(), io.Discard).List(ctx)
	return names
}

// builtinHelp is the one-line help of each shell builtin.
var builtinHelp = []struct{ usage, help string }{
	{"help [ACTION]", "list the actions, or show one action's options"},
	{"exit [N], quit", "leave the shell (Ctrl-D too)"},
	{"history", "list the lines entered before (Up and Ctrl-R recall them)"},
	{"root", "show the state root (nixcsh --root DIR picks another)"},
	{"lua CODE", "run Lua code; the nixcsh module is the global nixcsh ('help lua' shows its API)"},
	{"source FILE.lua [ARGS]", "run a Lua script"},
}

// help is the help builtin.
func (r *REPL) help(args []string) int {
	switch {
	case len(args) == 0:
		io.WriteString(r.env.Stdout, replHelp())
		return 0
	case len(args) == 1 && args[0] == "lua":
		// The Lua API, generated from the verb table (also docs/lua.md).
		io.WriteString(r.env.Stdout, lua.Help())
		return 0
	case len(args) == 1:
		if v := verbs.Lookup(args[0]); v != nil {
			io.WriteString(r.env.Stdout, VerbHelp(r.env.prog(), v))
			return 0
		}
		for _, b := range builtinHelp {
			if strings.HasPrefix(b.usage, args[0]+" ") || b.usage == args[0] || strings.Contains(b.usage, ", "+args[0]) {
				fmt.Fprintf(r.env.Stdout, "%s\n\n%s\n", b.usage, b.help)
				return 0
			}
		}
		return r.env.fail(fault.Errorf(fault.Invalid, "unknown action '%s'; 'help' lists them", args[0]))
	}
	return r.env.fail(fault.Errorf(fault.Invalid, "help takes one action name"))
}

// replHelp lists the verbs and the shell's own commands.
func replHelp() string {
	var b strings.Builder
	b.WriteString("Actions (the words and options of the command line):\n")
	for _, v := range verbs.All() {
		fmt.Fprintf(&b, "  %-16s %s\n", v.Name, v.Summary)
	}
	b.WriteString("\nShell commands:\n")
	for _, h := range builtinHelp {
		fmt.Fprintf(&b, "  %-24s %s\n", h.usage, h.help)
	}
	b.WriteString("\nWords are quoted as in sh: 'single', \"double\", \\x; nothing is expanded.\n" +
		"';' separates commands; lua takes the rest of the line. TAB completes,\n" +
		"Ctrl-C cancels the running command, Ctrl-D leaves.\n")
	return b.String()
}
