package network

import (
	"context"
	"crypto/rand"
	"encoding/binary"
	"errors"
	"net"
	"os"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/nftables"
	"github.com/vishvananda/netlink"
	"github.com/vishvananda/netns"
	"golang.org/x/net/icmp"
	"golang.org/x/net/ipv4"
	"golang.org/x/net/ipv6"

	"github.com/nixcsh/nixcsh/core/fault"
)

// ping sends one ICMP (or ICMPv6) echo request to addr from the host and
// reports whether the matching reply came back within a second.
func ping(t testing.TB, addr string) bool {
	t.Helper()
	ip := net.ParseIP(addr)
	network, listen, proto := "ip4:icmp", "0.0.0.0", 1
	var typ icmp.Type = ipv4.ICMPTypeEcho
	if ip.To4() == nil {
		network, listen, proto, typ = "ip6:ipv6-icmp", "::", 58, ipv6.ICMPTypeEchoRequest
	}
	c, err := icmp.ListenPacket(network, listen)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	var idb [2]byte
	rand.Read(idb[:])
	id := int(binary.BigEndian.Uint16(idb[:]))
	msg, _ := (&icmp.Message{Type: typ, Body: &icmp.Echo{ID: id, Seq: 1, Data: []byte("nixcsh")}}).Marshal(nil)
	if _, err := c.WriteTo(msg, &net.IPAddr{IP: ip}); err != nil {
		t.Fatal(err)
	}
	c.SetReadDeadline(time.Now().Add(time.Second))
	buf := make([]byte, 1500)
	for {
		n, from, err := c.ReadFrom(buf)
		if err != nil {
			return false // deadline: no reply
		}
		m, err := icmp.ParseMessage(proto, buf[:n])
		if err != nil || !from.(*net.IPAddr).IP.Equal(ip) {
			continue
		}
		if e, ok := m.Body.(*icmp.Echo); ok && e.ID == id && (m.Type == ipv4.ICMPTypeEchoReply || m.Type == ipv6.ICMPTypeEchoReply) {
			return true
		}
	}
}

func TestSetupReachability(t *testing.T) {
	requireRoot(t)
	name, n := uniqueName(t), nextSubnet()
	s := Spec{Container: name, Owner: t.TempDir(), HostAddress: n.host4, LocalAddress: n.local4}
	ns := setupT(t, s)

	host, err := netlink.LinkByName("ve-" + name)
	if err != nil {
		t.Fatalf("host link: %v", err)
	}
	if host.Attrs().Alias != ownerAlias(name, s.Owner) {
		t.Errorf("host link alias %q", host.Attrs().Alias)
	}
	// eth0 inside has LOCAL_ADDRESS/32 and the default route via HOST_ADDRESS.
	h, err := netns.GetFromPath(ns)
	if err != nil {
		t.Fatal(err)
	}
	defer h.Close()
	in, err := netlink.NewHandleAt(h)
	if err != nil {
		t.Fatal(err)
	}
	defer in.Close()
	eth, err := in.LinkByName("eth0")
	if err != nil {
		t.Fatalf("eth0 inside: %v", err)
	}
	addrs, _ := in.AddrList(eth, netlink.FAMILY_V4)
	if len(addrs) != 1 || addrs[0].IPNet.String() != n.local4+"/32" {
		t.Errorf("eth0 addresses %v, want %s/32", addrs, n.local4)
	}
	routes, _ := in.RouteList(eth, netlink.FAMILY_V4)
	var gw string
	for _, r := range routes {
		if r.Dst == nil || r.Dst.IP.IsUnspecified() {
			gw = r.Gw.String()
		}
	}
	if gw != n.host4 {
		t.Errorf("default route via %q, want %s (routes %v)", gw, n.host4, routes)
	}

	// Host -> container, container -> host, ping.
	inside := serveHello(t, ns, "tcp4", n.local4+":0")
	mustHello(t, "", "tcp4", inside.String())
	onHost := serveHello(t, "", "tcp4", n.host4+":0")
	mustHello(t, ns, "tcp4", onHost.String())
	if !ping(t, n.local4) {
		t.Errorf("no ping reply from %s", n.local4)
	}

	if err := Teardown(s); err != nil {
		t.Fatal(err)
	}
	assertGone(t, name)
	if err := hello(t, "", "tcp4", inside.String(), blockedTimeout); err == nil {
		t.Errorf("container still reachable after Teardown")
	}
	if err := Teardown(s); err != nil { // idempotent
		t.Errorf("second Teardown: %v", err)
	}
}

