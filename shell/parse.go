package shell

import (
	"strings"

	"github.com/nixcsh/nixcsh/core"
	"github.com/nixcsh/nixcsh/core/fault"
	"github.com/nixcsh/nixcsh/core/verbs"
)

// Command is a parsed command line: the verb, its invocation, and the global
// options (--root, --plugin-dir, --backend, --help).
type Command struct {
	Verb    *verbs.Verb
	Inv     verbs.Invocation
	Globals map[string]string
	Help    bool
}

// valueFlags says, for every option name any verb knows, whether it takes a
// value. Options may stand anywhere, also before the verb (as with
// nixos-container's Getopt), so the kind of an option cannot wait for the verb.
// repeat says which of them may be given more than once (--bind).
func valueFlags() (takes, repeat map[string]bool) {
	takes, repeat = map[string]bool{"json": false}, map[string]bool{}
	for _, f := range verbs.GlobalFlags {
		takes[f.Name] = f.Value != ""
	}
	for _, v := range verbs.All() {
		for _, f := range v.AllFlags() {
			takes[f.Name] = f.Value != ""
			repeat[f.Name] = repeat[f.Name] || f.Repeat
		}
	}
	return takes, repeat
}

// Parse reads a command line (the words after the program name) with
// nixos-container's rules and checks it in nixos-container's order:
// unknown option, address pairing, no action, --config with --config-file,
// no name, invalid name.
func Parse(words []string) (*Command, error) {
	cmd := &Command{Globals: map[string]string{}}
	known, repeat := valueFlags()
	flags := map[string]string{}
	lists := map[string][]string{}
	var positional, rest []string
	for i := 0; i < len(words); i++ {
		w := words[i]
		if w == "--" {
			rest = append([]string{}, words[i+1:]...)
			break
		}
		if len(w) < 2 || w[0] != '-' {
			// A Raw verb (eval) takes the words after it untouched.
			if v := verbs.Lookup(w); len(positional) == 0 && v != nil && v.Raw {
				cmd.Verb = v
				cmd.Inv = verbs.Invocation{Raw: words[i+1:], Flags: map[string]string{}}
				for name, value := range flags {
					if v.FindFlag(name) == nil {
						return nil, fault.Errorf(fault.Invalid, "option --%s does not apply to '%s'", name, v.Name)
					}
					cmd.Globals[name] = value
				}
				return cmd, nil
			}
			positional = append(positional, w)
			continue
		}
		opt := strings.TrimPrefix(strings.TrimPrefix(w, "-"), "-")
		name, value, hasValue := strings.Cut(opt, "=")
		takes, ok := known[name]
		if !ok {
			return nil, fault.Errorf(fault.Invalid, "Unknown option: %s", name)
		}
		if takes && !hasValue {
			if i+1 >= len(words) {
				return nil, fault.Errorf(fault.Invalid, "Option %s requires an argument", name)
			}
			i++
			value = words[i]
		} else if !takes && hasValue {
			return nil, fault.Errorf(fault.Invalid, "Option %s does not take an argument", name)
		} else if !takes {
			value = "1"
		}
		flags[name] = value
		if repeat[name] {
			lists[name] = append(lists[name], value)
		}
	}
	_, host := flags["host-address"]
	_, local := flags["local-address"]
	_, bridge := flags["bridge"]
	// nixos-container's check; a bridged container may have a local
	// address alone (NixOS's hostBridge + localAddress).
	if host != local && !(local && bridge) {
		return nil, fault.Errorf(fault.Invalid, "With --host-address set, --local-address is required as well!")
	}
	for _, g := range verbs.GlobalFlags {
		if v, ok := flags[g.Name]; ok {
			cmd.Globals[g.Name] = v
			delete(flags, g.Name)
		}
	}
	if _, ok := cmd.Globals["help"]; ok {
		cmd.Help = true
		if len(positional) > 0 {
			cmd.Verb = verbs.Lookup(positional[0])
		}
		return cmd, nil
	}
	if len(positional) == 0 {
		return nil, fault.Errorf(fault.Invalid, "no action specified")
	}
	_, cfg := flags["config"]
	_, cfgFile := flags["config-file"]
	if cfg && cfgFile {
		return nil, fault.Errorf(fault.Invalid, "--config and --config-file are mutually incompatible. Please define one or the other, but not both")
	}
	v := verbs.Lookup(positional[0])
	if v == nil {
		return nil, fault.Errorf(fault.Invalid, "unknown action '%s'; 'nixcsh --help' lists the actions", positional[0])
	}
	cmd.Verb = v
	args := positional[1:]
	needsName := len(v.Args) > 0 && !v.Args[0].Optional
	if needsName && v.Args[0].OptionalWith != "" {
		_, given := flags[v.Args[0].OptionalWith]
		needsName = !given
	}
	if needsName || (len(v.Args) > 0 && len(args) > 0) {
		if len(args) == 0 {
			return nil, fault.Errorf(fault.Invalid, "no container name specified")
		}
		if v.Args[0].Kind == verbs.Container || v.Args[0].Kind == verbs.NewName {
			if err := core.ValidateName(args[0]); err != nil {
				return nil, err
			}
		}
	}
	for name := range flags {
		if v.FindFlag(name) == nil {
			return nil, fault.Errorf(fault.Invalid, "option --%s does not apply to '%s'; see: nixcsh help %s", name, v.Name, v.Name)
		}
	}
	// Words beyond the declared arguments: the command of run (as
	// nixos-container passes them on), an error elsewhere.
	if len(args) > len(v.Args) {
		if v.Rest == nil {
			return nil, fault.Errorf(fault.Invalid, "too many arguments for '%s': %s; usage: %s", v.Name, strings.Join(args[len(v.Args):], " "), v.Usage())
		}
		rest = append(append([]string{}, args[len(v.Args):]...), rest...)
		args = args[:len(v.Args)]
	} else if rest != nil && v.Rest == nil {
		return nil, fault.Errorf(fault.Invalid, "'%s' takes no arguments after --", v.Name)
	}
	cmd.Inv = verbs.Invocation{Args: args, Flags: flags, Lists: lists, Rest: rest}
	return cmd, nil
}
