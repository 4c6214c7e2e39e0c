package core

import (
	"context"
	"os"
	"strings"
	"testing"

	"github.com/nixcsh/nixcsh/core/conf"
	"github.com/nixcsh/nixcsh/core/fault"
)

// create's --host-address/--local-address: IPv4 goes to HOST_ADDRESS and
// LOCAL_ADDRESS as nixos-container writes them, IPv6 to the *6 keys; bad or
// mixed addresses are refused before anything is written.
func TestCreateAddresses(t *testing.T) {
	m, _ := newTestManager(t)
	ctx := context.Background()
	for _, c := range []struct {
		name, host, local string
		want              map[string]string
	}{
		{"four", "10.9.0.1", "10.9.0.2/24", map[string]string{conf.HostAddress: "10.9.0.1", conf.LocalAddress: "10.9.0.2/24", conf.HostAddress6: "", conf.LocalAddress6: ""}},
		{"six", "fc00::1", "fc00::2/64", map[string]string{conf.HostAddress: "", conf.LocalAddress: "", conf.HostAddress6: "fc00::1", conf.LocalAddress6: "fc00::2/64"}},
	} {
		if _, err := m.Create(ctx, c.name, CreateOptions{HostAddress: c.host, LocalAddress: c.local}); err != nil {
			t.Fatalf("create %s: %v", c.name, err)
		}
		f, err := conf.Read(m.Paths.ConfFile(c.name))
		if err != nil {
			t.Fatal(err)
		}
		for k, v := range c.want {
			if got := f.Get(k); got != v {
				t.Errorf("%s: %s = %q, want %q", c.name, k, got, v)
			}
		}
		ip, err := m.ShowIP(ctx, c.name)
		if want, _, _ := strings.Cut(c.local, "/"); err != nil || ip != want {
			t.Errorf("%s: show-ip = %q, %v; want %s", c.name, ip, err, want)
		}
	}
	data, _ := os.ReadFile(m.Paths.ConfFile("four"))
	if !strings.HasPrefix(string(data), "PRIVATE_NETWORK=1\nHOST_ADDRESS=10.9.0.1\nLOCAL_ADDRESS=10.9.0.2/24\nHOST_BRIDGE=") {
		t.Errorf("IPv4 conf not in nixos-container's order:\n%s", data)
	}
	for _, bad := range []struct{ host, local, want string }{
		{"10.9.1.1", "fc00::2", "must both be IPv4 or both IPv6"},
		{"10.9.1.1", "nonsense", `invalid --local-address "nonsense"`},
		{"fe80::1%eth0", "fe80::2", "invalid --host-address"},
	} {
		_, err := m.Create(ctx, "bad", CreateOptions{HostAddress: bad.host, LocalAddress: bad.local})
		if fault.KindOf(err) != fault.Invalid || !strings.Contains(err.Error(), bad.want) {
			t.Errorf("create with %s/%s: %v, want invalid: %s", bad.host, bad.local, err, bad.want)
		}
		if m.Exists("bad") {
			t.Fatalf("a refused create left a conf")
		}
	}
}