func TestIPv6Only(t *testing.T) {
	requireRoot(t)
	name, n := uniqueName(t), nextSubnet()
	s := Spec{Container: name, HostAddress6: n.host6, LocalAddress6: n.local6 + "/64"}
	ns := setupT(t, s)
	inside := serveHello(t, ns, "tcp6", "["+n.local6+"]:0")
	mustHello(t, "", "tcp6", inside.String())
	onHost := serveHello(t, "", "tcp6", "["+n.host6+"]:0")
	mustHello(t, ns, "tcp6", onHost.String())
	if !ping(t, n.local6) {
		t.Errorf("no ping reply from %s", n.local6)
	}
	// No IPv4 address anywhere on the veth.
	if a, _ := netlink.AddrList(mustLink(t, "ve-"+name), netlink.FAMILY_V4); len(a) != 0 {
		t.Errorf("host side has IPv4 addresses %v", a)
	}
}

func mustLink(t testing.TB, name string) netlink.Link {
	t.Helper()
	l, err := netlink.LinkByName(name)
	if err != nil {
		t.Fatalf("link %s: %v", name, err)
	}
	return l
}

func TestFirewall(t *testing.T) {
	requireRoot(t)
	name, n := uniqueName(t), nextSubnet()
	ns := setupT(t, Spec{Container: name, HostAddress: n.host4, LocalAddress: n.local4})
	web := serveHello(t, ns, "tcp4", "0.0.0.0:0")
	port := uint16(web.(*net.TCPAddr).Port)
	target := net.JoinHostPort(n.local4, strconv.Itoa(int(port)))
	onHost := serveHello(t, "", "tcp4", n.host4+":0")

	apply := func(fw Firewall) {
		t.Helper()
		if err := ApplyFirewall(ns, fw); err != nil {
			t.Fatalf("ApplyFirewall(%+v): %v", fw, err)
		}
	}
	mustHello(t, "", "tcp4", target) // no firewall yet: open

	apply(Firewall{Enable: true})
	mustNotHello(t, "", "tcp4", target)
	if ping(t, n.local4) {
		t.Errorf("ping answered with AllowPing=false")
	}
	// Outbound connections still work: their replies are established.
	mustHello(t, ns, "tcp4", onHost.String())
	// Loopback inside is always open.
	mustHello(t, ns, "tcp4", net.JoinHostPort("127.0.0.1", strconv.Itoa(int(port))))
	checkFirewallTable(t, ns, true)

	apply(Firewall{Enable: true, AllowedTCPPorts: []uint16{port}, AllowPing: true})
	mustHello(t, "", "tcp4", target)
	if !ping(t, n.local4) {
		t.Errorf("ping not answered with AllowPing=true")
	}

	apply(Firewall{Enable: true, AllowedTCPPorts: []uint16{port + 1}, AllowedUDPPorts: []uint16{port}})
	mustNotHello(t, "", "tcp4", target) // replaced, not added to

	apply(Firewall{Enable: true, AllowedTCPPortRanges: []PortRange{{port - 1, port + 1}}})
	mustHello(t, "", "tcp4", target)

	apply(Firewall{Enable: false})
	mustHello(t, "", "tcp4", target)
	checkFirewallTable(t, ns, false)
	apply(Firewall{Enable: false}) // removing twice is fine

	if err := ApplyFirewall(ns, Firewall{Enable: true, AllowedTCPPortRanges: []PortRange{{10, 5}}}); fault.KindOf(err) != fault.Invalid {
		t.Errorf("reversed range: %v, want invalid", err)
	}
	if err := ApplyFirewall("/run/netns/nixcsh-nosuchthing", Firewall{Enable: true}); fault.KindOf(err) != fault.NotFound {
		t.Errorf("missing namespace: %v, want not-found", err)
	}
}

