package engine

import (
	"os"
	"strings"
	"testing"
)

// security.sudo in a running container: the host's setuid sudo reads the
// sudoers the generation wrote, so a wheel member without a password rule
// and a user with one NOPASSWD command get exactly what the rules say.
func TestServiceSudo(t *testing.T) {
	needRoot(t)
	if _, err := os.Stat("/usr/bin/sudo"); err != nil {
		t.Skip("needs the host's sudo (Debian package sudo), which setup.sh installs")
	}
	t.Parallel()
	r := newTestRoot(t)
	name := r.create("sudo", `
  users.users.alice = { isNormalUser = true; extraGroups = [ "wheel" ]; };
  users.users.bob.isNormalUser = true;
  security.sudo.wheelNeedsPassword = false;
  security.sudo.extraRules = [
    { users = [ "bob" ]; commands = [ { command = "/usr/bin/id"; options = [ "NOPASSWD" ]; } ]; }
  ];`)
	r.start(name)

	if out := r.run(name, "runuser", "-u", "alice", "--", "sudo", "-n", "id", "-un"); strings.TrimSpace(out) != "root" {
		t.Errorf("alice (wheel, no password needed): sudo id -un printed %q, want root", out)
	}
	if out := r.run(name, "runuser", "-u", "bob", "--", "sudo", "-n", "/usr/bin/id", "-un"); strings.TrimSpace(out) != "root" {
		t.Errorf("bob's NOPASSWD rule for /usr/bin/id: sudo printed %q, want root", out)
	}
	if code, out, errs := r.runCode(name, "runuser", "-u", "bob", "--", "sudo", "-n", "/usr/bin/true"); code == 0 {
		t.Errorf("bob ran a command no rule allows: exit 0, %q %q", out, errs)
	}

	// An update that takes wheel's rule back to needing a password applies
	// to the next sudo.
	r.scenarioCLI().must("update", name, "--config", `users.users.alice = { isNormalUser = true; extraGroups = [ "wheel" ]; };`)
	if code, _, _ := r.runCode(name, "runuser", "-u", "alice", "--", "sudo", "-n", "true"); code == 0 {
		t.Errorf("after wheelNeedsPassword went back to true, alice still ran sudo -n without a password")
	}
}
