package nix

import (
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
)

// guard runs f, turning evaluation errors and any unexpected panic into an
// error, and restores the evaluator's bookkeeping.
//
// Inside the evaluator an error is a panic (throwf), because it must cross
// any depth of eval, force and call without every one of them checking a
// result; guard is the boundary where the API returns it as an error. The
// depths and the trace stack are put back since the panic skipped the code
// that would have popped them.
func (ev *Evaluator) guard(f func() Value) (v Value, err error) {
	depth, fdepth, stack := ev.depth, ev.forceDepth, len(ev.stack)
	defer func() {
		if r := recover(); r != nil {
			ev.depth, ev.forceDepth, ev.stack = depth, fdepth, ev.stack[:stack]
			err = panicToError(r)
			v = nil
		}
	}()
	return f(), nil
}

func panicToError(r any) error {
	switch x := r.(type) {
	case *EvalError:
		return x
	case thrownError:
		x.EvalError.catchable = true
		return x.EvalError
	case *parseError:
		return &EvalError{Pos: x.pos, Msg: x.msg}
	case string:
		return &EvalError{Msg: "internal evaluator error: " + x}
	case runtime.Error:
		return &EvalError{Msg: "internal evaluator error: " + x.Error()}
	case error:
		return &EvalError{Msg: x.Error()}
	}
	return &EvalError{Msg: fmt.Sprint(r)}
}

// parse parses src (from file, with relative paths against baseDir) and
// resolves its variables against the global scope.
func (ev *Evaluator) parse(src, file, baseDir string) (e Expr, err error) {
	defer func() {
		if r := recover(); r != nil {
			e = nil
			err = panicToError(r)
		}
	}()
	if strings.HasPrefix(file, "«") {
		ev.sources[file] = src
	}
	p := &parseCtx{lx: newLexer(file, src), baseDir: baseDir, home: ev.home, ev: ev}
	e = p.parseFile()
	p.bind(e, ev.baseScope)
	return e, nil
}

// Parse parses an expression without evaluating it (for --parse).
func (ev *Evaluator) Parse(src, filename string) (Expr, error) {
	abs := filename
	if !filepath.IsAbs(abs) {
		abs, _ = filepath.Abs(filename)
	}
	return ev.parse(src, filename, filepath.Dir(abs))
}

// EvalFile parses path and returns its (lazy) value; imports are cached.
func (ev *Evaluator) EvalFile(path string) (Value, error) {
	return ev.guard(func() Value { return ev.importFile(path, Pos{}) })
}

// EvalString parses src as if read from filename and returns its value.
func (ev *Evaluator) EvalString(src, filename string) (Value, error) {
	abs := filename
	if !filepath.IsAbs(abs) {
		abs, _ = filepath.Abs(filename)
	}
	e, err := ev.parse(src, filename, filepath.Dir(abs))
	if err != nil {
		return nil, err
	}
	return ev.guard(func() Value { return e.eval(ev, ev.base) })
}

// sharedASTs holds the parses of sources that a process evaluates again
// and again unchanged (nixcsh's own lib and modules, embedded in the
// binary), keyed by file and text. A bound AST is not changed by
// evaluation, and every evaluator's global scope has the same layout, so
// one parse serves every evaluator.
var sharedASTs sync.Map

// EvalShared is EvalString for a source that does not change during the
// process: it is parsed once. Parse-time lint warnings are not repeated.
// The key holds the text as well as the name, so that two sources given the
// same name (tests do) never share a parse. Only the parse is shared: each
// evaluator evaluates it into thunks of its own, so values never cross
// evaluators (which are not safe for concurrent use).
func (ev *Evaluator) EvalShared(src, filename string) (Value, error) {
	key := filename + "\x00" + src
	e, ok := sharedASTs.Load(key)
	if !ok {
		parsed, err := ev.parse(src, filename, filepath.Dir(filename))
		if err != nil {
			return nil, err
		}
		e, _ = sharedASTs.LoadOrStore(key, parsed)
	}
	return ev.guard(func() Value { return e.(Expr).eval(ev, ev.base) })
}

// Force evaluates v to weak head normal form.
func (ev *Evaluator) Force(v Value) (Value, error) {
	return ev.guard(func() Value { return ev.force(v) })
}

// ForceDeep evaluates v and everything inside it.
func (ev *Evaluator) ForceDeep(v Value) error {
	_, err := ev.guard(func() Value { ev.deepForce(v, Pos{}); return nullV })
	return err
}

// Call applies fn to arg and forces the result to weak head normal form.
func (ev *Evaluator) Call(fn, arg Value) (Value, error) {
	return ev.guard(func() Value { return ev.call(fn, []Value{arg}, Pos{}) })
}

// ToGo converts v deeply to plain Go data.
func (ev *Evaluator) ToGo(v Value) (any, error) {
	var out any
	_, err := ev.guard(func() Value { out = ev.toGo(v); return nullV })
	return out, err
}

