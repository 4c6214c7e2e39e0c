package lua

import (
	"context"
	"fmt"
	"net"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/nixcsh/nixcsh/core"
	"github.com/nixcsh/nixcsh/core/fault"
	glua "github.com/yuin/gopher-lua"
)

// okOrNil is the Lua result of work that returns no value: true, or nil and
// the message.
func okOrNil(_ any, err error) []glua.LValue {
	if err != nil {
		return []glua.LValue{glua.LNil, glua.LString(err.Error())}
	}
	return []glua.LValue{glua.LTrue}
}

func checkNumber(L *glua.LState, fname string, pos int, what string, def float64, optional bool) float64 {
	switch v := L.Get(pos).(type) {
	case glua.LNumber:
		return float64(v)
	case glua.LString:
		if f, err := strconv.ParseFloat(string(v), 64); err == nil {
			return f
		}
	case *glua.LNilType:
		if optional {
			return def
		}
		raise(L, fname, "argument #%d '%s' is missing", pos, what)
	}
	raise(L, fname, "argument #%d '%s' must be a number, got %s", pos, what, L.Get(pos).Type())
	return 0
}

func checkString(L *glua.LState, fname string, pos int, what string) string {
	v, ok := L.Get(pos).(glua.LString)
	if !ok {
		if L.Get(pos) == glua.LNil {
			raise(L, fname, "argument #%d '%s' is missing", pos, what)
		}
		raise(L, fname, "argument #%d '%s' must be a string, got %s", pos, what, L.Get(pos).Type())
	}
	return string(v)
}

func seconds(f float64) time.Duration { return time.Duration(f * float64(time.Second)) }

// luaWaitPort is n.wait_port(name, port [, timeout_s]): connect to the
// container's address (or to name, when it is an IP address) until the port
// answers or the timeout (default 30 s) passes. A container's port counts
// only while the container is up: its address has no route of its own while
// it is down, and a host whose default route leads to a proxy that accepts
// any connection would otherwise answer for it. Waiting on a container that
// is still starting (in another n.parallel branch) is fine.
func (s *Session) luaWaitPort(L *glua.LState) int {
	const fname = "nixcsh.wait_port"
	name := checkString(L, fname, 1, "name")
	port := checkNumber(L, fname, 2, "port", 0, false)
	if port < 1 || port > 65535 || port != float64(int(port)) {
		raise(L, fname, "argument #2 'port' must be a port number 1-65535, got %v", port)
	}
	timeout := checkNumber(L, fname, 3, "timeout_s", 30, true)
	if timeout < 0 {
		raise(L, fname, "argument #3 'timeout_s' must not be negative")
	}
	return s.do(L, goCall{
		run: func(ctx context.Context) (any, error) {
			host, what := name, name
			var up func(context.Context) error
			if net.ParseIP(name) == nil {
				m, err := s.manager()
				if err != nil {
					return nil, err
				}
				if host, err = m.ShowIP(ctx, name); err != nil {
					return nil, err
				}
				what = fmt.Sprintf("container '%s' (%s)", name, host)
				up = func(ctx context.Context) error {
					st, err := m.Status(ctx, name)
					if err == nil && st != "up" {
						err = fault.Errorf(fault.Failed, "container '%s' is not running", name)
					}
					return err
				}
			}
			return nil, waitPort(ctx, host, int(port), seconds(timeout), what, up)
		},
		push: okOrNil,
	})
}

