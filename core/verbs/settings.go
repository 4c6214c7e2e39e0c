package verbs

import (
	"github.com/nixcsh/nixcsh/core"
	"github.com/nixcsh/nixcsh/core/conf"
	"github.com/nixcsh/nixcsh/core/fault"
)

// settingFlags are the flags create and update take for the container
// settings, made from conf.Settings (each declared there once). A switch
// setting also has --no-FLAG, which turns it off.
func settingFlags() []Flag {
	var out []Flag
	for _, s := range conf.Settings {
		f := Flag{Name: s.Flag, Value: s.Value, Help: s.Help, Repeat: s.Repeat, Choices: s.Choices, Kind: Word}
		switch s.Completion {
		case "file":
			f.Kind = File
		case "number":
			f.Kind = Number
		case "interface":
			f.Kind = Interface
		}
		out = append(out, f)
		if s.Switch {
			out = append(out, Flag{Name: "no-" + s.Flag, Help: "turn --" + s.Flag + " off"})
		}
	}
	return out
}

// settingValues are the settings given on the command line, by flag name;
// a switch holds "1", or "" for --no-FLAG.
func settingValues(in *Invocation) (core.SettingValues, error) {
	out := core.SettingValues{}
	for _, s := range conf.Settings {
		if v := in.Values(s.Flag); v != nil {
			out[s.Flag] = v
		}
		if s.Switch && in.Switch("no-"+s.Flag) {
			if out[s.Flag] != nil {
				return nil, fault.Errorf(fault.Invalid, "--%s and --no-%s contradict each other: give one", s.Flag, s.Flag)
			}
			out[s.Flag] = []string{""}
		}
	}
	return out, nil
}
