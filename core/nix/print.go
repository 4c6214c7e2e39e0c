package nix

import (
	"math"
	"strconv"
	"strings"
)

// printValue renders v in nix-instantiate --eval format (as trace and
// error messages show values). Values must be forced already; unforced
// thunks print as «thunk».
func printValue(v Value) string { return printWith(v, "«thunk»") }

// printOutput renders v as nix-instantiate --eval prints a result, where
// an unforced value is <CODE>.
func printOutput(v Value) string { return printWith(v, "<CODE>") }

func printWith(v Value, thunk string) string {
	var b strings.Builder
	pr := printer{b: &b, seen: map[any]bool{}, thunk: thunk}
	pr.print(v)
	return b.String()
}

type printer struct {
	b    *strings.Builder
	seen map[any]bool
	// thunk is how an unforced value prints: <CODE> in nix-instantiate's
	// output, «thunk» in traces and error messages.
	thunk string
	// limits for values shown inside error messages (0: unlimited)
	maxDepth, maxAttrs, maxList, maxString int
	attrsPrinted, listPrinted, depth       int
}

// printLimited renders v as Nix shows values inside error messages: at
// most 10 levels, 10 attributes, 10 list items and 1024 bytes of a string.
func printLimited(v Value) string {
	var b strings.Builder
	pr := printer{b: &b, seen: map[any]bool{}, thunk: "«thunk»", maxDepth: 10, maxAttrs: 10, maxList: 10, maxString: 1024}
	pr.print(v)
	return b.String()
}

func plural(n int, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return strconv.Itoa(n) + " " + many
}

func (pr *printer) print(slot Value) {
	v := slot
	if t, ok := slot.(*thunk); ok {
		if t.state != 2 {
			pr.b.WriteString(pr.thunk)
			return
		}
		v = t.val
	}
	switch x := v.(type) {
	case nullVal:
		pr.b.WriteString("null")
	case boolVal:
		if x {
			pr.b.WriteString("true")
		} else {
			pr.b.WriteString("false")
		}
	case intVal:
		pr.b.WriteString(strconv.FormatInt(int64(x), 10))
	case floatVal:
		pr.b.WriteString(formatFloat(float64(x)))
	case *strVal:
		if pr.maxString > 0 && len(x.s) > pr.maxString {
			pr.b.WriteString(quoteString(x.s[:pr.maxString]) + "«" + plural(len(x.s)-pr.maxString, "byte", "bytes") + " elided»")
			return
		}
		pr.b.WriteString(quoteString(x.s))
	case pathVal:
		pr.b.WriteString(string(x))
	case *listVal:
		if len(x.elems) == 0 {
			pr.b.WriteString("[ ]")
			return
		}
		if pr.maxDepth > 0 && pr.depth >= pr.maxDepth {
			pr.b.WriteString("[ ... ]")
			return
		}
		// Nix stores lists of up to two elements inside the value itself,
		// so their identity is the slot; longer lists share their storage.
		var key any = x
		if len(x.elems) <= 2 {
			key = slot
		}
		if pr.seen[key] {
			pr.b.WriteString("«repeated»")
			return
		}
		pr.seen[key] = true
		pr.b.WriteString("[ ")
		pr.depth++
		for i, e := range x.elems {
			if pr.maxList > 0 && pr.listPrinted >= pr.maxList {
				pr.b.WriteString("«" + plural(len(x.elems)-i, "item", "items") + " elided» ")
				break
			}
			pr.print(e)
			pr.listPrinted++
			pr.b.WriteByte(' ')
		}
		pr.depth--
		pr.b.WriteString("]")
	case *attrsVal:
		if len(x.m) == 0 {
			pr.b.WriteString("{ }")
			return
		}
		if pr.maxDepth > 0 && pr.depth >= pr.maxDepth {
			pr.b.WriteString("{ ... }")
			return
		}
		if pr.seen[x] {
			pr.b.WriteString("«repeated»")
			return
		}
		pr.seen[x] = true
		pr.b.WriteString("{ ")
		pr.depth++
		for i, k := range x.names() {
			if pr.maxAttrs > 0 && pr.attrsPrinted >= pr.maxAttrs {
				pr.b.WriteString("«" + plural(len(x.m)-i, "attribute", "attributes") + " elided» ")
				break
			}
			pr.b.WriteString(attrNameString(k))
			pr.b.WriteString(" = ")
			pr.print(x.m[k].v)
			pr.attrsPrinted++
			pr.b.WriteString("; ")
		}
		pr.depth--
		pr.b.WriteString("}")
	case *lambdaVal:
		pr.b.WriteString("<LAMBDA>")
	case *primop:
		pr.b.WriteString("<PRIMOP>")
	case *primopApp:
		pr.b.WriteString("<PRIMOP-APP>")
	default:
		pr.b.WriteString("«unknown»")
	}
}

