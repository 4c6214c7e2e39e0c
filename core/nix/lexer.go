package nix

import (
	"fmt"
	"sort"
	"strings"
)

type tokKind int

const (
	tEOF tokKind = iota
	tID
	tINT
	tFLOAT
	tPATH      // complete path literal
	tPATHSTART // path literal continued by ${...}
	tHPATH     // ~/...
	tHPATHSTART
	tSPATH // <...>
	tURI
	tDQUOTE  // "
	tINDOPEN // ''
	tKW      // keyword
	tOP      // punctuation and operators
	tINVALID // a character no token starts with
)

type token struct {
	kind tokKind
	s    string
	off  int
	end  int
}

var keywords = map[string]bool{"if": true, "then": true, "else": true, "assert": true, "with": true,
	"let": true, "in": true, "rec": true, "inherit": true, "or": true}

// lexer turns source into tokens on the parser's demand. There is no
// separate token stream: what text means depends on where it stands (in
// a string, an indented string or a path, `${` starts an interpolation and
// spaces are text), so the parser calls the mode it is in (next, lexStringText,
// lexIndText, lexPathCont), and backtracks by saving and restoring off.
// lineStarts turns an offset into a line and column only when a position is
// wanted (an error, a lambda's or attribute's position).
type lexer struct {
	file       string
	src        string
	off        int
	lineStarts []int
}

func newLexer(file, src string) *lexer {
	lx := &lexer{file: file, src: src, lineStarts: []int{0}}
	for i := 0; i < len(src); i++ {
		if src[i] == '\n' {
			lx.lineStarts = append(lx.lineStarts, i+1)
		}
	}
	return lx
}

func (lx *lexer) pos(off int) Pos {
	i := sort.Search(len(lx.lineStarts), func(i int) bool { return lx.lineStarts[i] > off }) - 1
	return Pos{File: lx.file, Line: i + 1, Col: off - lx.lineStarts[i] + 1}
}

type parseError struct {
	pos Pos
	msg string
}

func (lx *lexer) fail(off int, format string, args ...any) {
	panic(&parseError{lx.pos(off), fmt.Sprintf(format, args...)})
}

func isIDStart(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c == '_'
}
func isIDChar(c byte) bool {
	return isIDStart(c) || c >= '0' && c <= '9' || c == '\'' || c == '-'
}
func isDigit(c byte) bool { return c >= '0' && c <= '9' }
func isPathChar(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '.' || c == '_' || c == '-' || c == '+'
}
func isURIChar(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || strings.IndexByte("%/?:@&=+$,-_.!~*'", c) >= 0
}

// skipSpace skips whitespace and comments.
func (lx *lexer) skipSpace() {
	s := lx.src
	for lx.off < len(s) {
		c := s[lx.off]
		switch {
		case c == ' ' || c == '\t' || c == '\n' || c == '\r':
			lx.off++
		case c == '#':
			for lx.off < len(s) && s[lx.off] != '\n' {
				lx.off++
			}
		case c == '/' && lx.off+1 < len(s) && s[lx.off+1] == '*':
			end := strings.Index(s[lx.off+2:], "*/")
			if end < 0 {
				lx.fail(lx.off, "syntax error, unterminated comment")
			}
			lx.off += 2 + end + 2
		default:
			return
		}
	}
}

// matchPath returns the length of a path literal at i ({PATH_CHAR}*(/{PATH_CHAR}+)+/?),
// and whether it is followed by ${ (an interpolated path).
func (lx *lexer) matchPath(i int) (n int, interp bool) {
	s := lx.src
	j := i
	for j < len(s) && isPathChar(s[j]) {
		j++
	}
	segs := 0
	for j < len(s) && s[j] == '/' {
		k := j + 1
		for k < len(s) && isPathChar(s[k]) {
			k++
		}
		if k == j+1 {
			// a slash not followed by a path character
			if k+1 < len(s) && s[k] == '$' && s[k+1] == '{' {
				return k - i, true
			}
			if segs > 0 && !(k < len(s) && s[k] == '/') {
				// trailing slash
				return -(k - i), false
			}
			break
		}
		segs++
		j = k
	}
	if segs == 0 {
		return 0, false
	}
	if j+1 < len(s) && s[j] == '$' && s[j+1] == '{' {
		return j - i, true
	}
	return j - i, false
}

func (lx *lexer) matchURI(i int) int {
	s := lx.src
	if i >= len(s) || !(s[i] >= 'a' && s[i] <= 'z' || s[i] >= 'A' && s[i] <= 'Z') {
		return 0
	}
	j := i + 1
	for j < len(s) && (isIDStart(s[j]) && s[j] != '_' || isDigit(s[j]) || s[j] == '+' || s[j] == '-' || s[j] == '.') {
		j++
	}
	if j >= len(s) || s[j] != ':' {
		return 0
	}
	k := j + 1
	for k < len(s) && isURIChar(s[k]) {
		k++
	}
	if k == j+1 {
		return 0
	}
	return k - i
}

