package verbs

import (
	"context"
	"fmt"
	"reflect"
	"sort"
	"strconv"
	"strings"

	"github.com/nixcsh/nixcsh/core"
	"github.com/nixcsh/nixcsh/core/fault"
	"github.com/nixcsh/nixcsh/core/layout"
)

var name = Arg{Name: "name", Kind: Container}

// Results whose text form differs from their JSON form.

// Names is a list of containers: one name a line as text (as nixos-container
// prints them), full records as JSON.
type Names []core.Info

func (n Names) Text() string {
	var b strings.Builder
	for _, i := range n {
		b.WriteString(i.Name + "\n")
	}
	return b.String()
}

// Created prints the chosen name only when the user asked for a unique one.
type Created struct {
	*core.Created
	printName bool
}

func (c Created) Text() string {
	if c.printName {
		return c.Name + "\n"
	}
	return ""
}

// MarshalJSON keeps the JSON form the core record.
func (c Created) MarshalJSON() ([]byte, error) { return jsonOf(c.Created) }

// GenerationList prints like nix-env --list-generations.
type GenerationList []layout.Generation

func (g GenerationList) Text() string {
	var b strings.Builder
	for _, gen := range g {
		cur := ""
		if gen.Current {
			cur = "   (current)"
		}
		fmt.Fprintf(&b, "%4d   %s   %s%s\n", gen.Number, gen.Created.Format("2006-01-02 15:04:05"), gen.StorePath, cur)
	}
	return b.String()
}

// Update results print which units changed.
type UpdateResult struct{ *core.Updated }

func (u UpdateResult) Text() string {
	if u.Switch == nil {
		return ""
	}
	var b strings.Builder
	for _, part := range []struct {
		what  string
		units []string
	}{{"stopped", u.Switch.Stopped}, {"restarted", u.Switch.Restarted}, {"started", u.Switch.Started}, {"reloaded", u.Switch.Reloaded}} {
		if len(part.units) > 0 {
			fmt.Fprintf(&b, "%s: %s\n", part.what, strings.Join(part.units, " "))
		}
	}
	return b.String()
}

func (u UpdateResult) MarshalJSON() ([]byte, error) { return jsonOf(u.Updated) }

