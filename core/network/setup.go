package network

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"strings"
	"time"

	"github.com/vishvananda/netlink"
	"github.com/vishvananda/netns"
	"golang.org/x/sys/unix"

	"github.com/nixcsh/nixcsh/core/fault"
	"github.com/nixcsh/nixcsh/core/revert"
)

// Setup makes the container's network and returns the namespace path for
// nspawn's --network-namespace-path: the named namespace, the veth pair (host
// side HostLinkName, container side eth0 inside the namespace), addresses and
// routes on both sides, the bridge enslaving and the port forwards. On any
// failure it removes everything it made. It refuses (fault.Exists) to reuse a
// host link, namespace or nat table that already exists: those belong to
// someone else, or to a run of this container that was not torn down
// (Teardown first).
func Setup(ctx context.Context, s Spec) (nsPath string, err error) {
	p, err := s.plan()
	if err != nil {
		return "", err
	}
	lock, err := lockHost(ctx)
	if err != nil {
		return "", err
	}
	defer lock.unlock()

	// On failure, undo only what this call made, newest first.
	undo := revert.New()
	defer undo.Fail()
	step := func(what string, e error) error {
		if e == nil {
			return nil
		}
		var ce *fault.Error
		if errors.As(e, &ce) {
			return e
		}
		return fault.Errorf(fault.Failed, "cannot set up the network of container '%s': %s: %w", p.container, what, e)
	}

	if err := ctx.Err(); err != nil {
		return "", step("cancelled", err)
	}
	if l, lerr := netlink.LinkByName(p.hostLink); lerr == nil {
		return "", linkTaken(p, l)
	}
	var bridge netlink.Link
	if p.bridge != "" {
		bridge, err = netlink.LinkByName(p.bridge)
		if err != nil {
			return "", fault.Errorf(fault.NotFound, "container '%s': HOST_BRIDGE %s does not exist on the host: create the bridge first", p.container, p.bridge)
		}
		if bridge.Type() != "bridge" {
			return "", fault.Errorf(fault.Invalid, "container '%s': HOST_BRIDGE %s is a %s link, not a bridge", p.container, p.bridge, bridge.Type())
		}
	}

	// The namespace.
	if err := shareNamespaceDir(); err != nil {
		return "", step("making "+namespaceDir+" a shared mount", err)
	}
	create := createNamespace
	if s.FromPID > 0 {
		create = func(path string) error { return adoptNamespace(path, s.FromPID) }
	}
	if err := create(p.nsPath); err != nil {
		if errors.Is(err, os.ErrExist) {
			return "", fault.Errorf(fault.Exists,
				"cannot set up the network of container '%s': network namespace %s already exists (another container or state root uses the name, or a previous run was not torn down); nixcsh will not take it over",
				p.container, p.nsPath)
		}
		return "", step("creating network namespace "+p.nsPath, err)
	}
	undo.Add(func() { deleteNamespace(p.nsPath) })
	ns, err := netns.GetFromPath(p.nsPath)
	if err != nil {
		return "", step("opening "+p.nsPath, err)
	}
	defer ns.Close()
	inside, err := netlink.NewHandleAt(ns)
	if err != nil {
		return "", step("opening netlink in "+p.nsPath, err)
	}
	defer inside.Close()

	// The veth pair: the peer is born inside the namespace, so its name
	// (eth0) never meets the host's own eth0. It is created up.
	attrs := netlink.NewLinkAttrs()
	attrs.Name = p.hostLink
	attrs.Flags = net.FlagUp
	if bridge != nil {
		attrs.MasterIndex = bridge.Attrs().Index
	}
	veth := &netlink.Veth{LinkAttrs: attrs, PeerName: containerSide, PeerNamespace: netlink.NsFd(ns), PeerHardwareAddr: p.mac}
	if err := netlink.LinkAdd(veth); err != nil {
		if errors.Is(err, unix.EEXIST) {
			if l, lerr := netlink.LinkByName(p.hostLink); lerr == nil {
				return "", linkTaken(p, l)
			}
		}
		return "", step("creating veth pair "+p.hostLink+" <-> "+containerSide, err)
	}
	undo.Add(func() {
		if l, lerr := netlink.LinkByName(p.hostLink); lerr == nil {
			netlink.LinkDel(l)
		}
	})
	host, err := netlink.LinkByName(p.hostLink)
	if err != nil {
		return "", step("finding "+p.hostLink, err)
	}
	// The alias marks who owns the link (the kernel ignores IFLA_IFALIAS
	// when it creates a link, so it is set afterwards).
	if err := netlink.LinkSetAlias(host, ownerAlias(p.container, p.owner)); err != nil {
		return "", step("marking "+p.hostLink+" as nixcsh's", err)
	}
	if p.host6 != nil || p.local6 != nil {
		// The host side's link-local address must not wait for duplicate
		// address detection: the kernel sends neighbour solicitations for
		// packets from other host addresses (port forwards from the host's
		// own address) from the link-local one, and sends none while it
		// is tentative, stalling them for about two seconds.
		if err := writeSysctl("net/ipv6/conf/"+p.hostLink+"/accept_dad", "0"); err != nil && !errors.Is(err, os.ErrNotExist) {
			return "", step("switching off DAD on "+p.hostLink, err)
		}
	}
	if err := ctx.Err(); err != nil {
		return "", step("cancelled", err)
	}

	// Host side: HOST_ADDRESS and a route to LOCAL_ADDRESS (not when bridged:
	// the bridge carries the host's address then).
	if bridge == nil {
		if err := configureSide(&netlink.Handle{}, host, p.host4, p.local4, false); err != nil {
			return "", step("configuring "+p.hostLink, err)
		}
		if err := configureSide(&netlink.Handle{}, host, p.host6, p.local6, false); err != nil {
			return "", step("configuring "+p.hostLink, err)
		}
		if err := enableLinkForwarding(p.hostLink, p.local4 != nil, p.local6 != nil); err != nil {
			return "", step("switching on forwarding on "+p.hostLink, err)
		}
	}

	// Inside: lo and eth0 up, LOCAL_ADDRESS, a route to HOST_ADDRESS and the
	// default route via it.
	lo, err := inside.LinkByName("lo")
	if err == nil {
		err = inside.LinkSetUp(lo)
	}
	if err != nil {
		return "", step("bringing up lo inside", err)
	}
	eth, err := inside.LinkByName(containerSide)
	if err == nil {
		err = inside.LinkSetUp(eth)
	}
	if err != nil {
		return "", step("bringing up eth0 inside", err)
	}
	if err := configureSide(inside, eth, p.local4, p.host4, true); err != nil {
		return "", step("configuring eth0 inside", err)
	}
	if err := configureSide(inside, eth, p.local6, p.host6, true); err != nil {
		return "", step("configuring eth0 inside", err)
	}
	extra, err := setupExtraLinks(s, ns, inside)
	undo.Add(func() { removeHostLinks(extra) }) // those made before a failure too
	if err != nil {
		return "", step("making the extra links", err)
	}
	// Wait until both ends carry traffic, so that the first packets to and
	// from the container are not lost (see waitReady).
	var host6 *addr
	if bridge == nil {
		host6 = p.host6
	}
	if err := waitReady(ctx, &netlink.Handle{}, host, host6); err != nil {
		return "", step("waiting for "+p.hostLink+" to come up", err)
	}
	if err := waitReady(ctx, inside, eth, p.local6); err != nil {
		return "", step("waiting for eth0 inside to come up", err)
	}

	if len(p.ports) > 0 {
		if p.local4 != nil {
			undo.Add(func() { restoreSysctlsIfLast() }) // they may change even if enabling fails
			if err := enableForwardSysctls(); err != nil {
				return "", step("switching on forwarding sysctls", err)
			}
		}
		if err := addForwards(p); err != nil {
			return "", step("adding port forwards", err)
		}
		undo.Add(func() { removeForwards(p.table) })
	}
	undo.Success()
	return p.nsPath, nil
}

