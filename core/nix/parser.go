package nix

import (
	"fmt"
	"math"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
)

// parseCtx is a recursive-descent parser over a lazily driven lexer (string
// literals are lexed on demand, so lookahead never runs past a quote).
type parseCtx struct {
	lx      *lexer
	tok     token
	hasTok  bool
	baseDir string // directory for relative path literals
	home    string
	depth   int
	ev      *Evaluator // for lint settings; may be nil
}

const maxParseDepth = 2000

// parse parses a whole file. Errors panic as *parseError.
func (p *parseCtx) peek() token {
	if !p.hasTok {
		p.tok = p.lx.next()
		p.hasTok = true
	}
	return p.tok
}

func (p *parseCtx) nextTok() token {
	t := p.peek()
	p.hasTok = false
	return t
}

func (p *parseCtx) isOp(s string) bool {
	t := p.peek()
	return t.kind == tOP && t.s == s
}

func (p *parseCtx) isKW(s string) bool {
	t := p.peek()
	return t.kind == tKW && t.s == s
}

func (p *parseCtx) pos(off int) Pos { return p.lx.pos(off) }

// tokenDesc names a token as Nix's (Bison) parser does in syntax errors.
func tokenDesc(t token) string {
	switch t.kind {
	case tEOF:
		return "end of file"
	case tINT:
		return "integer"
	case tFLOAT:
		return "floating-point literal"
	case tPATH, tPATHSTART:
		return "path"
	case tHPATH, tHPATHSTART:
		return "'~/…' path"
	case tSPATH:
		return "'<…>' path"
	case tURI:
		return "URI"
	case tINDOPEN:
		return "start of an indented string"
	case tINVALID:
		return "invalid token"
	case tID:
		return "identifier"
	}
	return "'" + t.s + "'"
}

func (p *parseCtx) unexpected(t token) { p.unexpectedExpecting(t, "") }

// unexpectedExpecting reports a syntax error, naming what could have come.
func (p *parseCtx) unexpectedExpecting(t token, expecting string) {
	msg := "syntax error, unexpected " + tokenDesc(t)
	if expecting != "" {
		msg += ", expecting " + expecting
	}
	panic(&parseError{p.pos(t.off), msg})
}

const expectAttrName = `identifier or 'or' or '${' or '"'`

func (p *parseCtx) expectOp(s string) token {
	t := p.nextTok()
	if t.kind != tOP || t.s != s {
		if t.kind == tEOF {
			p.lx.fail(t.off, "syntax error, unexpected end of file, expecting '%s'", s)
		}
		p.lx.fail(t.off, "syntax error, unexpected '%s', expecting '%s'", t.s, s)
	}
	return t
}

func (p *parseCtx) expectKW(s string) token {
	t := p.nextTok()
	if t.kind != tKW || t.s != s {
		if t.kind == tEOF {
			p.lx.fail(t.off, "syntax error, unexpected end of file, expecting '%s'", s)
		}
		p.lx.fail(t.off, "syntax error, unexpected '%s', expecting '%s'", t.s, s)
	}
	return t
}

func (p *parseCtx) enter() {
	p.depth++
	if p.depth > maxParseDepth {
		p.lx.fail(p.lx.off, "expression nested too deeply")
	}
}

func (p *parseCtx) parseFile() Expr {
	e := p.parseExpr()
	if t := p.peek(); t.kind != tEOF {
		p.unexpectedExpecting(t, "end of file")
	}
	return e
}

// saved lexer state for backtracking lookahead
type lexState struct {
	off    int
	tok    token
	hasTok bool
}

func (p *parseCtx) save() lexState        { return lexState{p.lx.off, p.tok, p.hasTok} }
func (p *parseCtx) restore(s lexState)    { p.lx.off, p.tok, p.hasTok = s.off, s.tok, s.hasTok }
func (p *parseCtx) tokPos(t token) Pos    { return p.pos(t.off) }
func mkConst(pos Pos, v Value) *ExprConst { return &ExprConst{node{pos}, v} }

