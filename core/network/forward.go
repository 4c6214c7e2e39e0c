package network

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/google/nftables"
	"github.com/google/nftables/binaryutil"
	"github.com/google/nftables/expr"
	"github.com/vishvananda/netlink"
	"golang.org/x/sys/unix"

	"github.com/nixcsh/nixcsh/core/fault"
	"github.com/nixcsh/nixcsh/core/fsx"
)

// Port forwards live in nat tables of nixcsh's own on the host, one per
// container and address family, named nixcsh-NAME. Tables of our own mean
// containers never touch each other's rules, and other tools' tables (such
// as podman's netavark) are never touched at all:
//
//	table ip nixcsh-NAME {
//	  chain prerouting  { type nat hook prerouting priority dstnat; fib daddr type local tcp dport H dnat to LOCAL:C }
//	  chain output      { type nat hook output priority dstnat;     fib daddr type local tcp dport H dnat to LOCAL:C }
//	  chain postrouting { type nat hook postrouting priority srcnat; ip saddr 127.0.0.0/8 ip daddr LOCAL masquerade }
//	}
//	table ip6 nixcsh-NAME { the same prerouting and output chains to [LOCAL_ADDRESS6]:C }
//
// The output chain serves connections from the host itself; those to
// 127.0.0.1 leave the host with a loopback source, which needs
// route_localnet and the masquerade. IPv6 has no such thing: ::1 never
// leaves the host, so IPv6 forwards answer on the host's other addresses,
// and from other machines only if the host already forwards IPv6 (nixcsh
// does not switch net.ipv6.conf.all.forwarding on: that would stop the host
// from accepting router advertisements).

// forwardFamilies are the families of the forward tables.
var forwardFamilies = []nftables.TableFamily{nftables.TableFamilyIPv4, nftables.TableFamilyIPv6}

// forwardSysctls are switched on while any IPv4 forward exists on the host.
var forwardSysctls = []string{"net/ipv4/ip_forward", "net/ipv4/conf/all/route_localnet"}

// savedSysctls records the values forwardSysctls had before nixcsh changed
// them; it exists exactly while nixcsh holds them switched on.
func savedSysctls() string { return filepath.Join(StateDir, "sysctl-saved") }

func addForwards(p *plan) error {
	c, err := nftables.New()
	if err != nil {
		return err
	}
	for _, local := range []*addr{p.local4, p.local6} {
		if local == nil {
			continue
		}
		fam, nfproto := nftables.TableFamilyIPv4, uint32(unix.NFPROTO_IPV4)
		if local.ip.Is6() {
			fam, nfproto = nftables.TableFamilyIPv6, unix.NFPROTO_IPV6
		}
		t := &nftables.Table{Family: fam, Name: p.table}
		// CreateTable fails if the table exists: a table of that name is
		// someone else's (or a leftover to tear down first), never ours
		// to take over.
		c.CreateTable(t)
		chain := func(name string, hook *nftables.ChainHook, prio *nftables.ChainPriority) *nftables.Chain {
			return c.AddChain(&nftables.Chain{Name: name, Table: t, Type: nftables.ChainTypeNAT, Hooknum: hook, Priority: prio})
		}
		pre := chain("prerouting", nftables.ChainHookPrerouting, nftables.ChainPriorityNATDest)
		out := chain("output", nftables.ChainHookOutput, nftables.ChainPriorityNATDest)
		to := local.ip.AsSlice()
		for _, f := range p.ports {
			for _, ch := range []*nftables.Chain{pre, out} {
				c.AddRule(&nftables.Rule{Table: t, Chain: ch, Exprs: dnatExprs(f, to, nfproto)})
			}
		}
		if fam != nftables.TableFamilyIPv4 {
			continue
		}
		post := chain("postrouting", nftables.ChainHookPostrouting, nftables.ChainPriorityNATSource)
		c.AddRule(&nftables.Rule{Table: t, Chain: post, Exprs: []expr.Any{
			// ip saddr 127.0.0.0/8
			&expr.Payload{DestRegister: 1, Base: expr.PayloadBaseNetworkHeader, Offset: 12, Len: 4},
			&expr.Bitwise{SourceRegister: 1, DestRegister: 1, Len: 4, Mask: []byte{255, 0, 0, 0}, Xor: []byte{0, 0, 0, 0}},
			&expr.Cmp{Op: expr.CmpOpEq, Register: 1, Data: []byte{127, 0, 0, 0}},
			// ip daddr LOCAL
			&expr.Payload{DestRegister: 1, Base: expr.PayloadBaseNetworkHeader, Offset: 16, Len: 4},
			&expr.Cmp{Op: expr.CmpOpEq, Register: 1, Data: to},
			&expr.Masq{},
		}})
	}
	if err := c.Flush(); err != nil {
		if errors.Is(err, unix.EEXIST) {
			return fault.Errorf(fault.Exists,
				"cannot set up the port forwards of container '%s': an nftables table %s already exists on the host; nixcsh will not take it over",
				p.container, p.table)
		}
		return fmt.Errorf("nftables tables %s: %w", p.table, err)
	}
	return nil
}

