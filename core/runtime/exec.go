package runtime

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"os/signal"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/creack/pty"
	"golang.org/x/sys/unix"

	"github.com/nixcsh/nixcsh/core/fault"
)

// NsenterPath is util-linux's nsenter.
const NsenterPath = "/usr/bin/nsenter"

// containerPath is PATH inside the container (its /usr is the host's).
const containerPath = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

// Exec runs argv in a root login shell inside the container whose init is
// leader: `su root -l -c '<argv shell-quoted>'` when the container's /etc
// has a PAM stack for su, else a login shell started with a clean
// environment. stdout, stderr and the exit code are the command's (a command
// killed by signal N exits 128+N, as in a shell). With tty the command gets
// a terminal of the container's own (see withPTY); otherwise plain pipes.
// Cancelling ctx kills the command and everything it started inside.
func Exec(ctx context.Context, leader int, argv []string, stdin io.Reader, stdout, stderr io.Writer, tty bool) (int, error) {
	if len(argv) == 0 {
		return 0, fault.Errorf(fault.Invalid, "run: no command given")
	}
	cmd := shellQuote(argv)
	var inner []string
	if hasSu(leader) {
		inner = []string{"/usr/bin/su", "root", "-l", "-c", cmd}
	} else {
		inner = append(cleanLoginEnv(tty), "/bin/sh", "-l", "-c", cmd)
	}
	return enter(ctx, leader, inner, stdin, stdout, stderr, tty)
}

// RootLogin is a root login shell inside the container, no authentication
// (`su -l`, root's PAM stack lets root in via pam_rootok). It works with
// piped stdin (the shell reads commands from it) as well as on a terminal.
func RootLogin(ctx context.Context, leader int, stdin io.Reader, stdout, stderr io.Writer, tty bool) (int, error) {
	var inner []string
	if hasSu(leader) {
		inner = []string{"/usr/bin/su", "-l"}
	} else {
		inner = append(cleanLoginEnv(tty), "/bin/sh", "-l")
	}
	return enter(ctx, leader, inner, stdin, stdout, stderr, tty)
}

// Login is the container's `login` prompt (user and password checked
// against the container's /etc/shadow by its PAM stack for login), always
// on a terminal.
func Login(ctx context.Context, leader int, stdin io.Reader, stdout, stderr io.Writer) (int, error) {
	return enter(ctx, leader, []string{"/usr/bin/login"}, stdin, stdout, stderr, true)
}

// hasSu reports whether su can run in the container: its binary (from the
// host's /usr) and a PAM stack for it in the container's /etc (util-linux
// `su -l` authenticates with the service su-l).
func hasSu(leader int) bool {
	root := fmt.Sprintf("/proc/%d/root", leader)
	_, e1 := os.Stat(root + "/usr/bin/su")
	_, e2 := os.Stat(root + "/etc/pam.d/su-l")
	return e1 == nil && e2 == nil
}

// cleanLoginEnv is the `env -i` prefix for a login shell without su.
func cleanLoginEnv(tty bool) []string {
	env := []string{"/usr/bin/env", "-i", "HOME=/root", "USER=root", "LOGNAME=root", "SHELL=/bin/sh", "PATH=" + containerPath}
	if tty {
		env = append(env, "TERM="+termName())
	}
	return env
}

func termName() string {
	if t := os.Getenv("TERM"); t != "" {
		return t
	}
	return "xterm"
}