func (lx *lexer) matchNumber(i int) (n int, isFloat bool) {
	s := lx.src
	j := i
	for j < len(s) && isDigit(s[j]) {
		j++
	}
	intLen := j - i
	// float: ([1-9][0-9]*\.[0-9]*|0?\.[0-9]+)([Ee][+-]?[0-9]+)?
	if j < len(s) && s[j] == '.' {
		okPrefix := intLen > 0 && s[i] != '0' || intLen == 0 || intLen == 1 && s[i] == '0'
		k := j + 1
		for k < len(s) && isDigit(s[k]) {
			k++
		}
		if okPrefix && (intLen > 0 && s[i] != '0' || k > j+1) {
			if k < len(s) && (s[k] == 'e' || s[k] == 'E') {
				m := k + 1
				if m < len(s) && (s[m] == '+' || s[m] == '-') {
					m++
				}
				if m < len(s) && isDigit(s[m]) {
					for m < len(s) && isDigit(s[m]) {
						m++
					}
					k = m
				}
			}
			return k - i, true
		}
	}
	return intLen, false
}

var ops3 = []string{"..."}
var ops2 = []string{"${", "==", "!=", "<=", ">=", "&&", "||", "->", "//", "++", "|>", "<|"}

// next returns the next token in normal (expression) mode.
func (lx *lexer) next() token {
	lx.skipSpace()
	s := lx.src
	i := lx.off
	if i >= len(s) {
		return token{kind: tEOF, off: i, end: i}
	}
	c := s[i]
	tok := func(k tokKind, n int) token {
		lx.off = i + n
		return token{kind: k, s: s[i : i+n], off: i, end: i + n}
	}
	// paths, URIs, numbers and identifiers: longest match wins, as in flex.
	if isPathChar(c) || c == '/' {
		pn, interp := lx.matchPath(i)
		if pn < 0 {
			lx.fail(i, "path '%s' has a trailing slash", s[i:i-pn])
		}
		un := 0
		if isIDStart(c) {
			un = lx.matchURI(i)
		}
		nn, isFloat := 0, false
		if isDigit(c) || c == '.' {
			nn, isFloat = lx.matchNumber(i)
		}
		idn := 0
		if isIDStart(c) {
			idn = 1
			for i+idn < len(s) && isIDChar(s[i+idn]) {
				idn++
			}
		}
		best := max(pn, un, nn, idn)
		switch {
		case best == 0:
		case pn == best:
			if interp {
				return tok(tPATHSTART, pn)
			}
			return tok(tPATH, pn)
		case un == best:
			return tok(tURI, un)
		case idn == best:
			t := tok(tID, idn)
			if keywords[t.s] {
				t.kind = tKW
			}
			return t
		case nn == best:
			if isFloat {
				return tok(tFLOAT, nn)
			}
			return tok(tINT, nn)
		}
	}
	if c == '~' && i+1 < len(s) && s[i+1] == '/' {
		pn, interp := lx.matchPath(i + 1)
		if pn < 0 {
			lx.fail(i, "path '%s' has a trailing slash", s[i:i+1-pn])
		}
		if pn > 0 {
			if interp {
				return tok(tHPATHSTART, pn+1)
			}
			return tok(tHPATH, pn+1)
		}
		if i+3 < len(s) && s[i+2] == '$' && s[i+3] == '{' {
			return tok(tHPATHSTART, 2)
		}
	}
	if c == '<' {
		j := i + 1
		for j < len(s) && (isPathChar(s[j]) || s[j] == '/') {
			j++
		}
		if j > i+1 && j < len(s) && s[j] == '>' && s[i+1] != '/' && s[j-1] != '/' && !strings.Contains(s[i+1:j], "//") {
			return tok(tSPATH, j+1-i)
		}
	}
	if c == '"' {
		return tok(tDQUOTE, 1)
	}
	if c == '\'' && i+1 < len(s) && s[i+1] == '\'' {
		// the opening '' swallows the rest of its line when that is only spaces
		j := i + 2
		for j < len(s) && s[j] == ' ' {
			j++
		}
		if j < len(s) && s[j] == '\n' {
			lx.off = j + 1
			return token{kind: tINDOPEN, s: "''", off: i, end: j + 1}
		}
		return tok(tINDOPEN, 2)
	}
	for _, o := range ops3 {
		if strings.HasPrefix(s[i:], o) {
			return tok(tOP, len(o))
		}
	}
	for _, o := range ops2 {
		if strings.HasPrefix(s[i:], o) {
			return tok(tOP, len(o))
		}
	}
	if strings.IndexByte("{}[]()=;:,.@?!+-*/<>", c) >= 0 {
		return tok(tOP, 1)
	}
	// an invalid character: the parser reports it where it is unexpected
	lx.off = i + 1
	return token{kind: tINVALID, s: s[i : i+1], off: i, end: i + 1}
}

