// Package runtime runs one nixcsh container with systemd-nspawn: the nspawn
// command line, the root dir skeleton that does not come from a generation,
// the per-container supervisor (cgroups, readiness, reboot, clean stop), the
// runtime state other processes read, and entering a running container
// (run, root-login, login).
//
// What a container's /etc must hold for run, root-login and login (the
// generation provides it; runtimetest.Files is a minimal working set):
//   - passwd, group, shadow with root (shell /bin/sh or another in /usr);
//     group tty (gid 5) for login's terminal;
//   - pam.d/su: "auth sufficient pam_rootok.so" first (root needs no
//     password), then pam_unix for auth/account/session;
//   - pam.d/su-l: util-linux `su -l` (used by run and root-login) uses this
//     service, e.g. "auth include su", "account include su", "session include su";
//   - pam.d/login: pam_unix for auth/account/password/session (no
//     pam_securetty: the terminal is a pts, which securetty would refuse);
//   - pam.d/other: a deny-all fallback for any other service.
//
// Without pam.d/su-l, run and root-login fall back to a login shell started
// with `env -i` (no PAM). The host's /usr supplies su, login and the PAM
// modules.
package runtime

import (
	"os"
	"path/filepath"
	"strings"
	"time"
)

// Bind is an extra bind mount into the container.
type Bind struct {
	Source, Target string // Target "" means the same path as Source
	ReadOnly       bool
	// Device is a device node: never ID-mapped (devtmpfs cannot be), so
	// under private users it is owned by nobody inside and its mode decides.
	Device bool
}

// Spec is everything needed to boot one container.
type Spec struct {
	Name         string   // container name (may contain '_'; see MachineName)
	Root         string   // the container's root dir
	Binds        []Bind   // extra binds; the host's /usr read-only is always there
	NetNSPath    string   // "" shares the host's network; else --network-namespace-path
	PrivateUsers string   // PRIVATE_USERS: "", no, identity, pick, or a number
	ExtraFlags   []string // EXTRA_NSPAWN_FLAGS, already split into words
	Limits       Limits   // resource limits of the container's cgroup
	// Ephemeral boots a throwaway copy of Root (nspawn --ephemeral: a
	// snapshot on btrfs, else a copy beside Root), removed when nspawn exits.
	Ephemeral   bool
	LogFile     string // console + supervisor log (appended)
	RunDir      string // runtime state; removed when the container is down
	StopTimeout time.Duration
}

// DefaultStopTimeout is how long a clean poweroff may take before SIGKILL.
const DefaultStopTimeout = 10 * time.Second

func (s Spec) stopTimeout() time.Duration {
	if s.StopTimeout > 0 {
		return s.StopTimeout
	}
	return DefaultStopTimeout
}

// NspawnPath is the systemd-nspawn binary (Debian package systemd-container).
const NspawnPath = "/usr/bin/systemd-nspawn"

// MachineName maps a container name to the machine name nspawn accepts.
// nixos-container names match ^[a-zA-Z0-9_-]+$ but nspawn refuses '_'
// ("Invalid machine name"), so every '_' becomes '-'. The mapping is
// deterministic; two names differing only in '_' versus '-' (a_b, a-b) share
// a machine name, which matters only for the hostname nspawn sets and for the
// cgroup name (which also carries a random suffix), never for state paths.
// nspawn also refuses a machine name that begins or ends with '-' (hostname
// rules), so those are trimmed: a_ runs as machine a; a name of only '_'
// and '-' runs as machine "container".
func MachineName(name string) string {
	m := strings.Trim(strings.ReplaceAll(name, "_", "-"), "-")
	if m == "" {
		return "container"
	}
	return m
}

