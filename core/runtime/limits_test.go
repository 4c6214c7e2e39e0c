package runtime

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// fakeCgroup makes dir with the given (empty) control files.
func fakeCgroup(t *testing.T, dir string, files ...string) {
	t.Helper()
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	for _, f := range files {
		if err := os.WriteFile(filepath.Join(dir, f), nil, 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

func readCg(t *testing.T, dir, file string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(dir, file))
	if err != nil {
		t.Fatalf("%s not written: %v", file, err)
	}
	return string(b)
}

var testLimits = Limits{MemoryMax: 512 << 20, CPUs: 1.5, TasksMax: 64, IOWeight: 200}

// cgroup v1 (this machine's kind): one hierarchy per controller.
func TestLimitsV1(t *testing.T) {
	base := t.TempDir()
	cg := &cgroupSet{v1: map[string]string{}}
	for _, c := range []struct {
		ctrl  string
		files []string
	}{
		{"memory", []string{"memory.limit_in_bytes", "memory.memsw.limit_in_bytes"}},
		{"cpu", []string{"cpu.cfs_period_us", "cpu.cfs_quota_us"}},
		{"pids", []string{"pids.max"}},
		{"blkio", nil}, // no weight file: mq-deadline has no I/O weights
	} {
		dir := filepath.Join(base, c.ctrl, "c")
		fakeCgroup(t, dir, c.files...)
		cg.v1[c.ctrl] = dir
		cg.dirs = append(cg.dirs, dir)
	}
	// blkio.weight is missing and cannot be created in a real cgroup; here
	// a directory in its place makes the write fail the same way.
	os.Mkdir(filepath.Join(base, "blkio/c/blkio.weight"), 0o755)
	os.Mkdir(filepath.Join(base, "blkio/c/blkio.bfq.weight"), 0o755)
	warnings, err := cg.limit(testLimits)
	if err != nil {
		t.Fatal(err)
	}
	for file, want := range map[string]string{
		"memory/c/memory.limit_in_bytes":       "536870912",
		"memory/c/memory.memsw.limit_in_bytes": "536870912",
		"cpu/c/cpu.cfs_period_us":              "100000",
		"cpu/c/cpu.cfs_quota_us":               "150000",
		"pids/c/pids.max":                      "64",
	} {
		if got := readCg(t, base, file); got != want {
			t.Errorf("%s = %q, want %q", file, got, want)
		}
	}
	if len(warnings) != 1 || !strings.Contains(warnings[0], "blkio.weight not applied") {
		t.Errorf("warnings %q, want one about blkio.weight", warnings)
	}
	// A controller that is mounted nowhere cannot carry a hard limit.
	cg2 := &cgroupSet{v1: map[string]string{}}
	if _, err := cg2.limit(Limits{TasksMax: 5}); err == nil || !strings.Contains(err.Error(), "no cgroup hierarchy has the pids controller") {
		t.Errorf("no pids hierarchy: %v", err)
	}
}

// cgroup v2: the controllers are enabled in the parent, then the files written.
func TestLimitsV2(t *testing.T) {
	parent := t.TempDir()
	dir := filepath.Join(parent, "c")
	fakeCgroup(t, parent, "cgroup.subtree_control")
	os.WriteFile(filepath.Join(parent, "cgroup.controllers"), []byte("cpuset cpu io memory pids\n"), 0o644)
	fakeCgroup(t, dir)
	// A real kernel fills the child's cgroup.controllers when the parent
	// enables them; the fake already lists them.
	os.WriteFile(filepath.Join(dir, "cgroup.controllers"), []byte("cpu io memory pids\n"), 0o644)
	cg := &cgroupSet{unified: dir, dirs: []string{dir}, v1: map[string]string{}}
	warnings, err := cg.limit(testLimits)
	if err != nil || len(warnings) != 0 {
		t.Fatalf("err %v warnings %q", err, warnings)
	}
	for file, want := range map[string]string{
		"memory.max":      "536870912",
		"memory.swap.max": "0",
		"cpu.max":         "150000 100000",
		"pids.max":        "64",
		"io.weight":       "default 200",
	} {
		if got := readCg(t, dir, file); got != want {
			t.Errorf("%s = %q, want %q", file, got, want)
		}
	}
	// The parent lacks a controller: the error says where to enable it.
	os.WriteFile(filepath.Join(dir, "cgroup.controllers"), nil, 0o644)
	os.WriteFile(filepath.Join(parent, "cgroup.controllers"), []byte("cpu\n"), 0o644)
	if _, err := cg.limit(Limits{MemoryMax: 1 << 30}); err == nil || !strings.Contains(err.Error(), "memory is not available in "+parent) {
		t.Errorf("missing controller: %v", err)
	}
}

// A hybrid host: memory in v1, pids only in the unified hierarchy.
func TestLimitsHybrid(t *testing.T) {
	base := t.TempDir()
	mem := filepath.Join(base, "memory/c")
	fakeCgroup(t, mem, "memory.limit_in_bytes")
	uni := filepath.Join(base, "unified/c")
	fakeCgroup(t, uni)
	os.WriteFile(filepath.Join(uni, "cgroup.controllers"), []byte("pids\n"), 0o644)
	cg := &cgroupSet{unified: uni, v1: map[string]string{"memory": mem}}
	if _, err := cg.limit(Limits{MemoryMax: 64 << 20, TasksMax: 10}); err != nil {
		t.Fatal(err)
	}
	if got := readCg(t, mem, "memory.limit_in_bytes"); got != "67108864" {
		t.Errorf("v1 memory limit %q", got)
	}
	if _, err := os.Stat(filepath.Join(uni, "memory.max")); err == nil {
		t.Error("memory limit also written in the unified hierarchy")
	}
	if got := readCg(t, uni, "pids.max"); got != "10" {
		t.Errorf("v2 pids.max %q", got)
	}
}
