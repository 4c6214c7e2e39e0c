package options

import m "github.com/nixcsh/nixcsh/core/module"

// declareTime declares time.timeZone: /etc/localtime points to the host's
// zoneinfo, which the container sees under its /usr.
func declareTime() []Decl {
	return []Decl{
		m.Opt("time.timeZone", m.NullOr(m.StrMatching("^[^ ]+$")), nil, "The time zone used when displaying times and dates (null: UTC)."),
	}
}

func renderTime(v Values, g *Generation, h *Host) error {
	tz := v.Str("time.timeZone")
	if tz == "" {
		tz = "UTC"
	}
	if !h.Has("share/zoneinfo/" + tz) {
		if v.Str("time.timeZone") != "" {
			return invalid("The option 'time.timeZone' names %q, which is not a time zone of this host (no /usr/share/zoneinfo/%s; install the Debian package tzdata)", tz, tz)
		}
	}
	g.link("etc/localtime", "/usr/share/zoneinfo/"+tz)
	g.text("etc/timezone", tz+"\n")
	return nil
}