func (p *parseCtx) parseExpr() Expr {
	p.enter()
	e := p.parseExpr1()
	p.depth--
	return e
}

func (p *parseCtx) parseExpr1() Expr {
	t := p.peek()
	switch {
	case t.kind == tID:
		st := p.save()
		p.nextTok()
		if p.isOp(":") {
			p.nextTok()
			body := p.parseExpr()
			return &Lambda{node: node{p.tokPos(t)}, arg: t.s, body: body}
		}
		if p.isOp("@") {
			p.nextTok()
			if !p.isOp("{") {
				p.unexpected(p.peek())
			}
			p.nextTok()
			l := p.parseFormals(p.tokPos(t))
			l.arg = t.s
			p.checkFormalsDup(l)
			p.expectOp(":")
			l.body = p.parseExpr()
			return l
		}
		p.restore(st)
	case t.kind == tOP && t.s == "{":
		if p.looksLikeFormals() {
			lb := p.nextTok()
			l := p.parseFormals(p.tokPos(lb))
			if p.isOp("@") {
				p.nextTok()
				id := p.nextTok()
				if id.kind != tID {
					p.unexpected(id)
				}
				l.arg = id.s
			}
			p.checkFormalsDup(l)
			p.expectOp(":")
			l.body = p.parseExpr()
			return l
		}
	case t.kind == tKW && t.s == "assert":
		p.nextTok()
		c := p.parseExpr()
		p.expectOp(";")
		b := p.parseExpr()
		return &ExprAssert{node{p.tokPos(t)}, c, b}
	case t.kind == tKW && t.s == "with":
		p.nextTok()
		a := p.parseExpr()
		p.expectOp(";")
		b := p.parseExpr()
		return &ExprWith{node{p.tokPos(t)}, a, b}
	case t.kind == tKW && t.s == "let":
		p.nextTok()
		if p.isOp("{") {
			// let { ...; body = ...; } : an old-style recursive set
			lb := p.nextTok()
			a := p.parseBinds(p.tokPos(lb), "}")
			a.rec = true
			p.expectOp("}")
			return &ExprSelect{node: node{p.tokPos(t)}, e: a, path: []AttrName{{name: "body"}}}
		}
		a := p.parseBinds(p.tokPos(t), "in")
		for _, b := range a.dyn {
			panic(&parseError{b.pos, "dynamic attributes not allowed in let"})
		}
		p.expectKW("in")
		a.rec = true
		body := p.parseExpr()
		return &ExprLet{node{p.tokPos(t)}, a, body}
	}
	return p.parseIf()
}

func (p *parseCtx) looksLikeFormals() bool {
	st := p.save()
	defer p.restore(st)
	p.nextTok() // {
	t := p.nextTok()
	switch {
	case t.kind == tOP && t.s == "...":
		return true
	case t.kind == tOP && t.s == "}":
		n := p.peek()
		return n.kind == tOP && (n.s == ":" || n.s == "@")
	case t.kind == tID:
		n := p.peek()
		return n.kind == tOP && (n.s == "," || n.s == "?" || n.s == "}")
	}
	return false
}

func (p *parseCtx) parseFormals(pos Pos) *Lambda {
	l := &Lambda{node: node{pos}, hasFormals: true}
	for {
		t := p.nextTok()
		if t.kind == tOP && t.s == "}" {
			break
		}
		if t.kind == tOP && t.s == "..." {
			l.ellipsis = true
			if !p.isOp("}") {
				p.unexpected(p.peek())
			}
			continue
		}
		if t.kind != tID {
			p.unexpected(t)
		}
		f := Formal{name: t.s, pos: p.tokPos(t)}
		if p.isOp("?") {
			p.nextTok()
			f.def = p.parseExpr()
		}
		l.formals = append(l.formals, f)
		if p.isOp(",") {
			p.nextTok()
			continue
		}
		if !p.isOp("}") {
			p.unexpectedExpecting(p.peek(), "'}' or ','")
		}
	}
	return l
}

