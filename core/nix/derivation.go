package nix

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"strings"
)

// Derivations as Nix instantiates them: derivationStrict turns the
// attributes into a store derivation (builder, args, environment, inputs
// from the string context), serialises it as an ATerm, and names the
// .drv file and the outputs by hashes of that text. Nothing is written;
// the paths are what Nix would write.

type drvOutput struct {
	path     string
	hashAlgo string // fixed-output only: "sha256", "r:sha256", ...
	hash     string // fixed-output only: base-16
}

type derivation struct {
	name      string
	outputs   map[string]drvOutput
	inputDrvs map[string][]string // .drv path -> the outputs used, sorted
	inputSrcs []string            // sorted
	platform  string
	builder   string
	args      []string
	env       map[string]string
}

// aterm is the derivation's text; inputs replaces inputDrvs (as
// hashDerivationModulo does).
func (d *derivation) aterm(inputs map[string][]string) string {
	var b strings.Builder
	q := func(s string) {
		b.WriteByte('"')
		for i := 0; i < len(s); i++ {
			switch c := s[i]; c {
			case '"', '\\':
				b.WriteByte('\\')
				b.WriteByte(c)
			case '\n':
				b.WriteString(`\n`)
			case '\r':
				b.WriteString(`\r`)
			case '\t':
				b.WriteString(`\t`)
			default:
				b.WriteByte(c)
			}
		}
		b.WriteByte('"')
	}
	list := func(ss []string) {
		b.WriteByte('[')
		for i, s := range ss {
			if i > 0 {
				b.WriteByte(',')
			}
			q(s)
		}
		b.WriteByte(']')
	}
	b.WriteString("Derive([")
	for i, name := range sortedKeys(d.outputs) {
		if i > 0 {
			b.WriteByte(',')
		}
		o := d.outputs[name]
		b.WriteByte('(')
		q(name)
		b.WriteByte(',')
		q(o.path)
		b.WriteByte(',')
		q(o.hashAlgo)
		b.WriteByte(',')
		q(o.hash)
		b.WriteByte(')')
	}
	b.WriteString("],[")
	for i, p := range sortedKeys(inputs) {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteByte('(')
		q(p)
		b.WriteByte(',')
		list(inputs[p])
		b.WriteByte(')')
	}
	b.WriteString("],")
	list(d.inputSrcs)
	b.WriteByte(',')
	q(d.platform)
	b.WriteByte(',')
	q(d.builder)
	b.WriteByte(',')
	list(d.args)
	b.WriteString(",[")
	for i, k := range sortedKeys(d.env) {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteByte('(')
		q(k)
		b.WriteByte(',')
		q(d.env[k])
		b.WriteByte(')')
	}
	b.WriteString("])")
	return b.String()
}

// hashModulo is Nix's hashDerivationModulo: a fixed-output derivation is
// identified by its output alone (so changing how it is fetched changes
// nothing downstream); any other by its text with each input derivation
// replaced by that derivation's own hash modulo.
func (ev *Evaluator) hashModulo(d *derivation, pos Pos) []byte {
	if o, ok := d.outputs["out"]; ok && len(d.outputs) == 1 && o.hash != "" {
		h := sha256.Sum256([]byte("fixed:out:" + o.hashAlgo + ":" + o.hash + ":" + o.path))
		return h[:]
	}
	st := ev.storeSt()
	inputs := map[string][]string{}
	for p, outs := range d.inputDrvs {
		h, ok := st.drvHash[p]
		if !ok {
			ev.throwf(pos, "cannot compute the hash of derivation '%s': nixcsh knows only the derivations it evaluated", p)
		}
		// two fixed-output inputs with the same output hash the same
		var b ctxBuilder
		b.add(inputs[h])
		b.add(outs)
		inputs[h] = b.ctx()
	}
	h := sha256.Sum256([]byte(d.aterm(inputs)))
	return h[:]
}

// outputPathName is the store name of an output: "out" adds nothing.
func outputPathName(name, output string) string {
	if output == "out" {
		return name
	}
	return name + "-" + output
}

// drvAttrWarnings are the attributes structured attrs replace by
// outputChecks (Nix warns that they have no effect).
var drvAttrWarnings = map[string]bool{"allowedReferences": true, "allowedRequisites": true,
	"disallowedReferences": true, "disallowedRequisites": true, "maxSize": true, "maxClosureSize": true}