// lifecycleVerbs are nixos-container's verbs and the other verbs on one
// container or on all of them.
func lifecycleVerbs() []*Verb {
	return []*Verb{
		{
			Name: "list", NoName: true, JSON: true,
			Summary: "list all containers",
			Result:  Result{Type: stringsType, Text: "the container names, sorted"},
			Help:    "Prints the name of every container, one a line, sorted. With --json: name, status, addresses, autostart and generation of each.",
			Do: func(ctx context.Context, m *core.Manager, in *Invocation) (any, error) {
				infos, err := m.Infos(ctx)
				return Names(infos), err
			},
		},
		{
			Name: "create", Args: []Arg{{Name: "name", Kind: NewName, OptionalWith: "from"}},
			Summary: "create a container from a NixOS configuration",
			Result:  Result{Type: reflect.TypeOf(core.Created{}), Text: "the name (as chosen with ensure_unique_name) and addresses"},
			Help: "Creates the container's settings (/etc/containers/NAME.conf), its state dir and configuration.nix, and builds its first system generation. " +
				"Addresses 10.233.N.1 (host) and 10.233.N.2 (container) are chosen unless --host-address/--local-address are given. " +
				"Prints 'host IP is H, container IP is L' on stderr. " +
				"With --from FILE (a file like NixOS's `containers = { NAME = { config = ...; privateNetwork; hostAddress; localAddress; autoStart; forwardPorts; }; }`, " +
				"or a function from { pkgs, lib, ... } to it): creates each container that does not exist and updates each that does, then restarts the running ones whose system changed " +
				"and starts the autoStart ones; with NAME, only that container. Container-level options nixcsh does not implement are refused by name.",
			Hooks: []string{core.PreCreate, core.PostCreate},
			Flags: append([]Flag{
				{Name: "config", Value: "S", Kind: NixText, Help: "NixOS configuration text, put into configuration.nix verbatim"},
				{Name: "config-file", Value: "P", Kind: File, Help: "a NixOS module that configuration.nix imports"},
				{Name: "from", Value: "FILE", Kind: File, Help: "create or update the containers of a NixOS `containers = { ... }` file"},
				{Name: "system-path", Value: "P", Kind: File, Help: "use this prebuilt generation of nixcsh's store (e.g. another container's, $(readlink .../per-container/NAME/system)) instead of building; a later update builds from configuration.nix"},
				{Name: "nixos-path", Value: "P", Kind: File, Help: "accepted for compatibility; nixcsh evaluates configurations itself"},
				{Name: "flake", Value: "REF", Kind: Word, Help: "not supported: use --config or --config-file"},
				{Name: "ensure-unique-name", Help: "add -0, -1, ... to the name until it is free, and print the name chosen"},
				{Name: "auto-start", Help: "start the container with 'start --all-autostart' (boot)"},
				{Name: "bridge", Value: "IFACE", Kind: Bridge, Help: "attach the container to this host bridge"},
				{Name: "port", Value: "PORT", Kind: Ports, Help: "forward host ports: tcp:8080:80[,udp:53...]"},
				{Name: "host-address", Value: "A", Kind: Address, Help: "the host side's address, IPv4 or IPv6 (with --local-address)"},
				{Name: "local-address", Value: "A", Kind: Address, Help: "the container's address, IPv4 or IPv6 (with --host-address)"},
			}, settingFlags()...),
			Do: func(ctx context.Context, m *core.Manager, in *Invocation) (any, error) {
				if err := refuseFlake(in); err != nil {
					return nil, err
				}
				if file, ok := in.Flag("from"); ok {
					for f := range in.Flags {
						if f != "from" {
							return nil, fault.Errorf(fault.Invalid, "--%s does not apply with --from: the settings of each container come from %s", f, file)
						}
					}
					return createFrom(ctx, m, file, in.Arg(0))
				}
				settings, err := settingValues(in)
				if err != nil {
					return nil, err
				}
				o := core.CreateOptions{
					Config:           in.Flags["config"],
					ConfigFile:       in.Flags["config-file"],
					SystemPath:       in.Flags["system-path"],
					EnsureUniqueName: in.Switch("ensure-unique-name"),
					AutoStart:        in.Switch("auto-start"),
					Bridge:           in.Flags["bridge"],
					Port:             in.Flags["port"],
					HostAddress:      in.Flags["host-address"],
					LocalAddress:     in.Flags["local-address"],
					Settings:         settings,
				}
				c, err := m.Create(ctx, in.Arg(0), o)
				if err != nil {
					return nil, err
				}
				return Created{Created: c, printName: o.EnsureUniqueName}, nil
			},
		},
		{
			Name: "destroy", Args: []Arg{name},
			Summary: "terminate the container if it runs and remove it",
			Result:  Result{Lua: "true", Text: "true"},
			Help:    "Removes the container's profile, state dir and settings. Anything mounted below the state dir is unmounted first and never followed into, so host data bind-mounted into it survives.",
			Hooks:   []string{core.PreDestroy, core.PostDestroy},
			Do: func(ctx context.Context, m *core.Manager, in *Invocation) (any, error) {
				return nil, m.Destroy(ctx, in.Arg(0))
			},
		},
		{
			Name: "start", Args: []Arg{{Name: "name", Kind: Container, OptionalWith: "all-autostart"}},
			Summary: "boot the container; returns once it reached multi-user.target",
			Result:  Result{Lua: "true", Text: "true once the container reached multi-user.target"},
			Help:    "Boots the container with systemd-nspawn and returns when its systemd reached multi-user.target. With --all-autostart, starts every container created with --auto-start.",
			Hooks:   []string{core.PreStart, core.PostStart},
			Flags:   []Flag{{Name: "all-autostart", Help: "start every AUTO_START=1 container instead of one"}},
			Do: func(ctx context.Context, m *core.Manager, in *Invocation) (any, error) {
				if in.Switch("all-autostart") {
					names, err := m.AutoStartNames(ctx)
					if err != nil {
						return nil, err
					}
					for _, n := range names {
						if err := m.Start(ctx, n, nil); err != nil {
							return nil, err
						}
					}
					return nil, nil
				}
				return nil, m.Start(ctx, in.Arg(0), progressTo(in))
			},
		},
		{
			Name: "stop", Args: []Arg{name},
			Summary: "power the container off cleanly",
			Result:  Result{Lua: "true", Text: "true once the container is down"},
			Help:    "Asks the container's systemd to power off (SIGRTMIN+3) and kills it if it has not within the stop timeout.",
			Hooks:   []string{core.PreStop, core.PostStop},
			Do: func(ctx context.Context, m *core.Manager, in *Invocation) (any, error) {
				return nil, m.Stop(ctx, in.Arg(0))
			},
		},
		{
			Name: "restart", Args: []Arg{name},
			Summary: "stop and start the container",
			Result:  Result{Lua: "true", Text: "true"},
			Hooks:   []string{core.PreStop, core.PostStop, core.PreStart, core.PostStart},
			Do: func(ctx context.Context, m *core.Manager, in *Invocation) (any, error) {
				return nil, m.Restart(ctx, in.Arg(0), progressTo(in))
			},
		},
		{
			Name: "terminate", Args: []Arg{name},
			Summary: "kill the container at once",
			Result:  Result{Lua: "true", Text: "true"},
			Hooks:   []string{core.PreStop, core.PostStop},
			Do: func(ctx context.Context, m *core.Manager, in *Invocation) (any, error) {
				return nil, m.Terminate(ctx, in.Arg(0))
			},
		},
		{
			Name: "status", Args: []Arg{name}, JSON: true,
			Summary: "print up or down",
			Result:  Result{Type: stringType, Text: `"up" or "down"`},
			Help:    "Prints 'up' when the container runs, else 'down'; 'gone' (and fails) when it does not exist. With --json: status, pid, addresses, uptime and generation.",
			Do: func(ctx context.Context, m *core.Manager, in *Invocation) (any, error) {
				if in.Switch("json") {
					return m.Info(ctx, in.Arg(0))
				}
				s, err := m.Status(ctx, in.Arg(0))
				if fault.KindOf(err) == fault.NotFound {
					// nixos-container prints "gone" and fails, with no message.
					return s, fault.ExitStatus(1)
				}
				return s, err
			},
		},
		{
			Name: "info", Args: []Arg{name}, JSON: true,
			Summary: "show the container's settings, state and generation",
			Result:  Result{Type: reflect.TypeOf(core.Info{}), Text: "settings, state and generation"},
			Do: func(ctx context.Context, m *core.Manager, in *Invocation) (any, error) {
				return m.Info(ctx, in.Arg(0))
			},
		},
		{
			Name: "update", Args: []Arg{name},
			Summary: "rebuild the container's system and switch a running container to it",
			Result:  Result{Type: reflect.TypeOf(core.Updated{}), Text: "the new generation and what switching to it did"},
			Help: "With --config or --config-file, rewrites configuration.nix first; the setting flags (--bind, --memory, ...) replace those settings in NAME.conf and take effect at the next start. Builds a new generation; if the container runs, prints 'reloading container...' and activates it: " +
				"changed units are restarted, new ones started, removed ones stopped. A failed build changes nothing.",
			Hooks: []string{core.PreUpdate, core.PostUpdate},
			Flags: append([]Flag{
				{Name: "config", Value: "S", Kind: NixText, Help: "new NixOS configuration text"},
				{Name: "config-file", Value: "P", Kind: File, Help: "a NixOS module that configuration.nix imports"},
				{Name: "nixos-path", Value: "P", Kind: File, Help: "accepted for compatibility; nixcsh evaluates configurations itself"},
				{Name: "flake", Value: "REF", Kind: Word, Help: "not supported: use --config or --config-file"},
			}, settingFlags()...),
			Do: func(ctx context.Context, m *core.Manager, in *Invocation) (any, error) {
				if err := refuseFlake(in); err != nil {
					return nil, err
				}
				settings, err := settingValues(in)
				if err != nil {
					return nil, err
				}
				o := core.UpdateOptions{ConfigFile: in.Flags["config-file"], Settings: settings}
				if c, ok := in.Flag("config"); ok {
					o.Config = &c
				}
				u, err := m.Update(ctx, in.Arg(0), o)
				if err != nil {
					return nil, err
				}
				return UpdateResult{u}, nil
			},
		},
		{
			Name: "rollback", Args: []Arg{name},
			Summary: "switch the container back to an earlier generation",
			Result:  Result{Type: reflect.TypeOf(core.Updated{}), Text: "the generation switched to and what switching did"},
			Hooks:   []string{core.PreUpdate, core.PostUpdate},
			Flags:   []Flag{{Name: "to", Value: "N", Kind: Number, Help: "the generation to switch to (default: the previous one)"}},
			Do: func(ctx context.Context, m *core.Manager, in *Invocation) (any, error) {
				to := 0
				if s, ok := in.Flag("to"); ok {
					n, err := strconv.Atoi(s)
					if err != nil || n < 1 {
						return nil, fault.Errorf(fault.Invalid, "--to takes a generation number (see: nixcsh generations %s), not %q", in.Arg(0), s)
					}
					to = n
				}
				u, err := m.Rollback(ctx, in.Arg(0), to)
				if err != nil {
					return nil, err
				}
				return UpdateResult{u}, nil
			},
		},
		{
			Name: "generations", Args: []Arg{name}, JSON: true,
			Summary: "list the container's system generations",
			Result:  Result{Type: reflect.TypeOf([]layout.Generation(nil)), Text: "the generations, oldest first"},
			Do: func(ctx context.Context, m *core.Manager, in *Invocation) (any, error) {
				g, err := m.Generations(ctx, in.Arg(0))
				return GenerationList(g), err
			},
		},
		{
			Name: "gc", NoName: true, JSON: true,
			Summary: "remove system generations no container uses",
			Result:  Result{Type: stringsType, Text: "the store paths removed"},
			Do: func(ctx context.Context, m *core.Manager, in *Invocation) (any, error) {
				return m.GC(ctx)
			},
		},
		{
			Name: "show-config", Args: []Arg{name, {Name: "option", Kind: OptionPath, Optional: true}}, JSON: true,
			Summary: "print the evaluated configuration, or one option's value",
			Result:  Result{Lua: "any", Text: "the evaluated value (a string, number, boolean or table)"},
			Do: func(ctx context.Context, m *core.Manager, in *Invocation) (any, error) {
				v, err := m.ShowConfig(ctx, in.Arg(0), in.Arg(1))
				if err != nil {
					return nil, err
				}
				if s, ok := v.(string); ok {
					return s, nil
				}
				return jsonValue{v}, nil
			},
		},
		{
			Name: "login", Args: []Arg{name}, Interactive: true,
			Summary: "log in to the container (user and password)",
			Result:  Result{Lua: "true", Text: "not available in Lua: it needs a terminal"},
			Do: func(ctx context.Context, m *core.Manager, in *Invocation) (any, error) {
				code, err := m.Login(ctx, in.Arg(0), in.Stdio)
				return exitResult(code, err)
			},
		},
		{
			Name: "root-login", Args: []Arg{name}, Interactive: true,
			Summary: "open a root shell in the container, without authentication",
			Result:  Result{Lua: "true", Text: "not available in Lua: it needs a terminal"},
			Do: func(ctx context.Context, m *core.Manager, in *Invocation) (any, error) {
				code, err := m.RootLogin(ctx, in.Arg(0), in.Stdio)
				return exitResult(code, err)
			},
		},
		{
			Name: "run", Args: []Arg{name}, Rest: &Arg{Name: "args", Kind: Word},
			Summary: "run a command in the container",
			Result:  Result{Lua: "nixcsh.RunResult", Text: "{code = N, stdout = \"...\", stderr = \"...\"}; a non-zero code is not a failure"},
			Help:    "Runs ARGS in a root login shell inside the running container. Its stdout, stderr and exit code are the command's. Write the command after --: run foo -- ls -l.",
			Do: func(ctx context.Context, m *core.Manager, in *Invocation) (any, error) {
				if len(in.Rest) == 0 {
					return nil, fault.Errorf(fault.Invalid, "run needs a command after --, e.g.: nixcsh run %s -- uname -a", in.Arg(0))
				}
				code, err := m.Run(ctx, in.Arg(0), in.Rest, in.Stdio)
				return exitResult(code, err)
			},
		},
		{
			Name: "show-ip", Args: []Arg{name},
			Summary: "print the container's IP address",
			Result:  Result{Type: stringType, Text: "the container's IP address"},
			Do: func(ctx context.Context, m *core.Manager, in *Invocation) (any, error) {
				return m.ShowIP(ctx, in.Arg(0))
			},
		},
		{
			Name: "show-host-key", Args: []Arg{name},
			Summary: "print the container's public ssh host key",
			Result:  Result{Type: stringType, Text: "the public ssh host key"},
			Do: func(ctx context.Context, m *core.Manager, in *Invocation) (any, error) {
				return m.ShowHostKey(ctx, in.Arg(0))
			},
		},
	}
}