func (p *parseCtx) checkFormalsDup(l *Lambda) {
	seen := map[string]bool{}
	for _, f := range l.formals {
		if seen[f.name] {
			panic(&parseError{f.pos, "duplicate formal function argument '" + f.name + "'"})
		}
		seen[f.name] = true
	}
	if l.arg != "" && seen[l.arg] {
		panic(&parseError{l.pos, "duplicate formal function argument '" + l.arg + "'"})
	}
	sort.SliceStable(l.formals, func(i, j int) bool { return l.formals[i].name < l.formals[j].name })
}

func (p *parseCtx) parseIf() Expr {
	t := p.peek()
	if t.kind == tKW && t.s == "if" {
		p.nextTok()
		c := p.parseExpr()
		p.expectKW("then")
		a := p.parseExpr()
		p.expectKW("else")
		b := p.parseExpr()
		return &ExprIf{node{p.tokPos(t)}, c, a, b}
	}
	return p.parseBinary(0)
}

// binary operator levels, lowest first
type opInfo struct {
	prec  int
	right bool
	nonA  bool
}

var binOps = map[string]opInfo{
	"->": {1, true, false},
	"||": {2, false, false},
	"&&": {3, false, false},
	"==": {4, false, true}, "!=": {4, false, true},
	"<": {5, false, true}, "<=": {5, false, true}, ">": {5, false, true}, ">=": {5, false, true},
	"//": {6, true, false},
	// 7: prefix !
	"+": {8, false, false}, "-": {8, false, false},
	"*": {9, false, false}, "/": {9, false, false},
	"++": {10, true, false},
	// 11: ?   12: unary minus
}

func (p *parseCtx) parseBinary(minPrec int) Expr {
	p.enter()
	e := p.parseBinary1(minPrec)
	p.depth--
	return e
}

func (p *parseCtx) parseBinary1(minPrec int) Expr {
	var lhs Expr
	if t := p.peek(); t.kind == tOP && t.s == "!" && minPrec <= 7 {
		p.nextTok()
		e := p.parseBinary(7)
		lhs = &ExprNot{node{p.tokPos(t)}, e}
	} else {
		lhs = p.parseHasAttr()
	}
	lastPrec := -1
	for {
		t := p.peek()
		if t.kind != tOP {
			return lhs
		}
		if t.s == "|>" || t.s == "<|" {
			panic(&parseError{p.tokPos(t), "experimental Nix feature 'pipe-operators' is disabled; add '--extra-experimental-features pipe-operators' to enable it"})
		}
		info, ok := binOps[t.s]
		if !ok || info.prec < minPrec {
			return lhs
		}
		if info.nonA && info.prec == lastPrec {
			p.unexpected(t)
		}
		p.nextTok()
		next := info.prec + 1
		if info.right {
			next = info.prec
		}
		rhs := p.parseBinary(next)
		pos := p.tokPos(t)
		lhs = mkBinOp(pos, t.s, lhs, rhs)
		lastPrec = info.prec
	}
}

func mkBinOp(pos Pos, op string, l, r Expr) Expr {
	switch op {
	case "+":
		return &ExprConcat{node: node{pos}, parts: []Expr{l, r}, isPlus: true}
	}
	for i, n := range binOpNames {
		if n == op {
			return &ExprBinOp{node{pos}, binOp(i), l, r}
		}
	}
	panic("unknown operator " + op)
}

// parseHasAttr: e ? a.b.c (binds tighter than ++, looser than unary minus)
func (p *parseCtx) parseHasAttr() Expr {
	e := p.parseNeg()
	for p.isOp("?") {
		t := p.nextTok()
		path := p.parseAttrPath()
		e = &ExprHasAttr{node{p.tokPos(t)}, e, path}
	}
	return e
}

func (p *parseCtx) parseNeg() Expr {
	if t := p.peek(); t.kind == tOP && t.s == "-" {
		p.nextTok()
		p.enter()
		e := p.parseNeg()
		p.depth--
		return &ExprNeg{node{p.tokPos(t)}, e}
	}
	return p.parseApp()
}

