package shell

import (
	"strings"

	"github.com/nixcsh/nixcsh/core/fault"
)

// The shell's words follow sh's quoting rules and nothing else: 'single
// quotes' keep everything literally, "double quotes" keep everything but
// \" \\ \$ \` and backslash-newline, and a backslash outside quotes keeps the
// next character. There is no expansion at all ($VAR, globs, ~, `cmd`): what
// a user types inside quotes reaches the verb as typed, which is what Nix
// configuration text (full of ${...} and "...") needs. Statements are
// separated by ';' or a newline; '#' at the start of a word comments out the
// rest of the line.

// word is one word of a line: as typed (raw, from start) and unquoted (val).
type word struct {
	raw   string
	val   string
	start int
}

// lexState is where a line ended: inside which quote, after a backslash.
type lexState struct {
	quote   byte // 0, '\'' or '"'
	escaped bool // the line ended with a backslash
	inWord  bool // the line ended inside a word (no separator after it)
	// stmtStart is the offset where the last statement begins.
	stmtStart int
}

// open reports whether the line ended in the middle of a quoted string or
// after a backslash, so that more input must follow.
func (s lexState) open() bool { return s.quote != 0 || s.escaped }

// lexStmt reads one statement of line from offset from. It returns its words,
// the offset after its separator (len(line) at the end) and the state at
// that point.
func lexStmt(line string, from int) (stmt []word, next int, st lexState) {
	var val strings.Builder
	start := -1
	flush := func(end int) {
		if start >= 0 {
			stmt = append(stmt, word{raw: line[start:end], val: val.String(), start: start})
			val.Reset()
			start = -1
		}
	}
	begin := func(i int) {
		if start < 0 {
			start = i
		}
	}
	st.stmtStart = from
	for i := from; i < len(line); i++ {
		c := line[i]
		switch st.quote {
		case '\'':
			if c == '\'' {
				st.quote = 0
			} else {
				val.WriteByte(c)
			}
			continue
		case '"':
			switch c {
			case '"':
				st.quote = 0
			case '\\':
				if i+1 >= len(line) {
					st.escaped = true
					continue
				}
				next := line[i+1]
				switch next {
				case '"', '\\', '$', '`':
					val.WriteByte(next)
					i++
				case '\n':
					i++ // line continuation
				default:
					val.WriteByte(c)
				}
			default:
				val.WriteByte(c)
			}
			continue
		}
		switch c {
		case ' ', '\t', '\r':
			flush(i)
		case '\n', ';':
			flush(i)
			return stmt, i + 1, st
		case '#':
			if start >= 0 {
				val.WriteByte(c)
				continue
			}
			// A comment runs to the end of the line.
			for i+1 < len(line) && line[i+1] != '\n' {
				i++
			}
		case '\'', '"':
			begin(i)
			st.quote = c
		case '\\':
			begin(i)
			if i+1 >= len(line) {
				st.escaped = true
				continue
			}
			i++
			if line[i] != '\n' { // backslash-newline joins lines
				val.WriteByte(line[i])
			}
		default:
			begin(i)
			val.WriteByte(c)
		}
	}
	st.inWord = start >= 0
	flush(len(line))
	return stmt, len(line), st
}

// lex splits line into statements of words (empty statements dropped). The
// state says how the last statement ended, for continuation lines and
// completion.
func lex(line string) (stmts [][]word, st lexState) {
	for from := 0; ; {
		stmt, next, s := lexStmt(line, from)
		st = s
		if len(stmt) > 0 {
			stmts = append(stmts, stmt)
		}
		if next >= len(line) {
			if next > from && next == len(line) && (line[next-1] == ';' || line[next-1] == '\n') && !s.open() && !s.inWord {
				// The line ends with a separator: a new, empty statement.
				st = lexState{stmtStart: next}
			}
			return stmts, st
		}
		from = next
	}
}

// errIncomplete says a line needs more input: an open quote or a trailing
// backslash. The REPL asks for a continuation line; -c reports it.
var errIncomplete = fault.Errorf(fault.Invalid, "unexpected end of input: a quote is not closed")

// SplitLine splits a line into statements of words with the shell's quoting
// rules. An unfinished quote or a trailing backslash is errIncomplete.
func SplitLine(line string) ([][]string, error) {
	stmts, st := lex(line)
	if st.open() {
		return nil, errIncomplete
	}
	out := make([][]string, len(stmts))
	for i, s := range stmts {
		for _, w := range s {
			out[i] = append(out[i], w.val)
		}
	}
	return out, nil
}

// quoteWord writes s so that SplitLine reads it back as one word: as is when
// it holds nothing special, else in single quotes.
func quoteWord(s string) string {
	if s == "" {
		return "''"
	}
	if !strings.ContainsAny(s, " \t\n;#'\"\\$`|&<>(){}*?[]~") {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

// escapeIn writes s for insertion at a point of a line that is inside the
// given quote (0: outside quotes), so that it reads back as s.
func escapeIn(quote byte, s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch quote {
		case '\'':
			if c == '\'' {
				b.WriteString(`'\''`)
				continue
			}
		case '"':
			if strings.IndexByte("\"\\$`", c) >= 0 {
				b.WriteByte('\\')
			}
		default:
			if c == '\n' { // a backslash would join the lines: quote it
				b.WriteString("'\n'")
				continue
			}
			if strings.IndexByte(" \t;#'\"\\$`|&<>(){}*?[]~", c) >= 0 {
				b.WriteByte('\\')
			}
		}
		b.WriteByte(c)
	}
	return b.String()
}

// stmt is one statement of an entry: words for a verb or builtin, or the
// Lua code of the lua builtin.
type stmt struct {
	words []string
	lua   string
	isLua bool
}

// parseEntry splits an entry (one line, or several joined by continuation)
// into statements. `lua` takes the rest of the entry as its code, separators
// and newlines included, since Lua has its own quoting. incomplete says that
// a quote is still open or the entry ends with a backslash.
func parseEntry(text string) (stmts []stmt, incomplete bool) {
	for from := 0; from < len(text); {
		words, next, st := lexStmt(text, from)
		if len(words) > 0 && words[0].raw == "lua" {
			code := text[words[0].start+len("lua"):]
			if code != "" && (code[0] == ' ' || code[0] == '\t') {
				code = code[1:]
			}
			return append(stmts, stmt{lua: code, isLua: true}), false
		}
		if st.open() {
			return stmts, true
		}
		if len(words) > 0 {
			s := stmt{}
			for _, w := range words {
				s.words = append(s.words, w.val)
			}
			stmts = append(stmts, s)
		}
		from = next
	}
	return stmts, false
}
