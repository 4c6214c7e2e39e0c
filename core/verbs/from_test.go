package verbs

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/nixcsh/nixcsh/core/module"
	"github.com/nixcsh/nixcsh/core/options"
)

func readContainers(t *testing.T, text string) []module.ContainerEntry {
	t.Helper()
	file := filepath.Join(t.TempDir(), "containers.nix")
	if err := os.WriteFile(file, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	es, err := module.Containers(context.Background(), file, module.Options{Decls: options.All()})
	if err != nil {
		t.Fatal(err)
	}
	return es
}

// TestFromEntrySettings: NixOS's container-level options become create's
// settings: addresses (IPv4 and IPv6 pairs), forwardPorts as HOST_PORT,
// privateNetwork's default (false: the host's network), autoStart,
// restartIfChanged and extraFlags.
func TestFromEntrySettings(t *testing.T) {
	es := readContainers(t, `{ lib, ... }: { containers = {
    web = {
      privateNetwork = true;
      hostAddress = "10.1.0.1"; localAddress = "10.1.0.2/24";
      hostAddress6 = "fc00::1"; localAddress6 = "fc00::2";
      forwardPorts = [ { hostPort = 8080; containerPort = 80; } { protocol = "udp"; hostPort = 53; } ];
      autoStart = true;
      restartIfChanged = false;
      extraFlags = [ "--private-users-chown" ];
      localMacAddress = "02:00:00:00:00:01";
      copyResolvConf = true;
      bindMounts = { };
      ephemeral = false;
      config = { };
    };
    plain.config = { ... }: { };
  }; }`)
	if len(es) != 2 || es[0].Name != "plain" || es[1].Name != "web" {
		t.Fatalf("entries %+v", es)
	}
	c, problems := fromEntry("/f.nix", es[1])
	if len(problems) > 0 {
		t.Fatalf("problems: %q", problems)
	}
	o := c.Create
	if strings.Join(o.Settings["host-network"], "") != "no" || o.HostAddress != "10.1.0.1" || o.LocalAddress != "10.1.0.2/24" || c.HostAddress6 != "fc00::1" || c.LocalAddress6 != "fc00::2" {
		t.Errorf("addresses: %+v %+v", o, c)
	}
	if o.Port != "tcp:8080:80,udp:53:53" || !o.AutoStart || c.RestartIfChanged || c.ExtraFlags != "--private-users-chown" || c.LocalMAC != "02:00:00:00:00:01" {
		t.Errorf("settings: %+v %+v", o, c)
	}
	if !strings.Contains(c.Module, `top.containers."web".config`) || !strings.Contains(c.Module, "import /f.nix;") {
		t.Errorf("module:\n%s", c.Module)
	}
	p, problems := fromEntry("/f.nix", es[0])
	if len(problems) > 0 || strings.Join(p.Create.Settings["host-network"], "") != "yes" || p.Create.AutoStart || !p.RestartIfChanged {
		t.Errorf("defaults: %+v, %q", p, problems)
	}
}

// TestFromEntryRefusals: options nixcsh lacks are refused by name (their
// NixOS default is accepted), unknown ones too, all in one report.
func TestFromEntryRefusals(t *testing.T) {
	es := readContainers(t, `{ containers.db = {
    bindMounts."/data" = "/srv";
    ephemeral = 3;
    interfaces = [ "eth1" ];
    privateUsers = true;
    frobnicate = 1;
    hostAddress = "10.1.0.1";
    config = { };
  }; }`)
	_, problems := fromEntry("/f.nix", es[0])
	got := strings.Join(problems, "\n")
	for _, want := range []string{
		`containers.db.bindMounts: "/data": expected { hostPath; isReadOnly; }, got /srv`,
		"containers.db.ephemeral: expected true or false, got 3",
		"containers.db.interfaces: is not supported by nixcsh yet (only NixOS's default, [ ], is accepted)",
		`containers.db.privateUsers: expected "no", "identity", "pick" or an integer, got true`,
		"containers.db.frobnicate: is not an option of NixOS's containers.<name>",
		"containers.db.localAddress: nixcsh needs both",
		"containers.db.privateNetwork: is false",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("problems lack %q:\n%s", want, got)
		}
	}
}

// TestContainersFileErrors: files not in the shape of `containers` say
// what is expected.
func TestContainersFileErrors(t *testing.T) {
	for text, want := range map[string]string{
		`{ services = { }; }`:                  "has no attribute 'containers'",
		`{ containers.web.autoStart = true; }`: "containers.web has no config",
		`[ ]`:                                  "evaluates to list",
		`{ containers = { }; }`:                "'containers' is empty",
	} {
		file := filepath.Join(t.TempDir(), "c.nix")
		os.WriteFile(file, []byte(text), 0o644)
		_, err := module.Containers(context.Background(), file, module.Options{Decls: options.All()})
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: %v, want %q", text, err, want)
		}
	}
}

// TestFromEntryContainerSettings: bindMounts and privateUsers (NixOS's) and
// the resource limits (nixcsh's, in NixOS's style) become the settings
// create and update take as flags; one left out is cleared.
func TestFromEntryContainerSettings(t *testing.T) {
	es := readContainers(t, `{ containers.db = {
    bindMounts = {
      "/var/lib/data" = { hostPath = "/srv/data"; isReadOnly = false; };
      "/srv/ro".hostPath = "/srv/ro-src";
      "/etc/same" = { };
    };
    privateUsers = 524288;
    memoryMax = "512M";
    cpus = 1.5;
    tasksMax = 64;
    config = { };
  }; }`)
	c, problems := fromEntry("/f.nix", es[0])
	if len(problems) > 0 {
		t.Fatalf("problems: %q", problems)
	}
	got := c.Create.Settings
	want := map[string]string{
		"bind": "/srv/data:/var/lib/data", "bind-ro": "/etc/same /srv/ro-src:/srv/ro",
		"private-users": "524288", "memory": "512M", "cpus": "1.5", "tasks": "64", "io-weight": "",
	}
	for flag, w := range want {
		v, ok := got[flag]
		if !ok || strings.Join(v, " ") != w {
			t.Errorf("--%s: %q (given %v), want %q", flag, v, ok, w)
		}
	}
}

// hostBridge with localAddress alone is NixOS's bridged container; a
// hostAddress alone is still refused.
func TestFromEntryBridgeLocalAddress(t *testing.T) {
	es := readContainers(t, `{ containers.br = { privateNetwork = true; hostBridge = "br0"; localAddress = "10.5.0.2/24"; config = { }; };
    containers.half = { privateNetwork = true; hostAddress = "10.6.0.1"; config = { }; }; }`)
	c, problems := fromEntry("/f.nix", es[0])
	if len(problems) > 0 || c.Create.Bridge != "br0" || c.Create.LocalAddress != "10.5.0.2/24" || c.Create.HostAddress != "" {
		t.Errorf("bridged: %+v, %q", c.Create, problems)
	}
	if _, problems := fromEntry("/f.nix", es[1]); len(problems) != 1 || !strings.Contains(problems[0], "hostBridge with localAddress alone") {
		t.Errorf("host address alone: %q", problems)
	}
}
