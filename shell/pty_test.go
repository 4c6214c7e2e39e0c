package shell

import (
	"bytes"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/creack/pty"
)

// buildNixcsh builds cmd/nixcsh once per test binary.
var buildNixcsh = sync.OnceValues(func() (string, error) {
	dir, err := os.MkdirTemp("", "nixcsh-shell-test-")
	if err != nil {
		return "", err
	}
	bin := filepath.Join(dir, "nixcsh")
	cmd := exec.Command("go", "build", "-o", bin, "./cmd/nixcsh")
	cmd.Dir = ".."
	if out, err := cmd.CombinedOutput(); err != nil {
		return "", &buildError{string(out)}
	}
	return bin, nil
})

type buildError struct{ out string }

func (e *buildError) Error() string { return "go build ./cmd/nixcsh: " + e.out }

func nixcshBinary(tb testing.TB) string {
	tb.Helper()
	bin, err := buildNixcsh()
	if err != nil {
		tb.Fatal(err)
	}
	return bin
}

// terminal is nixcsh running on a pseudo-terminal, with everything it wrote.
type terminal struct {
	tb      testing.TB
	cmd     *exec.Cmd
	pty     *os.File
	mu      sync.Mutex
	out     bytes.Buffer
	seen    int           // output before this offset was matched already
	changed chan struct{} // closed and replaced whenever output arrives
	exited  chan struct{}
	err     error
}

func startTerminal(tb testing.TB, bin string, env []string, args ...string) *terminal {
	tb.Helper()
	cmd := exec.Command(bin, args...)
	cmd.Env = env
	f, err := pty.StartWithSize(cmd, &pty.Winsize{Rows: 40, Cols: 200})
	if err != nil {
		tb.Fatal(err)
	}
	t := &terminal{tb: tb, cmd: cmd, pty: f, changed: make(chan struct{}), exited: make(chan struct{})}
	go func() {
		buf := make([]byte, 4096)
		for {
			n, err := f.Read(buf)
			t.mu.Lock()
			t.out.Write(buf[:n])
			close(t.changed)
			t.changed = make(chan struct{})
			t.mu.Unlock()
			if err != nil {
				return
			}
		}
	}()
	go func() {
		t.err = cmd.Wait()
		close(t.exited)
	}()
	tb.Cleanup(func() {
		select {
		case <-t.exited:
		default:
			cmd.Process.Kill()
			<-t.exited
		}
		f.Close()
	})
	return t
}

// expect waits until marker appears in the output after the last match,
// and returns the output up to it.
func (t *terminal) expect(marker string) string {
	t.tb.Helper()
	got, _ := t.expectAny(marker)
	return got
}

// expectAny waits for the first of the markers to appear and says which.
func (t *terminal) expectAny(markers ...string) (string, string) {
	t.tb.Helper()
	deadline := time.After(10 * time.Second)
	for {
		t.mu.Lock()
		all := t.out.String()
		ch := t.changed
		t.mu.Unlock()
		best, which := -1, ""
		for _, m := range markers {
			if i := strings.Index(all[t.seen:], m); i >= 0 && (best < 0 || i < best) {
				best, which = i, m
			}
		}
		if best >= 0 {
			got := all[t.seen : t.seen+best+len(which)]
			t.seen += best + len(which)
			return got, which
		}
		select {
		case <-ch:
		case <-deadline:
			t.tb.Fatalf("none of %q on the terminal within 10s; it shows:\n%q", markers, all[t.seen:])
		}
	}
}

func (t *terminal) send(s string) {
	t.tb.Helper()
	if _, err := io.WriteString(t.pty, s); err != nil {
		t.tb.Fatal(err)
	}
}

// wait waits for the process to exit and returns its status.
func (t *terminal) wait() int {
	t.tb.Helper()
	select {
	case <-t.exited:
	case <-time.After(10 * time.Second):
		t.tb.Fatal("nixcsh did not exit")
	}
	if t.cmd.ProcessState == nil {
		t.tb.Fatalf("nixcsh: %v", t.err)
	}
	return t.cmd.ProcessState.ExitCode()
}

func shellEnv(root, state string) []string {
	return []string{"PATH=" + os.Getenv("PATH"), "HOME=" + state, "TERM=xterm", "NIXCSH_ROOT=" + root, "XDG_STATE_HOME=" + state}
}

