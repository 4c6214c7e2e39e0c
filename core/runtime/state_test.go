package runtime

import (
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/nixcsh/nixcsh/core/runtime/procfs"
)

func writeRawState(t *testing.T, dir string, f stateFile) {
	t.Helper()
	b, _ := json.Marshal(f)
	if err := os.WriteFile(filepath.Join(dir, stateFileName), b, 0o644); err != nil {
		t.Fatal(err)
	}
}

func TestReadStateStale(t *testing.T) {
	// A pid that is certainly gone: a child we started and reaped.
	cmd := exec.Command("/bin/true")
	if err := cmd.Run(); err != nil {
		t.Fatal(err)
	}
	gone := cmd.Process.Pid
	self := os.Getpid()
	selfStart, err := procfs.StartTime(self)
	if err != nil {
		t.Fatal(err)
	}

	cases := []struct {
		name    string
		f       stateFile
		running bool
		removed bool
		ready   bool
	}{
		{"supervisor gone", stateFile{State: State{Supervisor: gone, Leader: self}, SupervisorStart: 1, LeaderStart: selfStart}, false, true, false},
		{"pid reused by another program", stateFile{State: State{Supervisor: self, Leader: self}, SupervisorStart: selfStart + 1, LeaderStart: selfStart}, false, true, false},
		{"leader gone, supervisor alive (rebooting)", stateFile{State: State{Supervisor: self, Leader: gone}, SupervisorStart: selfStart, LeaderStart: 1}, false, false, false},
		{"both alive", stateFile{State: State{Supervisor: self, Leader: self, Ready: true, Started: time.Now()}, SupervisorStart: selfStart, LeaderStart: selfStart}, true, false, true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			dir := filepath.Join(t.TempDir(), "run")
			os.Mkdir(dir, 0o755)
			writeRawState(t, dir, c.f)
			st, running, err := ReadState(dir)
			if err != nil {
				t.Fatal(err)
			}
			if running != c.running || st.Ready != c.ready {
				t.Errorf("running %v ready %v, want %v %v", running, st.Ready, c.running, c.ready)
			}
			_, statErr := os.Stat(filepath.Join(dir, stateFileName))
			if removed := errors.Is(statErr, os.ErrNotExist); removed != c.removed {
				t.Errorf("state file removed = %v, want %v", removed, c.removed)
			}
		})
	}

	// No state at all, and a torn file, are "not running" without error.
	dir := t.TempDir()
	if _, running, err := ReadState(dir); running || err != nil {
		t.Errorf("empty dir: %v %v", running, err)
	}
	os.WriteFile(filepath.Join(dir, stateFileName), []byte("{torn"), 0o644)
	if _, running, err := ReadState(dir); running || err != nil {
		t.Errorf("torn file: %v %v", running, err)
	}
}

func TestWriteStateRoundTrip(t *testing.T) {
	dir := t.TempDir()
	st := State{Leader: os.Getpid(), Supervisor: os.Getpid(), Started: time.Now().Round(0), Machine: "m", Ready: true, Cgroups: []string{"/x"}}
	if err := writeState(dir, st); err != nil {
		t.Fatal(err)
	}
	got, running, err := ReadState(dir)
	if err != nil || !running || got.Machine != "m" || !got.Started.Equal(st.Started) || got.Cgroups[0] != "/x" {
		t.Errorf("got %+v %v %v", got, running, err)
	}
}
