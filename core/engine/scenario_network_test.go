package engine

// The network parts of the walk-through, through the nixcsh binary: HOST_PORT
// forwards (--port), HOST_BRIDGE (--bridge), IPv6-only containers and
// containers reaching each other through the host.

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/vishvananda/netlink"

	"github.com/nixcsh/nixcsh/core/conf"
	"github.com/nixcsh/nixcsh/core/network"
)

// freeHostPort is a port nothing on the host listens on (for proto "tcp" or
// "udp") at the time of the call.
func freeHostPort(t testing.TB, proto string) int {
	t.Helper()
	if proto == "udp" {
		c, err := net.ListenPacket("udp4", "0.0.0.0:0")
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		return c.LocalAddr().(*net.UDPAddr).Port
	}
	l, err := net.Listen("tcp4", "0.0.0.0:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// hostOwnAddress is one of the host's own IPv4 addresses that is neither
// loopback nor on a container's link.
func hostOwnAddress(t testing.TB) string {
	t.Helper()
	ifs, err := net.Interfaces()
	if err != nil {
		t.Fatal(err)
	}
	for _, i := range ifs {
		if i.Flags&net.FlagUp == 0 || i.Flags&net.FlagLoopback != 0 ||
			strings.HasPrefix(i.Name, "ve-") || strings.HasPrefix(i.Name, "vb-") {
			continue
		}
		addrs, _ := i.Addrs()
		for _, a := range addrs {
			if n, ok := a.(*net.IPNet); ok && n.IP.To4() != nil && !strings.HasPrefix(n.IP.String(), "10.234.") {
				return n.IP.String()
			}
		}
	}
	t.Skip("the host has no non-loopback IPv4 address to test forwards from")
	return ""
}

// udpAsk sends msg to addr and returns the first reply, trying again until
// answerWait passes (the service may still be binding its socket).
func udpAsk(addr, msg string) (string, error) {
	var reply string
	err := pollUntil(func() error {
		c, err := net.Dial("udp4", addr)
		if err != nil {
			return err
		}
		defer c.Close()
		if _, err := c.Write([]byte(msg)); err != nil {
			return err
		}
		c.SetReadDeadline(time.Now().Add(500 * time.Millisecond))
		b := make([]byte, 1500)
		n, err := c.Read(b)
		if err != nil {
			return err
		}
		reply = string(b[:n])
		return nil
	})
	return reply, err
}

// udpEchoService answers every datagram on port with "echo:" and the
// datagram, with perl from the host's /usr (perl-base: always on Debian).
func udpEchoService(port int) string {
	return fmt.Sprintf(`systemd.services.udpecho = {
		wantedBy = [ "multi-user.target" ];
		script = ''
		  exec /usr/bin/perl -MIO::Socket::INET -e '$s = IO::Socket::INET->new(LocalPort => %d, Proto => "udp") or die "udp: $!"; while (1) { $p = $s->recv($m, 1500); $s->send("echo:$m", 0, $p) if defined $p }'
		'';
	};`, port)
}

func TestScenarioPortForward(t *testing.T) {
	needRoot(t)
	t.Parallel()
	if _, err := os.Stat("/usr/bin/perl"); err != nil {
		t.Skip("needs /usr/bin/perl (Debian package perl-base) for the UDP echo service")
	}
	r := newTestRoot(t)
	c := r.scenarioCLI()
	hostIP := hostOwnAddress(t)
	h1, h2, hu := freeHostPort(t, "tcp"), freeHostPort(t, "tcp"), freeHostPort(t, "udp")
	host, local := uniqueAddresses(t)
	name := uniqueName("pf")
	ports := fmt.Sprintf("tcp:%d:80,%d:80,udp:%d:5353", h1, h2, hu)
	c.must("create", name, "--host-address", host, "--local-address", local, "--port", ports, "--config",
		manualHttpd+" networking.firewall.allowedUDPPorts = [ 5353 ]; "+udpEchoService(5353))
	f, err := conf.Read(r.M.Paths.ConfFile(name))
	if err != nil {
		t.Fatal(err)
	}
	if got := f.Get(conf.HostPort); got != ports {
		t.Errorf("HOST_PORT = %q, want %q", got, ports)
	}
	c.must("start", name)

	var tcpTargets []string
	for _, hp := range []int{h1, h2} {
		for _, a := range []string{"127.0.0.1", hostIP} {
			tcpTargets = append(tcpTargets, net.JoinHostPort(a, strconv.Itoa(hp)))
		}
	}
	for _, to := range tcpTargets {
		mustServe(t, "http://"+to+"/", indexTitle)
	}
	udpTargets := []string{net.JoinHostPort("127.0.0.1", strconv.Itoa(hu)), net.JoinHostPort(hostIP, strconv.Itoa(hu))}
	for _, to := range udpTargets {
		if got, err := udpAsk(to, "ping "+to); err != nil || got != "echo:ping "+to {
			t.Errorf("udp forward %s: reply %q, %v", to, got, err)
		}
	}

	c.must("stop", name)
	for _, to := range tcpTargets {
		if _, err := fetchPage("http://"+to+"/", closedWait); err == nil {
			t.Errorf("%s still reaches Apache after stop", to)
		}
	}
	for _, to := range udpTargets {
		conn, err := net.Dial("udp4", to)
		if err != nil {
			t.Fatal(err)
		}
		conn.Write([]byte("anyone?"))
		conn.SetReadDeadline(time.Now().Add(closedWait))
		if n, err := conn.Read(make([]byte, 100)); err == nil {
			t.Errorf("udp %s still answers after stop (%d bytes)", to, n)
		}
		conn.Close()
	}
}

// makeBridge makes a host bridge with addr (CIDR) on it, removed at the end
// of the test (after the containers on it: register it before newTestRoot).
func makeBridge(t testing.TB, addr string) string {
	t.Helper()
	b := make([]byte, 3)
	rand.Read(b)
	name := "nxsb" + hex.EncodeToString(b)
	attrs := netlink.NewLinkAttrs()
	attrs.Name = name
	br := &netlink.Bridge{LinkAttrs: attrs}
	if err := netlink.LinkAdd(br); err != nil {
		t.Fatalf("creating bridge %s: %v", name, err)
	}
	t.Cleanup(func() {
		if l, err := netlink.LinkByName(name); err == nil {
			if err := netlink.LinkDel(l); err != nil {
				t.Errorf("removing bridge %s: %v", name, err)
			}
		}
	})
	a, err := netlink.ParseAddr(addr)
	if err != nil {
		t.Fatal(err)
	}
	if err := netlink.AddrAdd(br, a); err != nil {
		t.Fatalf("address %s on %s: %v", addr, name, err)
	}
	if err := netlink.LinkSetUp(br); err != nil {
		t.Fatal(err)
	}
	return name
}

// uniqueSubnet29 is a /29 of 10.234.0.0/16 no host interface uses: its
// first address and the next ones, as strings without prefix.
func uniqueSubnet29(t testing.TB) []string {
	t.Helper()
	out, err := hostIPv4Addresses()
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 100; i++ {
		b := make([]byte, 2)
		rand.Read(b)
		base := int(b[1]) &^ 7
		var addrs []string
		used := false
		for k := 1; k <= 6; k++ {
			a := fmt.Sprintf("10.234.%d.%d", b[0], base+k)
			used = used || strings.Contains(out, a+"/")
			addrs = append(addrs, a)
		}
		if !used {
			return addrs
		}
	}
	t.Fatal("no free /29 for the bridge")
	return nil
}

func hostIPv4Addresses() (string, error) {
	var b strings.Builder
	links, err := netlink.LinkList()
	if err != nil {
		return "", err
	}
	for _, l := range links {
		addrs, _ := netlink.AddrList(l, netlink.FAMILY_V4)
		for _, a := range addrs {
			b.WriteString(a.IPNet.String() + "\n")
		}
	}
	return b.String(), nil
}

func TestScenarioBridge(t *testing.T) {
	needRoot(t)
	t.Parallel()
	addrs := uniqueSubnet29(t)
	br := makeBridge(t, addrs[0]+"/29")
	r := newTestRoot(t)
	c := r.scenarioCLI()
	web, client := uniqueName("bw"), uniqueName("bc")
	c.must("create", web, "--bridge", br, "--host-address", addrs[0], "--local-address", addrs[1]+"/29", "--config", manualHttpd)
	c.must("create", client, "--bridge", br, "--host-address", addrs[0], "--local-address", addrs[2]+"/29", "--config", "")
	c.must("start", web)
	c.must("start", client)

	for _, n := range []string{web, client} {
		l, err := netlink.LinkByName(network.HostLinkName(n, true))
		if err != nil {
			t.Fatalf("host side of %s: %v", n, err)
		}
		bl, _ := netlink.LinkByName(br)
		if bl == nil || l.Attrs().MasterIndex != bl.Attrs().Index {
			t.Errorf("%s is not enslaved to %s", l.Attrs().Name, br)
		}
	}
	if out, _ := c.must("show-ip", web); strings.TrimSpace(out) != addrs[1] {
		t.Errorf("show-ip %s = %q, want %s (no prefix)", web, out, addrs[1])
	}
	// The host reaches the web container over the bridge, and so does the
	// other container, directly on the bridge (bash's /dev/tcp client).
	mustServe(t, "http://"+addrs[1]+"/", indexTitle)
	get := fmt.Sprintf(`exec 3<>/dev/tcp/%s/80 && printf 'GET / HTTP/1.0\r\nHost: web\r\n\r\n' >&3 && cat <&3`, addrs[1])
	if out := r.run(client, "bash", "-c", get); !strings.Contains(out, indexTitle) {
		t.Errorf("%s fetching from %s over the bridge got %q", client, web, out)
	}
	c.must("stop", client)
	c.must("stop", web)
	for _, n := range []string{web, client} {
		if network.LinkExists(network.HostLinkName(n, true)) {
			t.Errorf("%s still exists after stop", network.HostLinkName(n, true))
		}
	}
}

// uniqueAddresses6 is a host/container pair in a /64 of fd7e:5a1f::/32 that no
// host interface holds.
func uniqueAddresses6(t testing.TB) (host, local string) {
	t.Helper()
	b := make([]byte, 4)
	rand.Read(b)
	p := fmt.Sprintf("fd7e:5a1f:%x:%x", uint16(b[0])<<8|uint16(b[1]), uint16(b[2])<<8|uint16(b[3]))
	return p + "::1", p + "::2"
}

func TestScenarioIPv6Only(t *testing.T) {
	needRoot(t)
	t.Parallel()
	r := newTestRoot(t)
	c := r.scenarioCLI()
	name := uniqueName("v6")
	// IPv6 addresses given to create go to HOST_ADDRESS6/LOCAL_ADDRESS6.
	host6, local6 := uniqueAddresses6(t)
	_, stderr := c.must("create", name, "--host-address", host6, "--local-address", local6+"/64", "--config", manualHttpd)
	if want := fmt.Sprintf("host IP is %s, container IP is %s/64", host6, local6); !strings.Contains(stderr, want) {
		t.Errorf("create said %q, want %q", stderr, want)
	}
	f, err := conf.Read(r.M.Paths.ConfFile(name))
	if err != nil {
		t.Fatal(err)
	}
	if f.Get(conf.HostAddress) != "" || f.Get(conf.LocalAddress) != "" || f.Get(conf.HostAddress6) != host6 || f.Get(conf.LocalAddress6) != local6+"/64" {
		t.Errorf("conf of an IPv6-only container:\n%s", f)
	}
	if out, _ := c.must("show-ip", name); strings.TrimSpace(out) != local6 {
		t.Errorf("show-ip = %q, want %s", out, local6)
	}
	c.must("start", name)
	mustServe(t, "http://"+net.JoinHostPort(local6, "80")+"/", indexTitle)
	if a, _ := netlink.AddrList(mustHostLink(t, name), netlink.FAMILY_V4); len(a) != 0 {
		t.Errorf("the host side of an IPv6-only container has IPv4 addresses %v", a)
	}
	c.must("stop", name)
	if _, err := fetchPage("http://"+net.JoinHostPort(local6, "80")+"/", closedWait); err == nil {
		t.Errorf("Apache still answers on %s after stop", local6)
	}
}

func mustHostLink(t testing.TB, name string) netlink.Link {
	t.Helper()
	l, err := netlink.LinkByName(network.HostLinkName(name, false))
	if err != nil {
		t.Fatalf("host link of %s: %v", name, err)
	}
	return l
}

// A web container fetches from a backend container by the backend's
// LOCAL_ADDRESS, routed through the host (as scripts/workflows/web-and-db.lua
// does), over IPv4 and IPv6.
func TestScenarioContainerToContainer(t *testing.T) {
	needRoot(t)
	t.Parallel()
	r := newTestRoot(t)
	c := r.scenarioCLI()
	type box struct{ name, local4, local6 string }
	var boxes []box
	for _, prefix := range []string{"be", "fe"} {
		b := box{name: uniqueName(prefix)}
		var host4, host6 string
		host4, b.local4 = uniqueAddresses(t)
		host6, b.local6 = uniqueAddresses6(t)
		c.must("create", b.name, "--host-address", host4, "--local-address", b.local4, "--config", manualHttpd)
		p := r.M.Paths.ConfFile(b.name)
		f, err := conf.Read(p)
		if err != nil {
			t.Fatal(err)
		}
		// Dual stack: create takes one family, the conf holds both.
		f.Set(conf.HostAddress6, host6)
		f.Set(conf.LocalAddress6, b.local6)
		if err := f.Write(p); err != nil {
			t.Fatal(err)
		}
		c.must("start", b.name)
		boxes = append(boxes, b)
	}
	backend, web := boxes[0], boxes[1]
	for _, to := range []string{backend.local4, "[" + backend.local6 + "]"} {
		out := r.run(web.name, "curl", "-sS", "-m", "10", "http://"+to+"/")
		if !strings.Contains(out, indexTitle) {
			t.Errorf("%s fetching http://%s/ from %s got %q", web.name, to, backend.name, out)
		}
	}
	out := r.run(backend.name, "curl", "-sS", "-m", "10", "http://"+web.local4+"/")
	if !strings.Contains(out, indexTitle) {
		t.Errorf("%s fetching from %s got %q", backend.name, web.name, out)
	}
}
