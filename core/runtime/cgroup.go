package runtime

import (
	"bufio"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"golang.org/x/sys/unix"

	"github.com/nixcsh/nixcsh/core/runtime/procfs"
)

// cgroupSet is one container's cgroup: a directory of the same name in every
// mounted cgroup hierarchy (each cgroup v1 controller hierarchy, name=systemd,
// and the unified cgroup2 one), made below the supervisor's own cgroup there.
// nspawn is moved into all of them before it execs, so that with --keep-unit
// its payload/ and supervisor/ cgroups land inside, and everything the
// container runs is counted and killed together.
type cgroupSet struct {
	dirs    []string          // absolute dirs, unified one (if any) included
	unified string            // the cgroup2 dir, "" on a pure v1 host
	v1      map[string]string // v1 controller (memory, cpu, pids, blkio...) -> its dir
}

type cgroupMount struct {
	mountPoint, root string
	v2               bool
	readOnly         bool   // e.g. the v1 controllers nspawn gives a container
	key              string // /proc/self/cgroup's controller list ("" for v2)
}

// cgroupMounts lists the cgroup hierarchies mounted in our mount namespace.
func cgroupMounts() ([]cgroupMount, error) {
	f, err := os.Open("/proc/self/mountinfo")
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var ms []cgroupMount
	seen := map[string]bool{}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		// id parent maj:min root mountpoint opts [optional...] - fstype source superopts
		fields := strings.Fields(sc.Text())
		sep := -1
		for i, f := range fields {
			if f == "-" {
				sep = i
				break
			}
		}
		if sep < 0 || sep+3 >= len(fields) || len(fields) < 5 {
			continue
		}
		fstype, super := fields[sep+1], fields[sep+3]
		m := cgroupMount{root: unescapeMount(fields[3]), mountPoint: unescapeMount(fields[4])}
		for _, o := range strings.Split(fields[5], ",") {
			m.readOnly = m.readOnly || o == "ro"
		}
		switch fstype {
		case "cgroup2":
			m.v2 = true
		case "cgroup":
			var ctrls []string
			for _, o := range strings.Split(super, ",") {
				switch {
				case o == "rw" || o == "ro" || o == "clone_children" || o == "noprefix" || o == "xattr" ||
					o == "cpuset_v2_mode" || o == "favordynmods" || strings.HasPrefix(o, "release_agent="):
				default:
					ctrls = append(ctrls, o)
				}
			}
			m.key = strings.Join(ctrls, ",")
		default:
			continue
		}
		id := fstype + ":" + m.key
		if seen[id] { // the same hierarchy mounted twice: use the first
			continue
		}
		seen[id] = true
		ms = append(ms, m)
	}
	return ms, sc.Err()
}

