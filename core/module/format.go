package module

import (
	"fmt"
	"sort"
	"strconv"
	"strings"
)

// FormatNix writes Go configuration data (as Config.Get returns it) in Nix
// syntax, as nixos-option shows values: for `show-config` and the
// `nixcsh options` listing of defaults.
func FormatNix(v any) string {
	var b strings.Builder
	formatNix(&b, v, "")
	return b.String()
}

func formatNix(b *strings.Builder, v any, indent string) {
	switch x := v.(type) {
	case nil:
		b.WriteString("null")
	case bool:
		b.WriteString(strconv.FormatBool(x))
	case int64:
		b.WriteString(strconv.FormatInt(x, 10))
	case int:
		b.WriteString(strconv.Itoa(x))
	case float64:
		b.WriteString(strconv.FormatFloat(x, 'g', -1, 64))
	case string:
		b.WriteString(nixQuote(x))
	case []any:
		if len(x) == 0 {
			b.WriteString("[ ]")
			return
		}
		b.WriteString("[\n")
		for _, e := range x {
			b.WriteString(indent + "  ")
			formatNix(b, e, indent+"  ")
			b.WriteString("\n")
		}
		b.WriteString(indent + "]")
	case map[string]any:
		if x["type"] == "derivation" {
			if n, ok := x["name"].(string); ok {
				fmt.Fprintf(b, "«derivation %s»", n)
				return
			}
		}
		if len(x) == 0 {
			b.WriteString("{ }")
			return
		}
		keys := make([]string, 0, len(x))
		for k := range x {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		b.WriteString("{\n")
		for _, k := range keys {
			b.WriteString(indent + "  " + joinPath([]string{k}) + " = ")
			formatNix(b, x[k], indent+"  ")
			b.WriteString(";\n")
		}
		b.WriteString(indent + "}")
	default:
		fmt.Fprint(b, x)
	}
}
