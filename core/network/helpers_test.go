package network

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"io"
	"net"
	"os"
	"runtime"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/nftables"
	"github.com/vishvananda/netlink"
	"github.com/vishvananda/netns"
	"golang.org/x/sys/unix"
)

// Test addresses come from 10.250.0.0/16 and fd7e:5a1e::/32, away from
// nixos-container's 10.233.0.0/16 that other tests on this host may use.
// Each test takes the next /24 (or /64), starting at a random one so that
// runs of this package in parallel rarely meet.
var subnetSeq atomic.Uint32

func init() {
	var b [1]byte
	rand.Read(b[:])
	subnetSeq.Store(uint32(b[0]))
}

type testNet struct{ host4, local4, host6, local6 string }

func nextSubnet() testNet {
	n := subnetSeq.Add(1)
	return testNet{
		host4:  fmt.Sprintf("10.250.%d.1", byte(n)),
		local4: fmt.Sprintf("10.250.%d.2", byte(n)),
		host6:  fmt.Sprintf("fd7e:5a1e:%x::1", uint16(n)),
		local6: fmt.Sprintf("fd7e:5a1e:%x::2", uint16(n)),
	}
}

func requireRoot(t testing.TB) {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("needs root: creates network namespaces, veth links and nftables tables")
	}
}

// uniqueName is a short container name: "nt" + 6 hex digits (ve-NAME is 11 bytes).
func uniqueName(t testing.TB) string {
	var b [3]byte
	if _, err := rand.Read(b[:]); err != nil {
		t.Fatal(err)
	}
	return "nt" + hex.EncodeToString(b[:])
}

// setupT runs Setup and arranges for Teardown and a check that nothing of
// the container remains, even when the test fails.
func setupT(t testing.TB, s Spec) string {
	t.Helper()
	cleanupNetwork(t, s)
	ns, err := Setup(context.Background(), s)
	if err != nil {
		t.Fatalf("Setup(%s): %v", s.Container, err)
	}
	if ns != NamespacePath(s.Container) {
		t.Fatalf("Setup returned %q, want %q", ns, NamespacePath(s.Container))
	}
	return ns
}

// cleanupNetwork registers Teardown of s and the check that it left nothing.
func cleanupNetwork(t testing.TB, s Spec) {
	t.Cleanup(func() {
		if err := Teardown(s); err != nil {
			t.Errorf("Teardown(%s): %v", s.Container, err)
		}
		assertGone(t, s.Container)
	})
}

// assertGone fails the test if any piece of the container's network exists.
func assertGone(t testing.TB, container string) {
	t.Helper()
	for _, l := range []string{HostLinkName(container, false), HostLinkName(container, true)} {
		if LinkExists(l) {
			t.Errorf("link %s still exists", l)
		}
	}
	if _, err := os.Lstat(NamespacePath(container)); err == nil {
		t.Errorf("namespace %s still exists", NamespacePath(container))
	}
	for _, fam := range forwardFamilies {
		if hasTable(t, fam, forwardTableName(container)) {
			t.Errorf("nftables table %s %s still exists", familyName(fam), forwardTableName(container))
		}
	}
}

func hasTable(t testing.TB, fam nftables.TableFamily, name string) bool {
	t.Helper()
	c, err := nftables.New()
	if err != nil {
		t.Fatal(err)
	}
	tables, err := c.ListTablesOfFamily(fam)
	if err != nil {
		t.Fatal(err)
	}
	for _, tb := range tables {
		if tb.Name == name {
			return true
		}
	}
	return false
}

// inNamespace runs fn on an OS thread inside the namespace at nsPath. The
// thread is never returned to the Go scheduler (it stays locked and dies
// with the goroutine), so no other goroutine ever runs in the namespace by
// accident. Sockets fn creates belong to the namespace and can be used from
// anywhere afterwards.
func inNamespace(t testing.TB, nsPath string, fn func() error) error {
	t.Helper()
	errc := make(chan error, 1)
	go func() {
		runtime.LockOSThread()
		ns, err := netns.GetFromPath(nsPath)
		if err != nil {
			errc <- err
			return
		}
		defer ns.Close()
		if err := netns.Set(ns); err != nil {
			errc <- err
			return
		}
		errc <- fn()
	}()
	return <-errc
}

// serveHello listens on network/addr inside nsPath (the host when nsPath is
// "") and answers every connection with "hello\n". The listener closes at the
// end of the test.
func serveHello(t testing.TB, nsPath, network, addr string) net.Addr {
	t.Helper()
	var l net.Listener
	listen := func() (err error) { l, err = net.Listen(network, addr); return err }
	var err error
	if nsPath == "" {
		err = listen()
	} else {
		err = inNamespace(t, nsPath, listen)
	}
	if err != nil {
		t.Fatalf("listen on %s in %q: %v", addr, nsPath, err)
	}
	t.Cleanup(func() { l.Close() })
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			io.WriteString(c, "hello\n")
			c.Close()
		}
	}()
	return l.Addr()
}

