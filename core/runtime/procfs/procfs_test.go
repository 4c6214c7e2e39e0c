package procfs

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"
)

func TestStartTimeAndWaitGone(t *testing.T) {
	self, err := StartTime(os.Getpid())
	if err != nil || self == 0 {
		t.Fatalf("StartTime(self) = %d, %v", self, err)
	}
	if !Same(os.Getpid(), self) || Same(os.Getpid(), self+1) {
		t.Error("Same does not tell processes apart by start time")
	}
	cmd := exec.Command("/bin/sh", "-c", "read x")
	stdin, _ := cmd.StdinPipe()
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	if err := WaitGone(ctx, cmd.Process.Pid); err == nil {
		t.Error("WaitGone returned while the process lives")
	}
	cancel()
	stdin.Close() // the shell exits; it stays a zombie until Wait
	if err := WaitGone(context.Background(), cmd.Process.Pid); err != nil {
		t.Fatal(err)
	}
	if _, err := StartTime(cmd.Process.Pid); err == nil {
		t.Error("a zombie has a start time")
	}
	cmd.Wait()
}

func TestLogTail(t *testing.T) {
	p := filepath.Join(t.TempDir(), "log")
	os.WriteFile(p, []byte("old 1\nold 2\n"), 0o644)
	off := Size(p)
	f, _ := os.OpenFile(p, os.O_APPEND|os.O_WRONLY, 0)
	f.WriteString("a\nb\nc\nd\n")
	f.Close()
	if got := LogTail(p, off, 3); got != "b\nc\nd" {
		t.Errorf("LogTail = %q", got)
	}
	if got := LogTail(p, 0, 10); got != "old 1\nold 2\na\nb\nc\nd" {
		t.Errorf("LogTail from 0 = %q", got)
	}
	if got := LogTail(filepath.Join(t.TempDir(), "none"), 0, 3); got != "" {
		t.Errorf("missing file: %q", got)
	}
}
