package lua

import (
	"fmt"
	"io"
	"sort"
	"strings"

	glua "github.com/yuin/gopher-lua"
)

// unsafeInSandbox are the functions --sandbox removes: everything that runs
// host programs, reads or writes host files, or loads code from files.
var unsafeInSandbox = map[string][]string{
	"":   {"dofile", "loadfile"},
	"os": {"execute", "remove", "rename", "tmpname", "setenv", "exit", "setlocale"},
}

// newState makes a Lua state for s: libraries (all, or the safe ones), a
// print that writes to the session's stdout, an os.exit that ends the script
// instead of the process, and the nixcsh module.
func newState(s *Session, sandbox bool) *glua.LState {
	L := glua.NewState(glua.Options{SkipOpenLibs: true})
	libs := []struct {
		name string
		open glua.LGFunction
	}{
		{glua.LoadLibName, glua.OpenPackage},
		{glua.BaseLibName, glua.OpenBase},
		{glua.TabLibName, glua.OpenTable},
		{glua.StringLibName, glua.OpenString},
		{glua.MathLibName, glua.OpenMath},
		{glua.CoroutineLibName, glua.OpenCoroutine},
		{glua.OsLibName, glua.OpenOs},
	}
	if !sandbox {
		libs = append(libs, []struct {
			name string
			open glua.LGFunction
		}{
			{glua.IoLibName, glua.OpenIo},
			{glua.DebugLibName, glua.OpenDebug},
			{glua.ChannelLibName, glua.OpenChannel},
		}...)
	}
	for _, lib := range libs {
		L.Push(L.NewFunction(lib.open))
		L.Push(glua.LString(lib.name))
		L.Call(1, 0)
	}
	if sandbox {
		for lib, names := range unsafeInSandbox {
			tbl := L.G.Global
			if lib != "" {
				tbl = L.GetGlobal(lib).(*glua.LTable)
			}
			for _, n := range names {
				tbl.RawSetString(n, glua.LNil)
			}
		}
		// require finds preloaded modules (nixcsh) but never files.
		if loaders, ok := L.GetField(L.GetGlobal("package"), "loaders").(*glua.LTable); ok {
			for i := loaders.Len(); i > 1; i-- {
				loaders.RawSetInt(i, glua.LNil)
			}
		}
		pkg := L.GetGlobal("package")
		L.SetField(pkg, "path", glua.LString(""))
		L.SetField(pkg, "cpath", glua.LString(""))
	}
	L.SetGlobal("print", L.NewFunction(func(L *glua.LState) int {
		parts := make([]string, L.GetTop())
		for i := range parts {
			parts[i] = tostring(L, L.Get(i+1))
		}
		fmt.Fprintln(s.stdout, strings.Join(parts, "\t"))
		return 0
	}))
	if !sandbox {
		// io.write goes where print goes (the REPL's or the script's stdout).
		ioLib := L.GetGlobal("io")
		stdoutFile := L.GetField(ioLib, "stdout")
		L.SetField(ioLib, "write", L.NewFunction(func(L *glua.LState) int {
			for i := 1; i <= L.GetTop(); i++ {
				switch v := L.Get(i).(type) {
				case glua.LString, glua.LNumber:
					io.WriteString(s.stdout, v.String())
				default:
					L.ArgError(i, "string expected, got "+v.Type().String())
				}
			}
			L.Push(stdoutFile)
			return 1
		}))
		// os.exit must not end the process under the REPL or skip cleanup
		// (plugin processes, locks): it ends the script with that status.
		L.SetField(L.GetGlobal("os"), "exit", L.NewFunction(func(L *glua.LState) int {
			code := 0
			switch v := L.Get(1).(type) {
			case glua.LNumber:
				code = int(v)
			case glua.LBool:
				if !bool(v) {
					code = 1
				}
			}
			ud := L.NewUserData()
			ud.Value = exitRequest{code: code}
			L.Error(ud, 0)
			return 0
		}))
	}
	mod := s.module(L)
	L.PreloadModule("nixcsh", func(L *glua.LState) int {
		L.Push(mod)
		return 1
	})
	L.SetGlobal("nixcsh", mod)
	setArgs(L, "", s.opts.Args)
	return L
}

