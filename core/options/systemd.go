package options

import (
	"fmt"
	"maps"
	"regexp"
	"slices"
	"strings"

	m "github.com/nixcsh/nixcsh/core/module"
)

// declareSystemd declares systemd.services, timers, paths and sockets: the
// units a configuration defines itself, and those the families' modules
// (modules/*.nix) define for their services.
func declareSystemd() []Decl {
	return []Decl{
		m.Opt("systemd.services", m.AttrsOf(m.Submodule(serviceDecls()...)), map[string]any{}, "Definition of systemd service units."),
		m.Opt("systemd.timers", m.AttrsOf(m.Submodule(timerDecls()...)), map[string]any{}, "Definition of systemd timer units."),
		m.Opt("systemd.paths", m.AttrsOf(m.Submodule(pathDecls()...)), map[string]any{}, "Definition of systemd path units."),
		m.Opt("systemd.sockets", m.AttrsOf(m.Submodule(socketDecls()...)), map[string]any{}, "Definition of systemd socket units."),
	}
}

func serviceDecls() []Decl {
	return append(unitDecls(),
		m.Opt("environment", m.AttrsOf(m.NullOr(m.OneOf(m.Str(), m.Path(), m.Package()))), map[string]any{}, "Environment variables passed to the service's processes."),
		m.Opt("path", m.ListOf(m.Either(m.Package(), m.Str())), []any{}, "Packages (their bin and sbin) or directories added to the service's PATH."),
		m.Opt("script", m.Lines(), "", "Shell commands executed as the service's main process."),
		m.Opt("preStart", m.Lines(), "", "Shell commands executed before the service's main process is started."),
		m.Opt("postStart", m.Lines(), "", "Shell commands executed after the service's main process is started."),
		m.Opt("serviceConfig", m.AttrsOf(m.UnitOption()), map[string]any{}, "Each attribute in this set specifies an option in the [Service] section of the unit."),
		m.Opt("restartIfChanged", m.Bool(), true, "Whether the service is restarted when its unit changed during a switch."),
		m.Opt("restartTriggers", m.ListOf(m.Unspecified()), []any{}, "Values whose change (between generations) restarts the service on a switch."),
		m.Opt("reloadTriggers", m.ListOf(m.Unspecified()), []any{}, "Values whose change (between generations) reloads the service on a switch."),
		m.Opt("startAt", m.Either(m.Str(), strList()), []any{}, "Start the service at these times (systemd.time(7) calendar events): a NAME.timer is made."),
		m.Opt("reloadIfChanged", m.Bool(), false, "Whether the service is reloaded instead of restarted when its unit changed."),
	)
}

func timerDecls() []Decl {
	return append(unitDecls(),
		m.Opt("timerConfig", m.AttrsOf(m.UnitOption()), map[string]any{}, "Each attribute in this set specifies an option in the [Timer] section of the unit."),
	)
}

// unitDecls are the options every kind of systemd unit has in NixOS
// (systemd.services, timers, paths, sockets): its [Unit] section and the
// units that pull it in. writeUnitHead and addDefinedUnit render them.
func unitDecls() []Decl {
	return []Decl{
		m.Opt("enable", m.Bool(), true, "Whether the unit is enabled (installed, and started when wanted)."),
		m.Opt("description", m.Str(), "", "Description of this unit used in systemd messages and progress indicators."),
		m.Opt("wantedBy", strList(), []any{}, "Units that want this one (e.g. multi-user.target): it starts with them."),
		m.Opt("requiredBy", strList(), []any{}, "Units that require this one."),
		m.Opt("after", strList(), []any{}, "Start this unit after the listed units."),
		m.Opt("before", strList(), []any{}, "Start this unit before the listed units."),
		m.Opt("requires", strList(), []any{}, "Units this one requires."),
		m.Opt("wants", strList(), []any{}, "Units this one wants."),
		m.Opt("partOf", strList(), []any{}, "Units whose stop or restart stops or restarts this one."),
		m.Opt("unitConfig", m.AttrsOf(m.UnitOption()), map[string]any{}, "Each attribute in this set specifies an option in the [Unit] section of the unit."),
	}
}

