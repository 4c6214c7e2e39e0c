package lua

import (
	"context"
	"sort"
	"sync"

	"github.com/nixcsh/nixcsh/core"
	"github.com/nixcsh/nixcsh/core/fault"
	glua "github.com/yuin/gopher-lua"
)

// luaHooks are the functions registered with n.on, delivered as a core.Hooks.
// Fire may be called from any goroutine; the functions run on the Session's
// actor, which alone may touch the Lua state.
type luaHooks struct {
	s   *Session
	mu  sync.Mutex
	fns map[string][]*glua.LFunction // event -> functions, in registration order
}

// hookReq is one event for the actor to deliver.
type hookReq struct {
	ctx   context.Context
	ev    core.Event
	reply chan error
}

func (h *luaHooks) add(event string, fn *glua.LFunction) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.fns[event] = append(h.fns[event], fn)
}

func (h *luaHooks) get(event string) []*glua.LFunction {
	h.mu.Lock()
	defer h.mu.Unlock()
	return append([]*glua.LFunction(nil), h.fns[event]...)
}

// Fire delivers ev to the Lua functions registered for it. A pre-event
// function that returns false, "reason" (or raises) vetoes the verb.
func (h *luaHooks) Fire(ctx context.Context, ev core.Event) error {
	if len(h.get(ev.Name)) == 0 {
		return nil
	}
	r := &hookReq{ctx: ctx, ev: ev, reply: make(chan error, 1)}
	select {
	case h.s.hookReqs <- r:
	case <-h.s.quit:
		return nil
	case <-ctx.Done():
		return &fault.Error{Kind: fault.Failed, Msg: "interrupted", Err: ctx.Err()}
	}
	select {
	case err := <-r.reply:
		return err
	case <-ctx.Done():
		return &fault.Error{Kind: fault.Failed, Msg: "interrupted", Err: ctx.Err()}
	}
}

// serveHook runs the functions for r.ev on L (the actor's running thread)
// and replies with the veto or the post-event errors.
func (s *Session) serveHook(L *glua.LState, r *hookReq) {
	if L.Context() == nil {
		L.SetContext(r.ctx)
		defer L.RemoveContext()
	}
	pre := core.IsPre(r.ev.Name)
	evt := L.CreateTable(0, 3)
	evt.RawSetString("event", glua.LString(r.ev.Name))
	evt.RawSetString("container", glua.LString(r.ev.Container))
	attrs := L.CreateTable(0, len(r.ev.Attrs))
	keys := make([]string, 0, len(r.ev.Attrs))
	for k := range r.ev.Attrs {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		attrs.RawSetString(k, glua.LString(r.ev.Attrs[k]))
	}
	evt.RawSetString("attrs", attrs)
	var warnings []string
	for _, fn := range s.hooks.get(r.ev.Name) {
		top := L.GetTop()
		err := L.CallByParam(glua.P{Fn: fn, NRet: 2, Protect: true}, evt)
		if err != nil {
			L.SetTop(top)
			msg := resumeErrorText(err)
			if pre {
				r.reply <- fault.Errorf(fault.Vetoed, "lua hook: %s", msg)
				return
			}
			warnings = append(warnings, msg)
			continue
		}
		ok, reason := L.Get(-2), L.Get(-1)
		L.SetTop(top)
		refused := ok == glua.LFalse || (ok == glua.LNil && reason.Type() == glua.LTString)
		if !refused {
			continue
		}
		why := "no reason given"
		if reason != glua.LNil {
			why = reason.String()
		}
		if pre {
			r.reply <- fault.Errorf(fault.Vetoed, "lua hook: %s", why)
			return
		}
		warnings = append(warnings, why)
	}
	if len(warnings) > 0 {
		msg := "lua hook: " + warnings[0]
		for _, w := range warnings[1:] {
			msg += "; " + w
		}
		r.reply <- fault.Errorf(fault.Failed, "%s", msg)
		return
	}
	r.reply <- nil
}
