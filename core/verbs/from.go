package verbs

import (
	"context"
	"fmt"
	"path/filepath"
	"slices"
	"sort"
	"strings"

	"github.com/nixcsh/nixcsh/core"
	"github.com/nixcsh/nixcsh/core/conf"
	"github.com/nixcsh/nixcsh/core/fault"
	"github.com/nixcsh/nixcsh/core/module"
	"github.com/nixcsh/nixcsh/core/options"
)

// create --from FILE: containers in the shape of NixOS's `containers`
// option. This file reads the container-level settings (what nixcsh honours
// and what it refuses); core.Manager.CreateFrom creates, updates and
// restarts.

// FromResults prints one line per container.
type FromResults []core.FromResult

func (rs FromResults) Text() string {
	var b strings.Builder
	for _, r := range rs {
		fmt.Fprintf(&b, "%s: %s", r.Name, r.Action)
		if r.Generation > 0 && r.Action != "unchanged" {
			fmt.Fprintf(&b, " (generation %d)", r.Generation)
		}
		if r.Restarted {
			b.WriteString(", restarted")
		}
		if r.Started {
			b.WriteString(", started")
		}
		b.WriteString("\n")
	}
	return b.String()
}

// unsupportedDefaults are NixOS's container-level options that nixcsh does
// not implement yet, with their NixOS defaults: a file may state the
// default (it changes nothing) but any other value is refused by name.
var unsupportedDefaults = map[string]any{
	"interfaces":       []any{},
	"specialArgs":      map[string]any{},
	"networkNamespace": nil,
	"path":             nil,
	"flake":            nil,
	"nixpkgs":          nil,
	"pkgs":             nil,
	"timeoutStartSec":  "1min",
	"copyResolvConf":   true,
}

// honoured are the container-level options nixcsh implements.
var honoured = []string{"config", "hostAddress", "localAddress", "hostAddress6", "localAddress6",
	"localMacAddress", "hostBridge", "forwardPorts", "autoStart", "restartIfChanged", "extraFlags"}

// nixDefault writes a default as Nix does.
func nixDefault(v any) string {
	switch d := v.(type) {
	case nil:
		return "null"
	case string:
		return fmt.Sprintf("%q", d)
	case map[string]any:
		return "{ }"
	case []any:
		return "[ ]"
	}
	return fmt.Sprint(v)
}

func isHonoured(k string) bool {
	for _, h := range honoured {
		if h == k {
			return true
		}
	}
	for _, s := range conf.Settings {
		if s.Option == k {
			return true
		}
	}
	return false
}

// honouredNames lists every container option nixcsh implements, for the
// message that refuses the others.
func honouredNames() string {
	names := append([]string(nil), honoured...)
	for _, s := range conf.Settings {
		if !slices.Contains(names, s.Option) {
			names = append(names, s.Option)
		}
	}
	return strings.Join(names, ", ")
}

// createFrom is create --from FILE [NAME].
func createFrom(ctx context.Context, m *core.Manager, file, only string) (any, error) {
	// Each container's configuration.nix imports the file: by absolute path.
	abs, err := filepath.Abs(file)
	if err != nil {
		return nil, fault.Errorf(fault.Invalid, "cannot resolve %s: %v", file, err)
	}
	file = abs
	entries, err := module.Containers(ctx, file, module.Options{Decls: options.All(), Packages: options.DefaultHost().Packages})
	if err != nil {
		return nil, err
	}
	var cs []core.FromContainer
	var problems []string
	for _, e := range entries {
		if only != "" && e.Name != only {
			continue
		}
		c, errs := fromEntry(file, e)
		problems = append(problems, errs...)
		cs = append(cs, c)
	}
	if only != "" && len(cs) == 0 {
		return nil, fault.Errorf(fault.NotFound, "%s has no containers.%s", file, only)
	}
	if len(problems) > 0 {
		return nil, fault.Errorf(fault.Invalid, "%s: nothing was created or changed:\n  %s\nnixcsh honours the container options %s",
			file, strings.Join(problems, "\n  "), honouredNames())
	}
	rs, err := m.CreateFrom(ctx, cs)
	if err != nil {
		return FromResults(rs), err
	}
	return FromResults(rs), nil
}

