// Package runtimetest makes bootable container roots for tests, without a
// generation: the hand-made minimum (runtime.PrepareRoot's skeleton, plus
// passwd/group/shadow, a default.target, and the minimal PAM stack that su
// and login need), and skip helpers for tests that need root and nspawn.
package runtimetest

import (
	"crypto/rand"
	"encoding/hex"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/nixcsh/nixcsh/core/runtime"
)

// RootPassword is root's password in a MinimalRoot's /etc/shadow.
const RootPassword = "secret"

// rootPasswordHash is RootPassword in SHA-512 crypt (openssl passwd -6).
const rootPasswordHash = "$6$nixcshtestsalt$3IZCE3UxwnMjf37cvuhfjbCetCDCJHkJYFqehMnK7WwrFEleeWGILAAqTf7EiCumL8dqE7HLOH2IpXKs7YynC."

// Files are the /etc files a MinimalRoot gets beside PrepareRoot's skeleton.
// The pam.d entries are the minimum for `su root -l -c` and `su -l` (util-
// linux su uses the service su-l, which includes su: root gets in without a
// password via pam_rootok) and `login` (pam_unix against /etc/shadow);
// the generation must provide the equivalent in production.
var Files = map[string]string{
	"etc/passwd": "root:x:0:0:root:/root:/bin/sh\n" +
		"nobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin\n",
	"etc/group": "root:x:0:\ntty:x:5:\nnogroup:x:65534:\n",
	"etc/shadow": "root:" + rootPasswordHash + ":19000:0:99999:7:::\n" +
		"nobody:*:19000:0:99999:7:::\n",
	"etc/pam.d/su": "auth sufficient pam_rootok.so\n" +
		"auth required pam_unix.so\n" +
		"account required pam_unix.so\n" +
		"session required pam_unix.so\n",
	// util-linux su uses the service su-l for a login shell (su -l).
	"etc/pam.d/su-l": "auth include su\n" +
		"account include su\n" +
		"session include su\n",
	"etc/pam.d/login": "auth required pam_unix.so\n" +
		"account required pam_unix.so\n" +
		"password required pam_unix.so\n" +
		"session required pam_unix.so\n",
	"etc/pam.d/other": "auth required pam_deny.so\n" +
		"account required pam_deny.so\n" +
		"password required pam_deny.so\n" +
		"session required pam_deny.so\n",
	"etc/hostname": "",
}

// MinimalRoot makes a bootable root in dir (created if needed): the
// skeleton, Files, and default.target -> multi-user.target.
func MinimalRoot(t testing.TB, dir string) {
	t.Helper()
	if err := runtime.PrepareRoot(dir); err != nil {
		t.Fatal(err)
	}
	for name, content := range Files {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		mode := os.FileMode(0o644)
		if name == "etc/shadow" {
			mode = 0o640
		}
		if err := os.WriteFile(p, []byte(content), mode); err != nil {
			t.Fatal(err)
		}
	}
	unitDir := filepath.Join(dir, "etc/systemd/system")
	if err := os.MkdirAll(unitDir, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink("/usr/lib/systemd/system/multi-user.target", filepath.Join(unitDir, "default.target")); err != nil && !os.IsExist(err) {
		t.Fatal(err)
	}
}

// SkipUnlessNspawn skips t unless it runs as root with systemd-nspawn.
func SkipUnlessNspawn(t testing.TB) {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("needs root: boots real containers with systemd-nspawn")
	}
	if _, err := exec.LookPath(runtime.NspawnPath); err != nil {
		t.Skip("needs systemd-nspawn (Debian package systemd-container)")
	}
}

// UniqueName is a short container name unique to this test run (fits the
// 11-character limit of nixos-container names).
func UniqueName(prefix string) string {
	var b [3]byte
	rand.Read(b[:])
	return prefix + hex.EncodeToString(b[:])
}
