package nix

import (
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"
)

// env is a runtime scope: the values of one static scope, or a `with`.
//
// Variables are not looked up by name at run time: bind (bind.go) has
// already turned each one into (level, idx), how many envs to go up and
// which slot to read, because the static scopes that bind walks and the
// envs built here nest alike. A lambda's env holds its @-name (if any)
// then its formals in order; a rec set's or let's holds its bindings in
// order; a `with` env holds no slots, only the set in with (forced on the
// first lookup that reaches it), since its names are known only at run time.
type env struct {
	up   *env
	vals []Value
	with Value
}

// env1 is an env of one value allocated with its slot: the environment of
// a plain lambda's call, the commonest, in one allocation instead of two.
type env1 struct {
	env
	slot [1]Value
}

func newEnv1(up *env, v Value) *env {
	e := &env1{}
	e.up, e.slot[0] = up, v
	e.vals = e.slot[:]
	return &e.env
}

// frame is one entry of the evaluation trace; its text is built only when
// an error is reported.
//
// Frames are pushed and popped by hand on ev.stack around the work they
// describe, not with defer: an error is a panic, so the frames of
// everything it unwinds are still on the stack when mkErr copies them
// (that copy is the trace, innermost last), and guard cuts the stack back
// afterwards. A frame holds its position and a kind rather than text, so
// that the common path, where nothing fails, formats no strings.
type frame struct {
	pos  Pos
	kind frameKind
	name string
	idx  int
	val  Value // frameValue: printed after name when reported
}

type frameKind uint8

const (
	frameText frameKind = iota
	frameCallSite
	frameBuiltin
	frameLambda
	frameAttr
	frameListElem
	frameValue
)

func (ev *Evaluator) pushCtx(pos Pos, text string) {
	ev.stack = append(ev.stack, frame{pos: pos, kind: frameText, name: text})
}

func (ev *Evaluator) popCtx() { ev.stack = ev.stack[:len(ev.stack)-1] }

// funcPos is where a function value was defined (for traces of calls made
// by builtins), or fallback.
func (ev *Evaluator) funcPos(f Value, fallback Pos) Pos {
	if t, ok := f.(*thunk); ok && t.state == 2 {
		f = t.val
	}
	if l, ok := f.(*lambdaVal); ok {
		return l.fn.pos
	}
	return fallback
}

func (f frame) text() string {
	switch f.kind {
	case frameCallSite:
		return "from call site"
	case frameBuiltin:
		return "while calling the '" + f.name + "' builtin"
	case frameLambda:
		if f.name == "" {
			return "while calling anonymous lambda"
		}
		return "while calling '" + f.name + "'"
	case frameAttr:
		return "while evaluating the attribute '" + f.name + "'"
	case frameValue:
		return f.name + printLimited(f.val)
	case frameListElem:
		return "while evaluating list element at index " + strconv.Itoa(f.idx)
	}
	return f.name
}

// Evaluator evaluates Nix expressions. Not safe for concurrent use.
type Evaluator struct {
	opts       Options
	base       *env
	baseScope  *scope
	builtins   *attrsVal
	depth      int
	maxDepth   int
	forceDepth int
	stack      []frame
	imports    map[string]Value
	searchPath []searchEntry
	lintURL    string
	lintShort  string
	lintAbs    string
	home       string
	steps      int64
	maxSteps   int64
	regexCache map[string]*ere
	maxStrLen  int
	maxListLen int
	sources    map[string]string // text of «stdin» and «string» sources, for excerpts
	curPrim    *primop           // the builtin running, for argument error context
	curArgs    []Value
	warnOut    io.Writer
	store      *storeState // paths "added" to the store (store.go)
}

type searchEntry struct{ prefix, path string }

// maxForceDepth bounds nested forcing (chains of thunks waiting on each
// other). Each level costs a few KB of Go stack, so this keeps a runaway
// chain to a couple of hundred MB and turns it into an error instead of a
// fatal Go stack overflow.
const maxForceDepth = 50000

// NewEvaluator returns an evaluator with the global scope of Nix.
func NewEvaluator(opts Options) *Evaluator {
	ev := &Evaluator{opts: opts, imports: map[string]Value{}, sources: map[string]string{}}
	ev.maxDepth = opts.MaxCallDepth
	ev.maxSteps = opts.MaxSteps
	ev.maxStrLen, ev.maxListLen = 1<<27, 1<<23 // 128 MiB strings, 8M-element lists
	if ev.maxDepth <= 0 {
		ev.maxDepth = 10000
	}
	if ev.opts.Getenv == nil {
		ev.opts.Getenv = func(string) string { return "" }
	}
	if ev.opts.Trace == nil {
		ev.opts.Trace = io.Discard
	}
	ev.home = ev.opts.Getenv("HOME")
	for _, s := range opts.SearchPath {
		ev.addSearchPath(s)
	}
	ev.initBuiltins()
	return ev
}

func (ev *Evaluator) addSearchPath(s string) {
	if s == "" {
		return
	}
	if i := strings.IndexByte(s, '='); i >= 0 {
		ev.searchPath = append(ev.searchPath, searchEntry{s[:i], s[i+1:]})
	} else {
		ev.searchPath = append(ev.searchPath, searchEntry{"", s})
	}
}

// --- errors ---

func (ev *Evaluator) mkErr(pos Pos, msg string) *EvalError {
	e := &EvalError{Pos: pos, Msg: msg}
	st := ev.stack
	if len(st) > 2*keptFrames {
		// keep both ends of a very deep stack; the middle is repetition
		e.frames = append(append(make([]frame, 0, 2*keptFrames), st[:keptFrames]...), st[len(st)-keptFrames:]...)
		e.elided = len(st) - 2*keptFrames
		e.elidedAt = keptFrames
	} else {
		e.frames = append([]frame(nil), st...)
	}
	tr := e.frames
	if len(tr) > 100 {
		tr = tr[len(tr)-100:]
	}
	for _, f := range tr {
		e.Trace = append(e.Trace, f.text()+" at "+f.pos.String())
	}
	return e
}

// keptFrames is how many of the outermost and of the innermost frames an
// error keeps when the stack is deeper than twice that.
const keptFrames = 1000

// throwHint is throwf with a "Did you mean" hint.
func (ev *Evaluator) throwHint(pos Pos, hint string, format string, args ...any) {
	e := ev.mkErr(pos, fmt.Sprintf(format, args...))
	e.hint = hint
	panic(e)
}

