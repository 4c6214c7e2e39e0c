package network

import (
	"errors"
	"fmt"
	"os"
	"sort"
	"strings"

	"github.com/google/nftables"
	"github.com/google/nftables/binaryutil"
	"github.com/google/nftables/expr"
	"golang.org/x/sys/unix"

	"github.com/nixcsh/nixcsh/core"
)

// Firewall is networking.firewall of the container's config, programmed into
// the container's namespace from the host.
type Firewall struct {
	Enable                                     bool
	AllowedTCPPorts, AllowedUDPPorts           []uint16
	AllowedTCPPortRanges, AllowedUDPPortRanges []PortRange
	AllowPing                                  bool
	// TrustedInterfaces accept all traffic arriving on them
	// (networking.firewall.trustedInterfaces).
	TrustedInterfaces []string
	// Interfaces are ports open only to traffic arriving on that interface
	// (networking.firewall.interfaces.<name>).
	Interfaces map[string]Ports
}

// Ports are ports a firewall opens.
type Ports struct {
	TCP, UDP             []uint16
	TCPRanges, UDPRanges []PortRange
}

// PortRange is an inclusive range of ports (allowedTCPPortRanges' from/to).
type PortRange struct{ From, To uint16 }

// FirewallTable is the name of the inet table ApplyFirewall owns inside the
// container's namespace.
const FirewallTable = "nixcsh-firewall"

// ICMPv6 types that IPv6 cannot work without: router solicitation and
// advertisement, neighbour solicitation and advertisement (133-136).
const (
	icmpv6NDFirst = 133
	icmpv6NDLast  = 136
	icmpEchoReq   = 8
	icmpv6EchoReq = 128
)

// ApplyFirewall replaces the container's firewall in one nftables batch, so
// the change is atomic and takes effect at once (connections already
// established stay up):
//
//	table inet nixcsh-firewall {
//	  chain input { type filter hook input priority filter; policy drop;
//	    iifname "lo" accept; ct state established,related accept
//	    icmpv6 type 133-136 accept; [icmp/icmpv6 echo-request accept]
//	    tcp dport P accept; tcp dport A-B accept; udp ... }
//	}
//
// Enable=false removes the table: everything is open.
func ApplyFirewall(nsPath string, fw Firewall) error {
	for _, r := range append(append([]PortRange{}, fw.AllowedTCPPortRanges...), fw.AllowedUDPPortRanges...) {
		if r.From > r.To || r.From == 0 {
			return core.Errorf(core.Invalid, "invalid networking.firewall port range %d-%d: expected from <= to, both 1-65535", r.From, r.To)
		}
	}
	f, err := os.Open(nsPath)
	if err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return core.Errorf(core.NotFound, "cannot program the firewall: network namespace %s does not exist (is the container running?)", nsPath)
		}
		return core.Errorf(core.Failed, "cannot program the firewall: %w", err)
	}
	defer f.Close()
	c, err := nftables.New(nftables.WithNetNSFd(int(f.Fd())))
	if err != nil {
		return core.Errorf(core.Failed, "cannot program the firewall in %s: %w", nsPath, err)
	}
	t := &nftables.Table{Family: nftables.TableFamilyINet, Name: FirewallTable}
	if !fw.Enable {
		c.AddTable(t) // so that the delete succeeds when there is none
		c.DelTable(t)
	} else {
		// Common case, an update: keep the table and its hooked chain and
		// swap the rules (flush + add in one batch is atomic). Re-hooking a
		// chain makes the kernel wait for an RCU grace period.
		replaceFirewall(c, t, fw, false)
		if err := c.Flush(); err == nil {
			return nil
		}
		// The chain is not as nixcsh makes it (someone changed it inside
		// the container): start over with add + delete + add.
		c.AddTable(t)
		c.DelTable(t)
		replaceFirewall(c, t, fw, true)
	}
	if err := c.Flush(); err != nil {
		return core.Errorf(core.Failed, "cannot program the firewall in %s: %w", nsPath, err)
	}
	return nil
}

// replaceFirewall queues the table, its input chain and fw's rules into c's
// batch. Unless fresh, it flushes the chain first (it may hold old rules).
func replaceFirewall(c *nftables.Conn, t *nftables.Table, fw Firewall, fresh bool) {
	c.AddTable(t)
	drop := nftables.ChainPolicyDrop
	in := c.AddChain(&nftables.Chain{Name: "input", Table: t, Type: nftables.ChainTypeFilter,
		Hooknum: nftables.ChainHookInput, Priority: nftables.ChainPriorityFilter, Policy: &drop})
	if !fresh {
		c.FlushChain(in)
	}
	for _, e := range firewallRules(fw) {
		c.AddRule(&nftables.Rule{Table: t, Chain: in, Exprs: append(e, &expr.Verdict{Kind: expr.VerdictAccept})})
	}
}