func pathDecls() []Decl {
	return append(unitDecls(),
		m.Opt("pathConfig", m.AttrsOf(m.UnitOption()), map[string]any{}, "Each attribute in this set specifies an option in the [Path] section of the unit (PathExists, PathChanged, Unit, ...)."),
	)
}

func socketDecls() []Decl {
	return append(unitDecls(),
		m.Opt("listenStreams", strList(), []any{}, "For each item in this list, a ListenStream option in the [Socket] section will be created."),
		m.Opt("listenDatagrams", strList(), []any{}, "For each item in this list, a ListenDatagram option in the [Socket] section will be created."),
		m.Opt("socketConfig", m.AttrsOf(m.UnitOption()), map[string]any{}, "Each attribute in this set specifies an option in the [Socket] section of the unit."),
	)
}

var unitNameRE = regexp.MustCompile(`^[A-Za-z0-9:_.\\@-]+$`)

func unitValue(x any) []string {
	switch t := x.(type) {
	case bool:
		if t {
			return []string{"true"}
		}
		return []string{"false"}
	case []any:
		var out []string
		for _, e := range t {
			out = append(out, unitValue(e)...)
		}
		return out
	case nil:
		return nil
	}
	return []string{asString(x)}
}

func writeSection(b *strings.Builder, cfg map[string]any) {
	for _, k := range slices.Sorted(maps.Keys(cfg)) {
		for _, val := range unitValue(cfg[k]) {
			fmt.Fprintf(b, "%s=%s\n", k, val)
		}
	}
}

func servicePath(entries []any) string {
	var dirs []string
	for _, e := range entries {
		base := asString(e)
		dirs = append(dirs, base+"/bin", base+"/sbin")
	}
	dirs = append(dirs, "/usr/bin", "/usr/sbin")
	return strings.Join(dedupe(dirs), ":")
}

