package module

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/nixcsh/nixcsh/core/nix"
)

// Build limits: a build script runs at most buildTimeout and its output
// adds at most maxBuildOutput bytes to the generation.
var buildTimeout = 2 * time.Minute

const maxBuildOutput = 64 << 20

// notEnv are runCommand attributes that are not environment variables.
var notEnv = map[string]bool{"passthru": true, "meta": true, "name": true, "__structuredAttrs": true}

// envOf turns a set of build attributes into environment variables as Nix
// does: strings, numbers, booleans ("1" or ""), paths and packages (their
// outPath), lists of those separated by spaces; functions and sets are
// left out.
func (st *state) envOf(e *nix.Evaluator, v nix.Value, what string) (map[string]string, error) {
	set, err := e.Force(v)
	if err != nil {
		return nil, err
	}
	out := map[string]string{}
	for _, k := range nix.AttrNames(set) {
		if notEnv[k] {
			continue
		}
		a, _ := nix.GetAttr(set, k)
		s, keep, err := st.envValue(e, a, what+"."+k)
		if err != nil {
			return nil, err
		}
		if keep {
			out[k] = s
		}
	}
	return out, nil
}

func (st *state) envValue(e *nix.Evaluator, v nix.Value, what string) (string, bool, error) {
	f, err := e.Force(v)
	if err != nil {
		return "", false, err
	}
	switch nix.TypeOf(f) {
	case "string", "path":
		s, _ := nix.AsString(f)
		return s, true, nil
	case "int":
		i, _ := nix.AsInt(f)
		return strconv.FormatInt(i, 10), true, nil
	case "float":
		x, _ := nix.AsFloat(f)
		return strconv.FormatFloat(x, 'f', 6, 64), true, nil
	case "bool":
		if b, _ := nix.AsBool(f); b {
			return "1", true, nil
		}
		return "", true, nil
	case "null":
		return "", true, nil
	case "set":
		if _, ok := nix.GetAttr(f, "outPath"); ok {
			s, err := st.forceString(e, f, what)
			return s, true, err
		}
	case "list":
		var parts []string
		for _, x := range nix.Elems(f) {
			s, keep, err := st.envValue(e, x, what)
			if err != nil {
				return "", false, err
			}
			if keep {
				parts = append(parts, s)
			}
		}
		return strings.Join(parts, " "), true, nil
	}
	return "", false, nil
}