// strPart is a piece of a string literal: literal text, or an
// interpolation (expr set). noIndent marks escapes in indented strings.
type strPart struct {
	text     string
	expr     Expr
	off      int
	noIndent bool
}

// lexStringText scans literal text of a "..." string up to ${ or the closing
// quote. It returns the text and what ended it: "${", "\"".
func (lx *lexer) lexStringText() (string, string) {
	s := lx.src
	// fast path: plain text up to the closing quote or an interpolation
	for start, j := lx.off, lx.off; j < len(s); j++ {
		c := s[j]
		if c == '"' {
			lx.off = j + 1
			return s[start:j], "\""
		}
		if c == '\\' || c == '$' || c == '\r' {
			break
		}
	}
	var b strings.Builder
	for i := lx.off; ; {
		if i >= len(s) {
			lx.fail(len(s), "syntax error, unexpected end of file, expecting '\"'")
		}
		c := s[i]
		switch {
		case c == '"':
			lx.off = i + 1
			return b.String(), "\""
		case c == '$' && i+1 < len(s) && s[i+1] == '{':
			lx.off = i + 2
			return b.String(), "${"
		case c == '$' && i+1 < len(s) && s[i+1] == '$':
			b.WriteString("$$")
			i += 2
		case c == '\\':
			if i+1 >= len(s) {
				lx.fail(i, "syntax error, unexpected end of file")
			}
			switch d := s[i+1]; d {
			case 'n':
				b.WriteByte('\n')
			case 'r':
				b.WriteByte('\r')
			case 't':
				b.WriteByte('\t')
			default:
				b.WriteByte(d)
			}
			i += 2
		case c == '\r':
			// CR and CRLF read as LF
			b.WriteByte('\n')
			if i+1 < len(s) && s[i+1] == '\n' {
				i++
			}
			i++
		default:
			j := i + 1
			for j < len(s) && s[j] != '"' && s[j] != '$' && s[j] != '\\' && s[j] != '\r' {
				j++
			}
			b.WriteString(s[i:j])
			i = j
		}
	}
}

// lexIndText scans one piece of an indented string: literal text (indent
// true), an escape (indent false), or reports "${" / "”" (end).
func (lx *lexer) lexIndText() (text string, kind string) {
	s := lx.src
	i := lx.off
	if i >= len(s) {
		lx.fail(i, "syntax error, unexpected end of file, expecting ''")
	}
	switch {
	case strings.HasPrefix(s[i:], "'''"):
		lx.off = i + 3
		return "''", "esc"
	case strings.HasPrefix(s[i:], "''$"):
		lx.off = i + 3
		return "$", "esc"
	case strings.HasPrefix(s[i:], "''\\"):
		if i+3 >= len(s) {
			lx.fail(i, "syntax error, unexpected end of file")
		}
		lx.off = i + 4
		switch d := s[i+3]; d {
		case 'n':
			return "\n", "esc"
		case 'r':
			return "\r", "esc"
		case 't':
			return "\t", "esc"
		default:
			return string(d), "esc"
		}
	case strings.HasPrefix(s[i:], "''"):
		lx.off = i + 2
		return "", "end"
	case strings.HasPrefix(s[i:], "${"):
		lx.off = i + 2
		return "", "${"
	}
	var b strings.Builder
	for i < len(s) {
		c := s[i]
		if c == '\'' && i+1 < len(s) && s[i+1] == '\'' {
			break
		}
		if c == '$' && i+1 < len(s) && s[i+1] == '{' {
			break
		}
		if c == '$' && i+1 < len(s) && s[i+1] == '$' {
			b.WriteString("$$")
			i += 2
			continue
		}
		if c == '\r' {
			b.WriteByte('\n')
			if i+1 < len(s) && s[i+1] == '\n' {
				i++
			}
			i++
			continue
		}
		b.WriteByte(c)
		i++
	}
	if i >= len(s) {
		lx.fail(lx.off, "syntax error, unexpected end of file, expecting ''")
	}
	lx.off = i
	return b.String(), "text"
}

// lexPathCont scans the continuation of an interpolated path after a ${...}.
func (lx *lexer) lexPathCont() (text string, more bool) {
	s := lx.src
	i := lx.off
	for i < len(s) && (isPathChar(s[i]) || s[i] == '/') {
		i++
	}
	text = s[lx.off:i]
	lx.off = i
	if i+1 < len(s) && s[i] == '$' && s[i+1] == '{' {
		lx.off = i + 2
		return text, true
	}
	if strings.HasSuffix(text, "/") {
		lx.fail(i, "path has a trailing slash")
	}
	return text, false
}
