package nix

import (
	"errors"
	"fmt"
	"regexp"
	"strings"
	"unicode/utf8"
)

// Nix's builtins.match and builtins.split use POSIX extended regular
// expressions as libstdc++'s std::regex implements them: on bytes, not
// characters; leftmost-longest; quantifiers that stack ("a+?" is "(a+)?",
// never a lazy "+"); only the escapes of ERE's special characters (no \d,
// \w, back-references or (?flags)). Go's RE2 engine does the matching; this
// file translates a pattern into RE2 syntax that means the same, and text
// into a form where one byte is one character.

// ere is a compiled pattern.
type ere struct {
	re *regexp.Regexp
	// anchored: the pattern has a '^', so a search that starts inside the
	// text must not let it match there (std::regex's match_prev_avail).
	anchored bool
}

var errBadRegex = errors.New("invalid regular expression")

// compileRegex compiles a Nix regular expression; whole anchors it at both
// ends, as builtins.match matches the whole string.
func (ev *Evaluator) compileRegex(pat string, pos Pos, whole bool) *ere {
	key := pat
	if whole {
		key = "^" + pat
	}
	if ev.regexCache == nil {
		ev.regexCache = map[string]*ere{}
	}
	if re, ok := ev.regexCache[key]; ok {
		return re
	}
	tr, anchored, err := translateERE(pat)
	if err == nil && whole {
		tr = "^(?:" + tr + ")$"
	}
	var re *regexp.Regexp
	if err == nil {
		re, err = regexp.Compile(tr)
	}
	if err != nil {
		ev.throwf(pos, "invalid regular expression '%s'", pat)
	}
	re.Longest()
	c := &ere{re: re, anchored: anchored}
	ev.regexCache[key] = c
	return c
}

// sentinel stands for "the text before" when a search starts inside the
// text: nothing in a translated pattern matches it (any-byte is
// [\x00-\x{ff}] and negated brackets exclude it), and '^' does not match
// after it.
const sentinel = "\u0100"

// translateERE rewrites a POSIX ERE in RE2 syntax over Latin-1 runes (see
// byteText).
func translateERE(p string) (out string, anchored bool, err error) {
	var b strings.Builder
	atom := -1          // where in b the last complete atom starts; -1: none
	quantified := false // the last atom already has a quantifier
	var groups []int
	quantify := func(q string) error {
		if atom < 0 {
			return errBadRegex
		}
		if quantified { // stacked: a+? is (a+)?
			s := b.String()
			b.Reset()
			b.WriteString(s[:atom] + "(?:" + s[atom:] + ")")
		}
		b.WriteString(q)
		quantified = true
		return nil
	}
	for i := 0; i < len(p); i++ {
		c := p[i]
		var err error
		switch c {
		case '*', '+', '?':
			err = quantify(string(c))
		case '{':
			j := i + 1
			for j < len(p) && (isDigit(p[j]) || p[j] == ',') {
				j++
			}
			var lo, hi int
			n, _ := fmt.Sscanf(p[i+1:j], "%d,%d", &lo, &hi)
			commas := strings.Count(p[i+1:j], ",")
			switch {
			case j >= len(p) || p[j] != '}' || n == 0 || commas > 1 || n == 2 && hi < lo || n == 1 && commas == 1 && !strings.HasSuffix(p[i+1:j], ","):
				err = errBadRegex
			default:
				err = quantify(p[i : j+1])
				i = j
			}
		case '(':
			groups = append(groups, b.Len())
			b.WriteByte('(')
			atom, quantified = -1, false
		case ')':
			if len(groups) == 0 {
				return "", false, errBadRegex
			}
			atom, quantified = groups[len(groups)-1], false
			groups = groups[:len(groups)-1]
			b.WriteByte(')')
		case '|':
			b.WriteByte('|')
			atom, quantified = -1, false
		case '^', '$':
			anchored = anchored || c == '^'
			b.WriteByte(c)
			atom, quantified = -1, false
		case '.':
			atom, quantified = b.Len(), false
			b.WriteString(`[\x00-\x{ff}]`)
		case '\\':
			if i+1 >= len(p) || !strings.ContainsRune(`.[\*+?{()|^$`, rune(p[i+1])) {
				return "", false, errBadRegex
			}
			atom, quantified = b.Len(), false
			b.WriteByte('\\')
			b.WriteByte(p[i+1])
			i++
		case '[':
			atom, quantified = b.Len(), false
			i, err = bracket(&b, p, i)
		default:
			atom, quantified = b.Len(), false
			literal(&b, c)
		}
		if err != nil {
			return "", false, err
		}
	}
	if len(groups) > 0 {
		return "", false, errBadRegex
	}
	return b.String(), anchored, nil
}

// literal writes byte c as an RE2 literal over Latin-1 runes.
func literal(b *strings.Builder, c byte) {
	if c >= 0x80 {
		fmt.Fprintf(b, `\x{%x}`, c)
		return
	}
	b.WriteString(regexp.QuoteMeta(string(c)))
}