func (ev *Evaluator) toGo(v Value) any {
	v = ev.force(v)
	ev.step(Pos{})
	ev.descend(Pos{})
	defer ev.ascend()
	switch x := v.(type) {
	case nullVal:
		return nil
	case boolVal:
		return bool(x)
	case intVal:
		return int64(x)
	case floatVal:
		return float64(x)
	case *strVal:
		return x.s
	case pathVal:
		return string(x)
	case *listVal:
		l := make([]any, len(x.elems))
		for i, e := range x.elems {
			l[i] = ev.toGo(e)
		}
		return l
	case *attrsVal:
		m := make(map[string]any, len(x.m))
		for k, a := range x.m {
			m[k] = ev.toGo(a.v)
		}
		return m
	}
	ev.throwf(Pos{}, "cannot convert %s to plain data", showType(v))
	return nil
}

// deepForceOrder is the order deepForce visits attributes: by name, but
// outPath first, as in Nix, which orders attributes by when their names
// were first seen, and outPath is among its built-in names (so a
// derivation fails on its outPath before its other attributes).
func deepForceOrder(x *attrsVal) []string {
	ks := x.names()
	if _, ok := x.m["outPath"]; !ok {
		return ks
	}
	out := make([]string, 0, len(ks))
	out = append(out, "outPath")
	for _, k := range ks {
		if k != "outPath" {
			out = append(out, k)
		}
	}
	return out
}

func (ev *Evaluator) deepForce(v Value, pos Pos) {
	seen := map[any]bool{}
	var rec func(v Value, depth int)
	rec = func(v Value, depth int) {
		if depth > maxForceDepth {
			ev.throwf(pos, "stack overflow (possible infinite recursion)")
		}
		v = ev.force(v)
		switch x := v.(type) {
		case *listVal:
			if len(x.elems) == 0 || seen[x] {
				return
			}
			seen[x] = true
			for i, e := range x.elems {
				ev.stack = append(ev.stack, frame{kind: frameListElem, idx: i})
				rec(e, depth+1)
				ev.stack = ev.stack[:len(ev.stack)-1]
			}
		case *attrsVal:
			if len(x.m) == 0 || seen[x] {
				return
			}
			seen[x] = true
			for _, k := range deepForceOrder(x) {
				at := x.m[k]
				if _, done := at.v.(*thunk); !done {
					switch at.v.(type) {
					case *listVal, *attrsVal:
					default:
						continue // already a scalar
					}
				}
				ev.stack = append(ev.stack, frame{pos: at.pos, kind: frameAttr, name: k})
				rec(at.v, depth+1)
				ev.stack = ev.stack[:len(ev.stack)-1]
			}
		}
	}
	rec(v, 0)
}

// descend counts one level of a deep walk of a value (toJSON, toXML, ==,
// conversion to Go data) against max-call-depth, so that a cyclic value ends
// in Nix's error instead of exhausting the Go stack. ascend undoes it; after
// a throw, guard restores the depth.
func (ev *Evaluator) descend(pos Pos) {
	if ev.depth++; ev.depth > ev.maxDepth {
		ev.throwf(pos, "stack overflow (possible infinite recursion)")
	}
}

func (ev *Evaluator) ascend() { ev.depth-- }

func (ev *Evaluator) withFrame(pos Pos, what string, f func()) {
	ev.stack = append(ev.stack, frame{pos: pos, kind: frameText, name: what})
	f()
	ev.stack = ev.stack[:len(ev.stack)-1]
}

// resolveImportPath maps a directory to its default.nix.
func resolveImportPath(p string) string {
	if st, err := os.Stat(p); err == nil && st.IsDir() {
		return filepath.Join(p, "default.nix")
	}
	return p
}

func (ev *Evaluator) importFile(path string, pos Pos) Value {
	if !filepath.IsAbs(path) {
		abs, err := filepath.Abs(path)
		if err == nil {
			path = abs
		}
	}
	if path == corepkgsFetchurl {
		return &primop{name: "fetchurl", arity: 1, fn: func(ev *Evaluator, pos Pos, a []Value) Value {
			ev.throwf(pos, "<nix/fetchurl.nix> needs a Nix store, which nixcsh does not have")
			return nil
		}}
	}
	path = resolveImportPath(path)
	if v, ok := ev.imports[path]; ok {
		return v
	}
	data, ok := ev.storeText(path) // a builtins.toFile, never written
	if !ok {
		if _, err := os.Stat(path); err != nil {
			ev.throwf(pos, "getting status of '%s': %s", path, errText(err))
		}
		data = ev.readFileLimited(path, pos)
	}
	e, perr := ev.parse(data, path, filepath.Dir(path))
	if perr != nil {
		panic(perr)
	}
	t := &thunk{expr: e, env: ev.base}
	ev.imports[path] = t
	return t
}

func errText(err error) string {
	if pe, ok := err.(*os.PathError); ok {
		err = pe.Err
	}
	s := err.Error()
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}

// corepkgsFetchurl stands for Nix's built-in <nix/fetchurl.nix>.
const corepkgsFetchurl = "/__corepkgs__/fetchurl.nix"
