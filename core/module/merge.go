package module

import (
	"reflect"
	"regexp"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/nixcsh/nixcsh/core/nix"
)

// nixSub is a submodule type declared in Nix: its modules, each with the
// file that declared it (repeated declarations union their modules).
type nixSub struct {
	modules []nix.Value
	files   []string
	// special is submoduleWith's specialArgs (nil if none); full marks
	// submoduleWith without shorthandOnlyDefinesConfig, where a definition
	// that is an attribute set is a whole module (options, imports, config).
	special nix.Value
	full    bool
}

func mergeSubs(a, b any) any {
	x, _ := a.(*nixSub)
	y, _ := b.(*nixSub)
	switch {
	case x == nil:
		return b
	case y == nil:
		return a
	}
	special := x.special
	if special == nil {
		special = y.special
	}
	return &nixSub{
		modules: append(append([]nix.Value{}, x.modules...), y.modules...),
		files:   append(append([]string{}, x.files...), y.files...),
		special: special,
		full:    x.full && y.full,
	}
}

// mergeTypes is the type of an option declared twice, as NixOS's typeMerge:
// submodules union their options, wrappers (listOf, attrsOf, nullOr ...)
// merge their element types, and other types merge only with an equal type.
// A declaration without a type (unspecified) takes the other's. ok is false
// when the types conflict.
func mergeTypes(a, b *Type) (*Type, bool) {
	switch {
	case a == nil || a.Name == "unspecified":
		return b, true
	case b == nil || b.Name == "unspecified":
		return a, true
	case a.Name == "submodule" && b.Name == "submodule":
		m := *a
		m.Options = append(append([]Decl{}, a.Options...), b.Options...)
		m.sub = mergeSubs(a.sub, b.sub)
		return &m, true
	case a.Name != b.Name:
		return nil, false
	}
	switch a.Name {
	case "listOf", "attrsOf", "lazyAttrsOf", "nullOr", "uniq", "functionTo":
		e, ok := mergeTypes(a.Elem, b.Elem)
		if !ok {
			return nil, false
		}
		m := *a
		m.Elem = e
		return &m, true
	case "enum":
		m := *a
		m.Enum = append([]any{}, a.Enum...)
		for _, v := range b.Enum {
			if !containsValue(m.Enum, v) {
				m.Enum = append(m.Enum, v)
			}
		}
		return &m, true
	case "either", "oneOf", "custom":
		return nil, false
	}
	if a.Description() != b.Description() {
		return nil, false
	}
	return a, true
}

func containsValue(list []any, v any) bool {
	for _, x := range list {
		if reflect.DeepEqual(x, v) {
			return true
		}
	}
	return false
}

// typeFromNix converts a lib.types value into a *Type.
func (sc *scope) typeFromNix(v nix.Value, file string) (*Type, error) {
	fv, err := sc.force(v)
	if err != nil {
		return nil, err
	}
	if sc.tagOf(fv) != "option-type" {
		return nil, sc.st.fail("The type of an option declared in '%s' is %s, not a type from lib.types.", file, nix.TypeOf(fv))
	}
	str := func(name string) string {
		a, ok := nix.GetAttr(fv, name)
		if !ok {
			return ""
		}
		f, err := sc.force(a)
		if err != nil {
			return ""
		}
		s, _ := nix.AsString(f)
		return s
	}
	num := func(name string) int64 {
		a, _ := nix.GetAttr(fv, name)
		f, err := sc.force(a)
		if err != nil {
			return 0
		}
		i, _ := nix.AsInt(f)
		return i
	}
	elem := func() (*Type, error) {
		a, ok := nix.GetAttr(fv, "elemType")
		if !ok {
			return Unspecified(), nil
		}
		return sc.typeFromNix(a, file)
	}
	t := &Type{Name: str("name")}
	switch t.Name {
	case "listOf", "attrsOf", "nullOr", "uniq", "functionTo":
		if t.Elem, err = elem(); err != nil {
			return nil, err
		}
	case "either", "oneOf":
		al, err := sc.force(sc.attr(fv, "alts"))
		if err != nil {
			return nil, err
		}
		for _, a := range nix.Elems(al) {
			at, err := sc.typeFromNix(a, file)
			if err != nil {
				return nil, err
			}
			t.Alts = append(t.Alts, at)
		}
	case "enum":
		g, err := sc.st.ev.ToGo(sc.attr(fv, "values"))
		if err != nil {
			return nil, err
		}
		t.Enum, _ = g.([]any)
	case "coercedTo":
		for _, n := range []string{"to", "from"} {
			a, err := sc.typeFromNix(sc.attr(fv, n), file)
			if err != nil {
				return nil, err
			}
			t.Alts = append(t.Alts, a)
		}
		t.coerce = sc.attr(fv, "coerce")
	case "strMatching":
		t.Pattern = str("pattern")
	case "between":
		t.Min, t.Max = num("min"), num("max")
	case "port":
		t.Min, t.Max = 0, 65535
	case "separatedString":
		t.Sep = str("sep")
	case "submodule":
		ml, err := sc.force(sc.attr(fv, "modules"))
		if err != nil {
			return nil, err
		}
		ms := nix.Elems(ml)
		files := make([]string, len(ms))
		for i := range files {
			files[i] = file
		}
		ns := &nixSub{modules: ms, files: files}
		if sa, ok := nix.GetAttr(fv, "specialArgs"); ok {
			ns.special = sa
		}
		if sh, ok := nix.GetAttr(fv, "shorthandOnlyDefinesConfig"); ok {
			if f, err := sc.force(sh); err == nil {
				b, _ := nix.AsBool(f)
				ns.full = !b
			}
		}
		t.sub = ns
	case "custom":
		t.Desc = str("description")
		t.check = &customType{check: sc.attr(fv, "check"), merge: sc.attr(fv, "merge")}
	}
	if d := str("description"); d != "" {
		t.Desc = d
	}
	if c, ok := nix.GetAttr(fv, "extraCheck"); ok {
		if ct, ok := t.check.(*customType); ok {
			ct.extra = c
		} else {
			t.check = &customType{extra: c}
		}
	}
	return t, nil
}

