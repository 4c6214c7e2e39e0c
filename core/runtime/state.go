package runtime

import (
	"context"
	"encoding/json"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/nixcsh/nixcsh/core/fault"
	"github.com/nixcsh/nixcsh/core/fsx"
	"github.com/nixcsh/nixcsh/core/runtime/procfs"
)

// Files the supervisor keeps in Spec.RunDir.
const (
	stateFileName     = "state.json"      // State, rewritten atomically
	notifyFileName    = "notify"          // nspawn's NOTIFY_SOCKET (unix datagram)
	terminateFileName = "terminate"       // marker: the next nspawn exit is a terminate, not a crash
	lockFileName      = "supervisor.lock" // flock held by the running supervisor
)

// State is a running container's runtime state, as another process (the CLI's
// stop, run, login, status) reads it from the RunDir.
type State struct {
	Leader     int       // the container's init, as seen from the host (0 while nspawn is starting)
	Supervisor int       // the supervisor process
	Started    time.Time // when the current boot began
	Machine    string    // nspawn's machine name
	Ready      bool      // READY=1 arrived: multi-user.target reached (status "up")
	Cgroups    []string  // the container's cgroup dirs, one per hierarchy
}

// stateFile is State on disk, with the start times that identify its pids.
type stateFile struct {
	State
	LeaderStart     uint64
	SupervisorStart uint64
}

func writeState(runDir string, st State) error {
	f := stateFile{State: st}
	var err error
	if f.SupervisorStart, err = procfs.StartTime(st.Supervisor); err != nil {
		return err
	}
	if st.Leader > 0 {
		if f.LeaderStart, err = procfs.StartTime(st.Leader); err != nil {
			return err
		}
	}
	b, err := json.MarshalIndent(f, "", "  ")
	if err != nil {
		return err
	}
	// No fsync: runtime state means nothing after a crash and every reader
	// checks it against /proc; durability would only cost boot time.
	return fsx.WriteAtomicNoSync(filepath.Join(runDir, stateFileName), b, 0o644)
}

// ReadState reads the runtime state in runDir. running is true only when the
// recorded supervisor and leader are both alive and are the very processes
// the file names (pid and start time); a RunDir whose supervisor is gone is
// stale and is removed. A supervisor that is alive while its leader is not
// (booting, rebooting) reports not running but keeps its files.
// State.Ready tells a container that is up from one that is still booting.
func ReadState(runDir string) (State, bool, error) {
	b, err := os.ReadFile(filepath.Join(runDir, stateFileName))
	if errors.Is(err, fs.ErrNotExist) {
		return State{}, false, nil
	}
	if err != nil {
		return State{}, false, fault.Errorf(fault.Failed, "cannot read container state %s: %w", runDir, err)
	}
	var f stateFile
	if err := json.Unmarshal(b, &f); err != nil || f.Supervisor <= 0 {
		// A torn or foreign file: never trusted; atomic writes make this rare.
		os.Remove(filepath.Join(runDir, stateFileName))
		return State{}, false, nil
	}
	if !procfs.Same(f.Supervisor, f.SupervisorStart) {
		removeOrphanCgroups(f.State)
		removeStaleRunDir(runDir)
		return State{}, false, nil
	}
	if f.Leader <= 0 || !procfs.Same(f.Leader, f.LeaderStart) {
		return f.State, false, nil
	}
	return f.State, true, nil
}

// removeOrphanCgroups removes the cgroups of a container whose supervisor
// died without cleaning up (SIGKILL, OOM): nspawn got its parent-death
// SIGTERM and powered the container off, but nobody is left to remove the
// cgroups or kill stragglers. Only dirs that are what a supervisor makes
// (a cgroup named nixcsh-MACHINE-* under /sys/fs/cgroup) are touched.
func removeOrphanCgroups(st State) {
	cg := &cgroupSet{}
	prefix := "nixcsh-" + st.Machine + "-"
	for _, d := range st.Cgroups {
		if st.Machine == "" || !strings.HasPrefix(filepath.Base(d), prefix) || !strings.HasPrefix(d, "/sys/fs/cgroup/") || strings.Contains(d, "..") {
			continue
		}
		cg.dirs = append(cg.dirs, d)
		if isCgroup2(d) {
			cg.unified = d
		}
	}
	if len(cg.dirs) > 0 {
		cg.remove(context.Background())
	}
}

// removeStaleRunDir removes what a dead supervisor left in runDir: its own
// files, then the dir if nothing else is in it.
func removeStaleRunDir(runDir string) {
	for _, n := range []string{stateFileName, notifyFileName, terminateFileName, lockFileName} {
		os.Remove(filepath.Join(runDir, n))
	}
	os.Remove(runDir)
}
