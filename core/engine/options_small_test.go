package engine

import (
	"bufio"
	"fmt"
	"net"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/nixcsh/nixcsh/core"
	"github.com/nixcsh/nixcsh/core/conf"
	"github.com/nixcsh/nixcsh/core/network"
)

// End-to-end tests of the small options real configurations use:
// networking.interfaces / defaultGateway, systemd.sockets, systemd.paths,
// networking.firewall.trustedInterfaces.

// addresses is the container's HOST_ADDRESS and LOCAL_ADDRESS.
func (r *testRoot) addresses(name string) (host, local string) {
	r.t.Helper()
	f, err := r.M.Conf(name)
	if err != nil {
		r.t.Fatal(err)
	}
	return f.Get(conf.HostAddress), f.Get(conf.LocalAddress)
}

// echoes dials addr, sends a line and waits for it to come back.
func echoes(addr, line string) error {
	c, err := net.DialTimeout("tcp", addr, closedWait)
	if err != nil {
		return err
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(3 * time.Second))
	if _, err := fmt.Fprintf(c, "%s\n", line); err != nil {
		return err
	}
	got, err := bufio.NewReader(c).ReadString('\n')
	if err != nil {
		return err
	}
	if got != line+"\n" {
		return fmt.Errorf("%s echoed %q, want %q", addr, got, line)
	}
	return nil
}

// echoSocket is a socket-activated echo service on port: one `cat` per
// connection (Accept=yes), its stdin and stdout the connection.
func echoSocket(port int) string {
	return fmt.Sprintf(`systemd.sockets.echo = {
    wantedBy = [ "sockets.target" ];
    listenStreams = [ "%d" ];
    socketConfig.Accept = true;
  };
  systemd.services."echo@".serviceConfig = { ExecStart = "/usr/bin/cat"; StandardInput = "socket"; };
`, port)
}

// TestInterfaceAddresses: a second address on eth0 and a default gateway,
// both set from inside by the units the options make; the address answers
// a ping from the host, and an update that drops it takes it away.
func TestInterfaceAddresses(t *testing.T) {
	needRoot(t)
	t.Parallel()
	r := newTestRoot(t)
	_, extra := uniqueAddresses(t)
	config := func(addr, net string) string {
		return `networking.interfaces.eth0.ipv4.addresses = [ { address = "` + addr + `"; prefixLength = 32; } ];
  networking.interfaces.eth0.ipv4.routes = [ { address = "` + net + `"; prefixLength = 24; options.metric = "7"; } ];
  networking.defaultGateway = { address = "10.234.255.254"; interface = "eth0"; };
  systemd.services.network-setup.serviceConfig.ExecStartPre = "ip route replace 10.234.255.254/32 dev eth0";`
	}
	name := r.create("if", config(extra, "10.235.7.0"))
	r.start(name)
	if out := r.run(name, "ip", "-o", "-4", "addr", "show", "dev", "eth0"); !strings.Contains(out, " "+extra+"/32 ") {
		t.Errorf("eth0 lacks %s:\n%s", extra, out)
	}
	if out := r.run(name, "ip", "route", "show", "default"); !strings.Contains(out, "default via 10.234.255.254 dev eth0") {
		t.Errorf("default route is %q, want via 10.234.255.254", out)
	}
	if out := r.run(name, "ip", "route", "show", "10.235.7.0/24"); !strings.Contains(out, "10.235.7.0/24 dev eth0") || !strings.Contains(out, "metric 7") {
		t.Errorf("route to 10.235.7.0/24 is %q", out)
	}
	// The host reaches the new address through the container's link (a
	// route that goes away with the link when the container is destroyed).
	if _, err := exec.LookPath("ping"); err == nil {
		link := network.HostLinkName(name, false)
		if out, err := exec.Command("ip", "route", "replace", extra+"/32", "dev", link).CombinedOutput(); err != nil {
			t.Fatalf("ip route replace %s dev %s: %v: %s", extra, link, err, out)
		}
		if out, err := exec.Command("ping", "-c", "1", "-W", "5", extra).CombinedOutput(); err != nil {
			t.Errorf("ping %s from the host: %v\n%s", extra, err, out)
		}
	}

	_, other := uniqueAddresses(t)
	cfg := config(other, "10.235.8.0")
	if _, err := r.M.Update(timeout(t), name, core.UpdateOptions{Config: &cfg}); err != nil {
		t.Fatal(err)
	}
	out := r.run(name, "ip", "-o", "-4", "addr", "show", "dev", "eth0")
	if !strings.Contains(out, " "+other+"/32 ") || strings.Contains(out, " "+extra+"/32 ") {
		t.Errorf("after the update eth0 should have %s and not %s:\n%s", other, extra, out)
	}
	if out := r.run(name, "ip", "route", "show", "dev", "eth0"); !strings.Contains(out, "10.235.8.0/24") || strings.Contains(out, "10.235.7.0/24") {
		t.Errorf("after the update the routes should be to 10.235.8.0/24 and not 10.235.7.0/24:\n%s", out)
	}
}

