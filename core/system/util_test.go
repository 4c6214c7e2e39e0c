package system

import (
	"os/exec"
	"testing"

	"github.com/nixcsh/nixcsh/core/layout"
)

func runCmd(name string, args ...string) (string, error) {
	out, err := exec.Command(name, args...).CombinedOutput()
	return string(out), err
}

// testPaths is a state root for one test; the read-only store is made
// writable again before the temp dir is removed (for non-root runs).
func testPaths(t testing.TB) layout.Paths {
	root := t.TempDir()
	p := layout.Paths{Root: root}
	t.Cleanup(func() { removeTree(p.Store()) })
	return p
}