func (p *parseCtx) startsSimple(t token) bool {
	switch t.kind {
	case tID, tINT, tFLOAT, tPATH, tPATHSTART, tHPATH, tHPATHSTART, tSPATH, tURI, tDQUOTE, tINDOPEN:
		return true
	case tKW:
		return t.s == "rec"
	case tOP:
		return t.s == "(" || t.s == "{" || t.s == "["
	}
	return false
}

func (p *parseCtx) parseApp() Expr {
	start := p.peek().off
	fn := p.parseSelect(true)
	var args []Expr
	for p.startsSimple(p.peek()) {
		args = append(args, p.parseSelect(false))
	}
	if len(args) == 0 {
		return fn
	}
	return &ExprCall{node{p.pos(start)}, fn, args}
}

// parseSelect parses e.a.b, e.a.b or default, and the backwards-compatible
// `e or` (a call of e with the variable `or`), which Nix warns about unless
// it heads an application.
func (p *parseCtx) parseSelect(head bool) Expr {
	start := p.peek().off
	e := p.parseSimple()
	if p.isKW("or") {
		ot := p.nextTok()
		call := &ExprCall{node{p.pos(start)}, e, []Expr{&ExprVar{node: node{p.tokPos(ot)}, name: "or"}}}
		if !head && p.ev != nil {
			p.ev.warnPlain(fmt.Sprintf("at %s: This expression uses `or` as an identifier in a way that will change in a future Nix release.\nWrap this entire expression in parentheses to preserve its current meaning:\n    %s\nGive feedback at https://github.com/NixOS/nix/pull/11121", p.pos(start), "("+p.lx.src[start:ot.end]+")"))
		}
		return call
	}
	if !p.isOp(".") {
		return e
	}
	t := p.nextTok()
	path := p.parseAttrPath()
	sel := &ExprSelect{node: node{p.tokPos(t)}, e: e, path: path}
	sel.pos = e.P()
	if p.isKW("or") {
		p.nextTok()
		sel.def = p.parseSelect(false)
	}
	return sel
}

func (p *parseCtx) parseAttrPath() []AttrName {
	var path []AttrName
	for {
		path = append(path, p.parseAttrName())
		if !p.isOp(".") {
			return path
		}
		p.nextTok()
	}
}

func (p *parseCtx) parseAttrName() AttrName { return p.parseAttrNameIn(expectAttrName) }

// parseAttrNameIn parses one attribute name; expecting is named in the
// syntax error if none comes.
func (p *parseCtx) parseAttrNameIn(expecting string) AttrName {
	t := p.nextTok()
	switch {
	case t.kind == tID || t.kind == tKW && t.s == "or":
		return AttrName{name: t.s}
	case t.kind == tDQUOTE:
		e := p.parseString(t)
		if c, ok := e.(*ExprConst); ok {
			return AttrName{name: c.v.(*strVal).s}
		}
		return AttrName{expr: e}
	case t.kind == tOP && t.s == "${":
		e := p.parseExpr()
		p.expectOp("}")
		if c, ok := e.(*ExprConst); ok {
			if s, ok := c.v.(*strVal); ok {
				return AttrName{name: s.s}
			}
		}
		return AttrName{expr: e}
	}
	p.unexpectedExpecting(t, expecting)
	return AttrName{}
}

func (p *parseCtx) parseSimple() Expr {
	p.enter()
	e := p.parseSimple1()
	p.depth--
	return e
}

