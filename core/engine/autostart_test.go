package engine

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/nixcsh/nixcsh/core/conf"
	"github.com/nixcsh/nixcsh/core/layout"
)

// The boot-time unit follows the confs: installed and enabled (wanted by
// machines.target) while a container has AUTO_START=1, removed when none has.
// Systemd itself is not needed: this checks the files systemd would read.
func TestSyncAutostart(t *testing.T) {
	root := t.TempDir()
	units := t.TempDir()
	p := layout.Paths{Root: root}
	write := func(name, auto string) {
		f, _ := conf.Parse("")
		f.Set(conf.AutoStart, auto)
		os.MkdirAll(filepath.Dir(p.ConfFile(name)), 0o755)
		if err := f.Write(p.ConfFile(name)); err != nil {
			t.Fatal(err)
		}
	}
	name := autostartUnitName(root)
	unitPath := filepath.Join(units, name)
	wants := filepath.Join(units, "machines.target.wants", name)

	write("plain", "0")
	if changed, err := syncAutostart(units, "/usr/bin/nixcsh", p); err != nil || changed {
		t.Fatalf("no AUTO_START: changed %v err %v", changed, err)
	}
	if _, err := os.Stat(unitPath); err == nil {
		t.Fatal("unit installed without any AUTO_START=1 container")
	}

	write("auto", "1")
	if changed, err := syncAutostart(units, "/usr/bin/nixcsh", p); err != nil || !changed {
		t.Fatalf("AUTO_START=1: changed %v err %v", changed, err)
	}
	b, err := os.ReadFile(unitPath)
	if err != nil {
		t.Fatal(err)
	}
	want := `ExecStart="/usr/bin/nixcsh" "--root" "` + root + `" "start" "--all-autostart"`
	if !strings.Contains(string(b), want) || !strings.Contains(string(b), "WantedBy=machines.target") || !strings.Contains(string(b), "Type=oneshot") {
		t.Errorf("unit:\n%s\nwant a line %s", b, want)
	}
	if target, err := os.Readlink(wants); err != nil || target != unitPath {
		t.Errorf("not enabled: %s -> %q, %v", wants, target, err)
	}
	if changed, err := syncAutostart(units, "/usr/bin/nixcsh", p); err != nil || changed {
		t.Errorf("second sync changed %v err %v", changed, err)
	}

	os.Remove(p.ConfFile("auto"))
	if changed, err := syncAutostart(units, "/usr/bin/nixcsh", p); err != nil || !changed {
		t.Fatalf("after the last AUTO_START=1 went: changed %v err %v", changed, err)
	}
	for _, f := range []string{unitPath, wants} {
		if _, err := os.Lstat(f); err == nil {
			t.Errorf("%s kept", f)
		}
	}
	if autostartUnitName("/") != "nixcsh-autostart.service" {
		t.Errorf("unit of / is %s", autostartUnitName("/"))
	}
}
