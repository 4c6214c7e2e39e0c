package nix

import (
	"sort"
	"strings"
)

// String context: the store paths a string was made from, so that a
// derivation using the string depends on them. Elements are encoded as in
// Nix's own serialisation, which keeps them comparable and sortable:
//
//	/nix/store/…-src        an opaque store path (a source, a toFile)
//	=/nix/store/…-x.drv     a derivation and all of its outputs (drvPath)
//	!out!/nix/store/…-x.drv one output of a derivation (outPath)
//
// A context is a sorted slice without duplicates; nil is the empty context.
type strCtx []string

func mkStrCtx(s string, ctx strCtx) *strVal {
	if len(ctx) == 0 {
		return &strVal{s: s}
	}
	c := ctx // a copy, so that ctx itself does not escape to the heap for every string
	return &strVal{s: s, ctx: &c}
}

// context is the string's context (nil for most strings).
func (s *strVal) context() strCtx {
	if s.ctx == nil {
		return nil
	}
	return *s.ctx
}

// mergeCtx is the union of two contexts; it shares a when b adds nothing.
func mergeCtx(a, b strCtx) strCtx {
	if len(b) == 0 {
		return a
	}
	if len(a) == 0 {
		return b
	}
	out := make(strCtx, 0, len(a)+len(b))
	i, j := 0, 0
	for i < len(a) || j < len(b) {
		switch {
		case j >= len(b) || i < len(a) && a[i] < b[j]:
			out = append(out, a[i])
			i++
		case i >= len(a) || b[j] < a[i]:
			out = append(out, b[j])
			j++
		default:
			out = append(out, a[i])
			i++
			j++
		}
	}
	return out
}

// ctxBuilder accumulates context from many strings.
type ctxBuilder map[string]struct{}

func (c *ctxBuilder) add(ctx strCtx) {
	if len(ctx) == 0 {
		return
	}
	if *c == nil {
		*c = ctxBuilder{}
	}
	for _, e := range ctx {
		(*c)[e] = struct{}{}
	}
}

func (c ctxBuilder) ctx() strCtx {
	if len(c) == 0 {
		return nil
	}
	out := make(strCtx, 0, len(c))
	for e := range c {
		out = append(out, e)
	}
	sort.Strings(out)
	return out
}

// ctxElem is one decoded context element.
type ctxElem struct {
	kind   byte   // 'o' opaque, '=' all outputs, '!' one output
	path   string // the store path (the .drv for '=' and '!')
	output string // for '!'
}

func parseCtxElem(e string) ctxElem {
	switch {
	case strings.HasPrefix(e, "="):
		return ctxElem{kind: '=', path: e[1:]}
	case strings.HasPrefix(e, "!"):
		rest := e[1:]
		i := strings.IndexByte(rest, '!')
		return ctxElem{kind: '!', output: rest[:i], path: rest[i+1:]}
	}
	return ctxElem{kind: 'o', path: e}
}

func (c ctxElem) String() string {
	switch c.kind {
	case '=':
		return "=" + c.path
	case '!':
		return "!" + c.output + "!" + c.path
	}
	return c.path
}

func ctxFromElems(es []ctxElem) strCtx {
	var b ctxBuilder
	for _, e := range es {
		b.add(strCtx{e.String()})
	}
	return b.ctx()
}