// builders adds runCommand, runCommandLocal, runCommandNoCC, symlinkJoin
// and buildEnv: their scripts run at build time on the host, in a
// temporary directory, and their output becomes part of the generation.
func (st *state) builders(m map[string]nix.Value) {
	for _, fn := range []string{"runCommand", "runCommandLocal", "runCommandNoCC"} {
		fn := fn
		m[fn] = nix.Builtin(fn, 3, func(e *nix.Evaluator, args []nix.Value) (nix.Value, error) {
			name, err := st.forceString(e, args[0], "pkgs."+fn)
			if err != nil {
				return nil, err
			}
			env, err := st.envOf(e, args[1], "pkgs."+fn)
			if err != nil {
				return nil, err
			}
			script, err := st.forceString(e, args[2], "pkgs."+fn)
			if err != nil {
				return nil, err
			}
			return st.build(e, fn, name, env, script, nil, args[1])
		})
	}
	join := func(fn string) nix.Value {
		return nix.Builtin(fn, 1, func(e *nix.Evaluator, args []nix.Value) (nix.Value, error) {
			a, err := e.Force(args[0])
			if err != nil {
				return nil, err
			}
			name, _, err := st.attrString(e, a, "name", "pkgs."+fn)
			if err != nil {
				return nil, err
			}
			postBuild, _, err := st.attrString(e, a, "postBuild", "pkgs."+fn)
			if err != nil {
				return nil, err
			}
			env, err := st.envOf(e, a, "pkgs."+fn)
			if err != nil {
				return nil, err
			}
			toLink := []string{"/"}
			if v, ok := nix.GetAttr(a, "pathsToLink"); ok {
				s, _, err := st.envValue(e, v, "pkgs."+fn+".pathsToLink")
				if err != nil {
					return nil, err
				}
				toLink = strings.Fields(s)
			}
			pv, ok := nix.GetAttr(a, "paths")
			if !ok {
				return nil, st.fail("pkgs.%s '%s': the attribute 'paths' is missing", fn, name)
			}
			pl, err := e.Force(pv)
			if err != nil {
				return nil, err
			}
			var paths []string
			for _, x := range nix.Elems(pl) {
				p, err := st.forceString(e, x, "pkgs."+fn+".paths")
				if err != nil {
					return nil, err
				}
				if p == "/usr" { // a host package: the files of its Debian package
					fx, _ := e.Force(x)
					if deb, ok, err := st.attrString(e, fx, "debianPackage", "pkgs."+fn+".paths"); err != nil {
						return nil, err
					} else if ok {
						p = "deb:" + deb
					}
				}
				paths = append(paths, p)
			}
			env["paths"] = strings.Join(paths, " ")
			prepare := func(out string) error { return st.linkTrees(fn, name, out, paths, toLink) }
			return st.build(e, fn, name, env, postBuild, prepare, args[0])
		})
	}
	m["linkFarm"] = nix.Builtin("linkFarm", 2, func(e *nix.Evaluator, args []nix.Value) (nix.Value, error) {
		name, err := st.forceString(e, args[0], "pkgs.linkFarm")
		if err != nil {
			return nil, err
		}
		links, err := st.farmEntries(e, args[1])
		if err != nil {
			return nil, err
		}
		var id []string
		for _, l := range links {
			id = append(id, l[0]+"="+l[1])
		}
		prepare := func(out string) error {
			for _, l := range links {
				dst := filepath.Join(out, l[0])
				if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
					return err
				}
				if err := os.Symlink(l[1], dst); err != nil {
					return st.fail("pkgs.linkFarm '%s': %v", name, err)
				}
			}
			return nil
		}
		return st.build(e, "linkFarm", name, map[string]string{"entries": strings.Join(id, " ")}, "", prepare, nix.Attrs(nil))
	})
	m["symlinkJoin"] = join("symlinkJoin")
	m["buildEnv"] = join("buildEnv")
}

