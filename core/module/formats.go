package module

import (
	"bytes"
	"encoding/json"
	"fmt"
	"regexp"
	"sort"
	"strings"

	"github.com/nixcsh/nixcsh/core/nix"
)

// formats adds pkgs.formats.{json,yaml,ini,toml,keyValue}: each takes its
// settings and gives { type; generate = name: value: <file>; }. The value
// goes through builtins.toJSON (so packages and paths become strings, as in
// nixpkgs) and is then written in the format.
func (st *state) formats(m map[string]nix.Value) {
	render := map[string]func(any) (string, error){
		"json": renderJSON, "yaml": renderJSON, // JSON is YAML
		"ini": renderINI, "keyValue": renderKeyValue, "toml": renderTOML,
	}
	f := map[string]nix.Value{}
	for kind, r := range render {
		kind, r := kind, r
		f[kind] = nix.Builtin("formats."+kind, 1, func(e *nix.Evaluator, _ []nix.Value) (nix.Value, error) {
			typ, err := st.anythingType(e)
			if err != nil {
				return nil, err
			}
			gen := nix.Builtin("generate", 2, func(e *nix.Evaluator, args []nix.Value) (nix.Value, error) {
				name, err := st.forceString(e, args[0], "pkgs.formats."+kind+".generate")
				if err != nil {
					return nil, err
				}
				if name == "" || strings.Contains(name, "/") {
					return nil, st.fail("pkgs.formats.%s.generate: the name '%s' must be non-empty and without '/'", kind, name)
				}
				data, err := st.toJSONData(e, args[1])
				if err != nil {
					return nil, err
				}
				text, err := r(data)
				if err != nil {
					return nil, st.fail("pkgs.formats.%s.generate '%s': %v", kind, name, err)
				}
				dir := storeName(name, "formats."+kind, text)
				st.written[dir] = WrittenFile{Data: []byte(text), Mode: 0o444}
				return builtDerivation(name, dir, name, nil), nil
			})
			return nix.Attrs(map[string]nix.Value{"type": typ, "generate": gen}), nil
		})
	}
	m["formats"] = nix.Attrs(f)
}

// anythingType is lib.types.anything, the type of formats' values (sets
// merge recursively across definitions, as nixpkgs' format types do).
func (st *state) anythingType(e *nix.Evaluator) (nix.Value, error) {
	lib, err := e.Force(st.lib)
	if err != nil {
		return nil, err
	}
	types, _ := nix.GetAttr(lib, "types")
	ft, err := e.Force(types)
	if err != nil {
		return nil, err
	}
	a, ok := nix.GetAttr(ft, "anything")
	if !ok {
		return nil, st.fail("nixcsh's lib has no types.anything")
	}
	return a, nil
}

// toJSONData is builtins.toJSON v decoded into Go (numbers kept exact).
func (st *state) toJSONData(e *nix.Evaluator, v nix.Value) (any, error) {
	if st.toJSON == nil {
		f, err := e.EvalString("builtins.toJSON", "/nixcsh/toJSON.nix")
		if err != nil {
			return nil, err
		}
		st.toJSON = f
	}
	j, err := e.Call(st.toJSON, v)
	if err != nil {
		return nil, err
	}
	fj, err := e.Force(j)
	if err != nil {
		return nil, err
	}
	s, _ := nix.AsString(fj)
	d := json.NewDecoder(strings.NewReader(s))
	d.UseNumber()
	var out any
	if err := d.Decode(&out); err != nil {
		return nil, err
	}
	return out, nil
}

func renderJSON(v any) (string, error) {
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return "", err
	}
	return string(b) + "\n", nil
}

// scalar writes an INI or key=value value: strings as they are, numbers,
// booleans as true/false.
func scalar(v any) (string, error) {
	switch x := v.(type) {
	case string:
		return x, nil
	case json.Number:
		return x.String(), nil
	case bool:
		return fmt.Sprint(x), nil
	case nil:
		return "", nil
	}
	return "", fmt.Errorf("a value of an INI or key=value file must be a string, number or boolean, not %s", kindOf(v))
}

func kindOf(v any) string {
	switch v.(type) {
	case map[string]any:
		return "an attribute set"
	case []any:
		return "a list"
	}
	return fmt.Sprintf("%T", v)
}

func sortedKeys(m map[string]any) []string {
	ks := make([]string, 0, len(m))
	for k := range m {
		ks = append(ks, k)
	}
	sort.Strings(ks)
	return ks
}

