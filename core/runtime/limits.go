package runtime

import (
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
)

// Limits are a container's resource limits (NAME.conf's MEMORY_MAX, CPUS,
// TASKS_MAX, IO_WEIGHT); a zero field is no limit. They are written into the
// container's own cgroup before nspawn enters it, so they hold for
// everything the container runs, nspawn's own supervisor part included.
type Limits struct {
	MemoryMax uint64  // bytes, swap included: over it, the kernel's OOM killer acts inside
	CPUs      float64 // CPU time, in CPUs (1.5: 150 ms of every 100 ms period)
	TasksMax  int     // processes and threads at once
	IOWeight  int     // 1-10000, systemd's IOWeight scale (100 is the default)
}

// cfsPeriod is the CPU bandwidth period, in microseconds, as systemd uses.
const cfsPeriod = 100000

// limitFile is one value to write: file in the hierarchy of controller.
// optional: a file the kernel may lack (swap accounting, I/O weights,
// which depend on the kernel's configuration and the disk's scheduler);
// alts are files to try instead, in order.
type limitFile struct {
	controller, file, value string
	alts                    []string
	optional                bool
}

// limitFiles says what l is in cgroup v1 files (memory.limit_in_bytes,
// cpu.cfs_quota_us, pids.max, blkio.weight) or in cgroup v2 ones
// (memory.max, cpu.max, pids.max, io.weight). Order matters: a v1
// memsw limit may not go below the memory limit, so that comes first.
func limitFiles(l Limits, v2 bool) []limitFile {
	var out []limitFile
	if l.MemoryMax > 0 {
		n := strconv.FormatUint(l.MemoryMax, 10)
		if v2 {
			out = append(out, limitFile{controller: "memory", file: "memory.max", value: n},
				limitFile{controller: "memory", file: "memory.swap.max", value: "0", optional: true})
		} else {
			out = append(out, limitFile{controller: "memory", file: "memory.limit_in_bytes", value: n},
				limitFile{controller: "memory", file: "memory.memsw.limit_in_bytes", value: n, optional: true})
		}
	}
	if l.CPUs > 0 {
		quota := strconv.Itoa(int(math.Round(l.CPUs * cfsPeriod)))
		if v2 {
			out = append(out, limitFile{controller: "cpu", file: "cpu.max", value: quota + " " + strconv.Itoa(cfsPeriod)})
		} else {
			out = append(out, limitFile{controller: "cpu", file: "cpu.cfs_period_us", value: strconv.Itoa(cfsPeriod)},
				limitFile{controller: "cpu", file: "cpu.cfs_quota_us", value: quota})
		}
	}
	if l.TasksMax > 0 {
		out = append(out, limitFile{controller: "pids", file: "pids.max", value: strconv.Itoa(l.TasksMax)})
	}
	if l.IOWeight > 0 {
		if v2 {
			out = append(out, limitFile{controller: "io", file: "io.weight", value: "default " + strconv.Itoa(l.IOWeight),
				alts: []string{"io.bfq.weight"}, optional: true})
		} else {
			// systemd's conversion of IOWeight (1-10000, default 100) to
			// BlockIOWeight (10-1000, default 500).
			w := min(max(l.IOWeight*500/100, 10), 1000)
			out = append(out, limitFile{controller: "blkio", file: "blkio.weight", value: strconv.Itoa(w),
				alts: []string{"blkio.bfq.weight"}, optional: true})
		}
	}
	return out
}

// limit writes l into the container's cgroups: each controller's files in
// its v1 hierarchy when it has one, else in the unified hierarchy (enabling
// the controller there first). A limit that cannot be applied is an error,
// except an optional one, which is returned as a warning for the log.
func (cg *cgroupSet) limit(l Limits) (warnings []string, err error) {
	for _, v2 := range []bool{false, true} {
		for _, f := range limitFiles(l, v2) {
			v1name := f.controller
			if v1name == "io" {
				v1name = "blkio" // the I/O controller's v1 name
			}
			dir, ok := cg.v1[v1name]
			if ok == v2 {
				continue // written in the other kind of hierarchy
			}
			if v2 {
				if dir = cg.unified; dir == "" {
					if f.optional {
						warnings = append(warnings, fmt.Sprintf("%s not applied: no cgroup hierarchy has the %s controller", f.file, f.controller))
						continue
					}
					return warnings, fmt.Errorf("cannot apply the %s limit: no cgroup hierarchy has the %s controller", f.controller, f.controller)
				}
				if err := enableController(dir, f.controller); err != nil {
					if f.optional {
						warnings = append(warnings, fmt.Sprintf("%s not applied: %v", f.file, err))
						continue
					}
					return warnings, err
				}
			}
			written := false
			var werr error
			for _, name := range append([]string{f.file}, f.alts...) {
				werr = os.WriteFile(filepath.Join(dir, name), []byte(f.value), 0)
				if werr == nil {
					written = true
					break
				}
			}
			switch {
			case written:
			case f.optional:
				warnings = append(warnings, fmt.Sprintf("%s not applied (%s): the kernel or the disk's I/O scheduler does not support it", f.file, dir))
			default:
				return warnings, fmt.Errorf("cannot write %s=%s in %s: %w", f.file, f.value, dir, werr)
			}
		}
	}
	return warnings, nil
}

// enableController makes a cgroup2 controller available in dir by enabling
// it in its parent's cgroup.subtree_control. The kernel refuses that while
// the parent holds processes of its own (the supervisor itself, when it
// runs as a systemd unit with Delegate=yes): the supervisor then moves into
// a leaf cgroup beside the container's and tries again.
func enableController(dir, controller string) error {
	if hasController(dir, controller) {
		return nil
	}
	parent := filepath.Dir(dir)
	if !hasController(parent, controller) {
		return fmt.Errorf("the cgroup2 controller %s is not available in %s: enable it there (systemd: Delegate=yes on the supervisor's unit)", controller, parent)
	}
	ctl := filepath.Join(parent, "cgroup.subtree_control")
	err := os.WriteFile(ctl, []byte("+"+controller), 0)
	if errors.Is(err, syscall.EBUSY) {
		leaf := filepath.Join(parent, "nixcsh-supervisor")
		if merr := os.Mkdir(leaf, 0o755); merr != nil && !errors.Is(merr, os.ErrExist) {
			return fmt.Errorf("cannot enable the cgroup2 controller %s in %s: %w", controller, parent, merr)
		}
		if merr := os.WriteFile(filepath.Join(leaf, "cgroup.procs"), []byte(strconv.Itoa(os.Getpid())), 0); merr != nil {
			return fmt.Errorf("cannot enable the cgroup2 controller %s in %s: %w", controller, parent, merr)
		}
		err = os.WriteFile(ctl, []byte("+"+controller), 0)
	}
	if err != nil {
		return fmt.Errorf("cannot enable the cgroup2 controller %s in %s (other processes live there): %w", controller, parent, err)
	}
	return nil
}

func hasController(dir, controller string) bool {
	b, err := os.ReadFile(filepath.Join(dir, "cgroup.controllers"))
	if err != nil {
		return false
	}
	for _, c := range strings.Fields(string(b)) {
		if c == controller {
			return true
		}
	}
	return false
}