func (ev *Evaluator) throwf(pos Pos, format string, args ...any) {
	panic(ev.mkErr(pos, fmt.Sprintf(format, args...)))
}

// step counts a unit of work against Options.MaxSteps.
func (ev *Evaluator) step(pos Pos) {
	ev.steps++
	if ev.maxSteps > 0 && ev.steps > ev.maxSteps {
		ev.throwf(pos, "evaluation aborted: step budget of %d exceeded", ev.maxSteps)
	}
}

// checkLen refuses strings and lists beyond the evaluator's size limits,
// so that runaway expressions end in an error rather than exhausting memory.
func (ev *Evaluator) checkStrLen(n int, pos Pos) {
	if n > ev.maxStrLen {
		ev.throwf(pos, "string of %d bytes exceeds the limit of %d bytes", n, ev.maxStrLen)
	}
}

func (ev *Evaluator) checkListLen(n int, pos Pos) {
	if n > ev.maxListLen {
		ev.throwf(pos, "list of %d elements exceeds the limit of %d elements", n, ev.maxListLen)
	}
}

// catchable errors: throw and assertion failures can be caught by tryEval
type thrownError struct{ *EvalError }

// --- forcing ---

// force evaluates v to weak head normal form: a thunk is evaluated once and
// updated in place, so every holder of it shares the result (laziness).
//
// While a thunk runs it is blackholed (state 1): forcing it again from
// inside its own evaluation can only loop, so that is reported at once as
// "infinite recursion encountered", as Nix does, instead of recursing until
// the stack runs out. If its evaluation throws, the deferred reset returns
// it to pending (state 0) rather than leaving it blackholed: the error may
// be caught (tryEval, or the module system reading another option) and a
// later force must evaluate it again and meet the same error, not a false
// infinite recursion.
func (ev *Evaluator) force(v Value) Value {
	t, ok := v.(*thunk)
	if !ok {
		return v
	}
	switch t.state {
	case 2:
		return t.val
	case 1:
		var p Pos
		if t.expr != nil {
			p = t.expr.P()
		}
		ev.throwf(p, "infinite recursion encountered")
	}
	ev.forceDepth++
	if ev.forceDepth > maxForceDepth {
		var p Pos
		if t.expr != nil {
			p = t.expr.P()
		}
		ev.throwf(p, "stack overflow (possible infinite recursion)")
	}
	t.state = 1
	defer func() {
		if t.state == 1 {
			t.state = 0
		}
	}()
	var r Value
	if t.fn != nil {
		x, err := t.fn()
		if err != nil {
			ee := asEvalError(err)
			if ee.catchable {
				panic(thrownError{ee})
			}
			panic(ee)
		}
		r = ev.force(x)
	} else {
		r = t.expr.eval(ev, t.env)
	}
	ev.forceDepth--
	// Dropping expr, env and fn lets the collector free the scope the thunk
	// closed over once its value is known.
	t.val, t.state, t.expr, t.env, t.fn = r, 2, nil, nil, nil
	return r
}

func asEvalError(err error) *EvalError {
	if e, ok := err.(*EvalError); ok {
		return e
	}
	return &EvalError{Msg: err.Error()}
}

// mkThunk delays e in en, avoiding a thunk where evaluation is trivial: a
// constant or a lambda is already a value, and a bound variable is the
// value (or thunk) in its slot. A slot is still nil while a rec set or let
// is being built (bindings see each other's slots before all are filled),
// and then a thunk reads it later.
func mkThunk(e Expr, en *env) Value {
	switch x := e.(type) {
	case *ExprConst:
		return x.v
	case *ExprVar:
		if !x.fromWith {
			s := en
			for i := x.level; i > 0; i-- {
				s = s.up
			}
			if v := s.vals[x.idx]; v != nil {
				return v
			}
		}
	case *Lambda:
		return &lambdaVal{x, en}
	}
	return &thunk{expr: e, env: en}
}

// forceAs forces v and asserts its type, or throws "expected WANT but
// found ..." with the unforced v, so that the trace can say which argument
// of the builtin being run it is.
func forceAs[T Value](ev *Evaluator, v Value, pos Pos, want string) T {
	f := ev.force(v)
	t, ok := f.(T)
	if !ok {
		ev.typeErrOf(v, f, want, pos)
	}
	return t
}

func (ev *Evaluator) forceAttrs(v Value, pos Pos, ctx string) *attrsVal {
	return forceAs[*attrsVal](ev, v, pos, "a set")
}

func (ev *Evaluator) typeErr(v Value, want string, pos Pos, ctx string) {
	ev.typeErrOf(v, v, want, pos)
}

var ordinals = []string{"first", "second", "third", "fourth"}

// typeErrOf reports that v (forced from orig) is not of the wanted type;
// when orig is an argument of the builtin being run, the trace says which.
func (ev *Evaluator) typeErrOf(orig, v Value, want string, pos Pos) {
	ev.argContext(orig)
	ev.throwf(pos, "expected %s but found %s: %s", want, showType(v), ev.showShort(v))
}

// argDescriptions are the argument wordings Nix uses for some builtins.
var argDescriptions = map[string][]string{
	"substring":        {"first argument (the start offset) passed to builtins.substring", "second argument (the substring length) passed to builtins.substring", "third argument (the string) passed to builtins.substring"},
	"concatStringsSep": {"first argument passed to builtins.concatStringsSep", "second argument (the list of strings to concat) passed to builtins.concatStringsSep"},
	"div":              {"first operand of the division", "second operand of the division"},
	"sub":              {"first argument of the subtraction", "second argument of the subtraction"},
	"mul":              {"first argument of the multiplication", "second argument of the multiplication"},
	"foldl'":           {"first argument passed to builtins.foldlStrict", "second argument passed to builtins.foldlStrict", "third argument passed to builtins.foldlStrict"},
	"head":             {"first argument passed to 'builtins.head'"},
}

