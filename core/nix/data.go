package nix

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/BurntSushi/toml"
)

func registerData(reg func(string, int, primFn)) {
	reg("toJSON", 1, func(ev *Evaluator, pos Pos, a []Value) Value {
		var b strings.Builder
		var ctx ctxBuilder
		ev.toJSONCtx(&b, a[0], pos, &ctx)
		return mkStrCtx(b.String(), ctx.ctx())
	})
	reg("fromJSON", 1, func(ev *Evaluator, pos Pos, a []Value) Value {
		s := ev.forceString(a[0], pos)
		d := json.NewDecoder(strings.NewReader(s))
		d.UseNumber()
		var x any
		if err := d.Decode(&x); err != nil {
			ev.throwf(pos, "while decoding a JSON string: %s", err)
		}
		if d.More() {
			ev.throwf(pos, "while decoding a JSON string: trailing data")
		}
		return ev.fromDecoded(x, pos, false)
	})
	reg("fromTOML", 1, func(ev *Evaluator, pos Pos, a []Value) Value {
		s := ev.forceString(a[0], pos)
		var x map[string]any
		if _, err := toml.Decode(s, &x); err != nil {
			if strings.Contains(err.Error(), "out of range for int64") {
				ev.throwf(pos, "while parsing TOML: [error] toml::parse_dec_integer: too large integer: current max digits = 2^63")
			}
			ev.throwf(pos, "while parsing TOML: %s", err)
		}
		return ev.fromDecoded(x, pos, true)
	})
	reg("toXML", 1, func(ev *Evaluator, pos Pos, a []Value) Value {
		var b strings.Builder
		ev.toXML(&b, a[0], pos, false)
		return mkStr(b.String())
	})
}

// fromDecoded makes a Nix value of what fromJSON's decoder (with UseNumber)
// or fromTOML's gives. The two formats share the lists and sets; they differ
// in their scalars and in Nix's messages, which isTOML selects.
func (ev *Evaluator) fromDecoded(x any, pos Pos, isTOML bool) Value {
	switch t := x.(type) {
	case nil:
		return nullV // JSON's null; TOML has none
	case bool:
		return mkBool(t)
	case json.Number:
		if i, err := strconv.ParseInt(string(t), 10, 64); err == nil {
			return intVal(i)
		}
		f, err := strconv.ParseFloat(string(t), 64)
		if err != nil {
			ev.throwf(pos, "while decoding a JSON string: number %s out of range", t)
		}
		return floatVal(f)
	case int64:
		return intVal(t)
	case float64:
		return floatVal(t)
	case time.Time:
		ev.throwf(pos, "while parsing TOML: Dates and times are not supported")
	case string:
		if !isTOML {
			ev.noNullBytes(t, pos, isTOML)
		}
		return mkStr(t)
	case []any:
		return fromDecodedList(ev, t, pos, isTOML)
	case []map[string]any: // TOML's array of tables
		return fromDecodedList(ev, t, pos, isTOML)
	case map[string]any:
		r := newAttrs(len(t))
		for k, e := range t {
			ev.noNullBytes(k, pos, isTOML)
			r.set(k, ev.fromDecoded(e, pos, isTOML), Pos{})
		}
		return r
	}
	if isTOML {
		ev.throwf(pos, "while parsing TOML: unsupported value %v", x)
	}
	return nullV
}

func fromDecodedList[E any](ev *Evaluator, xs []E, pos Pos, isTOML bool) Value {
	out := make([]Value, len(xs))
	for i, e := range xs {
		out[i] = ev.fromDecoded(e, pos, isTOML)
	}
	return &listVal{out}
}

// noNullBytes refuses a decoded string that a Nix string cannot hold (Nix's
// strings are C strings), with the message Nix gives for the format.
func (ev *Evaluator) noNullBytes(s string, pos Pos, isTOML bool) {
	if strings.IndexByte(s, 0) < 0 {
		return
	}
	prefix := ""
	if isTOML {
		prefix = "while parsing TOML: error: "
	}
	ev.throwf(pos, "%sinput string '%s' cannot be represented as Nix string because it contains null bytes", prefix, strings.ReplaceAll(s, "\x00", "␀"))
}

func (ev *Evaluator) jsonStr(b *strings.Builder, s string, pos Pos) {
	if !utf8.ValidString(s) {
		i := 0
		for i < len(s) {
			r, n := utf8.DecodeRuneInString(s[i:])
			if r == utf8.RuneError && n <= 1 {
				break
			}
			i += n
		}
		ev.throwf(pos, "JSON serialization error: [json.exception.type_error.316] invalid UTF-8 byte at index %d: 0x%02X", i, s[i])
	}
	jsonString(b, s)
}