// Args is the full systemd-nspawn command line (argv[0] included) for s.
//
// --register=no --keep-unit: there is no machined or system bus on a host
// where systemd is not PID 1, and nspawn then refuses to start without them;
// --keep-unit also makes nspawn create its payload/ and supervisor/ cgroups
// below the cgroup it was started in, which the supervisor makes per container.
//
// With private users (a user namespace), the root dir is mapped into the
// container's UID range by an ID-mapped mount (--private-users-ownership=
// auto: "map" where the file system supports it, as ext4, xfs, btrfs and
// tmpfs do on Linux 5.12+, else a one-time chown), so the container's root
// owns its /etc, /root and /var, and files activation writes later as the
// host's root stay the container root's. Unless the mapping is the identity,
// the host's /usr and nixcsh's own binds (the store, the profile) are
// mounted with "idmap": their root-owned
// files are root's inside too, and set-uid binaries (su, sudo) keep working.
func Args(s Spec) []string {
	usr := "--bind-ro=/usr"
	if s.shifted() {
		usr = "--bind-ro=/usr:/usr:idmap"
	}
	args := []string{NspawnPath,
		"-q", "--register=no", "--keep-unit",
		"-M", MachineName(s.Name),
		"-D", s.Root,
		usr,
		"--notify-ready=yes",
		"--kill-signal=SIGRTMIN+3",
	}
	for _, b := range s.Binds {
		flag := "--bind="
		if b.ReadOnly {
			flag = "--bind-ro="
		}
		spec := escapeBindPath(b.Source)
		idmap := s.shifted() && !b.Device
		if b.Target != "" && b.Target != b.Source || idmap {
			spec += ":" + escapeBindPath(b.targetPath())
		}
		if idmap {
			spec += ":idmap"
		}
		args = append(args, flag+spec)
	}
	if s.NetNSPath != "" {
		args = append(args, "--network-namespace-path="+s.NetNSPath)
	}
	if s.PrivateUsers != "" {
		args = append(args, "--private-users="+s.PrivateUsers)
		if s.UserNS() {
			args = append(args, "--private-users-ownership=auto")
		}
	}
	if s.Ephemeral {
		args = append(args, "--ephemeral")
	}
	args = append(args, s.ExtraFlags...)
	return append(args, "-b")
}

// removeEphemeralLeftovers removes what an ephemeral boot leaves beside
// the container's root dir once nspawn has exited: the lock file of the
// root (.#NAME.lck: nspawn locks it shared, to copy it, and unlinks the
// file only after an exclusive lock), and the throwaway copy
// (.#machine.NAME + 16 hex digits) with its lock when nspawn was killed
// before it could remove them (terminate, destroy). Nobody holds them
// then: the container's own lock keeps a second nspawn from starting.
func (s Spec) removeEphemeralLeftovers() {
	if !s.Ephemeral {
		return
	}
	dir, base := filepath.Dir(s.Root), filepath.Base(s.Root)
	os.Remove(filepath.Join(dir, ".#"+base+".lck"))
	entries, _ := os.ReadDir(dir)
	for _, e := range entries {
		n := e.Name()
		copyName := strings.TrimSuffix(n, ".lck") // the copy's lock: .#.#machine.NAMEHEX.lck
		if strings.HasPrefix(copyName, ".#.#") {
			copyName = copyName[2:]
		}
		rest, ok := strings.CutPrefix(copyName, ".#machine."+base)
		if !ok || len(rest) != 16 || strings.Trim(rest, "0123456789abcdef") != "" {
			continue
		}
		os.RemoveAll(filepath.Join(dir, n))
	}
}

// UserNS says whether the container runs in a user namespace of its own.
func (s Spec) UserNS() bool {
	return s.PrivateUsers != "" && s.PrivateUsers != "no"
}

// shifted says whether the user namespace maps the container's root to
// another host UID, so that host-owned binds need ID mapping (the kernel
// refuses an ID-mapped mount for an identity mapping, where none is needed).
func (s Spec) shifted() bool {
	return s.UserNS() && s.PrivateUsers != "identity" && s.PrivateUsers != "0"
}

func (b Bind) targetPath() string {
	if b.Target == "" {
		return b.Source
	}
	return b.Target
}

// escapeBindPath escapes what nspawn's --bind SRC:DST syntax treats
// specially: ':' separates source, target and options, '\' escapes.
func escapeBindPath(p string) string {
	p = strings.ReplaceAll(p, `\`, `\\`)
	return strings.ReplaceAll(p, ":", `\:`)
}
