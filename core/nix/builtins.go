package nix

import (
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"strings"
)

type primFn = func(ev *Evaluator, pos Pos, args []Value) Value

// globalNames are the builtins also visible without the builtins. prefix.
var globalNames = []string{"abort", "baseNameOf", "break", "derivation", "dirOf", "fetchGit", "fetchMercurial", "fetchTarball",
	"fetchTree", "fromTOML", "import", "isNull", "map", "placeholder", "removeAttrs", "scopedImport", "throw", "toString"}

func (ev *Evaluator) initBuiltins() {
	b := newAttrs(256)
	ev.builtins = b
	reg := func(name string, arity int, fn primFn) {
		b.set(name, &primop{name: name, arity: arity, fn: fn}, Pos{})
	}
	registerCore(reg)
	registerLists(reg)
	registerAttrs(reg)
	registerStrings(reg)
	registerFiles(reg)
	registerData(reg)
	registerHashes(reg)
	registerContext(reg)
	registerStore(reg)
	registerDerivation(reg)
	registerStoreStubs(reg)
	b.set("derivation", ev.derivationValue(), Pos{})

	b.set("true", trueV, Pos{})
	b.set("false", falseV, Pos{})
	b.set("null", nullV, Pos{})
	b.set("currentSystem", mkStr("x86_64-linux"), Pos{})
	b.set("nixVersion", mkStr("2.24.0"), Pos{})
	b.set("langVersion", intVal(6), Pos{})
	b.set("storeDir", mkStr("/nix/store"), Pos{})
	b.set("currentTime", intVal(0), Pos{})
	np := make([]Value, 0, len(ev.searchPath))
	for _, s := range ev.searchPath {
		e := newAttrs(2)
		e.set("prefix", mkStr(s.prefix), Pos{})
		e.set("path", mkStr(s.path), Pos{})
		np = append(np, e)
	}
	b.set("nixPath", &listVal{np}, Pos{})
	b.set("builtins", b, Pos{})

	sc := &scope{names: map[string]int{}}
	base := &env{}
	add := func(name string, v Value) {
		if _, ok := sc.names[name]; ok {
			base.vals[sc.names[name]] = v
			return
		}
		sc.names[name] = len(base.vals)
		base.vals = append(base.vals, v)
	}
	add("builtins", b)
	add("true", trueV)
	add("false", falseV)
	add("null", nullV)
	for _, k := range b.names() {
		if k == "builtins" || k == "true" || k == "false" || k == "null" {
			continue
		}
		add("__"+k, b.m[k].v)
	}
	for _, k := range globalNames {
		if v, ok := b.m[k]; ok {
			add(k, v.v)
		}
	}
	ev.base, ev.baseScope = base, sc
}