// checkFirewallTable looks at the container's ruleset with nftables' own
// listing: the table exists with an input chain whose policy is drop.
func checkFirewallTable(t *testing.T, ns string, want bool) {
	t.Helper()
	f, err := os.Open(ns)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	c, err := nftables.New(nftables.WithNetNSFd(int(f.Fd())))
	if err != nil {
		t.Fatal(err)
	}
	chains, err := c.ListChainsOfTableFamily(nftables.TableFamilyINet)
	if err != nil {
		t.Fatal(err)
	}
	found := false
	for _, ch := range chains {
		if ch.Table.Name == FirewallTable && ch.Name == "input" {
			found = true
			if ch.Policy == nil || *ch.Policy != nftables.ChainPolicyDrop {
				t.Errorf("input chain policy %v, want drop", ch.Policy)
			}
		}
	}
	if found != want {
		t.Errorf("firewall input chain present = %v, want %v", found, want)
	}
}

func readSysctl(t testing.TB, key string) string {
	t.Helper()
	b, err := os.ReadFile(sysctlPath(key))
	if err != nil {
		t.Fatal(err)
	}
	return strings.TrimSpace(string(b))
}

func TestPortForward(t *testing.T) {
	requireRoot(t)
	name, n := uniqueName(t), nextSubnet()
	hostIP := hostAddress4(t)
	before := map[string]string{}
	for _, k := range forwardSysctls {
		before[k] = readSysctl(t, k)
	}
	hp := freePort(t)
	s := Spec{Container: name, HostAddress: n.host4, LocalAddress: n.local4,
		Ports: []PortForward{{"tcp", hp, 8080}, {"udp", hp, 5353}}}
	ns := setupT(t, s)
	serveHello(t, ns, "tcp4", "0.0.0.0:8080")

	for _, k := range forwardSysctls {
		if v := readSysctl(t, k); v != "1" {
			t.Errorf("sysctl %s = %s while a forward exists", k, v)
		}
	}
	if !hasTable(t, nftables.TableFamilyIPv4, "nixcsh-"+name) {
		t.Fatalf("no nat table nixcsh-%s", name)
	}
	hp_ := strconv.Itoa(int(hp))
	mustHello(t, "", "tcp4", "127.0.0.1:"+hp_)
	mustHello(t, "", "tcp4", net.JoinHostPort(hostIP, hp_))
	serveUDPEcho(t, ns, "udp4", "0.0.0.0:5353")
	for _, to := range []string{"127.0.0.1:" + hp_, net.JoinHostPort(hostIP, hp_)} {
		if err := udpEcho("udp4", to, openTimeout); err != nil {
			t.Errorf("udp forward to %s: %v", to, err)
		}
	}

	if err := Teardown(s); err != nil {
		t.Fatal(err)
	}
	assertGone(t, name)
	mustNotHello(t, "", "tcp4", "127.0.0.1:"+hp_)
	mustNotHello(t, "", "tcp4", net.JoinHostPort(hostIP, hp_))
	if err := udpEcho("udp4", net.JoinHostPort(hostIP, hp_), blockedTimeout); err == nil {
		t.Errorf("udp forward still answers after Teardown")
	}
	others, err := forwardTables(nftables.TableFamilyIPv4)
	if err != nil {
		t.Fatal(err)
	}
	if len(others) == 0 { // no other nixcsh forward on the host: values are back
		for _, k := range forwardSysctls {
			if v := readSysctl(t, k); v != before[k] {
				t.Errorf("sysctl %s = %s after the last forward went, want %s", k, v, before[k])
			}
		}
		if _, err := os.Stat(savedSysctls()); !errors.Is(err, os.ErrNotExist) {
			t.Errorf("%s still exists after the last forward went", savedSysctls())
		}
	}
}

