package system

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"

	"github.com/nixcsh/nixcsh/core/fault"
	"github.com/nixcsh/nixcsh/core/fsx"
	"github.com/nixcsh/nixcsh/core/options"
)

// Files of etc/ that activation merges rather than links: the container
// may add its own users (users.mutableUsers).
var mergedEtc = map[string]bool{"passwd": true, "group": true, "shadow": true}

// hostResolvConf is copied into containers that use the host's resolver.
const hostResolvConf = "/etc/resolv.conf"

// Whole directories linked as one (as NixOS links /etc/systemd/system): the
// container sees exactly the generation's units, nothing stale.
var linkedDirs = map[string]bool{"systemd/system": true}

// Activate makes the container's root dir match the generation at storePath
// before it boots (or while it runs, for update): root/etc/static points at
// the generation's etc; every static file is linked as root/etc/X ->
// /etc/static/X (copied when its mode asks for it); passwd, group and shadow
// are real files merged with what the container added itself; machine-id and
// /etc/ssh host keys are kept; files of the previous generation that the new
// one dropped are removed. The store path must be visible inside the
// container at the same absolute path (the runtime binds it read-only).
func Activate(root, storePath string) error {
	nm, err := LoadManifest(storePath)
	if err != nil {
		return err
	}
	etc := filepath.Join(root, "etc")
	var om *Manifest
	if old, err := os.Readlink(filepath.Join(etc, "static")); err == nil {
		if m, err := LoadManifest(filepath.Dir(old)); err == nil {
			om = m
		}
	}
	if err := skeleton(root); err != nil {
		return fault.Errorf(fault.Failed, "cannot prepare the root directory %s: %w", root, err)
	}
	if err := fsx.SymlinkAtomic(filepath.Join(storePath, "etc"), filepath.Join(etc, "static")); err != nil {
		return fault.Errorf(fault.Failed, "cannot link %s/static to %s: %w", etc, storePath, err)
	}

	entries := make([]string, 0, len(nm.Etc))
	for rel := range nm.Etc {
		entries = append(entries, rel)
	}
	sort.Strings(entries)
	done := map[string]bool{}
	for _, rel := range entries {
		if mergedEtc[rel] {
			continue
		}
		target := rel
		for d := range linkedDirs {
			if strings.HasPrefix(rel, d+"/") {
				target = d
			}
		}
		if done[target] {
			continue
		}
		done[target] = true
		e := nm.Etc[rel]
		dst := filepath.Join(etc, target)
		if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
			return fault.Errorf(fault.Failed, "cannot create %s: %w", filepath.Dir(dst), err)
		}
		if e.Copy != "" && target == rel {
			if err := copyEtc(storePath, rel, dst, e, nm); err != nil {
				return err
			}
			continue
		}
		if cur, err := os.Readlink(dst); err == nil && cur == "/etc/static/"+target {
			continue
		}
		if st, err := os.Lstat(dst); err == nil && st.IsDir() && st.Mode()&os.ModeSymlink == 0 {
			// A real directory where the generation wants a link (the host's
			// units dir from an earlier boot): move it aside, never delete.
			os.Rename(dst, dst+".nixcsh-old")
		}
		if err := fsx.SymlinkAtomic("/etc/static/"+target, dst); err != nil {
			return fault.Errorf(fault.Failed, "cannot link %s: %w", dst, err)
		}
	}
	// Remove what the previous generation made and the new one dropped.
	if om != nil {
		for rel, e := range om.Etc {
			target := rel
			for d := range linkedDirs {
				if strings.HasPrefix(rel, d+"/") {
					target = d
				}
			}
			if done[target] || mergedEtc[rel] {
				continue
			}
			if _, still := nm.Etc[rel]; still {
				continue
			}
			dst := filepath.Join(etc, target)
			if e.Copy != "" {
				os.Remove(dst)
			} else if cur, err := os.Readlink(dst); err == nil && cur == "/etc/static/"+target {
				os.Remove(dst)
			}
		}
	}
	if nm.UseHostResolvConf {
		// networking.useHostResolvConf: the host's resolver configuration,
		// copied (the container cannot see the host's /etc).
		if data, err := os.ReadFile(hostResolvConf); err == nil {
			if err := writeAtomic(filepath.Join(etc, "resolv.conf"), data, 0o644); err != nil {
				return fault.Errorf(fault.Failed, "cannot write %s/resolv.conf: %w", etc, err)
			}
		}
	}
	if err := mergeUsers(root, storePath, nm, om); err != nil {
		return err
	}
	mid := filepath.Join(etc, "machine-id")
	if _, err := os.Lstat(mid); os.IsNotExist(err) {
		os.WriteFile(mid, nil, 0o444)
	}
	return nil
}