func registerDerivation(reg func(string, int, primFn)) {
	reg("derivationStrict", 1, func(ev *Evaluator, pos Pos, a []Value) Value {
		return ev.derivationStrict(ev.forceAttrs(a[0], pos, ""), pos)
	})
}

func (ev *Evaluator) derivationStrict(attrs *attrsVal, pos Pos) Value {
	nameAt, ok := attrs.m["name"]
	if !ok {
		ev.pushCtx(Pos{}, "in the attrset passed as argument to builtins.derivationStrict")
		ev.throwf(pos, "attribute 'name' missing")
	}
	ev.pushCtx(nameAt.pos, "while evaluating the `name` attribute passed to builtins.derivationStrict")
	name := ev.forceString(nameAt.v, pos)
	ev.popCtx()
	ev.pushCtx(Pos{}, "while evaluating derivation '"+name+"'\n         whose name attribute is located at "+nameAt.pos.String())
	defer ev.popCtx()

	structured := false
	if at, ok := attrs.m["__structuredAttrs"]; ok {
		ev.pushCtx(Pos{}, "while evaluating the `__structuredAttrs` attribute passed to builtins.derivationStrict")
		structured = ev.forceBool(at.v, pos)
		ev.popCtx()
	}
	ignoreNulls := false
	if at, ok := attrs.m["__ignoreNulls"]; ok {
		ev.pushCtx(Pos{}, "while evaluating the `__ignoreNulls` attribute passed to builtins.derivationStrict")
		ignoreNulls = ev.forceBool(at.v, pos)
		ev.popCtx()
	}

	d := &derivation{name: name, outputs: map[string]drvOutput{}, inputDrvs: map[string][]string{}, env: map[string]string{}}
	var ctx ctxBuilder
	outputs := []string{"out"}
	var outputHash, outputHashAlgo string
	hasOutputHash, recursive := false, false
	var json map[string]string // structured attrs: name -> JSON text
	if structured {
		json = map[string]string{}
	}
	setOutputs := func(ss []string, p Pos) {
		seen := map[string]bool{}
		for _, o := range ss {
			if seen[o] {
				ev.throwf(p, "duplicate derivation output '%s'", o)
			}
			if o == "drvPath" {
				ev.throwf(p, "invalid derivation output name 'drvPath'")
			}
			seen[o] = true
		}
		if len(ss) == 0 {
			ev.throwf(p, "derivation cannot have an empty set of outputs")
		}
		outputs = ss
	}
	hashMode := func(s string, p Pos) {
		switch s {
		case "recursive", "nar":
			recursive = true
		case "flat":
			recursive = false
		case "text", "git":
			ev.throwf(p, "outputHashMode '%s' needs an experimental Nix feature, which nixcsh does not have", s)
		default:
			ev.throwf(p, "invalid value '%s' for 'outputHashMode' attribute", s)
		}
	}

	for _, k := range attrs.names() {
		if k == "__ignoreNulls" {
			continue
		}
		at := attrs.m[k]
		ev.pushCtx(at.pos, "while evaluating attribute '"+k+"' of derivation '"+name+"'")
		if ignoreNulls {
			if _, isNull := ev.force(at.v).(nullVal); isNull {
				ev.popCtx()
				continue
			}
		}
		switch {
		case (k == "__contentAddressed" || k == "__impure") && ev.forceBool(at.v, at.pos):
			feature := map[string]string{"__contentAddressed": "ca-derivations", "__impure": "impure-derivations"}[k]
			ev.throwf(at.pos, "experimental Nix feature '%s' is disabled; nixcsh does not support it", feature)
		case k == "args":
			l := ev.forceList(at.v, at.pos)
			for _, e := range l.elems {
				ev.pushCtx(Pos{}, "while evaluating an element of the argument list")
				s, c := ev.coerceCtx(e, at.pos, true, true)
				ev.popCtx()
				ctx.add(c)
				d.args = append(d.args, s)
			}
		case structured:
			if k == "__structuredAttrs" {
				break
			}
			json[k] = ev.structuredJSON(at.v, at.pos, &ctx)
			if drvAttrWarnings[k] {
				ev.warnDrvAttr(name, k, at.pos)
			}
			switch k {
			case "builder":
				s, c := ev.coerceCtx(at.v, at.pos, false, false)
				ctx.add(c)
				d.builder = s
			case "system":
				d.platform = ev.forceString(at.v, at.pos)
			case "outputHash":
				outputHash, hasOutputHash = ev.forceString(at.v, at.pos), true
			case "outputHashAlgo":
				outputHashAlgo = ev.forceString(at.v, at.pos)
			case "outputHashMode":
				hashMode(ev.forceString(at.v, at.pos), at.pos)
			case "outputs":
				l := ev.forceList(at.v, at.pos)
				ss := make([]string, len(l.elems))
				for i, e := range l.elems {
					ss[i] = ev.forceString(e, at.pos)
				}
				setOutputs(ss, at.pos)
			}
		default:
			s, c := ev.coerceCtx(at.v, at.pos, true, true)
			ctx.add(c)
			d.env[k] = s
			switch k {
			case "builder":
				d.builder = s
			case "system":
				d.platform = s
			case "outputHash":
				outputHash, hasOutputHash = s, true
			case "outputHashAlgo":
				outputHashAlgo = s
			case "outputHashMode":
				hashMode(s, at.pos)
			case "outputs":
				setOutputs(strings.Fields(s), at.pos)
			}
		}
		ev.popCtx()
	}
	if structured {
		var b strings.Builder
		b.WriteByte('{')
		for i, k := range sortedKeys(json) {
			if i > 0 {
				b.WriteByte(',')
			}
			jsonString(&b, k)
			b.WriteByte(':')
			b.WriteString(json[k])
		}
		b.WriteByte('}')
		d.env["__json"] = b.String()
	}

	// the inputs are what the strings used were made from
	st := ev.storeSt()
	srcs := map[string]bool{}
	for _, e := range ctx.ctx() {
		c := parseCtxElem(e)
		switch c.kind {
		case 'o':
			srcs[c.path] = true
		case '!':
			var b ctxBuilder
			b.add(d.inputDrvs[c.path])
			b.add(strCtx{c.output})
			d.inputDrvs[c.path] = b.ctx()
		case '=':
			// the whole closure of the .drv, and every output of each
			// derivation in it
			for _, p := range ev.closure(c.path) {
				srcs[p] = true
				if dd, ok := st.drvs[p]; ok {
					d.inputDrvs[p] = sortedKeys(dd.outputs)
				}
			}
		}
	}
	d.inputSrcs = sortedKeys(srcs)

	if d.builder == "" {
		ev.throwf(pos, "required attribute 'builder' missing")
	}
	if d.platform == "" {
		ev.throwf(pos, "required attribute 'system' missing")
	}
	if strings.HasSuffix(name, ".drv") {
		ev.throwf(pos, "derivation names are allowed to end in '.drv' only if they produce a single derivation file")
	}

	if hasOutputHash {
		if len(outputs) != 1 || outputs[0] != "out" {
			ev.throwf(pos, "multiple outputs are not supported in fixed-output derivations")
		}
		h, algo := ev.fixedOutputHash(outputHash, outputHashAlgo, pos)
		out := makeFixedOutputPath(recursive, algo, h, name)
		prefix := ""
		if recursive {
			prefix = "r:"
		}
		d.env["out"] = out
		d.outputs["out"] = drvOutput{path: out, hashAlgo: prefix + algo, hash: hex.EncodeToString(h)}
	} else {
		// the outputs are named by a hash of the derivation with their
		// own paths left empty
		for _, o := range outputs {
			d.env[o] = ""
			d.outputs[o] = drvOutput{}
		}
		h := ev.hashModulo(d, pos)
		for _, o := range outputs {
			p := makeStorePath("output:"+o, h, outputPathName(name, o))
			d.env[o] = p
			d.outputs[o] = drvOutput{path: p}
		}
	}

	for _, o := range d.outputs {
		ev.checkStorePath(o.path, pos)
	}
	refs := append([]string(nil), d.inputSrcs...)
	refs = append(refs, sortedKeys(d.inputDrvs)...)
	drvPath := makeTextPath(name+".drv", d.aterm(d.inputDrvs), refs)
	st.drvs[drvPath] = d
	st.refs[drvPath] = refs
	st.drvHash[drvPath] = hex.EncodeToString(ev.hashModulo(d, pos))

	r := newAttrs(len(d.outputs) + 1)
	r.set("drvPath", mkStrCtx(drvPath, strCtx{"=" + drvPath}), Pos{})
	for o, out := range d.outputs {
		r.set(o, mkStrCtx(out.path, strCtx{"!" + o + "!" + drvPath}), Pos{})
	}
	return r
}

