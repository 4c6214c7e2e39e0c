package system

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/nixcsh/nixcsh/core/fault"
	"github.com/nixcsh/nixcsh/core/layout"
)

// template is nixos-container's configuration.nix, as create writes it.
func template(name, config string) string {
	return "{ config, lib, pkgs, ... }:\n\n{ boot.isContainer = true;\n  networking.hostName = lib.mkDefault \"" + name +
		"\";\n  networking.useDHCP = false;\n  " + config + "\n}\n"
}

func writeConfig(t testing.TB, paths layout.Paths, name, config string) {
	t.Helper()
	p := paths.ConfigNix(name)
	os.MkdirAll(filepath.Dir(p), 0o755)
	if err := os.WriteFile(p, []byte(template(name, config)), 0o644); err != nil {
		t.Fatal(err)
	}
}

const seedA = `services.openssh.enable = true;
  users.users.root.openssh.authorizedKeys.keys = ["ssh-ed25519 AAAA... test"];`

const seedB = `services.httpd.enable = true; services.httpd.adminAddr = "foo@example.org";
  networking.firewall.allowedTCPPorts = [ 80 ];`

func TestBuildSeedsFromConfigurationNix(t *testing.T) {
	paths := testPaths(t)
	writeConfig(t, paths, "foo", seedA)
	sp, warns, err := Build(context.Background(), paths, "foo")
	if err != nil {
		t.Fatal(err)
	}
	if len(warns) != 0 {
		t.Fatalf("warnings %v", warns)
	}
	// The same generation as the hand-written tree of the same config.
	if tree := buildTree(t, testPaths(t), "foo", seedSSH("foo")); filepath.Base(tree) == filepath.Base(sp) {
		t.Log("config.nix and the hand-written tree render identically")
	}
	if got := readFile(t, filepath.Join(sp, "etc/ssh/authorized_keys.d/root")); got != "ssh-ed25519 AAAA... test\n" {
		t.Fatalf("authorized keys %q", got)
	}
	sp2, _, err := Build(context.Background(), paths, "foo")
	if err != nil || sp2 != sp {
		t.Fatalf("building twice gave %s then %s (%v)", sp, sp2, err)
	}
	m, _ := LoadManifest(sp)
	if strings.Join(m.Options, ",") != "boot.isContainer,networking.hostName,networking.useDHCP,services.openssh.enable,users.users" {
		t.Fatalf("options used %v", m.Options)
	}

	writeConfig(t, paths, "web", seedB)
	sp, _, err = Build(context.Background(), paths, "web")
	if err != nil {
		t.Fatal(err)
	}
	conf := readFile(t, filepath.Join(sp, "etc/apache2/apache2.conf"))
	for _, l := range []string{"ServerAdmin foo@example.org", "Listen 80", "ServerName web", "DocumentRoot \"/etc/static/apache2/htdocs\""} {
		if !strings.Contains(conf, l+"\n") {
			t.Errorf("apache2.conf lacks %q", l)
		}
	}
}

func TestBuildFailureWritesNothing(t *testing.T) {
	for name, cfg := range map[string]string{
		"unknown":   `services.foo.enable = true;`,
		"syntax":    `services.openssh.enable = ;`,
		"assertion": `assertions = [ { assertion = false; message = "no way"; } ];`,
		"type":      `services.openssh.ports = "x";`,
		"package":   `environment.systemPackages = [ { name = "surely-not-a-package"; outPath = "/usr"; type = "derivation"; } ];`,
	} {
		t.Run(name, func(t *testing.T) {
			paths := testPaths(t)
			writeConfig(t, paths, "foo", cfg)
			if _, _, err := Build(context.Background(), paths, "foo"); err == nil || fault.KindOf(err) != fault.Invalid {
				t.Fatalf("build should fail as invalid: %v", err)
			} else {
				t.Log(err)
			}
			if ents, _ := os.ReadDir(paths.Store()); len(ents) != 0 {
				t.Fatalf("a failed build left %d store entries", len(ents))
			}
		})
	}
}

func TestShowConfig(t *testing.T) {
	paths := testPaths(t)
	writeConfig(t, paths, "foo", seedA)
	if _, err := ShowConfig(context.Background(), paths, "foo", ""); fault.KindOf(err) != fault.NotFound {
		t.Fatalf("show-config before any build: %v", err)
	}
	sp, _, err := Build(context.Background(), paths, "foo")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := NewProfile(paths, "foo").Add(sp); err != nil {
		t.Fatal(err)
	}
	// It shows the generation's values, not what configuration.nix says now.
	writeConfig(t, paths, "foo", "services.openssh.enable = true; services.openssh.ports = [ 2222 ];")
	v, err := ShowConfig(context.Background(), paths, "foo", "services.openssh.ports")
	if err != nil || len(v.([]any)) != 1 || v.([]any)[0] != int64(22) {
		t.Fatalf("ports %v %v", v, err)
	}
	if _, err := ShowConfig(context.Background(), paths, "foo", "services.nope"); fault.KindOf(err) != fault.NotFound {
		t.Fatalf("missing option: %v", err)
	}
}