func registerCore(reg func(string, int, primFn)) {
	reg("typeOf", 1, func(ev *Evaluator, pos Pos, a []Value) Value { return mkStr(typeName(ev.force(a[0]))) })
	isType := func(name, t string) {
		reg(name, 1, func(ev *Evaluator, pos Pos, a []Value) Value { return mkBool(typeName(ev.force(a[0])) == t) })
	}
	isType("isNull", "null")
	isType("isInt", "int")
	isType("isFloat", "float")
	isType("isString", "string")
	isType("isBool", "bool")
	isType("isPath", "path")
	isType("isList", "list")
	isType("isAttrs", "set")
	isType("isFunction", "lambda")
	reg("seq", 2, func(ev *Evaluator, pos Pos, a []Value) Value { ev.force(a[0]); return ev.force(a[1]) })
	reg("deepSeq", 2, func(ev *Evaluator, pos Pos, a []Value) Value { ev.deepForce(a[0], pos); return ev.force(a[1]) })
	reg("trace", 2, func(ev *Evaluator, pos Pos, a []Value) Value {
		v := ev.force(a[0])
		if s, ok := v.(*strVal); ok {
			fmt.Fprintf(ev.opts.Trace, "trace: %s\n", s.s)
		} else {
			fmt.Fprintf(ev.opts.Trace, "trace: %s\n", printValue(v))
		}
		return ev.force(a[1])
	})
	reg("traceVerbose", 2, func(ev *Evaluator, pos Pos, a []Value) Value { return ev.force(a[1]) })
	reg("warn", 2, func(ev *Evaluator, pos Pos, a []Value) Value {
		msg := ev.forceString(a[0], pos)
		sep := " "
		if strings.HasPrefix(msg, "\n") {
			sep = ""
		}
		fmt.Fprintf(ev.opts.Trace, "evaluation warning:%s%s\n", sep, msg)
		if ev.opts.AbortOnWarn {
			ev.throwf(pos, "aborting to reveal stack trace of warning, as abort-on-warn is set")
		}
		return ev.force(a[1])
	})
	reg("throw", 1, func(ev *Evaluator, pos Pos, a []Value) Value {
		msg := ev.coerceToString(a[0], pos, false, false)
		panic(thrownError{ev.mkErr(pos, msg)})
	})
	reg("abort", 1, func(ev *Evaluator, pos Pos, a []Value) Value {
		msg := ev.coerceToString(a[0], pos, false, false)
		ev.throwf(pos, "evaluation aborted with the following error message: '%s'", msg)
		return nil
	})
	reg("tryEval", 1, func(ev *Evaluator, pos Pos, a []Value) Value {
		r := newAttrs(2)
		v, ok := ev.tryEval(a[0])
		if ok {
			r.set("success", trueV, Pos{})
			r.set("value", v, Pos{})
		} else {
			r.set("success", falseV, Pos{})
			r.set("value", falseV, Pos{})
		}
		return r
	})
	reg("addErrorContext", 2, func(ev *Evaluator, pos Pos, a []Value) Value {
		msg := ev.coerceToString(a[0], pos, false, false)
		var r Value
		ev.withFrame(Pos{}, msg, func() { r = ev.force(a[1]) })
		return r
	})
	reg("break", 1, func(ev *Evaluator, pos Pos, a []Value) Value { return ev.force(a[0]) })
	reg("functionArgs", 1, func(ev *Evaluator, pos Pos, a []Value) Value {
		f := ev.force(a[0])
		switch x := f.(type) {
		case *lambdaVal:
			r := newAttrs(len(x.fn.formals))
			for _, fm := range x.fn.formals {
				r.set(fm.name, mkBool(fm.def != nil), fm.pos)
			}
			return r
		case *primop, *primopApp:
			return emptyAttrs
		}
		ev.throwf(pos, "'functionArgs' requires a function")
		return nil
	})
	reg("add", 2, func(ev *Evaluator, pos Pos, a []Value) Value {
		l, r := ev.force(a[0]), ev.force(a[1])
		if _, ok := numAsFloat(l); !ok {
			ev.typeErr(l, "an integer", pos, "")
		}
		if _, ok := numAsFloat(r); !ok {
			ev.typeErr(r, "an integer", pos, "")
		}
		return ev.add(l, r, pos)
	})
	arith := func(name string, op binOp) {
		reg(name, 2, func(ev *Evaluator, pos Pos, a []Value) Value {
			return ev.arith(op, ev.forceNumber(a[0], pos), ev.forceNumber(a[1], pos), pos)
		})
	}
	arith("sub", opSub)
	arith("mul", opMul)
	reg("div", 2, func(ev *Evaluator, pos Pos, a []Value) Value {
		if ev.forceFloat(a[1], pos) == 0 {
			ev.throwf(pos, "division by zero")
		}
		return ev.arith(opDiv, ev.forceNumber(a[0], pos), ev.forceNumber(a[1], pos), pos)
	})
	reg("lessThan", 2, func(ev *Evaluator, pos Pos, a []Value) Value { return mkBool(ev.lessThan(a[0], a[1], pos)) })
	bit := func(name string, f func(x, y int64) int64) {
		reg(name, 2, func(ev *Evaluator, pos Pos, a []Value) Value {
			return intVal(f(ev.forceInt(a[0], pos), ev.forceInt(a[1], pos)))
		})
	}
	bit("bitAnd", func(x, y int64) int64 { return x & y })
	bit("bitOr", func(x, y int64) int64 { return x | y })
	bit("bitXor", func(x, y int64) int64 { return x ^ y })
	round := func(name string, f func(float64) float64) {
		reg(name, 1, func(ev *Evaluator, pos Pos, a []Value) Value {
			v := ev.force(a[0])
			if i, ok := v.(intVal); ok {
				return i
			}
			fl := f(ev.forceFloat(v, pos))
			if fl >= 9.2233720368547758e18 || fl < -9.2233720368547758e18 || math.IsNaN(fl) {
				ev.throwf(pos, "float %s does not fit in an integer", formatFloat(fl))
			}
			return intVal(int64(fl))
		})
	}
	round("ceil", math.Ceil)
	round("floor", math.Floor)
	reg("getEnv", 1, func(ev *Evaluator, pos Pos, a []Value) Value {
		return mkStr(ev.opts.Getenv(ev.forceString(a[0], pos)))
	})
	reg("genericClosure", 1, genericClosure)
}