// enter runs inner in the leader's mount, uts, ipc, net and pid namespaces.
func enter(ctx context.Context, leader int, inner []string, stdin io.Reader, stdout, stderr io.Writer, tty bool) (int, error) {
	if leader <= 0 {
		return 0, fault.Errorf(fault.Failed, "the container is not running")
	}
	if tty {
		// The terminal's session must live inside the container's pid
		// namespace: a shell restores the terminal's foreground process
		// group on exit, and a group of the host's namespace is invisible
		// there ("Cannot set tty process group"). setsid -c makes the
		// session and takes the terminal inside; -w passes the exit code.
		inner = append([]string{"/usr/bin/setsid", "-w", "-c"}, inner...)
	}
	args := []string{"-t", strconv.Itoa(leader), "-m", "-u", "-i", "-n", "-p"}
	if ownUserNS(leader) {
		// PRIVATE_USERS: root inside is an unprivileged uid outside; enter
		// the user namespace too, or files the command writes would belong
		// to the host's root (nobody, inside).
		args = append(args, "-U")
	}
	args = append(append(args, "--"), inner...)
	cmd := exec.Command(NsenterPath, args...)
	cmd.Env = []string{"PATH=" + containerPath}
	if tty {
		cmd.Env = append(cmd.Env, "TERM="+termName())
	}
	// Its own process group, so that a Ctrl-C meant for nixcsh's terminal
	// does not also hit the command's host-side nsenter.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if tty {
		return withPTY(ctx, cmd, leader, stdin, stdout)
	}
	if stdin == nil {
		stdin = eofReader{}
	}
	cmd.Stdin, cmd.Stdout, cmd.Stderr = stdin, stdout, stderr
	// A stdin that never ends (not an *os.File) must not hold Wait forever.
	cmd.WaitDelay = time.Second
	if err := startInContainerCgroups(cmd, leader); err != nil {
		return 0, fault.Errorf(fault.Failed, "cannot enter the container: %w", err)
	}
	return waitInside(ctx, cmd)
}

// ownUserNS reports whether the leader lives in a user namespace other
// than ours (nspawn --private-users).
func ownUserNS(leader int) bool {
	var theirs, ours unix.Stat_t
	if unix.Stat(fmt.Sprintf("/proc/%d/ns/user", leader), &theirs) != nil || unix.Stat("/proc/self/ns/user", &ours) != nil {
		return false
	}
	return theirs.Ino != ours.Ino || theirs.Dev != ours.Dev
}

type eofReader struct{}

func (eofReader) Read([]byte) (int, error) { return 0, io.EOF }

// waitInside waits for nsenter; a cancelled ctx kills everything nsenter
// started inside the container (see killInside), after which nsenter reaps
// its child and exits by itself.
func waitInside(ctx context.Context, cmd *exec.Cmd) (int, error) {
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	select {
	case err := <-exited:
		return exitCode(cmd, err), nil
	case <-ctx.Done():
	}
	killInside(cmd.Process.Pid)
	// nsenter waits for its child with WUNTRACED and stops itself when the
	// child stops: freezing su stopped nsenter too. Wake it (repeatedly: it
	// may stop itself after a first SIGCONT) so that it reaps su and exits.
	wake := time.NewTicker(20 * time.Millisecond)
	defer wake.Stop()
	giveUp := time.After(5 * time.Second)
	for {
		syscall.Kill(cmd.Process.Pid, syscall.SIGCONT)
		select {
		case err := <-exited:
			return exitCode(cmd, err), ctx.Err()
		case <-wake.C:
		case <-giveUp:
			cmd.Process.Kill() // last resort: nsenter itself hangs
			err := <-exited
			return exitCode(cmd, err), ctx.Err()
		}
	}
}

func exitCode(cmd *exec.Cmd, err error) int {
	ps := cmd.ProcessState
	if ps == nil {
		return 1
	}
	if ws, ok := ps.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
		return 128 + int(ws.Signal())
	}
	return ps.ExitCode()
}

// killInside kills every descendant of nsenter (su and the shell inside
// the container, and whatever they started), but not nsenter itself: its
// child lives in the container's pid namespace while nsenter lives in the
// host's, and a child whose nsenter died is reparented to the host's init,
// which may never reap it (a zombie the container's shutdown then waits
// for). su runs the shell in a session of its own, so a process group kill
// would miss it. The tree is frozen first (SIGSTOP, repeated until no new
// process appears) so that nothing forks a survivor during the kill.
func killInside(nsenter int) {
	stopped := map[int]bool{}
	for fresh := true; fresh; {
		fresh = false
		for _, p := range descendants(nsenter)[1:] {
			if !stopped[p] {
				syscall.Kill(p, syscall.SIGSTOP)
				stopped[p] = true
				fresh = true
			}
		}
	}
	for p := range stopped {
		syscall.Kill(p, syscall.SIGKILL)
	}
}

func descendants(pid int) []int {
	out := []int{pid}
	for i := 0; i < len(out); i++ {
		tasks, _ := os.ReadDir(fmt.Sprintf("/proc/%d/task", out[i]))
		for _, t := range tasks {
			b, _ := os.ReadFile(fmt.Sprintf("/proc/%d/task/%s/children", out[i], t.Name()))
			for _, f := range strings.Fields(string(b)) {
				if n, err := strconv.Atoi(f); err == nil {
					out = append(out, n)
				}
			}
		}
	}
	return out
}

