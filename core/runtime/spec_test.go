package runtime

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestMachineName(t *testing.T) {
	if got := MachineName("a_b_c"); got != "a-b-c" {
		t.Errorf("MachineName = %q", got)
	}
	if got := MachineName("web-1"); got != "web-1" {
		t.Errorf("MachineName = %q", got)
	}
	// nspawn refuses machine names beginning or ending with '-'.
	for in, want := range map[string]string{"web_": "web", "_a__b_": "a--b", "-x-": "x", "__": "container"} {
		if got := MachineName(in); got != want {
			t.Errorf("MachineName(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestArgs(t *testing.T) {
	got := strings.Join(Args(Spec{
		Name: "my_box", Root: "/var/lib/containers/my_box",
		Binds:        []Bind{{Source: "/nix/store", ReadOnly: true}, {Source: "/data:x", Target: "/srv"}},
		NetNSPath:    "/run/netns/nixcsh-my_box",
		PrivateUsers: "pick",
		ExtraFlags:   []string{"--capability=CAP_NET_ADMIN"},
	}), " ")
	// Private users: /usr and the binds ID-mapped, the root mapped by nspawn.
	want := "/usr/bin/systemd-nspawn -q --register=no --keep-unit -M my-box -D /var/lib/containers/my_box" +
		" --bind-ro=/usr:/usr:idmap --notify-ready=yes --kill-signal=SIGRTMIN+3 --bind-ro=/nix/store:/nix/store:idmap --bind=/data\\:x:/srv:idmap" +
		" --network-namespace-path=/run/netns/nixcsh-my_box --private-users=pick --private-users-ownership=auto --capability=CAP_NET_ADMIN -b"
	if got != want {
		t.Errorf("Args =\n%s\nwant\n%s", got, want)
	}
	got = strings.Join(Args(Spec{
		Name: "box", Root: "/r", PrivateUsers: "no",
		Binds: []Bind{{Source: "/nix/store", ReadOnly: true}, {Source: "/p", Target: "/nix/var/nix/profiles", ReadOnly: true}},
	}), " ")
	want = "/usr/bin/systemd-nspawn -q --register=no --keep-unit -M box -D /r --bind-ro=/usr --notify-ready=yes --kill-signal=SIGRTMIN+3" +
		" --bind-ro=/nix/store --bind-ro=/p:/nix/var/nix/profiles --private-users=no -b"
	if got != want {
		t.Errorf("Args =\n%s\nwant\n%s", got, want)
	}
}

func TestPrepareRoot(t *testing.T) {
	root := filepath.Join(t.TempDir(), "c")
	os.MkdirAll(filepath.Join(root, "etc"), 0o755)
	os.WriteFile(filepath.Join(root, "etc/machine-id"), []byte("0123456789abcdef0123456789abcdef\n"), 0o444)
	os.WriteFile(filepath.Join(root, "etc/passwd"), []byte("root:x:0:0::/root:/bin/sh\n"), 0o644)
	for i := 0; i < 2; i++ { // idempotent
		if err := PrepareRoot(root); err != nil {
			t.Fatal(err)
		}
	}
	for link, target := range map[string]string{"bin": "usr/bin", "sbin": "usr/sbin", "lib": "usr/lib", "lib64": "usr/lib64"} {
		if got, err := os.Readlink(filepath.Join(root, link)); err != nil || got != target {
			t.Errorf("%s -> %q (%v), want %s", link, got, err, target)
		}
	}
	for _, d := range []string{"usr", "proc", "sys", "dev", "run", "tmp", "var/tmp", "root"} {
		if fi, err := os.Stat(filepath.Join(root, d)); err != nil || !fi.IsDir() {
			t.Errorf("%s: %v", d, err)
		}
	}
	if fi, _ := os.Stat(filepath.Join(root, "tmp")); fi.Mode()&os.ModeSticky == 0 {
		t.Error("tmp is not sticky")
	}
	if b, _ := os.ReadFile(filepath.Join(root, "etc/machine-id")); string(b) != "0123456789abcdef0123456789abcdef\n" {
		t.Errorf("machine-id replaced: %q", b)
	}
	if b, _ := os.ReadFile(filepath.Join(root, "etc/passwd")); string(b) != "root:x:0:0::/root:/bin/sh\n" {
		t.Errorf("passwd touched: %q", b)
	}
	if b, _ := os.ReadFile(filepath.Join(root, "etc/os-release")); !strings.Contains(string(b), "ID=") {
		t.Errorf("os-release: %q", b)
	}
	// A fresh root gets an empty machine-id for systemd to fill.
	fresh := filepath.Join(t.TempDir(), "f")
	if err := PrepareRoot(fresh); err != nil {
		t.Fatal(err)
	}
	if b, err := os.ReadFile(filepath.Join(fresh, "etc/machine-id")); err != nil || len(b) != 0 {
		t.Errorf("fresh machine-id %q %v", b, err)
	}
	// Something else where a symlink belongs is refused, not replaced.
	bad := filepath.Join(t.TempDir(), "b")
	os.MkdirAll(filepath.Join(bad, "bin"), 0o755)
	if err := PrepareRoot(bad); err == nil || !strings.Contains(err.Error(), "bin") {
		t.Errorf("PrepareRoot over a bin dir = %v", err)
	}
}

// A device node is never ID-mapped (the kernel refuses it on devtmpfs),
// while other binds of a shifted container are; --ephemeral goes before -b.
func TestArgsDeviceAndEphemeral(t *testing.T) {
	s := Spec{Name: "d", Root: "/r", PrivateUsers: "pick", Ephemeral: true,
		Binds: []Bind{{Source: "/dev/fuse", Device: true}, {Source: "/srv"}}}
	args := strings.Join(Args(s), " ")
	for _, want := range []string{" --bind=/dev/fuse ", " --bind=/srv:/srv:idmap ", " --ephemeral -b"} {
		if !strings.Contains(args+" ", want) {
			t.Errorf("args %q lack %q", args, want)
		}
	}
}

// What a killed ephemeral boot leaves goes; another container's copy stays.
func TestRemoveEphemeralLeftovers(t *testing.T) {
	dir := t.TempDir()
	hex := "0123456789abcdef"
	gone := []string{".#web.lck", ".#machine.web" + hex, ".#.#machine.web" + hex + ".lck"}
	kept := []string{"web", ".#machine.webx" + hex, ".#machine.web" + hex + "0", ".#other.lck"}
	for _, n := range append(gone, kept...) {
		if strings.HasSuffix(n, ".lck") {
			os.WriteFile(filepath.Join(dir, n), nil, 0o644)
		} else {
			os.MkdirAll(filepath.Join(dir, n, "etc"), 0o755)
		}
	}
	Spec{Root: filepath.Join(dir, "web")}.removeEphemeralLeftovers()
	if _, err := os.Stat(filepath.Join(dir, gone[1])); err != nil {
		t.Fatal("removed without --ephemeral")
	}
	Spec{Root: filepath.Join(dir, "web"), Ephemeral: true}.removeEphemeralLeftovers()
	for _, n := range gone {
		if _, err := os.Stat(filepath.Join(dir, n)); err == nil {
			t.Errorf("%s is left", n)
		}
	}
	for _, n := range kept {
		if _, err := os.Stat(filepath.Join(dir, n)); err != nil {
			t.Errorf("%s was removed", n)
		}
	}
}
