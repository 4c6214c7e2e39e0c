package shell

// Helpers of the integration tests (integration_*_test.go): they drive the
// real nixcsh binary, the real example plugins and, as root, real containers,
// each test in a state root of its own.

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// TestMain gives the package's tests a temporary folder of their own
// (TMPDIR), removed at the end: the nixcsh and plugin executables built once
// per run (see buildNixcsh and buildPlugins) live there and would otherwise
// be left in /tmp by every run.
func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "nixcsh-shell-tests-")
	if err == nil {
		os.Setenv("TMPDIR", dir)
	}
	code := m.Run()
	if err == nil {
		os.RemoveAll(dir)
	}
	os.Exit(code)
}

// cli runs the nixcsh binary on one state root with one plugin folder.
type cli struct {
	t         *testing.T
	bin       string
	root      string
	pluginDir string   // "" for none
	env       []string // the environment every run gets
}

// newCLI makes a fresh state root and an environment that finds no plugin
// but those of pluginDir (no $XDG_DATA_HOME or $HOME ones, no
// $NIXCSH_PLUGIN_DIR of the caller).
func newCLI(t *testing.T, pluginDir string) *cli {
	t.Helper()
	home := t.TempDir()
	env := []string{
		"PATH=" + os.Getenv("PATH"),
		"HOME=" + home,
		"XDG_DATA_HOME=" + filepath.Join(home, "data"),
		"XDG_STATE_HOME=" + filepath.Join(home, "state"),
		"LANG=C",
	}
	return &cli{t: t, bin: nixcshBinary(t), root: t.TempDir(), pluginDir: pluginDir, env: env}
}

// withoutPlugins is the same cli finding no plugin.
func (c *cli) withoutPlugins() *cli {
	bare := *c
	bare.pluginDir = ""
	return &bare
}

// result is what one run of nixcsh did.
type result struct {
	code           int
	stdout, stderr string
}

func (r result) String() string {
	return fmt.Sprintf("exit %d\nstdout:\n%s\nstderr:\n%s", r.code, r.stdout, r.stderr)
}

// command is nixcsh with the cli's globals in front of args.
func (c *cli) command(ctx context.Context, args ...string) *exec.Cmd {
	full := []string{"--root", c.root}
	if c.pluginDir != "" {
		full = append(full, "--plugin-dir", c.pluginDir)
	}
	cmd := exec.CommandContext(ctx, c.bin, append(full, args...)...)
	cmd.Env = c.env
	// Killed with its whole group if the test runs out of time.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
	return cmd
}

// run runs nixcsh with stdin (may be "") and waits for it, at most limit.
func (c *cli) runIn(limit time.Duration, stdin string, args ...string) result {
	c.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), limit)
	defer cancel()
	cmd := c.command(ctx, args...)
	var out, errb bytes.Buffer
	cmd.Stdin, cmd.Stdout, cmd.Stderr = strings.NewReader(stdin), &out, &errb
	err := cmd.Run()
	if ctx.Err() != nil {
		c.t.Fatalf("nixcsh %q did not finish within %s\nstdout:\n%s\nstderr:\n%s", args, limit, out.String(), errb.String())
	}
	code := 0
	if err != nil {
		var ee *exec.ExitError
		if !errors.As(err, &ee) {
			c.t.Fatalf("nixcsh %q: %v", args, err)
		}
		code = ee.ExitCode()
	}
	return result{code: code, stdout: out.String(), stderr: errb.String()}
}

func (c *cli) run(args ...string) result {
	c.t.Helper()
	return c.runIn(2*time.Minute, "", args...)
}

// must runs nixcsh and fails the test unless it exits 0.
func (c *cli) must(args ...string) result {
	c.t.Helper()
	r := c.run(args...)
	if r.code != 0 {
		c.t.Fatalf("nixcsh %q: %s", args, r)
	}
	return r
}

// Plugin executables, built once per test binary into a folder of their own:
// nixcsh-plugin-audit, nixcsh-plugin-guard, and the test double
// plugins/testdata/testplugin as nixcsh-plugin-MODE for each mode we use.
var buildPlugins = sync.OnceValues(func() (string, error) {
	dir, err := os.MkdirTemp("", "nixcsh-shell-plugins-")
	if err != nil {
		return "", err
	}
	for name, pkg := range map[string]string{
		"audit": "./plugins/examples/audit", "guard": "./plugins/examples/guard", "crash": "./plugins/testdata/testplugin",
	} {
		cmd := exec.Command("go", "build", "-o", filepath.Join(dir, "nixcsh-plugin-"+name), pkg)
		cmd.Dir = ".."
		if out, err := cmd.CombinedOutput(); err != nil {
			return "", fmt.Errorf("go build %s: %v\n%s", pkg, err, out)
		}
	}
	// The test double picks its behaviour from its file name.
	for _, mode := range []string{"hang", "ok"} {
		if err := os.Link(filepath.Join(dir, "nixcsh-plugin-crash"), filepath.Join(dir, "nixcsh-plugin-"+mode)); err != nil {
			return "", err
		}
	}
	return dir, nil
})

