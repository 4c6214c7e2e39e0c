package nix

// scope is the static counterpart of env, used to resolve variables to
// (level, index) once, after parsing, so that evaluation reads a slot
// instead of searching names. Every scope here must make exactly one env at
// run time (eval.go), in the same nesting and with the same slot order, or
// the indices read the wrong values: lambda ([@-name,] formals...), rec set
// and let (bindings in order), with (no slots). The env of the sources of
// `inherit (e) ...` has no scope here: only the selections bindAttrs makes
// for it read it, at level 0.
type scope struct {
	up    *scope
	names map[string]int
	with  bool
}

func (p *parseCtx) undefined(v *ExprVar) {
	panic(&parseError{v.pos, "undefined variable '" + v.name + "'"})
}

// bind resolves every variable of e in scope sc.
func (p *parseCtx) bind(e Expr, sc *scope) {
	switch x := e.(type) {
	case nil, *ExprConst, *ExprCurPos:
	case *ExprVar:
		// A name bound by any enclosing lambda, let or rec set wins over
		// every `with`, however deep; only a name bound nowhere is looked
		// up in the `with`s at run time, starting at the innermost
		// (withLevel). With no `with` around, it is undefined now, at
		// parse time, as in Nix.
		level := 0
		withLevel := -1
		for s := sc; s != nil; s = s.up {
			if s.with {
				if withLevel < 0 {
					withLevel = level
				}
			} else if i, ok := s.names[x.name]; ok {
				x.level, x.idx = level, i
				return
			}
			level++
		}
		if withLevel < 0 {
			p.undefined(x)
		}
		x.fromWith = true
		x.level = withLevel
	case *ExprConcat:
		for _, q := range x.parts {
			p.bind(q, sc)
		}
	case *ExprSelect:
		p.bind(x.e, sc)
		p.bindPath(x.path, sc)
		p.bind(x.def, sc)
	case *ExprHasAttr:
		p.bind(x.e, sc)
		p.bindPath(x.path, sc)
	case *ExprAttrs:
		p.bindAttrs(x, sc)
	case *ExprList:
		for _, q := range x.elems {
			p.bind(q, sc)
		}
	case *Lambda:
		ns := &scope{up: sc, names: make(map[string]int, len(x.formals)+1)}
		i := 0
		if x.arg != "" {
			ns.names[x.arg] = 0
			i = 1
		}
		for j, f := range x.formals {
			ns.names[f.name] = i + j
		}
		for _, f := range x.formals {
			p.bind(f.def, ns)
		}
		p.bind(x.body, ns)
	case *ExprCall:
		p.bind(x.fn, sc)
		for _, q := range x.args {
			p.bind(q, sc)
		}
	case *ExprLet:
		rs := p.bindAttrs(x.attrs, sc)
		p.bind(x.body, rs)
	case *ExprWith:
		p.bind(x.attrs, sc)
		p.bind(x.body, &scope{up: sc, with: true})
	case *ExprIf:
		p.bind(x.cond, sc)
		p.bind(x.then, sc)
		p.bind(x.els, sc)
	case *ExprAssert:
		p.bind(x.cond, sc)
		p.bind(x.body, sc)
	case *ExprNot:
		p.bind(x.e, sc)
	case *ExprNeg:
		p.bind(x.e, sc)
	case *ExprBinOp:
		p.bind(x.l, sc)
		p.bind(x.r, sc)
	default:
		panic("bind: unknown node")
	}
}

func (p *parseCtx) bindPath(path []AttrName, sc *scope) {
	for _, n := range path {
		if n.expr != nil {
			p.bind(n.expr, sc)
		}
	}
}

// bindAttrs resolves a set or let's bindings; for rec sets and lets it
// returns the scope holding the bindings (else sc).
func (p *parseCtx) bindAttrs(a *ExprAttrs, sc *scope) *scope {
	inner := sc
	if a.rec {
		inner = &scope{up: sc, names: make(map[string]int, len(a.binds))}
		for i, b := range a.binds {
			inner.names[b.name] = i
		}
	}
	for _, e := range a.inheritFrom {
		p.bind(e, inner)
	}
	for _, b := range a.binds {
		switch {
		case b.fromIdx >= 0:
			// `inherit (e) name`: the binding is e.name, where e is the
			// fromIdx-th slot of the inherit-from env that ExprAttrs.eval
			// makes just inside inner, hence level 0.
			sel := b.value.(*ExprSelect)
			if sel.e == nil {
				sel.e = &ExprVar{node: node{b.pos}, name: "", level: 0, idx: b.fromIdx}
			}
		case b.inherited:
			// `inherit name` in a rec set or let reads the enclosing
			// scope, not the binding itself (which would be a cycle).
			p.bind(b.value, sc)
		default:
			p.bind(b.value, inner)
		}
	}
	for _, d := range a.dyn {
		p.bind(d.name, inner)
		p.bind(d.value, inner)
	}
	return inner
}
