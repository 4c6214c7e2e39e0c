package engine

import (
	"context"
	"crypto/tls"
	"crypto/x509"
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

	"github.com/nixcsh/nixcsh/core"
)

// nginxConfig is the container of TestNginxService: a default vhost with a
// root made by environment.etc and a location proxied to a second vhost on
// 127.0.0.1:8081, a forceSSL vhost whose certificate is given as files
// (path literals, copied into the system), one with enableACME (served
// with a self-signed certificate), and the status page. extra is
// added to it (the update's second vhost).
func nginxConfig(token, cert, key, extra string) string {
	return fmt.Sprintf(`
		services.nginx.enable = true;
		services.nginx.statusPage = true;
		services.nginx.recommendedProxySettings = true;
		services.nginx.virtualHosts.main = {
			default = true;
			root = "/etc/www";
			locations."/api/".proxyPass = "http://127.0.0.1:8081/";
			locations."/private/" = { alias = "/etc/backend/"; basicAuth.alice = "s3cret"; };
		};
		services.nginx.virtualHosts."acme.test" = { enableACME = true; onlySSL = true; root = "/etc/secure"; };
		services.nginx.virtualHosts.backend = {
			listen = [ { addr = "127.0.0.1"; port = 8081; } ];
			root = "/etc/backend";
		};
		services.nginx.virtualHosts."secure.test" = {
			forceSSL = true;
			sslCertificate = %s;
			sslCertificateKey = %s;
			root = "/etc/secure";
		};
		environment.etc."www/index.html".text = "main %[3]s\n";
		environment.etc."backend/index.html".text = "backend %[3]s\n";
		environment.etc."secure/index.html".text = "secure %[3]s\n";
		networking.firewall.allowedTCPPorts = [ 80 443 ];
		%[4]s`, cert, key, token, extra)
}

