package network

import (
	"os/exec"
	"strconv"
	"strings"
	"testing"
)

// TestRulesAsNftSeesThem reads the rules back with nftables' own tool, to
// check that the bytecode nixcsh writes means what the same rules written
// by hand for nft would mean.
func TestRulesAsNftSeesThem(t *testing.T) {
	requireRoot(t)
	if _, err := exec.LookPath("nft"); err != nil {
		t.Skip("nft (Debian package nftables) is not installed")
	}
	name, n, hp := uniqueName(t), nextSubnet(), freePort(t)
	h := strconv.Itoa(int(hp))
	ns := setupT(t, Spec{Container: name, HostAddress: n.host4, LocalAddress: n.local4,
		HostAddress6: n.host6, LocalAddress6: n.local6,
		Ports: []PortForward{{"tcp", hp, 80}, {"udp", hp, 53}}})
	if err := ApplyFirewall(ns, Firewall{Enable: true, AllowPing: true, AllowedTCPPorts: []uint16{22, 80},
		AllowedUDPPorts: []uint16{53}, AllowedTCPPortRanges: []PortRange{{8000, 8100}},
		TrustedInterfaces: []string{"eth0", "wg+"},
		Interfaces:        map[string]Ports{"eth0": {TCP: []uint16{5432}, UDPRanges: []PortRange{{6000, 6010}}}}}); err != nil {
		t.Fatal(err)
	}
	nft := func(args ...string) string {
		t.Helper()
		out, err := exec.Command("nft", args...).CombinedOutput()
		if err != nil {
			t.Fatalf("nft %v: %v: %s", args, err, out)
		}
		return string(out)
	}
	expect := func(listing string, lines ...string) {
		t.Helper()
		for _, l := range lines {
			if !strings.Contains(listing, l) {
				t.Errorf("missing %q in\n%s", l, listing)
			}
		}
	}
	expect(nft("list", "table", "ip", "nixcsh-"+name),
		"type nat hook prerouting priority dstnat; policy accept;",
		"fib daddr type local tcp dport "+h+" dnat to "+n.local4+":80",
		"fib daddr type local udp dport "+h+" dnat to "+n.local4+":53",
		"type nat hook output priority -100; policy accept;",
		"type nat hook postrouting priority srcnat; policy accept;",
		"ip saddr 127.0.0.0/8 ip daddr "+n.local4+" masquerade")
	expect(nft("list", "table", "ip6", "nixcsh-"+name),
		"fib daddr type local tcp dport "+h+" dnat to ["+n.local6+"]:80")
	// The container's namespace, looked at from inside.
	var fw string
	if err := inNamespace(t, ns, func() error {
		out, err := exec.Command("nft", "list", "table", "inet", FirewallTable).CombinedOutput()
		fw = string(out)
		return err
	}); err != nil {
		t.Fatalf("nft inside: %v: %s", err, fw)
	}
	expect(fw,
		"type filter hook input priority filter; policy drop;",
		"iifname \"lo\" accept",
		"ct state established,related accept",
		"icmpv6 type 133-136 accept",
		"icmp type echo-request accept",
		"icmpv6 type echo-request accept",
		"tcp dport 22 accept",
		"tcp dport 8000-8100 accept",
		"udp dport 53 accept",
		"iifname \"eth0\" accept",
		"iifname \"wg*\" accept",
		"iifname \"eth0\" tcp dport 5432 accept",
		"iifname \"eth0\" udp dport 6000-6010 accept")
}
