package module_test

import (
	"context"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/nixcsh/nixcsh/core/module"
	"github.com/nixcsh/nixcsh/core/options"
)

// fakeDebian is a host with a few Debian packages installed and no other
// programs, so that what pkgs offers does not depend on this machine.
var fakeDebian = map[string]module.DebianPackage{
	"curl":             {Version: "7.88.1-10+deb12u14", Description: "command line tool for transferring data with URL syntax"},
	"openssh-server":   {Version: "1:9.2p1-2+deb12u3", Description: "secure shell (SSH) server"},
	"postgresql-15":    {Version: "15.18-0+deb12u1"},
	"bind9-dnsutils":   {Version: "1:9.18.33-1~deb12u2"},
	"bind9":            {Version: "1:9.18.33-1~deb12u2"},
	"bash":             {Version: "5.2.15-2+b8"},
	"mydaemon":         {Version: "2.0-1"},
	"python3":          {Version: "3.11.2-1+b1"},
	"python3-requests": {Version: "2.28.1+dfsg-1"},
	"python3-yaml":     {Version: "6.0-3+b2"},
}

func evalFake(t *testing.T, config string) (*module.Config, error) {
	t.Helper()
	dir := writeFiles(t, map[string]string{"configuration.nix": template("foo", config)})
	return module.Eval(context.Background(), filepath.Join(dir, "configuration.nix"), module.Options{
		Decls:    options.All(),
		Packages: func() []string { return []string{"mydaemon", "someprog"} },
		Debian:   func() map[string]module.DebianPackage { return fakeDebian },
	})
}

// etcText evaluates config against the fake host and returns the text of
// environment.etc.out.
func etcText(t *testing.T, config string) string {
	t.Helper()
	c, err := evalFake(t, config)
	if err != nil {
		t.Fatalf("eval: %v", err)
	}
	return get(t, c, `environment.etc.out.text`).(string)
}

func TestPkgsAreDerivationsOfHostPackages(t *testing.T) {
	got := etcText(t, `environment.etc.out.text = with pkgs; lib.concatStringsSep "|" [
	  curl.type curl.name curl.pname curl.version curl.outPath curl.meta.mainProgram curl.meta.description
	  "${curl.bin}" "${curl.out}" curl.dev.outPath curl.man.name (curl.override { http3Support = true; }).name
	  (curl.overrideAttrs (old: { patches = [ ]; })).name openssh.version openssh.name postgresql_15.name
	  postgresql_15.pname bind.dnsutils.name (lib.getExe curl) (lib.getExe' curl "curl-config") (lib.getBin curl).outPath
	  mydaemon.name someprog.name (toString (lib.isDerivation curl)) ];`)
	want := "derivation|curl-7.88.1|curl|7.88.1|/usr|curl|command line tool for transferring data with URL syntax|" +
		"/usr|/usr|/usr|curl-7.88.1|curl-7.88.1|curl-7.88.1|9.2p1|openssh-9.2p1|postgresql-15.18|" +
		"postgresql|dnsutils-9.18.33|/usr/bin/curl|/usr/bin/curl-config|/usr|mydaemon-2.0|someprog|1"
	if got != want {
		t.Fatalf("got  %s\nwant %s", got, want)
	}
	// In option values they keep what core/options needs.
	c, err := evalFake(t, `environment.systemPackages = [ pkgs.openssh pkgs.curl ]; users.users.root.shell = pkgs.bash;`)
	if err != nil {
		t.Fatal(err)
	}
	l := get(t, c, "environment.systemPackages").([]any)
	ssh := l[0].(map[string]any)
	if ssh["debianPackage"] != "openssh-server" || ssh["outPath"] != "/usr" || ssh["pname"] != "openssh" || ssh["mainProgram"] != "ssh" {
		t.Fatalf("pkgs.openssh as an option value: %v", ssh)
	}
	if sh := get(t, c, "users.users.root.shell").(map[string]any); sh["mainProgram"] != "bash" {
		t.Fatalf("shell %v", sh)
	}
}

func TestGetExeFindsDaemonsInSbin(t *testing.T) {
	if _, err := exec.LookPath("/usr/sbin/sshd"); err != nil {
		t.Skip("the host has no /usr/sbin/sshd (Debian package openssh-server)")
	}
	if got := etcText(t, `environment.etc.out.text = lib.getExe' pkgs.openssh "sshd";`); got != "/usr/sbin/sshd" {
		t.Fatalf("getExe' openssh sshd = %s", got)
	}
}

func wantFakeErr(t *testing.T, config string, parts ...string) string {
	t.Helper()
	_, err := evalFake(t, config)
	checkErr(t, err, parts...)
	return err.Error()
}

