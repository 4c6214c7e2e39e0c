// Package nix implements the Nix expression language for nixcsh: a lexer and
// parser for the whole language, a lazy (call-by-need) evaluator with the
// store-free part of Nix's builtins, printing in nix-instantiate's formats, and
// Instantiate, a nix-instantiate work-alike behind `nixcsh eval`.
//
// Evaluation is single-threaded: an Evaluator and the Values it produces must
// be used from one goroutine at a time (thunks are updated in place without
// locking).
//
// Errors are *EvalError values whose text follows Nix 2.3x ("expected a set
// but found a string: ...", "attribute 'x' missing", "infinite recursion
// encountered"), with the position of the cause and a trace of where the
// value was needed; FormatError renders them exactly as nix-instantiate
// prints them. Go panics never escape: evaluation is bounded by a call depth
// (Options.MaxCallDepth), a nesting depth for thunks, size limits for strings
// and lists, and optionally a step budget (Options.MaxSteps), and anything
// unexpected is turned into an error.
package nix

import (
	"fmt"
	"io"
	"sort"
)

// Pos is a source position. Line and Col are 1-based; a zero Pos is unknown.
type Pos struct {
	File      string
	Line, Col int
}

func (p Pos) String() string {
	if p.Line == 0 {
		return p.File
	}
	return fmt.Sprintf("%s:%d:%d", p.File, p.Line, p.Col)
}

// IsValid reports whether the position points into a file.
func (p Pos) IsValid() bool { return p.Line > 0 }

// Options configure an Evaluator.
type Options struct {
	// SearchPath entries are "name=path" or "path", in the order of -I flags
	// followed by NIX_PATH entries; they resolve <name> lookups.
	SearchPath []string
	// Getenv backs builtins.getEnv (nil: every variable is empty).
	Getenv func(string) string
	// Trace receives builtins.trace and warning output (nil: discarded).
	Trace io.Writer
	// MaxCallDepth bounds nested function calls (0: 10000).
	MaxCallDepth int
	// MaxSteps bounds the function calls of the evaluator's lifetime, so an
	// untrusted expression cannot run forever (0: unlimited).
	MaxSteps int64
	// HostPaths keeps a path used as a string ("${./file}") the host's path
	// instead of the store path Nix would copy it to. nixcsh's module
	// evaluation sets it: there is no /nix/store, and the build copies what
	// a configuration reads into the generation itself.
	HostPaths bool
	// AbortOnWarn makes builtins.warn an error after printing its warning
	// (Nix's abort-on-warn setting), to reveal where it came from.
	AbortOnWarn bool
}

// Value is a Nix value, possibly an unevaluated thunk. Use Force to get its
// weak head normal form and the inspection functions on forced values.
type Value interface{ isValue() }

// Null returns the Nix null.
func Null() Value { return nullV }

// Bool returns a Nix boolean.
func Bool(b bool) Value {
	if b {
		return trueV
	}
	return falseV
}

// Int returns a Nix integer.
func Int(i int64) Value { return intVal(i) }

// Float returns a Nix float.
func Float(f float64) Value { return floatVal(f) }

// String returns a Nix string (without context).
func String(s string) Value { return &strVal{s: s} }

// Path returns a Nix path value; path should be absolute and clean.
func Path(p string) Value { return pathVal(p) }

// List returns a Nix list holding elems (which may be unforced).
func List(elems []Value) Value { return &listVal{elems: elems} }

// Attrs returns a Nix attribute set of the (possibly unforced) values in m.
func Attrs(m map[string]Value) Value {
	a := newAttrs(len(m))
	for k, v := range m {
		a.set(k, v, Pos{})
	}
	return a
}

// AttrsExplained is Attrs whose missing attributes explain themselves:
// selecting an absent name (s.name, builtins.getAttr) fails with
// explain(name)'s message instead of "attribute 'name' missing" (an empty
// message keeps Nix's). A name explain reports as known also gets that
// message when a `with` of this set is the only place it could come from,
// instead of "undefined variable". Used for nixcsh's pkgs, whose absent
// names are host packages to install or nixpkgs functions nixcsh lacks.
func AttrsExplained(m map[string]Value, explain func(name string) (msg string, known bool)) Value {
	a := Attrs(m).(*attrsVal)
	a.explain = explain
	return a
}

// Lazy returns a thunk that runs f once, on first Force. While f runs the
// thunk is blackholed: forcing it again is "infinite recursion encountered".
func Lazy(f func() (Value, error)) Value { return &thunk{fn: f} }