// argContext adds "while evaluating the Nth argument passed to builtins.X"
// when v is an argument of the builtin being run.
func (ev *Evaluator) argContext(v Value) {
	if ev.curPrim == nil {
		return
	}
	for i, a := range ev.curArgs {
		if a == v && i < len(ordinals) {
			desc := ordinals[i] + " argument passed to builtins." + ev.curPrim.name
			if d, ok := argDescriptions[ev.curPrim.name]; ok && i < len(d) {
				desc = d[i]
			}
			ev.stack = append(ev.stack, frame{kind: frameText, name: "while evaluating the " + desc})
			return
		}
	}
}

func (ev *Evaluator) showShort(v Value) string {
	return printLimited(v)
}

func (ev *Evaluator) forceList(v Value, pos Pos) *listVal {
	return forceAs[*listVal](ev, v, pos, "a list")
}

// forceListCtx is forceList whose type error is reported as Nix does for
// operators: a context frame at pos, then the bare message.
func (ev *Evaluator) forceListCtx(v Value, pos Pos, ctx string) *listVal {
	v = ev.force(v)
	l, ok := v.(*listVal)
	if !ok {
		ev.stack = append(ev.stack, frame{pos: pos, kind: frameText, name: ctx})
		ev.throwf(Pos{}, "expected a list but found %s: %s", showType(v), ev.showShort(v))
	}
	return l
}

func (ev *Evaluator) forceInt(v Value, pos Pos) int64 {
	return int64(forceAs[intVal](ev, v, pos, "an integer"))
}

func (ev *Evaluator) forceBool(v Value, pos Pos) bool {
	return bool(forceAs[boolVal](ev, v, pos, "a Boolean"))
}

func (ev *Evaluator) forceFloat(v Value, pos Pos) float64 {
	orig := v
	v = ev.force(v)
	switch x := v.(type) {
	case intVal:
		return float64(x)
	case floatVal:
		return float64(x)
	}
	ev.typeErrOf(orig, v, "a float", pos)
	return 0
}

func (ev *Evaluator) forceStr(v Value, pos Pos) *strVal {
	return forceAs[*strVal](ev, v, pos, "a string")
}

// forceStringNoCtx forces a string (paths are not accepted).
func (ev *Evaluator) forceString(v Value, pos Pos) string { return ev.forceStr(v, pos).s }

func (ev *Evaluator) forceFunction(v Value, pos Pos) Value {
	orig := v
	v = ev.force(v)
	switch x := v.(type) {
	case *lambdaVal, *primop, *primopApp:
		return v
	case *attrsVal:
		if _, ok := x.m["__functor"]; ok {
			return v
		}
	}
	ev.typeErrOf(orig, v, "a function", pos)
	return nil
}

// --- expressions ---

func (x *ExprConst) eval(ev *Evaluator, en *env) Value { return x.v }

// eval of a variable: bound ones read their slot. One that no enclosing
// let, rec or lambda binds comes from a `with`, searched from the innermost
// outwards (Nix's rule: lexical bindings always win over `with`, and an
// inner `with` over an outer one); x.level is the innermost `with`'s level.
func (x *ExprVar) eval(ev *Evaluator, en *env) Value {
	if !x.fromWith {
		s := en
		for i := x.level; i > 0; i-- {
			s = s.up
		}
		return ev.force(s.vals[x.idx])
	}
	s := en
	for i := x.level; i > 0; i-- {
		s = s.up
	}
	withs := s
	for ; s != nil; s = s.up {
		if s.with != nil {
			a := ev.forceAttrs(s.with, x.pos, "")
			if at, ok := a.m[x.name]; ok {
				return ev.force(at.v)
			}
		}
	}
	for s = withs; s != nil; s = s.up {
		if s.with == nil {
			continue
		}
		if a := ev.forceAttrs(s.with, x.pos, ""); a.explain != nil {
			if msg, known := a.explain(x.name); known && msg != "" {
				ev.throwf(x.pos, "%s", msg)
			}
		}
	}
	ev.throwf(x.pos, "undefined variable '%s'", x.name)
	return nil
}

func (ev *Evaluator) attrName(n AttrName, en *env) (string, bool) {
	if n.expr == nil {
		return n.name, true
	}
	v := n.expr.eval(ev, en)
	switch s := v.(type) {
	case *strVal:
		return s.s, true
	case nullVal:
		return "", false
	}
	ev.typeErr(v, "a string", n.expr.P(), "")
	return "", false
}

// eval of a.b.c (or d): each step forces the set it selects from; a
// missing name or a value that is not a set anywhere along the path gives
// the `or` default if there is one. Only forcing the last attribute, and
// only when it is still a thunk, is traced as "while evaluating the
// attribute 'a.b.c'" at the attribute's definition: that is where Nix's
// trace of an error inside it points, and it costs nothing on the path
// where the value is already known.
func (x *ExprSelect) eval(ev *Evaluator, en *env) Value {
	v := x.e.eval(ev, en)
	for i, n := range x.path {
		var name string
		if n.expr == nil {
			name = n.name
		} else {
			nv := n.expr.eval(ev, en)
			s, ok := nv.(*strVal)
			if !ok {
				ev.stack = append(ev.stack, frame{pos: x.pos, kind: frameAttr, name: x.showPath()},
					frame{pos: n.expr.P(), kind: frameText, name: "while evaluating an attribute name"})
				ev.throwf(n.expr.P(), "expected a string but found %s: %s", showType(nv), ev.showShort(nv))
			}
			name = s.s
		}
		a, ok := v.(*attrsVal)
		if !ok {
			if x.def != nil {
				return x.def.eval(ev, en)
			}
			ev.throwf(x.pos, "expected a set but found %s: %s", showType(v), ev.showShort(v))
		}
		at, ok := a.m[name]
		if !ok {
			if x.def != nil {
				return x.def.eval(ev, en)
			}
			msg, known := a.missingMsg(name)
			if known {
				ev.throwf(x.pos, "%s", msg)
			}
			ev.throwHint(x.pos, suggest(name, a.names()), "%s", msg)
		}
		if i == len(x.path)-1 {
			if t, isThunk := at.v.(*thunk); isThunk && t.state != 2 {
				ev.stack = append(ev.stack, frame{pos: at.pos, kind: frameAttr, name: x.showPath()})
				v = ev.force(at.v)
				ev.stack = ev.stack[:len(ev.stack)-1]
				continue
			}
		}
		v = ev.force(at.v)
	}
	return v
}