type customType struct {
	check, merge, extra nix.Value
}

func (sc *scope) callBool(f, arg nix.Value) (bool, error) {
	r, err := sc.st.ev.Call(f, arg)
	if err != nil {
		return false, err
	}
	b, _ := nix.AsBool(r)
	return b, nil
}

// check reports whether a (discharged) value has type t, looking inside
// lists and attribute sets (elements still wrapped in properties are
// checked when they are merged).
func (sc *scope) check(t *Type, v nix.Value) (bool, error) {
	fv, err := sc.force(v)
	if err != nil {
		return false, err
	}
	if ct, ok := t.check.(*customType); ok {
		if ct.check != nil {
			if f, err := sc.force(ct.check); err == nil && nix.TypeOf(f) == "lambda" {
				if ok, err := sc.callBool(f, fv); err != nil || !ok {
					return false, err
				}
			}
		}
		if ct.extra != nil {
			if ok, err := sc.callBool(ct.extra, fv); err != nil || !ok {
				return false, err
			}
		}
	}
	typ := nix.TypeOf(fv)
	switch t.Name {
	case "bool":
		return typ == "bool", nil
	case "int":
		return typ == "int", nil
	case "float":
		return typ == "float", nil
	case "number":
		return typ == "int" || typ == "float", nil
	case "str", "separatedString":
		return typ == "string", nil
	case "singleLineStr":
		s, ok := nix.AsString(fv)
		return typ == "string" && ok && !strings.Contains(strings.TrimSuffix(s, "\n"), "\n"), nil
	case "nonEmptyStr":
		s, _ := nix.AsString(fv)
		return typ == "string" && strings.TrimSpace(s) != "", nil
	case "path":
		switch typ {
		case "path":
			return true, nil
		case "string":
			s, _ := nix.AsString(fv)
			return strings.HasPrefix(s, "/"), nil
		case "set":
			_, ok := nix.GetAttr(fv, "outPath")
			return ok, nil
		}
		return false, nil
	case "package":
		switch typ {
		case "set":
			return isDerivation(sc, fv), nil
		case "string", "path":
			s, _ := nix.AsString(fv)
			return strings.HasPrefix(s, "/"), nil
		}
		return false, nil
	case "port", "between":
		i, ok := nix.AsInt(fv)
		return typ == "int" && ok && i >= t.Min && i <= t.Max, nil
	case "unsigned":
		i, ok := nix.AsInt(fv)
		return typ == "int" && ok && i >= 0, nil
	case "positive":
		i, ok := nix.AsInt(fv)
		return typ == "int" && ok && i > 0, nil
	case "enum":
		g, err := sc.st.ev.ToGo(fv)
		if err != nil {
			return false, nil
		}
		for _, e := range t.Enum {
			if reflect.DeepEqual(normInt(e), g) {
				return true, nil
			}
		}
		return false, nil
	case "strMatching":
		s, ok := nix.AsString(fv)
		if typ != "string" || !ok {
			return false, nil
		}
		re, err := regexp.Compile("^(?:" + t.Pattern + ")$")
		if err != nil {
			return false, sc.st.fail("types.strMatching: the pattern %q is not a regular expression nixcsh understands: %v", t.Pattern, err)
		}
		return re.MatchString(s), nil
	case "attrs":
		return typ == "set", nil
	case "functionTo":
		return typ == "lambda", nil
	case "submodule":
		return typ == "set" || typ == "lambda" || typ == "path", nil
	case "listOf":
		if typ != "list" {
			return false, nil
		}
		for _, e := range nix.Elems(fv) {
			if ok, err := sc.checkElem(t.Elem, e); err != nil || !ok {
				return false, err
			}
		}
		return true, nil
	case "attrsOf":
		if typ != "set" || sc.tagOf(fv) != "" && propertyTags[sc.tagOf(fv)] {
			return typ == "set", nil
		}
		for _, k := range nix.AttrNames(fv) {
			a, _ := nix.GetAttr(fv, k)
			if ok, err := sc.checkElem(t.Elem, a); err != nil || !ok {
				return false, err
			}
		}
		return true, nil
	case "nullOr":
		if typ == "null" {
			return true, nil
		}
		return sc.check(t.Elem, fv)
	case "uniq":
		return sc.check(t.Elem, fv)
	case "either", "oneOf", "coercedTo":
		for _, a := range t.Alts {
			if ok, err := sc.check(a, fv); err != nil || ok {
				return ok, err
			}
		}
		return false, nil
	case "unitOption":
		if typ == "list" {
			for _, e := range nix.Elems(fv) {
				fe, err := sc.force(e)
				if err != nil {
					return false, err
				}
				if !unitScalar(sc, fe) {
					return false, nil
				}
			}
			return true, nil
		}
		return unitScalar(sc, fv), nil
	}
	return true, nil // anything, unspecified, raw, custom
}

