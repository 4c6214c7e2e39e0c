package lua

import (
	"context"
	"fmt"

	glua "github.com/yuin/gopher-lua"

	"github.com/nixcsh/nixcsh/core/fault"
)

// goCall is slow Go work that a Lua function asked for: run happens on a
// worker goroutine (it must honour ctx); push turns its outcome into Lua
// values, back on the actor.
type goCall struct {
	run  func(ctx context.Context) (any, error)
	push func(v any, err error) []glua.LValue
}

// task is one function that n.parallel or n.each runs as a coroutine.
type task struct {
	index   int
	th      *glua.LState
	cancel  context.CancelFunc
	fn      *glua.LFunction
	resume  []glua.LValue // what the next resume passes in
	pending *goCall       // the Go work the coroutine yielded for
	tail    bool          // it yielded from a tail call: the work's results are its results
	vals    []glua.LValue // its return values, once finished
	err     string        // what it raised, once finished
}

type outcome struct {
	v   any
	err error
}

// luaContext is the context the running Lua code was given.
func luaContext(L *glua.LState) context.Context {
	if ctx := L.Context(); ctx != nil {
		return ctx
	}
	return context.Background()
}

// do carries c out for the Lua function running on L and returns the number
// of values it pushed. Inside a scheduled coroutine (n.parallel, n.each) the
// coroutine yields and the scheduler resumes it when the work is done; other
// coroutines run meanwhile. Anywhere else the call blocks, serving hooks.
func (s *Session) do(L *glua.LState, c goCall) int {
	if t := s.tasks[L]; t != nil && yieldable(L) {
		t.pending = &c
		return L.Yield()
	}
	v, err := s.await(L, c.run)
	if luaContext(L).Err() != nil {
		L.RaiseError("interrupted")
	}
	vals := c.push(v, err)
	for _, x := range vals {
		L.Push(x)
	}
	return len(vals)
}

// await runs work on a worker goroutine and waits for it, serving the hook
// events the work fires meanwhile (a verb's pre-/post- events reach Lua
// functions registered with n.on, which must run here, on the actor).
func (s *Session) await(L *glua.LState, work func(context.Context) (any, error)) (any, error) {
	ctx := luaContext(L)
	done := make(chan outcome, 1)
	go func() { done <- safeRun(ctx, work) }()
	for {
		select {
		case o := <-done:
			return o.v, o.err
		case r := <-s.hookReqs:
			s.serveHook(L, r)
		}
	}
}

// safeRun runs work, turning a panic into an error: a bug in a verb must not
// take the whole program (and the user's REPL) down.
func safeRun(ctx context.Context, work func(context.Context) (any, error)) (o outcome) {
	defer func() {
		if r := recover(); r != nil {
			o = outcome{err: fault.Errorf(fault.Failed, "internal error: %v", r)}
		}
	}()
	v, err := work(ctx)
	return outcome{v, err}
}

// yieldable reports whether the coroutine L can yield from the Go function
// now running: only when every frame between it and the coroutine's body is
// a Lua function. gopher-lua cannot yield across a Go frame (pcall, a
// string.gsub callback...), so there the call blocks instead.
func yieldable(L *glua.LState) bool {
	for level := 1; level < 250; level++ {
		dbg, ok := L.GetStack(level)
		if !ok {
			return true
		}
		if _, err := L.GetInfo("S", dbg, glua.LNil); err != nil {
			return false
		}
		switch dbg.What {
		case "G":
			return false
		case "main":
			return true
		}
	}
	return false
}

// schedule runs fns[i](args[i]...) as coroutines of L, at most limit at a
// time, until all have finished, and returns them in order. Go work they
// call runs concurrently. When ctx is cancelled it waits for the running Go
// work to stop and raises "interrupted".
func (s *Session) schedule(L *glua.LState, fns []*glua.LFunction, args [][]glua.LValue, limit int) []*task {
	ctx := luaContext(L)
	n := len(fns)
	if limit <= 0 || limit > n {
		limit = n
	}
	tasks := make([]*task, n)
	completions := make(chan struct {
		t *task
		c *goCall
		o outcome
	}, n)
	next, running, inflight, finished := 0, 0, 0, 0
	var ready []*task
	finish := func(t *task) {
		delete(s.tasks, t.th)
		if t.cancel != nil {
			t.cancel()
		}
		finished++
		running--
	}
	abort := func() {
		for inflight > 0 {
			select {
			case <-completions:
				inflight--
			case r := <-s.hookReqs:
				s.serveHook(L, r)
			}
		}
		for _, t := range tasks {
			if t != nil {
				delete(s.tasks, t.th)
				if t.cancel != nil {
					t.cancel()
				}
			}
		}
		L.RaiseError("interrupted")
	}
	for finished < n {
		for running < limit && next < n {
			th, cancel := L.NewThread()
			t := &task{index: next, th: th, cancel: cancel, fn: fns[next], resume: args[next]}
			tasks[next] = t
			s.tasks[th] = t
			ready = append(ready, t)
			next++
			running++
		}
		for len(ready) > 0 && ctx.Err() == nil {
			t := ready[0]
			ready = ready[1:]
			st, err, vals := L.Resume(t.th, t.fn, t.resume...)
			t.resume = nil
			switch {
			case st == glua.ResumeError:
				t.err = resumeErrorText(err)
				finish(t)
			case t.pending != nil:
				// The coroutine yielded for Go work. When the function called
				// the Go function in tail position (return n.start(x)), gopher-lua
				// has already ended the coroutine (ResumeOK): the work's results
				// are then the function's results.
				c := t.pending
				t.pending, t.tail = nil, st == glua.ResumeOK
				inflight++
				go func() {
					completions <- struct {
						t *task
						c *goCall
						o outcome
					}{t, c, safeRun(ctx, c.run)}
				}()
			case st == glua.ResumeOK:
				t.vals = vals
				finish(t)
			default:
				// A plain coroutine.yield: let the others run first.
				ready = append(ready, t)
			}
		}
		if ctx.Err() != nil {
			abort()
		}
		if finished == n {
			break
		}
		if inflight == 0 {
			if next < n || len(ready) > 0 {
				continue
			}
			// Unreachable: a task that is neither ready, waiting nor done.
			panic(fmt.Sprintf("lua scheduler: %d tasks stuck", n-finished))
		}
		select {
		case c := <-completions:
			inflight--
			vals := c.c.push(c.o.v, c.o.err)
			if c.t.tail {
				c.t.vals = vals
				finish(c.t)
				continue
			}
			c.t.resume = vals
			ready = append(ready, c.t)
		case r := <-s.hookReqs:
			s.serveHook(L, r)
		case <-ctx.Done():
			abort()
		}
	}
	return tasks
}

// resumeErrorText is the message a coroutine raised.
func resumeErrorText(err error) string {
	if api, ok := err.(*glua.ApiError); ok {
		return errorText(api.Object)
	}
	return err.Error()
}