// showPath is the selected path as traces show it, computed once.
func (x *ExprSelect) showPath() string {
	if p := x.pathStr.Load(); p != nil {
		return *p
	}
	var b strings.Builder
	showPath(&b, x.path)
	p := b.String()
	x.pathStr.Store(&p)
	return p
}

func (x *ExprHasAttr) eval(ev *Evaluator, en *env) Value {
	v := x.e.eval(ev, en)
	for i, n := range x.path {
		name, _ := ev.attrName(n, en)
		a, ok := v.(*attrsVal)
		if !ok {
			return falseV
		}
		at, ok := a.m[name]
		if !ok {
			return falseV
		}
		if i < len(x.path)-1 {
			v = ev.force(at.v)
		}
	}
	return trueV
}

func (x *ExprAttrs) eval(ev *Evaluator, en *env) Value {
	a := &attrsVal{m: make(map[string]attr, len(x.binds)+len(x.dyn))}
	// A rec set's bindings are thunks over an env holding those very
	// thunks, which is how they see each other; a plain set's are thunks
	// over the enclosing env. `inherit (e) a b` evaluates e once, in an env
	// of its own (inh) whose slots the selections of a and b read (bind
	// points them at it).
	inner := en
	if x.rec {
		inner = &env{up: en, vals: make([]Value, len(x.binds))}
	}
	inh := x.inheritEnv(inner)
	for i, b := range x.binds {
		v := b.thunk(en, inner, inh)
		if x.rec {
			inner.vals[i] = v
		}
		a.m[b.name] = attr{v, b.pos}
	}
	// __overrides (a legacy Nix feature) replaces bindings of a rec set
	// after the fact: the set's slots are updated too, so the other
	// bindings see the overriding values.
	if x.rec {
		if ov, ok := a.m["__overrides"]; ok {
			for k, v := range ev.forceAttrs(ov.v, x.pos, "").m {
				if i, ok := x.index[k]; ok {
					inner.vals[i] = v.v
				}
				a.m[k] = v
			}
		}
	}
	for _, d := range x.dyn {
		name, ok := ev.attrName(AttrName{expr: d.name}, inner)
		if !ok {
			continue
		}
		if old, dup := a.m[name]; dup {
			ev.throwf(d.pos, "dynamic attribute '%s' already defined at %s", name, old.pos)
		}
		a.m[name] = attr{mkThunk(d.value, inner), d.pos}
	}
	return a
}

func (x *ExprList) eval(ev *Evaluator, en *env) Value {
	if len(x.elems) == 0 {
		return &listVal{}
	}
	l := make([]Value, len(x.elems))
	for i, e := range x.elems {
		l[i] = mkThunk(e, en)
	}
	return &listVal{elems: l}
}

func (x *Lambda) eval(ev *Evaluator, en *env) Value { return &lambdaVal{x, en} }

func (x *ExprCall) eval(ev *Evaluator, en *env) Value {
	fn := x.fn.eval(ev, en)
	// The commonest call, a lambda applied to one argument, needs no slice
	// of arguments (it would escape to the heap through call).
	if l, ok := fn.(*lambdaVal); ok && len(x.args) == 1 {
		return ev.force(ev.callLambda(l.fn, l.env, mkThunk(x.args[0], en), x.pos))
	}
	args := make([]Value, len(x.args))
	for i, a := range x.args {
		args[i] = mkThunk(a, en)
	}
	return ev.call(fn, args, x.pos)
}

func (x *ExprLet) eval(ev *Evaluator, en *env) Value {
	a := x.attrs
	inner := &env{up: en, vals: make([]Value, len(a.binds))}
	inh := a.inheritEnv(inner)
	for i, b := range a.binds {
		inner.vals[i] = b.thunk(en, inner, inh)
	}
	return x.body.eval(ev, inner)
}

// inheritEnv is the env of the sources of `inherit (e) ...` in a set or
// let whose bindings live in inner (nil if there are none).
func (x *ExprAttrs) inheritEnv(inner *env) *env {
	if len(x.inheritFrom) == 0 {
		return nil
	}
	inh := &env{up: inner, vals: make([]Value, len(x.inheritFrom))}
	for i, e := range x.inheritFrom {
		inh.vals[i] = mkThunk(e, inner)
	}
	return inh
}

// thunk delays a binding of a set or let: in inh for `inherit (e) name`, in
// en (the env around the set) for `inherit name`, else in inner (en itself
// for a plain set).
func (b *Binding) thunk(en, inner, inh *env) Value {
	switch {
	case b.fromIdx >= 0:
		return mkThunk(b.value, inh)
	case b.inherited:
		return mkThunk(b.value, en)
	}
	return mkThunk(b.value, inner)
}

func (x *ExprWith) eval(ev *Evaluator, en *env) Value {
	return x.body.eval(ev, &env{up: en, with: mkThunk(x.attrs, en)})
}

func (x *ExprIf) eval(ev *Evaluator, en *env) Value {
	c := x.cond.eval(ev, en)
	b, ok := c.(boolVal)
	if !ok {
		ev.throwf(x.cond.P(), "expected a Boolean but found %s: %s", showType(c), ev.showShort(c))
	}
	if b {
		return x.then.eval(ev, en)
	}
	return x.els.eval(ev, en)
}

func (x *ExprAssert) eval(ev *Evaluator, en *env) Value {
	c := x.cond.eval(ev, en)
	b, ok := c.(boolVal)
	if !ok {
		ev.throwf(x.cond.P(), "expected a Boolean but found %s: %s", showType(c), ev.showShort(c))
	}
	if !b {
		if op, ok := x.cond.(*ExprBinOp); ok && op.op == opEq {
			l, r := op.l.eval(ev, en), op.r.eval(ev, en)
			ev.stack = append(ev.stack, frame{pos: x.pos, kind: frameText, name: "while evaluating the condition of the assertion '" + showExpr(x.cond) + "'"})
			ev.explainNotEqual(l, r, op.pos)
		}
		panic(thrownError{ev.mkErr(x.pos, fmt.Sprintf("assertion '%s' failed", showExpr(x.cond)))})
	}
	return x.body.eval(ev, en)
}

func (x *ExprNot) eval(ev *Evaluator, en *env) Value {
	ev.pushCtx(x.e.P(), "in the argument of '!'")
	v := x.e.eval(ev, en)
	ev.popCtx()
	return mkBool(!ev.forceBool(v, x.pos))
}

