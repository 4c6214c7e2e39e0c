package engine

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io"
	"os"
	"path/filepath"

	"github.com/coreos/go-systemd/v22/unit"

	"github.com/nixcsh/nixcsh/core"
	"github.com/nixcsh/nixcsh/core/conf"
	"github.com/nixcsh/nixcsh/core/fault"
	"github.com/nixcsh/nixcsh/core/layout"
)

// AUTO_START on a systemd host.
//
// NixOS starts imperative containers whose conf says AUTO_START=1 at boot.
// nixcsh does it with one unit per state root, nixcsh-autostart.service,
// wanted by machines.target (which multi-user.target wants on Debian), that
// runs `nixcsh --root R start --all-autostart` once at boot: that reads the
// confs at boot time, so editing AUTO_START in a conf, or destroying a
// container, needs no unit change. Each container it starts becomes its own
// container@NAME.service as usual.
//
// The unit is installed in /etc/systemd/system (it must survive a reboot,
// unlike the per-container drop-ins under /run) when a container of the
// root has AUTO_START=1, and removed when none has, each time a container
// of the root is created, updated or started while systemd is PID 1. On a
// host without systemd as PID 1 nothing is installed: run
// `nixcsh start --all-autostart` from the host's own boot scripts.

// autostartDir is where the boot-time unit goes.
const autostartDir = "/etc/systemd/system"

// autostartUnitName is the unit of a state root: the plain name for "/",
// a short hash of the root for any other.
func autostartUnitName(root string) string {
	if filepath.Clean(root) == "/" {
		return "nixcsh-autostart.service"
	}
	h := sha256.Sum256([]byte(filepath.Clean(root)))
	return "nixcsh-autostart-" + hex.EncodeToString(h[:4]) + ".service"
}

// autostartUnit is the unit's content.
func autostartUnit(exe, root string) []*unit.UnitOption {
	return []*unit.UnitOption{
		unit.NewUnitOption("Unit", "Description", "nixcsh containers with AUTO_START=1 (state root "+root+")"),
		unit.NewUnitOption("Unit", "After", "network.target"),
		unit.NewUnitOption("Unit", "Before", "machines.target"),
		unit.NewUnitOption("Service", "Type", "oneshot"),
		unit.NewUnitOption("Service", "RemainAfterExit", "yes"),
		unit.NewUnitOption("Service", "ExecStart", execLine(exe, "--root", root, "start", "--all-autostart")),
		unit.NewUnitOption("Install", "WantedBy", "machines.target"),
	}
}

// execLine quotes each word for ExecStart (systemd's % and $ escaped).
func execLine(words ...string) string {
	var b bytes.Buffer
	for i, w := range words {
		if i > 0 {
			b.WriteByte(' ')
		}
		b.WriteByte('"')
		for _, c := range w {
			switch c {
			case '"', '\\':
				b.WriteByte('\\')
			case '%':
				b.WriteByte('%')
			case '$':
				b.WriteByte('$')
			}
			b.WriteRune(c)
		}
		b.WriteByte('"')
	}
	return b.String()
}

// syncAutostart makes dir hold the root's enabled autostart unit exactly
// when a container of the root has AUTO_START=1, and reports whether it
// changed anything (systemd must then reload).
func syncAutostart(dir, exe string, p layout.Paths) (bool, error) {
	want := false
	names, err := core.NewManager(p.Root, nil).List(context.Background())
	if err != nil {
		return false, err
	}
	for _, n := range names {
		if f, err := conf.Read(p.ConfFile(n)); err == nil && f.Get(conf.AutoStart) == "1" {
			want = true
			break
		}
	}
	name := autostartUnitName(p.Root)
	path := filepath.Join(dir, name)
	wants := filepath.Join(dir, "machines.target.wants", name)
	if !want {
		changed := false
		for _, f := range []string{wants, path} {
			if err := os.Remove(f); err == nil {
				changed = true
			} else if !errors.Is(err, os.ErrNotExist) {
				return changed, fault.Errorf(fault.Failed, "cannot remove %s: %v", f, err)
			}
		}
		return changed, nil
	}
	content, err := io.ReadAll(unit.Serialize(autostartUnit(exe, p.Root)))
	if err != nil {
		return false, err
	}
	changed := false
	if old, err := os.ReadFile(path); err != nil || !bytes.Equal(old, content) {
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return false, fault.Errorf(fault.Failed, "cannot install %s: %v", path, err)
		}
		tmp := path + ".tmp"
		if err := os.WriteFile(tmp, content, 0o644); err != nil {
			return false, fault.Errorf(fault.Failed, "cannot install %s: %v", path, err)
		}
		if err := os.Rename(tmp, path); err != nil {
			return false, fault.Errorf(fault.Failed, "cannot install %s: %v", path, err)
		}
		changed = true
	}
	// Enabled as systemctl enable would: a link in the wants dir.
	if target, err := os.Readlink(wants); err != nil || target != path {
		os.MkdirAll(filepath.Dir(wants), 0o755)
		os.Remove(wants)
		if err := os.Symlink(path, wants); err != nil {
			return changed, fault.Errorf(fault.Failed, "cannot enable %s: %v", name, err)
		}
		changed = true
	}
	return changed, nil
}