func TestMissingPkgsSayWhatToDo(t *testing.T) {
	const htop = "pkgs.htop: no host package provides it; install the Debian package 'htop'"
	wantFakeErr(t, `environment.systemPackages = [ pkgs.htop ];`, htop, "configuration.nix:6:")
	wantFakeErr(t, `environment.systemPackages = with pkgs; [ curl htop ];`, htop, "configuration.nix:6:")
	wantFakeErr(t, `environment.systemPackages = [ (builtins.getAttr "htop" pkgs) ];`, htop)
	wantFakeErr(t, `environment.systemPackages = [ pkgs.postgresql_16 ];`, "install the Debian package 'postgresql-16'")
	wantFakeErr(t, `environment.systemPackages = [ pkgs.apacheHttpd ];`, "install the Debian package 'apache2'")
	wantFakeErr(t, `environment.systemPackages = [ pkgs.bind.nothing ];`, "pkgs.bind.nothing: nixcsh knows no nixpkgs package of that name")
	wantFakeErr(t, `environment.systemPackages = [ pkgs.linuxPackages.perf ];`, "pkgs.linuxPackages.perf: no host package provides it; install the Debian package 'linux-perf'")
	wantFakeErr(t, `environment.systemPackages = [ (pkgs.python3.withPackages (ps: with ps; [ requests flask ])) ];`,
		"pkgs.python3Packages.flask: no host package provides it; install the Debian package 'python3-flask'")
	for _, f := range []string{"fetchFromGitHub", "buildGoModule", "stdenv.mkDerivation", "perlPackages"} {
		msg := wantFakeErr(t, `environment.etc.out.source = pkgs.`+f+`;`, "pkgs."+f, "not implemented by nixcsh")
		if strings.Contains(msg, "apt") || strings.Contains(msg, "Debian package '") {
			t.Errorf("pkgs.%s must not suggest installing a package:\n%s", f, msg)
		}
	}
	wantFakeErr(t, `environment.systemPackages = [ pkgs.surelynotapkg ];`,
		"pkgs.surelynotapkg: nixcsh knows no nixpkgs package of that name", "configuration.nix:6:")
	// with: a name nixpkgs does not have stays an undefined variable.
	wantFakeErr(t, `environment.systemPackages = with pkgs; [ surelynotapkg ];`, "undefined variable 'surelynotapkg'")
	// Absent names are absent: `or` and `?` work as in Nix.
	if got := etcText(t, `environment.etc.out.text = "${toString (pkgs ? htop)}-${(pkgs.htop or pkgs.curl).pname}-${toString (pkgs ? curl)}";`); got != "-curl-1" {
		t.Fatalf("got %q", got)
	}
	if got := etcText(t, `environment.etc.out.text = with pkgs; "${(python3.withPackages (ps: [ ps.requests ps.pyyaml ])).name} ${python3Packages.requests.version} ${python3.pkgs.pyyaml.pname}";`); got != "python3-3.11.2 2.28.1 pyyaml" {
		t.Fatalf("python: %q", got)
	}
	if got := etcText(t, `environment.etc.out.text = "${pkgs.stdenv.hostPlatform.system} ${toString pkgs.stdenv.isLinux}";`); !strings.HasSuffix(got, "-linux 1") {
		t.Fatalf("stdenv: %q", got)
	}
}

func TestModuleArgsHoldPkgsAndLib(t *testing.T) {
	c := mustEval(t, map[string]string{
		"configuration.nix": template("foo", `imports = [ ./other.nix ./opt.nix ]; _module.args.mypkgs = pkgs; _module.args.lib2 = lib;`),
		"other.nix":         `{ mypkgs, lib2, config, ... }: { networking.hostName = lib2.mkForce "bar"; environment.etc.out.text = mypkgs.bash.pname + toString config.my.tools.n; }`,
		"opt.nix":           `{ lib, pkgs, ... }: { options.my.tools = lib.mkOption { type = lib.types.attrs; default = { inherit lib pkgs; n = 1; }; }; }`,
	})
	if get(t, c, "networking.hostName") != "bar" || get(t, c, "environment.etc.out.text") != "bash1" {
		t.Fatalf("tree %v", c.Tree())
	}
	if _, ok := c.Get("_module"); ok {
		t.Fatalf("the modules' arguments are in the configuration tree")
	}
	if tools := get(t, c, "my.tools").(map[string]any); len(tools) != 1 || tools["n"] != int64(1) {
		t.Fatalf("my.tools %v", tools)
	}
	if s := module.FormatNix(c.Tree()); len(s) > 1<<20 {
		t.Fatalf("show-config of the tree is %d bytes", len(s))
	}
}

func TestErrorsShowPkgsAndLibByName(t *testing.T) {
	msg := wantFakeErr(t, `services.openssh.enable = { a = pkgs; b = lib; };`, "{ a = <pkgs>; b = <lib>; }")
	if len(msg) > 500 {
		t.Fatalf("the error is %d bytes long:\n%.1000s", len(msg), msg)
	}
}
