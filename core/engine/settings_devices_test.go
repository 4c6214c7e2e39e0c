package engine

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/nixcsh/nixcsh/core"
)

// --ephemeral and --tmpfs, made with the CLI: what the container writes
// is gone after a stop and a start, while the generation's files come back;
// the tmpfs is a tmpfs; update --no-ephemeral makes writes last again.
func TestEphemeralAndTmpfs(t *testing.T) {
	needRoot(t)
	t.Parallel()
	r := newTestRoot(t)
	name := uniqueName("ep")
	host, local := uniqueAddresses(t)
	cfg := `environment.etc."from-gen".text = "generation\n";`
	if code, _, errb := r.cli("", "create", name, "--host-address", host, "--local-address", local, "--config", cfg,
		"--ephemeral", "--tmpfs", "/var/scratch", "--tmpfs", "/srv/tmp"); code != 0 {
		t.Fatalf("create: %d %s", code, errb)
	}
	if code, _, errb := r.cli("", "update", name, "--tmpfs", "relative"); code == 0 || !strings.Contains(errb, "absolute path") {
		t.Errorf("--tmpfs relative: exit %d, %q", code, errb)
	}
	got := r.infoSettings(name)
	if strings.Join(got["ephemeral"], "") != "yes" || strings.Join(got["tmpfs"], " ") != "/var/scratch /srv/tmp" {
		t.Errorf("info settings %v", got)
	}
	r.start(name)
	if out := r.run(name, "sh", "-c", "stat -f -c %T /var/scratch /srv/tmp; cat /etc/from-gen"); out != "tmpfs\ntmpfs\ngeneration\n" {
		t.Errorf("tmpfs mounts and generation file: %q", out)
	}
	r.run(name, "sh", "-c", "echo x > /root/written; echo y > /var/scratch/s; echo z > /etc/written")
	state := r.M.Paths.StateDir(name)
	if _, err := os.Stat(filepath.Join(state, "root", "written")); err == nil {
		t.Error("a file written in the ephemeral container is in its persistent root")
	}
	// update while it runs: the running (throwaway) root gets the new generation.
	if _, err := r.M.Update(timeout(t), name, core.UpdateOptions{Config: ptr(`environment.etc."from-gen".text = "second\n";`)}); err != nil {
		t.Fatal(err)
	}
	if out := r.run(name, "cat", "/etc/from-gen"); out != "second\n" {
		t.Errorf("/etc/from-gen after update of the running ephemeral container: %q", out)
	}
	if err := r.M.Stop(timeout(t), name); err != nil {
		t.Fatal(err)
	}
	if left, _ := filepath.Glob(filepath.Join(filepath.Dir(state), ".#*")); len(left) != 0 {
		t.Errorf("throwaway root or nspawn's lock left after a stop: %v", left)
	}
	r.start(name)
	if out := r.run(name, "sh", "-c", "ls /root/written /var/scratch/s /etc/written 2>/dev/null; cat /etc/from-gen"); out != "second\n" {
		t.Errorf("after a stop and start: %q, want only the generation's file", out)
	}
	if left, _ := filepath.Glob(filepath.Join(filepath.Dir(state), ".#machine.*")); len(left) != 1 {
		t.Errorf("throwaway roots beside the state dir while running: %v, want one", left)
	}
	// terminate kills nspawn before it can remove its copy: the supervisor does.
	if err := r.M.Terminate(timeout(t), name); err != nil {
		t.Fatal(err)
	}
	if left, _ := filepath.Glob(filepath.Join(filepath.Dir(state), ".#*")); len(left) != 0 {
		t.Errorf("throwaway root or locks left after terminate: %v", left)
	}
	r.start(name)

	// --no-ephemeral: writes survive a restart again.
	if code, _, errb := r.cli("", "update", name, "--no-ephemeral"); code != 0 || !strings.Contains(errb, "restart") {
		t.Errorf("update --no-ephemeral of a running container: exit %d, %q (want a note about restart)", code, errb)
	}
	if err := r.M.Restart(timeout(t), name, nil); err != nil {
		t.Fatal(err)
	}
	if left, _ := filepath.Glob(filepath.Join(filepath.Dir(state), ".#*machine.*")); len(left) != 0 {
		t.Errorf("throwaway roots left after a stop: %v", left)
	}
	r.run(name, "sh", "-c", "echo x > /root/kept")
	if err := r.M.Restart(timeout(t), name, nil); err != nil {
		t.Fatal(err)
	}
	if out := r.run(name, "cat", "/root/kept"); out != "x\n" {
		t.Errorf("/root/kept after restart without --ephemeral: %q", out)
	}
	if got := r.infoSettings(name); got["ephemeral"] != nil {
		t.Errorf("info settings after --no-ephemeral %v", got)
	}
}

func ptr(s string) *string { return &s }