// tryEval evaluates v deeply enough for tryEval: catchable errors (throw,
// assert) give ok=false, others propagate.
func (ev *Evaluator) tryEval(v Value) (res Value, ok bool) {
	depth, fdepth, stack := ev.depth, ev.forceDepth, len(ev.stack)
	defer func() {
		if r := recover(); r != nil {
			if _, catchable := r.(thrownError); catchable {
				ev.depth, ev.forceDepth, ev.stack = depth, fdepth, ev.stack[:stack]
				res, ok = nil, false
				return
			}
			panic(r)
		}
	}()
	return ev.force(v), true
}

func genericClosure(ev *Evaluator, pos Pos, a []Value) Value {
	args := ev.forceAttrs(a[0], pos, "")
	sv, ok := args.m["startSet"]
	if !ok {
		ev.pushCtx(Pos{}, "in the attrset passed as argument to builtins.genericClosure")
		ev.throwf(pos, "attribute 'startSet' missing")
	}
	ev.pushCtx(Pos{}, "while evaluating the 'startSet' attribute passed as argument to builtins.genericClosure")
	work := append([]Value(nil), ev.forceList(sv.v, pos).elems...)
	ev.popCtx()
	op, ok := args.m["operator"]
	if !ok {
		ev.pushCtx(Pos{}, "in the attrset passed as argument to builtins.genericClosure")
		ev.throwf(pos, "attribute 'operator' missing")
	}
	ev.pushCtx(Pos{}, "while evaluating the 'operator' attribute passed as argument to builtins.genericClosure")
	ev.forceFunction(op.v, pos)
	ev.popCtx()
	var res []Value
	var seen []Value
	fast := map[any]bool{}
	for len(work) > 0 {
		e := work[0]
		work = work[1:]
		ev.stack = append(ev.stack, frame{kind: frameValue, name: "in genericClosure element ", val: e})
		ea := ev.forceAttrs(e, pos, "")
		key, ok := ea.m["key"]
		if !ok {
			ev.throwf(pos, "attribute 'key' missing")
		}
		ev.popCtx()
		k := ev.force(key.v)
		if len(seen) > 0 && typeName(seen[0]) != typeName(k) && !(isNum(seen[0]) && isNum(k)) {
			ev.throwf(pos, "cannot compare %s with %s", showType(seen[0]), showType(k))
		}
		if sk, ok := scalarKey(k); ok {
			if fast[sk] {
				continue
			}
			fast[sk] = true
		} else {
			dup := false
			for _, s := range seen {
				if ev.typedEq(s, k, pos) {
					dup = true
					break
				}
			}
			if dup {
				continue
			}
		}
		seen = append(seen, k)
		res = append(res, e)
		next := ev.forceList(ev.call(op.v, []Value{e}, pos), pos)
		work = append(work, next.elems...)
	}
	return &listVal{res}
}

// typedEq compares genericClosure keys; mixing types is an error as in Nix.
func (ev *Evaluator) typedEq(a, b Value, pos Pos) bool {
	if typeName(a) != typeName(b) && !(isNum(a) && isNum(b)) {
		ev.throwf(pos, "cannot compare %s with %s", showType(a), showType(b))
	}
	return ev.eq(a, b, pos)
}

func isNum(v Value) bool { _, ok := numAsFloat(v); return ok }

