package network

import (
	"context"
	"os/exec"
	"strings"
	"testing"
)

// BenchmarkSetupTeardown is one container network made and removed with
// netlink: namespace, veth, addresses and routes both sides.
func BenchmarkSetupTeardown(b *testing.B) {
	requireRoot(b)
	n := nextSubnet()
	s := Spec{Container: uniqueName(b), HostAddress: n.host4, LocalAddress: n.local4}
	b.Cleanup(func() { Teardown(s); assertGone(b, s.Container) })
	for b.Loop() {
		if _, err := Setup(context.Background(), s); err != nil {
			b.Fatal(err)
		}
		if err := Teardown(s); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkSetupTeardownWithForward adds one port forward (an nftables
// table and the sysctls) to BenchmarkSetupTeardown.
func BenchmarkSetupTeardownWithForward(b *testing.B) {
	requireRoot(b)
	n := nextSubnet()
	s := Spec{Container: uniqueName(b), HostAddress: n.host4, LocalAddress: n.local4,
		Ports: []PortForward{{"tcp", freePort(b), 80}}}
	b.Cleanup(func() { Teardown(s); assertGone(b, s.Container) })
	for b.Loop() {
		if _, err := Setup(context.Background(), s); err != nil {
			b.Fatal(err)
		}
		if err := Teardown(s); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkSetupTeardownIPCommands does the same as BenchmarkSetupTeardown
// with iproute2 commands, as a shell script would: the
// floor to compare with.
func BenchmarkSetupTeardownIPCommands(b *testing.B) {
	requireRoot(b)
	if _, err := exec.LookPath("ip"); err != nil {
		b.Skip("iproute2's ip is not installed")
	}
	n := nextSubnet()
	name := uniqueName(b)
	ns, ve := NamespaceName(name), HostLinkName(name, false)
	script := [][]string{
		{"netns", "add", ns},
		{"link", "add", ve, "type", "veth", "peer", "name", "eth0", "netns", ns},
		{"addr", "add", n.host4 + "/32", "dev", ve},
		{"link", "set", ve, "up"},
		{"route", "add", n.local4 + "/32", "dev", ve},
		{"-n", ns, "link", "set", "lo", "up"},
		{"-n", ns, "link", "set", "eth0", "up"},
		{"-n", ns, "addr", "add", n.local4 + "/32", "dev", "eth0"},
		{"-n", ns, "route", "add", n.host4 + "/32", "dev", "eth0"},
		{"-n", ns, "route", "add", "default", "via", n.host4},
		{"link", "del", ve},
		{"netns", "del", ns},
	}
	b.Cleanup(func() {
		exec.Command("ip", "link", "del", ve).Run()
		exec.Command("ip", "netns", "del", ns).Run()
		assertGone(b, name)
	})
	for b.Loop() {
		for _, args := range script {
			if out, err := exec.Command("ip", args...).CombinedOutput(); err != nil {
				b.Fatalf("ip %s: %v: %s", strings.Join(args, " "), err, out)
			}
		}
	}
}

// BenchmarkApplyFirewall replaces a container's firewall (a few rules).
func BenchmarkApplyFirewall(b *testing.B) {
	requireRoot(b)
	n := nextSubnet()
	s := Spec{Container: uniqueName(b), HostAddress: n.host4, LocalAddress: n.local4}
	b.Cleanup(func() { Teardown(s); assertGone(b, s.Container) })
	ns, err := Setup(context.Background(), s)
	if err != nil {
		b.Fatal(err)
	}
	fw := Firewall{Enable: true, AllowPing: true, AllowedTCPPorts: []uint16{22, 80, 443}, AllowedUDPPorts: []uint16{53},
		AllowedTCPPortRanges: []PortRange{{8000, 8100}}}
	for b.Loop() {
		if err := ApplyFirewall(ns, fw); err != nil {
			b.Fatal(err)
		}
	}
}