func (x *ExprNeg) eval(ev *Evaluator, en *env) Value {
	v := x.e.eval(ev, en)
	switch n := v.(type) {
	case intVal:
		if n == math.MinInt64 {
			ev.throwf(x.pos, "integer overflow in subtracting %d from 0", n)
		}
		return -n
	case floatVal:
		return 0 - n // Nix reads -x as 0 - x, so -0.0 is 0.0
	}
	ev.throwf(x.pos, "expected an integer but found %s: %s", showType(v), ev.showShort(v))
	return nil
}

func (x *ExprCurPos) eval(ev *Evaluator, en *env) Value { return posToAttrs(x.pos) }

func posToAttrs(p Pos) Value {
	a := newAttrs(3)
	a.set("file", mkStr(p.File), Pos{})
	a.set("line", intVal(p.Line), Pos{})
	a.set("column", intVal(p.Col), Pos{})
	return a
}

func (x *ExprBinOp) eval(ev *Evaluator, en *env) Value {
	switch x.op {
	case opAnd:
		if !ev.boolOperand(x.l, en, "in the left operand of '&&'") {
			return falseV
		}
		return mkBool(ev.boolOperand(x.r, en, "in the right operand of '&&'"))
	case opOr:
		if ev.boolOperand(x.l, en, "in the left operand of '||'") {
			return trueV
		}
		return mkBool(ev.boolOperand(x.r, en, "in the right operand of '||'"))
	case opImpl:
		if !ev.boolOperand(x.l, en, "in the left operand of '->'") {
			return trueV
		}
		return mkBool(ev.boolOperand(x.r, en, "in the right operand of '->'"))
	}
	l := x.l.eval(ev, en)
	r := x.r.eval(ev, en)
	switch x.op {
	case opEq:
		return mkBool(ev.eq(l, r, x.pos))
	case opNEq:
		return mkBool(!ev.eq(l, r, x.pos))
	case opUpdate:
		return ev.update(ev.forceAttrs(l, x.pos, ""), ev.forceAttrs(r, x.pos, ""))
	case opConcatLists:
		a, b := ev.forceListCtx(l, x.pos, "while evaluating one of the elements to concatenate"), ev.forceListCtx(r, x.pos, "while evaluating one of the elements to concatenate")
		if len(a.elems) == 0 {
			return b
		}
		if len(b.elems) == 0 {
			return a
		}
		ev.checkListLen(len(a.elems)+len(b.elems), x.pos)
		n := make([]Value, 0, len(a.elems)+len(b.elems))
		return &listVal{append(append(n, a.elems...), b.elems...)}
	}
	// these operators are calls of builtins in Nix, and traced as such
	ev.stack = append(ev.stack, frame{pos: x.pos, kind: frameBuiltin, name: opBuiltin[x.op]})
	var res Value
	switch x.op {
	case opSub, opMul, opDiv:
		res = ev.arith(x.op, l, r, x.pos)
	case opLt:
		res = mkBool(ev.lessThan(l, r, x.pos))
	case opGt:
		res = mkBool(ev.lessThan(r, l, x.pos))
	case opLe:
		res = mkBool(!ev.lessThan(r, l, x.pos))
	case opGe:
		res = mkBool(!ev.lessThan(l, r, x.pos))
	}
	ev.stack = ev.stack[:len(ev.stack)-1]
	if res != nil {
		return res
	}
	panic("unreachable")
}

var opBuiltin = map[binOp]string{opSub: "sub", opMul: "mul", opDiv: "div", opLt: "lessThan", opGt: "lessThan", opLe: "lessThan", opGe: "lessThan"}

func (ev *Evaluator) boolOperand(e Expr, en *env, ctx string) bool {
	v := e.eval(ev, en)
	b, ok := v.(boolVal)
	if !ok {
		ev.pushCtx(e.P(), ctx)
		ev.throwf(e.P(), "expected a Boolean but found %s: %s", showType(v), ev.showShort(v))
	}
	return bool(b)
}

func (ev *Evaluator) update(a, b *attrsVal) Value {
	if len(b.m) == 0 {
		return a
	}
	if len(a.m) == 0 {
		return b
	}
	n := &attrsVal{m: make(map[string]attr, len(a.m)+len(b.m))}
	for k, v := range a.m {
		n.m[k] = v
	}
	for k, v := range b.m {
		n.m[k] = v
	}
	return n
}

func (ev *Evaluator) arith(op binOp, l, r Value, pos Pos) Value {
	li, lInt := l.(intVal)
	ri, rInt := r.(intVal)
	if lInt && rInt {
		a, b := int64(li), int64(ri)
		switch op {
		case opSub:
			res := a - b
			if (b > 0 && res > a) || (b < 0 && res < a) {
				ev.throwf(pos, "integer overflow in subtracting %d - %d", a, b)
			}
			return intVal(res)
		case opMul:
			if a != 0 && b != 0 {
				res := a * b
				if res/b != a || (a == -1 && b == math.MinInt64) || (b == -1 && a == math.MinInt64) {
					ev.throwf(pos, "integer overflow in multiplying %d * %d", a, b)
				}
				return intVal(res)
			}
			return intVal(0)
		case opDiv:
			if b == 0 {
				ev.throwf(pos, "division by zero")
			}
			if a == math.MinInt64 && b == -1 {
				ev.throwf(pos, "integer overflow in dividing %d / %d", a, b)
			}
			return intVal(a / b)
		}
	}
	lf, lok := numAsFloat(l)
	rf, rok := numAsFloat(r)
	if !lok {
		ev.throwf(pos, "expected an integer but found %s: %s", showType(l), ev.showShort(l))
	}
	if !rok {
		ev.throwf(pos, "expected an integer but found %s: %s", showType(r), ev.showShort(r))
	}
	switch op {
	case opSub:
		return floatVal(lf - rf)
	case opMul:
		return floatVal(lf * rf)
	default:
		if rf == 0 {
			ev.throwf(pos, "division by zero")
		}
		return floatVal(lf / rf)
	}
}

func numAsFloat(v Value) (float64, bool) {
	switch x := v.(type) {
	case intVal:
		return float64(x), true
	case floatVal:
		return float64(x), true
	}
	return 0, false
}