func unescapeMount(s string) string {
	if !strings.Contains(s, `\`) {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == '\\' && i+3 < len(s) {
			if n, err := strconv.ParseUint(s[i+1:i+4], 8, 8); err == nil {
				b.WriteByte(byte(n))
				i += 3
				continue
			}
		}
		b.WriteByte(s[i])
	}
	return b.String()
}

// ownCgroups maps /proc/self/cgroup's controller lists ("" for cgroup2) to
// our cgroup path in that hierarchy.
func ownCgroups() (map[string]string, error) {
	b, err := os.ReadFile("/proc/self/cgroup")
	if err != nil {
		return nil, err
	}
	own := map[string]string{}
	for _, line := range strings.Split(strings.TrimSpace(string(b)), "\n") {
		parts := strings.SplitN(line, ":", 3)
		if len(parts) == 3 {
			own[parts[1]] = parts[2]
		}
	}
	return own, nil
}

// newCgroupSet makes a fresh cgroup named nixcsh-MACHINE-RANDOM in every
// hierarchy, below our own cgroup there.
func newCgroupSet(machine string) (*cgroupSet, error) {
	ms, err := cgroupMounts()
	if err != nil {
		return nil, err
	}
	own, err := ownCgroups()
	if err != nil {
		return nil, err
	}
	var rnd [4]byte
	if _, err := rand.Read(rnd[:]); err != nil {
		return nil, err
	}
	name := "nixcsh-" + machine + "-" + hex.EncodeToString(rnd[:])
	cg := &cgroupSet{v1: map[string]string{}}
	for _, m := range ms {
		path, ok := own[m.key]
		if !ok || m.readOnly {
			// A hierarchy this process is not in, or one it may not change:
			// inside an nspawn container (a nested nixcsh) the v1 controller
			// hierarchies are read-only and only name=systemd and the unified
			// one are delegated.
			continue
		}
		// /proc/self/cgroup paths are absolute in the hierarchy; the mount
		// shows the subtree below its root.
		rel, err := filepath.Rel(m.root, path)
		if err != nil || strings.HasPrefix(rel, "..") {
			rel = "."
		}
		dir := filepath.Join(m.mountPoint, rel, name)
		if err := os.Mkdir(dir, 0o755); err != nil {
			cg.remove(context.Background())
			return nil, fmt.Errorf("cannot create cgroup %s: %w", dir, err)
		}
		cg.dirs = append(cg.dirs, dir)
		if err := inheritCpuset(dir); err != nil {
			cg.remove(context.Background())
			return nil, fmt.Errorf("cannot set up cgroup %s: %w", dir, err)
		}
		if m.v2 {
			cg.unified = dir
		} else {
			for _, c := range strings.Split(m.key, ",") {
				cg.v1[c] = dir
			}
		}
	}
	if len(cg.dirs) == 0 {
		return nil, errors.New("no cgroup hierarchy is mounted")
	}
	return cg, nil
}

// inheritCpuset gives a new v1 cpuset cgroup its parent's cpus and mems:
// a v1 cpuset starts empty, and the kernel refuses to move a process into
// an empty one (ENOSPC).
func inheritCpuset(dir string) error {
	for _, f := range []string{"cpuset.cpus", "cpuset.mems"} {
		cur, err := os.ReadFile(filepath.Join(dir, f))
		if err != nil {
			return nil // not a cpuset hierarchy
		}
		if strings.TrimSpace(string(cur)) != "" {
			continue
		}
		parent, err := os.ReadFile(filepath.Join(filepath.Dir(dir), f))
		if err != nil {
			return err
		}
		if err := os.WriteFile(filepath.Join(dir, f), parent, 0); err != nil {
			return err
		}
	}
	return nil
}

// add moves pid into the container's cgroup in every hierarchy.
func (cg *cgroupSet) add(pid int) error {
	for _, d := range cg.dirs {
		if err := os.WriteFile(filepath.Join(d, "cgroup.procs"), []byte(strconv.Itoa(pid)), 0); err != nil {
			return fmt.Errorf("cannot move process %d into cgroup %s: %w", pid, d, err)
		}
	}
	return nil
}

// pids lists every process in the container's cgroup trees.
func (cg *cgroupSet) pids() []int {
	set := map[int]bool{}
	for _, d := range cg.dirs {
		filepath.WalkDir(d, func(p string, e fs.DirEntry, err error) error {
			if err != nil || !e.IsDir() {
				return nil
			}
			b, _ := os.ReadFile(filepath.Join(p, "cgroup.procs"))
			for _, f := range strings.Fields(string(b)) {
				if n, err := strconv.Atoi(f); err == nil {
					set[n] = true
				}
			}
			return nil
		})
	}
	var out []int
	for p := range set {
		out = append(out, p)
	}
	return out
}

// remove kills whatever is left in the cgroups (stragglers of a container
// that is already down), waits until they are gone and removes the dirs.
func (cg *cgroupSet) remove(ctx context.Context) error {
	// A container that is down has left its cgroups empty, and the kernel
	// removes an empty cgroup but refuses (EBUSY) one that has a process
	// in it or below it: try that first, which saves reading every
	// cgroup.procs (half the time of a remove), and look for stragglers
	// only when a cgroup is refused.
	removed := true
	for _, d := range cg.dirs {
		if removeCgroupTree(ctx, d, false) != nil {
			removed = false
		}
	}
	if removed {
		return nil
	}
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if cg.unified != "" {
		// cgroup.kill (Linux 5.14+) kills the whole subtree atomically,
		// including processes forked while we would be iterating.
		os.WriteFile(filepath.Join(cg.unified, "cgroup.kill"), []byte("1"), 0)
	}
	for {
		pids := cg.pids()
		if len(pids) == 0 {
			break
		}
		for _, p := range pids {
			syscall.Kill(p, syscall.SIGKILL)
		}
		for _, p := range pids {
			if err := procfs.WaitGone(ctx, p); err != nil {
				return fmt.Errorf("processes of the container are still alive in %v: %w", cg.dirs, err)
			}
		}
	}
	var errs []error
	for _, d := range cg.dirs {
		if err := removeCgroupTree(ctx, d, true); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// removeCgroupTree rmdirs dir and its sub-cgroups, deepest first. A cgroup
// whose last process just died may still count as populated for a moment
// (EBUSY): with wait, wait for it with the context's deadline; without,
// give up at once.
func removeCgroupTree(ctx context.Context, dir string, wait bool) error {
	var dirs []string
	filepath.WalkDir(dir, func(p string, e fs.DirEntry, err error) error {
		if err == nil && e.IsDir() {
			dirs = append(dirs, p)
		}
		return nil
	})
	for i := len(dirs) - 1; i >= 0; i-- {
		for {
			err := syscall.Rmdir(dirs[i])
			if err == nil || errors.Is(err, syscall.ENOENT) {
				break
			}
			if !wait || !errors.Is(err, syscall.EBUSY) || ctx.Err() != nil {
				return fmt.Errorf("cannot remove cgroup %s: %w", dirs[i], err)
			}
			waitCgroupEmpty(ctx, dirs[i])
		}
	}
	return nil
}

// waitCgroupEmpty waits for a cgroup2 dir's "populated 0" (cgroup.events
// signals changes with POLLPRI); in a v1 hierarchy, where there is no such
// event, it yields briefly.
func waitCgroupEmpty(ctx context.Context, dir string) {
	f, err := os.Open(filepath.Join(dir, "cgroup.events"))
	if err != nil {
		runtimeYield(ctx)
		return
	}
	defer f.Close()
	b := make([]byte, 256)
	n, _ := f.ReadAt(b, 0)
	if strings.Contains(string(b[:n]), "populated 0") {
		runtimeYield(ctx)
		return
	}
	pollPri(ctx, int(f.Fd()))
}

// runtimeYield waits a few milliseconds (or until ctx ends): the back-off for
// the rare kernel states that have no event to wait on.
func runtimeYield(ctx context.Context) {
	t := time.NewTimer(5 * time.Millisecond)
	defer t.Stop()
	select {
	case <-ctx.Done():
	case <-t.C:
	}
}

// pollPri waits for POLLPRI on fd (a cgroup2 event file changed) or ctx's end.
func pollPri(ctx context.Context, fd int) {
	for ctx.Err() == nil {
		n, err := unix.Poll([]unix.PollFd{{Fd: int32(fd), Events: unix.POLLPRI}}, 50)
		if n > 0 || (err != nil && !errors.Is(err, unix.EINTR)) {
			return
		}
	}
}

// isCgroup2 reports whether dir is in a cgroup2 (unified) hierarchy.
func isCgroup2(dir string) bool {
	var st unix.Statfs_t
	return unix.Statfs(dir, &st) == nil && st.Type == unix.CGROUP2_SUPER_MAGIC
}