func (p *parseCtx) parseSimple1() Expr {
	t := p.nextTok()
	pos := p.tokPos(t)
	switch t.kind {
	case tID:
		if t.s == "__curPos" {
			return &ExprCurPos{node{pos}}
		}
		return &ExprVar{node: node{pos}, name: t.s}
	case tINT:
		n, err := strconv.ParseInt(t.s, 10, 64)
		if err != nil {
			p.lx.fail(t.off, "invalid integer '%s'", t.s)
		}
		return mkConst(pos, intVal(n))
	case tFLOAT:
		// As Nix (strtod's ERANGE): a literal out of range, overflowing or
		// underflowing to a subnormal or zero, is an error.
		f, err := strconv.ParseFloat(t.s, 64)
		mantissa := strings.TrimLeft(strings.SplitN(strings.ToLower(t.s), "e", 2)[0], "0.")
		if err != nil || math.Abs(f) < 0x1p-1022 && mantissa != "" {
			p.lx.fail(t.off, "invalid float '%s'", t.s)
		}
		return mkConst(pos, floatVal(f))
	case tPATH:
		p.lintPath(t.s, pos)
		return mkConst(pos, pathVal(p.absPath(t.s)))
	case tHPATH:
		return mkConst(pos, pathVal(p.homePath(t.s)))
	case tPATHSTART, tHPATHSTART:
		return p.parseInterpPath(t)
	case tSPATH:
		name := t.s[1 : len(t.s)-1]
		fp := &ExprVar{node: node{pos}, name: "__findFile"}
		np := &ExprVar{node: node{pos}, name: "__nixPath"}
		return &ExprCall{node{pos}, fp, []Expr{np, mkConst(pos, mkStr(name))}}
	case tURI:
		if p.ev != nil && p.ev.lintURL == "fatal" {
			panic(&parseError{pos, "URL literals are disallowed. Consider using a string literal \"" + t.s + "\" instead (lint-url-literals)"})
		}
		if p.ev != nil && p.ev.lintURL == "warn" {
			p.ev.warnAt(pos, "URL literals are discouraged. Consider using a string literal \""+t.s+"\" instead (lint-url-literals)")
		}
		return mkConst(pos, mkStr(t.s))
	case tDQUOTE:
		return p.parseString(t)
	case tINDOPEN:
		return p.parseIndString(t)
	case tKW:
		if t.s == "rec" {
			lb := p.expectOp("{")
			a := p.parseBinds(p.tokPos(lb), "}")
			p.expectOp("}")
			a.rec = true
			a.pos = pos
			return a
		}
	case tOP:
		switch t.s {
		case "(":
			e := p.parseExpr()
			p.expectOp(")")
			return e
		case "{":
			a := p.parseBinds(pos, "}")
			p.expectOp("}")
			return a
		case "[":
			l := &ExprList{node: node{pos}}
			for !p.isOp("]") {
				if p.peek().kind == tEOF {
					p.unexpected(p.peek())
				}
				if p.isKW("or") {
					ot := p.nextTok()
					l.elems = append(l.elems, &ExprVar{node: node{p.tokPos(ot)}, name: "or"})
					continue
				}
				l.elems = append(l.elems, p.parseSelect(false))
			}
			p.nextTok()
			return l
		}
	}
	p.unexpected(t)
	return nil
}

// lintPath applies --lint-short-path-literals and --lint-absolute-path-literals.
func (p *parseCtx) lintPath(s string, pos Pos) {
	if p.ev == nil {
		return
	}
	if strings.HasPrefix(s, "/") {
		if p.ev.lintAbs == "fatal" {
			panic(&parseError{pos, "absolute path literals are not portable. Consider replacing path literal '" + s + "' by a string, relative path, or parameter (lint-absolute-path-literals)"})
		}
		if p.ev.lintAbs == "warn" {
			p.ev.warnAt(pos, "absolute path literals are not portable. Consider replacing path literal '"+s+"' by a string, relative path, or parameter (lint-absolute-path-literals)")
		}
		return
	}
	if strings.HasPrefix(s, "./") || strings.HasPrefix(s, "../") {
		return
	}
	msg := "relative path literal '" + s + "' should be prefixed with '.' for clarity: './" + s + "' (lint-short-path-literals)"
	switch p.ev.lintShort {
	case "fatal":
		panic(&parseError{pos, msg})
	case "warn":
		p.ev.warnAt(pos, msg)
	}
}

func (p *parseCtx) absPath(s string) string {
	if strings.HasPrefix(s, "/") {
		return canonPath(s)
	}
	return canonPath(filepath.Join(p.baseDir, s))
}

