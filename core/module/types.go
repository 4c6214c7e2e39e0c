package module

import (
	"fmt"
	"strings"
)

// Type is an option type, as nixpkgs' lib.types: it names the values an
// option accepts (Check), how several definitions combine (merge), and the
// wording NixOS uses for it in errors and option listings (Description).
// Types come from Go declarations (core/options) and from lib.types in a
// user's module; both end up as *Type so one merge implementation serves both.
type Type struct {
	Name    string  // "bool", "int", "str", "listOf", "submodule", ...
	Elem    *Type   // listOf, attrsOf, nullOr, uniq
	Alts    []*Type // either, oneOf
	Enum    []any   // enum: the allowed values (string, int64, bool)
	Pattern string  // strMatching: a POSIX ERE, anchored
	Min     int64   // ints.between
	Max     int64   // ints.between
	Sep     string  // separatedString: lines uses "\n", commas ","
	Options []Decl  // submodule declared in Go: option paths relative to the submodule
	Desc    string  // overrides the derived description (user-made mkOptionType)

	// sub holds the module-system internals of a submodule declared in Nix
	// (its modules as values); set only by the module evaluator.
	sub any
	// check is a user-supplied check function (mkOptionType, addCheck).
	check any
	// coerce is types.coercedTo's function (a nix.Value); Alts holds its
	// final type and the type it converts from, in that order.
	coerce any
}

// Decl declares one option: where it lives, what it accepts, its default and
// its documentation. The same declarations feed type checking, the
// `nixcsh options` listing and REPL completion.
type Decl struct {
	Path        string // dotted path, e.g. "services.openssh.ports"
	Type        *Type
	Default     any // Go value (bool, int64, string, []any, map[string]any, nil)
	HasDefault  bool
	Description string
	Example     any
	File        string // where it was declared ("" for nixcsh's own options)
	// DefaultFor, in an option of a submodule under attrsOf, gives the
	// default from the attribute name, as a NixOS submodule's
	// `{ name, ... }: { options.x.default = f name; }` does (redis's port
	// is 6379 for the server named "" and 0 for the others). HasDefault
	// stays false so listings show no single value; Description says it.
	DefaultFor func(name string) any
	// AliasOf makes this option another name of the option at that path, as
	// lib.mkAliasOptionModule does: its definitions are the target's (they
	// merge with the target's own) and its value is the target's.
	AliasOf string
}

// Opt makes a declaration with a default.
func Opt(path string, t *Type, def any, desc string) Decl {
	return Decl{Path: path, Type: t, Default: def, HasDefault: true, Description: desc}
}

// OptNoDefault makes a declaration without a default: reading the option
// without any definition is an error ("used but not defined").
func OptNoDefault(path string, t *Type, desc string) Decl {
	return Decl{Path: path, Type: t, Description: desc}
}

// The basic types. Each call returns a fresh value so callers may not alias.
var (
	Bool        = func() *Type { return &Type{Name: "bool"} }
	Int         = func() *Type { return &Type{Name: "int"} }
	Float       = func() *Type { return &Type{Name: "float"} }
	Str         = func() *Type { return &Type{Name: "str"} }
	Lines       = func() *Type { return &Type{Name: "separatedString", Sep: "\n"} }
	Commas      = func() *Type { return &Type{Name: "separatedString", Sep: ","} }
	Path        = func() *Type { return &Type{Name: "path"} }
	Package     = func() *Type { return &Type{Name: "package"} }
	Anything    = func() *Type { return &Type{Name: "anything"} }
	Unspecified = func() *Type { return &Type{Name: "unspecified"} }
	Raw         = func() *Type { return &Type{Name: "raw"} }
	AttrsT      = func() *Type { return &Type{Name: "attrs"} }
	Port        = func() *Type { return &Type{Name: "port", Min: 0, Max: 65535} }
	Unsigned    = func() *Type { return &Type{Name: "unsigned"} }
	Positive    = func() *Type { return &Type{Name: "positive"} }
	// UnitOption is systemd's option value: a scalar or a list of scalars;
	// definitions that are lists concatenate (as nixpkgs' unitOption).
	UnitOption = func() *Type { return &Type{Name: "unitOption"} }
)

// Between is ints.between lo hi.
func Between(lo, hi int64) *Type { return &Type{Name: "between", Min: lo, Max: hi} }

// ListOf is types.listOf t.
func ListOf(t *Type) *Type { return &Type{Name: "listOf", Elem: t} }

// AttrsOf is types.attrsOf t.
func AttrsOf(t *Type) *Type { return &Type{Name: "attrsOf", Elem: t} }

// NullOr is types.nullOr t.
func NullOr(t *Type) *Type { return &Type{Name: "nullOr", Elem: t} }

// Uniq is types.uniq t: only one definition allowed.
func Uniq(t *Type) *Type { return &Type{Name: "uniq", Elem: t} }

// Either is types.either a b.
func Either(a, b *Type) *Type { return &Type{Name: "either", Alts: []*Type{a, b}} }