func TestBridge(t *testing.T) {
	requireRoot(t)
	br := "nxb" + uniqueName(t)[2:]
	attrs := netlink.NewLinkAttrs()
	attrs.Name = br
	if err := netlink.LinkAdd(&netlink.Bridge{LinkAttrs: attrs}); err != nil {
		t.Fatalf("creating bridge %s: %v", br, err)
	}
	// Registered first, so it runs after the containers' teardown.
	t.Cleanup(func() {
		if l, err := netlink.LinkByName(br); err == nil {
			netlink.LinkDel(l)
		}
		if LinkExists(br) {
			t.Errorf("bridge %s still exists", br)
		}
	})
	bridge := mustLink(t, br)
	if err := netlink.LinkSetUp(bridge); err != nil {
		t.Fatal(err)
	}
	n := nextSubnet()
	a, b := uniqueName(t), uniqueName(t)
	prefix := strings.TrimSuffix(n.local4, ".2")
	nsA := setupT(t, Spec{Container: a, Bridge: br, LocalAddress: prefix + ".2/24"})
	nsB := setupT(t, Spec{Container: b, Bridge: br, LocalAddress: prefix + ".3/24"})

	for _, c := range []string{a, b} {
		l := mustLink(t, "vb-"+c)
		if l.Attrs().MasterIndex != bridge.Attrs().Index {
			t.Errorf("vb-%s not enslaved to %s", c, br)
		}
		if ad, _ := netlink.AddrList(l, netlink.FAMILY_ALL); len(ad) != 0 {
			for _, x := range ad {
				if !x.IP.IsLinkLocalUnicast() {
					t.Errorf("vb-%s has host address %v", c, x)
				}
			}
		}
	}
	onB := serveHello(t, nsB, "tcp4", prefix+".3:0")
	mustHello(t, nsA, "tcp4", onB.String())
	onA := serveHello(t, nsA, "tcp4", prefix+".2:0")
	mustHello(t, nsB, "tcp4", onA.String())

	// A bridge that does not exist is refused before anything is made.
	c := uniqueName(t)
	_, err := Setup(context.Background(), Spec{Container: c, Bridge: "nxnosuchbr", LocalAddress: prefix + ".4/24"})
	if fault.KindOf(err) != fault.NotFound || !strings.Contains(err.Error(), "nxnosuchbr") {
		t.Errorf("missing bridge: %v, want not-found naming it", err)
	}
	assertGone(t, c)
}

func TestFailedSetupLeavesNothing(t *testing.T) {
	requireRoot(t)

	t.Run("host link taken by another tool", func(t *testing.T) {
		name, n := uniqueName(t), nextSubnet()
		attrs := netlink.NewLinkAttrs()
		attrs.Name = "ve-" + name
		// A bridge stands in for another tool's link (no dummy module here).
		if err := netlink.LinkAdd(&netlink.Bridge{LinkAttrs: attrs}); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() {
			if l, err := netlink.LinkByName("ve-" + name); err == nil {
				netlink.LinkDel(l)
			}
			assertGone(t, name)
		})
		s := Spec{Container: name, HostAddress: n.host4, LocalAddress: n.local4}
		_, err := Setup(context.Background(), s)
		if fault.KindOf(err) != fault.Exists || !strings.Contains(err.Error(), "ve-"+name) {
			t.Fatalf("Setup: %v, want exists naming ve-%s", err, name)
		}
		if _, err := os.Lstat(NamespacePath(name)); err == nil {
			t.Errorf("namespace made although Setup failed")
		}
		// Teardown must not remove a link nixcsh did not make.
		if err := Teardown(s); err != nil {
			t.Fatal(err)
		}
		if !LinkExists("ve-" + name) {
			t.Errorf("Teardown removed another tool's link")
		}
	})

	t.Run("nat table taken, after namespace and link were made", func(t *testing.T) {
		name, n := uniqueName(t), nextSubnet()
		c, err := nftables.New()
		if err != nil {
			t.Fatal(err)
		}
		tbl := &nftables.Table{Family: nftables.TableFamilyIPv4, Name: "nixcsh-" + name}
		c.AddTable(tbl)
		if err := c.Flush(); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() {
			removeForwards(tbl.Name)
			assertGone(t, name)
		})
		s := Spec{Container: name, HostAddress: n.host4, LocalAddress: n.local4, Ports: []PortForward{{"tcp", freePort(t), 80}}}
		_, err = Setup(context.Background(), s)
		if fault.KindOf(err) != fault.Exists || !strings.Contains(err.Error(), tbl.Name) {
			t.Fatalf("Setup: %v, want exists naming the table", err)
		}
		for _, l := range []string{"ve-" + name, "vb-" + name} {
			if LinkExists(l) {
				t.Errorf("link %s left behind", l)
			}
		}
		if _, err := os.Lstat(NamespacePath(name)); err == nil {
			t.Errorf("namespace left behind")
		}
		if !hasTable(t, nftables.TableFamilyIPv4, tbl.Name) {
			t.Errorf("Setup's rollback removed a table it did not make")
		}
	})

	t.Run("namespace taken", func(t *testing.T) {
		name, n := uniqueName(t), nextSubnet()
		if err := os.MkdirAll(namespaceDir, 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(NamespacePath(name), nil, 0o444); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { os.Remove(NamespacePath(name)); assertGone(t, name) })
		_, err := Setup(context.Background(), Spec{Container: name, HostAddress: n.host4, LocalAddress: n.local4})
		if fault.KindOf(err) != fault.Exists || !strings.Contains(err.Error(), NamespacePath(name)) {
			t.Fatalf("Setup: %v, want exists naming the namespace", err)
		}
		if LinkExists("ve-" + name) {
			t.Errorf("link left behind")
		}
	})

	t.Run("cancelled", func(t *testing.T) {
		name, n := uniqueName(t), nextSubnet()
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		_, err := Setup(ctx, Spec{Container: name, HostAddress: n.host4, LocalAddress: n.local4})
		if err == nil || !errors.Is(err, context.Canceled) {
			t.Fatalf("Setup with a cancelled context: %v", err)
		}
		assertGone(t, name)
	})
}

