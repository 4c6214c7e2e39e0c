package engine

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/nixcsh/nixcsh/core"
)

// createWith makes a container with unique addresses and the given settings.
func (r *testRoot) createWith(prefix, config string, settings core.SettingValues) string {
	r.t.Helper()
	host, local := uniqueAddresses(r.t)
	c, err := r.M.Create(timeout(r.t), uniqueName(prefix), core.CreateOptions{Config: config, HostAddress: host, LocalAddress: local, Settings: settings})
	if err != nil {
		r.t.Fatal(err)
	}
	return c.Name
}

// infoSettings is what `nixcsh info --json` says of the container's settings.
func (r *testRoot) infoSettings(name string) map[string][]string {
	r.t.Helper()
	code, out, errb := r.cli("", "info", name, "--json")
	if code != 0 {
		r.t.Fatalf("info %s: %d %s", name, code, errb)
	}
	var in core.Info
	if err := json.Unmarshal([]byte(out), &in); err != nil {
		r.t.Fatalf("info %s: %v\n%s", name, err, out)
	}
	return in.Settings
}

// Binds made with the CLI's --bind and --bind-ro reach the container (one
// writable, one not); a missing host path fails create and leaves nothing;
// destroy of the running container leaves the host's files alone.
func TestBindMounts(t *testing.T) {
	needRoot(t)
	t.Parallel()
	r := newTestRoot(t)
	rw, ro := t.TempDir(), t.TempDir()
	os.MkdirAll(filepath.Join(rw, "sub"), 0o755)
	files := map[string]string{
		filepath.Join(rw, "keep"):        "host data\n",
		filepath.Join(rw, "sub", "deep"): "deeper\n",
		filepath.Join(ro, "ro-file"):     "read only\n",
	}
	for p, c := range files {
		os.WriteFile(p, []byte(c), 0o644)
	}

	name := uniqueName("bi")
	host, local := uniqueAddresses(t)
	missing := filepath.Join(rw, "no-such-dir")
	code, _, errb := r.cli("", "create", name, "--host-address", host, "--local-address", local, "--bind", missing+":/srv/x")
	if code == 0 || !strings.Contains(errb, "the host path "+missing+" does not exist") {
		t.Fatalf("create with a missing host path: exit %d, stderr %q", code, errb)
	}
	if r.M.Exists(name) {
		t.Fatal("a failed create left the container behind")
	}
	if code, _, errb := r.cli("", "create", name, "--host-address", host, "--local-address", local,
		"--bind", rw+":/srv/data", "--bind-ro", ro+":/srv/ro", "--bind", ro+"/ro-file:/etc/extra-file"); code != 0 {
		t.Fatalf("create: %d %s", code, errb)
	}
	got := r.infoSettings(name)
	if strings.Join(got["bind"], " ") != rw+":/srv/data "+ro+"/ro-file:/etc/extra-file" || strings.Join(got["bind-ro"], " ") != ro+":/srv/ro" {
		t.Errorf("info settings %v", got)
	}
	r.start(name)
	if out := r.run(name, "cat", "/srv/data/keep", "/srv/data/sub/deep", "/srv/ro/ro-file"); out != "host data\ndeeper\nread only\n" {
		t.Errorf("files through the binds: %q", out)
	}
	r.run(name, "sh", "-c", "echo from inside > /srv/data/made")
	if b, _ := os.ReadFile(filepath.Join(rw, "made")); string(b) != "from inside\n" {
		t.Errorf("file written inside is %q on the host", b)
	}
	if code, _, errb := r.runCode(name, "touch", "/srv/ro/nope"); code == 0 || !strings.Contains(errb, "Read-only file system") {
		t.Errorf("write into the read-only bind: exit %d, %q", code, errb)
	}
	files[filepath.Join(rw, "made")] = "from inside\n"

	// Destroy the running container: nothing of the host's goes with it.
	st := r.state(name)
	if err := r.M.Destroy(timeout(t), name); err != nil {
		t.Fatal(err)
	}
	waitGone(t, "supervisor", st.Supervisor)
	for p, c := range files {
		if b, err := os.ReadFile(p); err != nil || string(b) != c {
			t.Errorf("host file %s after destroy: %q, %v", p, b, err)
		}
	}
	if _, err := os.Stat(r.M.Paths.StateDir(name)); err == nil {
		t.Error("state dir left behind")
	}
}