func BenchmarkBuildSeed(b *testing.B) {
	paths := testPaths(b)
	writeConfig(b, paths, "foo", seedA+"\n  "+seedB)
	for i := 0; i < b.N; i++ {
		// A fresh store each time so every iteration writes the generation.
		paths = testPaths(b)
		writeConfig(b, paths, "foo", seedA+"\n  "+seedB)
		if _, _, err := Build(context.Background(), paths, "foo"); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkEvalRenderSeed(b *testing.B) {
	paths := testPaths(b)
	writeConfig(b, paths, "foo", seedA+"\n  "+seedB)
	for i := 0; i < b.N; i++ {
		if _, _, err := evalAndRender(context.Background(), "foo", paths.ConfigNix("foo")); err != nil {
			b.Fatal(err)
		}
	}
}

func TestUserServiceUnit(t *testing.T) {
	paths := testPaths(t)
	writeConfig(t, paths, "foo", `systemd.services.hello = {
    description = "Say hello";
    wantedBy = [ "multi-user.target" ];
    after = [ "network.target" ];
    path = [ pkgs.curl "/opt/tools" ];
    environment.GREETING = "hi there";
    preStart = "mkdir -p /run/hello";
    script = ''
      echo "$GREETING" > /run/hello/out
    '';
    serviceConfig = { Type = "oneshot"; RemainAfterExit = true; ExecStartPost = [ "/bin/true" "/bin/echo done" ]; };
    unitConfig.ConditionPathExists = "/etc/hostname";
  };
  systemd.services.off = { enable = false; script = "true"; wantedBy = [ "multi-user.target" ]; };
  systemd.tmpfiles.rules = [ "d /var/lib/hello 0755 root root -" ];`)
	sp, _, err := Build(context.Background(), paths, "foo")
	if err != nil {
		t.Fatal(err)
	}
	unit := readFile(t, filepath.Join(sp, "etc/systemd/system/hello.service"))
	want := `[Unit]
Description=Say hello
After=network.target
ConditionPathExists=/etc/hostname

[Service]
Environment="GREETING=hi there"
Environment="PATH=/usr/bin:/usr/sbin:/opt/tools/bin:/opt/tools/sbin"
ExecStartPre=` + sp + `/scripts/hello-pre-start
ExecStart=` + sp + `/scripts/hello-start
ExecStartPost=/bin/true
ExecStartPost=/bin/echo done
RemainAfterExit=true
Type=oneshot
`
	if unit != want {
		t.Errorf("hello.service:\n%s\nwant:\n%s", unit, want)
	}
	script := filepath.Join(sp, "scripts/hello-start")
	if st, err := os.Stat(script); err != nil || st.Mode().Perm() != 0o555 {
		t.Fatalf("script not executable: %v", err)
	}
	if got := readFile(t, script); got != "#!/bin/bash\nset -e\necho \"$GREETING\" > /run/hello/out\n\n" {
		t.Errorf("script %q", got)
	}
	if _, err := os.Lstat(filepath.Join(sp, "etc/systemd/system/multi-user.target.wants/hello.service")); err != nil {
		t.Error("hello.service is not wanted by multi-user.target")
	}
	if _, err := os.Lstat(filepath.Join(sp, "etc/systemd/system/off.service")); !os.IsNotExist(err) {
		t.Error("a disabled service was installed")
	}
	if !strings.Contains(readFile(t, filepath.Join(sp, "etc/tmpfiles.d/nixos.conf")), "d /var/lib/hello 0755 root root -\n") {
		t.Error("tmpfiles rule missing")
	}
	for _, masked := range []string{"getty.target", "console-getty.service", "systemd-sysusers.service"} {
		if tgt, _ := os.Readlink(filepath.Join(sp, "etc/systemd/system", masked)); tgt != "/dev/null" {
			t.Errorf("%s should be masked, links to %q", masked, tgt)
		}
	}
	m, _ := LoadManifest(sp)
	if u := m.Units["hello.service"]; !u.Wanted || u.Hash == "" {
		t.Errorf("manifest unit %+v", u)
	}
}

func TestPkgsWritersLandInTheGeneration(t *testing.T) {
	paths := testPaths(t)
	writeConfig(t, paths, "foo", `systemd.services.tick = {
    wantedBy = [ "multi-user.target" ];
    serviceConfig.ExecStart = "${pkgs.writeShellScript "tick" "echo tick"}";
  };
  environment.etc."tool.conf".source = pkgs.writeText "tool.conf" "a = 1";
  systemd.services.bin.serviceConfig.ExecStart = "${pkgs.writeShellScriptBin "hello" "echo hi"}/bin/hello";`)
	sp, _, err := Build(context.Background(), paths, "foo")
	if err != nil {
		t.Fatal(err)
	}
	unit := readFile(t, filepath.Join(sp, "etc/systemd/system/tick.service"))
	i := strings.Index(unit, "ExecStart=")
	if i < 0 {
		t.Fatalf("no ExecStart:\n%s", unit)
	}
	exe := strings.TrimSpace(strings.SplitN(unit[i+len("ExecStart="):], "\n", 2)[0])
	if !strings.HasPrefix(exe, sp+"/pkgs/") || !strings.HasSuffix(exe, "-tick") {
		t.Fatalf("ExecStart=%s is not a file of the generation", exe)
	}
	if got := readFile(t, exe); got != "#!/bin/bash\necho tick" {
		t.Errorf("script %q", got)
	}
	if st, _ := os.Stat(exe); st.Mode().Perm() != 0o555 {
		t.Errorf("script mode %v", st.Mode())
	}
	if got := readFile(t, filepath.Join(sp, "etc/tool.conf")); got != "a = 1" {
		t.Errorf("tool.conf %q", got)
	}
	bin := readFile(t, filepath.Join(sp, "etc/systemd/system/bin.service"))
	if !strings.Contains(bin, "ExecStart="+sp+"/pkgs/") || !strings.Contains(bin, "-hello/bin/hello\n") {
		t.Errorf("bin.service:\n%s", bin)
	}
}

func TestHTTPDVirtualHosts(t *testing.T) {
	paths := testPaths(t)
	writeConfig(t, paths, "web", `services.httpd.enable = true;
  services.httpd.adminAddr = "alice@example.org";
  services.httpd.virtualHosts.localhost = { documentRoot = "/webroot"; serverAliases = [ "www" ]; };
  services.httpd.virtualHosts.other = { listen = [ { port = 8080; } ]; extraConfig = "Header set X a"; };`)
	sp, _, err := Build(context.Background(), paths, "web")
	if err != nil {
		t.Fatal(err)
	}
	conf := readFile(t, filepath.Join(sp, "etc/apache2/apache2.conf"))
	for _, frag := range []string{"Listen 80\nListen 8080\n", `<VirtualHost *:80>
    ServerName localhost
    ServerAlias www
    DocumentRoot "/webroot"
    <Directory "/webroot">
`, `<VirtualHost *:8080>
    ServerName other
    DocumentRoot "/etc/static/apache2/htdocs"
`, "    Header set X a\n</VirtualHost>\n"} {
		if !strings.Contains(conf, frag) {
			t.Errorf("apache2.conf lacks %q:\n%s", frag, conf)
		}
	}
}

func TestTimersHostsKeyFilesAndTriggers(t *testing.T) {
	paths := testPaths(t)
	keyFile := filepath.Join(t.TempDir(), "k.pub")
	os.WriteFile(keyFile, []byte("ssh-ed25519 BBBB from-file\n"), 0o644)
	cfg := func(trigger string) string {
		return `systemd.services.job = { script = "date"; startAt = "hourly"; restartTriggers = [ "` + trigger + `" ]; wantedBy = [ "multi-user.target" ]; };
  systemd.timers.other = { wantedBy = [ "timers.target" ]; timerConfig = { OnBootSec = "5m"; Unit = "job.service"; }; };
  networking.hosts = { "10.0.0.5" = [ "db" "db.local" ]; };
  users.users.alice = { isNormalUser = true; packages = [ pkgs.bash ]; openssh.authorizedKeys.keyFiles = [ ` + keyFile + ` ]; };`
	}
	writeConfig(t, paths, "foo", cfg("one"))
	sp, _, err := Build(context.Background(), paths, "foo")
	if err != nil {
		t.Fatal(err)
	}
	if got := readFile(t, filepath.Join(sp, "etc/systemd/system/job.timer")); got != "[Unit]\nDescription=Timer for job.service\n\n[Timer]\nOnCalendar=hourly\n" {
		t.Errorf("job.timer %q", got)
	}
	if got := readFile(t, filepath.Join(sp, "etc/systemd/system/other.timer")); got != "[Unit]\n\n[Timer]\nOnBootSec=5m\nUnit=job.service\n" {
		t.Errorf("other.timer %q", got)
	}
	for _, l := range []string{"timers.target.wants/job.timer", "timers.target.wants/other.timer"} {
		if _, err := os.Lstat(filepath.Join(sp, "etc/systemd/system", l)); err != nil {
			t.Errorf("%s missing", l)
		}
	}
	if !strings.Contains(readFile(t, filepath.Join(sp, "etc/hosts")), "10.0.0.5 db db.local\n") {
		t.Error("networking.hosts not in /etc/hosts")
	}
	if got := readFile(t, filepath.Join(sp, "etc/ssh/authorized_keys.d/alice")); got != "ssh-ed25519 BBBB from-file\n" {
		t.Errorf("alice's keys %q", got)
	}
	writeConfig(t, paths, "foo", cfg("two"))
	sp2, _, err := Build(context.Background(), paths, "foo")
	if err != nil {
		t.Fatal(err)
	}
	if d, _ := Diff(sp, sp2); strings.Join(d.Restart, ",") != "job.service" {
		t.Errorf("a changed restartTrigger should restart job.service: %+v", d)
	}
	writeConfig(t, paths, "foo", `users.users.alice = { isNormalUser = true; packages = [ { name = "nonesuch-pkg"; outPath = "/usr"; type = "derivation"; } ]; };`)
	if _, _, err := Build(context.Background(), paths, "foo"); err == nil || !strings.Contains(err.Error(), "users.users.alice.packages: package 'nonesuch-pkg' is not on this host") {
		t.Errorf("missing user package: %v", err)
	}
}

func TestShellAndSSHExtras(t *testing.T) {
	paths := testPaths(t)
	writeConfig(t, paths, "foo", `environment.shellAliases = { ll = "ls -l"; gone = null; };
  environment.sessionVariables.PAGER = "less";
  environment.interactiveShellInit = "set -o vi";
  users.users.bob = { isNormalUser = true; password = "pw"; };
  services.openssh = { enable = true; listenAddresses = [ { addr = "0.0.0.0"; port = 2200; } { addr = "::1"; } ];
    authorizedKeysFiles = [ "/etc/ssh/extra_keys" ]; settings.PasswordAuthentication = false; };`)
	sp, _, err := Build(context.Background(), paths, "foo")
	if err != nil {
		t.Fatal(err)
	}
	profile := readFile(t, filepath.Join(sp, "etc/profile"))
	for _, l := range []string{"export PAGER='less'\n", "case $- in *i*)\n  alias ll='ls -l'\nset -o vi\n;; esac\n"} {
		if !strings.Contains(profile, l) {
			t.Errorf("profile lacks %q:\n%s", l, profile)
		}
	}
	if strings.Contains(profile, "gone") {
		t.Error("a null alias was written")
	}
	sshd := readFile(t, filepath.Join(sp, "etc/ssh/sshd_config"))
	for _, l := range []string{"ListenAddress 0.0.0.0:2200\nListenAddress [::1]\n", "AuthorizedKeysFile %h/.ssh/authorized_keys /etc/ssh/authorized_keys.d/%u /etc/ssh/extra_keys\n", "PasswordAuthentication no\n"} {
		if !strings.Contains(sshd, l) {
			t.Errorf("sshd_config lacks %q:\n%s", l, sshd)
		}
	}
	if !strings.Contains(readFile(t, filepath.Join(sp, "etc/shadow")), "bob:$6$") {
		t.Error("users.users.bob.password not hashed into shadow")
	}
	m, _ := LoadManifest(sp)
	for _, u := range m.Users {
		if u.Name == "bob" && !u.PasswordFixed {
			t.Error("a clear-text password is enforced like hashedPassword")
		}
	}
}

// A file interpolated into a string ("${./a.conf}", as real configurations
// write a source) is read from the host when the system is built: there is
// no /nix/store to copy it to.
func TestInterpolatedPathIsTheHostsFile(t *testing.T) {
	paths := testPaths(t)
	src := filepath.Join(t.TempDir(), "a.conf")
	if err := os.WriteFile(src, []byte("hello\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	writeConfig(t, paths, "foo", `environment.etc."a.conf".source = "${`+src+`}";`)
	sp, _, err := Build(context.Background(), paths, "foo")
	if err != nil {
		t.Fatal(err)
	}
	if got := readFile(t, filepath.Join(sp, "etc/a.conf")); got != "hello\n" {
		t.Errorf("etc/a.conf = %q", got)
	}
}