// --tun, --device and --capability on a container that shares the host's
// network (so CAP_NET_ADMIN comes from the settings alone): a tun device is
// made inside, /dev/fuse opens, the bounding set holds the capability; and
// without them it does not.
func TestDevicesAndCapabilities(t *testing.T) {
	needRoot(t)
	t.Parallel()
	if _, err := os.Stat("/dev/fuse"); err != nil {
		t.Skip("the host has no /dev/fuse (modprobe fuse)")
	}
	r := newTestRoot(t)
	name := uniqueName("dv")
	if code, _, errb := r.cli("", "create", name, "--host-network", "--device", "/dev/nope"); code == 0 || !strings.Contains(errb, "the host has no /dev/nope") {
		t.Errorf("--device /dev/nope: exit %d, %q", code, errb)
	}
	if code, _, errb := r.cli("", "create", name, "--host-network", "--capability", "CAP_FLY"); code == 0 || !strings.Contains(errb, "not a capability") {
		t.Errorf("--capability CAP_FLY: exit %d, %q", code, errb)
	}
	if code, _, errb := r.cli("", "create", name, "--host-network", "--tun", "--device", "/dev/fuse", "--capability", "sys_time"); code != 0 {
		t.Fatalf("create: %d %s", code, errb)
	}
	got := r.infoSettings(name)
	if strings.Join(got["tun"], "") != "yes" || strings.Join(got["device"], "") != "/dev/fuse" || strings.Join(got["capability"], "") != "CAP_SYS_TIME" {
		t.Errorf("info settings %v", got)
	}
	r.start(name)
	// --host-network: the container is in the host's network namespace.
	if hostNS, _ := os.Readlink("/proc/self/ns/net"); r.run(name, "readlink", "/proc/1/ns/net") != hostNS+"\n" {
		t.Errorf("the container's network namespace is not the host's %s", hostNS)
	}
	if strings.Join(got["host-network"], "") != "yes" {
		t.Errorf("info settings lack host-network: %v", got)
	}
	tun := "t" + name
	if len(tun) > 15 {
		tun = tun[:15]
	}
	if code, out, errb := asUnit(r, name, "ip tuntap add dev "+tun+" mode tun && ip -o link show "+tun+" && ip link del "+tun); code != 0 || !strings.Contains(out, tun) {
		t.Errorf("ip tuntap add inside: exit %d, %q %q", code, out, errb)
	}
	if code, _, errb := asUnit(r, name, "test -c /dev/fuse && exec 3<>/dev/fuse"); code != 0 {
		t.Errorf("open /dev/fuse inside: exit %d, %q", code, errb)
	}
	bnd := r.run(name, "capsh", "--decode="+capBnd(t, r, name))
	for _, c := range []string{"cap_net_admin", "cap_sys_time"} {
		if !strings.Contains(bnd, c) {
			t.Errorf("bounding set %q lacks %s", bnd, c)
		}
	}

	// Without them: no capability, no node, no tun.
	if code, _, errb := r.cli("", "update", name, "--no-tun", "--device", "", "--capability", ""); code != 0 || !strings.Contains(errb, "restart") {
		t.Errorf("update: exit %d, %q (want a note about restart)", code, errb)
	}
	if err := r.M.Restart(timeout(t), name, nil); err != nil {
		t.Fatal(err)
	}
	if bnd := r.run(name, "capsh", "--decode="+capBnd(t, r, name)); strings.Contains(bnd, "cap_net_admin") || strings.Contains(bnd, "cap_sys_time") {
		t.Errorf("bounding set after removing the settings: %q", bnd)
	}
	if code, _, _ := r.runCode(name, "test", "-e", "/dev/fuse"); code == 0 {
		t.Error("/dev/fuse is still there after --device ''")
	}
	if code, _, _ := asUnit(r, name, "ip tuntap add dev "+tun+" mode tun"); code == 0 {
		r.run(name, "ip", "link", "del", tun)
		t.Error("ip tuntap add works without --tun")
	}

	// --no-host-network: a private network, with the addresses create
	// would have chosen; the host reaches the container there.
	code, _, errb := r.cli("", "update", name, "--no-host-network")
	local := ""
	if _, after, ok := strings.Cut(errb, "container IP is "); ok {
		local = strings.Fields(after)[0]
	}
	if code != 0 || local == "" {
		t.Fatalf("update --no-host-network: exit %d, %q (want the addresses chosen)", code, errb)
	}
	if err := r.M.Restart(timeout(t), name, nil); err != nil {
		t.Fatal(err)
	}
	if hostNS, _ := os.Readlink("/proc/self/ns/net"); r.run(name, "readlink", "/proc/1/ns/net") == hostNS+"\n" {
		t.Error("the container still shares the host's network namespace")
	}
	if out, err := exec.Command("ping", "-c", "1", "-W", "5", local).CombinedOutput(); err != nil {
		t.Errorf("ping %s from the host: %v\n%s", local, err, out)
	}
}

// asUnit runs a shell command inside as a transient systemd service: with
// the container's own capabilities, which nixcsh run (nsenter as the
// host's root) does not drop.
func asUnit(r *testRoot, name, script string) (int, string, string) {
	return r.runCode(name, "systemd-run", "--wait", "--pipe", "--quiet", "--collect", "sh", "-c", script)
}

// capBnd is the hex CapBnd of the container's init.
func capBnd(t *testing.T, r *testRoot, name string) string {
	t.Helper()
	for _, l := range strings.Split(r.run(name, "cat", "/proc/1/status"), "\n") {
		if v, ok := strings.CutPrefix(l, "CapBnd:"); ok {
			return "0x" + strings.TrimSpace(v)
		}
	}
	t.Fatal("no CapBnd in /proc/1/status")
	return ""
}
