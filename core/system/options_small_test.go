package system

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// buildFoo writes config as container foo's configuration and builds it.
func buildFoo(t *testing.T, config string) (string, []string, error) {
	t.Helper()
	paths := testPaths(t)
	writeConfig(t, paths, "foo", config)
	return Build(context.Background(), paths, "foo")
}

func mustContain(t *testing.T, what, got string, wants ...string) {
	t.Helper()
	for _, w := range wants {
		if !strings.Contains(got, w) {
			t.Errorf("%s lacks %q:\n%s", what, w, got)
		}
	}
}

// TestInterfacesAndGateway: networking.interfaces.eth0 addresses become
// network-addresses-eth0.service (added on start, removed on stop) and
// networking.defaultGateway becomes network-setup.service, as on NixOS.
func TestInterfacesAndGateway(t *testing.T) {
	sp, warnings, err := buildFoo(t, `networking.interfaces.eth0 = {
    useDHCP = true;
    ipv4.addresses = [ { address = "10.250.0.5"; prefixLength = 24; } ];
    ipv6.addresses = [ { address = "fd00::5"; prefixLength = 64; } ];
    ipv4.routes = [ { address = "10.251.0.0"; prefixLength = 16; via = "10.250.0.9"; options.metric = "5"; } ];
  };
  networking.defaultGateway = { address = "10.250.0.1"; interface = "eth0"; };
  networking.defaultGateway6 = "fd00::1";`)
	if err != nil {
		t.Fatal(err)
	}
	unit := readFile(t, filepath.Join(sp, "etc/systemd/system/network-addresses-eth0.service"))
	mustContain(t, "network-addresses-eth0.service", unit, "Type=oneshot", "RemainAfterExit=true",
		`ExecStop=/bin/sh -c`, `ip addr del "$$x" dev eth0`, `ip route del $$x dev eth0`)
	mustContain(t, "its script", readFile(t, filepath.Join(sp, "scripts/network-addresses-eth0-start")),
		"ip addr add 10.250.0.5/24 dev eth0\n", "echo 10.250.0.5/24 >> /run/nixos/network/addresses/eth0\n",
		"ip addr add fd00::5/64 dev eth0\n", "ip route replace 10.251.0.0/16 via 10.250.0.9 dev eth0 metric 5\n",
		"echo '10.251.0.0/16 via 10.250.0.9' >> /run/nixos/network/routes/eth0\n")
	if _, err := os.Lstat(filepath.Join(sp, "etc/systemd/system/multi-user.target.wants/network-addresses-eth0.service")); err != nil {
		t.Errorf("network-addresses-eth0 is not wanted by multi-user.target: %v", err)
	}
	mustContain(t, "network-setup.service", readFile(t, filepath.Join(sp, "etc/systemd/system/network-setup.service")),
		"After=network-addresses-eth0.service")
	mustContain(t, "network-setup's script", readFile(t, filepath.Join(sp, "scripts/network-setup-start")),
		"ip -4 route replace default via 10.250.0.1 dev eth0\n", "ip -6 route replace default via fd00::1\n")
	if !strings.Contains(strings.Join(warnings, "\n"), "networking.interfaces.eth0.useDHCP: nixcsh runs no DHCP client") {
		t.Errorf("no warning for useDHCP = true: %q", warnings)
	}

	// The container has no ens3: addresses there are refused by name.
	_, _, err = buildFoo(t, `networking.interfaces.ens3.ipv4.addresses = [ { address = "10.250.0.5"; prefixLength = 24; } ];`)
	if err == nil || !strings.Contains(err.Error(), "networking.interfaces.ens3: a nixcsh container has only the interface eth0") {
		t.Errorf("addresses on ens3 gave %v", err)
	}
	// A hardware-configuration.nix line is harmless.
	if _, _, err := buildFoo(t, `networking.interfaces.ens3.useDHCP = lib.mkDefault true;`); err != nil {
		t.Errorf("ens3.useDHCP alone: %v", err)
	}
}

// TestTrustedInterfaces: networking.firewall.trustedInterfaces reaches the
// manifest's firewall (the runtime accepts all their traffic), and a name
// no interface can have is refused.
func TestTrustedInterfaces(t *testing.T) {
	sp, _, err := buildFoo(t, `networking.firewall.trustedInterfaces = [ "eth0" "ve-+" "eth0" ];`)
	if err != nil {
		t.Fatal(err)
	}
	m, err := LoadManifest(sp)
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(m.Firewall.TrustedInterfaces, ","); got != "eth0,ve-+" {
		t.Errorf("trusted interfaces %q, want eth0,ve-+", got)
	}
	if _, _, err := buildFoo(t, `networking.firewall.trustedInterfaces = [ "a-very-long-interface-name" ];`); err == nil || !strings.Contains(err.Error(), "is not an interface name") {
		t.Errorf("a too long interface name gave %v", err)
	}
}

// TestNixpkgsOptionsAreIgnoredWithOneWarning: nixpkgs.* is accepted (even
// nixpkgs.pkgs = pkgs, a whole package set) and one warning names them all.
func TestNixpkgsOptionsAreIgnoredWithOneWarning(t *testing.T) {
	_, warnings, err := buildFoo(t, `nixpkgs.pkgs = pkgs;
  nixpkgs.config.allowUnfree = true;
  nixpkgs.config.packageOverrides = p: { };
  nixpkgs.overlays = [ (final: prev: { }) ];
  nixpkgs.hostPlatform = "x86_64-linux";
  nixpkgs.system = "x86_64-linux";`)
	if err != nil {
		t.Fatal(err)
	}
	var ours []string
	for _, w := range warnings {
		if strings.Contains(w, "nixpkgs.") {
			ours = append(ours, w)
		}
	}
	if len(ours) != 1 {
		t.Fatalf("want one nixpkgs warning, got %q", warnings)
	}
	mustContain(t, "the warning", ours[0], "nixpkgs.config", "nixpkgs.pkgs", "nixpkgs.overlays", "nixpkgs.hostPlatform", "nixpkgs.system", "nixcsh uses the host's packages")
	if _, warnings, err := buildFoo(t, ``); err != nil || strings.Contains(strings.Join(warnings, "\n"), "nixpkgs") {
		t.Errorf("a configuration without nixpkgs.* gave %q, %v", warnings, err)
	}
}

