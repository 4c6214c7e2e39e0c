package network

import (
	"os"
	"testing"
	"time"

	"github.com/vishvananda/netlink"
	"github.com/vishvananda/netns"
)

// After ReleaseNamespace the container keeps its network for as long as
// something is in its namespace; when the last reference goes, the kernel
// removes the veth pair from the host, and Teardown finishes the rest.
func TestReleaseNamespace(t *testing.T) {
	requireRoot(t)
	name, n := uniqueName(t), nextSubnet()
	s := Spec{Container: name, Owner: t.TempDir(), HostAddress: n.host4, LocalAddress: n.local4}
	ns := setupT(t, s)
	// An open handle keeps the namespace alive like the container's
	// processes do.
	h, err := netns.GetFromPath(ns)
	if err != nil {
		t.Fatal(err)
	}
	defer h.Close()

	updates := make(chan netlink.LinkUpdate, 64)
	done := make(chan struct{})
	defer close(done)
	if err := netlink.LinkSubscribe(updates, done); err != nil {
		t.Fatal(err)
	}
	if err := ReleaseNamespace(s); err != nil {
		t.Fatal(err)
	}
	if err := ReleaseNamespace(s); err != nil { // idempotent
		t.Fatalf("second ReleaseNamespace: %v", err)
	}
	if _, err := os.Lstat(ns); err == nil {
		t.Errorf("namespace %s still there after ReleaseNamespace", ns)
	}
	if !LinkExists("ve-" + name) {
		t.Fatal("host link gone while the namespace is still in use")
	}
	if !ping(t, n.local4) {
		t.Error("the container lost its network when its namespace was released")
	}

	h.Close()
	deadline := time.After(30 * time.Second)
	for LinkExists("ve-" + name) {
		select {
		case <-updates: // any link change: look again
		case <-deadline:
			t.Fatal("host link still there 30s after the namespace's last reference went")
		}
	}
	if err := Teardown(s); err != nil {
		t.Fatal(err)
	}
	assertGone(t, name)
}

// Another owner's network is not released.
func TestReleaseNamespaceLeavesOtherOwners(t *testing.T) {
	requireRoot(t)
	name, n := uniqueName(t), nextSubnet()
	mine := Spec{Container: name, Owner: "/root-a", HostAddress: n.host4, LocalAddress: n.local4}
	ns := setupT(t, mine)
	theirs := mine
	theirs.Owner = "/root-b"
	if err := ReleaseNamespace(theirs); err != nil {
		t.Fatal(err)
	}
	if _, err := netns.GetFromPath(ns); err != nil {
		t.Errorf("another owner's ReleaseNamespace removed the namespace: %v", err)
	}
}