// formatFloat prints like C++ iostreams' default (%g, 6 significant digits).
func formatFloat(f float64) string {
	if math.IsInf(f, 1) {
		return "inf"
	}
	if math.IsInf(f, -1) {
		return "-inf"
	}
	if math.IsNaN(f) {
		return "nan"
	}
	s := strconv.FormatFloat(f, 'g', 6, 64)
	// Go writes e+06 like C; but trims nothing else — match %g's removal of
	// trailing zeros, which FormatFloat with precision already does.
	return s
}

func quoteString(s string) string {
	var b strings.Builder
	b.Grow(len(s) + 2)
	b.WriteByte('"')
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch c {
		case '"', '\\':
			b.WriteByte('\\')
			b.WriteByte(c)
		case '\n':
			b.WriteString("\\n")
		case '\r':
			b.WriteString("\\r")
		case '\t':
			b.WriteString("\\t")
		case '$':
			if i+1 < len(s) && s[i+1] == '{' {
				b.WriteString("\\$")
			} else {
				b.WriteByte('$')
			}
		default:
			b.WriteByte(c)
		}
	}
	b.WriteByte('"')
	return b.String()
}

func isValidIdent(s string) bool {
	if s == "" || !isIDStart(s[0]) {
		return false
	}
	for i := 1; i < len(s); i++ {
		if !isIDChar(s[i]) {
			return false
		}
	}
	return !keywords[s] || s == "or"
}

func attrNameString(k string) string {
	if isValidIdent(k) {
		return k
	}
	return quoteString(k)
}

// showExpr renders an expression as Nix's --parse output does.
func showExpr(e Expr) string {
	var b strings.Builder
	showTo(&b, e)
	return b.String()
}