// The real shell on a terminal: prompt with the root, TAB completion, a
// verb's table output, errors in red with the status in the prompt, Ctrl-C
// clearing the line, Ctrl-R searching the history, Ctrl-D leaving with 0.
func TestInteractiveOnPTY(t *testing.T) {
	bin := nixcshBinary(t)
	root, state := t.TempDir(), t.TempDir()
	term := startTerminal(t, bin, shellEnv(root, state))
	prompt := "nixcsh[" + root + "]> "
	term.expect(prompt)

	// TAB completes the verb; the completed line runs.
	term.send("creat\t")
	term.expect("create ")
	term.send("foo\r")
	term.expect("host IP is 10.233.1.1, container IP is 10.233.1.2")
	term.expect(prompt)

	// list prints a table on a terminal.
	term.send("li\t\r")
	table := infoTable{{Name: "foo", Status: "down", LocalAddress: "10.233.1.2"}}.Text()
	term.expect(strings.ReplaceAll(table, "\n", "\r\n"))

	// Container names complete.
	term.send("show-ip f\t\r")
	term.expect("10.233.1.2")
	term.expect(prompt)

	// An error prints in red, once; the prompt shows the status.
	term.send("show-ip nope\r")
	term.expect("\033[31mcontainer 'nope' does not exist\033[0m")
	failed := "nixcsh[" + root + "] \033[31m[1]\033[0m> "
	term.expect(failed)

	// Ctrl-C at the prompt drops the line: what follows runs alone.
	term.send("destroy fo")
	term.expect("destroy fo")
	term.send("\x03")
	term.expect("^C")
	term.expect(failed)
	term.send("status foo\r")
	term.expect("down")
	term.expect(prompt)
	if _, err := os.Stat(filepath.Join(root, "etc/containers/foo.conf")); err != nil {
		t.Fatalf("the cleared line ran: %v", err)
	}

	// Ctrl-R finds an earlier line.
	term.send("\x12show-ip f")
	term.expect("show-ip f")
	term.send("\r")
	term.expect("10.233.1.2")
	term.expect(prompt)

	// Ctrl-C cancels a running command and comes back to the prompt.
	term.send("lua print('sleep' .. 'ing'); nixcsh.sleep(600)\r")
	if _, which := term.expectAny("sleeping", "Lua is not available in this build"); which == "sleeping" {
		term.send("\x03")
		term.expect("interrupted")
		term.expect("nixcsh[" + root + "] \033[31m[130]\033[0m> ")
	} else {
		t.Log("this build has no Lua: Ctrl-C of a running command is tested in TestInterruptCancelsTheRunningCommand only")
	}

	// Ctrl-D leaves with status 0, even after a failure.
	term.send("show-ip nope\r")
	term.expect(failed)
	term.send("\x04")
	if code := term.wait(); code != 0 {
		t.Fatalf("Ctrl-D: exit status %d, want 0", code)
	}

	// The history file holds each line once.
	data, err := os.ReadFile(filepath.Join(state, "nixcsh", "history"))
	if err != nil {
		t.Fatal(err)
	}
	hist := LoadHistory(filepath.Join(state, "nixcsh", "history")).Entries()
	joined := strings.Join(hist, "\n")
	for _, l := range []string{"create foo", "status foo", "show-ip nope"} {
		if strings.Count(joined, l) != 1 {
			t.Errorf("history %q should hold %q once (file %q)", hist, l, data)
		}
	}
	if strings.Contains(joined, "destroy") {
		t.Errorf("history holds the line cleared with Ctrl-C: %q", hist)
	}

	// A new shell recalls the last line with Up.
	term = startTerminal(t, bin, shellEnv(root, state))
	term.expect(prompt)
	term.send("\x1b[A\r")
	term.expect("container 'nope' does not exist")
	term.send("exit 3\r")
	if code := term.wait(); code != 3 {
		t.Fatalf("exit 3: status %d", code)
	}
}

// BenchmarkShellStartup is the time from exec to the prompt on a terminal.
func BenchmarkShellStartup(b *testing.B) {
	bin := nixcshBinary(b)
	root, state := b.TempDir(), b.TempDir()
	// A realistic history to load.
	h := LoadHistory(filepath.Join(state, "nixcsh", "history"))
	for i := 0; i < historyLimit; i++ {
		h.Add("status container-" + strings.Repeat("x", i%7) + string(rune('a'+i%26)) + time.Duration(i).String())
	}
	env := shellEnv(root, state)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		term := startTerminal(b, bin, env)
		term.expect("]> ")
		b.StopTimer()
		term.send("\x04")
		term.wait()
		term.pty.Close()
		b.StartTimer()
	}
}