// fromEntry reads one container's settings; it returns every problem found.
func fromEntry(file string, e module.ContainerEntry) (core.FromContainer, []string) {
	c := core.FromContainer{Name: e.Name, Module: module.ContainerModule(file, e.Name), RestartIfChanged: true}
	var problems []string
	where := func(k string) string { return "containers." + e.Name + "." + k }
	bad := func(k, format string, args ...any) {
		problems = append(problems, where(k)+": "+fmt.Sprintf(format, args...))
	}
	str := func(k string) string {
		switch v := e.Settings[k].(type) {
		case nil:
			return ""
		case string:
			return v
		default:
			bad(k, "expected a string or null, got %v", v)
			return ""
		}
	}
	boolean := func(k string, def bool) bool {
		switch v := e.Settings[k].(type) {
		case nil:
			return def
		case bool:
			return v
		default:
			bad(k, "expected a boolean, got %v", v)
			return def
		}
	}
	keys := make([]string, 0, len(e.Settings))
	for k := range e.Settings {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		if isHonoured(k) {
			continue
		}
		def, known := unsupportedDefaults[k]
		switch {
		case !known:
			bad(k, "is not an option of NixOS's containers.<name>")
		case fmt.Sprint(e.Settings[k]) != fmt.Sprint(def):
			bad(k, "is not supported by nixcsh yet (only NixOS's default, %s, is accepted)", nixDefault(def))
		}
	}
	o := &c.Create
	hostNetwork := !boolean("privateNetwork", false) // the host-network setting below stores it
	o.AutoStart = boolean("autoStart", false)
	c.RestartIfChanged = boolean("restartIfChanged", true)
	o.Bridge = str("hostBridge")
	h4, l4, h6, l6 := str("hostAddress"), str("localAddress"), str("hostAddress6"), str("localAddress6")
	switch {
	case h4 != "" || l4 != "":
		o.HostAddress, o.LocalAddress = h4, l4
		c.HostAddress6, c.LocalAddress6 = h6, l6
	default:
		o.HostAddress, o.LocalAddress = h6, l6
	}
	// A pair, or (on a bridge, NixOS's hostBridge + localAddress) the
	// container's address alone.
	paired := func(host, local string) bool { return (host == "") == (local == "") || host == "" && o.Bridge != "" }
	if !paired(o.HostAddress, o.LocalAddress) || !paired(c.HostAddress6, c.LocalAddress6) {
		bad("localAddress", "nixcsh needs both the host's and the container's address (hostAddress and localAddress, or hostAddress6 and localAddress6), or hostBridge with localAddress alone")
	}
	c.LocalMAC = str("localMacAddress")
	if hostNetwork && (o.HostAddress != "" || o.Bridge != "" || c.LocalMAC != "") {
		bad("privateNetwork", "is false (the NixOS default: the host's network), but addresses or a bridge are set; add privateNetwork = true")
	}
	if fp, ok := e.Settings["forwardPorts"].([]any); ok {
		var ports []string
		for _, x := range fp {
			p, _ := x.(map[string]any)
			proto, _ := p["protocol"].(string)
			if proto == "" {
				proto = "tcp"
			}
			hp, ok := p["hostPort"].(int64)
			if !ok {
				bad("forwardPorts", "each entry needs hostPort (an integer), got %v", x)
				continue
			}
			cp, ok := p["containerPort"].(int64)
			if !ok {
				cp = hp
			}
			ports = append(ports, fmt.Sprintf("%s:%d:%d", proto, hp, cp))
		}
		o.Port = strings.Join(ports, ",")
		if hostNetwork && len(ports) > 0 {
			bad("forwardPorts", "needs privateNetwork = true (with the host's network the ports are the host's already)")
		}
	} else if v, given := e.Settings["forwardPorts"]; given && v != nil {
		bad("forwardPorts", "expected a list of { protocol; hostPort; containerPort; }")
	}
	if fl, ok := e.Settings["extraFlags"].([]any); ok && len(fl) > 0 {
		var flags []string
		for _, f := range fl {
			flags = append(flags, fmt.Sprint(f))
		}
		c.ExtraFlags = strings.Join(flags, " ")
	}
	// The container settings (conf.Settings): the file holds all of them,
	// so one it leaves out is cleared.
	o.Settings = core.SettingValues{}
	for _, s := range conf.Settings {
		o.Settings[s.Flag] = nil
		v := e.Settings[s.Option]
		if v == nil {
			v = s.NixDefault
		}
		if v != nil {
			vals, err := s.FromNix(v)
			if err != nil {
				bad(s.Option, "%v", err)
				continue
			}
			o.Settings[s.Flag] = vals
		}
	}
	return c, problems
}