func (p *parseCtx) homePath(s string) string {
	return canonPath(p.home + s[1:])
}

// canonPath cleans a path like Nix does (no symlink resolution).
func canonPath(s string) string {
	if s == "" {
		return "/"
	}
	c := filepath.Clean(s)
	return c
}

func (p *parseCtx) parseInterpPath(t token) Expr {
	pos := p.tokPos(t)
	var parts []Expr
	first := t.s
	if t.kind == tHPATHSTART {
		first = p.home + first[1:]
	} else if !strings.HasPrefix(first, "/") {
		first = filepath.Join(p.baseDir, first)
		if strings.HasSuffix(t.s, "/") {
			first += "/"
		}
	}
	parts = append(parts, mkConst(pos, pathVal(first)))
	p.expectOp("${")
	for {
		e := p.parseExpr()
		p.expectOp("}")
		parts = append(parts, e)
		text, more := p.lx.lexPathCont()
		if text != "" {
			parts = append(parts, mkConst(pos, mkStr(text)))
		}
		if !more {
			break
		}
	}
	return &ExprConcat{node: node{pos}, parts: parts, isPath: true}
}

// parseString parses the rest of a "..." string after its opening quote.
func (p *parseCtx) parseString(open token) Expr {
	pos := p.tokPos(open)
	var parts []Expr
	var partPos []Pos
	for {
		off := p.lx.off
		text, end := p.lx.lexStringText()
		if text != "" {
			parts = append(parts, mkConst(p.pos(off), mkStr(text)))
			partPos = append(partPos, Pos{})
		}
		if end == "\"" {
			break
		}
		dollar := p.pos(p.lx.off - 2)
		e := p.parseExpr()
		p.expectOp("}")
		parts = append(parts, e)
		partPos = append(partPos, dollar)
	}
	return mkStringExprAt(pos, parts, partPos)
}

// mkStringExprAt is mkStringExpr remembering where each ${ began.
func mkStringExprAt(pos Pos, parts []Expr, partPos []Pos) Expr {
	e := mkStringExpr(pos, parts)
	if c, ok := e.(*ExprConcat); ok {
		c.partPos = partPos
	}
	return e
}

func mkStringExpr(pos Pos, parts []Expr) Expr {
	if len(parts) == 0 {
		return mkConst(pos, mkStr(""))
	}
	if len(parts) == 1 {
		if c, ok := parts[0].(*ExprConst); ok {
			if _, isStr := c.v.(*strVal); isStr {
				return mkConst(pos, c.v)
			}
		}
	}
	return &ExprConcat{node: node{pos}, parts: parts}
}

func (p *parseCtx) parseIndString(open token) Expr {
	pos := p.tokPos(open)
	var parts []strPart
	for {
		off := p.lx.off
		text, kind := p.lx.lexIndText()
		if kind == "end" {
			break
		}
		if kind == "${" {
			e := p.parseExpr()
			p.expectOp("}")
			parts = append(parts, strPart{expr: e, off: off})
			continue
		}
		parts = append(parts, strPart{text: text, off: off, noIndent: kind == "esc"})
	}
	return p.stripIndentation(pos, parts)
}