func (ev *Evaluator) add(l, r Value, pos Pos) Value {
	li, lInt := l.(intVal)
	ri, rInt := r.(intVal)
	if lInt && rInt {
		a, b := int64(li), int64(ri)
		res := a + b
		if (b > 0 && res < a) || (b < 0 && res > a) {
			ev.throwf(pos, "integer overflow in adding %d + %d", a, b)
		}
		return intVal(res)
	}
	lf, lok := numAsFloat(l)
	rf, rok := numAsFloat(r)
	if lok && rok {
		return floatVal(lf + rf)
	}
	if lok {
		ev.throwf(pos, "cannot add %s to %s", showType(r), showType(l))
	}
	return nil
}

// eval of `l + r` (isPlus), of an interpolated path (./a/${b}) and of an
// interpolated string ("a${b}"). A path cannot carry string context, so a
// part that refers to a store path is refused in the first two; in a
// string, an interpolated path is coerced with copyToStore (it becomes the
// store path Nix would copy it to, with that context) and the contexts of
// all parts are merged into the result.
func (x *ExprConcat) eval(ev *Evaluator, en *env) Value {
	if x.isPlus {
		l := x.parts[0].eval(ev, en)
		r := x.parts[1].eval(ev, en)
		switch lv := l.(type) {
		case intVal, floatVal:
			return ev.add(l, r, x.parts[1].P())
		case pathVal:
			var s string
			var c strCtx
			switch rv := r.(type) {
			case pathVal:
				s = string(rv)
			default:
				s, c = ev.coerceCtx(r, x.pos, false, false)
			}
			if len(c) > 0 { // a path cannot depend on a store path
				ev.throwf(x.pos, "a string that refers to a store path cannot be appended to a path")
			}
			return pathVal(canonPath(string(lv) + s))
		}
		ls, lc := ev.coerceCtx(l, x.pos, false, true)
		rs, rc := ev.coerceCtx(r, x.pos, false, true)
		ev.checkStrLen(len(ls)+len(rs), x.pos)
		return mkStrCtx(ls+rs, mergeCtx(lc, rc))
	}
	var b strings.Builder
	var ctx strCtx
	if x.isPath {
		b.WriteString(string(x.parts[0].(*ExprConst).v.(pathVal)))
		for _, p := range x.parts[1:] {
			v := p.eval(ev, en)
			switch s := v.(type) {
			case pathVal:
				b.WriteString(string(s))
			default:
				str, c := ev.coerceCtx(v, p.P(), false, false)
				ctx = mergeCtx(ctx, c)
				b.WriteString(str)
			}
		}
		if len(ctx) > 0 { // a path cannot depend on a store path
			ev.throwf(x.pos, "a string that refers to a store path cannot be appended to a path")
		}
		return pathVal(canonPath(b.String()))
	}
	for i, p := range x.parts {
		v := p.eval(ev, en)
		if s, ok := v.(*strVal); ok {
			ev.checkStrLen(b.Len()+len(s.s), x.pos)
			b.WriteString(s.s)
			ctx = mergeCtx(ctx, s.context())
			continue
		}
		var s string
		var c strCtx
		if _, isPath := v.(pathVal); isPath {
			// copying a path to the store is not traced by Nix
			s, c = ev.coerceCtx(v, Pos{}, false, true)
		} else if i < len(x.partPos) && x.partPos[i].IsValid() {
			ev.pushCtx(x.partPos[i], "while evaluating a path segment")
			s, c = ev.coerceCtx(v, Pos{}, false, true)
			ev.popCtx()
		} else {
			s, c = ev.coerceCtx(v, p.P(), false, true)
		}
		b.WriteString(s)
		ctx = mergeCtx(ctx, c)
	}
	return mkStrCtx(b.String(), ctx)
}

// coerceToString converts v to a string as Nix's coerceToString does.
// coerceMore also accepts null, booleans, numbers and lists (toString).
func (ev *Evaluator) coerceToString(v Value, pos Pos, coerceMore, copyToStore bool) string {
	s, _ := ev.coerceCtx(v, pos, coerceMore, copyToStore)
	return s
}

// coerceCtx is coerceToString keeping the string context. With
// copyToStore a path becomes the store path Nix would copy it to.
func (ev *Evaluator) coerceCtx(v Value, pos Pos, coerceMore, copyToStore bool) (string, strCtx) {
	orig := v
	v = ev.force(v)
	switch x := v.(type) {
	case *strVal:
		return x.s, x.context()
	case pathVal:
		if copyToStore {
			return ev.pathAsString(string(x), pos)
		}
		return string(x), nil
	case *attrsVal:
		if f, ok := x.m["__toString"]; ok {
			r := ev.call(f.v, []Value{x}, pos)
			return ev.coerceCtx(r, pos, coerceMore, copyToStore)
		}
		if o, ok := x.m["outPath"]; ok {
			ev.pushCtx(o.pos, "while evaluating the `outPath` attribute")
			s, c := ev.coerceCtx(o.v, pos, coerceMore, copyToStore)
			ev.popCtx()
			return s, c
		}
	}
	if coerceMore {
		switch x := v.(type) {
		case nullVal:
			return "", nil
		case boolVal:
			if x {
				return "1", nil
			}
			return "", nil
		case intVal:
			return strconv.FormatInt(int64(x), 10), nil
		case floatVal:
			return fmt.Sprintf("%f", float64(x)), nil
		case *listVal:
			ev.step(pos)
			var b strings.Builder
			var ctx strCtx
			for i, e := range x.elems {
				s, c := ev.coerceCtx(e, pos, coerceMore, copyToStore)
				b.WriteString(s)
				ctx = mergeCtx(ctx, c)
				ev.checkStrLen(b.Len(), pos)
				if i < len(x.elems)-1 {
					if l, ok := ev.force(e).(*listVal); !ok || len(l.elems) != 0 {
						b.WriteByte(' ')
					}
				}
			}
			return b.String(), ctx
		}
	}
	ev.argContext(orig)
	ev.throwf(pos, "cannot coerce %s to a string: %s", showType(v), ev.showShort(v))
	return "", nil
}

// --- calls ---

func lambdaName(l *Lambda) string {
	if l.name != "" {
		return "function '" + l.name + "'"
	}
	return "function 'anonymous lambda'"
}

