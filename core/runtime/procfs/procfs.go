// Package procfs identifies and waits for processes through /proc: the
// small set of facts that let one nixcsh process trust (or refuse) a pid
// another one wrote to a state file, and read a log's last lines.
package procfs

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"

	"golang.org/x/sys/unix"
)

// StartTime is field 22 of /proc/PID/stat: the process's start time in
// clock ticks since boot. Together with the pid it names one process for the
// life of the machine, so a pid reused by another program is told apart
// from the one a state file recorded. A process that has exited (a zombie)
// has no start time.
func StartTime(pid int) (uint64, error) {
	if pid <= 0 {
		return 0, fmt.Errorf("no pid")
	}
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0, err
	}
	// comm (field 2) may hold spaces and parentheses: fields resume after the last ')'.
	i := bytes.LastIndexByte(b, ')')
	if i < 0 {
		return 0, fmt.Errorf("malformed /proc/%d/stat", pid)
	}
	fields := bytes.Fields(b[i+1:])
	// fields[0] is field 3 (state); field 22 is fields[19].
	if len(fields) < 20 {
		return 0, fmt.Errorf("malformed /proc/%d/stat", pid)
	}
	if fields[0][0] == 'Z' || fields[0][0] == 'X' {
		return 0, fmt.Errorf("process %d has exited", pid)
	}
	return strconv.ParseUint(string(fields[19]), 10, 64)
}

// Same reports whether pid is still the live process that had start time st.
func Same(pid int, st uint64) bool {
	got, err := StartTime(pid)
	return err == nil && got == st
}

// WaitGone waits until pid has exited (a zombie counts as exited). It uses
// a pidfd, so it works for processes that are not our children.
func WaitGone(ctx context.Context, pid int) error {
	fd, err := unix.PidfdOpen(pid, 0)
	if errors.Is(err, unix.ESRCH) {
		return nil
	}
	if err != nil {
		return err
	}
	defer unix.Close(fd)
	for {
		// Short poll slices so that ctx is honoured; the pidfd turns
		// readable the moment the process exits.
		n, err := unix.Poll([]unix.PollFd{{Fd: int32(fd), Events: unix.POLLIN}}, 50)
		if err != nil && !errors.Is(err, unix.EINTR) {
			return err
		}
		if n > 0 {
			return nil
		}
		if err := ctx.Err(); err != nil {
			return err
		}
	}
}

// LogTail is the last n lines of the file at path written since offset
// (at most the last 64 KiB of them), for error messages.
func LogTail(path string, offset int64, n int) string {
	f, err := os.Open(path)
	if err != nil {
		return ""
	}
	defer f.Close()
	const maxRead = 64 << 10
	end, err := f.Seek(0, io.SeekEnd)
	if err != nil || end <= offset {
		return ""
	}
	if end-offset > maxRead {
		offset = end - maxRead
	}
	b := make([]byte, end-offset)
	if _, err := f.ReadAt(b, offset); err != nil && !errors.Is(err, io.EOF) {
		return ""
	}
	lines := strings.Split(strings.TrimRight(string(b), "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}

// Size is the current size of the file at path (0 if it does not exist):
// the offset from which LogTail shows what a run appended.
func Size(path string) int64 {
	fi, err := os.Stat(path)
	if err != nil {
		return 0
	}
	return fi.Size()
}
