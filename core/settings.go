package core

import (
	"fmt"

	"github.com/nixcsh/nixcsh/core/conf"
	"github.com/nixcsh/nixcsh/core/fault"
)

// SettingValues are the container settings (conf.Settings) given to create
// or update, by flag name: every value of a repeated flag, in order.
type SettingValues map[string][]string

// applySettings stores the settings given into f, in the order conf.Settings
// declares them. A bad value is an Invalid error naming the flag and the
// container.
func applySettings(f *conf.File, name string, given SettingValues) error {
	for flag := range given {
		if conf.SettingByFlag(flag) == nil {
			return fault.Errorf(fault.Invalid, "--%s is not a container setting", flag)
		}
	}
	for i := range conf.Settings {
		s := &conf.Settings[i]
		values, ok := given[s.Flag]
		if !ok {
			continue
		}
		if err := s.Apply(f, values); err != nil {
			return fault.Errorf(fault.Invalid, "container '%s': %v", name, err)
		}
	}
	if f.Get(conf.PrivateNetwork) != "1" && (f.Get(conf.ExtraVeths) != "" || f.Get(conf.Macvlans) != "") {
		return fault.Errorf(fault.Invalid, "container '%s': --extra-veth and --macvlan need a private network, and the container shares the host's (--host-network; NixOS's privateNetwork = false): leave them out, or give the container its own network", name)
	}
	return nil
}

// settingsOf are the settings f holds, by flag name, for info.
func settingsOf(f *conf.File) map[string][]string {
	out := map[string][]string{}
	for i := range conf.Settings {
		s := &conf.Settings[i]
		if v := s.Values(f); v != nil {
			out[s.Flag] = v
		}
	}
	if len(out) == 0 {
		return nil
	}
	return out
}

// settingsChanged says which settings differ between two confs, for the
// message that a running container needs a restart.
func settingsChanged(old, new *conf.File) bool {
	return fmt.Sprint(settingsOf(old)) != fmt.Sprint(settingsOf(new))
}
