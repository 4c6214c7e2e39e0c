package engine

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/vishvananda/netlink"

	"github.com/nixcsh/nixcsh/core"
	"github.com/nixcsh/nixcsh/core/network"
)

// --bridge with only --local-address (NixOS's hostBridge + localAddress):
// the container sits on the bridge's network with its address and
// prefix, and the host reaches it through the bridge's own address.
func TestBridgeLocalAddressOnly(t *testing.T) {
	needRoot(t)
	t.Parallel()
	addrs := uniqueSubnet29(t)
	br := makeBridge(t, addrs[0]+"/29")
	r := newTestRoot(t)
	c := r.scenarioCLI()
	name := uniqueName("bl")
	if _, _, code := c.run("create", name, "--local-address", addrs[1]+"/29"); code == 0 {
		t.Error("--local-address without --bridge or --host-address was accepted")
	}
	_, stderr := c.must("create", name, "--bridge", br, "--local-address", addrs[1]+"/29", "--config", manualHttpd)
	if want := "container IP is " + addrs[1] + "/29 on bridge " + br; !strings.Contains(stderr, want) {
		t.Errorf("create said %q, want %q", stderr, want)
	}
	c.must("start", name)
	mustServe(t, "http://"+addrs[1]+"/", indexTitle)
	if out := r.run(name, "ip", "-o", "-4", "addr", "show", "dev", "eth0"); !strings.Contains(out, addrs[1]+"/29") {
		t.Errorf("eth0 inside: %q", out)
	}

	// The same from a containers.<name> file.
	other := uniqueName("bf")
	file := filepath.Join(t.TempDir(), "containers.nix")
	text := fmt.Sprintf(`{ containers.%s = { privateNetwork = true; hostBridge = %q; localAddress = "%s/29"; autoStart = true; config = { }; }; }`, other, br, addrs[2])
	if err := os.WriteFile(file, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	c.must("create", "--from", file)
	if out, err := exec.Command("ping", "-c", "1", "-W", "5", addrs[2]).CombinedOutput(); err != nil {
		t.Errorf("ping %s (create --from, bridged) from the host: %v\n%s", addrs[2], err, out)
	}
}

// create --system-path takes a generation of the store (here another
// container's, through its profile link) and boots it without building;
// paths that are no generation of the store are refused by name.
func TestCreateSystemPath(t *testing.T) {
	needRoot(t)
	t.Parallel()
	r := newTestRoot(t)
	src := r.create("sp", `environment.etc."prebuilt".text = "from the other container\n";`)
	link := filepath.Join(r.M.Paths.ProfileDir(src), "system")
	name := uniqueName("sp")
	host, local := uniqueAddresses(t)
	for bad, want := range map[string]string{
		t.TempDir():                        "not a generation of nixcsh's store",
		filepath.Join(t.TempDir(), "nope"): "no such file",
	} {
		if code, _, errb := r.cli("", "create", name, "--host-address", host, "--local-address", local, "--system-path", bad); code == 0 || !strings.Contains(errb, want) {
			t.Errorf("--system-path %s: exit %d, %q (want %q)", bad, code, errb, want)
		}
		if r.M.Exists(name) {
			t.Fatalf("a refused --system-path left container %s behind", name)
		}
	}
	if code, _, errb := r.cli("", "create", name, "--host-address", host, "--local-address", local, "--system-path", link); code != 0 {
		t.Fatalf("create --system-path: %d %s", code, errb)
	}
	want, _ := filepath.EvalSymlinks(link)
	if got, _ := filepath.EvalSymlinks(filepath.Join(r.M.Paths.ProfileDir(name), "system")); got != want {
		t.Errorf("the profile of %s holds %s, want %s", name, got, want)
	}
	r.start(name)
	if out := r.run(name, "cat", "/etc/prebuilt"); out != "from the other container\n" {
		t.Errorf("/etc/prebuilt = %q", out)
	}
}

// The network is up before the container's systemd starts: a unit ordered
// after network-online.target, run at boot, reaches a TCP listener of the
// host through the veth and resolves a name with the nameserver that
// networking.nameservers puts in resolv.conf (a tiny DNS server of the
// test's, listening on the host), and sends both results to the host.
func TestNetworkReadyAtBoot(t *testing.T) {
	needRoot(t)
	t.Parallel()
	testNetworkReadyAtBoot(t, nil)
}

// With private users nspawn makes the namespace (nixcsh cannot hand it one
// that the container's user namespace does not own) and nixcsh sets it up
// from the leader's pid: it must be ready before the boot goes on all the same.
//
// Not parallel: it shares port 53 with TestNetworkReadyAtBoot, which waits
// until the serial tests are done.
func TestNetworkReadyAtBootPrivateUsers(t *testing.T) {
	needRoot(t)
	testNetworkReadyAtBoot(t, core.SettingValues{"private-users": {"pick"}})
}

func testNetworkReadyAtBoot(t *testing.T, settings core.SettingValues) {
	dns, err := net.ListenPacket("udp4", ":53")
	if err != nil {
		t.Skipf("port 53 of the host is taken (%v): the test's DNS server needs it", err)
	}
	defer dns.Close()
	go answerDNS(dns, "boot-check.test.", net.IPv4(192, 0, 2, 77))
	r := newTestRoot(t)
	host, local := uniqueAddresses(t)
	// The host's address exists only once the container's network is
	// made: listen on all addresses and check who connects.
	tcp, err := net.Listen("tcp4", ":0")
	if err != nil {
		t.Fatal(err)
	}
	defer tcp.Close()
	script := fmt.Sprintf("exec 3<>/dev/tcp/%s/%d\necho \"hello from boot\" >&3\ngetent hosts boot-check.test >&3\n",
		host, tcp.Addr().(*net.TCPAddr).Port)
	cfg := fmt.Sprintf(`networking.nameservers = [ %q ];
  systemd.services.boot-check = { wantedBy = [ "multi-user.target" ]; wants = [ "network-online.target" ];
    after = [ "network-online.target" ]; serviceConfig.Type = "oneshot"; script = %s; };`, host, nixString(script))
	c, err := r.M.Create(timeout(t), uniqueName("nb"), core.CreateOptions{Config: cfg, HostAddress: host, LocalAddress: local, Settings: settings})
	if err != nil {
		t.Fatal(err)
	}
	got := make(chan string, 1)
	go func() {
		conn, err := tcp.Accept()
		if err != nil {
			return
		}
		defer conn.Close()
		conn.SetDeadline(time.Now().Add(30 * time.Second))
		b, _ := io.ReadAll(conn)
		got <- conn.RemoteAddr().(*net.TCPAddr).IP.String() + " " + string(b)
	}()
	r.start(c.Name)
	select {
	case s := <-got:
		if f := strings.Fields(s); len(f) < 6 || f[0] != local || strings.Join(f[1:4], " ") != "hello from boot" || f[4] != "192.0.2.77" || f[5] != "boot-check.test" {
			t.Errorf("the boot unit sent %q, want it from %s with boot-check.test resolved to 192.0.2.77", s, local)
		}
	case <-time.After(30 * time.Second):
		t.Fatalf("no connection from the boot unit:\n%s", r.run(c.Name, "journalctl", "-u", "boot-check", "--no-pager"))
	}
}

// answerDNS answers A queries for name with ip, and every other query with
// no answer, until conn is closed.
func answerDNS(conn net.PacketConn, name string, ip net.IP) {
	buf := make([]byte, 512)
	for {
		n, from, err := conn.ReadFrom(buf)
		if err != nil {
			return
		}
		q := buf[:n]
		if n < 12 {
			continue
		}
		// The question: labels up to the root, then type and class.
		i, labels := 12, []string{}
		for i < n && q[i] != 0 && i+1+int(q[i]) <= n {
			labels = append(labels, string(q[i+1:i+1+int(q[i])]))
			i += 1 + int(q[i])
		}
		if i+5 > n {
			continue
		}
		qtype := int(q[i+1])<<8 | int(q[i+2])
		question := q[12 : i+5]
		resp := append([]byte{q[0], q[1], 0x81, 0x80, 0, 1, 0, 0, 0, 0, 0, 0}, question...)
		if strings.EqualFold(strings.Join(labels, ".")+".", name) && qtype == 1 {
			resp[7] = 1
			resp = append(resp, 0xc0, 12, 0, 1, 0, 1, 0, 0, 0, 60, 0, 4)
			resp = append(resp, ip.To4()...)
		}
		conn.WriteTo(resp, from)
	}
}

// --extra-veth and --macvlan: a second veth pair with NixOS's extraVeths
// addresses carries traffic between the host and the container, a macvlan
// on a host interface (a veth of the test's) is up inside as
// mv-IFACE; a stop removes the extra host link, and update ” removes them.
func TestExtraVethAndMacvlan(t *testing.T) {
	needRoot(t)
	t.Parallel()
	b := make([]byte, 3)
	rand.Read(b)
	parent := "nxd" + hex.EncodeToString(b)
	attrs := netlink.NewLinkAttrs()
	attrs.Name = parent
	// A host-only veth pair (no dummy module here) as the parent.
	if err := netlink.LinkAdd(&netlink.Veth{LinkAttrs: attrs, PeerName: "nxe" + hex.EncodeToString(b)}); err != nil {
		t.Fatalf("veth link %s: %v", parent, err)
	}
	t.Cleanup(func() {
		if l, err := netlink.LinkByName(parent); err == nil {
			netlink.LinkDel(l)
		}
	})
	r := newTestRoot(t)
	c := r.scenarioCLI()
	name := uniqueName("xv")
	veth := "xv" + hex.EncodeToString(b)
	vHost, vLocal := uniqueAddresses(t)
	if _, errb, code := c.run("create", name, "--host-network", "--macvlan", parent); code == 0 || !strings.Contains(errb, "need a private network") {
		t.Errorf("--macvlan with --host-network: exit %d, %q", code, errb)
	}
	if _, errb, code := c.run("create", name, "--extra-veth", veth+",hostAddress=nope"); code == 0 || !strings.Contains(errb, "not an IPv4 address") {
		t.Errorf("--extra-veth with a bad address: exit %d, %q", code, errb)
	}
	host, local := uniqueAddresses(t)
	c.must("create", name, "--host-address", host, "--local-address", local,
		"--extra-veth", veth+",hostAddress="+vHost+",localAddress="+vLocal, "--macvlan", parent)
	if got := r.infoSettings(name); strings.Join(got["extra-veth"], "") != veth+",hostAddress="+vHost+",localAddress="+vLocal || strings.Join(got["macvlan"], "") != parent {
		t.Errorf("info settings %v", got)
	}
	c.must("start", name)
	if l, err := netlink.LinkByName(veth); err != nil {
		t.Fatalf("host side of the extra veth: %v", err)
	} else if addrs, _ := netlink.AddrList(l, netlink.FAMILY_V4); len(addrs) != 1 || addrs[0].IP.String() != vHost {
		t.Errorf("addresses of %s on the host: %v", veth, addrs)
	}
	mv := network.MacvlanName(parent)
	if out := r.run(name, "sh", "-c", "ip -o -4 addr show dev "+veth+"; ip -o link show "+mv); !strings.Contains(out, vLocal+"/32") || !strings.Contains(out, mv+"@") || !strings.Contains(out, "state UP") && !strings.Contains(out, ",UP") {
		t.Errorf("links inside: %q", out)
	}
	// From inside to the host over the extra pair: the host sees the
	// container's extra address.
	ln, err := net.Listen("tcp4", vHost+":0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	from := make(chan string, 1)
	go func() {
		conn, err := ln.Accept()
		if err == nil {
			from <- conn.RemoteAddr().(*net.TCPAddr).IP.String()
			conn.Close()
		}
	}()
	if code, _, errb := r.runCode(name, "bash", "-c", fmt.Sprintf("echo hi > /dev/tcp/%s/%d", vHost, ln.Addr().(*net.TCPAddr).Port)); code != 0 {
		t.Errorf("connecting over the extra veth: exit %d, %q", code, errb)
	}
	select {
	case ip := <-from:
		if ip != vLocal {
			t.Errorf("the connection over %s came from %s, want %s", veth, ip, vLocal)
		}
	case <-time.After(10 * time.Second):
		t.Error("no connection over the extra veth")
	}
	c.must("stop", name)
	if network.LinkExists(veth) {
		t.Errorf("%s still exists on the host after stop", veth)
	}
	c.must("update", name, "--extra-veth", "", "--macvlan", "")
	c.must("start", name)
	if out := r.run(name, "ip", "-o", "link"); strings.Contains(out, veth) || strings.Contains(out, mv) {
		t.Errorf("links inside after removing them: %q", out)
	}
}
