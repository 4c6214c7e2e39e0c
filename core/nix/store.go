package nix

import (
	"crypto/sha256"
	"encoding/hex"
	"os"
	"path/filepath"
	"sort"
	"strings"
)

// Store paths as Nix computes them, without a store: nixcsh never writes
// to /nix/store, but the paths it prints (and hashes into derivations)
// are the ones Nix would create, so `nixcsh eval` agrees with
// nix-instantiate.

const storeDir = "/nix/store"

// storeState remembers what this evaluator "added" to the store: the
// references of each path (for the closure of a derivation's drvPath
// context) and the derivations themselves (for hashDerivationModulo).
type storeState struct {
	refs    map[string][]string    // store path -> the store paths it refers to
	drvs    map[string]*derivation // .drv path -> derivation
	drvHash map[string]string      // .drv path -> hex of its hashDerivationModulo
	copied  map[string]string      // source path -> its store path
	texts   map[string]string      // builtins.toFile path -> its contents
}

func (ev *Evaluator) storeSt() *storeState {
	if ev.store == nil {
		ev.store = &storeState{refs: map[string][]string{}, drvs: map[string]*derivation{},
			drvHash: map[string]string{}, copied: map[string]string{}, texts: map[string]string{}}
	}
	return ev.store
}

// makeStorePath is Nix's store path of an object: the sha256 of the
// fingerprint "<type>:sha256:<inner hash>:/nix/store:<name>", folded to 20
// bytes and written in Nix's base 32.
func makeStorePath(typ string, inner []byte, name string) string {
	h := sha256.Sum256([]byte(typ + ":sha256:" + hex.EncodeToString(inner) + ":" + storeDir + ":" + name))
	var c [20]byte
	for i, b := range h {
		c[i%20] ^= b
	}
	return storeDir + "/" + hashBase32(c[:]) + "-" + name
}

// withRefs appends the references to a fingerprint type ("text", "source").
func withRefs(typ string, refs []string) string {
	rs := append([]string(nil), refs...)
	sort.Strings(rs)
	for _, r := range rs {
		typ += ":" + r
	}
	return typ
}

// makeTextPath is where builtins.toFile (and a .drv file) goes.
func makeTextPath(name, contents string, refs []string) string {
	h := sha256.Sum256([]byte(contents))
	return makeStorePath(withRefs("text", refs), h[:], name)
}

// makeFixedOutputPath is the path of content with a known hash: a
// recursive sha256 is a "source"; anything else hashes a description of
// the hash first.
func makeFixedOutputPath(recursive bool, algo string, h []byte, name string) string {
	if recursive && algo == "sha256" {
		return makeStorePath("source", h, name)
	}
	mode := ""
	if recursive {
		mode = "r:"
	}
	inner := sha256.Sum256([]byte("fixed:out:" + mode + algo + ":" + hex.EncodeToString(h) + ":"))
	return makeStorePath("output:out", inner[:], name)
}

// checkStorePath rejects a store path whose name Nix cannot use; the
// message names the whole path, as Nix's does.
func (ev *Evaluator) checkStorePath(sp string, pos Pos) {
	base := strings.TrimPrefix(sp, storeDir+"/")
	name := base[33:]
	switch {
	case name == "":
		ev.throwf(pos, "store path '%s' has an empty name", base)
	case len(name) > 211:
		ev.throwf(pos, "store path '%s' has a name longer than 211 characters", base)
	case name == "." || name == "..":
		ev.throwf(pos, "store path '%s' has invalid name '%s'", base, name)
	}
	for i := 0; i < len(name); i++ {
		if c := name[i]; !storeNameChar(c) {
			ev.throwf(pos, "store path '%s' contains illegal character '%c'", base, c)
		}
	}
}

func storeNameChar(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || strings.IndexByte("+-._?=", c) >= 0
}

// narHash is the sha256 of the NAR of path (filtered).
func (ev *Evaluator) narHash(path string, filter narFilter, pos Pos) []byte {
	h := sha256.New()
	if err := writeNAR(h, path, filter); err != nil {
		if os.IsNotExist(err) {
			ev.throwf(pos, "path '%s' does not exist", path)
		}
		ev.throwf(pos, "while adding '%s' to the store: %s", path, errText(err))
	}
	return h.Sum(nil)
}

// pathAsString is a path value used as a string ("${./file}") and its
// context: the store path Nix would copy it to, or, with HostPaths, the
// path itself.
func (ev *Evaluator) pathAsString(path string, pos Pos) (string, strCtx) {
	if ev.opts.HostPaths {
		return path, nil
	}
	sp := ev.copyPathToStore(path, pos)
	return sp, strCtx{sp}
}

// copyPathToStore is the store path of a path value used as a string
// ("${./file}"): the whole file or tree, named by its base name.
func (ev *Evaluator) copyPathToStore(path string, pos Pos) string {
	st := ev.storeSt()
	if sp, ok := st.copied[path]; ok {
		return sp
	}
	if _, err := os.Lstat(path); err != nil {
		ev.throwf(pos, "path '%s' does not exist", path)
	}
	sp := makeStorePath("source", ev.narHash(path, nil, pos), filepath.Base(path))
	ev.checkStorePath(sp, pos)
	st.copied[path] = sp
	return sp
}

// storeText is the contents of a file builtins.toFile made (nixcsh does
// not write it, so readFile reads it from here).
func (ev *Evaluator) storeText(p string) (string, bool) {
	if ev.store == nil {
		return "", false
	}
	t, ok := ev.store.texts[p]
	return t, ok
}