func registerLists(reg func(string, int, primFn)) {
	reg("map", 2, func(ev *Evaluator, pos Pos, a []Value) Value {
		l := ev.forceList(a[1], pos)
		out := make([]Value, len(l.elems))
		f := a[0]
		for i, e := range l.elems {
			out[i] = &thunk{fn: lazyCall(ev, f, e, ev.funcPos(f, pos))}
		}
		return &listVal{out}
	})
	reg("filter", 2, func(ev *Evaluator, pos Pos, a []Value) Value {
		ev.forceFunction(a[0], pos)
		l := ev.forceList(a[1], pos)
		var out []Value
		for _, e := range l.elems {
			r := ev.call(a[0], []Value{e}, pos)
			ev.pushCtx(Pos{}, "while evaluating the return value of the filtering function passed to builtins.filter")
			keep := ev.forceBool(r, pos)
			ev.popCtx()
			if keep {
				out = append(out, e)
			}
		}
		if len(out) == len(l.elems) {
			return l
		}
		return &listVal{out}
	})
	reg("foldl'", 3, func(ev *Evaluator, pos Pos, a []Value) Value {
		l := ev.forceList(a[2], pos)
		acc := a[1]
		if len(l.elems) == 0 {
			return ev.force(acc)
		}
		for _, e := range l.elems {
			acc = ev.call(a[0], []Value{acc, e}, pos)
		}
		return acc
	})
	reg("genList", 2, func(ev *Evaluator, pos Pos, a []Value) Value {
		n := ev.forceInt(a[1], pos)
		if n < 0 {
			ev.throwf(pos, "cannot create list of size %d", n)
		}
		ev.checkListLen(int(min(n, 1<<40)), pos)
		out := make([]Value, n)
		for i := range out {
			out[i] = &thunk{fn: lazyCall(ev, a[0], intVal(i), ev.funcPos(a[0], pos))}
		}
		return &listVal{out}
	})
	reg("elem", 2, func(ev *Evaluator, pos Pos, a []Value) Value {
		for _, e := range ev.forceList(a[1], pos).elems {
			if ev.eq(a[0], e, pos) {
				return trueV
			}
		}
		return falseV
	})
	reg("elemAt", 2, func(ev *Evaluator, pos Pos, a []Value) Value {
		l := ev.forceList(a[0], pos)
		i := ev.forceInt(a[1], pos)
		if i < 0 || i >= int64(len(l.elems)) {
			ev.throwf(pos, "'builtins.elemAt' called with index %d on a list of size %d", i, len(l.elems))
		}
		return ev.force(l.elems[i])
	})
	reg("head", 1, func(ev *Evaluator, pos Pos, a []Value) Value {
		l := ev.forceList(a[0], pos)
		if len(l.elems) == 0 {
			ev.throwf(pos, "'builtins.head' called on an empty list")
		}
		return ev.force(l.elems[0])
	})
	reg("tail", 1, func(ev *Evaluator, pos Pos, a []Value) Value {
		l := ev.forceList(a[0], pos)
		if len(l.elems) == 0 {
			ev.throwf(pos, "'builtins.tail' called on an empty list")
		}
		return &listVal{l.elems[1:]}
	})
	reg("length", 1, func(ev *Evaluator, pos Pos, a []Value) Value { return intVal(len(ev.forceList(a[0], pos).elems)) })
	reg("concatLists", 1, func(ev *Evaluator, pos Pos, a []Value) Value {
		var out []Value
		for _, e := range ev.forceList(a[0], pos).elems {
			ev.pushCtx(Pos{}, "while evaluating a value of the list passed to builtins.concatLists")
			out = append(out, ev.forceList(e, pos).elems...)
			ev.popCtx()
			ev.checkListLen(len(out), pos)
		}
		return &listVal{out}
	})
	reg("concatMap", 2, func(ev *Evaluator, pos Pos, a []Value) Value {
		ev.forceFunction(a[0], pos)
		var out []Value
		for _, e := range ev.forceList(a[1], pos).elems {
			r := ev.call(a[0], []Value{e}, pos)
			ev.pushCtx(ev.funcPos(a[0], Pos{}), "while evaluating the return value of the function passed to builtins.concatMap")
			out = append(out, ev.forceList(r, pos).elems...)
			ev.popCtx()
			ev.checkListLen(len(out), pos)
		}
		return &listVal{out}
	})
	reg("sort", 2, func(ev *Evaluator, pos Pos, a []Value) Value {
		ev.forceFunction(a[0], pos)
		l := ev.forceList(a[1], pos)
		out := append([]Value(nil), l.elems...)
		for _, e := range out {
			ev.force(e)
		}
		// A comparator written a: b: ... takes both arguments into its
		// environments and keeps no slice of them, so one pair serves
		// every comparison; any other function gets a fresh pair.
		var pair []Value
		if l, ok := ev.force(a[0]).(*lambdaVal); ok && !l.fn.hasFormals {
			if inner, ok := l.fn.body.(*Lambda); ok && !inner.hasFormals {
				pair = make([]Value, 2)
			}
		}
		less := func(x, y Value) bool {
			args := pair
			if args == nil {
				args = make([]Value, 2)
			}
			args[0], args[1] = x, y
			return ev.forceBool(ev.call(a[0], args, pos), pos)
		}
		mergeSort(out, make([]Value, len(out)), less)
		return &listVal{out}
	})
	reg("all", 2, func(ev *Evaluator, pos Pos, a []Value) Value {
		ev.forceFunction(a[0], pos)
		for _, e := range ev.forceList(a[1], pos).elems {
			if !ev.forceBool(ev.call(a[0], []Value{e}, pos), pos) {
				return falseV
			}
		}
		return trueV
	})
	reg("any", 2, func(ev *Evaluator, pos Pos, a []Value) Value {
		ev.forceFunction(a[0], pos)
		for _, e := range ev.forceList(a[1], pos).elems {
			if ev.forceBool(ev.call(a[0], []Value{e}, pos), pos) {
				return trueV
			}
		}
		return falseV
	})
	reg("partition", 2, func(ev *Evaluator, pos Pos, a []Value) Value {
		ev.forceFunction(a[0], pos)
		var right, wrong []Value
		for _, e := range ev.forceList(a[1], pos).elems {
			r := ev.call(a[0], []Value{e}, pos)
			ev.pushCtx(Pos{}, "while evaluating the return value of the partition function passed to builtins.partition")
			ok := ev.forceBool(r, pos)
			ev.popCtx()
			if ok {
				right = append(right, e)
			} else {
				wrong = append(wrong, e)
			}
		}
		r := newAttrs(2)
		r.set("right", &listVal{right}, Pos{})
		r.set("wrong", &listVal{wrong}, Pos{})
		return r
	})
	reg("groupBy", 2, func(ev *Evaluator, pos Pos, a []Value) Value {
		ev.forceFunction(a[0], pos)
		groups := map[string][]Value{}
		for _, e := range ev.forceList(a[1], pos).elems {
			k := ev.forceString(ev.call(a[0], []Value{e}, pos), pos)
			groups[k] = append(groups[k], e)
		}
		r := newAttrs(len(groups))
		for k, v := range groups {
			r.set(k, &listVal{v}, Pos{})
		}
		return r
	})
	reg("listToAttrs", 1, func(ev *Evaluator, pos Pos, a []Value) Value {
		l := ev.forceList(a[0], pos)
		r := newAttrs(len(l.elems))
		for _, e := range l.elems {
			ea := ev.forceAttrs(e, pos, "")
			n, ok := ea.m["name"]
			if !ok {
				ev.throwf(pos, "attribute 'name' missing")
			}
			ev.pushCtx(n.pos, "while evaluating the `name` attribute of an element of the list passed to builtins.listToAttrs")
			name := ev.forceString(n.v, n.pos)
			ev.popCtx()
			if _, dup := r.m[name]; dup {
				continue
			}
			v, ok := ea.m["value"]
			if !ok {
				ev.throwf(pos, "attribute 'value' missing")
			}
			r.m[name] = attr{v.v, v.pos}
		}
		return r
	})
	reg("catAttrs", 2, func(ev *Evaluator, pos Pos, a []Value) Value {
		name := ev.forceString(a[0], pos)
		var out []Value
		for _, e := range ev.forceList(a[1], pos).elems {
			if v, ok := ev.forceAttrs(e, pos, "").m[name]; ok {
				out = append(out, v.v)
			}
		}
		return &listVal{out}
	})
	reg("zipAttrsWith", 2, func(ev *Evaluator, pos Pos, a []Value) Value {
		ev.forceFunction(a[0], pos)
		acc := map[string][]Value{}
		for _, e := range ev.forceList(a[1], pos).elems {
			ea := ev.forceAttrs(e, pos, "")
			for _, k := range ea.names() {
				acc[k] = append(acc[k], ea.m[k].v)
			}
		}
		r := newAttrs(len(acc))
		for k, vs := range acc {
			r.set(k, &thunk{fn: lazyCall2(ev, a[0], mkStr(k), &listVal{vs}, ev.funcPos(a[0], pos))}, Pos{})
		}
		return r
	})
}

