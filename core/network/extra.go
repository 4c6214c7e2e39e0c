package network

import (
	"errors"
	"fmt"
	"net"

	"github.com/vishvananda/netlink"
	"github.com/vishvananda/netns"
	"golang.org/x/sys/unix"

	"github.com/nixcsh/nixcsh/core/fault"
)

// MacvlanName is the container's link on host interface iface, as nspawn's
// --network-macvlan names it (cut to the kernel's 15 bytes).
func MacvlanName(iface string) string {
	n := "mv-" + iface
	if len(n) > maxLinkName {
		n = n[:maxLinkName]
	}
	return n
}

// setupExtraLinks makes the extra veth pairs and the macvlans of s in the
// container's namespace ns (inside is a netlink handle there). It returns
// the host links it made, for the caller to remove on a later failure;
// on its own failure it has removed them already.
func setupExtraLinks(s Spec, ns netns.NsHandle, inside *netlink.Handle) (made []string, err error) {
	defer func() {
		if err != nil {
			removeHostLinks(made)
			made = nil
		}
	}()
	for _, v := range s.ExtraVeths {
		if l, lerr := netlink.LinkByName(v.Name); lerr == nil {
			return made, fault.Errorf(fault.Exists, "container '%s': extra veth %s: a link of that name already exists on the host (%s); pick another name",
				s.Container, v.Name, l.Type())
		}
		var bridge netlink.Link
		if v.HostBridge != "" {
			if bridge, err = netlink.LinkByName(v.HostBridge); err != nil || bridge.Type() != "bridge" {
				return made, fault.Errorf(fault.NotFound, "container '%s': extra veth %s: hostBridge %s is not a bridge of the host: create it first", s.Container, v.Name, v.HostBridge)
			}
		}
		attrs := netlink.NewLinkAttrs()
		attrs.Name = v.Name
		attrs.Flags = net.FlagUp
		if bridge != nil {
			attrs.MasterIndex = bridge.Attrs().Index
		}
		if err := netlink.LinkAdd(&netlink.Veth{LinkAttrs: attrs, PeerName: v.Name, PeerNamespace: netlink.NsFd(ns)}); err != nil {
			return made, fmt.Errorf("creating extra veth pair %s: %w", v.Name, err)
		}
		made = append(made, v.Name)
		host, err := netlink.LinkByName(v.Name)
		if err != nil {
			return made, err
		}
		if err := netlink.LinkSetAlias(host, ownerAlias(s.Container, s.Owner)); err != nil {
			return made, fmt.Errorf("marking %s as nixcsh's: %w", v.Name, err)
		}
		peer, err := inside.LinkByName(v.Name)
		if err == nil {
			err = inside.LinkSetUp(peer)
		}
		if err != nil {
			return made, fmt.Errorf("bringing up %s inside: %w", v.Name, err)
		}
		pairs := []struct{ host, local, hk, lk string }{
			{v.HostAddress, v.LocalAddress, "hostAddress", "localAddress"},
			{v.HostAddress6, v.LocalAddress6, "hostAddress6", "localAddress6"},
		}
		for i, pr := range pairs {
			h, err := parseAddr(pr.hk, pr.host, i == 1)
			if err != nil {
				return made, err
			}
			l, err := parseAddr(pr.lk, pr.local, i == 1)
			if err != nil {
				return made, err
			}
			if bridge == nil {
				if err := configureSide(&netlink.Handle{}, host, h, l, false); err != nil {
					return made, fmt.Errorf("configuring %s: %w", v.Name, err)
				}
			}
			if err := configureSide(inside, peer, l, h, false); err != nil {
				return made, fmt.Errorf("configuring %s inside: %w", v.Name, err)
			}
		}
	}
	for _, iface := range s.Macvlans {
		parent, err := netlink.LinkByName(iface)
		if err != nil {
			return made, fault.Errorf(fault.NotFound, "container '%s': macvlan on %s: the host has no interface %s", s.Container, iface, iface)
		}
		attrs := netlink.NewLinkAttrs()
		attrs.Name = MacvlanName(iface)
		attrs.ParentIndex = parent.Attrs().Index
		attrs.Namespace = netlink.NsFd(ns)
		if err := netlink.LinkAdd(&netlink.Macvlan{LinkAttrs: attrs, Mode: netlink.MACVLAN_MODE_BRIDGE}); err != nil {
			return made, fmt.Errorf("creating macvlan %s on %s: %w", attrs.Name, iface, err)
		}
		l, err := inside.LinkByName(attrs.Name)
		if err == nil {
			err = inside.LinkSetUp(l)
		}
		if err != nil {
			return made, fmt.Errorf("bringing up %s inside: %w", attrs.Name, err)
		}
	}
	return made, nil
}

// removeHostLinks deletes host links by name (the host sides of extra veth
// pairs; the kernel removes their peers with them).
func removeHostLinks(names []string) []string {
	var errs []string
	for _, n := range names {
		if l, err := netlink.LinkByName(n); err == nil {
			if err := netlink.LinkDel(l); err != nil && !errors.Is(err, unix.ENODEV) {
				errs = append(errs, fmt.Sprintf("removing %s: %v", n, err))
			}
		}
	}
	return errs
}

// extraHostLinks are the host sides of s's extra veth pairs that exist and
// carry this container's ownership mark.
func extraHostLinks(s Spec) []string {
	var out []string
	for _, v := range s.ExtraVeths {
		if l, err := netlink.LinkByName(v.Name); err == nil && l.Attrs().Alias == ownerAlias(s.Container, s.Owner) {
			out = append(out, v.Name)
		}
	}
	return out
}
