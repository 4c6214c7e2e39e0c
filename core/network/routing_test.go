package network

import (
	"net"
	"os"
	"testing"
)

// Two containers reach each other's LOCAL_ADDRESS through the host, over
// IPv4 and IPv6, while the host's own forwarding settings stay as they were:
// forwarding is switched on for nixcsh's links only.
func TestContainerToContainer(t *testing.T) {
	requireRoot(t)
	hostWide := []string{"net/ipv4/ip_forward", "net/ipv4/conf/all/forwarding", "net/ipv6/conf/all/forwarding"}
	before := map[string]string{}
	for _, k := range hostWide {
		before[k] = readSysctl(t, k)
	}
	a, na := uniqueName(t), nextSubnet()
	b, nb := uniqueName(t), nextSubnet()
	nsA := setupT(t, Spec{Container: a, HostAddress: na.host4, LocalAddress: na.local4, HostAddress6: na.host6, LocalAddress6: na.local6})
	nsB := setupT(t, Spec{Container: b, HostAddress: nb.host4, LocalAddress: nb.local4, HostAddress6: nb.host6, LocalAddress6: nb.local6})

	for _, c := range []string{a, b} {
		if v := readSysctl(t, "net/ipv4/conf/ve-"+c+"/forwarding"); v != "1" {
			t.Errorf("ve-%s: IPv4 forwarding = %s, want 1", c, v)
		}
	}
	onB := serveHello(t, nsB, "tcp4", nb.local4+":0")
	mustHello(t, nsA, "tcp4", onB.String())
	onA := serveHello(t, nsA, "tcp4", na.local4+":0")
	mustHello(t, nsB, "tcp4", onA.String())
	if fileExists(sysctlPath("net/ipv6/conf/all/force_forwarding")) {
		onB6 := serveHello(t, nsB, "tcp6", net.JoinHostPort(nb.local6, "0"))
		mustHello(t, nsA, "tcp6", onB6.String())
	} else {
		t.Log("kernel without IPv6 force_forwarding (Linux < 6.17): container-to-container IPv6 not checked")
	}
	for _, k := range hostWide {
		v := readSysctl(t, k)
		if v == before[k] || k == "net/ipv4/ip_forward" && forwardHeld() {
			continue
		}
		t.Errorf("host-wide sysctl %s changed from %s to %s", k, before[k], v)
	}
}

func fileExists(p string) bool {
	_, err := os.Stat(p)
	return err == nil
}

// forwardHeld reports whether some port forward on the host (another test
// running in parallel) legitimately holds ip_forward on.
func forwardHeld() bool {
	_, err := os.Stat(savedSysctls())
	return err == nil
}

// When the last port forward goes, restoring ip_forward (which the kernel
// copies to every link) must not cut the containers that still run off
// each other.
func TestContainerToContainerAfterForwardRestore(t *testing.T) {
	requireRoot(t)
	a, na := uniqueName(t), nextSubnet()
	b, nb := uniqueName(t), nextSubnet()
	f, nf := uniqueName(t), nextSubnet()
	nsA := setupT(t, Spec{Container: a, HostAddress: na.host4, LocalAddress: na.local4})
	nsB := setupT(t, Spec{Container: b, HostAddress: nb.host4, LocalAddress: nb.local4})
	fwd := Spec{Container: f, HostAddress: nf.host4, LocalAddress: nf.local4, Ports: []PortForward{{"tcp", freePort(t), 80}}}
	setupT(t, fwd)
	if v := readSysctl(t, "net/ipv4/ip_forward"); v != "1" {
		t.Fatalf("ip_forward = %s while a port forward exists", v)
	}
	if err := Teardown(fwd); err != nil {
		t.Fatal(err)
	}
	for _, c := range []string{a, b} {
		if v := readSysctl(t, "net/ipv4/conf/ve-"+c+"/forwarding"); v != "1" {
			t.Errorf("ve-%s: IPv4 forwarding = %s after the last forward went, want 1", c, v)
		}
	}
	onB := serveHello(t, nsB, "tcp4", nb.local4+":0")
	mustHello(t, nsA, "tcp4", onB.String())
}
