package shell

import (
	"bytes"
	"os"
	"strings"
	"testing"
)

// Invoked through a symlink named nixos-container, the binary is the NixOS
// tool: same verbs, same messages, and no shell.
func TestInvokedAsNixosContainer(t *testing.T) {
	root := t.TempDir()
	run := func(args ...string) (int, string, string) {
		var out, errb bytes.Buffer
		code := Main(append([]string{"/run/current-system/sw/bin/nixos-container"}, args...), strings.NewReader(""), &out, &errb)
		return code, out.String(), errb.String()
	}
	if code, _, errs := run(); code != 1 || errs != "no action specified\n" {
		t.Errorf("no action: %d %q", code, errs)
	}
	if code, _, errs := run("--root", root, "create", "web", "--host-address", "10.77.0.1", "--local-address", "10.77.0.2"); code != 0 || errs != "host IP is 10.77.0.1, container IP is 10.77.0.2\n" {
		t.Errorf("create: %d %q", code, errs)
	}
	if code, out, _ := run("--root", root, "list"); code != 0 || out != "web\n" {
		t.Errorf("list: %d %q", code, out)
	}
	if code, out, _ := run("--root", root, "show-ip", "web"); code != 0 || out != "10.77.0.2\n" {
		t.Errorf("show-ip: %d %q", code, out)
	}
	if code, out, errs := run("--root", root, "status", "gone1"); code != 1 || out != "gone\n" || errs != "" {
		t.Errorf("status of a missing container: %d %q %q", code, out, errs)
	}
	if code, _, errs := run("--help"); code != 0 || errs != "" {
		t.Errorf("--help: %d %q", code, errs)
	}
	if code, _, errs := run("--root", root, "destroy", "web"); code != 0 || errs != "" {
		t.Errorf("destroy: %d %q", code, errs)
	}
	if _, err := os.Stat(root + "/etc/containers/web.conf"); !os.IsNotExist(err) {
		t.Errorf("conf survived destroy: %v", err)
	}
}