// Builtin returns a primop of the given arity. fn receives the arguments
// unforced and returns the result (which may itself be unforced).
func Builtin(name string, arity int, fn func(e *Evaluator, args []Value) (Value, error)) Value {
	return &primop{name: name, arity: arity, ext: fn}
}

// TypeOf returns builtins.typeOf's name for a forced value ("thunk" if not).
func TypeOf(v Value) string { return typeName(v) }

// AttrNames returns the sorted attribute names of a forced set (nil otherwise).
func AttrNames(v Value) []string {
	a, ok := v.(*attrsVal)
	if !ok {
		return nil
	}
	return append([]string(nil), a.names()...)
}

// GetAttr returns an attribute of a forced set, unforced.
func GetAttr(v Value, name string) (Value, bool) {
	a, ok := v.(*attrsVal)
	if !ok {
		return nil, false
	}
	at, ok := a.m[name]
	return at.v, ok
}

// AttrPos returns where an attribute of a forced set was defined.
func AttrPos(v Value, name string) (Pos, bool) {
	a, ok := v.(*attrsVal)
	if !ok {
		return Pos{}, false
	}
	at, ok := a.m[name]
	if !ok || !at.pos.IsValid() {
		return Pos{}, false
	}
	return at.pos, true
}

// Elems returns the (unforced) elements of a forced list.
func Elems(v Value) []Value {
	if l, ok := v.(*listVal); ok {
		return l.elems
	}
	return nil
}

// AsBool returns the boolean of a forced value.
func AsBool(v Value) (bool, bool) { b, ok := v.(boolVal); return bool(b), ok }

// AsInt returns the integer of a forced value.
func AsInt(v Value) (int64, bool) { i, ok := v.(intVal); return int64(i), ok }

// AsFloat returns the float of a forced value (integers convert).
func AsFloat(v Value) (float64, bool) {
	switch x := v.(type) {
	case floatVal:
		return float64(x), true
	case intVal:
		return float64(x), true
	}
	return 0, false
}

// AsString returns the text of a forced string or path.
func AsString(v Value) (string, bool) {
	switch x := v.(type) {
	case *strVal:
		return x.s, true
	case pathVal:
		return string(x), true
	}
	return "", false
}

// Print renders an already deep-forced value as nix-instantiate --eval does.
func Print(v Value) string { return printValue(v) }

// FromGo converts plain Go data to a Nix value: nil, bool, int, int64,
// float64, string, []any, []string, []Value, map[string]any,
// map[string]string, map[string]Value, and Value itself.
func FromGo(x any) Value {
	switch t := x.(type) {
	case nil:
		return nullV
	case Value:
		return t
	case bool:
		return Bool(t)
	case int:
		return intVal(t)
	case int64:
		return intVal(t)
	case int32:
		return intVal(t)
	case float64:
		return floatVal(t)
	case float32:
		return floatVal(t)
	case string:
		return String(t)
	case []any:
		l := make([]Value, len(t))
		for i, e := range t {
			l[i] = FromGo(e)
		}
		return List(l)
	case []string:
		l := make([]Value, len(t))
		for i, e := range t {
			l[i] = String(e)
		}
		return List(l)
	case []Value:
		return List(t)
	case map[string]any:
		a := newAttrs(len(t))
		for k, e := range t {
			a.set(k, FromGo(e), Pos{})
		}
		return a
	case map[string]string:
		a := newAttrs(len(t))
		for k, e := range t {
			a.set(k, String(e), Pos{})
		}
		return a
	case map[string]Value:
		return Attrs(t)
	}
	return String(fmt.Sprint(x))
}

// EvalError is an evaluation or parse error. Error() renders it as Nix does.
type EvalError struct {
	Pos   Pos
	Msg   string
	Trace []string // outermost first: "while calling 'f' at file:line:col"

	frames   []frame
	elided   int    // frames of a very deep stack not kept ...
	elidedAt int    // ... from this index of frames on
	hint     string // "Did you mean ...?"
	// catchable marks throw and assert failures, which tryEval catches even
	// after passing through a Builtin as an error value
	catchable bool
}

func (e *EvalError) Error() string {
	s := "error: " + e.Msg
	if e.Pos.IsValid() {
		s += "\n       at " + e.Pos.String()
	}
	if e.hint != "" {
		s += "\n       " + e.hint
	}
	return s
}

func sortedKeys[M ~map[string]V, V any](m M) []string {
	ks := make([]string, 0, len(m))
	for k := range m {
		ks = append(ks, k)
	}
	sort.Strings(ks)
	return ks
}
