package plugins

import (
	"bytes"
	"context"
	"errors"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/nixcsh/nixcsh/core"
)

// binaries builds each plugin program once per test binary, on first use,
// into a folder removed by TestMain.
var binaries = struct {
	sync.Mutex
	dir   string
	built map[string]string
	errs  map[string]error
}{built: map[string]string{}, errs: map[string]error{}}

func TestMain(m *testing.M) {
	code := m.Run()
	if binaries.dir != "" {
		os.RemoveAll(binaries.dir)
	}
	os.Exit(code)
}

// build compiles the main package at pkg (relative to this package) and
// returns the executable's path.
func build(t testing.TB, pkg string) string {
	t.Helper()
	binaries.Lock()
	defer binaries.Unlock()
	if p, ok := binaries.built[pkg]; ok {
		return p
	}
	if err := binaries.errs[pkg]; err != nil {
		t.Fatal(err)
	}
	if binaries.dir == "" {
		d, err := os.MkdirTemp("", "nixcsh-plugins-test-")
		if err != nil {
			t.Fatal(err)
		}
		binaries.dir = d
	}
	out := filepath.Join(binaries.dir, filepath.Base(pkg))
	cmd := exec.Command("go", "build", "-o", out, pkg)
	if msg, err := cmd.CombinedOutput(); err != nil {
		binaries.errs[pkg] = errors.New("go build " + pkg + ": " + err.Error() + "\n" + string(msg))
		t.Fatal(binaries.errs[pkg])
	}
	binaries.built[pkg] = out
	return out
}

// install puts the program built from pkg into dir as nixcsh-plugin-NAME.
func install(t testing.TB, dir, pkg, name string) string {
	t.Helper()
	src := build(t, pkg)
	dst := filepath.Join(dir, FilePrefix+name)
	if err := os.Link(src, dst); err != nil {
		data, err := os.ReadFile(src)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(dst, data, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	return dst
}

const (
	testPluginPkg = "./testdata/testplugin"
	auditPkg      = "./examples/audit"
	guardPkg      = "./examples/guard"
)

// pluginDir makes a plugin folder holding the test plugin under each of the
// given modes (see testdata/testplugin).
func pluginDir(t testing.TB, modes ...string) string {
	t.Helper()
	dir := t.TempDir()
	for _, m := range modes {
		install(t, dir, testPluginPkg, m)
	}
	return dir
}

// newHost makes a Host over dirs in a fresh state root, closed when the
// test ends.
func newHost(t testing.TB, cfg Config) *Host {
	t.Helper()
	if cfg.Root == "" {
		cfg.Root = t.TempDir()
	}
	h := NewHost(cfg)
	t.Cleanup(h.Close)
	return h
}

func fire(h *Host, event, container string, attrs map[string]string) error {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	return h.Fire(ctx, core.Event{Name: event, Container: container, Attrs: attrs})
}

// pidOf is the pid of the named plugin's process, 0 when it is not running.
func pidOf(h *Host, name string) int {
	h.mu.Lock()
	defer h.mu.Unlock()
	for _, p := range h.plugins {
		if p.name == name {
			p.mu.Lock()
			defer p.mu.Unlock()
			if p.proc != nil {
				return p.proc.pid()
			}
		}
	}
	return 0
}

func stateOf(h *Host, name string) string {
	for _, i := range h.List() {
		if i.Name == name {
			return i.State
		}
	}
	return "(not listed)"
}

// waitGone waits until process pid has exited, watching it through a
// pidfd (which also reports a process that is not our child, and one that
// is a zombie nobody reaps), failing the test after a deadline.
func waitGone(t testing.TB, pid int, within time.Duration) {
	t.Helper()
	fd, err := unix.PidfdOpen(pid, 0)
	if errors.Is(err, unix.ESRCH) {
		return // already gone and reaped
	}
	if err != nil {
		t.Fatalf("pidfd_open %d: %v", pid, err)
	}
	defer unix.Close(fd)
	deadline := time.Now().Add(within)
	for {
		left := time.Until(deadline)
		if left <= 0 {
			t.Fatalf("process %d is still alive %s later", pid, within)
		}
		n, err := unix.Poll([]unix.PollFd{{Fd: int32(fd), Events: unix.POLLIN}}, int(left.Milliseconds())+1)
		if errors.Is(err, unix.EINTR) {
			continue
		}
		if err != nil {
			t.Fatalf("poll pidfd of %d: %v", pid, err)
		}
		if n > 0 {
			return
		}
	}
}

// alive reports whether pid names a live (not exited) process.
func alive(pid int) bool {
	fd, err := unix.PidfdOpen(pid, 0)
	if err != nil {
		return false
	}
	defer unix.Close(fd)
	n, _ := unix.Poll([]unix.PollFd{{Fd: int32(fd), Events: unix.POLLIN}}, 0)
	return n == 0
}

func readFile(t testing.TB, path string) []byte {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return data
}

var _ = bytes.Compare
var _ = io.EOF