// blockedTimeout is how long a connection attempt that should be blocked
// may take before it counts as blocked (a dropped SYN never answers).
// openTimeout bounds one that should succeed: it returns as soon as it
// does, so a long bound costs nothing and survives a lost first SYN (TCP
// retransmits after one second) on a loaded machine.
const (
	blockedTimeout = 700 * time.Millisecond
	openTimeout    = 5 * time.Second
)

// hello connects to addr (from inside nsPath when it is not "") and reads the
// greeting; it returns an error if it cannot within timeout.
func hello(t testing.TB, nsPath, network, addr string, timeout time.Duration) error {
	t.Helper()
	var c net.Conn
	dial := func() (err error) { c, err = net.DialTimeout(network, addr, timeout); return err }
	var err error
	if nsPath == "" {
		err = dial()
	} else {
		err = inNamespace(t, nsPath, dial)
	}
	if err != nil {
		return err
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(2 * time.Second))
	b, err := io.ReadAll(c)
	if err != nil {
		return err
	}
	if string(b) != "hello\n" {
		return fmt.Errorf("read %q, want hello", b)
	}
	return nil
}

func mustHello(t testing.TB, nsPath, network, addr string) {
	t.Helper()
	if err := hello(t, nsPath, network, addr, openTimeout); err != nil {
		t.Fatalf("connect to %s (from %q): %v", addr, nsPath, err)
	}
}

func mustNotHello(t testing.TB, nsPath, network, addr string) {
	t.Helper()
	if err := hello(t, nsPath, network, addr, blockedTimeout); err == nil {
		t.Fatalf("connect to %s (from %q) succeeded, want it blocked", addr, nsPath)
	}
}

// hostAddress4 is one of the host's own IPv4 addresses that is not loopback
// and not on a link of ours.
func hostAddress4(t testing.TB) string {
	t.Helper()
	addrs, err := netlink.AddrList(nil, netlink.FAMILY_V4)
	if err != nil {
		t.Fatal(err)
	}
	for _, a := range addrs {
		if a.IP.IsLoopback() || a.Scope != int(netlink.SCOPE_UNIVERSE) {
			continue
		}
		l, err := netlink.LinkByIndex(a.LinkIndex)
		if err != nil || l.Attrs().Alias != "" || l.Attrs().OperState != netlink.OperUp {
			continue
		}
		return a.IP.String()
	}
	t.Skip("the host has no non-loopback IPv4 address to test forwards with")
	return ""
}

// hostAddress6 is one of the host's own global IPv6 addresses on a link
// that is not ours.
func hostAddress6(t testing.TB) string {
	t.Helper()
	addrs, err := netlink.AddrList(nil, netlink.FAMILY_V6)
	if err != nil {
		t.Fatal(err)
	}
	for _, a := range addrs {
		if !a.IP.IsGlobalUnicast() || a.Flags&(unix.IFA_F_TENTATIVE|unix.IFA_F_DADFAILED) != 0 {
			continue
		}
		l, err := netlink.LinkByIndex(a.LinkIndex)
		if err != nil || l.Attrs().Alias != "" || l.Attrs().OperState != netlink.OperUp {
			continue
		}
		return a.IP.String()
	}
	t.Skip("the host has no global IPv6 address to test forwards with")
	return ""
}

// freePort picks a TCP port nobody listens on right now on the host.
func freePort(t testing.TB) uint16 {
	t.Helper()
	l, err := net.Listen("tcp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return uint16(l.Addr().(*net.TCPAddr).Port)
}

// serveUDPEcho answers every datagram on network/addr inside nsPath with
// the same bytes. The socket closes at the end of the test.
func serveUDPEcho(t testing.TB, nsPath, network, addr string) net.Addr {
	t.Helper()
	var pc net.PacketConn
	err := inNamespace(t, nsPath, func() (err error) { pc, err = net.ListenPacket(network, addr); return err })
	if err != nil {
		t.Fatalf("listen on udp %s in %q: %v", addr, nsPath, err)
	}
	t.Cleanup(func() { pc.Close() })
	go func() {
		buf := make([]byte, 1500)
		for {
			n, from, err := pc.ReadFrom(buf)
			if err != nil {
				return
			}
			pc.WriteTo(buf[:n], from)
		}
	}()
	return pc.LocalAddr()
}

// udpEcho sends a datagram from the host to addr and waits for the echo.
func udpEcho(network, addr string, timeout time.Duration) error {
	c, err := net.Dial(network, addr)
	if err != nil {
		return err
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(timeout))
	if _, err := c.Write([]byte("ping")); err != nil {
		return err
	}
	buf := make([]byte, 16)
	n, err := c.Read(buf)
	if err != nil {
		return err
	}
	if string(buf[:n]) != "ping" {
		return fmt.Errorf("echo %q", buf[:n])
	}
	return nil
}
