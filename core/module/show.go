package module

// Showing values in messages, as NixOS prints definitions.

import (
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/nixcsh/nixcsh/core/nix"
)

// showLimit caps a value printed in a message: a definition can hold a
// whole package set, which must not become a line of a hundred kilobytes.
const showLimit = 200

// show prints a value as NixOS shows definitions in messages, cut at
// showLimit characters with "…".
func (sc *scope) show(v nix.Value, depth int) string {
	var b strings.Builder
	sc.showTo(&b, v, depth)
	if b.Len() <= showLimit {
		return b.String()
	}
	s := b.String()
	cut := showLimit
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + "…"
}

// showTo writes v to b, stopping early once b is past showLimit (the rest
// would be cut anyway, and forcing it can be costly).
func (sc *scope) showTo(b *strings.Builder, v nix.Value, depth int) {
	if b.Len() > showLimit {
		return
	}
	fv, err := sc.force(v)
	if err != nil {
		b.WriteString("«error»")
		return
	}
	if name := sc.st.toolName(fv); name != "" {
		b.WriteString("<" + name + ">") // not thousands of packages or functions
		return
	}
	switch nix.TypeOf(fv) {
	case "null":
		b.WriteString("null")
	case "bool":
		x, _ := nix.AsBool(fv)
		b.WriteString(strconv.FormatBool(x))
	case "int":
		i, _ := nix.AsInt(fv)
		b.WriteString(strconv.FormatInt(i, 10))
	case "float":
		f, _ := nix.AsFloat(fv)
		b.WriteString(strconv.FormatFloat(f, 'g', -1, 64))
	case "string":
		s, _ := nix.AsString(fv)
		b.WriteString(nixQuote(s))
	case "path":
		s, _ := nix.AsString(fv)
		b.WriteString(s)
	case "lambda":
		b.WriteString("<function>")
	case "list":
		es := nix.Elems(fv)
		showItems(b, "[ ", "]", len(es), depth, func(i int) {
			sc.showTo(b, es[i], depth+1)
			b.WriteString(" ")
		})
	case "set":
		if isDerivation(sc, fv) {
			n := ""
			if a, ok := nix.GetAttr(fv, "name"); ok {
				if f, err := sc.force(a); err == nil {
					n, _ = nix.AsString(f)
				}
			}
			b.WriteString("<derivation " + n + ">")
			return
		}
		names := nix.AttrNames(fv)
		showItems(b, "{ ", "}", len(names), depth, func(i int) {
			a, _ := nix.GetAttr(fv, names[i])
			b.WriteString(joinPath([]string{names[i]}) + " = ")
			sc.showTo(b, a, depth+1)
			b.WriteString("; ")
		})
	default:
		b.WriteString("«" + nix.TypeOf(fv) + "»")
	}
}

// showItems writes n items of a list or set between open and close, or its
// short form when it is empty or deep down; past showLimit it stops, and
// the caller cuts the text.
func showItems(b *strings.Builder, open, close string, n, depth int, item func(i int)) {
	switch {
	case depth > 3:
		b.WriteString(open + "... " + close)
	case n == 0:
		b.WriteString(open + close)
	default:
		b.WriteString(open)
		for i := 0; i < n; i++ {
			if b.Len() > showLimit {
				return
			}
			item(i)
		}
		b.WriteString(close)
	}
}

func nixQuote(s string) string {
	r := strings.NewReplacer(`\`, `\\`, `"`, `\"`, "\n", `\n`, "\r", `\r`, "\t", `\t`, "${", `\${`)
	return `"` + r.Replace(s) + `"`
}