func systemdQuote(s string) string {
	return `"` + strings.NewReplacer(`\`, `\\`, `"`, `\"`, "\n", `\n`).Replace(s) + `"`
}

// definedUnits are the enabled units of option (systemd.services,
// systemd.timers...), by name, and their options.
func definedUnits(v Values, option string) ([]string, map[string]Values, error) {
	names, subs := v.Subs(option)
	var enabled []string
	for _, n := range names {
		if !subs[n].Bool("enable") {
			continue
		}
		if !unitNameRE.MatchString(n) {
			return nil, nil, invalid("%s.%s: '%s' is not a valid unit name", option, n, n)
		}
		enabled = append(enabled, n)
	}
	return enabled, subs, nil
}

// unitDeps are the dependencies of unitDecls, as [Unit] keys.
var unitDeps = []struct{ opt, key string }{{"after", "After"}, {"before", "Before"}, {"requires", "Requires"}, {"wants", "Wants"}, {"partOf", "PartOf"}}

// writeUnitHead begins the [Unit] section of a unit defined by unitDecls:
// its description and dependencies (unitConfig follows what the kind adds).
func writeUnitHead(b *strings.Builder, u Values) {
	b.WriteString("[Unit]\n")
	if d := u.Str("description"); d != "" {
		fmt.Fprintf(b, "Description=%s\n", d)
	}
	for _, dep := range unitDeps {
		if l := u.Strings(dep.opt); len(l) > 0 {
			fmt.Fprintf(b, "%s=%s\n", dep.key, strings.Join(l, " "))
		}
	}
}

// addDefinedUnit installs a unit defined by unitDecls, with the links of
// its wantedBy and requiredBy.
func (g *Generation) addDefinedUnit(u Unit, text string, o Values) {
	for _, r := range o.Strings("requiredBy") {
		g.link("etc/systemd/system/"+r+".requires/"+u.Name, "../"+u.Name)
		u.Wanted = true
	}
	g.addUnit(u, text, o.Strings("wantedBy")...)
}

func renderServices(v Values, g *Generation, _ *Host) error {
	names, subs, err := definedUnits(v, "systemd.services")
	if err != nil {
		return err
	}
	for _, n := range names {
		s := subs[n]
		unit := n + ".service"
		var b strings.Builder
		writeUnitHead(&b, s)
		if !s.Bool("restartIfChanged") {
			b.WriteString("X-RestartIfChanged=false\n")
		}
		if s.Bool("reloadIfChanged") {
			b.WriteString("X-ReloadIfChanged=true\n")
		}
		writeSection(&b, s.Map("unitConfig"))
		b.WriteString("\n[Service]\n")
		env := map[string]string{"PATH": servicePath(s.List("path"))}
		for k, val := range s.Map("environment") {
			if val != nil {
				env[k] = asString(val)
			}
		}
		for _, k := range slices.Sorted(maps.Keys(env)) {
			fmt.Fprintf(&b, "Environment=%s\n", systemdQuote(k+"="+env[k]))
		}
		var scripts []string
		for _, sc := range []struct{ opt, suffix, key string }{
			{"preStart", "pre-start", "ExecStartPre"}, {"script", "start", "ExecStart"}, {"postStart", "post-start", "ExecStartPost"},
		} {
			body := s.Str(sc.opt)
			if strings.TrimSpace(body) == "" {
				continue
			}
			file := "scripts/" + n + "-" + sc.suffix
			g.script(file, "#!/bin/bash\nset -e\n"+body+"\n")
			scripts = append(scripts, file)
			fmt.Fprintf(&b, "%s=%s/%s\n", sc.key, StorePlaceholder, file)
		}
		writeSection(&b, s.Map("serviceConfig"))
		u := Unit{Name: unit, Scripts: scripts, RestartIfChanged: s.Bool("restartIfChanged"), ReloadIfChanged: s.Bool("reloadIfChanged")}
		for _, x := range s.List("restartTriggers") {
			u.TriggerValues = append(u.TriggerValues, fmt.Sprint(x))
		}
		for _, x := range s.List("reloadTriggers") {
			u.ReloadValues = append(u.ReloadValues, fmt.Sprint(x))
		}
		g.addDefinedUnit(u, b.String(), s)
		var at []string
		switch x := s.Get("startAt").(type) {
		case string:
			at = []string{x}
		case []any:
			for _, e := range x {
				at = append(at, asString(e))
			}
		}
		if len(at) > 0 {
			var tb strings.Builder
			fmt.Fprintf(&tb, "[Unit]\nDescription=Timer for %s\n\n[Timer]\n", unit)
			for _, a := range at {
				fmt.Fprintf(&tb, "OnCalendar=%s\n", a)
			}
			g.addUnit(Unit{Name: n + ".timer", RestartIfChanged: true}, tb.String(), "timers.target")
		}
	}
	return nil
}

// A unitKind is a kind of systemd unit declared with unitDecls: systemd.NAMEs
// become NAME.SUFFIX files whose own section comes from the option
// SECTIONConfig (and, for sockets, listenStreams/listenDatagrams).
type unitKind struct {
	option  string // "systemd.timers"
	suffix  string // "timer"
	section string // "Timer"
	config  string // "timerConfig"
	lists   []struct{ opt, key string }
}

var unitKinds = []unitKind{
	{option: "systemd.timers", suffix: "timer", section: "Timer", config: "timerConfig"},
	{option: "systemd.paths", suffix: "path", section: "Path", config: "pathConfig"},
	{option: "systemd.sockets", suffix: "socket", section: "Socket", config: "socketConfig",
		lists: []struct{ opt, key string }{{"listenStreams", "ListenStream"}, {"listenDatagrams", "ListenDatagram"}}},
}

// renderUnitKinds writes systemd.timers, systemd.paths and systemd.sockets.
func renderUnitKinds(v Values, g *Generation, _ *Host) error {
	for _, k := range unitKinds {
		names, subs, err := definedUnits(v, k.option)
		if err != nil {
			return err
		}
		for _, n := range names {
			t := subs[n]
			var b strings.Builder
			writeUnitHead(&b, t)
			writeSection(&b, t.Map("unitConfig"))
			fmt.Fprintf(&b, "\n[%s]\n", k.section)
			for _, l := range k.lists {
				for _, x := range t.Strings(l.opt) {
					fmt.Fprintf(&b, "%s=%s\n", l.key, x)
				}
			}
			writeSection(&b, t.Map(k.config))
			g.addDefinedUnit(Unit{Name: n + "." + k.suffix, RestartIfChanged: true}, b.String(), t)
		}
	}
	return nil
}
