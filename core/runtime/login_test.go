package runtime_test

import (
	"bytes"
	"context"
	"io"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/creack/pty"
	"golang.org/x/sys/unix"

	"github.com/nixcsh/nixcsh/core/runtime"
	"github.com/nixcsh/nixcsh/core/runtime/runtimetest"
)

func TestRootLoginPipedStdin(t *testing.T) {
	spec := newSpec(t)
	r := boot(t, spec)
	var out, errb bytes.Buffer
	code, err := runtime.RootLogin(context.Background(), r.leader,
		strings.NewReader("id -u\necho home=$HOME\nexit 3\n"), &out, &errb, false)
	if err != nil || code != 3 {
		t.Errorf("code %d err %v stderr %q", code, err, errb.String())
	}
	if out.String() != "0\nhome=/root\n" {
		t.Errorf("stdout %q", out.String())
	}
}

func TestExecWithTTY(t *testing.T) {
	spec := newSpec(t)
	r := boot(t, spec)
	var out bytes.Buffer
	code, err := runtime.Exec(context.Background(), r.leader, []string{"sh", "-c", "tty; test -t 0 && exit 5"}, nil, &out, nil, true)
	if err != nil || code != 5 {
		t.Errorf("code %d err %v out %q", code, err, out.String())
	}
	// The terminal is the container's own: its name resolves inside.
	if !strings.HasPrefix(out.String(), "/dev/pts/") {
		t.Errorf("tty inside = %q", out.String())
	}
}

func TestExecCancelKillsInside(t *testing.T) {
	spec := newSpec(t)
	r := boot(t, spec)
	ctx, cancel := context.WithCancel(context.Background())
	outR, outW, _ := os.Pipe()
	defer outR.Close()
	res := make(chan error, 1)
	go func() {
		_, err := runtime.Exec(ctx, r.leader, []string{"sh", "-c", "echo started; sleep 1000; echo not-killed"}, nil, outW, nil, false)
		outW.Close()
		res <- err
	}()
	line := make([]byte, 8)
	if _, err := io.ReadFull(outR, line); err != nil || string(line) != "started\n" {
		t.Fatalf("read %q %v", line, err)
	}
	cancel()
	select {
	case <-res:
	case <-time.After(bootDeadline):
		t.Fatal("Exec did not return after cancel")
	}
	// Nothing of it is left in the container.
	var ps bytes.Buffer
	runtime.Exec(context.Background(), r.leader, []string{"sh", "-c", "cat /proc/[0-9]*/cmdline | tr '\\0' ' '"}, nil, &ps, nil, false)
	if strings.Contains(ps.String(), "sleep 1000") {
		t.Errorf("sleep survived the cancel: %s", ps.String())
	}
	// And nothing of it holds up the container's poweroff.
	if err := r.stop(t); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(readLog(spec), "did not power off") {
		t.Errorf("stop needed SIGKILL; processes before stop: %s\nlog:\n%s", ps.String(), readLog(spec))
	}
}

// screen is what a terminal showed, read by a goroutine (a pty master
// from creack/pty is blocking and takes no read deadline).
type screen struct {
	seen   bytes.Buffer
	pos    int
	chunks chan []byte
}

func newScreen(term *os.File) *screen {
	s := &screen{chunks: make(chan []byte, 64)}
	go func() {
		defer close(s.chunks)
		for {
			buf := make([]byte, 1024)
			n, err := term.Read(buf)
			if n > 0 {
				s.chunks <- buf[:n]
			}
			if err != nil {
				return
			}
		}
	}()
	return s
}

// expect waits until want appears after what earlier expects consumed.
func (s *screen) expect(t *testing.T, want string) {
	t.Helper()
	deadline := time.After(30 * time.Second)
	for {
		if i := strings.Index(s.seen.String()[s.pos:], want); i >= 0 {
			s.pos += i + len(want)
			return
		}
		select {
		case b, ok := <-s.chunks:
			if !ok {
				t.Fatalf("terminal closed waiting for %q; it showed:\n%s", want, s.seen.String())
			}
			s.seen.Write(b)
		case <-deadline:
			t.Fatalf("no %q on the terminal; it showed:\n%s", want, s.seen.String())
		}
	}
}