// cgroupFile reads a control file of the container's cgroup in the v1
// hierarchy of controller, or in the unified one (file2) when the
// controller lives there.
func cgroupFile(t *testing.T, dirs []string, controller, file1, file2 string) string {
	t.Helper()
	for _, d := range dirs {
		if strings.Contains(d, "/"+controller+"/") || strings.Contains(d, ","+controller+"/") || strings.Contains(d, "/"+controller+",") {
			if b, err := os.ReadFile(filepath.Join(d, file1)); err == nil {
				return strings.TrimSpace(string(b))
			}
		}
	}
	for _, d := range dirs {
		if b, err := os.ReadFile(filepath.Join(d, file2)); err == nil {
			return strings.TrimSpace(string(b))
		}
	}
	t.Fatalf("no %s or %s in %v", file1, file2, dirs)
	return ""
}

// --memory, --cpus, --tasks and --io-weight: written into the container's
// cgroup, shown by info, and enforced: busy loops get the CPU share, a
// process inside that allocates more than the memory limit is killed by the
// OOM killer while the container lives on, and a loop that forks past the
// tasks limit is stopped.
func TestResourceLimits(t *testing.T) {
	needRoot(t)
	t.Parallel()
	r := newTestRoot(t)
	name := r.createWith("li", "", core.SettingValues{"memory": {"128M"}, "cpus": {"0.5"}, "tasks": {"48"}, "io-weight": {"200"}})
	got := r.infoSettings(name)
	for k, v := range map[string]string{"memory": "128M", "cpus": "0.5", "tasks": "48", "io-weight": "200"} {
		if strings.Join(got[k], "") != v {
			t.Errorf("info: %s = %v, want %s", k, got[k], v)
		}
	}
	r.start(name)
	dirs := r.state(name).Cgroups
	if v := cgroupFile(t, dirs, "memory", "memory.limit_in_bytes", "memory.max"); v != strconv.Itoa(128<<20) {
		t.Errorf("memory limit %s", v)
	}
	if v := cgroupFile(t, dirs, "cpu", "cpu.cfs_quota_us", "cpu.max"); v != "50000" && v != "50000 100000" {
		t.Errorf("cpu quota %s", v)
	}
	if v := cgroupFile(t, dirs, "pids", "pids.max", "pids.max"); v != "48" {
		t.Errorf("pids.max %s", v)
	}

	// Two busy loops for a second get half a CPU between them, not two.
	usage := func() time.Duration {
		for _, d := range dirs {
			if b, err := os.ReadFile(filepath.Join(d, "cpuacct.usage")); err == nil {
				n, _ := strconv.ParseInt(strings.TrimSpace(string(b)), 10, 64)
				return time.Duration(n)
			}
		}
		for _, l := range strings.Split(cgroupFile(t, dirs, "cpu", "cpu.stat", "cpu.stat"), "\n") {
			if v, ok := strings.CutPrefix(l, "usage_usec "); ok {
				n, _ := strconv.ParseInt(v, 10, 64)
				return time.Duration(n) * time.Microsecond
			}
		}
		t.Fatal("no CPU usage counter in the container's cgroups")
		return 0
	}
	before, start := usage(), time.Now()
	r.runCode(name, "sh", "-c", "timeout 1 sh -c 'while :; do :; done' & timeout 1 sh -c 'while :; do :; done'; wait")
	if used, wall := usage()-before, time.Since(start); used > wall*6/10 {
		t.Errorf("the container used %s of CPU in %s with --cpus 0.5", used, wall)
	}

	// tail keeps its whole last line: 400 MiB of zeros without a newline
	// is 400 MiB of memory, far over the limit.
	code, _, errb := r.runCode(name, "sh", "-c", "head -c 400M /dev/zero | tail > /dev/null")
	if code != 128+int(syscall.SIGKILL) {
		t.Errorf("allocation over the limit: exit %d (%s), want %d (killed)", code, errb, 128+int(syscall.SIGKILL))
	}
	if ev := cgroupFile(t, dirs, "memory", "memory.oom_control", "memory.events"); !strings.Contains(ev, "oom_kill 1") && !strings.Contains(ev, "oom_kill ") {
		t.Errorf("no OOM kill counted in the container's cgroup: %q", ev)
	}
	if s := r.status(name); s != "up" {
		t.Fatalf("container is %s after the OOM kill inside", s)
	}
	if out := r.run(name, "echo", "alive"); out != "alive\n" {
		t.Errorf("run after the OOM kill: %q", out)
	}

	// A bounded fork loop: 100 sleepers cannot all start under 48 tasks.
	code, out, errb := r.runCode(name, "sh", "-c", "n=0; while [ $n -lt 100 ]; do sleep 60 & n=$((n+1)); done; echo done")
	if code == 0 && strings.Contains(out, "done") {
		t.Errorf("100 processes started under a limit of 48 tasks: %q %q", out, errb)
	}
	if cur, _ := strconv.Atoi(cgroupFile(t, dirs, "pids", "pids.current", "pids.current")); cur > 48 {
		t.Errorf("pids.current %d over the limit", cur)
	}
	if !strings.Contains(strings.ToLower(errb), "fork") {
		t.Errorf("the shell did not report a refused fork: %q", errb)
	}
	r.run(name, "pkill", "-x", "sleep")

	// Removing the limits takes effect at the next start.
	if _, err := r.M.Update(timeout(t), name, core.UpdateOptions{Settings: core.SettingValues{"memory": {""}, "tasks": {""}}}); err != nil {
		t.Fatal(err)
	}
	if err := r.M.Restart(timeout(t), name, nil); err != nil {
		t.Fatal(err)
	}
	dirs = r.state(name).Cgroups
	if v := cgroupFile(t, dirs, "pids", "pids.max", "pids.max"); v != "max" {
		t.Errorf("pids.max after removing the limit: %s", v)
	}
	if v := cgroupFile(t, dirs, "cpu", "cpu.cfs_quota_us", "cpu.max"); v != "50000" && v != "50000 100000" {
		t.Errorf("cpu quota after an update that kept it: %s", v)
	}
}