// OneOf is types.oneOf ts.
func OneOf(ts ...*Type) *Type { return &Type{Name: "oneOf", Alts: ts} }

// Enum is types.enum values.
func Enum(values ...any) *Type { return &Type{Name: "enum", Enum: values} }

// StrMatching is types.strMatching pattern (the whole string must match).
func StrMatching(pattern string) *Type { return &Type{Name: "strMatching", Pattern: pattern} }

// Submodule is types.submodule with options declared in Go.
func Submodule(opts ...Decl) *Type { return &Type{Name: "submodule", Options: opts} }

// class is nixpkgs' descriptionClass, which decides where a nested type's
// description is parenthesized ("list of (null or string)").
func (t *Type) class() string {
	if t == nil || t.Desc != "" && t.Name == "custom" {
		return "noun"
	}
	switch t.Name {
	case "listOf", "attrsOf", "lazyAttrsOf":
		return "composite"
	case "nullOr", "either", "oneOf":
		return "conjunction"
	case "enum":
		if len(t.Enum) >= 2 {
			return "nonRestrictiveClause"
		}
	case "submodule":
		return "" // NixOS writes "attribute set of (submodule)"
	}
	return "noun"
}

// phrase is nixpkgs' optionDescriptionPhrase: t's description, in
// parentheses unless its class is one of ok.
func phrase(t *Type, ok ...string) string {
	c := t.class()
	for _, o := range ok {
		if c == o {
			return t.Description()
		}
	}
	return "(" + t.Description() + ")"
}

// either2 is types.either's wording for two alternatives.
func either2(a, b *Type) string {
	if a.class() == "nonRestrictiveClause" {
		return a.Description() + ", or " + phrase(b, "noun", "composite")
	}
	return phrase(a, "noun", "conjunction") + " or " + phrase(b, "noun", "conjunction", "composite")
}

// Description is the type's wording in NixOS's messages and manuals.
func (t *Type) Description() string {
	if t == nil {
		return "unspecified value"
	}
	if t.Desc != "" {
		return t.Desc
	}
	switch t.Name {
	case "bool":
		return "boolean"
	case "int":
		return "signed integer"
	case "float":
		return "floating point number"
	case "number":
		return "signed integer or floating point number"
	case "str":
		return "string"
	case "singleLineStr":
		return "(optionally newline-terminated) single-line string"
	case "nonEmptyStr":
		return "non-empty string"
	case "separatedString":
		if t.Sep == "" {
			return "Concatenated string"
		}
		return fmt.Sprintf("strings concatenated with %q", t.Sep)
	case "path":
		return "path"
	case "package":
		return "package"
	case "anything":
		return "anything"
	case "unspecified":
		return "unspecified value"
	case "raw":
		return "raw value"
	case "attrs":
		return "attribute set"
	case "port":
		return "16 bit unsigned integer; between 0 and 65535 (both inclusive)"
	case "unsigned":
		return "unsigned integer, meaning >=0"
	case "positive":
		return "positive integer, meaning >0"
	case "between":
		return fmt.Sprintf("integer between %d and %d (both inclusive)", t.Min, t.Max)
	case "unitOption":
		return "systemd option"
	case "listOf":
		return "list of " + phrase(t.Elem, "noun", "composite")
	case "attrsOf":
		return "attribute set of " + phrase(t.Elem, "noun", "composite")
	case "lazyAttrsOf":
		return "lazy attribute set of " + phrase(t.Elem, "noun", "composite")
	case "nullOr":
		return "null or " + phrase(t.Elem, "noun", "conjunction")
	case "uniq":
		return t.Elem.Description()
	case "coercedTo":
		return phrase(t.Alts[0], "noun") + " or " + phrase(t.Alts[1], "noun") + " convertible to it"
	case "either", "oneOf":
		// oneOf is a left fold of either, as in nixpkgs.
		if len(t.Alts) == 0 {
			return "impossible"
		}
		acc := t.Alts[0]
		for _, b := range t.Alts[1:] {
			acc = &Type{Name: "either", Alts: []*Type{acc, b}, Desc: either2(acc, b)}
		}
		return acc.Description()
	case "enum":
		switch len(t.Enum) {
		case 0:
			return "impossible (empty enum)"
		case 1:
			return "value " + showEnum(t.Enum[0]) + " (singular enum)"
		}
		parts := make([]string, len(t.Enum))
		for i, v := range t.Enum {
			parts[i] = showEnum(v)
		}
		return "one of " + strings.Join(parts, ", ")
	case "strMatching":
		return "string matching the pattern " + t.Pattern
	case "submodule":
		return "submodule"
	case "functionTo":
		return "function that evaluates to a(n) " + phrase(t.Elem, "noun", "composite")
	}
	return t.Name
}

func showEnum(v any) string {
	if s, ok := v.(string); ok {
		return fmt.Sprintf("%q", s)
	}
	return fmt.Sprint(v)
}

// Leaves lists the declarations of a submodule type (nil for others).
func (t *Type) Leaves() []Decl {
	if t == nil {
		return nil
	}
	return t.Options
}