// configureSide gives link its own address, a host route to the peer's
// address and, inside the container, the default route via the peer. A
// zero Handle works in the caller's (the host's) namespace. Addresses skip IPv6 duplicate
// address detection: the link is point-to-point and private to us, and DAD
// would keep the address unusable ("tentative") for a second or more.
func configureSide(h *netlink.Handle, link netlink.Link, own, peer *addr, defaultRoute bool) error {
	if own != nil {
		a := &netlink.Addr{IPNet: own.net}
		if own.ip.Is6() {
			a.Flags = unix.IFA_F_NODAD
		}
		if err := h.AddrAdd(link, a); err != nil {
			return fmt.Errorf("address %s: %w", own.net, err)
		}
	}
	if peer == nil {
		return nil
	}
	r := &netlink.Route{LinkIndex: link.Attrs().Index, Dst: peer.single(), Scope: netlink.SCOPE_LINK}
	if err := h.RouteAdd(r); err != nil && !errors.Is(err, unix.EEXIST) {
		return fmt.Errorf("route to %s: %w", peer.ip, err)
	}
	if defaultRoute {
		d := &netlink.Route{LinkIndex: link.Attrs().Index, Gw: peer.ip.AsSlice()}
		if err := h.RouteAdd(d); err != nil {
			return fmt.Errorf("default route via %s: %w", peer.ip, err)
		}
	}
	return nil
}

// readyWait bounds how long Setup waits for a veth end to be ready. It is
// ready within microseconds to milliseconds; one that is not is reported.
const readyWait = 3 * time.Second