func unitScalar(sc *scope, v nix.Value) bool {
	switch nix.TypeOf(v) {
	case "bool", "int", "string", "path", "float":
		return true
	case "set":
		return isDerivation(sc, v)
	}
	return false
}

func normInt(x any) any {
	if i, ok := x.(int); ok {
		return int64(i)
	}
	return x
}

// checkElem checks an element unless it is wrapped in a property (mkIf,
// mkDefault, ...): those are discharged and checked when merged.
func (sc *scope) checkElem(t *Type, v nix.Value) (bool, error) {
	fv, err := sc.force(v)
	if err != nil {
		return false, err
	}
	if propertyTags[sc.tagOf(fv)] {
		return true, nil
	}
	return sc.check(t, fv)
}

// merge combines checked definitions of one priority by type.
func (sc *scope) merge(path string, t *Type, defs []def, name string) (nix.Value, error) {
	if ct, ok := t.check.(*customType); ok && ct.merge != nil {
		if f, err := sc.force(ct.merge); err == nil && nix.TypeOf(f) == "lambda" {
			var loc []any
			for _, p := range SplitPath(path) {
				loc = append(loc, p)
			}
			var dl []nix.Value
			for _, d := range defs {
				dl = append(dl, nix.Attrs(map[string]nix.Value{"file": nix.String(d.file), "value": d.value}))
			}
			g, err := sc.st.ev.Call(f, nix.FromGo(loc))
			if err != nil {
				return nil, err
			}
			return sc.st.ev.Call(g, nix.List(dl))
		}
	}
	switch t.Name {
	case "listOf":
		var out []nix.Value
		for _, d := range defs {
			for _, e := range nix.Elems(d.value) {
				ed, err := sc.element(path, t.Elem, d, e, nil)
				if err != nil {
					return nil, err
				}
				if ed == nil {
					continue
				}
				idx := strconv.Itoa(len(out))
				out = append(out, sc.lazyMerge(path, t.Elem, ed, idx))
			}
		}
		return nix.List(out), nil
	case "attrsOf":
		order := []string{}
		byName := map[string][]def{}
		for _, d := range defs {
			for _, k := range nix.AttrNames(d.value) {
				a, _ := nix.GetAttr(d.value, k)
				pos := d.pos
				if p, ok := nix.AttrPos(d.value, k); ok {
					pos = p
				}
				ed, err := sc.element(path+"."+joinPath([]string{k}), t.Elem, d, a, &pos)
				if err != nil {
					return nil, err
				}
				if ed == nil {
					continue
				}
				if _, seen := byName[k]; !seen {
					order = append(order, k)
				}
				byName[k] = append(byName[k], ed...)
			}
		}
		m := make(map[string]nix.Value, len(order))
		for _, k := range order {
			ds := byName[k]
			// Priorities apply per attribute (mkDefault on one user).
			k := k
			p := path + "." + joinPath([]string{k})
			m[k] = nix.Lazy(func() (nix.Value, error) { return sc.mergeDefs(p, t.Elem, ds, k) })
		}
		return nix.Attrs(m), nil
	case "nullOr":
		nulls := 0
		for _, d := range defs {
			if nix.TypeOf(d.value) == "null" {
				nulls++
			}
		}
		switch nulls {
		case len(defs):
			return nix.Null(), nil
		case 0:
			return sc.merge(path, t.Elem, defs, name)
		}
		return nil, sc.st.fail("The option '%s' is defined both null and not null, in %s.", path, sc.files(defs))
	case "uniq":
		if len(defs) > 1 {
			return nil, sc.st.fail("The option '%s' is defined multiple times while it's expected to be unique.\nDefinition values:%s", path, sc.showDefs(defs))
		}
		return sc.merge(path, t.Elem, defs, name)
	case "either", "oneOf":
		for _, a := range t.Alts {
			all := true
			for _, d := range defs {
				ok, err := sc.check(a, d.value)
				if err != nil {
					return nil, err
				}
				all = all && ok
			}
			if all {
				return sc.merge(path, a, defs, name)
			}
		}
		return nil, sc.st.fail("The option '%s' has conflicting definition values:%s", path, sc.showDefs(defs))
	case "submodule":
		return sc.submodule(path, t, defs, name)
	case "coercedTo":
		// Alts is [ final type, type coerced from ]: definitions that are
		// only of the second are converted by the coercion function.
		to, from := t.Alts[0], t.Alts[1]
		conv := make([]def, len(defs))
		for i, d := range defs {
			conv[i] = d
			isTo, err := sc.check(to, d.value)
			if err != nil {
				return nil, err
			}
			if isTo {
				continue
			}
			if isFrom, err := sc.check(from, d.value); err != nil || !isFrom {
				return nil, err
			}
			if conv[i].value, err = sc.st.ev.Call(t.coerce.(nix.Value), d.value); err != nil {
				return nil, err
			}
			if conv[i].value, err = sc.force(conv[i].value); err != nil {
				return nil, err
			}
		}
		return sc.mergeDefs(path, to, conv, name)
	case "separatedString":
		parts := make([]string, len(defs))
		for i, d := range defs {
			parts[i], _ = nix.AsString(d.value)
		}
		return nix.String(strings.Join(parts, t.Sep)), nil
	case "unitOption":
		anyList := false
		for _, d := range defs {
			anyList = anyList || nix.TypeOf(d.value) == "list"
		}
		if anyList {
			var out []nix.Value
			for _, d := range defs {
				if nix.TypeOf(d.value) == "list" {
					out = append(out, nix.Elems(d.value)...)
				} else {
					out = append(out, d.value)
				}
			}
			return nix.List(out), nil
		}
		return sc.mergeEqual(path, defs)
	case "attrs":
		m := map[string]nix.Value{}
		for _, d := range defs {
			for _, k := range nix.AttrNames(d.value) {
				m[k], _ = nix.GetAttr(d.value, k)
			}
		}
		return nix.Attrs(m), nil
	case "anything", "unspecified":
		return sc.mergeAny(path, t, defs)
	case "raw":
		if len(defs) > 1 {
			return nil, sc.st.fail("The unique option '%s' is defined multiple times. Definition values:%s", path, sc.showDefs(defs))
		}
		return defs[0].value, nil
	}
	return sc.mergeEqual(path, defs)
}