// bracket translates the bracket expression at p[i] ('[') and returns the
// index of its closing ']'. Inside brackets a backslash is literal and a
// ']' first is literal, as POSIX says.
func bracket(b *strings.Builder, p string, i int) (int, error) {
	j := i + 1
	b.WriteByte('[')
	negated := j < len(p) && p[j] == '^'
	if negated {
		b.WriteByte('^')
		j++
	}
	if j < len(p) && p[j] == ']' {
		b.WriteString(`\]`)
		j++
	}
	for ; j < len(p) && p[j] != ']'; j++ {
		if p[j] == '[' && j+1 < len(p) && (p[j+1] == ':' || p[j+1] == '=' || p[j+1] == '.') {
			end := strings.Index(p[j+2:], string(p[j+1])+"]")
			if end < 0 {
				return 0, errBadRegex
			}
			name := p[j+2 : j+2+end]
			switch p[j+1] {
			case ':':
				if !posixClasses[name] {
					return 0, errBadRegex
				}
				b.WriteString("[:" + name + ":]")
			default: // [=c=] and [.c.]: one byte, taken literally
				if len(name) != 1 {
					return 0, errBadRegex
				}
				literal(b, name[0])
			}
			j += 2 + end + 1
			continue
		}
		switch c := p[j]; {
		case c == '-' && j+1 < len(p) && p[j+1] == ']':
			b.WriteString(`\-`) // literal: a negated bracket gets \x{100} appended, which must not make it a range
		case c == '-' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || isDigit(c):
			b.WriteByte(c)
		default:
			literal(b, c)
		}
	}
	if j >= len(p) {
		return 0, errBadRegex
	}
	if negated {
		b.WriteString(`\x{100}`)
	}
	b.WriteByte(']')
	return j, nil
}

var posixClasses = map[string]bool{"alnum": true, "alpha": true, "blank": true, "cntrl": true, "digit": true,
	"graph": true, "lower": true, "print": true, "punct": true, "space": true, "upper": true, "xdigit": true}

// byteText is a string as RE2 sees it when a byte is a character: each byte
// is the rune of its value (Latin-1), so "é" is two characters as it is to
// std::regex. ASCII text is unchanged.
type byteText struct {
	s, t string
	offs []int // offs[i]: the offset in s of offset i in t (nil: the same)
}

func newByteText(s string) byteText {
	ascii := true
	for i := 0; i < len(s) && ascii; i++ {
		ascii = s[i] < utf8.RuneSelf
	}
	if ascii {
		return byteText{s: s, t: s}
	}
	var b strings.Builder
	offs := make([]int, 0, 2*len(s)+1)
	for i := 0; i < len(s); i++ {
		n := b.Len()
		b.WriteRune(rune(s[i]))
		for k := n; k < b.Len(); k++ {
			offs = append(offs, i)
		}
	}
	offs = append(offs, len(s))
	return byteText{s: s, t: b.String(), offs: offs}
}

func (x byteText) orig(i int) int {
	if x.offs == nil {
		return i
	}
	return x.offs[i]
}

// find is the leftmost-longest match at or after offset from (in t), with
// its groups, in t's offsets; nil when there is none.
func (re *ere) find(x byteText, from int) []int {
	if from == 0 || !re.anchored {
		m := re.re.FindStringSubmatchIndex(x.t[from:])
		for i := range m {
			if m[i] >= 0 {
				m[i] += from
			}
		}
		return m
	}
	m := re.re.FindStringSubmatchIndex(sentinel + x.t[from:])
	for i := range m {
		if m[i] >= 0 {
			m[i] += from - len(sentinel)
		}
	}
	return m
}

// groups are the values of a match's parenthesised groups (null for one
// that did not take part).
func (x byteText) groups(m []int) []Value {
	out := make([]Value, 0, len(m)/2-1)
	for i := 2; i < len(m); i += 2 {
		if m[i] < 0 {
			out = append(out, nullV)
		} else {
			out = append(out, mkStr(x.s[x.orig(m[i]):x.orig(m[i+1])]))
		}
	}
	return out
}

// split is builtins.split: the text between matches, and each match's
// groups, iterating as std::regex_iterator does: after an empty match the
// next one may not be empty at the same place, and after a non-empty match
// an empty one may follow right away.
func (re *ere) split(s string) []Value {
	x := newByteText(s)
	var out []Value
	last := 0
	m := re.find(x, 0)
	for m != nil {
		out = append(out, mkStr(s[x.orig(last):x.orig(m[0])]), &listVal{x.groups(m)})
		last = m[1]
		if m[0] < m[1] {
			m = re.find(x, m[1])
			continue
		}
		if m[1] == len(x.t) {
			break
		}
		if next := re.find(x, m[1]); next != nil && next[0] == m[1] && next[1] > next[0] {
			m = next
			continue
		}
		_, w := utf8.DecodeRuneInString(x.t[m[1]:])
		m = re.find(x, m[1]+w)
	}
	return append(out, mkStr(s[x.orig(last):]))
}

// match is builtins.match: the groups of a match of the whole string, or
// null.
func (re *ere) match(s string) Value {
	x := newByteText(s)
	m := re.re.FindStringSubmatchIndex(x.t)
	if m == nil {
		return nullV
	}
	return &listVal{x.groups(m)}
}
