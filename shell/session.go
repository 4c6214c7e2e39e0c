package shell

import (
	"context"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/nixcsh/nixcsh/core"
	"github.com/nixcsh/nixcsh/core/engine"
	"github.com/nixcsh/nixcsh/core/fault"
	"github.com/nixcsh/nixcsh/core/layout"
	"github.com/nixcsh/nixcsh/core/options"
	"github.com/nixcsh/nixcsh/core/verbs"
	"github.com/nixcsh/nixcsh/lua"
	"github.com/nixcsh/nixcsh/plugins"
)

// session is what lives as long as one nixcsh process: the plugin host
// (plugins stay up for the session and die with it) and, in the shell, the
// Lua state. Every Manager it makes fires Lua hooks first, then plugins.
type session struct {
	stdout, stderr io.Writer
	plugins        *plugins.Host
	lua            *lua.Session
}

func newSession(stdout, stderr io.Writer) *session {
	return &session{stdout: stdout, stderr: stderr}
}

// newManager wires a Manager for the command's global options, with no
// hooks.
func newManager(globals map[string]string, stderr io.Writer) (*core.Manager, error) {
	root := globals["root"]
	if root == "" {
		root = layout.RootFromEnv()
	}
	return engine.New(engine.Options{Root: root, Backend: globals["backend"], Stderr: stderr})
}

// newManager is the package's newManager with the session's hooks.
func (s *session) newManager(globals map[string]string, stderr io.Writer) (*core.Manager, error) {
	m, err := newManager(globals, stderr)
	if err != nil {
		return nil, err
	}
	if s.plugins == nil {
		s.plugins = plugins.NewHost(plugins.Config{
			Root: m.Paths.Root,
			Dirs: plugins.DefaultDirs(m.Paths.Root, globals["plugin-dir"], os.Getenv),
			Warn: func(msg string) { fmt.Fprintln(s.stderr, "warning: "+msg) },
		})
	}
	hooks := core.HookList{}
	if s.lua != nil {
		hooks = append(hooks, s.lua.Hooks())
	}
	m.Hooks = append(hooks, s.plugins)
	return m, nil
}

// luaSession makes the shell's persistent Lua state on first use.
func (s *session) luaSession(globals map[string]string, sandbox bool, args []string) *lua.Session {
	if s.lua == nil {
		s.lua = lua.New(s.luaOptions(globals, sandbox, args))
	}
	return s.lua
}

func (s *session) luaOptions(globals map[string]string, sandbox bool, args []string) lua.Options {
	return lua.Options{
		Stdout: s.stdout, Stderr: s.stderr, Sandbox: sandbox, Args: args, Getenv: os.Getenv,
		NewManager: func(w io.Writer) (*core.Manager, error) { return s.newManager(globals, w) },
	}
}

func (s *session) close() {
	if s.lua != nil {
		s.lua.Close()
	}
	s.plugins.Close()
}

// runLuaFile is `nixcsh [--sandbox] FILE.lua ARGS...`.
func (s *session) runLuaFile(ctx context.Context, globals map[string]string, words []string) int {
	sandbox := false
	if len(words) > 0 && words[0] == "--sandbox" {
		sandbox, words = true, words[1:]
	}
	return lua.RunScript(ctx, words[0], words[1:], s.luaOptions(globals, sandbox, words[1:]))
}

// isLuaScript says whether the command line names a Lua script to run.
func isLuaScript(words []string) bool {
	if len(words) > 0 && words[0] == "--sandbox" {
		words = words[1:]
	}
	if len(words) == 0 || !strings.HasSuffix(words[0], ".lua") {
		return false
	}
	_, err := os.Stat(words[0])
	return err == nil
}

// pluginHost finds the session's plugin host among a Manager's hooks.
func pluginHost(h core.Hooks) *plugins.Host {
	switch h := h.(type) {
	case *plugins.Host:
		return h
	case core.HookList:
		for _, x := range h {
			if p := pluginHost(x); p != nil {
				return p
			}
		}
	}
	return nil
}

// PluginList prints one plugin a line.
type PluginList []plugins.Info

func (l PluginList) Text() string {
	if len(l) == 0 {
		return "no plugins found (looked in --plugin-dir, $NIXCSH_PLUGIN_DIR, $XDG_DATA_HOME/nixcsh/plugins, /etc/nixcsh/plugins)\n"
	}
	rows := [][]string{{"NAME", "VERSION", "EVENTS", "STATE"}}
	for _, p := range l {
		rows = append(rows, []string{p.Name, p.Version, strings.Join(p.Events, ","), p.State})
	}
	width := make([]int, 3)
	for _, r := range rows {
		for i := range width {
			width[i] = max(width[i], len(r[i]))
		}
	}
	var b strings.Builder
	for _, r := range rows {
		fmt.Fprintf(&b, "%-*s  %-*s  %-*s  %s\n", width[0], r[0], width[1], r[1], width[2], r[2], r[3])
	}
	return b.String()
}

// pluginsVerb lists the session's plugins; shell/verbs.go adds it to the table.
var pluginsVerb = &verbs.Verb{
	Name: "plugins", NoName: true, JSON: true,
	Args:    []verbs.Arg{{Name: "reload", Kind: verbs.Word, Optional: true}},
	Summary: "list plugins (name, version, events, state); 'plugins reload' rediscovers them",
	Do: func(ctx context.Context, m *core.Manager, in *verbs.Invocation) (any, error) {
		h := pluginHost(m.Hooks)
		switch in.Arg(0) {
		case "":
		case "reload":
			if err := h.Reload(); err != nil {
				return nil, err
			}
		default:
			return nil, fault.Errorf(fault.Invalid, "plugins takes no argument or 'reload', not '%s'", in.Arg(0))
		}
		// Describe asks plugins never run before for their version and events.
		return PluginList(h.Describe(ctx)), nil
	},
}

// optionPaths feeds completion inside --config.
func optionPaths() []string { return options.Paths("") }
