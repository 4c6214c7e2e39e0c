package module

import (
	"crypto/sha256"
	"encoding/hex"
	"os"
	"path"
	"sort"
	"strings"

	"github.com/nixcsh/nixcsh/core/nix"
)

// StorePlaceholder stands for the generation's own store path: files made
// by pkgs.writeText and friends live inside the generation (under pkgs/),
// and core/system substitutes the final path when it writes the generation.
const StorePlaceholder = "/@nixcsh-generation@"

// WrittenFile is a file made by a pkgs.write* function or a build
// (runCommand, symlinkJoin) during evaluation: data, or a symlink to Link,
// or an empty directory.
type WrittenFile struct {
	Data []byte
	Mode os.FileMode
	Link string
	Dir  bool
}

// storeName is the generation-relative directory of a built thing: a hash
// of what made it and its name, as Nix names store paths.
func storeName(name string, parts ...string) string {
	h := sha256.New()
	h.Write([]byte(name))
	for _, p := range parts {
		h.Write([]byte{0})
		h.Write([]byte(p))
	}
	return "pkgs/" + hex.EncodeToString(h.Sum(nil)[:10]) + "-" + name
}

// builtDerivation is the derivation-shaped value of something in the
// generation at dir (a storeName).
func builtDerivation(name, dir, mainProgram string, extra map[string]nix.Value) nix.Value {
	m := map[string]nix.Value{
		"name": nix.String(name), "outPath": nix.String(StorePlaceholder + "/" + dir), "type": nix.String("derivation"),
		"meta": nix.FromGo(map[string]any{"mainProgram": mainProgram}),
	}
	for k, v := range extra {
		m[k] = v
	}
	return nix.Attrs(m)
}

// forceString forces v to a string (a derivation gives its outPath, as
// Nix's string interpolation does).
func (st *state) forceString(e *nix.Evaluator, v nix.Value, what string) (string, error) {
	f, err := e.Force(v)
	if err != nil {
		return "", err
	}
	if s, ok := nix.AsString(f); ok {
		return s, nil
	}
	if nix.TypeOf(f) == "set" {
		if o, ok := nix.GetAttr(f, "outPath"); ok {
			return st.forceString(e, o, what)
		}
	}
	return "", st.fail("%s expects a string, not %s", what, nix.TypeOf(f))
}

// attrString reads an optional string attribute of a forced set.
func (st *state) attrString(e *nix.Evaluator, set nix.Value, name, what string) (string, bool, error) {
	v, ok := nix.GetAttr(set, name)
	if !ok {
		return "", false, nil
	}
	s, err := st.forceString(e, v, what+"."+name)
	return s, true, err
}

// binPath is the PATH part for packages: each one's bin (and, for host
// packages, sbin, where Debian puts daemons).
func (st *state) binPath(e *nix.Evaluator, v nix.Value, what string) ([]string, error) {
	f, err := e.Force(v)
	if err != nil {
		return nil, err
	}
	var out []string
	for _, p := range nix.Elems(f) {
		s, err := st.forceString(e, p, what)
		if err != nil {
			return nil, err
		}
		out = append(out, s+"/bin")
		if s == "/usr" {
			out = append(out, "/usr/sbin")
		}
	}
	return out, nil
}