// toStorePath cuts a path inside the store down to its store object.
func toStorePath(p string) (string, bool) {
	rest, ok := strings.CutPrefix(p, storeDir+"/")
	if !ok || rest == "" {
		return "", false
	}
	if i := strings.IndexByte(rest, '/'); i >= 0 {
		rest = rest[:i]
	}
	return storeDir + "/" + rest, true
}

func registerStore(reg func(string, int, primFn)) {
	// fetchurl needs the network; but a URL whose base name cannot name a
	// store path is refused first, as Nix does
	reg("fetchurl", 1, func(ev *Evaluator, pos Pos, a []Value) Value {
		if u, ok := ev.force(a[0]).(*strVal); ok {
			name := u.s[strings.LastIndexByte(u.s, '/')+1:]
			for i := 0; i < len(name); i++ {
				if c := name[i]; !storeNameChar(c) {
					ev.throwf(pos, "invalid store path name when fetching URL '%s': name '%s' contains illegal character '%c'. Please pass an attribute set with 'url' and 'name' attributes to 'fetchurl',  so that it can create a valid store path.", u.s, name, c)
				}
			}
		}
		ev.throwf(pos, "builtins.fetchurl needs a Nix store, which nixcsh does not have")
		return nil
	})
	reg("placeholder", 1, func(ev *Evaluator, pos Pos, a []Value) Value {
		out := ev.forceString(a[0], pos)
		return mkStr("/" + hashBase32(sha256Sum("nix-output:"+out)))
	})
	reg("toFile", 2, func(ev *Evaluator, pos Pos, a []Value) Value {
		name := ev.forceString(a[0], pos)
		contents, ctx := ev.coerceCtx(a[1], pos, false, false)
		var refs []string
		for _, e := range ctx {
			c := parseCtxElem(e)
			if c.kind != 'o' {
				ev.throwf(pos, "files created by builtins.toFile may not reference derivations, but %s references %s", name, e)
			}
			refs = append(refs, c.path)
		}
		sp := makeTextPath(name, contents, refs)
		ev.checkStorePath(sp, pos)
		ev.storeSt().refs[sp] = refs
		ev.storeSt().texts[sp] = contents
		return mkStrCtx(sp, strCtx{sp})
	})
	reg("storePath", 1, func(ev *Evaluator, pos Pos, a []Value) Value {
		s, ctx := ev.coerceCtx(a[0], pos, false, false)
		if !strings.HasPrefix(s, "/") {
			ev.throwf(pos, "string '%s' doesn't represent an absolute path", s)
		}
		sp, ok := toStorePath(canonPath(s))
		if !ok {
			ev.throwf(pos, "path '%s' is not in the Nix store", s)
		}
		return mkStrCtx(s, mergeCtx(ctx, strCtx{sp}))
	})
	reg("filterSource", 2, func(ev *Evaluator, pos Pos, a []Value) Value {
		p := ev.realPath(a[1], pos)
		return ev.addPath(p, filepath.Base(p), a[0], true, nil, pos)
	})
	reg("path", 1, func(ev *Evaluator, pos Pos, a []Value) Value {
		args := ev.forceAttrs(a[0], pos, "")
		var (
			p         string
			name      string
			filter    Value
			recursive = true
			want      []byte
		)
		for _, k := range args.names() {
			v := args.m[k].v
			switch k {
			case "path":
				p = ev.realPath(v, pos)
			case "name":
				name = ev.forceString(v, pos)
			case "filter":
				filter = v
				ev.forceFunction(v, pos)
			case "recursive":
				recursive = ev.forceBool(v, pos)
			case "sha256":
				want, _ = ev.parseHash(ev.forceString(v, pos), "sha256", pos)
			default:
				ev.throwf(pos, "unsupported argument '%s' to 'addPath'", k)
			}
		}
		if p == "" {
			ev.throwf(pos, "missing required 'path' attribute in the first argument to builtins.path")
		}
		if name == "" {
			name = filepath.Base(p)
		}
		return ev.addPath(p, name, filter, recursive, want, pos)
	})
}

// addPath is builtins.path and filterSource: the store path of a file or
// (filtered) tree, hashed whole (recursive) or as a file's bytes (flat).
func (ev *Evaluator) addPath(p, name string, filter Value, recursive bool, want []byte, pos Pos) Value {
	var f narFilter
	if filter != nil {
		f = func(path, typ string) bool {
			r := ev.call(filter, []Value{mkStr(path), mkStr(typ)}, pos)
			return ev.forceBool(r, pos)
		}
	}
	var sp string
	if recursive {
		h := ev.narHash(p, f, pos)
		sp = makeStorePath("source", h, name)
		if want != nil && hex.EncodeToString(want) != hex.EncodeToString(h) {
			ev.throwf(pos, "store path mismatch in (possibly filtered) path added from '%s'", p)
		}
	} else {
		st, err := os.Stat(p)
		if err != nil {
			ev.throwf(pos, "path '%s' does not exist", p)
		}
		if !st.Mode().IsRegular() {
			ev.throwf(pos, "file '%s' is not a regular file, so it cannot be added to the store with recursive = false", p)
		}
		data := ev.readFileLimited(p, pos)
		h := sha256.Sum256([]byte(data))
		if want != nil && hex.EncodeToString(want) != hex.EncodeToString(h[:]) {
			ev.throwf(pos, "store path mismatch in (possibly filtered) path added from '%s'", p)
		}
		sp = makeFixedOutputPath(false, "sha256", h[:], name)
	}
	ev.checkStorePath(sp, pos)
	return mkStrCtx(sp, strCtx{sp})
}