func lazyCall(ev *Evaluator, f, x Value, pos Pos) func() (Value, error) {
	return func() (Value, error) { return ev.call(f, []Value{x}, pos), nil }
}

func lazyCall2(ev *Evaluator, f, x, y Value, pos Pos) func() (Value, error) {
	return func() (Value, error) { return ev.call(f, []Value{x, y}, pos), nil }
}

func registerAttrs(reg func(string, int, primFn)) {
	reg("attrNames", 1, func(ev *Evaluator, pos Pos, a []Value) Value {
		as := ev.forceAttrs(a[0], pos, "")
		out := make([]Value, 0, len(as.m))
		for _, k := range as.names() {
			out = append(out, mkStr(k))
		}
		return &listVal{out}
	})
	reg("attrValues", 1, func(ev *Evaluator, pos Pos, a []Value) Value {
		as := ev.forceAttrs(a[0], pos, "")
		out := make([]Value, 0, len(as.m))
		for _, k := range as.names() {
			out = append(out, as.m[k].v)
		}
		return &listVal{out}
	})
	reg("hasAttr", 2, func(ev *Evaluator, pos Pos, a []Value) Value {
		name := ev.forceString(a[0], pos)
		_, ok := ev.forceAttrs(a[1], pos, "").m[name]
		return mkBool(ok)
	})
	reg("getAttr", 2, func(ev *Evaluator, pos Pos, a []Value) Value {
		name := ev.forceString(a[0], pos)
		set := ev.forceAttrs(a[1], pos, "")
		v, ok := set.m[name]
		if !ok {
			ev.pushCtx(Pos{}, "in the attribute set under consideration")
			msg, _ := set.missingMsg(name)
			ev.throwf(pos, "%s", msg)
		}
		return ev.force(v.v)
	})
	reg("unsafeGetAttrPos", 2, func(ev *Evaluator, pos Pos, a []Value) Value {
		name := ev.forceString(a[0], pos)
		v, ok := ev.forceAttrs(a[1], pos, "").m[name]
		if !ok || !v.pos.IsValid() {
			return nullV
		}
		return posToAttrs(v.pos)
	})
	reg("removeAttrs", 2, func(ev *Evaluator, pos Pos, a []Value) Value {
		as := ev.forceAttrs(a[0], pos, "")
		names := ev.forceList(a[1], pos)
		drop := map[string]bool{}
		for _, n := range names.elems {
			drop[ev.forceString(n, pos)] = true
		}
		r := newAttrs(len(as.m))
		for k, v := range as.m {
			if !drop[k] {
				r.m[k] = v
			}
		}
		return r
	})
	reg("intersectAttrs", 2, func(ev *Evaluator, pos Pos, a []Value) Value {
		x := ev.forceAttrs(a[0], pos, "")
		y := ev.forceAttrs(a[1], pos, "")
		r := newAttrs(0)
		for k, v := range y.m {
			if _, ok := x.m[k]; ok {
				r.m[k] = v
			}
		}
		return r
	})
	reg("mapAttrs", 2, func(ev *Evaluator, pos Pos, a []Value) Value {
		as := ev.forceAttrs(a[1], pos, "")
		r := newAttrs(len(as.m))
		for k, v := range as.m {
			// The new attributes have no position, as in Nix: the module
			// system's tests rely on unsafeGetAttrPos giving null here.
			r.m[k] = attr{&thunk{fn: lazyCall2(ev, a[0], mkStr(k), v.v, ev.funcPos(a[0], pos))}, Pos{}}
		}
		return r
	})
}