// writers adds pkgs.writeText and the other write* functions: nixcsh has
// no Nix store, so their output becomes part of the generation being built.
func (st *state) writers(m map[string]nix.Value) {
	// write records a file and returns the derivation-like value naming it.
	write := func(name, dest, text string, mode os.FileMode, main string) nix.Value {
		dir := storeName(name, dest, text, mode.String())
		st.written[dir+dest] = WrittenFile{Data: []byte(text), Mode: mode}
		return builtDerivation(name, dir, main, nil)
	}
	two := func(fn string, f func(name, text string) nix.Value) {
		m[fn] = nix.Builtin(fn, 2, func(e *nix.Evaluator, args []nix.Value) (nix.Value, error) {
			n, err := st.forceString(e, args[0], "pkgs."+fn)
			if err != nil {
				return nil, err
			}
			if fn != "writeTextDir" && (n == "" || strings.Contains(n, "/")) {
				return nil, st.fail("pkgs.%s: the name '%s' must be non-empty and without '/'", fn, n)
			}
			text, err := st.forceString(e, args[1], "pkgs."+fn)
			if err != nil {
				return nil, err
			}
			return f(n, text), nil
		})
	}
	two("writeText", func(n, t string) nix.Value { return write(n, "", t, 0o444, n) })
	two("writeScript", func(n, t string) nix.Value { return write(n, "", t, 0o555, n) })
	two("writeScriptBin", func(n, t string) nix.Value { return write(n, "/bin/"+n, t, 0o555, n) })
	two("writeShellScript", func(n, t string) nix.Value { return write(n, "", "#!/bin/bash\n"+t, 0o555, n) })
	two("writeShellScriptBin", func(n, t string) nix.Value { return write(n, "/bin/"+n, "#!/bin/bash\n"+t, 0o555, n) })
	m["writers"] = st.scriptWriters(write)
	st.fileWriters(m, write)
	m["emptyFile"] = nix.Lazy(func() (nix.Value, error) { return write("empty-file", "", "", 0o444, "empty-file"), nil })
	m["emptyDirectory"] = nix.Lazy(func() (nix.Value, error) {
		dir := storeName("empty-directory")
		st.written[dir] = WrittenFile{Dir: true}
		return builtDerivation("empty-directory", dir, "empty-directory", nil), nil
	})
	m["writeTextDir"] = nix.Builtin("writeTextDir", 2, func(e *nix.Evaluator, args []nix.Value) (nix.Value, error) {
		p, err := st.forceString(e, args[0], "pkgs.writeTextDir")
		if err != nil {
			return nil, err
		}
		text, err := st.forceString(e, args[1], "pkgs.writeTextDir")
		if err != nil {
			return nil, err
		}
		clean := path.Clean("/" + p)
		if p == "" || clean == "/" || strings.Contains(p, "..") {
			return nil, st.fail("pkgs.writeTextDir: bad path '%s'", p)
		}
		return write(path.Base(clean), clean, text, 0o444, path.Base(clean)), nil
	})
	m["writeTextFile"] = nix.Builtin("writeTextFile", 1, func(e *nix.Evaluator, args []nix.Value) (nix.Value, error) {
		a, err := e.Force(args[0])
		if err != nil {
			return nil, err
		}
		var n, text, dest string
		for k, p := range map[string]*string{"name": &n, "text": &text, "destination": &dest} {
			if *p, _, err = st.attrString(e, a, k, "pkgs.writeTextFile"); err != nil {
				return nil, err
			}
		}
		mode := os.FileMode(0o444)
		if x, ok := nix.GetAttr(a, "executable"); ok {
			fx, err := e.Force(x)
			if err != nil {
				return nil, err
			}
			if b, _ := nix.AsBool(fx); b {
				mode = 0o555
			}
		}
		if n == "" || strings.Contains(n, "/") || strings.Contains(dest, "..") || (dest != "" && !strings.HasPrefix(dest, "/")) {
			return nil, st.fail("pkgs.writeTextFile: bad name '%s' or destination '%s' (the destination starts with '/')", n, dest)
		}
		return write(n, dest, text, mode, n), nil
	})
	m["writeShellApplication"] = nix.Builtin("writeShellApplication", 1, func(e *nix.Evaluator, args []nix.Value) (nix.Value, error) {
		a, err := e.Force(args[0])
		if err != nil {
			return nil, err
		}
		n, _, err := st.attrString(e, a, "name", "pkgs.writeShellApplication")
		if err != nil {
			return nil, err
		}
		text, _, err := st.attrString(e, a, "text", "pkgs.writeShellApplication")
		if err != nil {
			return nil, err
		}
		if n == "" || strings.Contains(n, "/") {
			return nil, st.fail("pkgs.writeShellApplication: the name '%s' must be non-empty and without '/'", n)
		}
		var b strings.Builder
		b.WriteString("#!/bin/bash\nset -o errexit\nset -o nounset\nset -o pipefail\n\n")
		if env, ok := nix.GetAttr(a, "runtimeEnv"); ok {
			vars, err := st.envOf(e, env, "pkgs.writeShellApplication.runtimeEnv")
			if err != nil {
				return nil, err
			}
			keys := make([]string, 0, len(vars))
			for k := range vars {
				keys = append(keys, k)
			}
			sort.Strings(keys)
			for _, k := range keys {
				b.WriteString("export " + k + "=" + shellQuote(vars[k]) + "\n")
			}
		}
		if ri, ok := nix.GetAttr(a, "runtimeInputs"); ok {
			dirs, err := st.binPath(e, ri, "pkgs.writeShellApplication.runtimeInputs")
			if err != nil {
				return nil, err
			}
			if len(dirs) > 0 {
				b.WriteString("export PATH=" + shellQuote(strings.Join(dirs, ":")+":") + "\"$PATH\"\n")
			}
		}
		b.WriteString("\n" + text)
		// checkPhase (shellcheck) is nixpkgs' build-time lint; nixcsh skips it.
		return write(n, "/bin/"+n, b.String(), 0o555, n), nil
	})
}