// waitPort dials host:port until it accepts a connection or timeout passes.
// up, when set, must say yes before each dial counts (see luaWaitPort).
func waitPort(ctx context.Context, host string, port int, timeout time.Duration, what string, up func(context.Context) error) error {
	addr := net.JoinHostPort(host, strconv.Itoa(port))
	deadline := time.Now().Add(timeout)
	var last error
	for {
		left := time.Until(deadline)
		try := min(max(left, 50*time.Millisecond), time.Second)
		d := net.Dialer{Timeout: try}
		var err error
		if up != nil {
			err = up(ctx)
		}
		if err == nil {
			var conn net.Conn
			if conn, err = d.DialContext(ctx, "tcp", addr); err == nil {
				conn.Close()
				if up == nil {
					return nil
				}
				// Still up after the answer: it was the container's.
				if err = up(ctx); err == nil {
					return nil
				}
			}
		}
		if ctx.Err() != nil {
			return ctx.Err()
		}
		if fault.KindOf(err) == fault.NotFound { // destroyed meanwhile
			return err
		}
		last = err
		if time.Now().After(deadline) {
			return fault.Errorf(fault.Failed, "port %d of %s did not answer within %v: %v", port, what, timeout, last)
		}
		t := time.NewTimer(min(200*time.Millisecond, max(time.Until(deadline), 0)))
		select {
		case <-ctx.Done():
			t.Stop()
			return ctx.Err()
		case <-t.C:
		}
	}
}

// luaSleep is n.sleep(s): wait, or stop the script when it is interrupted.
// Inside n.parallel/n.each only the sleeping function waits.
func (s *Session) luaSleep(L *glua.LState) int {
	const fname = "nixcsh.sleep"
	d := checkNumber(L, fname, 1, "seconds", 0, false)
	if d < 0 {
		raise(L, fname, "argument #1 'seconds' must not be negative")
	}
	return s.do(L, goCall{
		run: func(ctx context.Context) (any, error) {
			t := time.NewTimer(seconds(d))
			defer t.Stop()
			select {
			case <-ctx.Done():
				return nil, ctx.Err()
			case <-t.C:
				return nil, nil
			}
		},
		push: func(any, error) []glua.LValue { return nil },
	})
}

// luaLog is n.log(...): the values, tab-separated, on stderr after a
// timestamp.
func (s *Session) luaLog(L *glua.LState) int {
	parts := make([]string, L.GetTop())
	for i := range parts {
		parts[i] = tostring(L, L.Get(i+1))
	}
	fmt.Fprintf(s.stderr, "%s %s\n", time.Now().Format("2006-01-02 15:04:05"), strings.Join(parts, "\t"))
	return 0
}

// luaOn is n.on(event, fn): fn(ev) runs on every lifecycle event of that
// name, ev = {event=, container=, attrs={...}}. A pre-* function may return
// false, "reason" to refuse the verb.
func (s *Session) luaOn(L *glua.LState) int {
	const fname = "nixcsh.on"
	event := checkString(L, fname, 1, "event")
	if !slices.Contains(core.Events, event) {
		raise(L, fname, "argument #1 'event': unknown event '%s' (events: %s)", event, strings.Join(core.Events, ", "))
	}
	fn, ok := L.Get(2).(*glua.LFunction)
	if !ok {
		raise(L, fname, "argument #2 'fn' must be a function, got %s", L.Get(2).Type())
	}
	s.hooks.add(event, fn)
	return 0
}

// luaParallel is n.parallel(f1, f2, ...) (or n.parallel({f1, f2, ...})):
// runs the functions concurrently (see schedule) and returns their first
// results in order; if any raised or returned nil, message it returns nil,
// a summary and a table index -> message.
func (s *Session) luaParallel(L *glua.LState) int {
	const fname = "nixcsh.parallel"
	var fns []*glua.LFunction
	if t, ok := L.Get(1).(*glua.LTable); ok && L.GetTop() == 1 {
		for i := 1; i <= t.Len(); i++ {
			fn, ok := t.RawGetInt(i).(*glua.LFunction)
			if !ok {
				raise(L, fname, "element %d of argument #1 must be a function, got %s", i, t.RawGetInt(i).Type())
			}
			fns = append(fns, fn)
		}
	} else {
		for i := 1; i <= L.GetTop(); i++ {
			fn, ok := L.Get(i).(*glua.LFunction)
			if !ok {
				raise(L, fname, "argument #%d must be a function, got %s", i, L.Get(i).Type())
			}
			fns = append(fns, fn)
		}
	}
	tasks := s.schedule(L, fns, make([][]glua.LValue, len(fns)), 0)
	keys := make([]glua.LValue, len(tasks))
	for i := range keys {
		keys[i] = glua.LNumber(i + 1)
	}
	return collect(L, keys, tasks)
}