// dnatExprs is `fib daddr type local <proto> dport H dnat to LOCAL:C`.
func dnatExprs(f PortForward, local []byte, nfproto uint32) []expr.Any {
	proto := byte(unix.IPPROTO_TCP)
	if f.Proto == "udp" {
		proto = unix.IPPROTO_UDP
	}
	return []expr.Any{
		&expr.Fib{Register: 1, FlagDADDR: true, ResultADDRTYPE: true},
		&expr.Cmp{Op: expr.CmpOpEq, Register: 1, Data: binaryutil.NativeEndian.PutUint32(unix.RTN_LOCAL)},
		&expr.Meta{Key: expr.MetaKeyL4PROTO, Register: 1},
		&expr.Cmp{Op: expr.CmpOpEq, Register: 1, Data: []byte{proto}},
		&expr.Payload{DestRegister: 1, Base: expr.PayloadBaseTransportHeader, Offset: 2, Len: 2},
		&expr.Cmp{Op: expr.CmpOpEq, Register: 1, Data: binaryutil.BigEndian.PutUint16(f.HostPort)},
		&expr.Immediate{Register: 1, Data: local},
		&expr.Immediate{Register: 2, Data: binaryutil.BigEndian.PutUint16(f.ContainerPort)},
		&expr.NAT{Type: expr.NATTypeDestNAT, Family: nfproto, RegAddrMin: 1, RegProtoMin: 2, Specified: true},
	}
}

// removeForwards deletes the container's nat tables that exist. It looks
// first: a listing is cheap, while every committed nftables batch waits for
// the kernel's RCU grace period (several milliseconds).
func removeForwards(table string) error {
	c, err := nftables.New()
	if err != nil {
		return err
	}
	found := false
	for _, fam := range forwardFamilies {
		if _, err := c.ListTableOfFamily(table, fam); err != nil {
			if errors.Is(err, unix.ENOENT) {
				continue
			}
			return fmt.Errorf("looking for nftables table %s: %w", table, err)
		}
		c.DelTable(&nftables.Table{Family: fam, Name: table})
		found = true
	}
	if !found {
		return nil
	}
	if err := c.Flush(); err != nil && !errors.Is(err, unix.ENOENT) {
		return fmt.Errorf("removing nftables table %s: %w", table, err)
	}
	return nil
}

// forwardTables lists nixcsh's nat tables of one family on the host.
func forwardTables(fam nftables.TableFamily) ([]string, error) {
	c, err := nftables.New()
	if err != nil {
		return nil, err
	}
	tables, err := c.ListTablesOfFamily(fam)
	if err != nil {
		return nil, fault.Errorf(fault.Failed, "cannot list the host's nftables tables: %w", err)
	}
	var names []string
	for _, t := range tables {
		if strings.HasPrefix(t.Name, namePrefix) {
			names = append(names, t.Name)
		}
	}
	return names, nil
}

func sysctlPath(key string) string { return filepath.Join("/proc/sys", key) }

// writeSysctl sets a sysctl of the caller's network namespace (the host's).
func writeSysctl(key, value string) error {
	return os.WriteFile(sysctlPath(key), []byte(value+"\n"), 0o644)
}