func registerFiles(reg func(string, int, primFn)) {
	reg("import", 1, func(ev *Evaluator, pos Pos, a []Value) Value {
		p := ev.realPath(a[0], pos)
		return ev.force(ev.importFile(p, pos))
	})
	reg("scopedImport", 2, func(ev *Evaluator, pos Pos, a []Value) Value {
		sc := ev.forceAttrs(a[0], pos, "")
		p := resolveImportPath(ev.realPath(a[1], pos))
		data, err := os.ReadFile(p)
		if err != nil {
			ev.throwf(pos, "getting status of '%s': %s", p, errText(err))
		}
		// the scope's names shadow the global ones, statically
		s2 := &scope{up: ev.baseScope, names: make(map[string]int, len(sc.m))}
		en := &env{up: ev.base, vals: make([]Value, 0, len(sc.m))}
		for _, k := range sc.names() {
			s2.names[k] = len(en.vals)
			en.vals = append(en.vals, sc.m[k].v)
		}
		pc := &parseCtx{lx: newLexer(p, string(data)), baseDir: filepath.Dir(p), home: ev.home, ev: ev}
		e := pc.parseFile()
		pc.bind(e, s2)
		return e.eval(ev, en)
	})
	reg("readFile", 1, func(ev *Evaluator, pos Pos, a []Value) Value {
		p := ev.realPath(a[0], pos)
		if text, ok := ev.storeText(p); ok { // a builtins.toFile never written
			return mkStr(text)
		}
		return mkStr(ev.readFileLimited(p, pos))
	})
	reg("pathExists", 1, func(ev *Evaluator, pos Pos, a []Value) Value {
		v := ev.force(a[0])
		var p string
		if pv, ok := v.(pathVal); ok {
			p = string(pv)
		} else {
			p = ev.coerceToString(v, pos, false, false)
			if !strings.HasPrefix(p, "/") {
				ev.throwf(pos, "string '%s' doesn't represent an absolute path", p)
			}
		}
		mustDir := strings.HasSuffix(p, "/") && len(p) > 1
		st, err := os.Stat(p)
		if err != nil {
			return falseV
		}
		if mustDir && !st.IsDir() {
			return falseV
		}
		return trueV
	})
	reg("readFileType", 1, func(ev *Evaluator, pos Pos, a []Value) Value {
		p := ev.realPath(a[0], pos)
		st, err := os.Lstat(p)
		if err != nil {
			ev.throwf(pos, "getting status of '%s': %s", p, errText(err))
		}
		return mkStr(fileType(st.Mode()))
	})
	reg("readDir", 1, func(ev *Evaluator, pos Pos, a []Value) Value {
		p := ev.realPath(a[0], pos)
		ents, err := os.ReadDir(p)
		if os.IsNotExist(err) {
			ev.throwf(pos, "path '%s' does not exist", p)
		}
		if err != nil {
			ev.throwf(pos, "reading directory '%s': %s", p, errText(err))
		}
		r := newAttrs(len(ents))
		for _, e := range ents {
			r.set(e.Name(), mkStr(fileType(e.Type())), Pos{})
		}
		return r
	})
	reg("findFile", 2, func(ev *Evaluator, pos Pos, a []Value) Value {
		return ev.findFile(ev.forceList(a[0], pos), ev.forceString(a[1], pos), pos)
	})
	reg("toPath", 1, func(ev *Evaluator, pos Pos, a []Value) Value {
		p := ev.coerceToString(a[0], pos, false, false)
		if !strings.HasPrefix(p, "/") {
			ev.argContext(a[0])
			ev.throwf(pos, "string '%s' doesn't represent an absolute path", p)
		}
		return mkStr(canonPath(p))
	})
	reg("baseNameOf", 1, func(ev *Evaluator, pos Pos, a []Value) Value {
		s, ctx := ev.coerceCtx(a[0], pos, false, false)
		s = strings.TrimSuffix(s, "/")
		if i := strings.LastIndexByte(s, '/'); i >= 0 {
			s = s[i+1:]
		}
		return mkStrCtx(s, ctx)
	})
	reg("dirOf", 1, func(ev *Evaluator, pos Pos, a []Value) Value {
		v := ev.force(a[0])
		var s string
		var ctx strCtx
		if p, ok := v.(pathVal); ok {
			s = string(p)
		} else {
			s, ctx = ev.coerceCtx(v, pos, false, false)
		}
		d := "."
		if i := strings.LastIndexByte(s, '/'); i > 0 {
			d = s[:i]
		} else if i == 0 {
			d = "/"
		}
		if _, ok := v.(pathVal); ok {
			return pathVal(d)
		}
		return mkStrCtx(d, ctx)
	})
}

