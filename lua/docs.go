package lua

import (
	"fmt"
	"reflect"
	"sort"
	"strings"
	"time"

	"github.com/nixcsh/nixcsh/core"
	"github.com/nixcsh/nixcsh/core/verbs"
)

// This file renders the Lua API's documentation from the verb table: the
// `help lua` text, docs/lua.md and the LuaLS type stubs docs/nixcsh.d.lua.
// TestDocs keeps the files in docs/ up to date (go test ./lua -run TestDocs
// -update rewrites them).

// helper documents one of the module's hand-written functions.
type helper struct {
	name    string
	params  [][3]string // name, LuaLS type, meaning
	returns [][2]string // LuaLS type, meaning
	summary string
	text    string
}

var helpers = []helper{
	{name: "wait_port", params: [][3]string{{"name", "string", "a container name, or an IP address"}, {"port", "integer", "the TCP port"}, {"timeout_s?", "number", "seconds to keep trying (default 30)"}},
		returns: [][2]string{{"true|nil", ""}, {"string?", "why it did not answer"}},
		summary: "wait until a TCP port of the container answers",
		text:    "Connects to the container's address (show_ip) again and again until the port accepts a connection or the timeout passes. An answer counts only while the container is up, so a container that is still starting (in another nixcsh.parallel branch) may be waited on."},
	{name: "parallel", params: [][3]string{{"...", "fun(): any", "functions (or one table of functions)"}},
		returns: [][2]string{{"table|nil", "the first result of each function, by position"}, {"string?", "a summary of the failures"}, {"table?", "position -> message, for each failed function"}},
		summary: "run functions concurrently and collect their results",
		text:    "A function fails when it raises an error or returns nil, message. All functions run to the end even when some fail."},
	{name: "each", params: [][3]string{{"list", "any[]", "the items (usually container names)"}, {"fn", "fun(item: any, i: integer): any", "called once per item"}, {"options?", "{parallel?: integer}", "at most `parallel` calls at a time (default: all at once)"}},
		returns: [][2]string{{"table|nil", "item -> the first result of fn"}, {"string?", "a summary of the failures"}, {"table?", "item -> message, for each failed item"}},
		summary: "call fn for every item concurrently",
		text:    "As parallel, for one function over a list; results and errors are keyed by item."},
	{name: "on", params: [][3]string{{"event", "nixcsh.Event", "a lifecycle event, e.g. \"pre-start\""}, {"fn", "fun(ev: nixcsh.HookEvent): (boolean|nil, string?)", "called on every such event"}},
		summary: "register a Lua hook for a lifecycle event",
		text:    "The hook sees the same events plugins get, from every verb of this session (and of the REPL). A pre-* hook may return false, \"reason\" (or raise) to refuse the verb, which then fails with \"lua hook: reason\" and changes nothing; a post-* hook's error is a warning."},
	{name: "log", params: [][3]string{{"...", "any", "values, joined by tabs"}},
		summary: "print a timestamped line on stderr"},
	{name: "sleep", params: [][3]string{{"seconds", "number", ""}},
		summary: "wait; Ctrl-C (or SIGINT to nixcsh FILE.lua) interrupts it",
		text:    "Inside parallel/each only the calling function waits."},
	{name: "cluster", params: [][3]string{{"url", "string", "the cluster's etcd members, URL[,URL...]"}, {"options?", "{etcd_cert?: string, etcd_key?: string, etcd_ca?: string, insecure?: boolean}", "TLS files; insecure allows plain http:// off this host"}},
		returns: [][2]string{{"table", "create, update, start, stop, destroy, list, status, show_ip and hosts acting on the cluster"}},
		summary: "the cluster forms of the verbs (docs/cluster.md)",
		text:    "Each function takes the arguments and flags of the verb of the same name, as with `nixcsh --cluster URL VERB`; create also takes host, label, memory and restart_elsewhere. Failures return nil, message."},
}

// verbLuaType is the LuaLS type of a verb's success value.
func verbLuaType(v *verbs.Verb) string {
	r := v.Result
	if r.Lua != "" {
		return r.Lua
	}
	if r.Type == nil {
		return "true"
	}
	return luaType(r.Type)
}

// luaType is the LuaLS type of a Go value converted through JSON.
func luaType(t reflect.Type) string {
	if t == reflect.TypeOf(time.Time{}) {
		return "string"
	}
	switch t.Kind() {
	case reflect.Pointer:
		return luaType(t.Elem())
	case reflect.String:
		return "string"
	case reflect.Bool:
		return "boolean"
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64, reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return "integer"
	case reflect.Float32, reflect.Float64:
		return "number"
	case reflect.Slice, reflect.Array:
		return luaType(t.Elem()) + "[]"
	case reflect.Map:
		return "table<string, " + luaType(t.Elem()) + ">"
	case reflect.Struct:
		return "nixcsh." + t.Name()
	}
	return "any"
}