// structuredJSON is an attribute's value in __json. The walk counts
// against max-call-depth, and Nix words running out of it as for calls.
func (ev *Evaluator) structuredJSON(v Value, pos Pos, ctx *ctxBuilder) string {
	defer func() {
		if r := recover(); r != nil {
			if ee, ok := r.(*EvalError); ok && ee.Msg == "stack overflow (possible infinite recursion)" {
				ee.Msg = "stack overflow; max-call-depth exceeded"
			}
			panic(r)
		}
	}()
	var b strings.Builder
	ev.toJSONCtx(&b, v, pos, ctx)
	return b.String()
}

// fixedOutputHash reads outputHash: any of Nix's hash notations; an empty
// hash stands for a fake one of the algorithm (so a build reports the
// real one).
func (ev *Evaluator) fixedOutputHash(s, algo string, pos Pos) ([]byte, string) {
	if s == "" {
		if algo == "" {
			algo = "sha256"
		}
		if hashSizes[algo] == 0 {
			ev.throwf(pos, "unknown hash algorithm '%s', expect 'blake3', 'md5', 'sha1', 'sha256', or 'sha512'", algo)
		}
		h := make([]byte, hashSizes[algo])
		ev.warnPlain(fmt.Sprintf("found empty hash, assuming '%s-%s'", algo, base64.StdEncoding.EncodeToString(h)))
		return h, algo
	}
	return ev.parseHash(s, algo, pos)
}

