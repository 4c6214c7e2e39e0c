package lua

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"sort"
	"strconv"
	"strings"

	"github.com/nixcsh/nixcsh/core"
	"github.com/nixcsh/nixcsh/core/fault"
	"github.com/nixcsh/nixcsh/core/verbs"
	glua "github.com/yuin/gopher-lua"
)

// LuaName is a verb's or flag's name in Lua: '-' becomes '_'
// (show-ip -> show_ip, ensure-unique-name -> ensure_unique_name).
func LuaName(s string) string { return strings.ReplaceAll(s, "-", "_") }

// aliases are shorter Lua names for verbs.
var aliases = map[string]string{"ip": "show-ip"}

// luaVerbs are the verbs the module offers, sorted by name.
func luaVerbs() []*verbs.Verb {
	var out []*verbs.Verb
	for _, v := range verbs.All() {
		if !v.Daemon { // a verb that runs until interrupted has no place in a script
			out = append(out, v)
		}
	}
	return out
}

// module builds the nixcsh table: one function per verb of the verb table,
// the aliases, and the helpers.
func (s *Session) module(L *glua.LState) *glua.LTable {
	mod := L.NewTable()
	for _, v := range luaVerbs() {
		mod.RawSetString(LuaName(v.Name), L.NewFunction(s.verbFunc(v)))
	}
	for alias, verb := range aliases {
		if v := verbs.Lookup(verb); v != nil {
			mod.RawSetString(alias, L.NewFunction(s.verbFunc(v)))
		}
	}
	for name, fn := range map[string]glua.LGFunction{
		"wait_port": s.luaWaitPort,
		"parallel":  s.luaParallel,
		"each":      s.luaEach,
		"on":        s.luaOn,
		"log":       s.luaLog,
		"sleep":     s.luaSleep,
		"cluster":   s.luaCluster,
	} {
		mod.RawSetString(name, L.NewFunction(fn))
	}
	mod.RawSetString("env", s.envTable(L))
	mod.RawSetString("args", L.NewTable())
	return mod
}

// raise raises a Lua error from the Go function fname, positioned at the
// Lua line that called it.
func raise(L *glua.LState, fname, format string, args ...any) {
	L.RaiseError("%s: %s", fname, fmt.Sprintf(format, args...))
}

// luaUsage is a verb's Lua synopsis: nixcsh.run(name, args [, flags]).
func luaUsage(v *verbs.Verb) string {
	var params []string
	for _, a := range v.Args {
		n := a.Name
		if a.Optional || a.OptionalWith != "" {
			n += "?"
		}
		params = append(params, n)
	}
	if v.Raw {
		params = append(params, "words...")
	}
	if v.Rest != nil {
		params = append(params, v.Rest.Name)
	}
	if len(v.Flags) > 0 && !v.Raw {
		params = append(params, "flags?")
	}
	return synopsis("nixcsh."+LuaName(v.Name), params)
}

// synopsis writes a call with optional parameters (marked "x?") in
// brackets: f(a [, b [, c]]).
func synopsis(fname string, params []string) string {
	s, opt := "", 0
	for _, p := range params {
		name, optional := strings.CutSuffix(p, "?")
		switch {
		case optional && s == "":
			s += "[" + name
			opt++
		case optional:
			s += " [, " + name
			opt++
		case s == "":
			s = name
		default:
			s += ", " + name
		}
	}
	return fname + "(" + s + strings.Repeat("]", opt) + ")"
}

// verbFunc is the Lua function of a verb: Lua arguments -> Invocation ->
// Verb.Do on the session's Manager -> Lua values.
func (s *Session) verbFunc(v *verbs.Verb) glua.LGFunction {
	fname := "nixcsh." + LuaName(v.Name)
	return func(L *glua.LState) int {
		if v.Interactive {
			raise(L, fname, "'%s' needs the user's terminal and is not available from Lua; run commands with nixcsh.run(name, {...})", v.Name)
		}
		inv := parseInvocation(L, v, fname)
		var out, errOut bytes.Buffer
		inv.Stdio = core.Stdio{In: strings.NewReader(""), Out: io.Discard, Err: s.stderr}
		if v.Rest != nil {
			inv.Stdio.Out, inv.Stdio.Err = &out, &errOut
		}
		return s.do(L, goCall{
			run: func(ctx context.Context) (any, error) {
				m, err := s.manager()
				if err != nil {
					return nil, err
				}
				return v.Do(ctx, m, inv)
			},
			push: func(res any, err error) []glua.LValue {
				return verbResult(L, v, inv, res, err, out.String(), errOut.String())
			},
		})
	}
}