// classes collects the struct types reachable from the results, by name.
func classes() []reflect.Type {
	seen := map[string]reflect.Type{}
	var walk func(t reflect.Type)
	walk = func(t reflect.Type) {
		for t.Kind() == reflect.Pointer || t.Kind() == reflect.Slice {
			t = t.Elem()
		}
		if t.Kind() != reflect.Struct || t == reflect.TypeOf(time.Time{}) || seen[t.Name()] != nil {
			return
		}
		seen[t.Name()] = t
		for _, f := range jsonFields(t) {
			walk(f.typ)
		}
	}
	for _, v := range verbs.All() {
		if v.Result.Type != nil {
			walk(v.Result.Type)
		}
	}
	names := make([]string, 0, len(seen))
	for n := range seen {
		names = append(names, n)
	}
	sort.Strings(names)
	out := make([]reflect.Type, len(names))
	for i, n := range names {
		out[i] = seen[n]
	}
	return out
}

type jsonField struct {
	name     string
	typ      reflect.Type
	optional bool
}

// jsonFields are a struct's fields as its JSON form (and so Lua) names them.
func jsonFields(t reflect.Type) []jsonField {
	var out []jsonField
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		if !f.IsExported() {
			continue
		}
		tag := f.Tag.Get("json")
		if tag == "-" {
			continue
		}
		name, opts, _ := strings.Cut(tag, ",")
		if name == "" {
			name = f.Name
		}
		out = append(out, jsonField{name: name, typ: f.Type, optional: strings.Contains(opts, "omitempty") || f.Type.Kind() == reflect.Pointer})
	}
	return out
}

// luaParams are a verb's Lua parameters: name, LuaLS type, meaning.
func luaParams(v *verbs.Verb) [][3]string {
	var ps [][3]string
	for _, a := range v.Args {
		n := a.Name
		if a.Optional || a.OptionalWith != "" {
			n += "?"
		}
		ps = append(ps, [3]string{n, argLuaType(a), kindText(a.Kind)})
	}
	if v.Raw {
		ps = append(ps, [3]string{"...", "string", "the words, as on the command line"})
	}
	if v.Rest != nil {
		ps = append(ps, [3]string{v.Rest.Name, "string[]|string", "the command: an array of words, or a string run with sh -c"})
	}
	if len(v.Flags) > 0 && !v.Raw {
		ps = append(ps, [3]string{"flags?", flagsClass(v), "flags, by their Lua names"})
	}
	return ps
}

func argLuaType(a verbs.Arg) string {
	if a.Kind == verbs.Number {
		return "integer|string"
	}
	return "string"
}

func kindText(k verbs.Kind) string {
	switch k {
	case verbs.Container:
		return "an existing container's name"
	case verbs.NewName:
		return "the new container's name"
	case verbs.OptionPath:
		return "an option path, e.g. services.httpd.enable"
	case verbs.File:
		return "a file path"
	}
	return ""
}

func flagsClass(v *verbs.Verb) string {
	parts := strings.Split(LuaName(v.Name), "_")
	for i, p := range parts {
		parts[i] = strings.ToUpper(p[:1]) + p[1:]
	}
	return "nixcsh." + strings.Join(parts, "") + "Flags"
}

func flagLuaType(f verbs.Flag) string {
	if f.Value == "" {
		return "boolean"
	}
	if f.Repeat {
		return "string|string[]"
	}
	if f.Kind == verbs.Number {
		return "integer|string"
	}
	return "string"
}

// luaVerbsDocumented are the verbs Lua offers (interactive ones are not).
func luaVerbsDocumented() (offered, refused []*verbs.Verb) {
	for _, v := range luaVerbs() {
		if v.Interactive {
			refused = append(refused, v)
		} else {
			offered = append(offered, v)
		}
	}
	return
}

func aliasesOf(verb string) []string {
	var out []string
	for a, v := range aliases {
		if v == verb {
			out = append(out, a)
		}
	}
	sort.Strings(out)
	return out
}

func helperUsage(h helper) string {
	var ps []string
	for _, p := range h.params {
		ps = append(ps, p[0])
	}
	return synopsis("nixcsh."+h.name, ps)
}

