package system

import (
	"context"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"syscall"
	"testing"
)

func withService(tree map[string]any, name, script string) map[string]any {
	svc := tree["systemd"]
	if svc == nil {
		svc = map[string]any{"services": map[string]any{}}
		tree["systemd"] = svc
	}
	svc.(map[string]any)["services"].(map[string]any)[name] = map[string]any{
		"wantedBy": []any{"multi-user.target"}, "script": script,
	}
	return tree
}

func TestActivateLinksEtcAndMergesUsers(t *testing.T) {
	paths := testPaths(t)
	root := paths.StateDir("foo")
	g1 := buildTree(t, paths, "foo", seedSSH("foo"))
	if err := Activate(root, g1); err != nil {
		t.Fatal(err)
	}
	etc := filepath.Join(root, "etc")
	if tgt, _ := os.Readlink(filepath.Join(etc, "static")); tgt != filepath.Join(g1, "etc") {
		t.Fatalf("etc/static -> %q", tgt)
	}
	if tgt, _ := os.Readlink(filepath.Join(etc, "ssh/sshd_config")); tgt != "/etc/static/ssh/sshd_config" {
		t.Fatalf("sshd_config -> %q", tgt)
	}
	if tgt, _ := os.Readlink(filepath.Join(etc, "systemd/system")); tgt != "/etc/static/systemd/system" {
		t.Fatalf("systemd/system -> %q", tgt)
	}
	st, err := os.Lstat(filepath.Join(etc, "ssh/authorized_keys.d/root"))
	if err != nil || !st.Mode().IsRegular() || st.Mode().Perm() != 0o444 {
		t.Fatalf("authorized keys must be a real 0444 file (sshd's StrictModes): %v %v", st, err)
	}
	for _, f := range []string{"passwd", "group", "shadow"} {
		if st, err := os.Lstat(filepath.Join(etc, f)); err != nil || !st.Mode().IsRegular() {
			t.Fatalf("%s must be a real file: %v", f, err)
		}
	}
	if host, err := os.ReadFile(hostResolvConf); err == nil {
		if got := readFile(t, filepath.Join(etc, "resolv.conf")); got != string(host) {
			t.Errorf("resolv.conf should be the host's (useHostResolvConf): %q", got)
		}
	}
	if tgt, _ := os.Readlink(filepath.Join(root, "bin")); tgt != "usr/bin" {
		t.Fatalf("bin -> %q", tgt)
	}

	// The container's own state: a host key, a user and a password change.
	os.WriteFile(filepath.Join(etc, "ssh/ssh_host_ed25519_key"), []byte("KEY"), 0o600)
	os.Remove(filepath.Join(etc, "machine-id")) // systemd writes it at first boot
	os.WriteFile(filepath.Join(etc, "machine-id"), []byte("0123456789abcdef0123456789abcdef\n"), 0o444)
	appendLine(t, filepath.Join(etc, "passwd"), "bob:x:1000:100::/home/bob:/bin/bash")
	appendLine(t, filepath.Join(etc, "shadow"), "bob:$6$x$y:19000::::::")
	appendLine(t, filepath.Join(etc, "group"), "bobs:x:1500:bob")
	replaceIn(t, filepath.Join(etc, "shadow"), "root:*:", "root:$6$changed:")

	// Generation 2: httpd instead of sshd, plus a declared normal user.
	tree := seedHTTPD("foo")
	tree["users"] = map[string]any{"users": map[string]any{"alice": map[string]any{"isNormalUser": true}}}
	g2 := buildTree(t, paths, "foo", withService(tree, "hello", "echo hi"))
	if err := Activate(root, g2); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Lstat(filepath.Join(etc, "ssh/sshd_config")); !os.IsNotExist(err) {
		t.Fatal("sshd_config of the previous generation was not removed")
	}
	if _, err := os.Lstat(filepath.Join(etc, "ssh/authorized_keys.d/root")); !os.IsNotExist(err) {
		t.Fatal("copied authorized keys of the previous generation were not removed")
	}
	if readFile(t, filepath.Join(etc, "ssh/ssh_host_ed25519_key")) != "KEY" || !strings.HasPrefix(readFile(t, filepath.Join(etc, "machine-id")), "0123") {
		t.Fatal("host key or machine-id not kept")
	}
	passwd := readFile(t, filepath.Join(etc, "passwd"))
	if !strings.Contains(passwd, "bob:x:1000:100::/home/bob:/bin/bash") {
		t.Fatalf("user added inside the container was dropped:\n%s", passwd)
	}
	if !strings.Contains(passwd, "alice:x:1001:100::/home/alice:/bin/bash") {
		t.Fatalf("declared alice should avoid bob's uid 1000:\n%s", passwd)
	}
	if strings.Contains(passwd, "sshd:") {
		t.Fatalf("sshd user of the previous generation kept:\n%s", passwd)
	}
	shadow := readFile(t, filepath.Join(etc, "shadow"))
	if !strings.Contains(shadow, "root:$6$changed:") || !strings.Contains(shadow, "bob:$6$x$y:") {
		t.Fatalf("passwords changed inside were not kept:\n%s", shadow)
	}
	if !strings.Contains(readFile(t, filepath.Join(etc, "group")), "bobs:x:1500:bob") {
		t.Fatal("group added inside the container was dropped")
	}
	if st, err := os.Stat(filepath.Join(root, "home/alice")); err != nil || !st.IsDir() {
		t.Fatalf("alice's home not created: %v", err)
	}

	d, err := Diff(g1, g2)
	if err != nil {
		t.Fatal(err)
	}
	want := UnitDiff{Stop: []string{"sshd-keygen.service", "sshd.service"}, Start: []string{"hello.service", "httpd.service"},
		Restart: []string{}, Reload: []string{}, FirewallChanged: true, EtcChanged: true}
	if !reflect.DeepEqual(d, want) {
		t.Fatalf("diff %+v, want %+v", d, want)
	}

	// Changing a service restarts it; Apache's config change reloads it.
	tree = seedHTTPD("foo")
	tree["services"].(map[string]any)["httpd"].(map[string]any)["extraConfig"] = "# more"
	tree["users"] = map[string]any{"users": map[string]any{"alice": map[string]any{"isNormalUser": true}}}
	g3 := buildTree(t, paths, "foo", withService(tree, "hello", "echo hello"))
	d, _ = Diff(g2, g3)
	want = UnitDiff{Stop: []string{}, Start: []string{}, Restart: []string{"hello.service"}, Reload: []string{"httpd.service"}, EtcChanged: true}
	if !reflect.DeepEqual(d, want) {
		t.Fatalf("diff %+v, want %+v", d, want)
	}
	// A change elsewhere (a new /etc file) restarts and reloads nothing.
	tree["environment"] = map[string]any{"etc": map[string]any{"extra": map[string]any{"text": "x"}}}
	g4 := buildTree(t, paths, "foo", tree)
	d, _ = Diff(g3, g4)
	want = UnitDiff{Stop: []string{}, Start: []string{}, Restart: []string{}, Reload: []string{}, EtcChanged: true}
	if !reflect.DeepEqual(d, want) {
		t.Fatalf("diff %+v, want %+v", d, want)
	}
	if d, _ := Diff(g3, g3); d.EtcChanged || d.FirewallChanged || len(d.Restart)+len(d.Start)+len(d.Stop)+len(d.Reload) != 0 {
		t.Fatalf("diff of a generation with itself: %+v", d)
	}
	if err := Activate(root, g3); err != nil {
		t.Fatal(err)
	}
	if tgt, _ := os.Readlink(filepath.Join(etc, "static")); tgt != filepath.Join(g3, "etc") {
		t.Fatalf("etc/static -> %q", tgt)
	}
}