// readSource reads a file a builder was given: a host path, or a file
// made earlier in this evaluation (under StorePlaceholder).
func (st *state) readSource(p, what string) ([]byte, error) {
	if rel, ok := strings.CutPrefix(p, StorePlaceholder+"/"); ok {
		if f, ok := st.written[rel]; ok && !f.Dir && f.Link == "" {
			return f.Data, nil
		}
		return nil, st.fail("%s: %s is not a file made by this configuration", what, p)
	}
	data, err := os.ReadFile(p)
	if err != nil {
		return nil, st.fail("%s: cannot read %s: %v", what, p, err)
	}
	return data, nil
}

// substituted writes src with @NAME@ replaced by the values of vars (null
// leaves it as it is), as nixpkgs' replaceVars (strict: every name must
// be there, every value a string) and substituteAll do.
func (st *state) substituted(e *nix.Evaluator, fn, src string, vars nix.Value, strict bool, skip map[string]bool, mode os.FileMode, write func(name, dest, text string, mode os.FileMode, main string) nix.Value) (nix.Value, error) {
	data, err := st.readSource(src, "pkgs."+fn)
	if err != nil {
		return nil, err
	}
	set, err := e.Force(vars)
	if err != nil {
		return nil, err
	}
	text := string(data)
	for _, k := range nix.AttrNames(set) {
		if skip[k] {
			continue
		}
		v, _ := nix.GetAttr(set, k)
		fv, err := e.Force(v)
		if err != nil {
			return nil, err
		}
		if nix.TypeOf(fv) == "null" {
			continue
		}
		s, keep, err := st.envValue(e, fv, "pkgs."+fn+"."+k)
		if err != nil {
			return nil, err
		}
		if !keep && !strict {
			continue
		}
		if !keep {
			return nil, st.fail("pkgs.%s: the replacement for @%s@ is %s, not a string", fn, k, nix.TypeOf(fv))
		}
		if strict && !strings.Contains(text, "@"+k+"@") {
			return nil, st.fail("pkgs.%s: %s does not contain @%s@", fn, src, k)
		}
		text = strings.ReplaceAll(text, "@"+k+"@", s)
	}
	name := path.Base(src)
	if i := strings.Index(name, "-"); strings.HasPrefix(src, StorePlaceholder+"/") && i >= 0 {
		name = name[i+1:] // a generation file's name without its hash
	}
	return write(name, "", text, mode, name), nil
}