// nginxGet fetches url with the given Host header, without following
// redirects and trusting any certificate (the test's is self-signed).
func nginxGet(url, host string) (code int, body, location string, err error) {
	tr := &http.Transport{DisableKeepAlives: true, Proxy: nil, TLSClientConfig: &tls.Config{InsecureSkipVerify: true}}
	cl := &http.Client{Timeout: 3 * time.Second, Transport: tr,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	req, err := http.NewRequest("GET", url, nil)
	if err != nil {
		return 0, "", "", err
	}
	if host != "" {
		req.Host = host
	}
	resp, err := cl.Do(req)
	if err != nil {
		return 0, "", "", err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b), resp.Header.Get("Location"), err
}

// peerCert is the certificate the server at ip:443 presents for sni.
func peerCert(ip, sni string) (*x509.Certificate, error) {
	var c *x509.Certificate
	err := pollUntil(func() error {
		conn, err := tls.DialWithDialer(&net.Dialer{Timeout: 3 * time.Second}, "tcp", ip+":443", &tls.Config{ServerName: sni, InsecureSkipVerify: true})
		if err != nil {
			return err
		}
		defer conn.Close()
		c = conn.ConnectionState().PeerCertificates[0]
		return nil
	})
	return c, err
}

// mustAnswer waits until url (with Host host) answers code with a body
// containing want.
func mustAnswer(t *testing.T, url, host string, code int, want string) {
	t.Helper()
	err := pollUntil(func() error {
		c, body, _, err := nginxGet(url, host)
		if err != nil {
			return err
		}
		if c != code || !strings.Contains(body, want) {
			return fmt.Errorf("HTTP %d %q, want %d with %q", c, body, code, want)
		}
		return nil
	})
	if err != nil {
		t.Fatalf("GET %s (Host %q): %v", url, host, err)
	}
}

// services.nginx runs the host's nginx: static files, a proxied location,
// the status page, HTTPS with a certificate given as files and forceSSL's
// redirect; an update adding a vhost and a renewed certificate reloads nginx
// (same main process), both vhosts answer and the new certificate is served.
func TestNginxService(t *testing.T) {
	needRoot(t)
	if _, err := os.Stat("/usr/sbin/nginx"); err != nil {
		t.Skip("needs the host's nginx (Debian package nginx), which setup.sh installs")
	}
	t.Parallel()
	r := newTestRoot(t)
	dir := t.TempDir()
	cert, key := filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	makeCert := func() {
		if out, err := exec.Command("openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
			"-subj", "/CN=secure.test", "-keyout", key, "-out", cert).CombinedOutput(); err != nil {
			t.Fatalf("openssl: %v\n%s", err, out)
		}
	}
	makeCert()
	token := uniqueName("tok")
	config := nginxConfig(token, cert, key, "")

	host, local := uniqueAddresses(t)
	c, err := r.M.Create(context.Background(), uniqueName("ng"), core.CreateOptions{Config: config, HostAddress: host, LocalAddress: local})
	if err != nil {
		t.Fatal(err)
	}
	name := c.Name
	r.start(name)
	t.Cleanup(func() { // runs before the container is destroyed
		if t.Failed() {
			_, out, _ := r.runCode(name, "journalctl", "--no-pager", "-n", "60", "-u", "nginx", "-u", "acme-selfsigned-*")
			t.Logf("nginx's journal:\n%s", out)
		}
	})
	base := "http://" + local

	mustAnswer(t, base+"/", "", 200, "main "+token)
	mustAnswer(t, base+"/api/", "", 200, "backend "+token)
	mustBeClosed(t, net.JoinHostPort(local, "8081")) // the backend listens on 127.0.0.1 only

	status := r.run(name, "curl", "-sS", "-H", "Host: localhost", "http://127.0.0.1/nginx_status")
	if !strings.Contains(status, "Active connections:") {
		t.Errorf("/nginx_status inside: %q", status)
	}
	if code, _, _, err := nginxGet(base+"/nginx_status", "localhost"); err != nil || code != 403 {
		t.Errorf("/nginx_status from the host: HTTP %d, %v; want 403", code, err)
	}

	mustAnswer(t, "https://"+local+"/", "", 200, "secure "+token)
	out := r.run(name, "curl", "-sSk", "https://127.0.0.1/")
	if !strings.Contains(out, "secure "+token) {
		t.Errorf("curl -k https inside: %q", out)
	}
	code, _, loc, err := nginxGet(base+"/page?q=1", "secure.test")
	if err != nil || code != 301 || loc != "https://secure.test/page?q=1" {
		t.Errorf("forceSSL: HTTP %d Location %q, %v; want 301 to https://secure.test/page?q=1", code, loc, err)
	}
	// enableACME's vhost answers with its own self-signed certificate.
	if c, err := peerCert(local, "acme.test"); err != nil || c.Subject.CommonName != "acme.test" {
		t.Errorf("TLS to acme.test: certificate %v, %v; want one for acme.test", c, err)
	}

	// Basic auth: the password file written from basicAuth is read by nginx's workers.
	if code, _, _, err := nginxGet(base+"/private/", ""); err != nil || code != 401 {
		t.Errorf("/private/ without a password: HTTP %d, %v; want 401", code, err)
	}
	mustAnswer(t, "http://alice:s3cret@"+local+"/private/", "", 200, "backend "+token)

	// The keys are readable by nginx's group only: the one given as a file
	// (copied into the system) and the self-signed one.
	if st := strings.TrimSpace(r.run(name, "sh", "-c", "stat -L -c '%a %G' $(grep -o '/etc/nginx/files/[^;]*-key.pem' /etc/nginx/nginx.conf)")); st != "440 nginx" {
		t.Errorf("the key's mode and group in the container: %q, want 440 nginx", st)
	}
	if st := strings.TrimSpace(r.run(name, "stat", "-c", "%a %G", "/var/lib/acme/acme.test/key.pem")); st != "640 nginx" {
		t.Errorf("the self-signed key's mode and group: %q, want 640 nginx", st)
	}

	before := r.unitProps(name, "nginx.service")["nginx.service"]
	oldCert, err := peerCert(local, "secure.test")
	if err != nil {
		t.Fatal(err)
	}
	makeCert() // a renewed certificate at the same paths: the update copies it in and reloads nginx
	second := `services.nginx.virtualHosts.second = { serverName = "second.test"; root = "/etc/second"; };
		environment.etc."second/index.html".text = "second ` + token + `\n";`
	if _, err := r.M.Update(timeout(t), name, core.UpdateOptions{Config: &[]string{nginxConfig(token, cert, key, second)}[0]}); err != nil {
		t.Fatalf("update: %v", err)
	}
	mustAnswer(t, base+"/", "second.test", 200, "second "+token)
	mustAnswer(t, base+"/", "", 200, "main "+token)
	mustAnswer(t, base+"/api/", "", 200, "backend "+token)
	err = pollUntil(func() error {
		c, err := peerCert(local, "secure.test")
		if err == nil && c.SerialNumber.Cmp(oldCert.SerialNumber) == 0 {
			err = fmt.Errorf("still the old certificate (serial %v)", c.SerialNumber)
		}
		return err
	})
	if err != nil {
		t.Errorf("the renewed certificate is not served: %v", err)
	}
	if after := r.unitProps(name, "nginx.service")["nginx.service"]; after != before {
		t.Errorf("a new vhost restarted nginx (%s, then %s); it should reload it", before, after)
	}
}
