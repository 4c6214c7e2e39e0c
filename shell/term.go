package shell

import (
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/nixcsh/nixcsh/core"
	"github.com/nixcsh/nixcsh/core/verbs"
)

// What the front end does differently on a terminal: colours, tables,
// progress. Piped output stays what nixos-container prints.

// getenv reads the environment, or nothing when Env has no Getenv.
func (e *Env) getenv(key string) string {
	if e.Getenv == nil {
		return ""
	}
	return e.Getenv(key)
}

// color reports whether w is a terminal that wants colour (not NO_COLOR,
// not TERM=dumb).
func (e *Env) color(w io.Writer) bool {
	return isTerminal(w) && e.getenv("NO_COLOR") == "" && e.getenv("TERM") != "dumb"
}

// errorText is how an error message is printed: in red on a terminal, after
// clearing a progress line the failed verb may have left.
func (e *Env) errorText(msg string) string {
	if !e.color(e.Stderr) {
		return msg
	}
	return "\r\033[K\033[31m" + msg + "\033[0m"
}

// forTerminal turns a result into its terminal form: list prints a table
// (name, status, address, autostart) instead of bare names.
func forTerminal(res any) any {
	if names, ok := res.(verbs.Names); ok {
		return infoTable(names)
	}
	return res
}

// infoTable is list's terminal form.
type infoTable []core.Info

func (t infoTable) Text() string {
	if len(t) == 0 {
		return "no containers\n"
	}
	var b strings.Builder
	w := tabwriter.NewWriter(&b, 0, 0, 2, ' ', 0)
	fmt.Fprintln(w, "NAME\tSTATUS\tADDRESS\tAUTOSTART")
	for _, i := range t {
		addr := i.LocalAddress
		if addr == "" {
			addr = i.LocalAddress6
		}
		if addr == "" {
			addr = "-"
		}
		auto := "no"
		if i.AutoStart {
			auto = "yes"
		}
		fmt.Fprintf(w, "%s\t%s\t%s\t%s\n", i.Name, i.Status, addr, auto)
	}
	w.Flush()
	return b.String()
}

// afterVerb reports on a terminal how long a boot took: a verb that fires
// post-start (start, restart) ends its progress line with "ready in 0.21s".
func (e *Env) afterVerb(v *verbs.Verb, took time.Duration) {
	if !isTerminal(e.Stderr) {
		return
	}
	for _, h := range v.Hooks {
		if h == core.PostStart {
			fmt.Fprintf(e.Stderr, "\r\033[Kready in %.2fs\n", took.Seconds())
			return
		}
	}
}
