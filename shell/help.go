package shell

import (
	"fmt"
	"strings"

	"github.com/nixcsh/nixcsh/core/verbs"
)

// Usage is the whole usage text, generated from the verb table.
func Usage(prog string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "Usage: %s <action> [options]\n\nActions:\n", prog)
	for _, v := range verbs.All() {
		fmt.Fprintf(&b, "  %-16s %s\n", v.Name, v.Summary)
	}
	b.WriteString("\nGlobal options (anywhere on the line):\n")
	for _, f := range verbs.GlobalFlags {
		fmt.Fprintf(&b, "  %-22s %s\n", flagSynopsis(f), f.Help)
	}
	if prog != "nixos-container" {
		fmt.Fprintf(&b, "\nWith no action, %s opens its interactive shell (or runs lines piped to it; -c 'LINE; LINE' runs those).\n%s FILE.lua [ARGS...] runs a Lua script.", prog, prog)
	}
	fmt.Fprintf(&b, "\n'%s help ACTION' shows an action's options.\n", prog)
	return b.String()
}

// VerbHelp is `help VERB`; prog is how the program was invoked.
func VerbHelp(prog string, v *verbs.Verb) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s %s\n\n%s\n", prog, v.Usage(), v.Summary)
	if v.Help != "" {
		fmt.Fprintf(&b, "\n%s\n", wrap(v.Help, 78))
	}
	if fl := v.AllFlags(); len(fl) > 0 {
		b.WriteString("\nOptions:\n")
		for _, f := range fl {
			fmt.Fprintf(&b, "  %-26s %s\n", flagSynopsis(f), f.Help)
		}
	}
	if len(v.Hooks) > 0 {
		fmt.Fprintf(&b, "\nHook events: %s\n", strings.Join(v.Hooks, ", "))
	}
	return b.String()
}

func flagSynopsis(f verbs.Flag) string {
	if f.Value != "" {
		return "--" + f.Name + " " + f.Value
	}
	return "--" + f.Name
}

// wrap breaks text into lines of at most width columns.
func wrap(text string, width int) string {
	var b strings.Builder
	col := 0
	for _, w := range strings.Fields(text) {
		if col > 0 && col+1+len(w) > width {
			b.WriteByte('\n')
			col = 0
		} else if col > 0 {
			b.WriteByte(' ')
			col++
		}
		b.WriteString(w)
		col += len(w)
	}
	return b.String()
}

func lookupVerb(name string) *verbs.Verb { return verbs.Lookup(name) }
