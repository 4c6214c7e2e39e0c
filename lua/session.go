// Package lua is nixcsh's Lua scripting: the `nixcsh` module (one function
// per verb, generated from core/verbs), the helpers workflows need (wait_port,
// parallel, each, on, log, sleep), the script runner behind
// `nixcsh FILE.lua ARGS...`, and the Lua state behind the REPL's `lua` and
// `source` builtins.
//
// Threading model. A gopher-lua state must never be used by two goroutines at
// once, so every Session owns one goroutine (its "actor") that alone touches
// its LState. Slow Go work (a verb, a sleep, waiting for a port) runs on a
// worker goroutine while the actor waits for it; while it waits the actor
// also serves hook events (n.on functions) that the verb fires from its own
// goroutine. n.parallel and n.each run their functions as coroutines of the
// same state: a verb called inside one of them yields its coroutine while its
// Go work runs in the background, and a scheduler on the actor resumes the
// coroutine when the work is done. Only the slow Go parts run concurrently;
// Lua code itself never does, so no Lua value is ever shared across
// goroutines.
package lua

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"sync"

	"github.com/nixcsh/nixcsh/core"
	"github.com/nixcsh/nixcsh/core/fault"
	glua "github.com/yuin/gopher-lua"
)

// Options configure a Session.
type Options struct {
	// NewManager makes the Manager the nixcsh module's verbs run on, with
	// progress and warnings going to stderr. It is called on the first verb
	// call, and again after ResetManager. The Session adds its Lua hooks in front of the Manager's
	// own (unless NewManager already put Session.Hooks() there).
	NewManager func(stderr io.Writer) (*core.Manager, error)
	// Stdout receives print(); Stderr receives n.log and verb progress.
	Stdout, Stderr io.Writer
	// Sandbox opens only the safe libraries: no os.execute, io, dofile,
	// loadfile, require of files.
	Sandbox bool
	// Args are the script arguments: n.args and the global `arg`.
	Args []string
	// Getenv looks environment variables up (n.env); default os.Getenv.
	Getenv func(string) string
	// Environ lists the environment as KEY=VALUE (n.env's keys); default
	// os.Environ(). Keys missing here still resolve through Getenv.
	Environ []string
}

// Session is one Lua state with the nixcsh module loaded, and the goroutine
// that owns it. The REPL keeps one for its whole life; each script run from
// the command line gets its own.
type Session struct {
	opts   Options
	stdout io.Writer
	stderr *lockedWriter
	state  *glua.LState // touched only on the actor goroutine
	hooks  *luaHooks

	work     chan func()            // jobs for the actor while it is idle
	hookReqs chan *hookReq          // hook events, served idle or while waiting
	quit     chan struct{}          // closed by Close
	exited   chan struct{}          // closed when the actor has returned
	once     sync.Once              // Close
	mgrMu    sync.Mutex             // guards mgr
	mgr      *core.Manager          // made on first use
	tasks    map[*glua.LState]*task // coroutines of running schedulers (actor only)
}

// lockedWriter serialises writes: verbs running concurrently share stderr.
type lockedWriter struct {
	mu sync.Mutex
	w  io.Writer
}

func (l *lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}

// New makes a Session: a fresh Lua state with the nixcsh module preloaded
// (require("nixcsh"), and the global `nixcsh`).
func New(opts Options) *Session {
	if opts.Stdout == nil {
		opts.Stdout = io.Discard
	}
	if opts.Stderr == nil {
		opts.Stderr = io.Discard
	}
	if opts.Getenv == nil {
		opts.Getenv = os.Getenv
	}
	if opts.Environ == nil {
		opts.Environ = os.Environ()
	}
	s := &Session{
		opts:     opts,
		stdout:   opts.Stdout,
		stderr:   &lockedWriter{w: opts.Stderr},
		work:     make(chan func()),
		hookReqs: make(chan *hookReq),
		quit:     make(chan struct{}),
		exited:   make(chan struct{}),
		tasks:    map[*glua.LState]*task{},
	}
	s.hooks = &luaHooks{s: s, fns: map[string][]*glua.LFunction{}}
	s.state = newState(s, opts.Sandbox)
	go s.actor()
	return s
}

