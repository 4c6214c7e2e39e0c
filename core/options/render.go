package options

import (
	"sort"
	"strings"

	"github.com/nixcsh/nixcsh/core/fault"
	m "github.com/nixcsh/nixcsh/core/module"
)

// builtins declare the options rendered in Go, one family a file
// (NAME.go: declareNAME beside its renderNAME). The families of family.go
// declare the rest; All() gathers both.
var builtins = []func() []Decl{
	declareBase, declareNetworking, declareFirewall, declareTime, declareUsers, declareOpenSSH,
	declareHTTPD, declareSystemd, declareTmpfiles, declareEtc, declareEnvironment,
}

// steps render a generation, in this order: a family may read what an
// earlier one put in the generation (tmpfiles makes the homes of
// renderUsers' accounts; renderUnitLinks masks only the host units no
// family wrote).
var steps = []func(Values, *Generation, *Host) error{
	checkRequirements, renderBase, renderNetworking, renderTime, renderProfile, renderUsers,
	renderOpenSSH, renderHTTPD, renderServices, renderUnitKinds, renderEtc, renderTmpfiles,
	renderFirewall, checkSystemPackages, renderUnitLinks,
}

// Render turns a merged configuration into a generation for container name.
// It fails (fault.Invalid) when the configuration asks for something the host
// cannot provide, naming the Debian package to install.
// written are the files pkgs.writeText and friends made during evaluation
// (module.Config.Files); they become part of the generation.
func Render(v Values, name string, host *Host, written map[string]m.WrittenFile) (*Generation, error) {
	if host == nil {
		host = DefaultHost()
	}
	g := &Generation{
		Name:         name,
		HostName:     v.Str("networking.hostName"),
		StateVersion: v.Str("system.stateVersion"),
		MutableUsers: v.Bool("users.mutableUsers"),
		Files:        map[string]*File{},
	}
	for p, f := range written {
		g.Files[p] = &File{Data: f.Data, Mode: f.Mode, Link: f.Link, Dir: f.Dir}
	}
	for _, step := range steps {
		if err := step(v, g, host); err != nil {
			return nil, err
		}
	}
	g.Warnings = append(g.Warnings, v.Strings("warnings")...)
	sort.Slice(g.Units, func(i, j int) bool { return g.Units[i].Name < g.Units[j].Name })
	return g, nil
}

func invalid(format string, args ...any) error { return fault.Errorf(fault.Invalid, format, args...) }

// dedupe keeps the first of each value, in their order.
func dedupe[T comparable](xs []T) []T {
	seen := map[T]bool{}
	var out []T
	for _, x := range xs {
		if !seen[x] {
			seen[x] = true
			out = append(out, x)
		}
	}
	return out
}

// writeLines appends lines a configuration gives verbatim (extraConfig,
// shellInit...), ending in one newline; nothing when there are none.
func writeLines(b *strings.Builder, text string) {
	if text != "" {
		b.WriteString(strings.TrimRight(text, "\n") + "\n")
	}
}

// requireHost fails when option needs /usr/REL and the host lacks it,
// naming the Debian package that provides it.
func requireHost(h *Host, option, rel, pkg string) error {
	if h.Has(rel) {
		return nil
	}
	return invalid("%s needs /usr/%s, which is missing on this host: install the Debian package %s (apt-get install %s)", option, rel, pkg, pkg)
}