// farmEntries reads linkFarm's entries: a list of { name; path; } or a set
// of name = path, as [name, path] pairs in order.
func (st *state) farmEntries(e *nix.Evaluator, v nix.Value) ([][2]string, error) {
	f, err := e.Force(v)
	if err != nil {
		return nil, err
	}
	var out [][2]string
	add := func(name string, path nix.Value) error {
		p, err := st.forceString(e, path, "pkgs.linkFarm")
		if err != nil {
			return err
		}
		clean := filepath.Clean("/" + name)
		if name == "" || clean == "/" || strings.Contains(name, "..") {
			return st.fail("pkgs.linkFarm: bad entry name '%s'", name)
		}
		out = append(out, [2]string{clean[1:], p})
		return nil
	}
	if nix.TypeOf(f) == "set" {
		for _, k := range nix.AttrNames(f) {
			p, _ := nix.GetAttr(f, k)
			if err := add(k, p); err != nil {
				return nil, err
			}
		}
		return out, nil
	}
	for _, x := range nix.Elems(f) {
		fx, err := e.Force(x)
		if err != nil {
			return nil, err
		}
		n, _, err := st.attrString(e, fx, "name", "pkgs.linkFarm")
		if err != nil {
			return nil, err
		}
		p, ok := nix.GetAttr(fx, "path")
		if !ok {
			return nil, st.fail("pkgs.linkFarm: the entry '%s' has no path", n)
		}
		if err := add(n, p); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// build makes name's output: prepare (if any) fills $out, then script (if
// any) runs with bash, env as its environment, in a fresh temporary
// directory, without network where it can (netUnshare), within buildTimeout.
// Files the generation already holds are visible under their
// StorePlaceholder paths' stand-in. The result is a derivation whose
// outPath is the output's place in the generation.
func (st *state) build(e *nix.Evaluator, fn, name string, env map[string]string, script string, prepare func(out string) error, attrs nix.Value) (nix.Value, error) {
	if name == "" || strings.Contains(name, "/") {
		return nil, st.fail("pkgs.%s: the name '%s' must be non-empty and without '/'", fn, name)
	}
	keys := make([]string, 0, len(env))
	for k := range env {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	id := []string{fn, script}
	for _, k := range keys {
		id = append(id, k+"="+env[k])
	}
	dir := storeName(name, id...)
	extra := map[string]nix.Value{}
	if set, err := e.Force(attrs); err == nil {
		if pt, ok := nix.GetAttr(set, "passthru"); ok {
			if fp, err := e.Force(pt); err == nil {
				for _, k := range nix.AttrNames(fp) {
					extra[k], _ = nix.GetAttr(fp, k)
				}
			}
		}
		if meta, ok := nix.GetAttr(set, "meta"); ok {
			extra["meta"] = meta
		}
	}
	if v, ok := st.builds[dir]; ok {
		return v, nil
	}
	if err := st.runBuild(fn, name, dir, env, script, prepare); err != nil {
		return nil, err
	}
	v := builtDerivation(name, dir, name, extra)
	st.builds[dir] = v
	return v, nil
}

func (st *state) runBuild(fn, name, dir string, env map[string]string, script string, prepare func(out string) error) error {
	tmp, err := os.MkdirTemp("", "nixcsh-build-")
	if err != nil {
		return st.fail("pkgs.%s '%s': cannot make a build directory: %v", fn, name, err)
	}
	defer os.RemoveAll(tmp)
	gen, out, work := filepath.Join(tmp, "generation"), filepath.Join(tmp, "out"), filepath.Join(tmp, "build")
	for _, d := range []string{gen, work, filepath.Join(tmp, "tmp")} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			return st.fail("pkgs.%s '%s': cannot make a build directory: %v", fn, name, err)
		}
	}
	// What the generation holds so far, where the script can read it.
	for p, f := range st.written {
		full := filepath.Join(gen, p)
		os.MkdirAll(filepath.Dir(full), 0o755)
		switch {
		case f.Dir:
			os.MkdirAll(full, 0o755)
		case f.Link != "":
			os.Symlink(strings.ReplaceAll(f.Link, StorePlaceholder, gen), full)
		default:
			os.WriteFile(full, bytes.ReplaceAll(f.Data, []byte(StorePlaceholder), []byte(gen)), f.Mode|0o200)
		}
	}
	local := func(s string) string { return strings.ReplaceAll(s, StorePlaceholder, gen) }
	if prepare != nil {
		if err := os.MkdirAll(out, 0o755); err != nil {
			return st.fail("pkgs.%s '%s': %v", fn, name, err)
		}
		if err := prepare(out); err != nil {
			return err
		}
	}
	if script != "" {
		if err := st.runScript(fn, name, tmp, out, local(script), env, local); err != nil {
			return err
		}
	}
	if _, err := os.Lstat(out); err != nil {
		return st.fail("pkgs.%s '%s': the build script did not create $out", fn, name)
	}
	return st.collect(fn, name, dir, out, gen)
}

func (st *state) runScript(fn, name, tmp, out, script string, env map[string]string, local func(string) string) error {
	builder := filepath.Join(tmp, "builder.sh")
	if err := os.WriteFile(builder, []byte(script), 0o644); err != nil {
		return st.fail("pkgs.%s '%s': %v", fn, name, err)
	}
	path := "/usr/bin:/bin"
	for _, k := range []string{"nativeBuildInputs", "buildInputs"} {
		for _, p := range strings.Fields(env[k]) {
			path = local(p) + "/bin:" + path
		}
	}
	vars := map[string]string{}
	for k, v := range env {
		vars[k] = local(v)
	}
	for k, v := range map[string]string{
		"out": out, "name": name, "PATH": path, "HOME": "/homeless-shelter", "NIX_BUILD_TOP": filepath.Join(tmp, "build"),
		"TMPDIR": filepath.Join(tmp, "tmp"), "TMP": filepath.Join(tmp, "tmp"), "TEMP": filepath.Join(tmp, "tmp"),
		"NIX_BUILD_CORES": "1", "LANG": "C.UTF-8", "SOURCE_DATE_EPOCH": "315532800",
	} {
		vars[k] = v
	}
	argv := []string{"/bin/bash", "-e", builder}
	if u := netUnshare(); u != "" {
		argv = append([]string{u, "--net", "--"}, argv...) // no network, as Nix's sandbox
	}
	ctx, cancel := context.WithTimeout(st.ctx, buildTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, argv[0], argv[1:]...)
	cmd.Dir = filepath.Join(tmp, "build")
	cmd.Env = nil
	for k, v := range vars {
		cmd.Env = append(cmd.Env, k+"="+v)
	}
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
	var log bytes.Buffer
	cmd.Stdout, cmd.Stderr = &log, &log
	err := cmd.Run()
	if ctx.Err() == context.DeadlineExceeded {
		return st.fail("pkgs.%s '%s': the build script did not finish within %s%s", fn, name, buildTimeout, tail(log.String()))
	}
	if err != nil {
		return st.fail("pkgs.%s '%s': the build script failed (%v)%s", fn, name, err, tail(log.String()))
	}
	return nil
}

var unshareOnce struct {
	sync.Once
	path string
}

// netUnshare is the unshare program if it can give a build a network
// namespace of its own here (root, and a kernel that allows it), else "".
func netUnshare() string {
	unshareOnce.Do(func() {
		if os.Geteuid() != 0 {
			return
		}
		if u, err := exec.LookPath("unshare"); err == nil && exec.Command(u, "--net", "--", "/bin/true").Run() == nil {
			unshareOnce.path = u
		}
	})
	return unshareOnce.path
}

// tail is the end of a build log, for errors.
func tail(log string) string {
	lines := strings.Split(strings.TrimRight(log, "\n"), "\n")
	if len(lines) > 15 {
		lines = lines[len(lines)-15:]
	}
	if len(lines) == 1 && lines[0] == "" {
		return ""
	}
	return ":\n" + strings.Join(lines, "\n")
}

// collect moves a build's output into the generation at dir, its own and
// the generation's temporary paths written back as placeholder paths.
func (st *state) collect(fn, name, dir, out, gen string) error {
	final := StorePlaceholder + "/" + dir
	back := func(b []byte) []byte {
		b = bytes.ReplaceAll(b, []byte(out), []byte(final))
		return bytes.ReplaceAll(b, []byte(gen), []byte(StorePlaceholder))
	}
	files := map[string]WrittenFile{}
	size := 0
	err := filepath.WalkDir(out, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel := strings.TrimPrefix(p, out)
		info, err := d.Info()
		if err != nil {
			return err
		}
		switch {
		case info.Mode()&fs.ModeSymlink != 0:
			t, err := os.Readlink(p)
			if err != nil {
				return err
			}
			files[dir+rel] = WrittenFile{Link: string(back([]byte(t)))}
		case info.IsDir():
			files[dir+rel] = WrittenFile{Dir: true}
		case info.Mode().IsRegular():
			data, err := os.ReadFile(p)
			if err != nil {
				return err
			}
			if size += len(data); size > maxBuildOutput {
				return fmt.Errorf("the output is larger than %d MiB", maxBuildOutput>>20)
			}
			mode := os.FileMode(0o444)
			if info.Mode()&0o111 != 0 {
				mode = 0o555
			}
			files[dir+rel] = WrittenFile{Data: back(data), Mode: mode}
		default:
			return fmt.Errorf("%s is neither a file, a directory nor a symlink", rel)
		}
		return nil
	})
	if err != nil {
		return st.fail("pkgs.%s '%s': cannot take its output: %v", fn, name, err)
	}
	for p, f := range files {
		st.written[p] = f
	}
	return nil
}