// actor owns the Lua state: it runs jobs one at a time and, between them,
// serves hook events fired by verbs that do not come from Lua (the REPL's
// own commands).
func (s *Session) actor() {
	defer close(s.exited)
	defer s.state.Close()
	for {
		select {
		case job := <-s.work:
			job()
		case r := <-s.hookReqs:
			s.serveHook(s.state, r)
		case <-s.quit:
			return
		}
	}
}

// onActor runs job on the actor goroutine and waits for it.
func (s *Session) onActor(job func()) error {
	done := make(chan struct{})
	select {
	case s.work <- func() { defer close(done); job() }:
	case <-s.quit:
		return fault.Errorf(fault.Failed, "the Lua session is closed")
	}
	<-done
	return nil
}

// Close ends the session: its state is closed and its goroutine returns.
// Hooks registered in it stop firing.
func (s *Session) Close() {
	s.once.Do(func() { close(s.quit) })
	<-s.exited
}

// Exec runs code in the session's persistent state, with ctx cancelling it
// (and any verb it is running). In the REPL, a line that is an expression has
// its values printed, as the standalone lua does.
func (s *Session) Exec(ctx context.Context, code, chunkName string) error {
	if chunkName == "" {
		chunkName = "lua"
	}
	var err error
	if aerr := s.onActor(func() {
		fn, lerr := s.state.Load(strings.NewReader("return "+code), chunkName)
		printResults := lerr == nil
		if lerr != nil {
			fn, lerr = s.state.Load(strings.NewReader(code), chunkName)
		}
		if lerr != nil {
			err = syntaxError(lerr)
			return
		}
		var vals []glua.LValue
		vals, err = s.call(ctx, fn)
		if err == nil && printResults && len(vals) > 0 {
			parts := make([]string, len(vals))
			for i, v := range vals {
				parts[i] = inspect(v, 0)
			}
			fmt.Fprintln(s.stdout, strings.Join(parts, "\t"))
		}
	}); aerr != nil {
		return aerr
	}
	return err
}

// RunFile runs a Lua file in the session's state (the REPL's `source`:
// globals and n.on hooks it defines stay), with args as n.args and `arg`.
func (s *Session) RunFile(ctx context.Context, path string, args []string) error {
	var err error
	if aerr := s.onActor(func() {
		fn, lerr := s.state.LoadFile(path)
		if lerr != nil {
			if errors.Is(lerr, os.ErrNotExist) || strings.Contains(lerr.Error(), "no such file") {
				err = fault.Errorf(fault.NotFound, "cannot run %s: no such file", path)
				return
			}
			err = syntaxError(lerr)
			return
		}
		setArgs(s.state, path, args)
		_, err = s.call(ctx, fn)
	}); aerr != nil {
		return aerr
	}
	return err
}

// call runs fn on the actor with ctx set on the state, and turns Lua errors
// into core errors that show the script's file:line and no Go stack.
func (s *Session) call(ctx context.Context, fn *glua.LFunction) ([]glua.LValue, error) {
	if ctx == nil {
		ctx = context.Background()
	}
	L := s.state
	L.SetContext(ctx)
	defer L.RemoveContext()
	top := L.GetTop()
	L.Push(fn)
	err := L.PCall(0, glua.MultRet, nil)
	if err != nil {
		L.SetTop(top)
		return nil, s.scriptError(ctx, err)
	}
	vals := make([]glua.LValue, 0, L.GetTop()-top)
	for i := top + 1; i <= L.GetTop(); i++ {
		vals = append(vals, L.Get(i))
	}
	L.SetTop(top)
	return vals, nil
}

// exitRequest is raised by os.exit: the script ends with that status.
type exitRequest struct{ code int }

// scriptError turns what a Lua run raised into the error users see.
func (s *Session) scriptError(ctx context.Context, err error) error {
	if ctx.Err() != nil {
		return &fault.Error{Kind: fault.Failed, Msg: "interrupted", Err: ctx.Err()}
	}
	var api *glua.ApiError
	if !errors.As(err, &api) {
		return fault.Errorf(fault.Failed, "%v", err)
	}
	if ud, ok := api.Object.(*glua.LUserData); ok {
		if ex, ok := ud.Value.(exitRequest); ok {
			if ex.code == 0 {
				return nil
			}
			return fault.ExitStatus(ex.code)
		}
	}
	if api.Type == glua.ApiErrorSyntax {
		return syntaxError(err)
	}
	msg := errorText(api.Object)
	return &fault.Error{Kind: fault.Failed, Msg: msg, Err: err}
}