// skeleton makes the few things every root needs: the host's /usr is bound
// over usr/, and bin, sbin, lib, lib64 point into it.
func skeleton(root string) error {
	for _, d := range []string{"etc", "usr", "var", "home", "nix/var/nix/profiles"} {
		if err := os.MkdirAll(filepath.Join(root, d), 0o755); err != nil {
			return err
		}
	}
	if err := os.MkdirAll(filepath.Join(root, "root"), 0o700); err != nil {
		return err
	}
	if _, err := os.Lstat(filepath.Join(root, "tmp")); os.IsNotExist(err) {
		os.Mkdir(filepath.Join(root, "tmp"), 0o755)
		os.Chmod(filepath.Join(root, "tmp"), 0o1777)
	}
	for _, l := range []string{"bin", "sbin", "lib", "lib64"} {
		p := filepath.Join(root, l)
		if _, err := os.Lstat(p); os.IsNotExist(err) {
			if err := os.Symlink("usr/"+l, p); err != nil {
				return err
			}
		}
	}
	return nil
}

func copyEtc(storePath, rel, dst string, e EtcEntry, nm *Manifest) error {
	data, err := os.ReadFile(filepath.Join(storePath, "etc", rel))
	if err != nil {
		return fault.Errorf(fault.Failed, "cannot read %s from %s: %w", rel, storePath, err)
	}
	mode, err := strconv.ParseUint(e.Copy, 8, 32)
	if err != nil {
		return fault.Errorf(fault.Invalid, "the mode '%s' of /etc/%s is not octal", e.Copy, rel)
	}
	uid, gid := resolveOwner(e.User, e.Group, nm)
	if err := writeAtomic(dst, data, os.FileMode(mode)); err != nil {
		return fault.Errorf(fault.Failed, "cannot write %s: %w", dst, err)
	}
	os.Lchown(dst, uid, gid)
	return os.Chmod(dst, os.FileMode(mode))
}

func resolveOwner(user, group string, nm *Manifest) (int, int) {
	id := func(s string, byName func(string) (int, bool)) int {
		if n, ok := strings.CutPrefix(s, "+"); ok {
			i, _ := strconv.Atoi(n)
			return i
		}
		if i, ok := byName(s); ok {
			return i
		}
		return 0
	}
	uid := id(user, func(n string) (int, bool) {
		for _, u := range nm.Users {
			if u.Name == n {
				return u.UID, true
			}
		}
		return 0, false
	})
	gid := id(group, func(n string) (int, bool) {
		for _, g := range nm.Groups {
			if g.Name == n {
				return g.GID, true
			}
		}
		return 0, false
	})
	return uid, gid
}

// writeAtomic writes a file through a temp file, fsync and rename.
func writeAtomic(path string, data []byte, mode os.FileMode) error {
	f, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".tmp-")
	if err != nil {
		return err
	}
	tmp := f.Name()
	_, err = f.Write(data)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Chmod(tmp, mode)
	}
	if err == nil {
		err = os.Rename(tmp, path)
	}
	if err != nil {
		os.Remove(tmp)
	}
	return err
}