func fileType(m os.FileMode) string {
	switch {
	case m.IsDir():
		return "directory"
	case m&os.ModeSymlink != 0:
		return "symlink"
	case m.IsRegular():
		return "regular"
	}
	return "unknown"
}

// realPath coerces a path-like value to an absolute file name.
func (ev *Evaluator) realPath(v Value, pos Pos) string {
	v = ev.force(v)
	if p, ok := v.(pathVal); ok {
		return string(p)
	}
	s := ev.coerceToString(v, pos, false, false)
	if !strings.HasPrefix(s, "/") {
		if a, ok := v.(*attrsVal); ok {
			if f, ok := a.m["__toString"]; ok {
				ev.pushCtx(f.pos, "while using the result of the `__toString` attribute")
			} else if o, ok := a.m["outPath"]; ok {
				ev.pushCtx(o.pos, "while using the `outPath` attribute")
			}
		}
		ev.pushCtx(Pos{}, "while realising the context of a path")
		ev.throwf(pos, "string '%s' doesn't represent an absolute path", s)
	}
	return s
}

func (ev *Evaluator) findFile(sp *listVal, name string, pos Pos) Value {
	for _, e := range sp.elems {
		ea := ev.forceAttrs(e, pos, "")
		pv, ok := ea.m["path"]
		if !ok {
			ev.throwf(pos, "attribute 'path' missing")
		}
		prefix := ""
		if pf, ok := ea.m["prefix"]; ok {
			prefix = ev.forceString(pf.v, pos)
		}
		rest := ""
		if prefix != "" {
			if name == prefix {
				rest = ""
			} else if strings.HasPrefix(name, prefix+"/") {
				rest = name[len(prefix)+1:]
			} else {
				continue
			}
		} else {
			rest = name
		}
		base := ev.coerceToString(pv.v, pos, false, false)
		if strings.Contains(base, "://") {
			continue
		}
		full := base
		if rest != "" {
			full = base + "/" + rest
		}
		if _, err := os.Stat(full); err == nil {
			return pathVal(canonPath(full))
		}
	}
	if name == "nix/fetchurl.nix" {
		return pathVal(corepkgsFetchurl)
	}
	ev.throwf(pos, "file '%s' was not found in the Nix search path (add it using $NIX_PATH or -I)", name)
	return nil
}

