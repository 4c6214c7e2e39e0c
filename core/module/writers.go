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
