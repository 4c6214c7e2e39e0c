package runtime

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"strconv"
	"time"

	"golang.org/x/sys/unix"
)

// procStartTime is field 22 of /proc/PID/stat: the process's start time in
// clock ticks since boot. Together with the pid it names one process for the
// life of the machine, so a pid that was reused by another program is told
// apart from the one a state file recorded.
func procStartTime(pid int) (uint64, error) {
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

// sameProcess reports whether pid is still the process that had start time st.
func sameProcess(pid int, st uint64) bool {
	got, err := procStartTime(pid)
	return err == nil && got == st
}

// waitPidGone waits until pid has exited (a zombie counts as exited), using
// a pidfd so that it works for processes that are not our children.
func waitPidGone(ctx context.Context, pid int) error {
	fd, err := unix.PidfdOpen(pid, 0)
	if errors.Is(err, unix.ESRCH) {
		return nil
	}
	if err != nil {
		return err
	}
	defer unix.Close(fd)
	for {
		// Poll in short slices so that ctx is honoured; the pidfd turns
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

// waitPidGoneTimeout is waitPidGone bounded by d.
func waitPidGoneTimeout(ctx context.Context, pid int, d time.Duration) error {
	ctx, cancel := context.WithTimeout(ctx, d)
	defer cancel()
	return waitPidGone(ctx, pid)
}
