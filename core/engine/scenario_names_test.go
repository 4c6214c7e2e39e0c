package engine

// Container names with '_': nixos-container allows them, systemd-nspawn's
// machine names do not (README, "Names with '_'").

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/vishvananda/netlink"

	"github.com/nixcsh/nixcsh/core/network"
)

func TestScenarioNamesWithUnderscore(t *testing.T) {
	needRoot(t)
	t.Parallel()
	r := newTestRoot(t)
	c := r.scenarioCLI()
	// The longest name there is (11 characters: ve-NAME is the kernel's
	// 15 bytes), with '_' inside.
	name := uniqueName("u_b_") + "x"
	if len(name) != 11 {
		t.Fatalf("test name %q is not 11 characters", name)
	}
	host, local := uniqueAddresses(t)
	c.must("create", name, "--host-address", host, "--local-address", local, "--config", manualHttpd)
	if out, _ := c.must("list"); !strings.Contains("\n"+out, "\n"+name+"\n") {
		t.Errorf("list does not show %s: %q", name, out)
	}
	c.must("start", name)
	if out, _ := c.must("status", name); strings.TrimSpace(out) != "up" {
		t.Fatalf("status = %q", out)
	}

	// nspawn runs it as machine u-b-..., on host link ve-u_b_... (15 bytes).
	link := network.HostLinkName(name, false)
	if len(link) > 15 {
		t.Errorf("host link %s is %d bytes", link, len(link))
	}
	if _, err := netlink.LinkByName(link); err != nil {
		t.Errorf("host link %s: %v", link, err)
	}
	data, err := os.ReadFile(filepath.Join(r.M.Paths.RunDir(name), "state.json"))
	if err != nil {
		t.Fatal(err)
	}
	var st struct{ Machine string }
	if err := json.Unmarshal(data, &st); err != nil {
		t.Fatal(err)
	}
	if want := strings.ReplaceAll(name, "_", "-"); st.Machine != want {
		t.Errorf("machine name %q, want %q", st.Machine, want)
	}

	// run, and the network, work as for any other name.
	out, errs, code := c.run("run", name, "--", "uname", "-s")
	if code != 0 || strings.TrimSpace(out) != "Linux" {
		t.Errorf("run -- uname -s: exit %d, %q, %q", code, out, errs)
	}
	// The generation's /etc/hostname is the name; systemd drops the '_'
	// when it sets the kernel's hostname (it allows letters, digits, '-').
	if got := strings.TrimSpace(r.run(name, "cat", "/etc/hostname")); got != name {
		t.Errorf("/etc/hostname = %q, want %q", got, name)
	}
	if got, want := strings.TrimSpace(r.run(name, "hostname")), strings.ReplaceAll(name, "_", ""); got != want {
		t.Errorf("hostname = %q, want %q (README says so)", got, want)
	}
	mustServe(t, "http://"+local+"/", indexTitle)

	c.must("stop", name)
	if out, _ := c.must("status", name); strings.TrimSpace(out) != "down" {
		t.Errorf("status after stop = %q", out)
	}
	if network.LinkExists(link) {
		t.Errorf("%s still exists after stop", link)
	}
	c.must("start", name) // and again
	c.must("destroy", name)
	if network.LinkExists(link) {
		t.Errorf("%s still exists after destroy", link)
	}

	// Twelve characters are refused before anything is made.
	long := name + "y"
	_, errs, code = c.run("create", long, "--config", "")
	if code == 0 || !strings.Contains(errs, "too long") {
		t.Errorf("create %s: exit %d, %q; want too long", long, code, errs)
	}
	if _, err := os.Stat(r.M.Paths.ConfFile(long)); err == nil {
		t.Errorf("a conf for %s was written", long)
	}
	// A name ending in '_' is not a valid default networking.hostName (the
	// NixOS option type): create says so and leaves nothing.
	trailing := uniqueName("t_") + "_"
	_, errs, code = c.run("create", trailing, "--host-address", host, "--local-address", local, "--config", "")
	if code == 0 || !strings.Contains(errs, "networking.hostName") {
		t.Errorf("create %s: exit %d, %q; want the networking.hostName type error", trailing, code, errs)
	}
	if _, err := os.Stat(r.M.Paths.ConfFile(trailing)); err == nil {
		t.Errorf("a failed create left %s", r.M.Paths.ConfFile(trailing))
	}
	// Giving the container a hostname of its own (the template already
	// defines networking.hostName, so it goes in a module) makes it work.
	c.must("create", trailing, "--host-address", host, "--local-address", local, "--config",
		`imports = [ { networking.hostName = "t-host"; } ];`)
	c.must("start", trailing)
	if got := strings.TrimSpace(r.run(trailing, "hostname")); got != "t-host" {
		t.Errorf("hostname of %s = %q, want t-host", trailing, got)
	}
}