// Help is the text of `help lua` in the REPL.
func Help() string {
	var b strings.Builder
	b.WriteString(`Lua scripting (gopher-lua, Lua 5.1)

  lua CODE               run a line in the shell's Lua state (an expression's value is printed;
                         an unfinished line, e.g. an open function/do/{, continues on the next prompt)
  source FILE.lua [ARGS] run a file in the shell's Lua state (its globals and n.on hooks stay)
  nixcsh FILE.lua [ARGS] run a saved script in a state of its own (see scripts/workflows/)

local n = require("nixcsh")   -- also the global nixcsh in the shell
Verbs take their arguments as on the command line, then a table of flags ('_' for '-'):
  n.create("web", {config = [[services.httpd.enable = true;]], port = "tcp:8080:80"})
Failures return nil, message; wrong arguments raise an error naming the argument.

`)
	offered, refused := luaVerbsDocumented()
	w := 0
	for _, v := range offered {
		w = max(w, len(luaUsage(v)))
	}
	for _, h := range helpers {
		w = max(w, len(helperUsage(h)))
	}
	for _, v := range offered {
		fmt.Fprintf(&b, "  %-*s  %s\n", w, luaUsage(v), v.Summary)
	}
	for _, v := range offered {
		for _, a := range aliasesOf(v.Name) {
			fmt.Fprintf(&b, "  %-*s  same as nixcsh.%s\n", w, "nixcsh."+a+"(...)", LuaName(v.Name))
		}
	}
	for _, h := range helpers {
		fmt.Fprintf(&b, "  %-*s  %s\n", w, helperUsage(h), h.summary)
	}
	fmt.Fprintf(&b, "  %-*s  the script's arguments; environment variables\n", w, "nixcsh.args, nixcsh.env")
	if len(refused) > 0 {
		var names []string
		for _, v := range refused {
			names = append(names, v.Name)
		}
		fmt.Fprintf(&b, "\nNot available from Lua (they need your terminal): %s.\n", strings.Join(names, ", "))
	}
	b.WriteString("Full reference: docs/lua.md; editor completion: docs/nixcsh.d.lua (LuaLS).\n")
	return b.String()
}

// Markdown renders docs/lua.md.
func Markdown() string {
	var b strings.Builder
	b.WriteString(mdIntro)
	offered, refused := luaVerbsDocumented()
	b.WriteString("\n## Verbs\n\nGenerated from the verb table (core/verbs): one function per verb, named as the verb with `_` for `-`.\n")
	for _, v := range offered {
		fmt.Fprintf(&b, "\n### `%s`\n\n%s.", luaUsage(v), upperFirst(v.Summary))
		if v.Help != "" {
			b.WriteString(" " + v.Help)
		}
		b.WriteString("\n")
		if al := aliasesOf(v.Name); len(al) > 0 {
			fmt.Fprintf(&b, "\nAlso `nixcsh.%s`.\n", strings.Join(al, "`, `nixcsh."))
		}
		if len(v.Flags) > 0 {
			b.WriteString("\n| flag | value | meaning |\n|---|---|---|\n")
			for _, f := range v.Flags {
				fmt.Fprintf(&b, "| `%s` | %s | %s |\n", LuaName(f.Name), flagLuaType(f), strings.ReplaceAll(f.Help, "|", "\\|"))
			}
		}
		ret := "true"
		if v.Result.Text != "" {
			ret = v.Result.Text
		}
		if typ := verbLuaType(v); typ != "true" {
			ret += " (`" + typ + "`)"
		}
		fmt.Fprintf(&b, "\nReturns %s; on failure nil, message.\n", ret)
	}
	if len(refused) > 0 {
		b.WriteString("\n### Not available from Lua\n\n")
		for _, v := range refused {
			fmt.Fprintf(&b, "- `nixcsh.%s`: %s. It needs the user's terminal; calling it raises an error. Use `nixcsh.run` for commands.\n", LuaName(v.Name), v.Summary)
		}
	}
	b.WriteString("\n## Result tables\n\nStruct results become tables keyed by their JSON names.\n")
	for _, t := range classes() {
		fmt.Fprintf(&b, "\n`nixcsh.%s`: ", t.Name())
		var fs []string
		for _, f := range jsonFields(t) {
			fs = append(fs, fmt.Sprintf("`%s` (%s)", f.name, luaType(f.typ)))
		}
		b.WriteString(strings.Join(fs, ", ") + "\n")
	}
	b.WriteString("\n## Helpers\n")
	for _, h := range helpers {
		fmt.Fprintf(&b, "\n### `%s`\n\n%s.", helperUsage(h), upperFirst(h.summary))
		if h.text != "" {
			b.WriteString(" " + h.text)
		}
		b.WriteString("\n\n")
		for _, p := range h.params {
			if p[2] != "" {
				fmt.Fprintf(&b, "- `%s` (%s): %s\n", strings.TrimSuffix(p[0], "?"), p[1], p[2])
			}
		}
	}
	b.WriteString(mdOutro)
	fmt.Fprintf(&b, "\nEvents for `nixcsh.on`: %s.\n", "`"+strings.Join(core.Events, "`, `")+"`")
	return b.String()
}