// stripIndentation removes the common leading indentation of an indented
// string, as Nix's parser does. It needs the whole string first: the
// indentation removed is the least of the lines that have content, where a
// line of spaces only does not count, and an interpolation or an escape
// does count and is never itself stripped. Hence two passes, one to
// measure and one to cut, over the parts the lexer gave.
func (p *parseCtx) stripIndentation(pos Pos, parts []strPart) Expr {
	if len(parts) == 0 {
		return mkConst(pos, mkStr(""))
	}
	atStart := true
	minIndent := 1000000
	cur := 0
	for _, pt := range parts {
		if pt.expr != nil || pt.noIndent {
			if atStart {
				atStart = false
				if cur < minIndent {
					minIndent = cur
				}
			}
			continue
		}
		for i := 0; i < len(pt.text); i++ {
			c := pt.text[i]
			if atStart {
				if c == ' ' {
					cur++
				} else if c == '\n' {
					cur = 0
				} else {
					atStart = false
					if cur < minIndent {
						minIndent = cur
					}
				}
			} else if c == '\n' {
				atStart = true
				cur = 0
			}
		}
	}
	var out []Expr
	var outPos []Pos
	var buf strings.Builder
	atStart = true
	dropped := 0
	flush := func(off int) {
		if buf.Len() > 0 {
			out = append(out, mkConst(p.pos(off), mkStr(buf.String())))
			outPos = append(outPos, Pos{})
			buf.Reset()
		}
	}
	for n, pt := range parts {
		if pt.expr != nil {
			atStart = false
			dropped = 0
			flush(pt.off)
			out = append(out, pt.expr)
			outPos = append(outPos, p.pos(pt.off))
			continue
		}
		if pt.noIndent {
			atStart = false
			dropped = 0
			buf.WriteString(pt.text)
			continue
		}
		var s2 strings.Builder
		for i := 0; i < len(pt.text); i++ {
			c := pt.text[i]
			if atStart {
				if c == ' ' {
					if dropped >= minIndent {
						s2.WriteByte(c)
					}
					dropped++
				} else if c == '\n' {
					dropped = 0
					s2.WriteByte(c)
				} else {
					atStart = false
					dropped = 0
					s2.WriteByte(c)
				}
			} else {
				s2.WriteByte(c)
				if c == '\n' {
					atStart = true
				}
			}
		}
		str := s2.String()
		if n == len(parts)-1 {
			if i := strings.LastIndexByte(str, '\n'); i >= 0 && strings.Trim(str[i+1:], " ") == "" {
				str = str[:i+1]
			} else if i < 0 && strings.Trim(str, " ") == "" && n > 0 {
				str = ""
			}
		}
		buf.WriteString(str)
		_ = pt.off
	}
	flush(parts[len(parts)-1].off)
	return mkStringExprAt(pos, out, outPos)
}

// parseBinds parses the bindings of a set or let up to the closing token.
func (p *parseCtx) parseBinds(pos Pos, closer string) *ExprAttrs {
	a := &ExprAttrs{node: node{pos}, index: map[string]int{}}
	for {
		t := p.peek()
		if t.kind == tOP && t.s == closer || t.kind == tKW && t.s == closer {
			return a
		}
		if t.kind == tEOF {
			p.unexpected(t)
		}
		if t.kind == tKW && t.s == "inherit" {
			p.nextTok()
			fromIdx := -1
			if p.isOp("(") {
				p.nextTok()
				e := p.parseExpr()
				p.expectOp(")")
				a.inheritFrom = append(a.inheritFrom, e)
				fromIdx = len(a.inheritFrom) - 1
			}
			for !p.isOp(";") {
				nt := p.peek()
				an := p.parseAttrNameIn("")
				if an.expr != nil {
					p.lx.fail(nt.off, "dynamic attributes not allowed in inherit")
				}
				npos := p.tokPos(nt)
				if _, dup := a.index[an.name]; dup {
					panic(&parseError{npos, "attribute '" + an.name + "' already defined at " + a.binds[a.index[an.name]].pos.String()})
				}
				b := &Binding{name: an.name, pos: npos, fromIdx: fromIdx, inherited: fromIdx < 0}
				if fromIdx < 0 {
					b.value = &ExprVar{node: node{npos}, name: an.name}
				} else {
					b.value = &ExprSelect{node: node{npos}, e: nil, path: []AttrName{{name: an.name}}}
				}
				a.index[an.name] = len(a.binds)
				a.binds = append(a.binds, b)
			}
			p.nextTok()
			continue
		}
		switch {
		case t.kind == tID, t.kind == tDQUOTE, t.kind == tKW && t.s == "or", t.kind == tOP && t.s == "${":
		default:
			p.unexpectedExpecting(t, "'inherit'")
		}
		path := p.parseAttrPath()
		if nt := p.peek(); nt.kind != tOP || nt.s != "=" {
			p.unexpectedExpecting(nt, "'.' or '='")
		}
		p.nextTok()
		v := p.parseExpr()
		p.expectOp(";")
		p.addAttr(a, path, v, p.tokPos(t))
	}
}