func showTo(b *strings.Builder, e Expr) {
	switch x := e.(type) {
	case *ExprConst:
		switch v := x.v.(type) {
		case *strVal:
			b.WriteString(quoteString(v.s))
		default:
			b.WriteString(printValue(v))
		}
	case *ExprVar:
		b.WriteString(x.name)
	case *ExprCurPos:
		b.WriteString("__curPos")
	case *ExprConcat:
		b.WriteString("(")
		for i, p := range x.parts {
			if i > 0 {
				b.WriteString(" + ")
			}
			showTo(b, p)
		}
		b.WriteString(")")
	case *ExprSelect:
		if x.def != nil {
			b.WriteString("(")
		}
		b.WriteString("(")
		if x.e != nil {
			showTo(b, x.e)
		}
		b.WriteString(").")
		showPath(b, x.path)
		if x.def != nil {
			b.WriteString(" or ")
			showTo(b, x.def)
			b.WriteString(")")
		}
	case *ExprHasAttr:
		b.WriteString("((")
		showTo(b, x.e)
		b.WriteString(") ? ")
		showPath(b, x.path)
		b.WriteString(")")
	case *ExprAttrs:
		if x.rec {
			b.WriteString("rec ")
		}
		b.WriteString("{ ")
		showBinds(b, x)
		b.WriteString("}")
	case *ExprList:
		b.WriteString("[ ")
		for _, el := range x.elems {
			b.WriteString("(")
			showTo(b, el)
			b.WriteString(") ")
		}
		b.WriteString("]")
	case *Lambda:
		b.WriteString("(")
		if x.hasFormals {
			b.WriteString("{ ")
			for i, f := range x.formals {
				if i > 0 {
					b.WriteString(", ")
				}
				b.WriteString(f.name)
				if f.def != nil {
					b.WriteString(" ? ")
					showTo(b, f.def)
				}
			}
			if x.ellipsis {
				if len(x.formals) > 0 {
					b.WriteString(", ")
				}
				b.WriteString("...")
			}
			b.WriteString(" }")
			if x.arg != "" {
				b.WriteString(" @ " + x.arg)
			}
		} else {
			b.WriteString(x.arg)
		}
		b.WriteString(": ")
		showTo(b, x.body)
		b.WriteString(")")
	case *ExprCall:
		b.WriteString("(")
		showTo(b, x.fn)
		for _, a := range x.args {
			b.WriteString(" ")
			showTo(b, a)
		}
		b.WriteString(")")
	case *ExprLet:
		b.WriteString("(let ")
		showBinds(b, x.attrs)
		b.WriteString("in ")
		showTo(b, x.body)
		b.WriteString(")")
	case *ExprWith:
		b.WriteString("(with ")
		showTo(b, x.attrs)
		b.WriteString("; ")
		showTo(b, x.body)
		b.WriteString(")")
	case *ExprIf:
		b.WriteString("(if ")
		showTo(b, x.cond)
		b.WriteString(" then ")
		showTo(b, x.then)
		b.WriteString(" else ")
		showTo(b, x.els)
		b.WriteString(")")
	case *ExprAssert:
		b.WriteString("assert ")
		showTo(b, x.cond)
		b.WriteString("; ")
		showTo(b, x.body)
	case *ExprNot:
		b.WriteString("(! ")
		showTo(b, x.e)
		b.WriteString(")")
	case *ExprNeg:
		b.WriteString("(__sub 0 ")
		showTo(b, x.e)
		b.WriteString(")")
	case *ExprBinOp:
		switch x.op {
		case opSub, opMul, opDiv, opLt, opGt, opLe, opGe:
			fn := map[binOp]string{opSub: "__sub", opMul: "__mul", opDiv: "__div", opLt: "__lessThan", opGt: "__lessThan", opLe: "__lessThan", opGe: "__lessThan"}[x.op]
			l, r := x.l, x.r
			if x.op == opGt || x.op == opLe {
				l, r = r, l
			}
			if x.op == opLe || x.op == opGe {
				b.WriteString("(! ")
			}
			b.WriteString("(" + fn + " ")
			showTo(b, l)
			b.WriteString(" ")
			showTo(b, r)
			b.WriteString(")")
			if x.op == opLe || x.op == opGe {
				b.WriteString(")")
			}
			return
		}
		b.WriteString("(")
		showTo(b, x.l)
		b.WriteString(" " + binOpNames[x.op] + " ")
		showTo(b, x.r)
		b.WriteString(")")
	}
}

func showPath(b *strings.Builder, path []AttrName) {
	for i, n := range path {
		if i > 0 {
			b.WriteString(".")
		}
		if n.expr != nil {
			b.WriteString("\"${")
			showTo(b, n.expr)
			b.WriteString("}\"")
		} else {
			b.WriteString(attrNameString(n.name))
		}
	}
}

func showBinds(b *strings.Builder, a *ExprAttrs) {
	var plainInh []string
	byFrom := map[int][]string{}
	var rest []*Binding
	for _, bd := range a.binds {
		switch {
		case bd.inherited:
			plainInh = append(plainInh, bd.name)
		case bd.fromIdx >= 0:
			byFrom[bd.fromIdx] = append(byFrom[bd.fromIdx], bd.name)
		default:
			rest = append(rest, bd)
		}
	}
	sortStrings(plainInh)
	if len(plainInh) > 0 {
		b.WriteString("inherit")
		for _, n := range plainInh {
			b.WriteString(" " + attrNameString(n))
		}
		b.WriteString("; ")
	}
	for i, e := range a.inheritFrom {
		names := byFrom[i]
		sortStrings(names)
		b.WriteString("inherit (")
		showTo(b, e)
		b.WriteString(")")
		for _, n := range names {
			b.WriteString(" " + attrNameString(n))
		}
		b.WriteString("; ")
	}
	sortBindings(rest)
	for _, bd := range rest {
		b.WriteString(attrNameString(bd.name))
		b.WriteString(" = ")
		showTo(b, bd.value)
		b.WriteString("; ")
	}
	for _, d := range a.dyn {
		b.WriteString("\"${")
		showTo(b, d.name)
		b.WriteString("}\" = ")
		showTo(b, d.value)
		b.WriteString("; ")
	}
}