// pluginDir is a folder (owner-writable only, as nixcsh demands) holding the
// named plugins.
func pluginDir(t *testing.T, names ...string) string {
	t.Helper()
	built, err := buildPlugins()
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	if err := os.Chmod(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	for _, n := range names {
		if err := os.Link(filepath.Join(built, "nixcsh-plugin-"+n), filepath.Join(dir, "nixcsh-plugin-"+n)); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// processesUnder lists the live processes whose executable is in dir (a
// zombie has no executable any more, so only running ones count).
func processesUnder(dir string) []int {
	var pids []int
	ents, _ := os.ReadDir("/proc")
	for _, e := range ents {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		exe, err := os.Readlink(filepath.Join("/proc", e.Name(), "exe"))
		if err != nil {
			continue
		}
		if filepath.Dir(strings.TrimSuffix(exe, " (deleted)")) == dir {
			pids = append(pids, pid)
		}
	}
	return pids
}

// noPluginLeft fails the test if a process of dir still runs, and kills it.
func noPluginLeft(t *testing.T, dir string) {
	t.Helper()
	for _, pid := range processesUnder(dir) {
		cmdline, _ := os.ReadFile(fmt.Sprintf("/proc/%d/cmdline", pid))
		t.Errorf("plugin process %d (%s) outlived nixcsh", pid, bytes.ReplaceAll(cmdline, []byte{0}, []byte{' '}))
		syscall.Kill(pid, syscall.SIGKILL)
	}
}

// waitGone waits until process pid has exited (a pidfd becomes readable
// when it does), at most limit; it reports whether it did.
func waitGone(pid int, limit time.Duration) bool {
	fd, err := unix.PidfdOpen(pid, 0)
	if err != nil {
		return errors.Is(err, unix.ESRCH) // already gone
	}
	defer unix.Close(fd)
	fds := []unix.PollFd{{Fd: int32(fd), Events: unix.POLLIN}}
	deadline := time.Now().Add(limit)
	for {
		n, err := unix.Poll(fds, int(time.Until(deadline).Milliseconds()))
		if err == unix.EINTR {
			continue
		}
		return err == nil && n > 0
	}
}

// needRoot skips unless the test can boot real containers.
func needRoot(t *testing.T) {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("needs root: boots real containers with systemd-nspawn")
	}
	if _, err := exec.LookPath("systemd-nspawn"); err != nil {
		t.Skip("needs systemd-nspawn (Debian package systemd-container)")
	}
}

// uniqueName is a short container name (veth names allow 11 characters).
func uniqueName(prefix string) string {
	b := make([]byte, 3)
	rand.Read(b)
	return prefix + hex.EncodeToString(b)
}

// addressMu keeps this test binary's parallel tests from picking the same
// pair; other processes are kept off by checking the host's interfaces.
var (
	addressMu sync.Mutex
	picked    = map[string]bool{}
)

// uniqueAddresses picks a host/container pair in a /30 of 10.234.0.0/16
// that no host interface holds, so that test runs in other roots (which
// create's own allocation in 10.233.0.0/16 does not know of) never collide.
func uniqueAddresses(t *testing.T) (host, local string) {
	t.Helper()
	addressMu.Lock()
	defer addressMu.Unlock()
	out, err := exec.Command("ip", "-o", "addr").Output()
	if err != nil {
		t.Fatalf("ip -o addr: %v", err)
	}
	for i := 0; i < 100; i++ {
		b := make([]byte, 2)
		rand.Read(b)
		base := int(b[1]) &^ 3
		host = fmt.Sprintf("10.234.%d.%d", b[0], base+1)
		local = fmt.Sprintf("10.234.%d.%d", b[0], base+2)
		if !picked[host] && !strings.Contains(string(out), " "+host+"/") && !strings.Contains(string(out), " "+local+"/") {
			picked[host] = true
			return host, local
		}
	}
	t.Fatal("no free test address in 10.234.0.0/16")
	return
}

// destroyAll destroys every container of the cli's root (test cleanup), and
// fails the test for one that cannot be destroyed.
func (c *cli) destroyAll() {
	bare := c.withoutPlugins() // a guard plugin would refuse
	r := bare.runIn(2*time.Minute, "", "list")
	for _, name := range strings.Fields(r.stdout) {
		if d := bare.runIn(2*time.Minute, "", "destroy", name); d.code != 0 {
			c.t.Errorf("cleanup: destroy %s: %s", name, d)
		}
	}
}