// call applies fn to args, one or more at a time: f a b c is one ExprCall
// with three arguments. Each round consumes what the function in hand
// takes (one for a lambda, arity for a builtin) and continues with its
// result; a builtin given fewer arguments than its arity becomes a
// primopApp waiting for the rest, and a set with __functor is called as
// __functor self.
func (ev *Evaluator) call(fn Value, args []Value, pos Pos) Value {
	for len(args) > 0 {
		f := ev.force(fn)
		switch x := f.(type) {
		case *lambdaVal:
			// A curried function (a: b: ...) given several arguments: its
			// outer plain lambdas only bind an argument and return the next
			// lambda, so bind them without making each closure. Nix's trace
			// of the inner call has no frame of the outer ones either.
			l, up := x.fn, x.env
			for len(args) > 1 && !l.hasFormals {
				inner, ok := l.body.(*Lambda)
				if !ok {
					break
				}
				ev.step(pos)
				l, up = inner, newEnv1(up, args[0])
				args = args[1:]
			}
			fn = ev.callLambda(l, up, args[0], pos)
			args = args[1:]
		case *primop:
			if len(args) < x.arity {
				return &primopApp{x, append([]Value(nil), args...)}
			}
			fn = ev.callPrimop(x, args[:x.arity], pos)
			args = args[x.arity:]
		case *primopApp:
			all := make([]Value, 0, len(x.args)+len(args))
			all = append(append(all, x.args...), args...)
			if len(all) < x.op.arity {
				return &primopApp{x.op, all}
			}
			fn = ev.callPrimop(x.op, all[:x.op.arity], pos)
			args = all[x.op.arity:]
		case *attrsVal:
			if fv, ok := x.m["__functor"]; ok {
				g := ev.call(fv.v, []Value{x}, pos)
				fn = ev.call(g, args[:1], pos)
				args = args[1:]
				continue
			}
			ev.throwf(pos, "attempt to call something which is not a function but %s: %s", showType(f), ev.showShort(f))
		default:
			ev.throwf(pos, "attempt to call something which is not a function but %s: %s", showType(f), ev.showShort(f))
		}
	}
	return ev.force(fn)
}

func (ev *Evaluator) callPrimop(op *primop, args []Value, pos Pos) Value {
	ev.depth++
	ev.stack = append(ev.stack, frame{pos: pos, kind: frameBuiltin, name: op.name})
	if ev.depth > ev.maxDepth {
		ev.throwf(pos, "stack overflow; max-call-depth exceeded")
	}
	ev.step(pos)
	var r Value
	prevPrim, prevArgs := ev.curPrim, ev.curArgs
	ev.curPrim, ev.curArgs = op, args
	defer func() {
		ev.stack = ev.stack[:len(ev.stack)-1]
		ev.curPrim, ev.curArgs = prevPrim, prevArgs
	}()
	if op.fn != nil {
		r = op.fn(ev, pos, args)
	} else {
		v, err := op.ext(ev, args)
		if err != nil {
			ee := asEvalError(err)
			if ee.catchable {
				panic(thrownError{ee})
			}
			panic(ee)
		}
		r = v
	}
	ev.depth--
	return r
}

// callLambda calls the function l closed over up with arg.
func (ev *Evaluator) callLambda(l *Lambda, up *env, arg Value, pos Pos) Value {
	ev.depth++
	if ev.depth > ev.maxDepth {
		ev.stack = append(ev.stack, frame{pos: pos, kind: frameCallSite}, frame{pos: l.pos, kind: frameLambda, name: l.name})
		ev.throwf(pos, "stack overflow; max-call-depth exceeded")
	}
	ev.step(pos)
	var ne *env
	if !l.hasFormals {
		ne = newEnv1(up, arg)
	} else {
		off := 0
		if l.arg != "" {
			off = 1
		}
		// The env is built before the defaults are made: a default is a
		// thunk over this same env, so it may refer to the other formals
		// (and the @-name), as Nix allows.
		ne = &env{up: up, vals: make([]Value, off+len(l.formals))}
		if off == 1 {
			ne.vals[0] = arg
		}
		a := ev.force(arg)
		as, ok := a.(*attrsVal)
		if !ok {
			ev.throwf(pos, "expected a set but found %s: %s", showType(a), ev.showShort(a))
		}
		used := 0
		for i, fm := range l.formals {
			if at, ok := as.m[fm.name]; ok {
				ne.vals[off+i] = at.v
				used++
			} else if fm.def != nil {
				ne.vals[off+i] = mkThunk(fm.def, ne)
			} else {
				ev.stack = append(ev.stack, frame{pos: pos, kind: frameCallSite})
				ev.throwf(l.pos, "%s called without required argument '%s'", lambdaName(l), fm.name)
			}
		}
		if !l.ellipsis && used < len(as.m) {
			for _, k := range as.names() {
				found := false
				for _, fm := range l.formals {
					if fm.name == k {
						found = true
						break
					}
				}
				if !found {
					ev.stack = append(ev.stack, frame{pos: pos, kind: frameCallSite})
					names := make([]string, len(l.formals))
					for i, fm := range l.formals {
						names[i] = fm.name
					}
					ev.throwHint(l.pos, suggest(k, names), "%s called with unexpected argument '%s'", lambdaName(l), k)
				}
			}
		}
	}
	// a function called directly by a builtin has no call site of its own
	n := len(ev.stack)
	if top := n - 1; top < 0 || ev.stack[top].kind != frameBuiltin || ev.stack[top].pos != pos {
		ev.stack = append(ev.stack, frame{pos: pos, kind: frameCallSite})
	}
	ev.stack = append(ev.stack, frame{pos: l.pos, kind: frameLambda, name: l.name})
	r := l.body.eval(ev, ne)
	ev.stack = ev.stack[:n]
	ev.depth--
	return r
}

// --- equality and ordering ---