// setArgs makes args the script's arguments: n.args = {...} and the
// standalone interpreter's global arg (arg[0] is the script).
func setArgs(L *glua.LState, script string, args []string) {
	list := L.CreateTable(len(args), 0)
	argv := L.CreateTable(len(args), 1)
	for i, a := range args {
		list.RawSetInt(i+1, glua.LString(a))
		argv.RawSetInt(i+1, glua.LString(a))
	}
	if script != "" {
		argv.RawSetInt(0, glua.LString(script))
	}
	if mod, ok := L.GetGlobal("nixcsh").(*glua.LTable); ok {
		mod.RawSetString("args", list)
	}
	L.SetGlobal("arg", argv)
}

// tostring is Lua's tostring (with __tostring metamethods).
func tostring(L *glua.LState, v glua.LValue) string {
	if mt, ok := L.GetMetaField(v, "__tostring").(*glua.LFunction); ok {
		L.Push(mt)
		L.Push(v)
		L.Call(1, 1)
		r := L.Get(-1)
		L.Pop(1)
		return r.String()
	}
	return v.String()
}

// inspect renders a value for the REPL: strings quoted, tables expanded
// (sorted keys, a few levels deep) so that n.info(name) reads well.
func inspect(v glua.LValue, depth int) string {
	switch v := v.(type) {
	case glua.LString:
		if depth == 0 {
			return string(v)
		}
		return fmt.Sprintf("%q", string(v))
	case *glua.LTable:
		if depth > 3 {
			return "{...}"
		}
		var parts []string
		n := v.Len()
		for i := 1; i <= n; i++ {
			parts = append(parts, inspect(v.RawGetInt(i), depth+1))
		}
		var keys []string
		vals := map[string]glua.LValue{}
		v.ForEach(func(k, val glua.LValue) {
			if num, ok := k.(glua.LNumber); ok && float64(num) == float64(int(num)) && int(num) >= 1 && int(num) <= n {
				return
			}
			key := k.String()
			if _, ok := k.(glua.LString); !ok || !isIdent(key) {
				key = "[" + inspect(k, depth+1) + "]"
			}
			keys = append(keys, key)
			vals[key] = val
		})
		sort.Strings(keys)
		for _, k := range keys {
			parts = append(parts, k+" = "+inspect(vals[k], depth+1))
		}
		if len(parts) == 0 {
			return "{}"
		}
		return "{" + strings.Join(parts, ", ") + "}"
	}
	return v.String()
}

func isIdent(s string) bool {
	if s == "" {
		return false
	}
	for i, r := range s {
		if r == '_' || (r >= 'a' && r <= 'z') || (r >= 'A' && r <= 'Z') || (i > 0 && r >= '0' && r <= '9') {
			continue
		}
		return false
	}
	return true
}

// compileOnly parses and compiles code without running it (Incomplete, the
// workflow syntax check).
func compileOnly(code string) (*glua.FunctionProto, error) {
	L := glua.NewState(glua.Options{SkipOpenLibs: true})
	defer L.Close()
	fn, err := L.LoadString(code)
	if err != nil {
		return nil, err
	}
	return fn.Proto, nil
}

// completeNames lists globals (or fields of a global table, for a dotted
// prefix) that start with prefix.
func completeNames(L *glua.LState, prefix string) []string {
	tbl := L.G.Global
	head, last := "", prefix
	if i := strings.LastIndexAny(prefix, ".:"); i >= 0 {
		head, last = prefix[:i+1], prefix[i+1:]
		var cur glua.LValue = L.G.Global
		for _, part := range strings.Split(prefix[:i], ".") {
			t, ok := cur.(*glua.LTable)
			if !ok {
				return nil
			}
			cur = t.RawGetString(part)
		}
		t, ok := cur.(*glua.LTable)
		if !ok {
			return nil
		}
		tbl = t
	}
	var out []string
	tbl.ForEach(func(k, v glua.LValue) {
		ks, ok := k.(glua.LString)
		if !ok || !strings.HasPrefix(string(ks), last) || !isIdent(string(ks)) {
			return
		}
		out = append(out, head+string(ks))
	})
	sort.Strings(out)
	return out
}
