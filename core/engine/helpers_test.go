package engine

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/nixcsh/nixcsh/core"
	"github.com/nixcsh/nixcsh/core/network"
)

// The tests run the real nixcsh binary as the supervisor (a host backend
// execs it), so it is built once per test run.
var (
	buildOnce sync.Once
	binPath   string
	buildErr  error
)

// TestMain removes the built binary when the package's tests are done.
func TestMain(m *testing.M) {
	code := m.Run()
	if binPath != "" {
		os.RemoveAll(filepath.Dir(binPath))
	}
	os.Exit(code)
}

func nixcshBinary(t testing.TB) string {
	t.Helper()
	buildOnce.Do(func() {
		dir, err := os.MkdirTemp("", "nixcsh-engine-test")
		if err != nil {
			buildErr = err
			return
		}
		binPath = filepath.Join(dir, "nixcsh")
		out, err := exec.Command("go", "build", "-o", binPath, "github.com/nixcsh/nixcsh/cmd/nixcsh").CombinedOutput()
		if err != nil {
			buildErr = fmt.Errorf("go build: %v\n%s", err, out)
		}
	})
	if buildErr != nil {
		t.Fatal(buildErr)
	}
	return binPath
}

// testRoot is a temporary state root with a wired Manager whose supervisors
// are the freshly built nixcsh binary.
type testRoot struct {
	t      testing.TB
	M      *core.Manager
	Stderr *bytes.Buffer
}

// needRoot skips unless the test can boot real containers.
func needRoot(t testing.TB) {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("needs root: boots real containers with systemd-nspawn")
	}
	if _, err := exec.LookPath("systemd-nspawn"); err != nil {
		t.Skip("needs systemd-nspawn (Debian package systemd-container)")
	}
}

// newTestRoot makes a root whose containers are all destroyed at the end of
// the test, and checks that nothing of theirs is left on the host.
func newTestRoot(t testing.TB) *testRoot {
	t.Helper()
	var stderr bytes.Buffer
	m, err := New(Options{Root: t.TempDir(), Stderr: &stderr})
	if err != nil {
		t.Fatal(err)
	}
	m.Runtime.(*containerRuntime).exe = nixcshBinary(t)
	r := &testRoot{t: t, M: m, Stderr: &stderr}
	t.Cleanup(r.cleanup)
	return r
}

func (r *testRoot) cleanup() {
	ctx := context.Background()
	// A listing that fails would pass for "nothing left": say so instead.
	names, err := r.M.List(ctx)
	if err != nil {
		r.t.Errorf("cleanup: cannot list the containers to destroy: %v", err)
	}
	for _, n := range names {
		if err := r.M.Destroy(ctx, n); err != nil {
			r.t.Errorf("cleanup: destroy %s: %v", n, err)
		}
	}
	left, err := network.Leftovers()
	if err != nil {
		r.t.Errorf("cleanup: cannot look for network leftovers: %v", err)
	}
	for _, l := range left {
		if l.Owner == r.M.Paths.Root {
			r.t.Errorf("left behind on the host: %+v", l)
			if l.Kind == "link" {
				exec.Command("ip", "link", "del", l.Name).Run()
			}
		}
	}
}

// uniqueName is a short container name (veth names allow 11 characters).
func uniqueName(prefix string) string {
	b := make([]byte, 3)
	rand.Read(b)
	return prefix + hex.EncodeToString(b)
}

// uniqueAddresses picks a host/container pair in a /30 of 10.234.0.0/16 that no
// host interface holds, so parallel test runs of other roots never collide.
func uniqueAddresses(t testing.TB) (host, local string) {
	t.Helper()
	for i := 0; i < 100; i++ {
		b := make([]byte, 2)
		rand.Read(b)
		base := int(b[1]) &^ 3
		host = fmt.Sprintf("10.234.%d.%d", b[0], base+1)
		local = fmt.Sprintf("10.234.%d.%d", b[0], base+2)
		out, _ := exec.Command("ip", "-o", "addr").Output()
		if !strings.Contains(string(out), host+"/") && !strings.Contains(string(out), local+"/") {
			return host, local
		}
	}
	t.Fatal("no free test address")
	return
}

// create makes a container with unique addresses and the given config.
func (r *testRoot) create(prefix, config string) string {
	r.t.Helper()
	host, local := uniqueAddresses(r.t)
	c, err := r.M.Create(context.Background(), uniqueName(prefix), core.CreateOptions{Config: config, HostAddress: host, LocalAddress: local})
	if err != nil {
		r.t.Fatal(err)
	}
	return c.Name
}

// run runs a command in the container and returns its stdout; it fails the
// test on a non-zero exit.
func (r *testRoot) run(name string, argv ...string) string {
	r.t.Helper()
	var out, errb bytes.Buffer
	code, err := r.M.Run(context.Background(), name, argv, core.Stdio{Out: &out, Err: &errb})
	if err != nil || code != 0 {
		r.t.Fatalf("run %s %q: code %d, %v\nstdout: %s\nstderr: %s", name, argv, code, err, out.String(), errb.String())
	}
	return out.String()
}