func TestLoginPrompt(t *testing.T) {
	spec := newSpec(t)
	r := boot(t, spec)
	// A terminal on the host, as a user's: Login must put it in raw mode
	// and restore it.
	ptmx, tty, err := pty.Open()
	if err != nil {
		t.Fatal(err)
	}
	defer ptmx.Close()
	defer tty.Close()
	before, _ := unix.IoctlGetTermios(int(tty.Fd()), unix.TCGETS)

	res := make(chan int, 1)
	go func() {
		code, err := runtime.Login(context.Background(), r.leader, tty, tty, tty)
		if err != nil {
			t.Errorf("Login: %v", err)
		}
		res <- code
	}()
	seen := newScreen(ptmx)
	seen.expect(t, "login: ")
	ptmx.Write([]byte("root\r"))
	seen.expect(t, "Password: ")
	ptmx.Write([]byte("wrong\r"))
	seen.expect(t, "Login incorrect")
	seen.expect(t, "login: ")
	ptmx.Write([]byte("root\r"))
	seen.expect(t, "Password: ")
	ptmx.Write([]byte(runtimetest.RootPassword + "\r"))
	seen.expect(t, "# ") // root's shell prompt: login flushes what was typed before it
	ptmx.Write([]byte("echo in-$((6*7)) $(id -u)\r"))
	seen.expect(t, "in-42 0")
	ptmx.Write([]byte("exit 4\r"))
	select {
	case code := <-res:
		// login (util-linux) exits 0 whatever its shell exited with.
		if code != 0 {
			t.Errorf("login exit code %d", code)
		}
	case <-time.After(bootDeadline):
		t.Fatalf("Login did not return; terminal:\n%s", seen.seen.String())
	}
	after, _ := unix.IoctlGetTermios(int(tty.Fd()), unix.TCGETS)
	if before.Lflag != after.Lflag || before.Iflag != after.Iflag || before.Oflag != after.Oflag {
		t.Errorf("terminal not restored: %+v -> %+v", before, after)
	}
}

// Without a PAM stack for su in the container, run falls back to a login
// shell with a clean environment.
func TestExecWithoutSu(t *testing.T) {
	spec := newSpec(t)
	os.Remove(spec.Root + "/etc/pam.d/su-l")
	r := boot(t, spec)
	var out, errb bytes.Buffer
	code, err := runtime.Exec(context.Background(), r.leader, []string{"sh", "-c", "echo $(id -u) $HOME $USER; exit 9"}, nil, &out, &errb, false)
	if err != nil || code != 9 || out.String() != "0 /root root\n" {
		t.Errorf("code %d err %v out %q err %q", code, err, out.String(), errb.String())
	}
	out.Reset()
	code, err = runtime.RootLogin(context.Background(), r.leader, strings.NewReader("echo $HOME\n"), &out, &errb, false)
	if err != nil || code != 0 || out.String() != "/root\n" {
		t.Errorf("root-login without su: code %d err %v out %q", code, err, out.String())
	}
}

func TestRootLoginOnTerminal(t *testing.T) {
	spec := newSpec(t)
	r := boot(t, spec)
	ptmx, tty, err := pty.Open()
	if err != nil {
		t.Fatal(err)
	}
	defer ptmx.Close()
	defer tty.Close()
	res := make(chan int, 1)
	go func() {
		code, err := runtime.RootLogin(context.Background(), r.leader, tty, tty, tty, true)
		if err != nil {
			t.Errorf("RootLogin: %v", err)
		}
		res <- code
	}()
	seen := newScreen(ptmx)
	seen.expect(t, "# ")
	ptmx.Write([]byte("echo ok-$((1+1)) $(tty)\r"))
	seen.expect(t, "ok-2 /dev/pts/")
	ptmx.Write([]byte("exit 5\r"))
	seen.expect(t, "exit 5")
	select {
	case code := <-res:
		if code != 5 {
			t.Errorf("root-login exit code %d, want 5; terminal:\n%s", code, seen.seen.String())
		}
	case <-time.After(bootDeadline):
		t.Fatalf("RootLogin did not return; terminal:\n%s", seen.seen.String())
	}
}
