// Package layout is nixcsh's state layout on disk. It imports nothing of
// nixcsh, so every layer can find the files it needs without the Manager.
package layout

import (
	"os"
	"path/filepath"
	"time"
)

// Paths is the state layout (docs/architecture.md, "State"). Every path hangs off Root so that a
// whole installation can be relocated (--root, NIXCSH_ROOT) — tests use a
// temporary directory, the real host uses "/".
type Paths struct {
	Root string
}

// RootFromEnv is the state root from NIXCSH_ROOT, or "/".
func RootFromEnv() string {
	if r := os.Getenv("NIXCSH_ROOT"); r != "" {
		return r
	}
	return "/"
}

func (p Paths) join(parts ...string) string {
	root := p.Root
	if root == "" {
		root = "/"
	}
	return filepath.Join(append([]string{root}, parts...)...)
}

// ConfDir holds NAME.conf files (shared with podman: see podmanFiles).
func (p Paths) ConfDir() string { return p.join("etc/containers") }

// ConfFile is the container's settings file.
func (p Paths) ConfFile(name string) string { return p.join("etc/containers", name+".conf") }

// StateBase holds every container's root dir.
func (p Paths) StateBase() string { return p.join("var/lib/containers") }

// StateDir is the container's root dir: its own /etc, /var, /root, /home.
func (p Paths) StateDir(name string) string { return p.join("var/lib/containers", name) }

// ConfigNix is the container's configuration.nix.
func (p Paths) ConfigNix(name string) string {
	return p.join("var/lib/containers", name, "etc/nixos/configuration.nix")
}

// ProfilesBase is /nix/var/nix/profiles/per-container (mode 0700).
func (p Paths) ProfilesBase() string { return p.join("nix/var/nix/profiles/per-container") }

// ProfileDir holds the container's system-N-link generations and `system`.
func (p Paths) ProfileDir(name string) string {
	return p.join("nix/var/nix/profiles/per-container", name)
}

// GCRootsDir is the per-container gcroots dir that destroy removes too.
func (p Paths) GCRootsDir(name string) string {
	return p.join("nix/var/nix/gcroots/per-container", name)
}

// Store holds immutable, content-addressed system generations.
func (p Paths) Store() string { return p.join("var/lib/nixcsh/store") }

// RunDir is the container's runtime state (pids, notify socket, status).
func (p Paths) RunDir(name string) string { return p.join("run/nixcsh", name) }

// RunBase holds every container's runtime state.
func (p Paths) RunBase() string { return p.join("run/nixcsh") }

// LogDir holds console logs and the plugins' log.
func (p Paths) LogDir() string { return p.join("var/log/nixcsh") }

// LogFile is the container's console and supervisor log.
func (p Paths) LogFile(name string) string { return p.join("var/log/nixcsh", name+".log") }

// LockFile serialises creates, as nixos-container's /run/lock/nixos-container.
func (p Paths) LockFile() string { return p.join("run/lock/nixos-container") }

// StoreLock keeps gc from removing a generation between its build and its
// addition to a profile.
func (p Paths) StoreLock() string { return p.join("run/lock/nixcsh/store.lock") }

// ContainerLock serialises the verbs of one container.
func (p Paths) ContainerLock(name string) string { return p.join("run/lock/nixcsh", name+".lock") }

// Generation is one entry of a container's profile: ProfileDir(name)'s
// system-N-link, pointing at StorePath. core/system reads and switches the
// profile; the Manager hands the records on to the front ends (list-generations).
type Generation struct {
	Number    int       `json:"number"`
	StorePath string    `json:"storePath"`
	Created   time.Time `json:"created"` // when the link was made
	Current   bool      `json:"current"` // the profile's `system` points at it
}