// The settings in a containers.<name> file (create --from): NixOS's
// bindMounts and nixcsh's memoryMax reach the container; a second run
// without bindMounts removes the bind and restarts the container.
func TestCreateFromSettings(t *testing.T) {
	needRoot(t)
	t.Parallel()
	r := newTestRoot(t)
	data := t.TempDir()
	os.WriteFile(filepath.Join(data, "keep"), []byte("host data\n"), 0o644)
	name := uniqueName("fs")
	host, local := uniqueAddresses(t)
	file := filepath.Join(t.TempDir(), "containers.nix")
	write := func(extra string) {
		text := `{ containers.` + name + ` = { autoStart = true; privateNetwork = true; hostAddress = "` + host + `"; localAddress = "` + local + `";
      memoryMax = "256M"; ` + extra + ` config = { }; }; }`
		if err := os.WriteFile(file, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write(`bindMounts."/srv/data" = { hostPath = "` + data + `"; isReadOnly = false; };`)
	r.scenarioCLI().must("create", "--from", file)
	if got := r.infoSettings(name); strings.Join(got["bind"], "") != data+":/srv/data" || strings.Join(got["memory"], "") != "256M" {
		t.Errorf("info settings %v", got)
	}
	if out := r.run(name, "cat", "/srv/data/keep"); out != "host data\n" {
		t.Errorf("file through the bind: %q", out)
	}
	write("")
	if out, _ := r.scenarioCLI().must("create", "--from", file); !strings.Contains(out, "restarted") {
		t.Errorf("create --from without the bind said %q, want a restart", out)
	}
	if code, _, _ := r.runCode(name, "test", "-e", "/srv/data/keep"); code == 0 {
		t.Error("the bind is still there after it left the file")
	}
	if got := r.infoSettings(name); got["bind"] != nil || strings.Join(got["memory"], "") != "256M" {
		t.Errorf("info settings after the update %v", got)
	}
	if b, _ := os.ReadFile(filepath.Join(data, "keep")); string(b) != "host data\n" {
		t.Errorf("host file %q", b)
	}
}
