package system

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/nixcsh/nixcsh/core/layout"
)

func freePort(t *testing.T) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// TestBootSeedGeneration boots a generation of both seed configurations
// with systemd-nspawn (sharing the host's network, on free ports) and checks
// that sshd accepts the declared key and Apache lists "Index of /". The
// runtime (core/runtime) does this for real; this test proves the generation.
func TestBootSeedGeneration(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("booting a container needs root")
	}
	for _, tool := range []string{"systemd-nspawn", "ssh", "ssh-keygen"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Skipf("%s is not installed", tool)
		}
	}
	if _, err := os.Stat("/sys/fs/cgroup/unified"); err != nil {
		t.Skip("this test knows the cgroup v1 hybrid layout of the test machine only")
	}
	dir := t.TempDir()
	key := filepath.Join(dir, "key")
	if out, err := exec.Command("ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", key).CombinedOutput(); err != nil {
		t.Fatalf("ssh-keygen: %v %s", err, out)
	}
	pub, _ := os.ReadFile(key + ".pub")
	sshPort, httpPort := freePort(t), freePort(t)
	name := fmt.Sprintf("nxt%d", os.Getpid()%100000)
	paths := layout.Paths{Root: filepath.Join(dir, "root")}
	writeConfig(t, paths, name, fmt.Sprintf(`services.openssh.enable = true; services.openssh.ports = [ %d ];
  users.users.root.openssh.authorizedKeys.keys = [ %q ];
  services.httpd.enable = true; services.httpd.adminAddr = "foo@example.org"; services.httpd.port = %d;
  networking.firewall.allowedTCPPorts = [ 80 ];`, sshPort, strings.TrimSpace(string(pub)), httpPort))
	sp, _, err := Build(context.Background(), paths, name)
	if err != nil {
		t.Fatal(err)
	}
	root := paths.StateDir(name)
	if err := Activate(root, sp); err != nil {
		t.Fatal(err)
	}

	// Own cgroups, as the runtime makes them, so nspawn's payload is ours.
	var cgroups []string
	for _, h := range []string{"systemd", "unified"} {
		cg := filepath.Join("/sys/fs/cgroup", h, "nixcsh-test-"+name)
		if err := os.Mkdir(cg, 0o755); err != nil {
			t.Fatal(err)
		}
		cgroups = append(cgroups, cg)
	}
	t.Cleanup(func() {
		for _, cg := range cgroups {
			// Depth first: nspawn and the container's systemd nest cgroups.
			var dirs []string
			filepath.Walk(cg, func(p string, info os.FileInfo, err error) error {
				if err == nil && info.IsDir() {
					dirs = append(dirs, p)
				}
				return nil
			})
			for i := len(dirs) - 1; i >= 0; i-- {
				os.Remove(dirs[i])
			}
		}
	})
	sock := filepath.Join(dir, "notify")
	conn, err := net.ListenUnixgram("unixgram", &net.UnixAddr{Name: sock, Net: "unixgram"})
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	script := fmt.Sprintf("echo $$ > %s/cgroup.procs && echo $$ > %s/cgroup.procs && exec systemd-nspawn -q --register=no --keep-unit -D %s -M %s --bind-ro=/usr --bind-ro=%s --notify-ready=yes --kill-signal=SIGRTMIN+3 --timezone=off --resolv-conf=off -b",
		cgroups[0], cgroups[1], root, name, sp)
	cmd := exec.Command("sh", "-c", script)
	cmd.Env = append(os.Environ(), "NOTIFY_SOCKET="+sock)
	var console strings.Builder
	cmd.Stdout, cmd.Stderr = &console, &console
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	leader := 0
	t.Cleanup(func() {
		if leader > 0 {
			syscall.Kill(leader, syscall.Signal(34+3)) // SIGRTMIN+3: clean poweroff
		}
		select {
		case <-exited:
		case <-time.After(10 * time.Second):
			cmd.Process.Kill()
			<-exited
		}
	})
	deadline := time.Now().Add(60 * time.Second)
	buf := make([]byte, 4096)
	for ready := false; !ready; {
		conn.SetReadDeadline(deadline)
		n, err := conn.Read(buf)
		if err != nil {
			t.Fatalf("no READY=1 from the container: %v\n%s", err, console.String())
		}
		for _, line := range strings.Split(string(buf[:n]), "\n") {
			if v, ok := strings.CutPrefix(line, "X_NSPAWN_LEADER_PID="); ok {
				leader, _ = strconv.Atoi(v)
			}
			ready = ready || line == "READY=1"
		}
	}

	resp, err := http.Get(fmt.Sprintf("http://127.0.0.1:%d/", httpPort))
	if err != nil {
		t.Fatalf("Apache does not answer: %v\n%s", err, console.String())
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if !strings.Contains(string(body), "<title>Index of /</title>") {
		t.Errorf("Apache answered %d:\n%s", resp.StatusCode, body)
	}
	out, err := exec.Command("ssh", "-p", strconv.Itoa(sshPort), "-i", key, "-o", "BatchMode=yes", "-o", "StrictHostKeyChecking=no",
		"-o", "UserKnownHostsFile=/dev/null", "-o", "ConnectTimeout=10", "root@127.0.0.1", "id -un; hostname").CombinedOutput()
	if err != nil || !strings.Contains(string(out), "root\n"+name+"\n") {
		t.Errorf("ssh with the declared key: %v\n%s", err, out)
	}
	if tgt, _ := os.Readlink(filepath.Join(root, "etc/localtime")); tgt != "/etc/static/localtime" {
		t.Errorf("etc/localtime -> %q after boot", tgt)
	}
	if _, err := os.Stat(filepath.Join(root, "etc/ssh/ssh_host_ed25519_key")); err != nil {
		t.Errorf("host key not generated in the container's /etc/ssh: %v", err)
	}
}