// linkTrees fills out with symlinks to the files of paths (as symlinkJoin
// and buildEnv do), limited to those under one of toLink; the first path
// providing a file wins. A host package (outPath /usr) contributes the
// files its Debian package installs.
func (st *state) linkTrees(fn, name, out string, paths, toLink []string) error {
	under := func(rel string) bool {
		for _, l := range toLink {
			l = strings.Trim(l, "/")
			if l == "" || rel == l || strings.HasPrefix(rel, l+"/") {
				return true
			}
		}
		return false
	}
	link := func(rel, target string) error {
		if !under(rel) {
			return nil
		}
		dst := filepath.Join(out, rel)
		if _, err := os.Lstat(dst); err == nil {
			return nil
		}
		if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
			return err
		}
		return os.Symlink(target, dst)
	}
	for _, p := range paths {
		var err error
		switch {
		case strings.HasPrefix(p, StorePlaceholder+"/"):
			err = st.linkWritten(p, link)
		case strings.HasPrefix(p, "deb:"):
			err = st.linkPackage(strings.TrimPrefix(p, "deb:"), link)
		case p == "/usr":
			err = fmt.Errorf("it is not a package of pkgs: give the paths of its files instead")
		default:
			err = linkHostTree(p, link)
		}
		if err != nil {
			return st.fail("pkgs.%s '%s': cannot link %s: %v", fn, name, p, err)
		}
	}
	return nil
}