// firewallRules are the matches of the input chain's accept rules, in order.
func firewallRules(fw Firewall) [][]expr.Any {
	rules := [][]expr.Any{
		iifname("lo"),
		{ // ct state established,related
			&expr.Ct{Key: expr.CtKeySTATE, Register: 1},
			&expr.Bitwise{SourceRegister: 1, DestRegister: 1, Len: 4,
				Mask: binaryutil.NativeEndian.PutUint32(expr.CtStateBitESTABLISHED | expr.CtStateBitRELATED),
				Xor:  binaryutil.NativeEndian.PutUint32(0)},
			&expr.Cmp{Op: expr.CmpOpNeq, Register: 1, Data: binaryutil.NativeEndian.PutUint32(0)},
		},
		icmpType(unix.IPPROTO_ICMPV6, icmpv6NDFirst, icmpv6NDLast),
	}
	for _, name := range fw.TrustedInterfaces {
		rules = append(rules, iifname(name))
	}
	if fw.AllowPing {
		rules = append(rules, icmpType(unix.IPPROTO_ICMP, icmpEchoReq, icmpEchoReq),
			icmpType(unix.IPPROTO_ICMPV6, icmpv6EchoReq, icmpv6EchoReq))
	}
	rules = portRules(rules, nil, Ports{fw.AllowedTCPPorts, fw.AllowedUDPPorts, fw.AllowedTCPPortRanges, fw.AllowedUDPPortRanges})
	names := make([]string, 0, len(fw.Interfaces))
	for name := range fw.Interfaces {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		rules = portRules(rules, iifname(name), fw.Interfaces[name])
	}
	return rules
}

// portRules appends a rule per port and range of p, each after the match
// (nil, or the interface the packet must come from).
func portRules(rules [][]expr.Any, match []expr.Any, p Ports) [][]expr.Any {
	for _, set := range []struct {
		proto  byte
		ports  []uint16
		ranges []PortRange
	}{
		{unix.IPPROTO_TCP, p.TCP, p.TCPRanges},
		{unix.IPPROTO_UDP, p.UDP, p.UDPRanges},
	} {
		for _, port := range set.ports {
			rules = append(rules, append(append([]expr.Any{}, match...), dport(set.proto, PortRange{port, port})...))
		}
		for _, r := range set.ranges {
			rules = append(rules, append(append([]expr.Any{}, match...), dport(set.proto, r)...))
		}
	}
	return rules
}

// iifname matches packets that arrived on the interface name; a name
// ending in "+" matches every interface it is a prefix of (iptables' -i).
func iifname(name string) []expr.Any {
	b := make([]byte, unix.IFNAMSIZ)
	copy(b, name)
	if prefix, ok := strings.CutSuffix(name, "+"); ok {
		b = []byte(prefix)
	}
	return []expr.Any{
		&expr.Meta{Key: expr.MetaKeyIIFNAME, Register: 1},
		&expr.Cmp{Op: expr.CmpOpEq, Register: 1, Data: b},
	}
}

// icmpType matches ICMP (or ICMPv6) messages of type from..to.
func icmpType(proto byte, from, to byte) []expr.Any {
	e := []expr.Any{
		&expr.Meta{Key: expr.MetaKeyL4PROTO, Register: 1},
		&expr.Cmp{Op: expr.CmpOpEq, Register: 1, Data: []byte{proto}},
		&expr.Payload{DestRegister: 1, Base: expr.PayloadBaseTransportHeader, Offset: 0, Len: 1},
	}
	if from == to {
		return append(e, &expr.Cmp{Op: expr.CmpOpEq, Register: 1, Data: []byte{from}})
	}
	return append(e, &expr.Range{Op: expr.CmpOpEq, Register: 1, FromData: []byte{from}, ToData: []byte{to}})
}

// dport matches TCP or UDP packets to a destination port in r.
func dport(proto byte, r PortRange) []expr.Any {
	e := []expr.Any{
		&expr.Meta{Key: expr.MetaKeyL4PROTO, Register: 1},
		&expr.Cmp{Op: expr.CmpOpEq, Register: 1, Data: []byte{proto}},
		&expr.Payload{DestRegister: 1, Base: expr.PayloadBaseTransportHeader, Offset: 2, Len: 2},
	}
	if r.From == r.To {
		return append(e, &expr.Cmp{Op: expr.CmpOpEq, Register: 1, Data: binaryutil.BigEndian.PutUint16(r.From)})
	}
	return append(e, &expr.Range{Op: expr.CmpOpEq, Register: 1,
		FromData: binaryutil.BigEndian.PutUint16(r.From), ToData: binaryutil.BigEndian.PutUint16(r.To)})
}

// String renders a firewall the way a user wrote it, for messages.
func (r PortRange) String() string { return fmt.Sprintf("%d-%d", r.From, r.To) }
