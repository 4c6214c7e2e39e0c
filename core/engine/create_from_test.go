package engine

import (
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// containersFile is a file in the shape of NixOS's containers option, with
// two containers, WEB and DB (names unique to the test: host links are
// named after them); marker goes into DB's /etc/db-marker.
func containersFile(names [2]string, web, db [2]string, marker string) string {
	return strings.NewReplacer("WEB", names[0], "DB", names[1]).Replace(fmt.Sprintf(`{ pkgs, lib, ... }:
{
  containers = {
    WEB = {
      privateNetwork = true;
      hostAddress = "%s";
      localAddress = "%s";
      autoStart = true;
      config = { config, pkgs, ... }: {
        systemd.services.hello = { wantedBy = [ "multi-user.target" ]; script = "exec sleep 1001"; };
      };
    };
    DB = {
      privateNetwork = true;
      hostAddress = "%s";
      localAddress = "%s";
      autoStart = true;
      bindMounts = { };
      config = { environment.etc."db-marker".text = %s; };
    };
  };
}
`, web[0], web[1], db[0], db[1], nixString(marker)))
}

// TestCreateFrom: create --from makes and starts both containers of a
// containers file; run again unchanged it touches neither; after one
// container's config changes it restarts that one only (a new init), and
// the other keeps running the same boot.
func TestCreateFrom(t *testing.T) {
	needRoot(t)
	t.Parallel()
	r := newTestRoot(t)
	cli := r.scenarioCLI()
	var web, db [2]string
	web[0], web[1] = uniqueAddresses(t)
	db[0], db[1] = uniqueAddresses(t)
	names := [2]string{uniqueName("web"), uniqueName("db")}
	wn, dn := names[0], names[1]
	file := filepath.Join(t.TempDir(), "containers.nix")
	write := func(marker string) {
		if err := os.WriteFile(file, []byte(containersFile(names, web, db, marker)), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("one")
	out, _ := cli.must("create", "--from", file)
	if out != dn+": created (generation 1), started\n"+wn+": created (generation 1), started\n" {
		t.Errorf("first create --from printed %q", out)
	}
	for _, n := range names {
		if s := r.status(n); s != "up" {
			t.Fatalf("%s is %q after create --from with autoStart", n, s)
		}
	}
	if got := r.run(dn, "cat", "/etc/db-marker"); got != "one" {
		t.Errorf("db's /etc/db-marker = %q", got)
	}
	if h, l := r.addresses(wn); h != web[0] || l != web[1] {
		t.Errorf("web's addresses %s/%s, want %s/%s", h, l, web[0], web[1])
	}
	if got := r.run(wn, "systemctl", "is-active", "hello.service"); strings.TrimSpace(got) != "active" {
		t.Errorf("web's hello.service is %q", got)
	}
	webBoot, dbBoot := r.state(wn).Leader, r.state(dn).Leader

	out, _ = cli.must("create", "--from", file)
	if out != dn+": unchanged\n"+wn+": unchanged\n" {
		t.Errorf("create --from of the same file printed %q", out)
	}
	if r.state(wn).Leader != webBoot || r.state(dn).Leader != dbBoot {
		t.Error("an unchanged create --from restarted a container")
	}

	write("two")
	out, _ = cli.must("create", "--from", file)
	if out != dn+": updated (generation 2), restarted\n"+wn+": unchanged\n" {
		t.Errorf("create --from after db's change printed %q", out)
	}
	if r.state(dn).Leader == dbBoot {
		t.Error("db's config changed but it was not restarted")
	}
	if r.state(wn).Leader != webBoot {
		t.Error("web's config did not change but it was restarted")
	}
	if got := r.run(dn, "cat", "/etc/db-marker"); got != "two" {
		t.Errorf("db's /etc/db-marker after the change = %q", got)
	}

	// A container-level option nixcsh lacks is refused by name, and
	// nothing changes.
	bad := strings.Replace(containersFile(names, web, db, "three"), "bindMounts = { };", `bindMounts = { }; interfaces = [ "eth9" ];`, 1)
	if err := os.WriteFile(file, []byte(bad), 0o644); err != nil {
		t.Fatal(err)
	}
	_, errOut, code := cli.run("create", "--from", file)
	if code == 0 || !strings.Contains(errOut, "containers."+dn+".interfaces: is not supported by nixcsh yet") {
		t.Errorf("interfaces: exit %d, stderr %q", code, errOut)
	}
	if got := r.run(dn, "cat", "/etc/db-marker"); got != "two" {
		t.Errorf("a refused file changed db: /etc/db-marker = %q", got)
	}
}

// TestCreateFromHostNetwork: a container without privateNetwork (NixOS's
// default) shares the host's network: no link or addresses of its own, the
// host's interfaces inside.
func TestCreateFromHostNetwork(t *testing.T) {
	needRoot(t)
	t.Parallel()
	r := newTestRoot(t)
	name := uniqueName("hn")
	file := filepath.Join(t.TempDir(), "containers.nix")
	if err := os.WriteFile(file, []byte(`{ containers.`+name+` = { autoStart = true; config = { }; }; }`), 0o644); err != nil {
		t.Fatal(err)
	}
	r.scenarioCLI().must("create", "--from", file)
	if s := r.status(name); s != "up" {
		t.Fatalf("%s is %q", name, s)
	}
	f, err := r.M.Conf(name)
	if err != nil {
		t.Fatal(err)
	}
	if f.Get("PRIVATE_NETWORK") != "0" || f.Get("HOST_ADDRESS") != "" || f.Get("LOCAL_ADDRESS") != "" {
		t.Errorf("conf of a host-network container:\n%s", f)
	}
	// The host's default-route interface (links that other tests make and
	// remove meanwhile are left out).
	routes, err := os.ReadFile("/proc/net/route")
	if err != nil {
		t.Fatal(err)
	}
	var uplink string
	for _, line := range strings.Split(string(routes), "\n")[1:] {
		if f := strings.Fields(line); len(f) > 1 && f[1] == "00000000" {
			uplink = f[0]
			break
		}
	}
	if uplink == "" {
		t.Skip("the host has no default route, so no interface to look for inside")
	}
	l, err := net.InterfaceByName(uplink)
	if err != nil {
		t.Fatal(err)
	}
	// The same link (its hardware address), not a link of the same name.
	if inside := r.run(name, "ip", "-o", "link", "show", "dev", uplink); !strings.Contains(inside, l.HardwareAddr.String()) {
		t.Errorf("the host's %s (%s) is not visible inside: %q", uplink, l.HardwareAddr, inside)
	}
}
