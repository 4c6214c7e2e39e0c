package system

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestFamilyModuleMergesWithTheUsers: security.sudo is implemented by a
// module of nixcsh's own (options/modules/sudo.nix); its sudoers lands in the
// generation, the user's extraRules are rendered into it, and a user's own
// definition of the same environment.etc entry overrides it as on NixOS.
func TestFamilyModuleMergesWithTheUsers(t *testing.T) {
	if _, err := os.Stat("/usr/bin/sudo"); err != nil {
		t.Skip("needs the host's sudo (Debian package sudo), which setup.sh installs")
	}
	paths := testPaths(t)
	writeConfig(t, paths, "foo", `security.sudo.wheelNeedsPassword = false;
  security.sudo.extraRules = [ { users = [ "alice" ]; commands = [ { command = "/usr/bin/id"; options = [ "NOPASSWD" ]; } ]; } ];`)
	sp, _, err := Build(context.Background(), paths, "foo")
	if err != nil {
		t.Fatal(err)
	}
	sudoers := readFile(t, filepath.Join(sp, "etc/sudoers"))
	for _, want := range []string{"%wheel ALL=(ALL:ALL) NOPASSWD: SETENV: ALL\n", "alice ALL=(ALL:ALL) NOPASSWD: /usr/bin/id\n"} {
		if !strings.Contains(sudoers, want) {
			t.Errorf("sudoers lacks %q:\n%s", want, sudoers)
		}
	}
	m, _ := LoadManifest(sp)
	if strings.Contains(strings.Join(m.Options, ","), "environment.etc") {
		t.Errorf("options used %v count the family's own definitions", m.Options)
	}

	writeConfig(t, paths, "foo", `environment.etc.sudoers.text = lib.mkForce "root ALL=(ALL) ALL\n";`)
	sp, _, err = Build(context.Background(), paths, "foo")
	if err != nil {
		t.Fatal(err)
	}
	if got := readFile(t, filepath.Join(sp, "etc/sudoers")); got != "root ALL=(ALL) ALL\n" {
		t.Errorf("mkForce over the family's sudoers gave %q", got)
	}
}

// Options whose subject a container lacks (nix.*, console.*, ...) are
// accepted with one warning naming them; options not set are not named.
func TestInertOptionsWarnOnce(t *testing.T) {
	paths := testPaths(t)
	writeConfig(t, paths, "foo", `nix.settings.keep-build-log = false; nix.gc.automatic = false;
  console.enable = false; users.allowNoPasswordLogin = true;`)
	_, warnings, err := Build(context.Background(), paths, "foo")
	if err != nil {
		t.Fatal(err)
	}
	var found []string
	for _, w := range warnings {
		if strings.Contains(w, "ignored: a nixcsh container has no Nix daemon") {
			found = append(found, w)
		}
	}
	if len(found) != 1 || !strings.HasPrefix(found[0], "nix, console ignored") {
		t.Errorf("warnings %q, want one naming nix and console", warnings)
	}
}

// Options NixOS renamed still work under their old names, with NixOS's
// warning: services.openssh.permitRootLogin sets settings.PermitRootLogin.
func TestRenamedOptionsForward(t *testing.T) {
	paths := testPaths(t)
	writeConfig(t, paths, "foo", `services.openssh.enable = true;
  services.openssh.permitRootLogin = "yes";
  services.openssh.passwordAuthentication = false;`)
	sp, warnings, err := Build(context.Background(), paths, "foo")
	if err != nil {
		t.Fatal(err)
	}
	cfg := readFile(t, filepath.Join(sp, "etc/ssh/sshd_config"))
	for _, want := range []string{"PermitRootLogin yes", "PasswordAuthentication no"} {
		if !strings.Contains(cfg, want) {
			t.Errorf("sshd_config lacks %q:\n%s", want, cfg)
		}
	}
	if w := strings.Join(warnings, "\n"); !strings.Contains(w, "services.openssh.permitRootLogin") || !strings.Contains(w, "has been renamed to") {
		t.Errorf("warnings %q lack NixOS's rename notice", warnings)
	}
}
