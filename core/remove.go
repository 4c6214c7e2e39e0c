package core

import (
	"bufio"
	"errors"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"golang.org/x/sys/unix"
)

// removeTree removes path and everything below it the way `rm -rf
// --one-file-system` would after unmounting: anything mounted below path is
// unmounted first (deepest first, lazily if busy), and the walk never descends
// into another file system, so host data bind-mounted into a container's
// state dir is left untouched. Immutable files (chattr +i) are made mutable
// first, since destroy must not fail on them (nixpkgs #21573).
func removeTree(path string) error {
	if _, err := os.Lstat(path); errors.Is(err, os.ErrNotExist) {
		return nil
	}
	unmountBelow(path)
	var st unix.Stat_t
	if err := unix.Lstat(path, &st); err != nil {
		return err
	}
	return removeOnDevice(path, st.Dev)
}

// unmountBelow unmounts every mount point at or below dir.
func unmountBelow(dir string) {
	clean := filepath.Clean(dir)
	f, err := os.Open("/proc/self/mountinfo")
	if err != nil {
		return
	}
	defer f.Close()
	var points []string
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		fields := strings.Fields(sc.Text())
		if len(fields) < 5 {
			continue
		}
		mp := unescapeMount(fields[4])
		if mp == clean || strings.HasPrefix(mp, clean+"/") {
			points = append(points, mp)
		}
	}
	// Deepest first, so that nested mounts come off before their parents.
	sort.Slice(points, func(i, j int) bool { return len(points[i]) > len(points[j]) })
	for _, mp := range points {
		if err := unix.Unmount(mp, 0); err != nil {
			unix.Unmount(mp, unix.MNT_DETACH)
		}
	}
}

// unescapeMount undoes mountinfo's octal escapes (\040 for a space).
func unescapeMount(s string) string {
	if !strings.Contains(s, `\`) {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == '\\' && i+3 < len(s) {
			n := 0
			ok := true
			for _, c := range s[i+1 : i+4] {
				if c < '0' || c > '7' {
					ok = false
					break
				}
				n = n*8 + int(c-'0')
			}
			if ok {
				b.WriteByte(byte(n))
				i += 3
				continue
			}
		}
		b.WriteByte(s[i])
	}
	return b.String()
}

// removeOnDevice removes path if it lives on device dev; directories are
// emptied first. Entries on other devices (a mount that could not be
// unmounted) are skipped, and their parent directory then stays.
func removeOnDevice(path string, dev uint64) error {
	var st unix.Stat_t
	if err := unix.Lstat(path, &st); err != nil {
		if errors.Is(err, unix.ENOENT) {
			return nil
		}
		return err
	}
	if st.Dev != dev {
		return nil
	}
	if st.Mode&unix.S_IFMT == unix.S_IFDIR {
		entries, err := os.ReadDir(path)
		if err != nil && !errors.Is(err, os.ErrNotExist) {
			clearImmutable(path)
			entries, err = os.ReadDir(path)
			if err != nil {
				return err
			}
		}
		var firstErr error
		for _, e := range entries {
			if err := removeOnDevice(filepath.Join(path, e.Name()), dev); err != nil && firstErr == nil {
				firstErr = err
			}
		}
		if firstErr != nil {
			return firstErr
		}
	}
	err := os.Remove(path)
	if err != nil && (errors.Is(err, unix.EPERM) || errors.Is(err, unix.EACCES)) {
		clearImmutable(path)
		clearImmutable(filepath.Dir(path))
		err = os.Remove(path)
	}
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	return err
}

// clearImmutable drops the immutable and append-only flags of a file or
// directory; errors are ignored (the following remove reports them).
func clearImmutable(path string) {
	f, err := os.OpenFile(path, os.O_RDONLY|unix.O_NOFOLLOW|unix.O_NONBLOCK, 0)
	if err != nil {
		return
	}
	defer f.Close()
	flags, err := unix.IoctlGetUint32(int(f.Fd()), unix.FS_IOC_GETFLAGS)
	if err != nil {
		return
	}
	const immutable, appendOnly = 0x10, 0x20 // FS_IMMUTABLE_FL, FS_APPEND_FL
	if flags&(immutable|appendOnly) != 0 {
		unix.IoctlSetPointerInt(int(f.Fd()), unix.FS_IOC_SETFLAGS, int(flags&^(immutable|appendOnly)))
	}
}