func jsonString(b *strings.Builder, s string) {
	b.WriteByte('"')
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch c {
		case '"':
			b.WriteString(`\"`)
		case '\\':
			b.WriteString(`\\`)
		case '\n':
			b.WriteString(`\n`)
		case '\r':
			b.WriteString(`\r`)
		case '\t':
			b.WriteString(`\t`)
		case '\b':
			b.WriteString(`\b`)
		case '\f':
			b.WriteString(`\f`)
		default:
			if c < 0x20 {
				fmt.Fprintf(b, `\u%04x`, c)
			} else {
				b.WriteByte(c)
			}
		}
	}
	b.WriteByte('"')
}

func (ev *Evaluator) toJSON(b *strings.Builder, v Value, pos Pos) { ev.toJSONCtx(b, v, pos, nil) }

// toJSONCtx is toJSON collecting the context of the strings (and of the
// paths, which it copies to the store) into ctx unless it is nil.
func (ev *Evaluator) toJSONCtx(b *strings.Builder, v Value, pos Pos, ctx *ctxBuilder) {
	v = ev.force(v)
	ev.step(pos)
	ev.descend(pos)
	defer ev.ascend()
	ev.checkStrLen(b.Len(), pos)
	switch x := v.(type) {
	case nullVal:
		b.WriteString("null")
	case boolVal:
		if x {
			b.WriteString("true")
		} else {
			b.WriteString("false")
		}
	case intVal:
		b.WriteString(strconv.FormatInt(int64(x), 10))
	case floatVal:
		f := float64(x)
		if math.IsInf(f, 0) || math.IsNaN(f) {
			b.WriteString("null")
		} else {
			fs := strconv.FormatFloat(f, 'g', -1, 64)
			if !strings.ContainsAny(fs, ".e") {
				fs += ".0" // as nlohmann::json writes integral floats
			}
			b.WriteString(fs)
		}
	case *strVal:
		ev.jsonStr(b, x.s, pos)
		if ctx != nil {
			ctx.add(x.context())
		}
	case pathVal:
		sp, spCtx := ev.pathAsString(string(x), pos)
		jsonString(b, sp)
		if ctx != nil {
			ctx.add(spCtx)
		}
	case *listVal:
		b.WriteByte('[')
		for i, e := range x.elems {
			if i > 0 {
				b.WriteByte(',')
			}
			ev.stack = append(ev.stack, frame{pos: pos, kind: frameListElem, idx: i})
			ev.toJSONCtx(b, e, pos, ctx)
			ev.stack = ev.stack[:len(ev.stack)-1]
		}
		b.WriteByte(']')
	case *attrsVal:
		if f, ok := x.m["__toString"]; ok {
			r := ev.call(f.v, []Value{x}, pos)
			switch r.(type) {
			case *strVal, pathVal, *attrsVal: // a set is coerced in turn
			default:
				ev.pushCtx(f.pos, "while using the result of the `__toString` attribute")
				ev.throwf(f.pos, "`__toString` should return a string, but got %s: %s", showType(r), ev.showShort(r))
			}
			s, c := ev.coerceCtx(x, pos, false, true)
			jsonString(b, s)
			if ctx != nil {
				ctx.add(c)
			}
			return
		}
		if o, ok := x.m["outPath"]; ok {
			ev.toJSONCtx(b, o.v, pos, ctx)
			return
		}
		b.WriteByte('{')
		for i, k := range x.names() {
			if i > 0 {
				b.WriteByte(',')
			}
			jsonString(b, k)
			b.WriteByte(':')
			at := x.m[k]
			ev.withFrame(at.pos, "while evaluating attribute '"+k+"'", func() { ev.toJSONCtx(b, at.v, at.pos, ctx) })
		}
		b.WriteByte('}')
	default:
		ev.throwf(pos, "cannot convert %s to JSON", showType(v))
	}
}

// ToJSON renders a value as builtins.toJSON does (for --json output).
func (ev *Evaluator) ToJSON(v Value) (string, error) {
	var b strings.Builder
	_, err := ev.guard(func() Value { ev.toJSON(&b, v, Pos{}); return nullV })
	return b.String(), err
}

func xmlEscape(s string) string {
	var b bytes.Buffer
	for i := 0; i < len(s); i++ {
		switch c := s[i]; c {
		case '"':
			b.WriteString("&quot;")
		case '<':
			b.WriteString("&lt;")
		case '>':
			b.WriteString("&gt;")
		case '&':
			b.WriteString("&amp;")
		case '\n':
			b.WriteString("&#xA;")
		default:
			b.WriteByte(c)
		}
	}
	return b.String()
}

