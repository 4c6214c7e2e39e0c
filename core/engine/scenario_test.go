package engine

// The NixOS manual's container walk-through, done literally with the nixcsh
// command: create with sshd and an authorized key, start, ssh in, update to
// Apache, curl it. These tests drive the real binary (the one the harness
// builds) against a temporary state root, as a user would.

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// cliTimeout bounds one nixcsh command (create builds, start boots).
const cliTimeout = 2 * time.Minute

// nixcshCLI runs the nixcsh binary against the test root.
type nixcshCLI struct {
	t    testing.TB
	bin  string
	root string
}

func (r *testRoot) scenarioCLI() *nixcshCLI {
	return &nixcshCLI{t: r.t, bin: nixcshBinary(r.t), root: r.M.Paths.Root}
}

// run runs `nixcsh --root ROOT ARGS...` and returns its stdout, stderr and
// exit code.
func (c *nixcshCLI) run(args ...string) (stdout, stderr string, code int) {
	c.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), cliTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, c.bin, append([]string{"--root", c.root}, args...)...)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	if ee, ok := err.(*exec.ExitError); ok {
		return out.String(), errb.String(), ee.ExitCode()
	} else if err != nil {
		c.t.Fatalf("nixcsh %q: %v", args, err)
	}
	return out.String(), errb.String(), 0
}

// must runs nixcsh and fails the test unless it exits 0; it returns stdout
// and stderr.
func (c *nixcshCLI) must(args ...string) (stdout, stderr string) {
	c.t.Helper()
	out, errs, code := c.run(args...)
	if code != 0 {
		c.t.Fatalf("nixcsh %q: exit %d\nstdout: %s\nstderr: %s", args, code, out, errs)
	}
	return out, errs
}

// nixString is s as a Nix string literal.
func nixString(s string) string {
	r := strings.NewReplacer(`\`, `\\`, `"`, `\"`, "${", `\${`)
	return `"` + r.Replace(s) + `"`
}

// answerWait bounds how long a service that should answer may take to do so
// (a unit started by switch may still be binding its socket). Waits end as
// soon as it answers.
const answerWait = 15 * time.Second

// closedWait is how long a port that should be closed (refused, or dropped
// by a firewall) is given to answer.
const closedWait = time.Second

// httpGet fetches url once and returns the body.
func fetchPage(url string, timeout time.Duration) (string, error) {
	cl := &http.Client{Timeout: timeout, Transport: &http.Transport{DisableKeepAlives: true, Proxy: nil}}
	resp, err := cl.Get(url)
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return "", err
	}
	if resp.StatusCode != 200 {
		return string(b), fmt.Errorf("%s: HTTP %d", url, resp.StatusCode)
	}
	return string(b), nil
}

// retry calls try until it succeeds or answerWait passes, pausing briefly
// between attempts; it returns the last error.
func pollUntil(try func() error) error {
	deadline := time.Now().Add(answerWait)
	pause := 10 * time.Millisecond
	for {
		err := try()
		if err == nil || time.Now().After(deadline) {
			return err
		}
		time.Sleep(pause) // a poll interval, not a wait for a guess: the deadline bounds it
		pause = min(2*pause, 250*time.Millisecond)
	}
}

// mustServe waits until url answers with a page containing want.
func mustServe(t testing.TB, url, want string) string {
	t.Helper()
	var body string
	err := pollUntil(func() error {
		var err error
		if body, err = fetchPage(url, 3*time.Second); err != nil {
			return err
		}
		if !strings.Contains(body, want) {
			return fmt.Errorf("page lacks %q:\n%s", want, body)
		}
		return nil
	})
	if err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
	return body
}

// mustBeClosed fails unless a TCP connection to addr fails within
// closedWait (refused, or dropped by a firewall).
func mustBeClosed(t testing.TB, addr string) {
	t.Helper()
	c, err := net.DialTimeout("tcp", addr, closedWait)
	if err == nil {
		c.Close()
		t.Fatalf("%s accepts connections, want it closed", addr)
	}
}

// indexTitle is the title of Apache's listing of an empty DocumentRoot.
const indexTitle = "<title>Index of /</title>"

// sshKey makes an ed25519 key pair in dir and returns the private key's path.
func sshKeyPair(t testing.TB, dir, name string) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if out, err := exec.Command("ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", name, "-f", p).CombinedOutput(); err != nil {
		t.Fatalf("ssh-keygen: %v\n%s", err, out)
	}
	return p
}

// sshRun runs a command in the container over ssh as root with key.
func sshAs(key, ip string, argv ...string) (string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	args := []string{"-i", key, "-o", "StrictHostKeyChecking=no", "-o", "UserKnownHostsFile=/dev/null",
		"-o", "BatchMode=yes", "-o", "ConnectTimeout=10", "-o", "LogLevel=ERROR", "root@" + ip}
	out, err := exec.CommandContext(ctx, "ssh", append(args, argv...)...).CombinedOutput()
	return string(out), err
}

const manualHttpd = `services.httpd.enable = true; services.httpd.adminAddr = "foo@example.org"; networking.firewall.allowedTCPPorts = [ 80 ];`

