package module

// Type checks: whether a definition's value has an option's type.

import (
	"reflect"
	"regexp"
	"strings"

	"github.com/nixcsh/nixcsh/core/nix"
)

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