// linkWritten links the files of a generation path made earlier.
func (st *state) linkWritten(p string, link func(rel, target string) error) error {
	rel := strings.TrimPrefix(p, StorePlaceholder+"/")
	if _, ok := st.written[rel]; ok && !st.written[rel].Dir {
		return fmt.Errorf("it is a file, not a directory")
	}
	var names []string
	for w := range st.written {
		if strings.HasPrefix(w, rel+"/") && !st.written[w].Dir {
			names = append(names, w)
		}
	}
	sort.Strings(names)
	for _, w := range names {
		if err := link(strings.TrimPrefix(w, rel+"/"), StorePlaceholder+"/"+w); err != nil {
			return err
		}
	}
	return nil
}

// linkPackage links the files (not directories) an installed Debian
// package has under /usr, /bin, /sbin and /lib, as dpkg lists them.
func (st *state) linkPackage(deb string, link func(rel, target string) error) error {
	if st.files == nil {
		return fmt.Errorf("nixcsh does not know the files of Debian packages here")
	}
	for _, f := range st.files(deb) {
		rel := strings.TrimPrefix(f, "/usr/")
		if rel == f && !strings.HasPrefix(f, "/bin/") && !strings.HasPrefix(f, "/sbin/") && !strings.HasPrefix(f, "/lib/") {
			continue
		}
		rel = strings.TrimPrefix(rel, "/")
		if info, err := os.Lstat(f); err != nil || info.IsDir() {
			continue
		}
		if err := link(rel, f); err != nil {
			return err
		}
	}
	return nil
}

// linkHostTree links the files under a directory of the host.
func linkHostTree(root string, link func(rel, target string) error) error {
	st, err := os.Stat(root)
	if err != nil {
		return err
	}
	if !st.IsDir() {
		return errors.New("it is not a directory")
	}
	return filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		return link(strings.TrimPrefix(p, root+"/"), p)
	})
}
