package engine

import (
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/nixcsh/nixcsh/core"
)

// uidMap is the first line of a process's uid_map inside the container:
// inside, outside, count.
func uidMap(t *testing.T, r *testRoot, name string) []string {
	t.Helper()
	f := strings.Fields(r.run(name, "cat", "/proc/self/uid_map"))
	if len(f) < 3 {
		t.Fatalf("uid_map %q", f)
	}
	return f[:3]
}

// --private-users pick: the container runs in a user namespace of its own
// range; its root owns its files (the root dir ID-mapped, /usr and the store
// too), run, root-login and login work as root inside, and update to identity takes effect at
// the restart it asks for.
func TestPrivateUsers(t *testing.T) {
	needRoot(t)
	t.Parallel()
	r := newTestRoot(t)
	// A service of the container's root on a port below 1024: it needs
	// the network namespace to belong to the container's user namespace.
	config := `users.users.alice = { isNormalUser = true; };
  users.users.root.password = "hunter2";
  networking.firewall.allowedTCPPorts = [ 80 ];
  ` + svc("whoami", "exec /usr/bin/socat TCP-LISTEN:80,reuseaddr,fork EXEC:/usr/bin/id")
	name := r.createWith("pu", config, core.SettingValues{"private-users": {"pick"}})
	if got := r.infoSettings(name); strings.Join(got["private-users"], "") != "pick" {
		t.Errorf("info settings %v", got)
	}
	r.start(name)
	m := uidMap(t, r, name)
	if m[0] != "0" || m[1] == "0" || m[2] != "65536" {
		t.Fatalf("uid_map %v: want root mapped to a picked range of 65536", m)
	}
	base, _ := strconv.Atoi(m[1])
	if base < 524288 || base%65536 != 0 {
		t.Errorf("picked range starts at %d: want a multiple of 65536 from 524288 on", base)
	}
	ip, err := r.M.ShowIP(timeout(t), name)
	if err != nil {
		t.Fatal(err)
	}
	var id string
	if err := pollUntil(func() error {
		c, err := net.DialTimeout("tcp", net.JoinHostPort(ip, "80"), 2*time.Second)
		if err != nil {
			return err
		}
		defer c.Close()
		c.SetDeadline(time.Now().Add(3 * time.Second))
		b, err := io.ReadAll(c)
		id = string(b)
		return err
	}); err != nil || !strings.HasPrefix(id, "uid=0(root)") {
		t.Errorf("service on port 80 of the container: %q, %v", id, err)
	}
	// Everything of the container's is its root's, not nobody's (65534).
	out := r.run(name, "stat", "-c", "%u:%g %n", "/", "/etc", "/etc/passwd", "/etc/shadow", "/root", "/var/lib", "/usr/bin/su", "/etc/static/")
	for _, l := range strings.Split(strings.TrimSpace(out), "\n") {
		if !strings.HasPrefix(l, "0:0 ") {
			t.Errorf("inside, %s: want owned by root (0:0)", l)
		}
	}
	// run is root inside, with the namespace's capabilities only; files it
	// makes belong to the container's root, on disk as the rest of its tree.
	if out := r.run(name, "sh", "-c", "id -u; touch /root/made; stat -c %u /root/made; su alice -c 'id -un'"); out != "0\n0\nalice\n" {
		t.Errorf("run as root inside: %q", out)
	}
	var made, etc syscall.Stat_t
	syscall.Stat(filepath.Join(r.M.Paths.StateDir(name), "root/made"), &made)
	syscall.Stat(filepath.Join(r.M.Paths.StateDir(name), "etc"), &etc)
	if made.Uid != etc.Uid {
		t.Errorf("file made inside is uid %d on disk, the container's /etc %d", made.Uid, etc.Uid)
	}
	r.checkLogins(t, name)
	if code, _, _ := r.runCode(name, "sh", "-c", "echo 1 > /proc/sys/kernel/sysrq"); code == 0 {
		t.Error("root inside could write a host sysctl")
	}

	// Update the setting: the running container keeps its old range until
	// restart.
	r.Stderr.Reset()
	if _, err := r.M.Update(timeout(t), name, core.UpdateOptions{Settings: core.SettingValues{"private-users": {"identity"}}}); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(r.Stderr.String(), "nixcsh restart "+name) {
		t.Errorf("update of a running container's settings said %q, want it to ask for a restart", r.Stderr.String())
	}
	if m := uidMap(t, r, name); m[1] != strconv.Itoa(base) {
		t.Errorf("uid_map changed before the restart: %v", m)
	}
	if err := r.M.Restart(timeout(t), name, nil); err != nil {
		t.Fatal(err)
	}
	if m := uidMap(t, r, name); m[0] != "0" || m[1] != "0" {
		t.Errorf("after restart with identity, uid_map %v", m)
	}
	if out := r.run(name, "stat", "-c", "%u", "/root/made"); out != "0\n" {
		t.Errorf("file of the earlier boot is %q after the restart", out)
	}
}

// The manual's walkthrough under --private-users pick: sshd (root's
// authorized key, the host key kept in /etc/ssh) and Apache (running as
// www-data) from the host's /usr work in the shifted container.
func TestPrivateUsersSSHAndApache(t *testing.T) {
	needRoot(t)
	t.Parallel()
	for _, tool := range []string{"ssh", "ssh-keygen", "/usr/sbin/sshd", "/usr/sbin/apache2"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Skipf("needs %s (Debian packages openssh-client, openssh-server, apache2)", tool)
		}
	}
	r := newTestRoot(t)
	c := r.scenarioCLI()
	key := sshKeyPair(t, t.TempDir(), "key")
	pub, err := os.ReadFile(key + ".pub")
	if err != nil {
		t.Fatal(err)
	}
	host, local := uniqueAddresses(t)
	name := uniqueName("ps")
	c.must("create", name, "--host-address", host, "--local-address", local, "--private-users", "pick", "--config",
		`services.openssh.enable = true; users.users.root.openssh.authorizedKeys.keys = [ `+nixString(strings.TrimSpace(string(pub)))+` ];`)
	c.must("start", name)
	var out string
	if err := pollUntil(func() (err error) { out, err = sshAs(key, local, "id", "-u"); return err }); err != nil || out != "0\n" {
		t.Fatalf("ssh with the authorized key: %v\n%s", err, out)
	}
	if hk, _ := c.must("show-host-key", name); !strings.HasPrefix(hk, "ssh-ed25519 ") {
		t.Errorf("show-host-key printed %q", hk)
	}
	c.must("update", name, "--config", manualHttpd)
	mustServe(t, "http://"+local+"/", indexTitle)
}
