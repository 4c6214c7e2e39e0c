package nix

import "sync/atomic"

// Expr is a node of the parsed syntax tree. Every node knows its position.
//
// eval returns a value in weak head normal form, never a pending thunk:
// laziness is not in eval but in mkThunk, which the nodes call for what Nix
// evaluates only on demand (bindings, list elements, call arguments, the
// set of a `with`). So a caller of eval can switch on the value's type at
// once, and a thunk is made only where something is actually delayed.
type Expr interface {
	P() Pos
	eval(ev *Evaluator, en *env) Value
}

type node struct{ pos Pos }

func (n *node) P() Pos { return n.pos }

// ExprConst is a literal int, float, string or path (value prebuilt).
type ExprConst struct {
	node
	v Value
}

// ExprConcat is string interpolation ("a${b}c"), interpolated paths, or the
// + operator (isPlus) whose result type follows its first operand.
type ExprConcat struct {
	node
	parts   []Expr
	partPos []Pos // where each ${ of a string began (zero for literal text)
	isPlus  bool
	isPath  bool // interpolated path literal
}

// ExprVar is a variable, resolved at bind time to (level, index) or to a
// dynamic lookup through enclosing `with` scopes.
type ExprVar struct {
	node
	name     string
	level    int
	idx      int
	fromWith bool
}

// AttrName is one component of an attribute path: a static name or an
// expression (${e} or an interpolated "string").
type AttrName struct {
	name string
	expr Expr
}

type ExprSelect struct {
	node
	e       Expr
	path    []AttrName
	def     Expr
	pathStr atomic.Pointer[string] // the path as traces show it, computed on first use (an AST may be shared between evaluators)
}

type ExprHasAttr struct {
	node
	e    Expr
	path []AttrName
}

// Binding is a static attribute of a set or let.
type Binding struct {
	name      string
	value     Expr
	pos       Pos
	inherited bool // `inherit x;` — value is a variable of the outer scope
	fromIdx   int  // `inherit (e) x;` — index into inheritFrom, else -1
}

type DynBinding struct {
	name  Expr
	value Expr
	pos   Pos
}

type ExprAttrs struct {
	node
	rec         bool
	binds       []*Binding
	index       map[string]int
	dyn         []*DynBinding
	inheritFrom []Expr
	fromPath    bool // created implicitly by an attribute path a.b = ...
}

type ExprList struct {
	node
	elems []Expr
}

type Formal struct {
	name string
	def  Expr
	pos  Pos
}

type Lambda struct {
	node
	name       string // for traces: the attribute or let name it was bound to
	arg        string
	hasFormals bool
	formals    []Formal // sorted by name
	ellipsis   bool
	body       Expr
}

type ExprCall struct {
	node
	fn   Expr
	args []Expr
}

type ExprLet struct {
	node
	attrs *ExprAttrs
	body  Expr
}

type ExprWith struct {
	node
	attrs Expr
	body  Expr
}

type ExprIf struct {
	node
	cond, then, els Expr
}

type ExprAssert struct {
	node
	cond, body Expr
}

type ExprNot struct {
	node
	e Expr
}

type ExprNeg struct {
	node
	e Expr
}

type binOp int

const (
	opEq binOp = iota
	opNEq
	opAnd
	opOr
	opImpl
	opUpdate
	opConcatLists
	opSub
	opMul
	opDiv
	opLt
	opLe
	opGt
	opGe
)

var binOpNames = [...]string{"==", "!=", "&&", "||", "->", "//", "++", "-", "*", "/", "<", "<=", ">", ">="}

type ExprBinOp struct {
	node
	op   binOp
	l, r Expr
}

// ExprCurPos is __curPos.
type ExprCurPos struct{ node }
