package engine

import (
	"net"
	"os"
	"strings"
	"testing"

	"golang.org/x/net/dns/dnsmessage"

	"github.com/nixcsh/nixcsh/core"
)

// serveDNS answers A queries for name with addr on a UDP socket at host
// (port chosen by the kernel) until the test ends; it returns "IP:PORT".
func serveDNS(t *testing.T, host, name string, addr [4]byte) string {
	t.Helper()
	pc, err := net.ListenPacket("udp4", net.JoinHostPort(host, "0"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { pc.Close() })
	go func() {
		buf := make([]byte, 1500)
		for {
			n, from, err := pc.ReadFrom(buf)
			if err != nil {
				return
			}
			var p dnsmessage.Parser
			h, err := p.Start(buf[:n])
			if err != nil {
				continue
			}
			q, err := p.Question()
			if err != nil {
				continue
			}
			b := dnsmessage.NewBuilder(nil, dnsmessage.Header{ID: h.ID, Response: true, RecursionDesired: h.RecursionDesired, RecursionAvailable: true})
			b.StartQuestions()
			b.Question(q)
			b.StartAnswers()
			if q.Type == dnsmessage.TypeA && strings.EqualFold(q.Name.String(), name+".") {
				b.AResource(dnsmessage.ResourceHeader{Name: q.Name, Class: dnsmessage.ClassINET, TTL: 60}, dnsmessage.AResource{A: addr})
			}
			if out, err := b.Finish(); err == nil {
				pc.WriteTo(out, from)
			}
		}
	}()
	return pc.LocalAddr().String()
}

// TestResolved: services.resolved runs the host's systemd-resolved in the
// container; /etc/resolv.conf points to its stub, and a lookup inside goes
// through it to networking.nameservers (a DNS server of the test's, on the
// host side of the container's link).
func TestResolved(t *testing.T) {
	needRoot(t)
	if _, err := os.Stat("/usr/lib/systemd/systemd-resolved"); err != nil {
		t.Skip("needs the host's systemd-resolved (Debian package systemd-resolved, which setup.sh installs)")
	}
	t.Parallel()
	r := newTestRoot(t)
	// The DNS server listens on the host side of the container's link,
	// which exists once the container runs; resolved comes with an update.
	name := r.create("rs", "")
	r.start(name)
	host, _ := r.addresses(name)
	dns := serveDNS(t, host, "probe.nixcsh.test", [4]byte{10, 9, 8, 7})
	cfg := `services.resolved.enable = true;
  networking.nameservers = [ "` + dns + `" ];`
	if _, err := r.M.Update(timeout(t), name, core.UpdateOptions{Config: &cfg}); err != nil {
		t.Fatal(err)
	}
	if out := r.run(name, "systemctl", "is-active", "systemd-resolved.service"); strings.TrimSpace(out) != "active" {
		t.Fatalf("systemd-resolved is %q", out)
	}
	if out := r.run(name, "readlink", "-f", "/etc/resolv.conf"); strings.TrimSpace(out) != "/run/systemd/resolve/stub-resolv.conf" {
		t.Errorf("/etc/resolv.conf resolves to %q", out)
	}
	if out := r.run(name, "cat", "/etc/resolv.conf"); !strings.Contains(out, "nameserver 127.0.0.53") {
		t.Errorf("/etc/resolv.conf:\n%s", out)
	}
	var out string
	err := pollUntil(func() error {
		code, o, e := r.runCode(name, "getent", "hosts", "probe.nixcsh.test")
		out = o + e
		if code != 0 {
			return os.ErrNotExist
		}
		return nil
	})
	if err != nil || !strings.HasPrefix(out, "10.9.8.7 ") {
		t.Errorf("getent hosts probe.nixcsh.test: %v %q", err, out)
	}
}