func attrPathString(path []AttrName) string {
	var parts []string
	for _, n := range path {
		if n.expr != nil {
			parts = append(parts, "\"${...}\"")
		} else {
			parts = append(parts, n.name)
		}
	}
	return strings.Join(parts, ".")
}

// addAttr adds `path = v` to a, creating and merging nested sets.
func (p *parseCtx) addAttr(a *ExprAttrs, path []AttrName, v Expr, pos Pos) {
	cur := a
	for i, n := range path[:len(path)-1] {
		if n.expr != nil {
			// dynamic name in the middle: the rest becomes a nested set
			nested := &ExprAttrs{node: node{pos}, index: map[string]int{}, fromPath: true}
			p.addAttr(nested, path[i+1:], v, pos)
			cur.dyn = append(cur.dyn, &DynBinding{name: n.expr, value: nested, pos: pos})
			return
		}
		if j, ok := cur.index[n.name]; ok {
			b := cur.binds[j]
			sub, isAttrs := b.value.(*ExprAttrs)
			if b.inherited || b.fromIdx >= 0 || !isAttrs {
				panic(&parseError{pos, "attribute '" + attrPathString(path[:i+1]) + "' already defined at " + b.pos.String()})
			}
			cur = sub
			continue
		}
		nested := &ExprAttrs{node: node{pos}, index: map[string]int{}, fromPath: true}
		cur.index[n.name] = len(cur.binds)
		cur.binds = append(cur.binds, &Binding{name: n.name, value: nested, pos: pos, fromIdx: -1})
		cur = nested
	}
	last := path[len(path)-1]
	if last.expr != nil {
		cur.dyn = append(cur.dyn, &DynBinding{name: last.expr, value: v, pos: pos})
		return
	}
	if j, ok := cur.index[last.name]; ok {
		b := cur.binds[j]
		sub, isAttrs := b.value.(*ExprAttrs)
		nv, newIsAttrs := v.(*ExprAttrs)
		if isAttrs && newIsAttrs && !b.inherited && b.fromIdx < 0 {
			// merge { a = { x = 1; }; a.y = 2; } style definitions; the
			// first set's recursiveness wins, as in Nix
			for _, nb := range nv.binds {
				if k, dup := sub.index[nb.name]; dup {
					// nested merge of two literal sets
					_, ok1 := sub.binds[k].value.(*ExprAttrs)
					_, ok2 := nb.value.(*ExprAttrs)
					if ok1 && ok2 && !nb.inherited && !sub.binds[k].inherited {
						p.addAttr(sub, []AttrName{{name: nb.name}}, nb.value, nb.pos)
						continue
					}
					panic(&parseError{nb.pos, "attribute '" + attrPathString(path) + "." + nb.name + "' already defined at " + sub.binds[k].pos.String()})
				}
				if nb.fromIdx >= 0 {
					// re-home inherit-from expressions
					sub.inheritFrom = append(sub.inheritFrom, nv.inheritFrom[nb.fromIdx])
					nb2 := *nb
					nb2.fromIdx = len(sub.inheritFrom) - 1
					nb = &nb2
				}
				sub.index[nb.name] = len(sub.binds)
				sub.binds = append(sub.binds, nb)
			}
			sub.dyn = append(sub.dyn, nv.dyn...)
			return
		}
		panic(&parseError{pos, "attribute '" + attrPathString(path) + "' already defined at " + b.pos.String()})
	}
	if l, ok := v.(*Lambda); ok && l.name == "" {
		l.name = last.name
	}
	cur.index[last.name] = len(cur.binds)
	cur.binds = append(cur.binds, &Binding{name: last.name, value: v, pos: pos, fromIdx: -1})
}