// parseInvocation reads a verb's Lua arguments: its positional arguments in
// order, then (run) the command as an array of words or a shell string, then
// an optional table of flags. Anything else raises, naming the argument.
func parseInvocation(L *glua.LState, v *verbs.Verb, fname string) *verbs.Invocation {
	inv := &verbs.Invocation{Flags: map[string]string{}}
	top := L.GetTop()
	pos := 1
	if v.Raw {
		for ; pos <= top; pos++ {
			inv.Raw = append(inv.Raw, wordArg(L, fname, pos, "word", L.Get(pos))...)
		}
		return inv
	}
	for _, a := range v.Args {
		val := L.Get(pos)
		if _, isTable := val.(*glua.LTable); isTable && len(v.Flags) > 0 && (a.Optional || a.OptionalWith != "") {
			break // the optional arguments are left out: this is the flags table
		}
		switch val := val.(type) {
		case *glua.LNilType:
			inv.Args = append(inv.Args, "") // checked below, once the flags are known
		case glua.LString:
			inv.Args = append(inv.Args, string(val))
		case glua.LNumber:
			if a.Kind != verbs.Number {
				raise(L, fname, "argument #%d '%s' must be a string, got number", pos, a.Name)
			}
			inv.Args = append(inv.Args, val.String())
		default:
			raise(L, fname, "argument #%d '%s' must be a string, got %s", pos, a.Name, val.Type())
		}
		pos++
	}
	for len(inv.Args) > 0 && inv.Args[len(inv.Args)-1] == "" {
		inv.Args = inv.Args[:len(inv.Args)-1]
	}
	if v.Rest != nil {
		switch val := L.Get(pos).(type) {
		case glua.LString:
			// A string is a shell command line, as in the container's shell.
			inv.Rest = []string{"sh", "-c", string(val)}
		case *glua.LTable:
			inv.Rest = wordArg(L, fname, pos, v.Rest.Name, val)
		case *glua.LNilType:
			raise(L, fname, "argument #%d '%s' is missing: give the command as {\"uname\", \"-a\"} or a shell string (usage: %s)", pos, v.Rest.Name, luaUsage(v))
		default:
			raise(L, fname, "argument #%d '%s' must be a table of words or a string, got %s", pos, v.Rest.Name, val.Type())
		}
		if len(inv.Rest) == 0 {
			raise(L, fname, "argument #%d '%s' is empty: give the command to run", pos, v.Rest.Name)
		}
		pos++
	}
	if pos <= top {
		switch val := L.Get(pos).(type) {
		case *glua.LNilType:
		case *glua.LTable:
			parseFlags(L, v, fname, pos, val, inv)
		default:
			if len(v.Flags) == 0 {
				raise(L, fname, "too many arguments (usage: %s)", luaUsage(v))
			}
			raise(L, fname, "argument #%d 'flags' must be a table, got %s (usage: %s)", pos, val.Type(), luaUsage(v))
		}
		pos++
	}
	if top >= pos {
		raise(L, fname, "too many arguments (usage: %s)", luaUsage(v))
	}
	for i, a := range v.Args {
		if inv.Arg(i) != "" || a.Optional || (a.OptionalWith != "" && inv.Switch(a.OptionalWith)) {
			continue
		}
		raise(L, fname, "argument #%d '%s' is missing (usage: %s)", i+1, a.Name, luaUsage(v))
	}
	return inv
}

// wordArg reads a list of words: a string, or an array of strings/numbers.
func wordArg(L *glua.LState, fname string, pos int, what string, val glua.LValue) []string {
	switch val := val.(type) {
	case glua.LString:
		return []string{string(val)}
	case glua.LNumber:
		return []string{val.String()}
	case *glua.LTable:
		var out []string
		n := val.Len()
		for i := 1; i <= n; i++ {
			switch w := val.RawGetInt(i).(type) {
			case glua.LString:
				out = append(out, string(w))
			case glua.LNumber:
				out = append(out, w.String())
			default:
				raise(L, fname, "argument #%d '%s': element %d must be a string, got %s", pos, what, i, w.Type())
			}
		}
		return out
	}
	raise(L, fname, "argument #%d '%s' must be a string or a table of strings, got %s", pos, what, val.Type())
	return nil
}