// dbFile is a colon-separated database (passwd, group, shadow) in order.
type dbFile struct {
	names []string
	lines map[string][]string
}

func readDB(path string) *dbFile {
	db := &dbFile{lines: map[string][]string{}}
	data, err := os.ReadFile(path)
	if err != nil {
		return db
	}
	sc := bufio.NewScanner(bytes.NewReader(data))
	for sc.Scan() {
		line := sc.Text()
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		f := strings.Split(line, ":")
		if _, dup := db.lines[f[0]]; !dup {
			db.names = append(db.names, f[0])
		}
		db.lines[f[0]] = f
	}
	return db
}

func (db *dbFile) put(f []string) {
	if _, ok := db.lines[f[0]]; !ok {
		db.names = append(db.names, f[0])
	}
	db.lines[f[0]] = f
}

func (db *dbFile) bytes() []byte {
	var b bytes.Buffer
	for _, n := range db.names {
		b.WriteString(strings.Join(db.lines[n], ":") + "\n")
	}
	return b.Bytes()
}

// mergeUsers writes the container's passwd, group and shadow: declared
// accounts follow the configuration; with mutableUsers, accounts the
// container created itself stay, and so do passwords changed inside (unless
// the configuration sets hashedPassword) and previously allocated ids.
// Accounts the previous generation declared and the new one does not are
// removed.
func mergeUsers(root, storePath string, nm, om *Manifest) error {
	etc := filepath.Join(root, "etc")
	var curP, curG, curS *dbFile
	isReal := func(p string) bool {
		st, err := os.Lstat(p)
		return err == nil && st.Mode().IsRegular()
	}
	if isReal(filepath.Join(etc, "passwd")) {
		curP = readDB(filepath.Join(etc, "passwd"))
		curG = readDB(filepath.Join(etc, "group"))
		curS = readDB(filepath.Join(etc, "shadow"))
	} else {
		curP, curG, curS = readDB(""), readDB(""), readDB("")
	}
	genP := readDB(filepath.Join(storePath, "etc/passwd"))
	genG := readDB(filepath.Join(storePath, "etc/group"))
	genS := readDB(filepath.Join(storePath, "etc/shadow"))

	declaredU := map[string]options.User{}
	for _, u := range nm.Users {
		declaredU[u.Name] = u
	}
	declaredG := map[string]options.Group{}
	for _, g := range nm.Groups {
		declaredG[g.Name] = g
	}
	oldDeclU, oldDeclG := map[string]bool{}, map[string]bool{}
	if om != nil {
		for _, u := range om.Users {
			oldDeclU[u.Name] = true
		}
		for _, g := range om.Groups {
			oldDeclG[g.Name] = true
		}
	}

	outP, outG, outS := readDB(""), readDB(""), readDB("")
	// Kept accounts first, so declared ones can avoid their ids.
	usedUID, usedGID := map[string]bool{}, map[string]bool{}
	if nm.MutableUsers {
		for _, n := range curP.names {
			if _, decl := declaredU[n]; decl || oldDeclU[n] {
				continue
			}
			outP.put(curP.lines[n])
			if s, ok := curS.lines[n]; ok {
				outS.put(s)
			}
			usedUID[field(curP.lines[n], 2)] = true
		}
		for _, n := range curG.names {
			if _, decl := declaredG[n]; decl || oldDeclG[n] {
				continue
			}
			outG.put(curG.lines[n])
			usedGID[field(curG.lines[n], 2)] = true
		}
	}
	// Declared groups: keep an id allocated earlier unless the config fixes it.
	gidOf := map[string]string{}
	for _, g := range nm.Groups {
		f := append([]string{}, genG.lines[g.Name]...)
		if len(f) < 4 {
			continue
		}
		if cur, ok := curG.lines[g.Name]; ok && !g.GIDFixed && len(cur) >= 3 {
			f[2] = cur[2]
		}
		if !g.GIDFixed && usedGID[f[2]] {
			f[2] = freeID(usedGID, 999, -1)
		}
		if nm.MutableUsers {
			if cur, ok := curG.lines[g.Name]; ok && len(cur) >= 4 {
				f[3] = strings.Join(unionMembers(f[3], cur[3], curP, declaredU), ",")
			}
		}
		usedGID[f[2]] = true
		gidOf[g.Name] = f[2]
		outG.put(f)
	}
	for _, u := range nm.Users {
		f := append([]string{}, genP.lines[u.Name]...)
		if len(f) < 7 {
			continue
		}
		cur, existed := curP.lines[u.Name]
		if existed && !u.UIDFixed && len(cur) >= 3 {
			f[2] = cur[2]
		}
		if !u.UIDFixed && usedUID[f[2]] {
			if u.IsNormal {
				f[2] = freeID(usedUID, 1000, 1)
			} else {
				f[2] = freeID(usedUID, 999, -1)
			}
		}
		usedUID[f[2]] = true
		if gid, ok := gidOf[u.Group]; ok {
			f[3] = gid
		}
		outP.put(f)
		s := append([]string{}, genS.lines[u.Name]...)
		if len(s) < 2 {
			s = []string{u.Name, "*", "1", "", "", "", "", "", ""}
		}
		if cs, ok := curS.lines[u.Name]; ok && existed && len(cs) >= 2 && nm.MutableUsers && !u.PasswordFixed {
			s = cs // a password set (or changed) inside the container stays
		}
		outS.put(s)
	}
	if err := writeAtomic(filepath.Join(etc, "group"), outG.bytes(), 0o644); err != nil {
		return fault.Errorf(fault.Failed, "cannot write %s/group: %w", etc, err)
	}
	if err := writeAtomic(filepath.Join(etc, "passwd"), outP.bytes(), 0o644); err != nil {
		return fault.Errorf(fault.Failed, "cannot write %s/passwd: %w", etc, err)
	}
	if err := writeAtomic(filepath.Join(etc, "shadow"), outS.bytes(), 0o600); err != nil {
		return fault.Errorf(fault.Failed, "cannot write %s/shadow: %w", etc, err)
	}
	// Home directories of declared users that ask for one.
	for _, u := range nm.Users {
		if !u.CreateHome || u.Home == "" || u.Home == "/var/empty" {
			continue
		}
		h := filepath.Join(root, u.Home)
		if _, err := os.Lstat(h); os.IsNotExist(err) {
			if err := os.MkdirAll(h, 0o700); err == nil {
				uid, _ := strconv.Atoi(field(outP.lines[u.Name], 2))
				gid, _ := strconv.Atoi(field(outP.lines[u.Name], 3))
				os.Lchown(h, uid, gid)
			}
		}
	}
	return nil
}

func field(f []string, i int) string {
	if i < len(f) {
		return f[i]
	}
	return ""
}

func freeID(used map[string]bool, start, step int) string {
	for i := start; i > 0 && i < 60000; i += step {
		if s := strconv.Itoa(i); !used[s] {
			return s
		}
	}
	return fmt.Sprint(start)
}

// unionMembers adds members the container gave a declared group (users it
// created itself) to the declared members.
func unionMembers(declared, current string, curP *dbFile, declaredU map[string]options.User) []string {
	var out []string
	seen := map[string]bool{}
	for _, m := range strings.Split(declared, ",") {
		if m != "" && !seen[m] {
			seen[m] = true
			out = append(out, m)
		}
	}
	for _, m := range strings.Split(current, ",") {
		if _, decl := declaredU[m]; m == "" || seen[m] || decl {
			continue
		}
		if _, exists := curP.lines[m]; exists {
			seen[m] = true
			out = append(out, m)
		}
	}
	return out
}