func registerContext(reg func(string, int, primFn)) {
	reg("hasContext", 1, func(ev *Evaluator, pos Pos, a []Value) Value {
		return mkBool(len(ev.forceStr(a[0], pos).context()) > 0)
	})
	reg("unsafeDiscardStringContext", 1, func(ev *Evaluator, pos Pos, a []Value) Value {
		return mkStr(ev.coerceToString(a[0], pos, false, false))
	})
	reg("unsafeDiscardOutputDependency", 1, func(ev *Evaluator, pos Pos, a []Value) Value {
		s, ctx := ev.coerceCtx(a[0], pos, false, false)
		es := make([]ctxElem, 0, len(ctx))
		for _, e := range ctx {
			c := parseCtxElem(e)
			if c.kind == '=' {
				c.kind = 'o' // the .drv file itself, not its outputs
			}
			es = append(es, c)
		}
		return mkStrCtx(s, ctxFromElems(es))
	})
	reg("addDrvOutputDependencies", 1, func(ev *Evaluator, pos Pos, a []Value) Value {
		s, ctx := ev.coerceCtx(a[0], pos, false, false)
		if len(ctx) != 1 {
			ev.throwf(pos, "context of string '%s' must have exactly one element, but has %d", s, len(ctx))
		}
		c := parseCtxElem(ctx[0])
		switch c.kind {
		case '!':
			ev.throwf(pos, "`addDrvOutputDependencies` can only act on derivations, not on a derivation output such as '%s'", c.output)
		case 'o':
			if !strings.HasSuffix(c.path, ".drv") {
				ev.throwf(pos, "path '%s' is not a derivation", c.path)
			}
			c.kind = '='
		}
		return mkStrCtx(s, strCtx{c.String()})
	})
	reg("getContext", 1, func(ev *Evaluator, pos Pos, a []Value) Value {
		s := ev.forceStr(a[0], pos)
		type info struct {
			path, all bool
			outputs   []Value
		}
		byPath := map[string]*info{}
		for _, e := range s.context() {
			c := parseCtxElem(e)
			in := byPath[c.path]
			if in == nil {
				in = &info{}
				byPath[c.path] = in
			}
			switch c.kind {
			case 'o':
				in.path = true
			case '=':
				in.all = true
			case '!':
				in.outputs = append(in.outputs, mkStr(c.output)) // sorted: the context is
			}
		}
		r := newAttrs(len(byPath))
		for p, in := range byPath {
			e := newAttrs(3)
			if in.path {
				e.set("path", trueV, Pos{})
			}
			if in.all {
				e.set("allOutputs", trueV, Pos{})
			}
			if len(in.outputs) > 0 {
				e.set("outputs", &listVal{in.outputs}, Pos{})
			}
			r.set(p, e, Pos{})
		}
		return r
	})
	reg("appendContext", 2, func(ev *Evaluator, pos Pos, a []Value) Value {
		s := ev.forceStr(a[0], pos)
		spec := ev.forceAttrs(a[1], pos, "")
		var es []ctxElem
		for _, p := range spec.names() {
			if !isStorePath(p) {
				ev.throwf(pos, "context key '%s' is not a store path", p)
			}
			info := ev.forceAttrs(spec.m[p].v, pos, "")
			if v, ok := info.m["path"]; ok && ev.forceBool(v.v, pos) {
				es = append(es, ctxElem{kind: 'o', path: p})
			}
			if v, ok := info.m["allOutputs"]; ok && ev.forceBool(v.v, pos) {
				if !strings.HasSuffix(p, ".drv") {
					ev.throwf(pos, "tried to add all-outputs context of %s, which is not a derivation, to a string", p)
				}
				es = append(es, ctxElem{kind: '=', path: p})
			}
			if v, ok := info.m["outputs"]; ok {
				outs := ev.forceList(v.v, pos)
				if len(outs.elems) > 0 && !strings.HasSuffix(p, ".drv") {
					ev.throwf(pos, "tried to add derivation output context of %s, which is not a derivation, to a string", p)
				}
				for _, o := range outs.elems {
					es = append(es, ctxElem{kind: '!', path: p, output: ev.forceString(o, pos)})
				}
			}
		}
		return mkStrCtx(s.s, mergeCtx(s.context(), ctxFromElems(es)))
	})
}

// isStorePath tells whether p names a top-level store object.
func isStorePath(p string) bool {
	rest, ok := strings.CutPrefix(p, storeDir+"/")
	return ok && len(rest) > 33 && rest[32] == '-' && !strings.Contains(rest, "/")
}
