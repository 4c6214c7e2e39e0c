package verbs

import (
	"github.com/nixcsh/nixcsh/core"
	"github.com/nixcsh/nixcsh/core/conf"
)

// settingFlags are the flags create and update take for the container
// settings, made from conf.Settings (each declared there once).
func settingFlags() []Flag {
	var out []Flag
	for _, s := range conf.Settings {
		f := Flag{Name: s.Flag, Value: s.Value, Help: s.Help, Repeat: s.Repeat, Choices: s.Choices, Kind: Word}
		switch s.Completion {
		case "file":
			f.Kind = File
		case "number":
			f.Kind = Number
		}
		out = append(out, f)
	}
	return out
}

// settingValues are the settings given on the command line, by flag name.
func settingValues(in *Invocation) core.SettingValues {
	out := core.SettingValues{}
	for _, s := range conf.Settings {
		if v := in.Values(s.Flag); v != nil {
			out[s.Flag] = v
		}
	}
	return out
}