// element discharges one list element or attribute value of a definition;
// nil means mkIf false removed it.
func (sc *scope) element(path string, t *Type, d def, e nix.Value, pos *nix.Pos) ([]def, error) {
	ed := def{file: d.file, pos: d.pos, value: e}
	if pos != nil {
		ed.pos = *pos
	}
	fe, err := sc.force(e)
	if err != nil {
		return nil, err
	}
	wrapped := propertyTags[sc.tagOf(fe)]
	ds, err := sc.discharge(ed)
	if err != nil || len(ds) == 0 {
		return nil, err
	}
	if wrapped {
		if err := sc.checkDefs(path, t, ds); err != nil {
			return nil, err
		}
	}
	return ds, nil
}

// lazyMerge merges a list element's definitions on first use.
func (sc *scope) lazyMerge(path string, t *Type, ds []def, name string) nix.Value {
	if len(ds) == 1 && t.Name != "submodule" && t.check == nil && !needsMerge(t) {
		return ds[0].value
	}
	return nix.Lazy(func() (nix.Value, error) { return sc.mergeDefs(path, t, ds, name) })
}

func needsMerge(t *Type) bool {
	switch t.Name {
	case "listOf", "attrsOf", "nullOr", "either", "oneOf", "uniq", "coercedTo":
		return true
	}
	return false
}

