package system

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/nixcsh/nixcsh/core"
)

// template is REFERENCE.md's configuration.nix, as create writes it.
func template(name, config string) string {
	return "{ config, lib, pkgs, ... }:\n\n{ boot.isContainer = true;\n  networking.hostName = lib.mkDefault \"" + name +
		"\";\n  networking.useDHCP = false;\n  " + config + "\n}\n"
}

func writeConfig(t testing.TB, paths core.Paths, name, config string) {
	t.Helper()
	p := paths.ConfigNix(name)
	os.MkdirAll(filepath.Dir(p), 0o755)
	if err := os.WriteFile(p, []byte(template(name, config)), 0o644); err != nil {
		t.Fatal(err)
	}
}

const seedA = `services.openssh.enable = true;
  users.users.root.openssh.authorizedKeys.keys = ["ssh-ed25519 AAAA... test"];`

const seedB = `services.httpd.enable = true; services.httpd.adminAddr = "foo@example.org";
  networking.firewall.allowedTCPPorts = [ 80 ];`

func TestBuildSeedsFromConfigurationNix(t *testing.T) {
	paths := core.Paths{Root: t.TempDir()}
	writeConfig(t, paths, "foo", seedA)
	sp, warns, err := Build(context.Background(), paths, "foo")
	if err != nil {
		t.Fatal(err)
	}
	if len(warns) != 0 {
		t.Fatalf("warnings %v", warns)
	}
	// The same generation as the hand-written tree of the same config.
	if tree := buildTree(t, core.Paths{Root: t.TempDir()}, "foo", seedSSH("foo")); filepath.Base(tree) == filepath.Base(sp) {
		t.Log("config.nix and the hand-written tree render identically")
	}
	if got := readFile(t, filepath.Join(sp, "etc/ssh/authorized_keys.d/root")); got != "ssh-ed25519 AAAA... test\n" {
		t.Fatalf("authorized keys %q", got)
	}
	sp2, _, err := Build(context.Background(), paths, "foo")
	if err != nil || sp2 != sp {
		t.Fatalf("building twice gave %s then %s (%v)", sp, sp2, err)
	}
	m, _ := LoadManifest(sp)
	if strings.Join(m.Options, ",") != "boot.isContainer,networking.hostName,networking.useDHCP,services.openssh.enable,users.users" {
		t.Fatalf("options used %v", m.Options)
	}

	writeConfig(t, paths, "web", seedB)
	sp, _, err = Build(context.Background(), paths, "web")
	if err != nil {
		t.Fatal(err)
	}
	conf := readFile(t, filepath.Join(sp, "etc/apache2/apache2.conf"))
	for _, l := range []string{"ServerAdmin foo@example.org", "Listen 80", "ServerName web", "DocumentRoot \"" + sp + "/htdocs\""} {
		if !strings.Contains(conf, l+"\n") {
			t.Errorf("apache2.conf lacks %q", l)
		}
	}
}

func TestBuildFailureWritesNothing(t *testing.T) {
	for name, cfg := range map[string]string{
		"unknown":   `services.foo.enable = true;`,
		"syntax":    `services.openssh.enable = ;`,
		"assertion": `assertions = [ { assertion = false; message = "no way"; } ];`,
		"type":      `services.openssh.ports = "x";`,
		"package":   `environment.systemPackages = [ { name = "surely-not-a-package"; outPath = "/usr"; type = "derivation"; } ];`,
	} {
		t.Run(name, func(t *testing.T) {
			paths := core.Paths{Root: t.TempDir()}
			writeConfig(t, paths, "foo", cfg)
			if _, _, err := Build(context.Background(), paths, "foo"); err == nil || core.KindOf(err) != core.Invalid {
				t.Fatalf("build should fail as invalid: %v", err)
			} else {
				t.Log(err)
			}
			if ents, _ := os.ReadDir(paths.Store()); len(ents) != 0 {
				t.Fatalf("a failed build left %d store entries", len(ents))
			}
		})
	}
}

func TestShowConfig(t *testing.T) {
	paths := core.Paths{Root: t.TempDir()}
	writeConfig(t, paths, "foo", seedA)
	v, err := ShowConfig(context.Background(), paths, "foo", "services.openssh.ports")
	if err != nil || len(v.([]any)) != 1 || v.([]any)[0] != int64(22) {
		t.Fatalf("ports %v %v", v, err)
	}
	if _, err := ShowConfig(context.Background(), paths, "foo", "services.nope"); core.KindOf(err) != core.NotFound {
		t.Fatalf("missing option: %v", err)
	}
}

func BenchmarkBuildSeed(b *testing.B) {
	paths := core.Paths{Root: b.TempDir()}
	writeConfig(b, paths, "foo", seedA+"\n  "+seedB)
	for i := 0; i < b.N; i++ {
		// A fresh store each time so every iteration writes the generation.
		paths.Root = b.TempDir()
		writeConfig(b, paths, "foo", seedA+"\n  "+seedB)
		if _, _, err := Build(context.Background(), paths, "foo"); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkEvalRenderSeed(b *testing.B) {
	paths := core.Paths{Root: b.TempDir()}
	writeConfig(b, paths, "foo", seedA+"\n  "+seedB)
	for i := 0; i < b.N; i++ {
		if _, _, err := evalAndRender(context.Background(), "foo", paths.ConfigNix("foo")); err != nil {
			b.Fatal(err)
		}
	}
}
