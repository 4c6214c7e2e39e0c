package engine

import (
	"bytes"
	"context"
	"errors"
	"os"
	"strings"
	"testing"

	"github.com/nixcsh/nixcsh/core"
	"github.com/nixcsh/nixcsh/core/fault"
)

// A config that does not evaluate, names an unknown option or fails an
// assertion: create fails with the error and leaves no trace (as
// nixos-container's own test with a broken configuration has it); update fails and leaves configuration.nix and the profile as
// they were. No root needed: nothing boots.
func TestBadConfigsChangeNothing(t *testing.T) {
	var stderr bytes.Buffer
	m, err := New(Options{Root: t.TempDir(), Stderr: &stderr})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	bad := map[string]string{
		"syntax":    `services.openssh.enable = ;`,
		"unknown":   `services.foo.enable = true;`,
		"type":      `services.openssh.ports = [ "x" ];`,
		"assertion": `assertions = [ { assertion = false; message = "the b0rk assertion"; } ];`,
		"throw":     `time.timeZone = throw "kaboom";`,
	}
	wantMsg := map[string]string{
		"syntax":    "syntax error",
		"unknown":   "The option 'services.foo' does not exist. Definition values:",
		"type":      "A definition for option 'services.openssh.ports' is not of type",
		"assertion": "the b0rk assertion",
		"throw":     "kaboom",
	}
	for kind, cfg := range bad {
		_, err := m.Create(ctx, "b0rk", core.CreateOptions{Config: cfg, HostAddress: "10.99.0.1", LocalAddress: "10.99.0.2"})
		if err == nil {
			t.Fatalf("%s: create succeeded", kind)
		}
		if !strings.Contains(err.Error(), wantMsg[kind]) || !strings.HasSuffix(err.Error(), "failed to build container configuration") {
			t.Errorf("%s: create error:\n%v", kind, err)
		}
		if fault.KindOf(err) != fault.Invalid {
			t.Errorf("%s: kind %v, want invalid", kind, fault.KindOf(err))
		}
		for _, p := range []string{m.Paths.ConfFile("b0rk"), m.Paths.StateDir("b0rk"), m.Paths.ProfileDir("b0rk")} {
			if _, err := os.Lstat(p); !errors.Is(err, os.ErrNotExist) {
				t.Errorf("%s: failed create left %s", kind, p)
			}
		}
	}
	if names, _ := m.List(ctx); len(names) != 0 {
		t.Errorf("failed creates left containers: %v", names)
	}

	good := `services.openssh.enable = true;`
	if _, err := m.Create(ctx, "ok", core.CreateOptions{Config: good, HostAddress: "10.99.0.5", LocalAddress: "10.99.0.6"}); err != nil {
		t.Fatal(err)
	}
	before, _ := os.ReadFile(m.Paths.ConfigNix("ok"))
	gensBefore, _ := m.Generations(ctx, "ok")
	for kind, cfg := range bad {
		if _, err := m.Update(ctx, "ok", core.UpdateOptions{Config: &cfg}); err == nil || !strings.Contains(err.Error(), wantMsg[kind]) {
			t.Errorf("%s: update error: %v", kind, err)
		}
		after, _ := os.ReadFile(m.Paths.ConfigNix("ok"))
		if !bytes.Equal(before, after) {
			t.Errorf("%s: failed update changed configuration.nix:\n%s", kind, after)
		}
		gens, _ := m.Generations(ctx, "ok")
		if len(gens) != len(gensBefore) || !gens[len(gens)-1].Current {
			t.Errorf("%s: failed update changed the profile: %+v", kind, gens)
		}
	}
}

// update without --config rebuilds the same file: the same store path, no new
// generation; a changed config adds one; rollback and gc work through the
// Manager.
func TestUpdateRollbackGC(t *testing.T) {
	m, err := New(Options{Root: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if _, err := m.Create(ctx, "g", core.CreateOptions{HostAddress: "10.99.1.1", LocalAddress: "10.99.1.2"}); err != nil {
		t.Fatal(err)
	}
	u, err := m.Update(ctx, "g", core.UpdateOptions{})
	if err != nil || u.Generation != 1 {
		t.Fatalf("update without changes: %+v, %v", u, err)
	}
	cfg := `services.httpd.enable = true; services.httpd.adminAddr = "foo@example.org";`
	if u, err = m.Update(ctx, "g", core.UpdateOptions{Config: &cfg}); err != nil || u.Generation != 2 {
		t.Fatalf("update: %+v, %v", u, err)
	}
	if v, err := m.ShowConfig(ctx, "g", "services.httpd.adminAddr"); err != nil || v != "foo@example.org" {
		t.Errorf("show-config: %v, %v", v, err)
	}
	if u, err = m.Rollback(ctx, "g", 0); err != nil || u.Generation != 1 {
		t.Fatalf("rollback: %+v, %v", u, err)
	}
	if v, _ := m.ShowConfig(ctx, "g", "services.httpd.enable"); v != false {
		t.Errorf("after rollback services.httpd.enable = %v", v)
	}
	// Both generations are still in the profile, so gc keeps them.
	if removed, err := m.GC(ctx); err != nil || len(removed) != 0 {
		t.Errorf("gc with both generations referenced: %v, %v", removed, err)
	}
	if err := m.Destroy(ctx, "g"); err != nil {
		t.Fatal(err)
	}
	if removed, err := m.GC(ctx); err != nil || len(removed) != 2 {
		t.Errorf("gc after destroy removed %v, %v; want both generations", removed, err)
	}
}

// create with the seed's config, end to end: evaluate, build, write conf,
// configuration.nix and profile (target: under 50 ms).
func BenchmarkCreateSeed(b *testing.B) {
	m, err := New(Options{Root: b.TempDir()})
	if err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	cfg := `services.openssh.enable = true;
  users.users.root.openssh.authorizedKeys.keys = [ "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIGz7hYlSomeTestKeyOnlyForBenchmarks bench" ];`
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := m.Create(ctx, "seed", core.CreateOptions{Config: cfg, HostAddress: "10.99.2.1", LocalAddress: "10.99.2.2"}); err != nil {
			b.Fatal(err)
		}
		b.StopTimer()
		if err := m.Destroy(ctx, "seed"); err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
	}
}

// BenchmarkCreateServices is issue 12's measure: create (evaluate, render
// and write the first generation) of a configuration with nginx,
// postgresql and three users. The goal is under 50 ms.
func BenchmarkCreateServices(b *testing.B) {
	m, err := New(Options{Root: b.TempDir()})
	if err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	cfg := `services.nginx.enable = true;
  services.nginx.virtualHosts."example.org" = { root = "/var/www"; locations."/api".proxyPass = "http://127.0.0.1:8080"; };
  services.postgresql = { enable = true; ensureDatabases = [ "app" ]; ensureUsers = [ { name = "app"; ensureDBOwnership = true; } ]; };
  users.users = {
    alice = { isNormalUser = true; extraGroups = [ "wheel" ]; };
    bob.isNormalUser = true;
    carol = { isSystemUser = true; group = "carol"; };
  };
  users.groups.carol = { };
  networking.firewall.allowedTCPPorts = [ 80 5432 ];`
	for i := 0; i < b.N; i++ {
		if _, err := m.Create(ctx, "svc", core.CreateOptions{Config: cfg, HostAddress: "10.99.3.1", LocalAddress: "10.99.3.2"}); err != nil {
			b.Fatal(err)
		}
		b.StopTimer()
		if err := m.Destroy(ctx, "svc"); err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
	}
}