func TestTwoOwners(t *testing.T) {
	requireRoot(t)
	name, n := uniqueName(t), nextSubnet()
	mine := Spec{Container: name, Owner: "/root-a", HostAddress: n.host4, LocalAddress: n.local4}
	ns := setupT(t, mine)
	inside := serveHello(t, ns, "tcp4", n.local4+":0")

	theirs := mine
	theirs.Owner = "/root-b"
	_, err := Setup(context.Background(), theirs)
	if fault.KindOf(err) != fault.Exists || !strings.Contains(err.Error(), "ve-"+name) || !strings.Contains(err.Error(), "/root-a") {
		t.Fatalf("Setup by another owner: %v, want exists naming the link and its owner", err)
	}
	if err := Teardown(theirs); err != nil {
		t.Fatal(err)
	}
	if !LinkExists("ve-" + name) {
		t.Fatal("another owner's Teardown removed the link")
	}
	mustHello(t, "", "tcp4", inside.String())

	// The same owner again: an earlier run not torn down.
	_, err = Setup(context.Background(), mine)
	if fault.KindOf(err) != fault.Exists || !strings.Contains(err.Error(), "earlier run") {
		t.Errorf("second Setup by the same owner: %v", err)
	}
}

func TestLeftovers(t *testing.T) {
	requireRoot(t)
	name, n := uniqueName(t), nextSubnet()
	setupT(t, Spec{Container: name, HostAddress: n.host4, LocalAddress: n.local4,
		Ports: []PortForward{{"tcp", freePort(t), 80}}})
	left, err := Leftovers()
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]bool{"link ve-" + name: false, "namespace nixcsh-" + name: false, "nft-table nixcsh-" + name: false}
	for _, l := range left {
		if _, ok := want[l.Kind+" "+l.Name]; ok {
			want[l.Kind+" "+l.Name] = true
		}
	}
	for k, found := range want {
		if !found {
			t.Errorf("Leftovers misses %s (got %v)", k, left)
		}
	}
}

func TestPortForwardIPv6(t *testing.T) {
	requireRoot(t)
	name, n := uniqueName(t), nextSubnet()
	hostIP := hostAddress6(t)
	hp := freePort(t)
	v4Before, err := forwardTables(nftables.TableFamilyIPv4)
	if err != nil {
		t.Fatal(err)
	}
	s := Spec{Container: name, HostAddress6: n.host6, LocalAddress6: n.local6, Ports: []PortForward{{"tcp", hp, 8080}}}
	ns := setupT(t, s)
	serveHello(t, ns, "tcp6", "[::]:8080")
	if !hasTable(t, nftables.TableFamilyIPv6, "nixcsh-"+name) || hasTable(t, nftables.TableFamilyIPv4, "nixcsh-"+name) {
		t.Errorf("want an ip6 table nixcsh-%s and no ip table", name)
	}
	if len(v4Before) == 0 {
		if _, err := os.Stat(savedSysctls()); err == nil {
			t.Errorf("an IPv6-only forward switched the IPv4 sysctls on")
		}
	}
	target := net.JoinHostPort(hostIP, strconv.Itoa(int(hp)))
	mustHello(t, "", "tcp6", target)
	if err := Teardown(s); err != nil {
		t.Fatal(err)
	}
	assertGone(t, name)
	mustNotHello(t, "", "tcp6", target)
}