// TestSocketActivation: a systemd.sockets unit with Accept=yes and its
// template service answer on the port from the host, one `cat` per
// connection started by systemd when a client connects.
func TestSocketActivation(t *testing.T) {
	needRoot(t)
	t.Parallel()
	r := newTestRoot(t)
	name := r.create("so", echoSocket(7007)+`  networking.firewall.allowedTCPPorts = [ 7007 ];`)
	r.start(name)
	_, local := r.addresses(name)
	if out := r.run(name, "systemctl", "is-active", "echo.socket"); strings.TrimSpace(out) != "active" {
		t.Errorf("echo.socket is %q", out)
	}
	addr := net.JoinHostPort(local, "7007")
	if err := pollUntil(func() error { return echoes(addr, "hello through a socket unit") }); err != nil {
		t.Fatal(err)
	}
	if err := echoes(addr, "a second connection"); err != nil {
		t.Errorf("second connection: %v", err)
	}
}

// TestPathUnit: a systemd.paths unit starts its service when the file it
// watches appears.
func TestPathUnit(t *testing.T) {
	needRoot(t)
	t.Parallel()
	r := newTestRoot(t)
	name := r.create("pa", `systemd.paths.flag = {
    wantedBy = [ "multi-user.target" ];
    pathConfig.PathExists = "/run/flag";
  };
  systemd.services.flag = {
    serviceConfig = { Type = "oneshot"; RemainAfterExit = true; };
    script = "echo fired > /run/fired";
  };`)
	r.start(name)
	if code, _, _ := r.runCode(name, "test", "-e", "/run/fired"); code == 0 {
		t.Fatal("flag.service ran before /run/flag existed")
	}
	r.run(name, "touch", "/run/flag")
	err := pollUntil(func() error {
		code, out, _ := r.runCode(name, "cat", "/run/fired")
		if code != 0 || out != "fired\n" {
			return fmt.Errorf("/run/fired: exit %d, %q", code, out)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// TestTrustedInterfaces: a port the firewall drops answers once eth0 is a
// trusted interface (an update, applied to the running container).
func TestTrustedInterfaces(t *testing.T) {
	needRoot(t)
	t.Parallel()
	r := newTestRoot(t)
	name := r.create("tr", echoSocket(7008))
	r.start(name)
	_, local := r.addresses(name)
	addr := net.JoinHostPort(local, "7008")
	r.run(name, "systemctl", "is-active", "echo.socket")
	mustBeClosed(t, addr)

	// A port opened on the container's interface only answers too.
	cfg := echoSocket(7008) + `  networking.firewall.interfaces.eth0.allowedTCPPorts = [ 7008 ];`
	if _, err := r.M.Update(timeout(t), name, core.UpdateOptions{Config: &cfg}); err != nil {
		t.Fatal(err)
	}
	if err := pollUntil(func() error { return echoes(addr, "through a port open on eth0") }); err != nil {
		t.Fatal(err)
	}
	cfg = echoSocket(7008) + `  networking.firewall.interfaces.wg0.allowedTCPPorts = [ 7008 ];`
	if _, err := r.M.Update(timeout(t), name, core.UpdateOptions{Config: &cfg}); err != nil {
		t.Fatal(err)
	}
	mustBeClosed(t, addr)

	cfg = echoSocket(7008) + `  networking.firewall.trustedInterfaces = [ "eth0" ];`
	if _, err := r.M.Update(timeout(t), name, core.UpdateOptions{Config: &cfg}); err != nil {
		t.Fatal(err)
	}
	if err := pollUntil(func() error { return echoes(addr, "through a trusted interface") }); err != nil {
		t.Fatal(err)
	}
}