// waitReady waits until link carries traffic:
//   - a veth end drops what it is asked to send until the kernel's link
//     watcher has activated it (operational state up);
//   - an IPv6 address, even one without DAD, becomes local (its local route,
//     and the solicited-node group neighbour discovery needs) only when the
//     kernel's addrconf work queue has run; until then packets to it are
//     dropped and the first connection stalls for a second.
//
// Both normally hold at the first look; otherwise it polls with a growing
// pause (a netlink subscription would need a socket in the namespace whose
// reader cannot be stopped cleanly).
func waitReady(ctx context.Context, h *netlink.Handle, link netlink.Link, v6 *addr) error {
	deadline := time.Now().Add(readyWait)
	pause := 50 * time.Microsecond
	for {
		l, err := h.LinkByIndex(link.Attrs().Index)
		if err != nil {
			return err
		}
		missing := ""
		if state := l.Attrs().OperState; state != netlink.OperUp {
			missing = "link " + state.String()
		} else if v6 != nil {
			routes, err := h.RouteGet(v6.ip.AsSlice())
			if err != nil {
				return err
			}
			if len(routes) == 0 || routes[0].Type != unix.RTN_LOCAL {
				missing = "address " + v6.ip.String() + " not yet usable"
			}
		}
		if missing == "" {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("%s after %v", missing, readyWait)
		}
		t := time.NewTimer(pause)
		select {
		case <-ctx.Done():
			t.Stop()
			return ctx.Err()
		case <-t.C:
		}
		pause = min(2*pause, 10*time.Millisecond)
	}
}

// linkTaken is the error for a host link that exists and that this Setup did
// not make.
func linkTaken(p *plan, l netlink.Link) error {
	who := "another tool"
	if a := l.Attrs().Alias; strings.HasPrefix(a, aliasPrefix) {
		if a == ownerAlias(p.container, p.owner) {
			who = "an earlier run of this container that was not torn down (stop the container first)"
		} else {
			who = fmt.Sprintf("nixcsh state %q", strings.TrimPrefix(a, aliasPrefix))
		}
	}
	return fault.Errorf(fault.Exists,
		"cannot set up the network of container '%s': network link %s already exists on the host, made by %s; nixcsh will not take it over",
		p.container, p.hostLink, who)
}

// Teardown removes the container's network: host link (ve-NAME and vb-NAME),
// namespace and port forwards, and restores the sysctls Setup changed when
// the last forward on the host goes. It is idempotent and safe on a half-made
// network. A host link that carries another owner's alias (or none: another
// tool's) is left alone together with the namespace and table of that name,
// since they are that owner's too.
func Teardown(s Spec) error {
	if err := CheckName(s.Container); err != nil {
		return err
	}
	lock, err := lockHost(context.Background())
	if err != nil {
		return err
	}
	defer lock.unlock()

	links, foreign := hostLinks(s)
	if foreign {
		return nil // someone else's network: touch nothing
	}
	errs := removeHostLinks(extraHostLinks(s))
	for _, l := range links {
		// Gone already (ENODEV) when the kernel removed the pair with the
		// namespace, after ReleaseNamespace.
		if err := netlink.LinkDel(l); err != nil && !errors.Is(err, unix.ENODEV) {
			errs = append(errs, fmt.Sprintf("removing %s: %v", l.Attrs().Name, err))
		}
	}
	if err := removeForwards(forwardTableName(s.Container)); err != nil {
		errs = append(errs, err.Error())
	}
	if err := deleteNamespace(NamespacePath(s.Container)); err != nil {
		errs = append(errs, err.Error())
	}
	if err := restoreSysctlsIfLast(); err != nil {
		errs = append(errs, err.Error())
	}
	if len(errs) > 0 {
		return fault.Errorf(fault.Failed, "cannot tear down the network of container '%s': %s", s.Container, strings.Join(errs, "; "))
	}
	return nil
}

// ReleaseNamespace unpins the container's network namespace (removes its
// bind mount) while the container is still running, for a stop: the
// namespace then lives exactly as long as the container's processes, and
// when the last one exits the kernel removes the veth pair with it, as it
// does for nspawn's own --network-veth. Deleting the host link by hand
// afterwards instead costs 10-20 ms (the kernel waits for an RCU barrier
// before RTM_DELLINK returns), all of it after the container is down. The
// container keeps its network until it is down. Teardown is still needed
// (port forwards, sysctls, and the link if something else keeps the
// namespace alive). Another owner's network is left alone, as in Teardown.
func ReleaseNamespace(s Spec) error {
	if err := CheckName(s.Container); err != nil {
		return err
	}
	lock, err := lockHost(context.Background())
	if err != nil {
		return err
	}
	defer lock.unlock()
	if _, foreign := hostLinks(s); foreign {
		return nil
	}
	if err := deleteNamespace(NamespacePath(s.Container)); err != nil {
		return fault.Errorf(fault.Failed, "cannot release the network namespace of container '%s': %v", s.Container, err)
	}
	return nil
}

// hostLinks is the container's host links (ve-NAME, vb-NAME) that exist;
// foreign reports one that carries another owner's alias (or none: another
// tool's), which makes the network with that name someone else's.
func hostLinks(s Spec) (links []netlink.Link, foreign bool) {
	for _, name := range []string{HostLinkName(s.Container, false), HostLinkName(s.Container, true)} {
		l, err := netlink.LinkByName(name)
		if err != nil {
			continue
		}
		if l.Attrs().Alias != ownerAlias(s.Container, s.Owner) {
			return nil, true
		}
		links = append(links, l)
	}
	return links, false
}
