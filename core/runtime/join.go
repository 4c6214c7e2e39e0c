package runtime

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
)

// execLeaf is the cgroup, below the container's own in every hierarchy,
// that commands entering the container (run, root-login, login) join: they
// are counted against the container's limits (memory, tasks, CPU) and
// killed with it, instead of staying in the caller's cgroup. A leaf of its
// own, because in cgroup v2 a cgroup with children may hold no processes.
const execLeaf = "nixcsh-exec"

// containerCgroups finds the exec leaf of the container whose init is
// leader, making it if needed: the leader's cgroup path in each hierarchy
// up to the container's cgroup (nixcsh-MACHINE-RANDOM, see newCgroupSet).
// None (nil) when the leader is not in a cgroup of nixcsh's making.
func containerCgroups(leader int) ([]string, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/cgroup", leader))
	if err != nil {
		return nil, err
	}
	paths := map[string]string{} // hierarchy key -> the container's cgroup path
	for _, line := range strings.Split(strings.TrimSpace(string(b)), "\n") {
		parts := strings.SplitN(line, ":", 3)
		if len(parts) != 3 {
			continue
		}
		// The last such segment: a nixcsh nested in a container of
		// another nixcsh has its cgroup below the outer container's.
		segs := strings.Split(parts[2], "/")
		for i := len(segs) - 1; i >= 0; i-- {
			if strings.HasPrefix(segs[i], "nixcsh-") && segs[i] != execLeaf {
				paths[parts[1]] = strings.Join(segs[:i+1], "/")
				break
			}
		}
	}
	if len(paths) == 0 {
		return nil, nil
	}
	ms, err := cgroupMounts()
	if err != nil {
		return nil, err
	}
	var dirs []string
	for _, m := range ms {
		p, ok := paths[m.key]
		if !ok || m.readOnly {
			continue
		}
		rel, err := filepath.Rel(m.root, p)
		if err != nil || strings.HasPrefix(rel, "..") {
			continue
		}
		dir := filepath.Join(m.mountPoint, rel, execLeaf)
		if err := os.Mkdir(dir, 0o755); err != nil && !os.IsExist(err) {
			return nil, err
		}
		if err := inheritCpuset(dir); err != nil {
			return nil, err
		}
		dirs = append(dirs, dir)
	}
	return dirs, nil
}

// startInContainerCgroups starts cmd held at a gate (see gateScript) until
// it is in the container's cgroups, so that nothing it starts inside runs
// outside the container's limits even for a moment.
func startInContainerCgroups(cmd *exec.Cmd, leader int) error {
	dirs, err := containerCgroups(leader)
	if err != nil {
		return fmt.Errorf("cannot find the container's cgroups: %w", err)
	}
	if len(dirs) == 0 {
		return cmd.Start()
	}
	gateR, gateW, err := os.Pipe()
	if err != nil {
		return err
	}
	defer gateW.Close()
	cmd.Args = append([]string{"/bin/sh", "-c", gateScript, "nixcsh-exec-gate", cmd.Path}, cmd.Args[1:]...)
	cmd.Path = "/bin/sh"
	cmd.ExtraFiles = append([]*os.File{gateR}, cmd.ExtraFiles...)
	err = cmd.Start()
	gateR.Close()
	if err != nil {
		return err
	}
	pid := strconv.Itoa(cmd.Process.Pid)
	for _, d := range dirs {
		if err := os.WriteFile(filepath.Join(d, "cgroup.procs"), []byte(pid), 0); err != nil {
			cmd.Process.Kill()
			cmd.Wait()
			return fmt.Errorf("cannot move the command into the container's cgroup %s: %w", d, err)
		}
	}
	return nil // closing gateW lets it go on
}
