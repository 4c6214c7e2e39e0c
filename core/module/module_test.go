package module_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/nixcsh/nixcsh/core/fault"
	"github.com/nixcsh/nixcsh/core/module"
	"github.com/nixcsh/nixcsh/core/options"
)

// template is REFERENCE.md's configuration.nix, as create writes it.
func template(name, config string) string {
	return "{ config, lib, pkgs, ... }:\n\n{ boot.isContainer = true;\n  networking.hostName = lib.mkDefault \"" + name +
		"\";\n  networking.useDHCP = false;\n  " + config + "\n}\n"
}

// writeFiles writes name -> content under a temp dir and returns the dir.
func writeFiles(t *testing.T, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	for n, c := range files {
		p := filepath.Join(dir, n)
		os.MkdirAll(filepath.Dir(p), 0o755)
		if err := os.WriteFile(p, []byte(c), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

func eval(t *testing.T, files map[string]string) (*module.Config, error) {
	t.Helper()
	dir := writeFiles(t, files)
	host := options.DefaultHost()
	return module.Eval(context.Background(), filepath.Join(dir, "configuration.nix"), module.Options{
		Decls:    options.All(),
		Packages: host.Packages, Debian: host.Debian, PackageFiles: host.PackageFiles,
	})
}

func mustEval(t *testing.T, files map[string]string) *module.Config {
	t.Helper()
	c, err := eval(t, files)
	if err != nil {
		t.Fatalf("eval: %v", err)
	}
	return c
}

func get(t *testing.T, c *module.Config, path string) any {
	t.Helper()
	v, ok := c.Get(path)
	if !ok {
		t.Fatalf("%s has no value", path)
	}
	return v
}

func wantErr(t *testing.T, files map[string]string, parts ...string) {
	t.Helper()
	_, err := eval(t, files)
	checkErr(t, err, parts...)
}

// checkErr checks that err is an invalid configuration whose message holds
// each of parts.
func checkErr(t *testing.T, err error, parts ...string) {
	t.Helper()
	if err == nil {
		t.Fatalf("evaluation should fail with %q", parts)
	}
	if fault.KindOf(err) != fault.Invalid {
		t.Errorf("error kind %v, want invalid: %v", fault.KindOf(err), err)
	}
	for _, p := range parts {
		if !strings.Contains(err.Error(), p) {
			t.Errorf("error lacks %q:\n%s", p, err)
		}
	}
}

func TestSeedSSH(t *testing.T) {
	c := mustEval(t, map[string]string{"configuration.nix": template("foo",
		`services.openssh.enable = true; users.users.root.openssh.authorizedKeys.keys = ["ssh-ed25519 AAAA... test"];`)})
	if get(t, c, "services.openssh.enable") != true || get(t, c, "networking.hostName") != "foo" || get(t, c, "boot.isContainer") != true {
		t.Fatalf("tree %v", c.Tree())
	}
	keys := get(t, c, "users.users.root.openssh.authorizedKeys.keys").([]any)
	if len(keys) != 1 || keys[0] != "ssh-ed25519 AAAA... test" {
		t.Fatalf("keys %v", keys)
	}
	if get(t, c, "users.users.root.name") != "root" || get(t, c, "users.users.root.isNormalUser") != false {
		t.Fatalf("submodule defaults missing: %v", get(t, c, "users.users.root"))
	}
	if ports := get(t, c, "services.openssh.ports").([]any); len(ports) != 1 || ports[0] != int64(22) {
		t.Fatalf("ports %v", ports)
	}
	want := []string{"boot.isContainer", "networking.hostName", "networking.useDHCP", "services.openssh.enable", "users.users"}
	if strings.Join(c.Defined, ",") != strings.Join(want, ",") {
		t.Fatalf("defined %v", c.Defined)
	}
}
