package network

import (
	"reflect"
	"strings"
	"testing"

	"github.com/nixcsh/nixcsh/core/fault"
)

func TestParsePorts(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want []PortForward
	}{
		{"", nil},
		{"8080", []PortForward{{"tcp", 8080, 8080}}},
		{"tcp:8080", []PortForward{{"tcp", 8080, 8080}}},
		{"udp:53", []PortForward{{"udp", 53, 53}}},
		{"8080:80", []PortForward{{"tcp", 8080, 80}}},
		{"tcp:8080:80,udp:53", []PortForward{{"tcp", 8080, 80}, {"udp", 53, 53}}},
		{"UDP:5353:53 tcp:1:65535", []PortForward{{"udp", 5353, 53}, {"tcp", 1, 65535}}},
		{"tcp:80,udp:80", []PortForward{{"tcp", 80, 80}, {"udp", 80, 80}}},
	} {
		got, err := ParsePorts(tc.in)
		if err != nil {
			t.Errorf("ParsePorts(%q): %v", tc.in, err)
			continue
		}
		if !reflect.DeepEqual(got, tc.want) {
			t.Errorf("ParsePorts(%q) = %v, want %v", tc.in, got, tc.want)
		}
	}
}

func TestParsePortsErrors(t *testing.T) {
	for _, tc := range []struct{ in, item string }{
		{"sctp:80", "sctp:80"},
		{"tcp", "tcp"},
		{"tcp:", "tcp:"},
		{"0", "0"},
		{"65536", "65536"},
		{"80:0", "80:0"},
		{"tcp:80:81:82", "tcp:80:81:82"},
		{"8080,x", "x"},
		{"-1", "-1"},
		{"tcp:80,tcp:80:81", "tcp:80:81"}, // same host port twice
	} {
		_, err := ParsePorts(tc.in)
		if err == nil {
			t.Errorf("ParsePorts(%q): no error", tc.in)
			continue
		}
		if fault.KindOf(err) != fault.Invalid {
			t.Errorf("ParsePorts(%q): kind %v, want invalid", tc.in, fault.KindOf(err))
		}
		if msg := err.Error(); !strings.Contains(msg, `"`+tc.item+`"`) {
			t.Errorf("ParsePorts(%q): message %q does not name the item %q", tc.in, msg, tc.item)
		}
		if msg := err.Error(); !strings.Contains(msg, "HOST_PORT") {
			t.Errorf("ParsePorts(%q): message %q does not name HOST_PORT", tc.in, msg)
		}
	}
	_, err := ParsePorts("tcp:x")
	if err == nil || !strings.Contains(err.Error(), "expected [tcp:|udp:]HOST_PORT[:CONTAINER_PORT]") {
		t.Errorf("error does not show the expected form: %v", err)
	}
}

func TestNames(t *testing.T) {
	if got := HostLinkName("foo", false); got != "ve-foo" {
		t.Errorf("HostLinkName = %q", got)
	}
	if got := HostLinkName("foo", true); got != "vb-foo" {
		t.Errorf("HostLinkName bridged = %q", got)
	}
	if got := NamespaceName("foo"); got != "nixcsh-foo" {
		t.Errorf("NamespaceName = %q", got)
	}
	if got := NamespacePath("foo"); got != "/run/netns/nixcsh-foo" {
		t.Errorf("NamespacePath = %q", got)
	}
	// The kernel allows 15 bytes: "ve-" + 12. (nixos-container's own limit of
	// 11 characters is the front end's rule, not the kernel's.)
	twelve := "abcdefghijkl"
	if err := CheckName(twelve); err != nil {
		t.Errorf("12-character name refused: %v", err)
	}
	if n := len(HostLinkName(twelve, true)); n != 15 {
		t.Errorf("link name of a 12-character name is %d bytes", n)
	}
	for _, bad := range []string{twelve + "m", "", "a b", "a/b", "a.b"} {
		err := CheckName(bad)
		if err == nil || fault.KindOf(err) != fault.Invalid {
			t.Errorf("CheckName(%q) = %v, want an invalid error", bad, err)
		}
	}
	if err := CheckName(twelve + "m"); err == nil || !strings.Contains(err.Error(), "too long") {
		t.Errorf("long name error does not say too long: %v", err)
	}
}

func TestSpecValidation(t *testing.T) {
	for _, tc := range []struct {
		name string
		s    Spec
		want string
	}{
		{"v6 in v4 key", Spec{Container: "a", HostAddress: "fc00::1"}, "HOST_ADDRESS"},
		{"v4 in v6 key", Spec{Container: "a", LocalAddress6: "10.0.0.1"}, "LOCAL_ADDRESS6"},
		{"garbage", Spec{Container: "a", LocalAddress: "10.0.0.300"}, "LOCAL_ADDRESS"},
		{"bad prefix", Spec{Container: "a", LocalAddress: "10.0.0.1/33"}, "LOCAL_ADDRESS"},
		{"ports without local", Spec{Container: "a", Ports: []PortForward{{"tcp", 80, 80}}}, "HOST_PORT needs LOCAL_ADDRESS"},
		{"bad proto", Spec{Container: "a", LocalAddress: "10.0.0.2", Ports: []PortForward{{"icmp", 80, 80}}}, "icmp:80:80"},
		{"long bridge", Spec{Container: "a", Bridge: "abcdefghijklmnop"}, "HOST_BRIDGE"},
		{"long name", Spec{Container: "abcdefghijklm"}, "too long"},
	} {
		_, err := tc.s.plan()
		if err == nil || fault.KindOf(err) != fault.Invalid || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: got %v, want an invalid error mentioning %q", tc.name, err, tc.want)
		}
	}
	p, err := Spec{Container: "a", HostAddress: "10.1.2.1/24", LocalAddress: "10.1.2.2", LocalAddress6: "fc00::2/64"}.plan()
	if err != nil {
		t.Fatal(err)
	}
	if p.host4.net.String() != "10.1.2.1/24" || p.local4.net.String() != "10.1.2.2/32" || p.local6.net.String() != "fc00::2/64" {
		t.Errorf("parsed addresses %v %v %v", p.host4.net, p.local4.net, p.local6.net)
	}
	if p.local6.single().String() != "fc00::2/128" {
		t.Errorf("single = %v", p.local6.single())
	}
}