// closure is a store path with everything it refers to, transitively.
func (ev *Evaluator) closure(p string) []string {
	st := ev.storeSt()
	seen := map[string]bool{}
	var walk func(string)
	walk = func(p string) {
		if seen[p] {
			return
		}
		seen[p] = true
		for _, r := range st.refs[p] {
			walk(r)
		}
	}
	walk(p)
	return sortedKeys(seen)
}

// warnDrvAttr is Nix's warning that structured attrs make an attribute
// meaningless, located at the attribute.
func (ev *Evaluator) warnDrvAttr(name, attr string, pos Pos) {
	w := ev.warnOut
	if w == nil {
		w = ev.opts.Trace
	}
	fmt.Fprintf(w, "warning:\n         … while evaluating derivation '%s'\n\n         warning: 'structuredAttrs' disables the effect of the derivation attribute '%s'; use 'outputChecks.<output>.%s' instead\n%s",
		name, attr, attr, posSnippetFrom(pos, "         ", "              ", ev.sourceText))
}

// derivationNix is the `derivation` function: derivationStrict plus, for
// each output, an attribute set with the original attributes, every
// output, outPath/drvPath/outputName, and type = "derivation", the first
// output being the result. Written in Nix so that it is as lazy as Nix's.
const derivationNix = `drvAttrs @ { outputs ? [ "out" ], ... }:
let
  strict = builtins.derivationStrict drvAttrs;
  forOutput = outputName: {
    name = outputName;
    value = common // {
      outPath = builtins.getAttr outputName strict;
      drvPath = strict.drvPath;
      type = "derivation";
      inherit outputName;
    };
  };
  perOutput = map forOutput outputs;
  common = drvAttrs // builtins.listToAttrs perOutput // {
    all = map (o: o.value) perOutput;
    inherit drvAttrs;
  };
in (builtins.head perOutput).value
`

// derivationValue is the thunk of `derivation`, parsed on first use.
func (ev *Evaluator) derivationValue() Value {
	return &thunk{fn: func() (Value, error) {
		e, err := ev.parse(derivationNix, "«nix-internal»/derivation-internal.nix", "/")
		if err != nil {
			return nil, err
		}
		return e.eval(ev, ev.base), nil
	}}
}