// enableForwardSysctls switches forwardSysctls on, first remembering their
// values unless nixcsh already holds them (the saved file exists).
func enableForwardSysctls() error {
	if _, err := os.Stat(savedSysctls()); errors.Is(err, os.ErrNotExist) {
		var b strings.Builder
		for _, k := range forwardSysctls {
			v, err := os.ReadFile(sysctlPath(k))
			if err != nil {
				return fmt.Errorf("reading sysctl %s: %w", k, err)
			}
			fmt.Fprintf(&b, "%s=%s\n", k, strings.TrimSpace(string(v)))
		}
		if err := fsx.WriteAtomic(savedSysctls(), []byte(b.String()), 0o644); err != nil {
			return err
		}
	}
	for _, k := range forwardSysctls {
		if err := writeSysctl(k, "1"); err != nil {
			return fmt.Errorf("setting sysctl %s=1: %w", k, err)
		}
	}
	return nil
}

// restoreSysctlsIfLast puts the saved sysctl values back when no nixcsh
// IPv4 forward remains on the host. The caller holds the host lock.
func restoreSysctlsIfLast() error {
	saved, err := os.ReadFile(savedSysctls())
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	tables, err := forwardTables(nftables.TableFamilyIPv4)
	if err != nil || len(tables) > 0 {
		return err
	}
	for _, line := range strings.Split(strings.TrimSpace(string(saved)), "\n") {
		k, v, ok := strings.Cut(line, "=")
		if !ok || !isForwardSysctl(k) {
			continue // only ever write the keys we changed
		}
		if err := writeSysctl(k, v); err != nil {
			return fmt.Errorf("restoring sysctl %s=%s: %w", k, v, err)
		}
	}
	// Writing ip_forward sets every link's IPv4 forwarding to the same
	// value: the containers still running need theirs back.
	if err := reenableLinkForwarding(); err != nil {
		return err
	}
	return os.Remove(savedSysctls())
}

// reenableLinkForwarding switches IPv4 forwarding back on for every host link
// of a running nixcsh container that routes (ve-NAME; a vb-NAME is a bridge
// port and does not route). The caller holds the host lock.
func reenableLinkForwarding() error {
	links, err := netlink.LinkList()
	if err != nil {
		return fmt.Errorf("listing the host's links: %w", err)
	}
	for _, l := range links {
		a := l.Attrs()
		if !strings.HasPrefix(a.Alias, aliasPrefix) || !strings.HasPrefix(a.Name, "ve-") {
			continue
		}
		err := writeSysctl("net/ipv4/conf/"+a.Name+"/forwarding", "1")
		if err != nil && !errors.Is(err, os.ErrNotExist) { // a link going away meanwhile
			return fmt.Errorf("switching forwarding back on for %s: %w", a.Name, err)
		}
	}
	return nil
}

func isForwardSysctl(k string) bool {
	for _, f := range forwardSysctls {
		if f == k {
			return true
		}
	}
	return false
}

// enableLinkForwarding lets the host route what the container sends through
// its host link: to other containers' LOCAL_ADDRESS (a web container fetching
// from a backend by its address) and back. It switches forwarding on for
// that one link only, never host-wide: Linux decides whether to forward a
// packet by the link it arrived on (IPv4: conf/LINK/forwarding; IPv6:
// conf/LINK/force_forwarding, Linux 6.17 and later), and every packet
// between two containers arrives on one of nixcsh's ve- links. So the host
// does not start routing between its own networks, IPv6 router
// advertisements stay accepted on its other links, and nothing needs
// restoring: the setting goes with the link. On older kernels
// container-to-container IPv6 needs the host's own
// net.ipv6.conf.all.forwarding, which nixcsh leaves to the administrator.
// (Port forwards still switch ip_forward on host-wide: their packets arrive
// on the host's own links.)
func enableLinkForwarding(link string, v4, v6 bool) error {
	if v4 {
		if err := writeSysctl("net/ipv4/conf/"+link+"/forwarding", "1"); err != nil {
			return err
		}
	}
	if v6 {
		err := writeSysctl("net/ipv6/conf/"+link+"/force_forwarding", "1")
		if err != nil && !errors.Is(err, os.ErrNotExist) {
			return err
		}
	}
	return nil
}