func TestPrefixesAndMAC(t *testing.T) {
	requireRoot(t)
	name, n := uniqueName(t), nextSubnet()
	s := Spec{Container: name, HostAddress: n.host4 + "/24", LocalAddress: n.local4 + "/24",
		HostAddress6: n.host6 + "/64", LocalAddress6: n.local6 + "/64", LocalMACAddress: "02:00:5e:10:20:30"}
	ns := setupT(t, s)
	h, err := netns.GetFromPath(ns)
	if err != nil {
		t.Fatal(err)
	}
	defer h.Close()
	in, err := netlink.NewHandleAt(h)
	if err != nil {
		t.Fatal(err)
	}
	defer in.Close()
	eth, err := in.LinkByName("eth0")
	if err != nil {
		t.Fatal(err)
	}
	if got := eth.Attrs().HardwareAddr.String(); got != "02:00:5e:10:20:30" {
		t.Errorf("eth0 MAC %s", got)
	}
	for _, a := range []struct{ network, inside, host string }{
		{"tcp4", n.local4, n.host4}, {"tcp6", n.local6, n.host6},
	} {
		in := serveHello(t, ns, a.network, net.JoinHostPort(a.inside, "0"))
		mustHello(t, "", a.network, in.String())
		out := serveHello(t, "", a.network, net.JoinHostPort(a.host, "0"))
		mustHello(t, ns, a.network, out.String())
	}
	if _, err := SpecFromConf(name, "", confMap{"LOCAL_MAC_ADDRESS": "01:00:5e:00:00:01"}.get); fault.KindOf(err) != fault.Invalid {
		t.Errorf("multicast MAC: %v, want invalid", err)
	}
}

type confMap map[string]string

func (m confMap) get(k string) string { return m[k] }

func TestSpecFromConf(t *testing.T) {
	s, err := SpecFromConf("web", "/r", confMap{
		"HOST_ADDRESS": "10.233.1.1", "LOCAL_ADDRESS": "10.233.1.2/24", "HOST_PORT": "tcp:8080:80,udp:53",
		"LOCAL_ADDRESS6": "fc00::2", "HOST_BRIDGE": " br0 ", "LOCAL_MAC_ADDRESS": "02:00:00:00:00:01",
	}.get)
	if err != nil {
		t.Fatal(err)
	}
	want := Spec{Container: "web", Owner: "/r", HostAddress: "10.233.1.1", LocalAddress: "10.233.1.2/24",
		LocalAddress6: "fc00::2", Bridge: "br0", LocalMACAddress: "02:00:00:00:00:01",
		Ports: []PortForward{{"tcp", 8080, 80}, {"udp", 53, 53}}}
	if !reflect.DeepEqual(s, want) {
		t.Errorf("SpecFromConf = %+v\nwant %+v", s, want)
	}
	for _, bad := range []confMap{
		{"HOST_PORT": "tcp:x", "LOCAL_ADDRESS": "10.0.0.2"},
		{"LOCAL_ADDRESS": "nope"},
		{"HOST_PORT": "80"}, // no LOCAL_ADDRESS
		{"LOCAL_MAC_ADDRESS": "zz"},
	} {
		_, err := SpecFromConf("web", "", bad.get)
		if fault.KindOf(err) != fault.Invalid || !strings.Contains(err.Error(), "'web'") {
			t.Errorf("SpecFromConf(%v) = %v, want an invalid error naming the container", bad, err)
		}
	}
}

func TestConcurrentSetups(t *testing.T) {
	requireRoot(t)
	const count = 6
	specs := make([]Spec, count)
	for i := range specs {
		n := nextSubnet()
		specs[i] = Spec{Container: uniqueName(t), HostAddress: n.host4, LocalAddress: n.local4,
			HostAddress6: n.host6, LocalAddress6: n.local6, Ports: []PortForward{{"tcp", freePort(t), 80}}}
		cleanupNetwork(t, specs[i])
	}
	errs := make(chan error, count)
	for _, s := range specs {
		go func() {
			_, err := Setup(context.Background(), s)
			errs <- err
		}()
	}
	for range specs {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
	}
	for _, s := range specs {
		in := serveHello(t, NamespacePath(s.Container), "tcp4", s.LocalAddress+":80")
		mustHello(t, "", "tcp4", in.String())
		mustHello(t, "", "tcp4", "127.0.0.1:"+strconv.Itoa(int(s.Ports[0].HostPort)))
	}
	for _, s := range specs {
		go func() { errs <- Teardown(s) }()
	}
	for range specs {
		if err := <-errs; err != nil {
			t.Error(err)
		}
	}
}