// errorText is the message of a raised Lua value.
func errorText(v glua.LValue) string {
	if t, ok := v.(*glua.LTable); ok {
		if m := t.RawGetString("message"); m != glua.LNil {
			return m.String()
		}
		return inspect(t, 0)
	}
	return strings.TrimRight(v.String(), "\n")
}

// syntaxError tidies gopher-lua's parse errors ("x.lua line:3(column:5)
// near 'end':   syntax error") into one line.
func syntaxError(err error) error {
	var api *glua.ApiError
	msg := err.Error()
	if errors.As(err, &api) {
		msg = api.Object.String()
	}
	msg = strings.Join(strings.Fields(msg), " ")
	return &fault.Error{Kind: fault.Invalid, Msg: msg, Err: err}
}

// Incomplete reports whether code is an unfinished chunk (an open function,
// do, {, long string...) that the REPL should continue on the next line.
func (s *Session) Incomplete(code string) bool {
	_, err := compileOnly(code)
	if err == nil {
		return false
	}
	msg := err.Error()
	if !strings.Contains(msg, " at EOF:") {
		return false
	}
	// A quoted string cannot run over a line end: that is a plain error.
	return !strings.HasSuffix(strings.TrimSpace(msg), "unterminated string")
}

// Names completes Lua globals and the fields of global tables
// ("nixcsh.st" -> "nixcsh.start", "nixcsh.status", "nixcsh.stop").
func (s *Session) Names(prefix string) []string {
	var out []string
	s.onActor(func() { out = completeNames(s.state, prefix) })
	return out
}

// Hooks returns the Lua hooks registered with n.on, for the Manager's
// core.HookList (before plugins). Fire is safe from any goroutine.
func (s *Session) Hooks() core.Hooks { return s.hooks }

// manager returns the Session's Manager, made on first use, with the Lua
// hooks in front of whatever hooks it came with.
func (s *Session) manager() (*core.Manager, error) {
	s.mgrMu.Lock()
	defer s.mgrMu.Unlock()
	if s.mgr != nil {
		return s.mgr, nil
	}
	if s.opts.NewManager == nil {
		return nil, fault.Errorf(fault.Failed, "this Lua session has no nixcsh manager")
	}
	m, err := s.opts.NewManager(s.stderr)
	if err != nil {
		return nil, err
	}
	if !hasHooks(m.Hooks, s.hooks) {
		if m.Hooks == nil {
			m.Hooks = s.hooks
		} else {
			m.Hooks = core.HookList{s.hooks, m.Hooks}
		}
	}
	s.mgr = m
	return m, nil
}

// ResetManager drops the Session's Manager: the next verb call makes a new
// one with Options.NewManager (the REPL calls it when its state root or
// other global options change).
func (s *Session) ResetManager() {
	s.mgrMu.Lock()
	defer s.mgrMu.Unlock()
	s.mgr = nil
}

// hasHooks reports whether h already delivers to ours.
func hasHooks(h core.Hooks, ours *luaHooks) bool {
	switch h := h.(type) {
	case *luaHooks:
		return h == ours
	case core.HookList:
		for _, x := range h {
			if hasHooks(x, ours) {
				return true
			}
		}
	}
	return false
}

// RunScript runs FILE.lua for `nixcsh FILE.lua ARGS...` in a Session of its
// own and returns the exit status. Errors are printed on stderr as
// "FILE:LINE: message", without a Go stack; ctx (SIGINT) interrupts it.
func RunScript(ctx context.Context, path string, args []string, opts Options) int {
	opts.Args = args
	s := New(opts)
	defer s.Close()
	err := s.RunFile(ctx, path, args)
	if err == nil {
		return 0
	}
	var st fault.ExitStatus
	if !errors.As(err, &st) {
		fmt.Fprintln(s.stderr, strings.TrimRight(err.Error(), "\n"))
	}
	return fault.ExitCode(err)
}