// withPTY runs cmd on a pseudo-terminal allocated in the container's own
// devpts (its /dev/pts/ptmx reached through /proc/LEADER/root): login and
// su resolve their tty by name inside the container, and a pty of the
// host's devpts has no name there. The terminal on stdin (if any) is put
// in raw mode and restored; its size follows SIGWINCH (creack/pty).
func withPTY(ctx context.Context, cmd *exec.Cmd, leader int, stdin io.Reader, stdout io.Writer) (int, error) {
	master, slave, err := openContainerPTY(leader)
	if err != nil {
		return 0, fault.Errorf(fault.Failed, "cannot open a terminal in the container: %w", err)
	}
	defer master.Close()
	cmd.Stdin, cmd.Stdout, cmd.Stderr = slave, slave, slave
	// nsenter leaves our session (a Ctrl-C on our terminal is not its
	// business) without taking the pty: setsid -c inside does (see enter).
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true}

	term, _ := stdin.(*os.File)
	if term != nil && !isTerminal(term) {
		term = nil
	}
	if term != nil {
		pty.InheritSize(term, master)
		restore, err := makeRaw(term)
		if err == nil {
			defer restore()
		}
		winch := make(chan os.Signal, 1)
		signal.Notify(winch, syscall.SIGWINCH)
		go func() {
			for range winch {
				pty.InheritSize(term, master)
			}
		}()
		defer func() {
			signal.Stop(winch) // no more sends, then end the resizer
			close(winch)
		}()
	} else {
		pty.Setsize(master, &pty.Winsize{Rows: 24, Cols: 80})
	}

	if err := startInContainerCgroups(cmd, leader); err != nil {
		slave.Close()
		return 0, fault.Errorf(fault.Failed, "cannot enter the container: %w", err)
	}
	slave.Close()

	stopInput := make(chan struct{})
	var inputDone sync.WaitGroup
	if stdin != nil {
		inputDone.Add(1)
		go func() {
			defer inputDone.Done()
			copyInput(master, stdin, stopInput)
		}()
	}
	outputDone := make(chan struct{})
	go func() {
		// Ends with EIO once the last process holding the terminal is gone.
		io.Copy(stdout, master)
		close(outputDone)
	}()
	code, err := waitInside(ctx, cmd)
	// A background process inside may still hold the terminal: what the
	// command wrote is already buffered, so the copy need not wait for it.
	master.SetReadDeadline(time.Now().Add(200 * time.Millisecond))
	<-outputDone
	close(stopInput)
	if _, isFile := stdin.(*os.File); isFile {
		inputDone.Wait() // never leave a reader on the user's terminal behind
	}
	return code, err
}

// openContainerPTY opens a pty pair in the devpts instance of the
// container's mount namespace. TIOCGPTPEER opens the peer without a path.
func openContainerPTY(leader int) (master, slave *os.File, err error) {
	fd, err := unix.Open(fmt.Sprintf("/proc/%d/root/dev/pts/ptmx", leader), unix.O_RDWR|unix.O_NOCTTY|unix.O_CLOEXEC, 0)
	if err != nil {
		return nil, nil, err
	}
	if err := unix.IoctlSetPointerInt(fd, unix.TIOCSPTLCK, 0); err != nil {
		unix.Close(fd)
		return nil, nil, err
	}
	sfd, _, errno := unix.Syscall(unix.SYS_IOCTL, uintptr(fd), unix.TIOCGPTPEER, uintptr(unix.O_RDWR|unix.O_NOCTTY|unix.O_CLOEXEC))
	if errno != 0 {
		unix.Close(fd)
		return nil, nil, errno
	}
	// A pts belongs to whoever opened ptmx: here the host's root, who is
	// nobody in a container with private users, where login could then not
	// take the terminal over ("Unable to change owner or mode of tty").
	// Give it to the container's root and tty group (gid 5), as a pty
	// opened inside would be.
	if ownUserNS(leader) {
		uid, uerr := hostID(leader, "uid_map", 0)
		gid, gerr := hostID(leader, "gid_map", 5)
		if uerr == nil && gerr == nil {
			if err := unix.Fchown(int(sfd), uid, gid); err != nil {
				unix.Close(fd)
				unix.Close(int(sfd))
				return nil, nil, err
			}
		}
	}
	// Non-blocking, so that the runtime poller serves it and a read can be
	// given a deadline.
	if err := unix.SetNonblock(fd, true); err != nil {
		unix.Close(fd)
		unix.Close(int(sfd))
		return nil, nil, err
	}
	return os.NewFile(uintptr(fd), "ptmx"), os.NewFile(sfd, "pts"), nil
}