// parseFlags reads the flags table: Lua names ('_' for '-'); switches take
// booleans, the others strings or numbers.
func parseFlags(L *glua.LState, v *verbs.Verb, fname string, pos int, tbl *glua.LTable, inv *verbs.Invocation) {
	tbl.ForEach(func(k, val glua.LValue) {
		key, ok := k.(glua.LString)
		if !ok {
			raise(L, fname, "argument #%d 'flags' must have flag names as keys, got %s key %s", pos, k.Type(), k.String())
		}
		var flag *verbs.Flag
		for i := range v.Flags {
			if LuaName(v.Flags[i].Name) == LuaName(string(key)) {
				flag = &v.Flags[i]
			}
		}
		if flag == nil {
			raise(L, fname, "unknown flag '%s' (flags: %s)", string(key), luaFlagNames(v))
		}
		lname := LuaName(flag.Name)
		if flag.Value == "" {
			b, ok := val.(glua.LBool)
			if !ok {
				raise(L, fname, "flag '%s' must be a boolean, got %s", lname, val.Type())
			}
			if b {
				inv.Flags[flag.Name] = "1"
			}
			return
		}
		if t, ok := val.(*glua.LTable); ok && flag.Repeat {
			// A repeatable flag (bind) takes a list: {"/a", "/b:/c"}.
			for _, w := range wordArg(L, fname, pos, lname, t) {
				inv.Add(flag, w)
			}
			if t.Len() == 0 {
				inv.Add(flag, "") // {} clears the setting, as '' does
			}
			return
		}
		switch x := val.(type) {
		case glua.LString:
			inv.Add(flag, string(x))
		case glua.LNumber:
			inv.Add(flag, x.String())
		default:
			if flag.Repeat {
				raise(L, fname, "flag '%s' must be a string or a list of strings, got %s", lname, val.Type())
			}
			raise(L, fname, "flag '%s' must be a string, got %s", lname, val.Type())
		}
	})
}

func luaFlagNames(v *verbs.Verb) string {
	if len(v.Flags) == 0 {
		return "none"
	}
	names := make([]string, len(v.Flags))
	for i, f := range v.Flags {
		names[i] = LuaName(f.Name)
	}
	return strings.Join(names, ", ")
}

// verbResult turns a verb's outcome into Lua values: a command's exit code
// and output, true for a verb that returns nothing, the result's JSON form
// otherwise, and nil, message for a failure.
func verbResult(L *glua.LState, v *verbs.Verb, inv *verbs.Invocation, res any, err error, stdout, stderr string) []glua.LValue {
	var st fault.ExitStatus
	bare := errors.As(err, &st) && errors.Unwrap(err) == nil
	if v.Rest != nil && (err == nil || bare) {
		t := L.CreateTable(0, 3)
		t.RawSetString("code", glua.LNumber(int(st)))
		t.RawSetString("stdout", glua.LString(stdout))
		t.RawSetString("stderr", glua.LString(stderr))
		return []glua.LValue{t}
	}
	if err != nil {
		msg := err.Error()
		if bare {
			// A verb that fails without a message (status of a missing
			// container prints "gone"): say what happened.
			if r, ok := res.(string); ok && r == "gone" {
				msg = fmt.Sprintf("container '%s' does not exist", inv.Arg(0))
			} else {
				msg = fmt.Sprintf("%s failed with %v", v.Name, err)
			}
		}
		return []glua.LValue{glua.LNil, glua.LString(strings.TrimRight(msg, "\n"))}
	}
	if res == nil {
		return []glua.LValue{glua.LTrue}
	}
	return []glua.LValue{toLua(L, res)}
}

// toLua converts a verb result generically: strings and string lists as
// they are, a container list as its names, anything else through its JSON
// form (so struct fields are named by their JSON tags).
func toLua(L *glua.LState, res any) glua.LValue {
	switch r := res.(type) {
	case string:
		return glua.LString(r)
	case []string:
		t := L.CreateTable(len(r), 0)
		for i, x := range r {
			t.RawSetInt(i+1, glua.LString(x))
		}
		return t
	case verbs.Names:
		t := L.CreateTable(len(r), 0)
		for i, x := range r {
			t.RawSetInt(i+1, glua.LString(x.Name))
		}
		return t
	}
	b, err := json.Marshal(res)
	if err != nil {
		return glua.LString(fmt.Sprint(res))
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return glua.LString(string(b))
	}
	return fromJSON(L, v)
}

func fromJSON(L *glua.LState, v any) glua.LValue {
	switch x := v.(type) {
	case nil:
		return glua.LNil
	case bool:
		return glua.LBool(x)
	case string:
		return glua.LString(x)
	case json.Number:
		f, _ := strconv.ParseFloat(string(x), 64)
		return glua.LNumber(f)
	case []any:
		t := L.CreateTable(len(x), 0)
		for i, e := range x {
			t.RawSetInt(i+1, fromJSON(L, e))
		}
		return t
	case map[string]any:
		t := L.CreateTable(0, len(x))
		keys := make([]string, 0, len(x))
		for k := range x {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			t.RawSetString(k, fromJSON(L, x[k]))
		}
		return t
	}
	return glua.LString(fmt.Sprint(v))
}