// fileWriters adds replaceVars, substituteAll and concatText.
func (st *state) fileWriters(m map[string]nix.Value, write func(name, dest, text string, mode os.FileMode, main string) nix.Value) {
	m["replaceVars"] = nix.Builtin("replaceVars", 2, func(e *nix.Evaluator, args []nix.Value) (nix.Value, error) {
		src, err := st.forceString(e, args[0], "pkgs.replaceVars")
		if err != nil {
			return nil, err
		}
		return st.substituted(e, "replaceVars", src, args[1], true, nil, 0o444, write)
	})
	m["substituteAll"] = nix.Builtin("substituteAll", 1, func(e *nix.Evaluator, args []nix.Value) (nix.Value, error) {
		a, err := e.Force(args[0])
		if err != nil {
			return nil, err
		}
		src, ok, err := st.attrString(e, a, "src", "pkgs.substituteAll")
		if err != nil {
			return nil, err
		}
		if !ok {
			return nil, st.fail("pkgs.substituteAll: the attribute 'src' is missing")
		}
		mode := os.FileMode(0o444)
		if x, ok := nix.GetAttr(a, "isExecutable"); ok {
			if fx, err := e.Force(x); err == nil {
				if b, _ := nix.AsBool(fx); b {
					mode = 0o555
				}
			}
		}
		skip := map[string]bool{"src": true, "name": true, "isExecutable": true, "dir": true, "meta": true, "passthru": true}
		return st.substituted(e, "substituteAll", src, a, false, skip, mode, write)
	})
	m["concatText"] = nix.Builtin("concatText", 2, func(e *nix.Evaluator, args []nix.Value) (nix.Value, error) {
		n, err := st.forceString(e, args[0], "pkgs.concatText")
		if err != nil {
			return nil, err
		}
		l, err := e.Force(args[1])
		if err != nil {
			return nil, err
		}
		var b strings.Builder
		for _, f := range nix.Elems(l) {
			p, err := st.forceString(e, f, "pkgs.concatText")
			if err != nil {
				return nil, err
			}
			data, err := st.readSource(p, "pkgs.concatText")
			if err != nil {
				return nil, err
			}
			b.Write(data)
		}
		return write(n, "", b.String(), 0o444, n), nil
	})
}

// interpreters are pkgs.writers' script writers: name (and, for the
// languages with libraries, an attribute set nixcsh ignores: the host's
// packages are all there) then text.
var interpreters = map[string]struct {
	shebang string
	opts    bool
}{
	"Bash": {"/bin/bash", false}, "Dash": {"/bin/dash", false},
	"Python3": {"/usr/bin/python3", true}, "Perl": {"/usr/bin/perl", true},
}

// scriptWriters is pkgs.writers: writeBash, writeBashBin, writeDash,
// writePython3, writePerl and their *Bin forms.
func (st *state) scriptWriters(write func(name, dest, text string, mode os.FileMode, main string) nix.Value) nix.Value {
	m := map[string]nix.Value{}
	for lang, in := range interpreters {
		for _, bin := range []bool{false, true} {
			fn, in, bin := "write"+lang, in, bin
			if bin {
				fn += "Bin"
			}
			arity := 2
			if in.opts {
				arity = 3
			}
			m[fn] = nix.Builtin(fn, arity, func(e *nix.Evaluator, args []nix.Value) (nix.Value, error) {
				n, err := st.forceString(e, args[0], "pkgs.writers."+fn)
				if err != nil {
					return nil, err
				}
				if n == "" || strings.Contains(n, "/") {
					return nil, st.fail("pkgs.writers.%s: the name '%s' must be non-empty and without '/'", fn, n)
				}
				text, err := st.forceString(e, args[arity-1], "pkgs.writers."+fn)
				if err != nil {
					return nil, err
				}
				dest := ""
				if bin {
					dest = "/bin/" + n
				}
				return write(n, dest, "#!"+in.shebang+"\n"+text, 0o555, n), nil
			})
		}
	}
	return nix.AttrsExplained(m, func(n string) (string, bool) { return missingPkg(nil, "writers.", n) })
}

// shellQuote quotes s for bash.
func shellQuote(s string) string { return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'" }