func (ev *Evaluator) toXML(b *strings.Builder, v Value, pos Pos, location bool) {
	b.WriteString("<?xml version='1.0' encoding='utf-8'?>\n<expr>\n")
	ev.xmlValue(b, v, pos, location, "  ", map[string]bool{})
	b.WriteString("</expr>\n")
}

func xmlPosAttrs(p Pos, location bool) string {
	if !location || !p.IsValid() {
		return ""
	}
	return fmt.Sprintf(" column=\"%d\" line=\"%d\" path=\"%s\"", p.Col, p.Line, xmlEscape(p.File))
}

func (ev *Evaluator) xmlValue(b *strings.Builder, v Value, pos Pos, location bool, ind string, drvs map[string]bool) {
	v = ev.force(v)
	ev.step(pos)
	ev.descend(pos)
	defer ev.ascend()
	ev.checkStrLen(b.Len(), pos)
	elem := func(tag, val string) {
		fmt.Fprintf(b, "%s<%s value=\"%s\" />\n", ind, tag, xmlEscape(val))
	}
	switch x := v.(type) {
	case nullVal:
		b.WriteString(ind + "<null />\n")
	case boolVal:
		elem("bool", strconv.FormatBool(bool(x)))
	case intVal:
		elem("int", strconv.FormatInt(int64(x), 10))
	case floatVal:
		elem("float", formatFloat(float64(x)))
	case *strVal:
		elem("string", x.s)
	case pathVal:
		elem("path", string(x))
	case *listVal:
		b.WriteString(ind + "<list>\n")
		for _, e := range x.elems {
			ev.xmlValue(b, e, pos, location, ind+"  ", drvs)
		}
		b.WriteString(ind + "</list>\n")
	case *attrsVal:
		if ev.isDerivation(x) {
			attrs, drvPath := "", ""
			if dp, ok := x.m["drvPath"]; ok {
				drvPath = ev.coerceToString(dp.v, pos, false, false)
				attrs += " drvPath=\"" + xmlEscape(drvPath) + "\""
			}
			if op, ok := x.m["outPath"]; ok {
				attrs += " outPath=\"" + xmlEscape(ev.coerceToString(op.v, pos, false, false)) + "\""
			}
			// As Nix: a derivation is shown once per drvPath, and one
			// without a drvPath never.
			if drvPath == "" || drvs[drvPath] {
				b.WriteString(ind + "<derivation" + attrs + ">\n" + ind + "  <repeated />\n" + ind + "</derivation>\n")
				return
			}
			drvs[drvPath] = true
			b.WriteString(ind + "<derivation" + attrs + ">\n")
			ev.xmlAttrs(b, x, pos, location, ind+"  ", drvs)
			b.WriteString(ind + "</derivation>\n")
			return
		}
		b.WriteString(ind + "<attrs>\n")
		ev.xmlAttrs(b, x, pos, location, ind+"  ", drvs)
		b.WriteString(ind + "</attrs>\n")
	case *lambdaVal:
		l := x.fn
		b.WriteString(ind + "<function" + xmlPosAttrs(l.pos, location) + ">\n")
		if l.hasFormals {
			extra := ""
			if l.ellipsis {
				extra += " ellipsis=\"1\""
			}
			if l.arg != "" {
				extra += " name=\"" + xmlEscape(l.arg) + "\""
			}
			b.WriteString(ind + "  <attrspat" + extra + ">\n")
			for _, f := range l.formals {
				b.WriteString(ind + "    <attr name=\"" + xmlEscape(f.name) + "\" />\n")
			}
			b.WriteString(ind + "  </attrspat>\n")
		} else {
			b.WriteString(ind + "  <varpat name=\"" + xmlEscape(l.arg) + "\" />\n")
		}
		b.WriteString(ind + "</function>\n")
	default:
		b.WriteString(ind + "<unevaluated />\n")
	}
}

func (ev *Evaluator) xmlAttrs(b *strings.Builder, x *attrsVal, pos Pos, location bool, ind string, drvs map[string]bool) {
	for _, k := range x.names() {
		at := x.m[k]
		fmt.Fprintf(b, "%s<attr%s name=\"%s\">\n", ind, xmlPosAttrs(at.pos, location), xmlEscape(k))
		ev.xmlValue(b, at.v, pos, location, ind+"  ", drvs)
		b.WriteString(ind + "</attr>\n")
	}
}