// luaEach is n.each(list, fn [, {parallel = N}]): fn(item, i) for every
// item, at most N at a time (default: all at once). Results and errors are
// keyed by item.
func (s *Session) luaEach(L *glua.LState) int {
	const fname = "nixcsh.each"
	list, ok := L.Get(1).(*glua.LTable)
	if !ok {
		raise(L, fname, "argument #1 'list' must be a table, got %s", L.Get(1).Type())
	}
	fn, ok := L.Get(2).(*glua.LFunction)
	if !ok {
		raise(L, fname, "argument #2 'fn' must be a function, got %s", L.Get(2).Type())
	}
	limit := 0
	switch o := L.Get(3).(type) {
	case *glua.LNilType:
	case *glua.LTable:
		o.ForEach(func(k, v glua.LValue) {
			if k.String() != "parallel" {
				raise(L, fname, "unknown option '%s' in argument #3 (options: parallel)", k.String())
			}
			n, ok := v.(glua.LNumber)
			if !ok || n < 1 || float64(n) != float64(int(n)) {
				raise(L, fname, "option 'parallel' must be a whole number >= 1, got %s", v.String())
			}
			limit = int(n)
		})
	default:
		raise(L, fname, "argument #3 'options' must be a table, got %s", o.Type())
	}
	n := list.Len()
	fns := make([]*glua.LFunction, n)
	args := make([][]glua.LValue, n)
	keys := make([]glua.LValue, n)
	for i := 1; i <= n; i++ {
		item := list.RawGetInt(i)
		fns[i-1], args[i-1], keys[i-1] = fn, []glua.LValue{item, glua.LNumber(i)}, item
	}
	return collect(L, keys, s.schedule(L, fns, args, limit))
}

// collect pushes the outcome of scheduled functions: a table key -> first
// result, or nil, a summary and a table key -> message when any failed.
func collect(L *glua.LState, keys []glua.LValue, tasks []*task) int {
	results, errs := L.NewTable(), L.NewTable()
	var msgs []string
	for i, t := range tasks {
		msg := t.err
		if msg == "" && len(t.vals) >= 2 && t.vals[0] == glua.LNil && t.vals[1].Type() == glua.LTString {
			msg = t.vals[1].String()
		}
		if msg != "" {
			L.SetTable(errs, keys[i], glua.LString(msg))
			msgs = append(msgs, keys[i].String()+": "+msg)
			continue
		}
		if len(t.vals) > 0 && t.vals[0] != glua.LNil {
			L.SetTable(results, keys[i], t.vals[0])
		}
	}
	if len(msgs) > 0 {
		L.Push(glua.LNil)
		L.Push(glua.LString(fmt.Sprintf("%d of %d failed: %s", len(msgs), len(tasks), strings.Join(msgs, "; "))))
		L.Push(errs)
		return 3
	}
	L.Push(results)
	return 1
}

// envTable is n.env: the environment as a table; names missing from the
// listing still resolve through Getenv.
func (s *Session) envTable(L *glua.LState) *glua.LTable {
	env := L.NewTable()
	for _, kv := range s.opts.Environ {
		if k, v, ok := strings.Cut(kv, "="); ok && k != "" {
			env.RawSetString(k, glua.LString(v))
		}
	}
	mt := L.NewTable()
	getenv := s.opts.Getenv
	mt.RawSetString("__index", L.NewFunction(func(L *glua.LState) int {
		if k, ok := L.Get(2).(glua.LString); ok {
			if v := getenv(string(k)); v != "" {
				L.Push(glua.LString(v))
				return 1
			}
		}
		L.Push(glua.LNil)
		return 1
	}))
	L.SetMetatable(env, mt)
	return env
}
