package runtime

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"syscall"
	"testing"

	"github.com/nixcsh/nixcsh/core/runtime/procfs"
)

// remove takes an empty set straight away and one with a process in it
// (here in a sub-cgroup, as nspawn's payload/ is) by killing it first.
func TestCgroupRemove(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root: makes cgroups")
	}
	for _, withProcess := range []bool{false, true} {
		cg, err := newCgroupSet("cgtest")
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { cg.remove(context.Background()) }) // if the test fails
		var cmd *exec.Cmd
		if withProcess {
			sub := filepath.Join(cg.dirs[0], "payload")
			if err := os.Mkdir(sub, 0o755); err != nil {
				t.Fatal(err)
			}
			cmd = exec.Command("sleep", "1000")
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			pid := cmd.Process.Pid
			t.Cleanup(func() { syscall.Kill(pid, syscall.SIGKILL) })
			if err := cg.add(pid); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(filepath.Join(sub, "cgroup.procs"), []byte(strconv.Itoa(pid)), 0); err != nil {
				t.Fatal(err)
			}
		}
		if err := cg.remove(context.Background()); err != nil {
			t.Fatalf("remove (process inside: %v): %v", withProcess, err)
		}
		for _, d := range cg.dirs {
			if _, err := os.Stat(d); err == nil {
				t.Errorf("cgroup %s still there (process inside: %v)", d, withProcess)
			}
		}
		if cmd != nil {
			// remove returns once the process has exited: it is gone now.
			ctx, cancel := context.WithTimeout(context.Background(), 0)
			if err := procfs.WaitGone(ctx, cmd.Process.Pid); err != nil {
				t.Errorf("process in the cgroup still runs after remove: %v", err)
				cmd.Process.Kill()
			}
			cancel()
			cmd.Wait()
			if ws, ok := cmd.ProcessState.Sys().(syscall.WaitStatus); !ok || ws.Signal() != syscall.SIGKILL {
				t.Errorf("process in the cgroup ended with %v, want killed", cmd.ProcessState)
			}
		}
	}
}