// readFileLimited reads a file, refusing more than the string size limit
// (so /dev/zero and the like end in an error).
func (ev *Evaluator) readFileLimited(p string, pos Pos) string {
	f, err := os.Open(p)
	if err != nil {
		ev.throwf(pos, "opening file '%s': %s", p, errText(err))
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, int64(ev.maxStrLen)+1))
	if err != nil {
		ev.throwf(pos, "reading file '%s': %s", p, errText(err))
	}
	ev.checkStrLen(len(data), pos)
	return string(data)
}

// scalarKey maps numbers, strings and paths to a Go map key for
// genericClosure's visited set (numbers compare across int and float).
func scalarKey(v Value) (any, bool) {
	switch x := v.(type) {
	case intVal:
		return float64(x), true
	case floatVal:
		return float64(x), true
	case *strVal:
		return "s" + x.s, true
	case pathVal:
		return "p" + string(x), true
	}
	return nil, false
}

// registerStoreStubs defines the builtins that need a Nix store as
// functions that fail when called, so that expressions mentioning them in
// branches nixcsh never takes still parse and evaluate.
func registerStoreStubs(reg func(string, int, primFn)) {
	for name, arity := range map[string]int{"fetchTarball": 1, "fetchGit": 1, "fetchTree": 1,
		"fetchMercurial": 1, "fetchClosure": 1, "getFlake": 1, "outputOf": 2} {
		name := name
		reg(name, arity, func(ev *Evaluator, pos Pos, a []Value) Value {
			ev.throwf(pos, "builtins.%s needs a Nix store, which nixcsh does not have", name)
			return nil
		})
	}
}

// forceNumber forces an int or float argument of an arithmetic builtin.
func (ev *Evaluator) forceNumber(v Value, pos Pos) Value {
	f := ev.force(v)
	if !isNum(f) {
		ev.typeErrOf(v, f, "an integer", pos)
	}
	return f
}

// mergeSort sorts l stably with as few calls of less as it can (each one is
// a call of a Nix function): insertion sort of short runs, then merges
// through buf, as std::stable_sort does.
func mergeSort(l, buf []Value, less func(a, b Value) bool) {
	const run = 8
	n := len(l)
	if n < 2 {
		return
	}
	for lo := 0; lo < n; lo += run {
		hi := min(lo+run, n)
		for i := lo + 1; i < hi; i++ {
			for j := i; j > lo && less(l[j], l[j-1]); j-- {
				l[j], l[j-1] = l[j-1], l[j]
			}
		}
	}
	src, dst := l, buf
	for width := run; width < n; width *= 2 {
		for lo := 0; lo < n; lo += 2 * width {
			mid, hi := min(lo+width, n), min(lo+2*width, n)
			i, j, k := lo, mid, lo
			for i < mid && j < hi {
				if less(src[j], src[i]) {
					dst[k] = src[j]
					j++
				} else {
					dst[k] = src[i]
					i++
				}
				k++
			}
			k += copy(dst[k:], src[i:mid])
			copy(dst[k:], src[j:hi])
		}
		src, dst = dst, src
	}
	if &src[0] != &l[0] {
		copy(l, src)
	}
}
