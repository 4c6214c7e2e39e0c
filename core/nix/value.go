package nix

import "sort"

type nullVal struct{}
type boolVal bool
type intVal int64
type floatVal float64

// strVal is a string with its context: the store paths it refers to
// (context.go). The context is behind a pointer so that the many strings
// without one stay small.
type strVal struct {
	s   string
	ctx *strCtx
}
type pathVal string

type listVal struct{ elems []Value }

type attr struct {
	v   Value
	pos Pos
}

// attrsVal is an attribute set; names are sorted lazily for iteration.
type attrsVal struct {
	m    map[string]attr
	keys []string
	// explain, if set, words the error for a missing attribute (see
	// AttrsExplained); sets made from this one (//, mapAttrs) do not keep it.
	explain func(name string) (msg string, known bool)
}

// missingMsg is the error text for selecting the absent attribute name;
// known says the set's explain knows why it is absent (no "did you mean").
func (a *attrsVal) missingMsg(name string) (msg string, known bool) {
	if a.explain != nil {
		if msg, known := a.explain(name); msg != "" {
			return msg, known
		}
	}
	return "attribute '" + name + "' missing", false
}

// lambdaVal is a closure.
type lambdaVal struct {
	fn  *Lambda
	env *env
}

// primop is a builtin function of fixed arity.
type primop struct {
	name  string
	arity int
	fn    func(e *Evaluator, pos Pos, args []Value) Value // internal builtins (panic on error)
	ext   func(e *Evaluator, args []Value) (Value, error) // Builtin() from API users
}

// primopApp is a partial application of a primop.
type primopApp struct {
	op   *primop
	args []Value
}

// thunk is a delayed computation, updated in place once evaluated.
type thunk struct {
	expr  Expr
	env   *env
	fn    func() (Value, error)
	val   Value
	state uint8 // 0 pending, 1 running (blackhole: forcing it again is infinite recursion), 2 done (val holds the value)
}

func (nullVal) isValue()    {}
func (boolVal) isValue()    {}
func (intVal) isValue()     {}
func (floatVal) isValue()   {}
func (*strVal) isValue()    {}
func (pathVal) isValue()    {}
func (*listVal) isValue()   {}
func (*attrsVal) isValue()  {}
func (*lambdaVal) isValue() {}
func (*primop) isValue()    {}
func (*primopApp) isValue() {}
func (*thunk) isValue()     {}

var (
	nullV  Value = nullVal{}
	trueV  Value = boolVal(true)
	falseV Value = boolVal(false)
)

func mkBool(b bool) Value {
	if b {
		return trueV
	}
	return falseV
}

func mkStr(s string) *strVal { return &strVal{s: s} }

func newAttrs(n int) *attrsVal { return &attrsVal{m: make(map[string]attr, n)} }

func (a *attrsVal) set(k string, v Value, p Pos) {
	if _, ok := a.m[k]; !ok {
		a.keys = nil
	}
	a.m[k] = attr{v, p}
}

func (a *attrsVal) names() []string {
	if a.keys == nil || len(a.keys) != len(a.m) {
		ks := make([]string, 0, len(a.m))
		for k := range a.m {
			ks = append(ks, k)
		}
		sort.Strings(ks)
		a.keys = ks
	}
	return a.keys
}

var emptyAttrs = &attrsVal{m: map[string]attr{}, keys: []string{}}

func typeName(v Value) string {
	switch x := v.(type) {
	case nullVal:
		return "null"
	case boolVal:
		return "bool"
	case intVal:
		return "int"
	case floatVal:
		return "float"
	case *strVal:
		return "string"
	case pathVal:
		return "path"
	case *listVal:
		return "list"
	case *attrsVal:
		return "set"
	case *lambdaVal, *primop, *primopApp:
		return "lambda"
	case *thunk:
		if x.state == 2 {
			return typeName(x.val)
		}
		return "thunk"
	}
	return "unknown"
}

// showType is the wording of type errors ("a set", "an integer", ...).
func showType(v Value) string {
	switch v.(type) {
	case nullVal:
		return "null"
	case boolVal:
		return "a Boolean"
	case intVal:
		return "an integer"
	case floatVal:
		return "a float"
	case *strVal:
		return "a string"
	case pathVal:
		return "a path"
	case *listVal:
		return "a list"
	case *attrsVal:
		return "a set"
	case *lambdaVal:
		return "a function"
	case *primop:
		return "a built-in function"
	case *primopApp:
		return "a partially applied built-in function"
	case *thunk:
		return "a thunk"
	}
	return "unknown"
}

func sortStrings(s []string) { sort.Strings(s) }

func sortBindings(bs []*Binding) {
	sort.Slice(bs, func(i, j int) bool { return bs[i].name < bs[j].name })
}