func upperFirst(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}

// Stubs renders docs/nixcsh.d.lua, LuaLS type annotations of the module.
func Stubs() string {
	var b strings.Builder
	b.WriteString("---@meta nixcsh\n-- LuaLS type stubs for nixcsh's Lua module. Generated from the verb table by\n-- `go test ./lua -run TestDocs -update`; do not edit. Put this file (or docs/)\n-- in your editor's Lua.workspace.library.\n\n")
	fmt.Fprintf(&b, "---@alias nixcsh.Event %s\n\n", quoteJoin(core.Events))
	b.WriteString("---@class nixcsh.HookEvent\n---@field event nixcsh.Event\n---@field container string\n---@field attrs table<string, string> the container's settings (HOST_ADDRESS, LOCAL_ADDRESS, ...) and facts such as generation\n\n")
	b.WriteString("---@class nixcsh.RunResult\n---@field code integer the command's exit code\n---@field stdout string\n---@field stderr string\n\n")
	for _, t := range classes() {
		fmt.Fprintf(&b, "---@class nixcsh.%s\n", t.Name())
		for _, f := range jsonFields(t) {
			opt := ""
			if f.optional {
				opt = "?"
			}
			fmt.Fprintf(&b, "---@field %s%s %s\n", f.name, opt, luaType(f.typ))
		}
		b.WriteString("\n")
	}
	offered, refused := luaVerbsDocumented()
	for _, v := range offered {
		if len(v.Flags) == 0 {
			continue
		}
		fmt.Fprintf(&b, "---@class %s\n", flagsClass(v))
		for _, f := range v.Flags {
			fmt.Fprintf(&b, "---@field %s? %s %s\n", LuaName(f.Name), flagLuaType(f), f.Help)
		}
		b.WriteString("\n")
	}
	b.WriteString("---@class nixcsh\n---@field args string[] the script's arguments\n---@field env table<string, string> the environment\nlocal nixcsh = {}\n")
	for _, v := range offered {
		names := append([]string{LuaName(v.Name)}, aliasesOf(v.Name)...)
		for _, name := range names {
			fmt.Fprintf(&b, "\n--- %s\n", upperFirst(v.Summary))
			var args []string
			for _, p := range luaParams(v) {
				comment := ""
				if p[2] != "" {
					comment = " " + p[2]
				}
				fmt.Fprintf(&b, "---@param %s %s%s\n", p[0], p[1], comment)
				args = append(args, strings.TrimSuffix(p[0], "?"))
			}
			fmt.Fprintf(&b, "---@return %s|nil result\n---@return string? err why it failed\n", verbLuaType(v))
			fmt.Fprintf(&b, "function nixcsh.%s(%s) end\n", name, strings.Join(args, ", "))
		}
	}
	for _, v := range refused {
		fmt.Fprintf(&b, "\n--- Not available from Lua: %s needs the user's terminal (raises an error).\n---@deprecated\nfunction nixcsh.%s(name) end\n", v.Name, LuaName(v.Name))
	}
	for _, h := range helpers {
		fmt.Fprintf(&b, "\n--- %s", upperFirst(h.summary))
		if h.text != "" {
			b.WriteString(". " + h.text)
		}
		b.WriteString("\n")
		var args []string
		for _, p := range h.params {
			comment := ""
			if p[2] != "" {
				comment = " " + p[2]
			}
			fmt.Fprintf(&b, "---@param %s %s%s\n", p[0], p[1], comment)
			args = append(args, strings.TrimSuffix(p[0], "?"))
		}
		for i, r := range h.returns {
			comment := ""
			if r[1] != "" {
				comment = " " + r[1]
			}
			fmt.Fprintf(&b, "---@return %s r%d%s\n", r[0], i+1, comment)
		}
		fmt.Fprintf(&b, "function nixcsh.%s(%s) end\n", h.name, strings.Join(args, ", "))
	}
	b.WriteString("\nreturn nixcsh\n")
	return b.String()
}

func quoteJoin(ss []string) string {
	q := make([]string, len(ss))
	for i, s := range ss {
		q[i] = `"` + s + `"`
	}
	return strings.Join(q, "|")
}