func (ev *Evaluator) eq(a, b Value, pos Pos) bool {
	a = ev.force(a)
	b = ev.force(b)
	switch x := a.(type) {
	case intVal:
		switch y := b.(type) {
		case intVal:
			return x == y
		case floatVal:
			return float64(x) == float64(y)
		}
		return false
	case floatVal:
		switch y := b.(type) {
		case intVal:
			return float64(x) == float64(y)
		case floatVal:
			return x == y
		}
		return false
	case *strVal:
		y, ok := b.(*strVal)
		return ok && x.s == y.s
	case pathVal:
		y, ok := b.(pathVal)
		return ok && x == y
	case nullVal:
		_, ok := b.(nullVal)
		return ok
	case boolVal:
		y, ok := b.(boolVal)
		return ok && x == y
	case *listVal:
		y, ok := b.(*listVal)
		if !ok {
			return false
		}
		if x == y {
			return true
		}
		ev.step(pos)
		if len(x.elems) != len(y.elems) {
			return false
		}
		ev.descend(pos)
		defer ev.ascend()
		for i := range x.elems {
			if x.elems[i] == y.elems[i] {
				continue
			}
			if !ev.eq(x.elems[i], y.elems[i], pos) {
				return false
			}
		}
		return true
	case *attrsVal:
		y, ok := b.(*attrsVal)
		if !ok {
			return false
		}
		if x == y {
			return true
		}
		ev.step(pos)
		if ev.isDerivation(x) && ev.isDerivation(y) {
			xo, ok1 := x.m["outPath"]
			yo, ok2 := y.m["outPath"]
			if ok1 && ok2 {
				return ev.eq(xo.v, yo.v, pos)
			}
		}
		if len(x.m) != len(y.m) {
			return false
		}
		ev.descend(pos)
		defer ev.ascend()
		for _, k := range x.names() {
			yv, ok := y.m[k]
			if !ok {
				return false
			}
			xv := x.m[k]
			if xv.v == yv.v {
				continue
			}
			if !ev.eq(xv.v, yv.v, pos) {
				return false
			}
		}
		return true
	}
	return false
}

func (ev *Evaluator) isDerivation(a *attrsVal) bool {
	t, ok := a.m["type"]
	if !ok {
		return false
	}
	s, ok := ev.force(t.v).(*strVal)
	return ok && s.s == "derivation"
}

func (ev *Evaluator) lessThan(a, b Value, pos Pos) bool {
	a = ev.force(a)
	b = ev.force(b)
	switch x := a.(type) {
	case intVal:
		switch y := b.(type) {
		case intVal:
			return x < y
		case floatVal:
			return float64(x) < float64(y)
		}
	case floatVal:
		switch y := b.(type) {
		case intVal:
			return float64(x) < float64(y)
		case floatVal:
			return x < y
		}
	case *strVal:
		if y, ok := b.(*strVal); ok {
			return x.s < y.s
		}
	case pathVal:
		if y, ok := b.(pathVal); ok {
			return x < y
		}
	case *listVal:
		if y, ok := b.(*listVal); ok {
			for i := 0; ; i++ {
				if i == len(y.elems) {
					return false
				}
				if i == len(x.elems) {
					return true
				}
				if !ev.eq(x.elems[i], y.elems[i], pos) {
					return ev.lessThan(x.elems[i], y.elems[i], pos)
				}
			}
		}
	}
	if typeName(a) == typeName(b) {
		ev.throwf(pos, "cannot compare %s with %s; values of that type are incomparable (values are %s and %s)", showType(a), showType(b), ev.showShort(a), ev.showShort(b))
	}
	ev.throwf(pos, "cannot compare %s with %s; values are %s and %s", showType(a), showType(b), ev.showShort(a), ev.showShort(b))
	return false
}

// explainNotEqual throws a message saying where two values differ (used
// when `assert a == b` fails), as Nix does.
func (ev *Evaluator) explainNotEqual(a, b Value, pos Pos) {
	a, b = ev.force(a), ev.force(b)
	fail := func(format string, args ...any) {
		panic(thrownError{ev.mkErr(Pos{}, fmt.Sprintf(format, args...))})
	}
	if ev.eq(a, b, pos) {
		return
	}
	_, aNum := numAsFloat(a)
	_, bNum := numAsFloat(b)
	if aNum && bNum {
		fail("%s with value '%s' is not equal to %s with value '%s'", showType(a), printValue(a), showType(b), printValue(b))
	}
	if typeName(a) != typeName(b) {
		fail("%s of value '%s' is not equal to %s of value '%s'", showType(a), ev.showShort(a), showType(b), ev.showShort(b))
	}
	switch x := a.(type) {
	case *strVal:
		fail("string '%s' is not equal to string '%s'", quoteString(x.s), quoteString(b.(*strVal).s))
	case boolVal:
		fail("boolean '%v' is not equal to boolean '%v'", bool(x), bool(b.(boolVal)))
	case pathVal:
		fail("path '%s' is not equal to path '%s'", string(x), string(b.(pathVal)))
	case *listVal:
		y := b.(*listVal)
		if len(x.elems) != len(y.elems) {
			fail("list of size '%d' is not equal to list of size '%d', left hand side is '%s', right hand side is '%s'", len(x.elems), len(y.elems), ev.showShort(x), ev.showShort(y))
		}
		for i := range x.elems {
			ev.stack = append(ev.stack, frame{pos: pos, kind: frameText, name: "while comparing list element " + strconv.Itoa(i)})
			ev.explainNotEqual(x.elems[i], y.elems[i], pos)
			ev.stack = ev.stack[:len(ev.stack)-1]
		}
	case *attrsVal:
		y := b.(*attrsVal)
		if ev.isDerivation(x) && ev.isDerivation(y) {
			xo, ok1 := x.m["outPath"]
			yo, ok2 := y.m["outPath"]
			if ok1 && ok2 {
				ev.pushCtx(pos, "while comparing a derivation by its 'outPath' attribute")
				ev.explainNotEqual(xo.v, yo.v, pos)
				ev.popCtx()
			}
		}
		same := len(x.m) == len(y.m)
		for k := range x.m {
			if _, ok := y.m[k]; !ok {
				same = false
			}
		}
		if !same {
			fail("attribute names of attribute set '%s' differs from attribute set '%s'", ev.showShort(x), ev.showShort(y))
		}
		for _, k := range x.names() {
			n := len(ev.stack)
			ev.stack = append(ev.stack, frame{pos: pos, kind: frameText, name: "while comparing attribute '" + k + "'"},
				frame{pos: x.m[k].pos, kind: frameText, name: "where left hand side is"},
				frame{pos: y.m[k].pos, kind: frameText, name: "where right hand side is"})
			ev.explainNotEqual(x.m[k].v, y.m[k].v, pos)
			ev.stack = ev.stack[:n]
		}
	case *lambdaVal, *primop, *primopApp:
		fail("distinct functions and immediate comparisons of identical functions compare as unequal")
	}
}