func (sc *scope) files(defs []def) string {
	var fs []string
	for _, d := range defs {
		fs = append(fs, sc.loc(d))
	}
	return strings.Join(fs, " and ")
}

// mergeEqual accepts several definitions only if they are all equal.
func (sc *scope) mergeEqual(path string, defs []def) (nix.Value, error) {
	first, _, err := sc.toGo(defs[0].value)
	if err != nil {
		return nil, err
	}
	for _, d := range defs[1:] {
		g, _, err := sc.toGo(d.value)
		if err != nil {
			return nil, err
		}
		if !reflect.DeepEqual(first, g) {
			return nil, sc.st.fail("The option '%s' has conflicting definition values:%s\nUse `lib.mkForce value` or `lib.mkDefault value` to change the priority on any of these definitions.", path, sc.showDefs(defs))
		}
	}
	return defs[0].value, nil
}

// mergeAny is types.anything / unspecified: sets merge recursively, lists
// concatenate, everything else must agree.
func (sc *scope) mergeAny(path string, t *Type, defs []def) (nix.Value, error) {
	if len(defs) == 1 {
		return defs[0].value, nil
	}
	kinds := map[string]bool{}
	for _, d := range defs {
		kinds[nix.TypeOf(d.value)] = true
	}
	if len(kinds) == 1 {
		switch {
		case kinds["list"]:
			var out []nix.Value
			for _, d := range defs {
				out = append(out, nix.Elems(d.value)...)
			}
			return nix.List(out), nil
		case kinds["set"]:
			return sc.merge(path, AttrsOf(t), defs, "")
		case kinds["bool"] && t.Name == "unspecified":
			for _, d := range defs {
				if b, _ := nix.AsBool(d.value); b {
					return nix.Bool(true), nil
				}
			}
			return nix.Bool(false), nil
		case kinds["string"] && t.Name == "unspecified":
			var b strings.Builder
			for _, d := range defs {
				s, _ := nix.AsString(d.value)
				b.WriteString(s)
			}
			return nix.String(b.String()), nil
		}
	}
	return sc.mergeEqual(path, defs)
}

// submodule evaluates one instance of a submodule: its declarations (Go
// and Nix) and the definitions as its modules.
func (sc *scope) submodule(path string, t *Type, defs []def, name string) (nix.Value, error) {
	ns, _ := t.sub.(*nixSub)
	sub := newScope(sc.st, path, name)
	if ns != nil && ns.special != nil {
		if err := sub.addArgs(ns.special); err != nil {
			return nil, err
		}
	}
	if err := sub.declareGo(moduleArgsDecl); err != nil {
		return nil, err
	}
	for _, d := range t.Options {
		if err := sub.declareGo(d); err != nil {
			return nil, err
		}
	}
	seen := map[string]bool{}
	if ns != nil {
		for i, m := range ns.modules {
			if err := sub.collect(m, ns.files[i], seen); err != nil {
				return nil, err
			}
		}
	}
	for _, d := range defs {
		// types.submodule's shorthandOnlyDefinesConfig: a definition that is
		// an attribute set is config only, so an option named `options` or
		// `imports` (security.sudo.extraRules.*.commands.*.options) is a
		// value; a function is a whole module.
		fv, err := sub.force(d.value)
		if err != nil {
			return nil, err
		}
		if nix.TypeOf(fv) == "set" && (ns == nil || !ns.full) {
			sub.modules = append(sub.modules, modDef{file: d.file, config: fv})
			continue
		}
		if err := sub.collect(fv, d.file, seen); err != nil {
			return nil, err
		}
	}
	sub.finish()
	if err := sub.checkUnknown(); err != nil {
		return nil, err
	}
	return sub.result, nil
}

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