// hostID maps id of the user namespace of process pid to the host's, by
// its uid_map or gid_map ("inside outside count" lines).
func hostID(pid int, mapFile string, id int) (int, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/%s", pid, mapFile))
	if err != nil {
		return 0, err
	}
	for _, line := range strings.Split(string(b), "\n") {
		var in, out, n int
		if _, err := fmt.Sscan(line, &in, &out, &n); err == nil && id >= in && id < in+n {
			return out + id - in, nil
		}
	}
	return 0, fmt.Errorf("id %d is not mapped in %s of process %d", id, mapFile, pid)
}

// copyInput copies stdin to the terminal until stdin ends or stop closes.
// A terminal on an *os.File is read only after poll says it is readable,
// so that no read is left blocked on the user's terminal afterwards.
func copyInput(dst io.Writer, src io.Reader, stop <-chan struct{}) {
	f, ok := src.(*os.File)
	if !ok {
		go func() { io.Copy(dst, src) }()
		<-stop
		return
	}
	wakeR, wakeW, err := os.Pipe()
	if err != nil {
		return
	}
	defer wakeR.Close()
	go func() { <-stop; wakeW.Close() }()
	buf := make([]byte, 4096)
	fds := []unix.PollFd{{Fd: int32(f.Fd()), Events: unix.POLLIN}, {Fd: int32(wakeR.Fd()), Events: unix.POLLIN}}
	for {
		fds[0].Revents, fds[1].Revents = 0, 0
		if _, err := unix.Poll(fds, -1); err != nil {
			if errors.Is(err, unix.EINTR) {
				continue
			}
			return
		}
		if fds[1].Revents != 0 {
			return
		}
		if fds[0].Revents&(unix.POLLIN|unix.POLLHUP|unix.POLLERR) == 0 {
			continue
		}
		n, err := unix.Read(int(f.Fd()), buf)
		if n > 0 {
			if _, werr := dst.Write(buf[:n]); werr != nil {
				return
			}
		}
		if n == 0 || (err != nil && !errors.Is(err, unix.EINTR) && !errors.Is(err, unix.EAGAIN)) {
			<-stop // EOF on stdin: keep the session until the command ends
			return
		}
	}
}

func isTerminal(f *os.File) bool {
	_, err := unix.IoctlGetTermios(int(f.Fd()), unix.TCGETS)
	return err == nil
}

// makeRaw puts the terminal in raw mode (cfmakeraw) and returns the undo.
func makeRaw(f *os.File) (func(), error) {
	fd := int(f.Fd())
	old, err := unix.IoctlGetTermios(fd, unix.TCGETS)
	if err != nil {
		return nil, err
	}
	raw := *old
	raw.Iflag &^= unix.IGNBRK | unix.BRKINT | unix.PARMRK | unix.ISTRIP | unix.INLCR | unix.IGNCR | unix.ICRNL | unix.IXON
	raw.Oflag &^= unix.OPOST
	raw.Lflag &^= unix.ECHO | unix.ECHONL | unix.ICANON | unix.ISIG | unix.IEXTEN
	raw.Cflag &^= unix.CSIZE | unix.PARENB
	raw.Cflag |= unix.CS8
	raw.Cc[unix.VMIN] = 1
	raw.Cc[unix.VTIME] = 0
	if err := unix.IoctlSetTermios(fd, unix.TCSETS, &raw); err != nil {
		return nil, err
	}
	return func() { unix.IoctlSetTermios(fd, unix.TCSETS, old) }, nil
}

// shellQuote joins argv into one POSIX shell command line.
func shellQuote(argv []string) string {
	q := make([]string, len(argv))
	for i, a := range argv {
		if a != "" && strings.Trim(a, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_@%+=:,./-") == "" {
			q[i] = a
		} else {
			q[i] = "'" + strings.ReplaceAll(a, "'", `'\''`) + "'"
		}
	}
	return strings.Join(q, " ")
}
