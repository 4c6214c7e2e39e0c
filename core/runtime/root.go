package runtime

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/nixcsh/nixcsh/core/fault"
)

// rootSymlinks are the merged-/usr links: the host's /usr is bound over the
// container's empty usr/, so bin, sbin, lib and lib64 point into it.
var rootSymlinks = [][2]string{
	{"bin", "usr/bin"},
	{"sbin", "usr/sbin"},
	{"lib", "usr/lib"},
	{"lib64", "usr/lib64"},
}

// rootDirs are the mount points and state dirs every booting root needs.
var rootDirs = []struct {
	path string
	mode fs.FileMode
}{
	{"usr", 0o755}, {"etc", 0o755}, {"proc", 0o555}, {"sys", 0o555}, {"dev", 0o755},
	{"run", 0o755}, {"tmp", fs.ModeSticky | 0o777}, {"var", 0o755}, {"var/tmp", fs.ModeSticky | 0o777},
	{"var/lib", 0o755}, {"var/log", 0o755}, {"root", 0o700}, {"home", 0o755},
}

// osRelease is written only when the root has none: nspawn -b refuses a
// directory without etc/os-release (usr/lib/os-release is not there before
// the host's /usr is bound). A generation may ship its own; it is kept.
const osRelease = `NAME="nixcsh"
ID=nixcsh
PRETTY_NAME="nixcsh container"
HOME_URL="https://github.com/nixcsh/nixcsh"
`

// PrepareRoot makes the part of a container's root dir that does not come
// from a generation: the merged-/usr symlinks, the empty usr/ mount point,
// proc/sys/dev/run/tmp/var and friends, etc/os-release (if missing) and
// etc/machine-id (kept if present, else an empty file so that systemd makes
// one at boot). It is idempotent and touches nothing else under root.
func PrepareRoot(root string) error {
	fail := func(err error) error {
		return fault.Errorf(fault.Failed, "cannot prepare container root %s: %w", root, err)
	}
	if err := os.MkdirAll(root, 0o755); err != nil {
		return fail(err)
	}
	for _, d := range rootDirs {
		p := filepath.Join(root, d.path)
		if err := os.Mkdir(p, d.mode); err != nil && !errors.Is(err, fs.ErrExist) {
			return fail(err)
		} else if err == nil {
			// Mkdir applies the umask; the sticky tmp dirs need their exact mode.
			if err := os.Chmod(p, d.mode); err != nil {
				return fail(err)
			}
		}
	}
	for _, l := range rootSymlinks {
		p := filepath.Join(root, l[0])
		if target, err := os.Readlink(p); err == nil && target == l[1] {
			continue
		}
		if fi, err := os.Lstat(p); err == nil {
			return fail(fmt.Errorf("%s exists and is not the symlink -> %s (it is a %s); remove it", p, l[1], fi.Mode().Type()))
		}
		if err := os.Symlink(l[1], p); err != nil {
			return fail(err)
		}
	}
	for _, f := range []struct{ path, content string }{
		{"etc/os-release", osRelease},
		{"etc/machine-id", ""},
	} {
		p := filepath.Join(root, f.path)
		if _, err := os.Lstat(p); err == nil {
			continue
		}
		if err := os.WriteFile(p, []byte(f.content), 0o444); err != nil {
			return fail(err)
		}
	}
	return nil
}