func TestFirewallIPv6(t *testing.T) {
	requireRoot(t)
	name, n := uniqueName(t), nextSubnet()
	ns := setupT(t, Spec{Container: name, HostAddress6: n.host6, LocalAddress6: n.local6})
	web := serveHello(t, ns, "tcp6", "[::]:0")
	port := uint16(web.(*net.TCPAddr).Port)
	target := net.JoinHostPort(n.local6, strconv.Itoa(int(port)))
	dns := serveUDPEcho(t, ns, "udp6", "[::]:0")
	udpTarget := net.JoinHostPort(n.local6, strconv.Itoa(dns.(*net.UDPAddr).Port))

	if err := ApplyFirewall(ns, Firewall{Enable: true}); err != nil {
		t.Fatal(err)
	}
	// Forget the neighbour, so that the next connection needs neighbour
	// discovery through the firewall.
	flushNeighbours(t, name)
	mustNotHello(t, "", "tcp6", target)
	if ping(t, n.local6) {
		t.Errorf("ping6 answered with AllowPing=false")
	}
	if err := udpEcho("udp6", udpTarget, blockedTimeout); err == nil {
		t.Errorf("udp answered with no UDP port allowed")
	}
	fw := Firewall{Enable: true, AllowPing: true, AllowedTCPPorts: []uint16{port}, AllowedUDPPorts: []uint16{uint16(dns.(*net.UDPAddr).Port)}}
	if err := ApplyFirewall(ns, fw); err != nil {
		t.Fatal(err)
	}
	flushNeighbours(t, name)
	mustHello(t, "", "tcp6", target)
	if !ping(t, n.local6) {
		t.Errorf("ping6 not answered with AllowPing=true")
	}
	if err := udpEcho("udp6", udpTarget, openTimeout); err != nil {
		t.Errorf("udp with the port allowed: %v", err)
	}
}

// flushNeighbours empties the neighbour tables on both sides of the
// container's veth.
func flushNeighbours(t *testing.T, container string) {
	t.Helper()
	h, err := netns.GetFromPath(NamespacePath(container))
	if err != nil {
		t.Fatal(err)
	}
	defer h.Close()
	in, err := netlink.NewHandleAt(h)
	if err != nil {
		t.Fatal(err)
	}
	defer in.Close()
	for _, side := range []struct {
		h    *netlink.Handle
		link string
	}{{in, "eth0"}, {&netlink.Handle{}, HostLinkName(container, false)}} {
		l, err := side.h.LinkByName(side.link)
		if err != nil {
			t.Fatal(err)
		}
		neighs, err := side.h.NeighList(l.Attrs().Index, netlink.FAMILY_V6)
		if err != nil {
			t.Fatal(err)
		}
		for _, nb := range neighs {
			side.h.NeighDel(&nb)
		}
	}
}

func TestSetupHonoursContextWhileLocked(t *testing.T) {
	requireRoot(t)
	held, err := lockHost(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	name, n := uniqueName(t), nextSubnet()
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	_, err = Setup(ctx, Spec{Container: name, HostAddress: n.host4, LocalAddress: n.local4})
	held.unlock()
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Setup while another process holds the network lock: %v, want the context's deadline", err)
	}
	assertGone(t, name)
}

func TestNamespaceDirIsShared(t *testing.T) {
	requireRoot(t)
	name, n := uniqueName(t), nextSubnet()
	setupT(t, Spec{Container: name, HostAddress: n.host4, LocalAddress: n.local4})
	info, err := os.ReadFile("/proc/self/mountinfo")
	if err != nil {
		t.Fatal(err)
	}
	// Fields: id parent major:minor root mountpoint options optional... - ...
	for _, line := range strings.Split(string(info), "\n") {
		f := strings.Fields(line)
		if len(f) > 6 && f[4] == namespaceDir && strings.HasPrefix(f[6], "shared:") {
			return
		}
	}
	t.Errorf("%s is not a shared mount point:\n%s", namespaceDir, info)
}