// keyValues writes key=value lines; a list repeats its key.
func keyValues(b *strings.Builder, m map[string]any) error {
	for _, k := range sortedKeys(m) {
		vals, ok := m[k].([]any)
		if !ok {
			vals = []any{m[k]}
		}
		for _, v := range vals {
			s, err := scalar(v)
			if err != nil {
				return fmt.Errorf("%s: %v", k, err)
			}
			b.WriteString(k + "=" + s + "\n")
		}
	}
	return nil
}

func renderKeyValue(v any) (string, error) {
	m, ok := v.(map[string]any)
	if !ok {
		return "", fmt.Errorf("the value must be an attribute set, not %s", kindOf(v))
	}
	var b strings.Builder
	err := keyValues(&b, m)
	return b.String(), err
}

// renderINI writes one [section] per attribute, in name order.
func renderINI(v any) (string, error) {
	m, ok := v.(map[string]any)
	if !ok {
		return "", fmt.Errorf("the value must be an attribute set of sections, not %s", kindOf(v))
	}
	var b strings.Builder
	for i, sec := range sortedKeys(m) {
		body, ok := m[sec].(map[string]any)
		if !ok {
			return "", fmt.Errorf("the section '%s' must be an attribute set, not %s", sec, kindOf(m[sec]))
		}
		if i > 0 {
			b.WriteString("\n")
		}
		b.WriteString("[" + sec + "]\n")
		if err := keyValues(&b, body); err != nil {
			return "", fmt.Errorf("[%s] %v", sec, err)
		}
	}
	return b.String(), nil
}

var bareKey = regexp.MustCompile(`^[A-Za-z0-9_-]+$`)

func tomlKey(k string) string {
	if bareKey.MatchString(k) {
		return k
	}
	return tomlString(k)
}

func tomlString(s string) string {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	enc.Encode(s)
	return strings.TrimSuffix(b.String(), "\n")
}

// tomlInline writes a value on one line (arrays, inline tables).
func tomlInline(v any) (string, error) {
	switch x := v.(type) {
	case string:
		return tomlString(x), nil
	case json.Number, bool:
		return fmt.Sprint(x), nil
	case nil:
		return "", fmt.Errorf("TOML has no null")
	case []any:
		parts := make([]string, len(x))
		for i, e := range x {
			s, err := tomlInline(e)
			if err != nil {
				return "", err
			}
			parts[i] = s
		}
		return "[" + strings.Join(parts, ", ") + "]", nil
	case map[string]any:
		var parts []string
		for _, k := range sortedKeys(x) {
			s, err := tomlInline(x[k])
			if err != nil {
				return "", err
			}
			parts = append(parts, tomlKey(k)+" = "+s)
		}
		return "{ " + strings.Join(parts, ", ") + " }", nil
	}
	return "", fmt.Errorf("cannot write %T in TOML", v)
}

func isTableArray(v any) bool {
	l, ok := v.([]any)
	if !ok || len(l) == 0 {
		return false
	}
	for _, e := range l {
		if _, ok := e.(map[string]any); !ok {
			return false
		}
	}
	return true
}

// tomlTable writes a table's plain keys, then its sub-tables and arrays
// of tables under their dotted names.
func tomlTable(b *strings.Builder, path []string, m map[string]any) error {
	var subs []string
	for _, k := range sortedKeys(m) {
		v := m[k]
		if v == nil {
			continue // null: the key is left out
		}
		if _, ok := v.(map[string]any); ok || isTableArray(v) {
			subs = append(subs, k)
			continue
		}
		s, err := tomlInline(v)
		if err != nil {
			return fmt.Errorf("%s: %v", k, err)
		}
		b.WriteString(tomlKey(k) + " = " + s + "\n")
	}
	for _, k := range subs {
		p := append(append([]string{}, path...), tomlKey(k))
		name := strings.Join(p, ".")
		if sub, ok := m[k].(map[string]any); ok {
			b.WriteString("\n[" + name + "]\n")
			if err := tomlTable(b, p, sub); err != nil {
				return err
			}
			continue
		}
		for _, e := range m[k].([]any) {
			b.WriteString("\n[[" + name + "]]\n")
			if err := tomlTable(b, p, e.(map[string]any)); err != nil {
				return err
			}
		}
	}
	return nil
}

func renderTOML(v any) (string, error) {
	m, ok := v.(map[string]any)
	if !ok {
		return "", fmt.Errorf("the value must be an attribute set, not %s", kindOf(v))
	}
	var b strings.Builder
	if err := tomlTable(&b, nil, m); err != nil {
		return "", err
	}
	return strings.TrimPrefix(b.String(), "\n"), nil
}