func appendLine(t *testing.T, path, line string) {
	t.Helper()
	f, err := os.OpenFile(path, os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	f.WriteString(line + "\n")
	f.Close()
}

func replaceIn(t *testing.T, path, old, new string) {
	t.Helper()
	s := readFile(t, path)
	if !strings.Contains(s, old) {
		t.Fatalf("%s lacks %q", path, old)
	}
	os.WriteFile(path, []byte(strings.Replace(s, old, new, 1)), 0o600)
}

func TestEnvironmentEtc(t *testing.T) {
	paths := testPaths(t)
	src := filepath.Join(t.TempDir(), "motd.src")
	os.WriteFile(src, []byte("from a file\n"), 0o644)
	tree := t.TempDir()
	os.MkdirAll(filepath.Join(tree, "sub"), 0o755)
	os.WriteFile(filepath.Join(tree, "sub/a.conf"), []byte("A"), 0o644)
	writeConfig(t, paths, "foo", `environment.etc."foo/bar.conf".text = "x = 1\n";
  environment.etc.motd.source = `+src+`;
  environment.etc."tree.d".source = `+tree+`;
  environment.etc.secret = { text = "s3cret"; mode = "0440"; group = "wheel"; };
  environment.etc.gone = { text = "nope"; enable = false; };
  environment.variables = { EDITOR = "vi"; PATHS = [ "/a" "/b" ]; };`)
	sp, _, err := Build(context.Background(), paths, "foo")
	if err != nil {
		t.Fatal(err)
	}
	root := paths.StateDir("foo")
	if err := Activate(root, sp); err != nil {
		t.Fatal(err)
	}
	etc := filepath.Join(root, "etc")
	if tgt, _ := os.Readlink(filepath.Join(etc, "foo/bar.conf")); tgt != "/etc/static/foo/bar.conf" {
		t.Errorf("foo/bar.conf -> %q", tgt)
	}
	if got := readFile(t, filepath.Join(sp, "etc/foo/bar.conf")); got != "x = 1\n" {
		t.Errorf("bar.conf %q", got)
	}
	if tgt, _ := os.Readlink(filepath.Join(etc, "tree.d/sub/a.conf")); tgt != "/etc/static/tree.d/sub/a.conf" || readFile(t, filepath.Join(sp, "etc/tree.d/sub/a.conf")) != "A" {
		t.Errorf("a directory source: %q", tgt)
	}
	if got := readFile(t, filepath.Join(sp, "etc/motd")); got != "from a file\n" {
		t.Errorf("motd %q", got)
	}
	st, err := os.Lstat(filepath.Join(etc, "secret"))
	if err != nil || !st.Mode().IsRegular() || st.Mode().Perm() != 0o440 {
		t.Fatalf("secret should be a copied 0440 file: %v %v", st, err)
	}
	if sys, ok := st.Sys().(*syscall.Stat_t); ok && os.Geteuid() == 0 && sys.Gid != 1 {
		t.Errorf("secret's group is %d, want wheel (1)", sys.Gid)
	}
	if _, err := os.Lstat(filepath.Join(sp, "etc/gone")); !os.IsNotExist(err) {
		t.Error("a disabled etc entry was rendered")
	}
	profile := readFile(t, filepath.Join(sp, "etc/profile"))
	if !strings.Contains(profile, "export EDITOR='vi'\n") || !strings.Contains(profile, "export PATHS='/a:/b'\n") {
		t.Errorf("profile:\n%s", profile)
	}
}

func TestActivateImmutableUsersAndIdempotence(t *testing.T) {
	paths := testPaths(t)
	root := paths.StateDir("foo")
	tree := seedSSH("foo")
	tree["users"].(map[string]any)["mutableUsers"] = false
	g := buildTree(t, paths, "foo", tree)
	if err := Activate(root, g); err != nil {
		t.Fatal(err)
	}
	etc := filepath.Join(root, "etc")
	before := readFile(t, filepath.Join(etc, "passwd"))
	if err := Activate(root, g); err != nil {
		t.Fatal(err)
	}
	if after := readFile(t, filepath.Join(etc, "passwd")); after != before {
		t.Fatalf("activating the same generation twice changed passwd:\n%s\n---\n%s", before, after)
	}
	appendLine(t, filepath.Join(etc, "passwd"), "bob:x:1000:100::/home/bob:/bin/bash")
	replaceIn(t, filepath.Join(etc, "shadow"), "root:*:", "root:$6$changed:")
	if err := Activate(root, g); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(readFile(t, filepath.Join(etc, "passwd")), "bob:") {
		t.Fatal("with users.mutableUsers = false, users made inside the container are removed")
	}
	if !strings.Contains(readFile(t, filepath.Join(etc, "shadow")), "root:*:") {
		t.Fatal("with users.mutableUsers = false, the declared password wins")
	}
}