// refuseFlake rejects --flake with what to do instead, and tells users that
// --nixos-path is not needed.
func refuseFlake(in *Invocation) error {
	if _, ok := in.Flag("flake"); ok {
		return fault.Errorf(fault.Invalid, "--flake is not supported: nixcsh has no Nix store; pass the configuration with --config or --config-file")
	}
	if _, ok := in.Flag("nixos-path"); ok && in.Stdio.Err != nil {
		fmt.Fprintln(in.Stdio.Err, "warning: --nixos-path is ignored: nixcsh evaluates configurations with its own NixOS modules")
	}
	return nil
}

// exitResult passes a command's exit code through as the verb's status.
func exitResult(code int, err error) (any, error) {
	if err != nil {
		return nil, err
	}
	if code != 0 {
		return nil, fault.ExitStatus(code)
	}
	return nil, nil
}

// progressTo reports boot progress on stderr when it is a terminal.
func progressTo(in *Invocation) func(string) {
	if !in.Stdio.TTY || in.Stdio.Err == nil {
		return nil
	}
	return func(s string) { fmt.Fprintf(in.Stdio.Err, "\r\033[K%s", s) }
}

// SortedFlagNames lists a verb's flags and the global ones, for completion.
func (v *Verb) SortedFlagNames() []string {
	var out []string
	for _, f := range v.AllFlags() {
		out = append(out, "--"+f.Name)
	}
	for _, f := range GlobalFlags {
		out = append(out, "--"+f.Name)
	}
	sort.Strings(out)
	return out
}
