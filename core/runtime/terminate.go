package runtime

import (
	"context"
	"os"
	"path/filepath"
	"syscall"

	"github.com/nixcsh/nixcsh/core/fault"
	"github.com/nixcsh/nixcsh/core/runtime/procfs"
)

// Terminate kills the container whose state is in runDir at once (the
// `terminate` verb): SIGKILL to its init and everything in its cgroups, then
// it waits until the leader is gone. Its supervisor sees the marker file and
// treats the exit as a stop (no error, no reboot), cleaning up as usual.
// A container that is not running is not an error.
func Terminate(ctx context.Context, runDir string) error {
	st, _, err := ReadState(runDir)
	if err != nil {
		return err
	}
	if st.Supervisor == 0 {
		return nil
	}
	if err := os.WriteFile(filepath.Join(runDir, terminateFileName), nil, 0o644); err != nil {
		return fault.Errorf(fault.Failed, "cannot terminate container %s: %w", st.Machine, err)
	}
	if st.Leader > 0 {
		syscall.Kill(st.Leader, syscall.SIGKILL)
	}
	cg := &cgroupSet{dirs: st.Cgroups}
	for _, p := range cg.pids() {
		syscall.Kill(p, syscall.SIGKILL)
	}
	if st.Leader > 0 {
		if err := procfs.WaitGone(ctx, st.Leader); err != nil {
			return fault.Errorf(fault.Failed, "container %s: its init (pid %d) did not die: %w", st.Machine, st.Leader, err)
		}
	}
	return nil
}