func TestScenarioManualWalkthrough(t *testing.T) {
	needRoot(t)
	t.Parallel()
	for _, tool := range []string{"ssh", "ssh-keygen", "ssh-keyscan"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Skipf("needs %s (Debian packages openssh-client, openssh-server)", tool)
		}
	}
	r := newTestRoot(t)
	c := r.scenarioCLI()
	dir := t.TempDir()
	key, stranger := sshKeyPair(t, dir, "key"), sshKeyPair(t, dir, "stranger")
	pub, err := os.ReadFile(key + ".pub")
	if err != nil {
		t.Fatal(err)
	}
	host, local := uniqueAddresses(t)
	name := uniqueName("mw")

	// # nixos-container create foo --config '...openssh...'
	_, stderr := c.must("create", name, "--host-address", host, "--local-address", local, "--config",
		`services.openssh.enable = true; users.users.root.openssh.authorizedKeys.keys = [ `+nixString(strings.TrimSpace(string(pub)))+` ];`)
	if want := fmt.Sprintf("host IP is %s, container IP is %s", host, local); !strings.Contains(stderr, want) {
		t.Errorf("create said %q, want %q", stderr, want)
	}
	// # nixos-container start foo
	c.must("start", name)
	if out, _ := c.must("status", name); strings.TrimSpace(out) != "up" {
		t.Fatalf("status after start: %q", out)
	}
	out, _ := c.must("show-ip", name)
	ip := strings.TrimSpace(out)
	if ip != local {
		t.Fatalf("show-ip = %q, want %s", ip, local)
	}

	// # ssh root@$(nixos-container show-ip foo)
	var uname string
	if err := pollUntil(func() (err error) { uname, err = sshAs(key, ip, "uname", "-a"); return err }); err != nil {
		t.Fatalf("ssh with the authorized key: %v\n%s", err, uname)
	}
	if !strings.HasPrefix(uname, "Linux ") {
		t.Errorf("uname -a over ssh printed %q", uname)
	}
	if out, err := sshAs(stranger, ip, "true"); err == nil || !strings.Contains(out, "Permission denied") {
		t.Errorf("ssh with a key that is not authorized: err %v, output %q; want permission denied", err, out)
	}

	// show-host-key is the key sshd presents.
	hk, _ := c.must("show-host-key", name)
	hkFields := strings.Fields(hk)
	scan, err := exec.Command("ssh-keyscan", "-T", "10", "-t", "ed25519", ip).Output()
	if err != nil {
		t.Fatalf("ssh-keyscan: %v", err)
	}
	scanFields := strings.Fields(string(scan)) // IP TYPE KEY
	if len(hkFields) < 2 || len(scanFields) < 3 || hkFields[0] != scanFields[1] || hkFields[1] != scanFields[2] {
		t.Errorf("show-host-key %q differs from the key sshd presents %q", hk, scan)
	}

	// Nothing answers on port 80 yet (the firewall drops it).
	mustBeClosed(t, net.JoinHostPort(ip, "80"))

	// # nixos-container update foo --config '...httpd...'
	_, stderr = c.must("update", name, "--config", manualHttpd)
	if !strings.Contains(stderr, "reloading container...") {
		t.Errorf("update of a running container said %q, want reloading container...", stderr)
	}
	// # curl http://$(nixos-container show-ip foo)/
	mustServe(t, "http://"+ip+"/", indexTitle)

	// The firewall is on: a second port Apache listens on stays closed
	// until networking.firewall.enable = false opens everything.
	both := `services.httpd.enable = true; services.httpd.adminAddr = "foo@example.org";
		services.httpd.listen = [ { port = 80; } { port = 8080; } ]; networking.firewall.allowedTCPPorts = [ 80 ];`
	c.must("update", name, "--config", both)
	mustServe(t, "http://"+ip+"/", indexTitle)
	mustBeClosed(t, net.JoinHostPort(ip, "8080"))
	c.must("update", name, "--config", both+" networking.firewall.enable = false;")
	mustServe(t, "http://"+ip+":8080/", indexTitle)

	// # nixos-container stop foo: curl fails.
	c.must("stop", name)
	if _, err := fetchPage("http://"+ip+"/", closedWait); err == nil {
		t.Errorf("Apache still answers after stop")
	}
}

// services.httpd.documentRoot with a file from environment.etc, on a port
// other than 80: curl sees the file.
func TestScenarioDocumentRoot(t *testing.T) {
	needRoot(t)
	t.Parallel()
	r := newTestRoot(t)
	c := r.scenarioCLI()
	token := uniqueName("page")
	host, local := uniqueAddresses(t)
	name := uniqueName("dr")
	c.must("create", name, "--host-address", host, "--local-address", local, "--config", `
		services.httpd.enable = true;
		services.httpd.adminAddr = "webmaster@example.org";
		services.httpd.documentRoot = "/etc/www";
		services.httpd.listen = [ { port = 8081; } ];
		environment.etc."www/index.html".text = "<html><head><title>`+token+`</title></head><body>hello</body></html>\n";
		networking.firewall.allowedTCPPorts = [ 8081 ];`)
	c.must("start", name)
	body := mustServe(t, "http://"+local+":8081/", "<title>"+token+"</title>")
	if !strings.Contains(body, "hello") {
		t.Errorf("page %q lacks the file's body", body)
	}
	mustServe(t, "http://"+local+":8081/index.html", token)
	mustBeClosed(t, net.JoinHostPort(local, "80"))

	// A new file through update is served at once.
	c.must("update", name, "--config", `
		services.httpd.enable = true;
		services.httpd.adminAddr = "webmaster@example.org";
		services.httpd.documentRoot = "/etc/www";
		services.httpd.listen = [ { port = 8081; } ];
		environment.etc."www/index.html".text = "<html><head><title>`+token+`</title></head><body>hello</body></html>\n";
		environment.etc."www/second.html".text = "second page\n";
		networking.firewall.allowedTCPPorts = [ 8081 ];`)
	mustServe(t, "http://"+local+":8081/second.html", "second page")
}
