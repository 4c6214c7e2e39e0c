package module

import (
	"crypto/sha256"
	"encoding/hex"
	"os"
	"strings"

	"github.com/nixcsh/nixcsh/core/nix"
)

// StorePlaceholder stands for the generation's own store path: files made
// by pkgs.writeText and friends live inside the generation (under pkgs/),
// and core/system substitutes the final path when it writes the generation.
const StorePlaceholder = "/@nixcsh-generation@"

// WrittenFile is a file made by a pkgs.write* function during evaluation.
type WrittenFile struct {
	Data []byte
	Mode os.FileMode
}

// writers adds pkgs.writeText, writeScript, writeShellScript,
// writeShellScriptBin and writeTextFile: nixcsh has no Nix store, so their
// output becomes part of the generation being built.
func (st *state) writers(m map[string]nix.Value) {
	str := func(e *nix.Evaluator, v nix.Value) (string, error) {
		f, err := e.Force(v)
		if err != nil {
			return "", err
		}
		s, ok := nix.AsString(f)
		if !ok {
			return "", st.fail("a pkgs.write* function expects a string, not %s", nix.TypeOf(f))
		}
		return s, nil
	}
	// write records a file and returns the derivation-like value naming it.
	write := func(name, dest, text string, mode os.FileMode) nix.Value {
		sum := sha256.Sum256([]byte(name + "\x00" + dest + "\x00" + text + "\x00" + mode.String()))
		dir := "pkgs/" + hex.EncodeToString(sum[:10]) + "-" + name
		st.written[dir+dest] = WrittenFile{Data: []byte(text), Mode: mode}
		return nix.FromGo(map[string]any{
			"name": name, "outPath": StorePlaceholder + "/" + dir, "type": "derivation",
			"meta": map[string]any{"mainProgram": name},
		})
	}
	two := func(name string, f func(name, text string) nix.Value) {
		m[name] = nix.Builtin(name, 2, func(e *nix.Evaluator, args []nix.Value) (nix.Value, error) {
			n, err := str(e, args[0])
			if err != nil {
				return nil, err
			}
			if strings.Contains(n, "/") {
				return nil, st.fail("pkgs.%s: the name '%s' must not contain '/'", name, n)
			}
			text, err := str(e, args[1])
			if err != nil {
				return nil, err
			}
			return f(n, text), nil
		})
	}
	two("writeText", func(n, t string) nix.Value { return write(n, "", t, 0o444) })
	two("writeScript", func(n, t string) nix.Value { return write(n, "", t, 0o555) })
	two("writeShellScript", func(n, t string) nix.Value { return write(n, "", "#!/bin/bash\n"+t, 0o555) })
	two("writeShellScriptBin", func(n, t string) nix.Value { return write(n, "/bin/"+n, "#!/bin/bash\n"+t, 0o555) })
	m["writeTextFile"] = nix.Builtin("writeTextFile", 1, func(e *nix.Evaluator, args []nix.Value) (nix.Value, error) {
		a, err := e.Force(args[0])
		if err != nil {
			return nil, err
		}
		get := func(k string) (string, error) {
			v, ok := nix.GetAttr(a, k)
			if !ok {
				return "", nil
			}
			return str(e, v)
		}
		n, err := get("name")
		if err != nil {
			return nil, err
		}
		text, err := get("text")
		if err != nil {
			return nil, err
		}
		dest, err := get("destination")
		if err != nil {
			return nil, err
		}
		mode := os.FileMode(0o444)
		if x, ok := nix.GetAttr(a, "executable"); ok {
			if fx, err := e.Force(x); err == nil {
				if b, _ := nix.AsBool(fx); b {
					mode = 0o555
				}
			}
		}
		if n == "" || strings.Contains(n, "/") || strings.Contains(dest, "..") {
			return nil, st.fail("pkgs.writeTextFile: bad name '%s' or destination '%s'", n, dest)
		}
		return write(n, dest, text, mode), nil
	})
}