// TestExtraUsersAliases: users.extraUsers and users.extraGroups are
// aliases (mkAliasOptionModule): their definitions merge with users.users
// and users.groups ones for the same account.
func TestExtraUsersAliases(t *testing.T) {
	sp, _, err := buildFoo(t, `users.extraUsers.alice = { isNormalUser = true; uid = 1234; };
  users.users.alice.extraGroups = [ "wheel" "ops" ];
  users.extraGroups.ops.gid = 777;`)
	if err != nil {
		t.Fatal(err)
	}
	mustContain(t, "passwd", readFile(t, filepath.Join(sp, "etc/passwd")), "alice:x:1234:100::/home/alice:/bin/bash\n")
	mustContain(t, "group", readFile(t, filepath.Join(sp, "etc/group")), "wheel:x:1:alice\n", "ops:x:777:alice\n")
}

// TestPathAndSocketUnits: systemd.paths and systemd.sockets become .path and
// .socket units (with their [Unit] dependencies and wantedBy links), as
// systemd.timers does.
func TestPathAndSocketUnits(t *testing.T) {
	sp, _, err := buildFoo(t, `systemd.paths.watch = {
    wantedBy = [ "multi-user.target" ];
    pathConfig = { PathExists = "/run/flag"; Unit = "react.service"; };
  };
  systemd.sockets.echo = {
    description = "echo socket";
    wantedBy = [ "sockets.target" ];
    after = [ "network.target" ];
    listenStreams = [ "7777" "[::1]:7778" ];
    listenDatagrams = [ "7779" ];
    socketConfig.Accept = true;
  };
  systemd.sockets.off = { enable = false; listenStreams = [ "1" ]; };
  systemd.timers.tick = { wantedBy = [ "timers.target" ]; partOf = [ "x.service" ]; timerConfig.OnCalendar = "daily"; };`)
	if err != nil {
		t.Fatal(err)
	}
	unit := func(n string) string { return readFile(t, filepath.Join(sp, "etc/systemd/system", n)) }
	if got, want := unit("watch.path"), "[Unit]\n\n[Path]\nPathExists=/run/flag\nUnit=react.service\n"; got != want {
		t.Errorf("watch.path is\n%s\nwant\n%s", got, want)
	}
	if got, want := unit("echo.socket"), "[Unit]\nDescription=echo socket\nAfter=network.target\n\n[Socket]\nListenStream=7777\nListenStream=[::1]:7778\nListenDatagram=7779\nAccept=true\n"; got != want {
		t.Errorf("echo.socket is\n%s\nwant\n%s", got, want)
	}
	mustContain(t, "tick.timer", unit("tick.timer"), "PartOf=x.service\n", "[Timer]\nOnCalendar=daily\n")
	for _, l := range []string{"multi-user.target.wants/watch.path", "sockets.target.wants/echo.socket", "timers.target.wants/tick.timer"} {
		if _, err := os.Lstat(filepath.Join(sp, "etc/systemd/system", l)); err != nil {
			t.Errorf("no link %s: %v", l, err)
		}
	}
	if _, err := os.Lstat(filepath.Join(sp, "etc/systemd/system/off.socket")); err == nil {
		t.Errorf("a disabled socket was rendered")
	}
}

// TestResolved: services.resolved runs the host's systemd-resolved and
// points /etc/resolv.conf at its stub; without the Debian package the build
// names it.
func TestResolved(t *testing.T) {
	sp, _, err := buildFoo(t, `services.resolved.enable = true;
  services.resolved.fallbackDns = [ "9.9.9.9" ];
  services.resolved.settings.Resolve = { DNSSEC = "allow-downgrade"; MulticastDNS = false; };
  networking.nameservers = [ "1.1.1.1" "1.0.0.1" ];`)
	if _, serr := os.Stat("/usr/lib/systemd/systemd-resolved"); serr != nil {
		if err == nil || !strings.Contains(err.Error(), "systemd-resolved") {
			t.Fatalf("without systemd-resolved on the host the build gave %v", err)
		}
		return
	}
	if err != nil {
		t.Fatal(err)
	}
	conf := readFile(t, filepath.Join(sp, "etc/systemd/resolved.conf"))
	mustContain(t, "resolved.conf", conf, "[Resolve]\n", "\nDNS=1.1.1.1 1.0.0.1\n", "FallbackDNS=9.9.9.9\n", "DNSSEC=allow-downgrade\n", "MulticastDNS=false\n", "LLMNR=true\n")
	if strings.Contains(conf, "DNSSEC=false") {
		t.Errorf("settings did not override dnssec:\n%s", conf)
	}
	mustContain(t, "systemd-resolved.service", readFile(t, filepath.Join(sp, "etc/systemd/system/systemd-resolved.service")),
		"ExecStart=/usr/lib/systemd/systemd-resolved\n", "User=systemd-resolve\n")
	if l, _ := os.Readlink(filepath.Join(sp, "etc/resolv.conf")); l != "/run/systemd/resolve/stub-resolv.conf" {
		t.Errorf("etc/resolv.conf links to %q", l)
	}
	mustContain(t, "passwd", readFile(t, filepath.Join(sp, "etc/passwd")), "\nsystemd-resolve:x:")
}
