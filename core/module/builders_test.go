package module_test

import (
	"os"
	"os/exec"
	"sort"
	"strings"
	"testing"

	"github.com/nixcsh/nixcsh/core/module"
	"github.com/nixcsh/nixcsh/core/options"
)

// written returns the generation file whose path ends in suffix.
func written(t *testing.T, c *module.Config, suffix string) (string, module.WrittenFile) {
	t.Helper()
	var names []string
	for p, f := range c.Files {
		if strings.HasSuffix(p, suffix) {
			return p, f
		}
		names = append(names, p)
	}
	sort.Strings(names)
	t.Fatalf("no written file ends in %s; files: %v", suffix, names)
	return "", module.WrittenFile{}
}

func TestTableResolvesOnThisHost(t *testing.T) {
	resolved, total, missing := module.TableResolves(options.DefaultHost().Debian())
	if total < 300 {
		t.Fatalf("the table has %d entries", total)
	}
	t.Logf("%d of %d nixpkgs names resolve to installed Debian packages here; missing e.g. %v", resolved, total, missing[:min(10, len(missing))])
}

func TestWriters(t *testing.T) {
	c, err := evalFake(t, `environment.etc = {
	  app.source = pkgs.writeShellApplication { name = "app"; runtimeInputs = [ pkgs.curl (pkgs.writeScriptBin "helper" "#!/bin/sh\n") ];
	    runtimeEnv.GREETING = "it's"; text = "curl --version"; checkPhase = "shellcheck"; };
	  dir.source = pkgs.writeTextDir "share/doc/readme" "hello";
	  bin.source = pkgs.writeScriptBin "tool" "#!/bin/sh\necho tool";
	  file.source = pkgs.writeTextFile { name = "unit"; text = "x"; executable = true; destination = "/bin/unit"; };
	};`)
	if err != nil {
		t.Fatal(err)
	}
	p, f := written(t, c, "-app/bin/app")
	want := "#!/bin/bash\nset -o errexit\nset -o nounset\nset -o pipefail\n\nexport GREETING='it'\\''s'\nexport PATH='/usr/bin:/usr/sbin:" +
		module.StorePlaceholder + "/"
	if !strings.HasPrefix(string(f.Data), want) || !strings.HasSuffix(string(f.Data), "-helper/bin:'\"$PATH\"\n\ncurl --version") || f.Mode != 0o555 {
		t.Fatalf("%s (%o):\n%s", p, f.Mode, f.Data)
	}
	if src := get(t, c, "environment.etc.app.source").(map[string]any)["outPath"]; src != module.StorePlaceholder+"/"+strings.TrimSuffix(p, "/bin/app") {
		t.Fatalf("source %s for %s", src, p)
	}
	if _, f := written(t, c, "-readme/share/doc/readme"); string(f.Data) != "hello" || f.Mode != 0o444 {
		t.Fatalf("writeTextDir: %q %o", f.Data, f.Mode)
	}
	if _, f := written(t, c, "-tool/bin/tool"); f.Mode != 0o555 {
		t.Fatalf("writeScriptBin mode %o", f.Mode)
	}
	if _, f := written(t, c, "-unit/bin/unit"); f.Mode != 0o555 || string(f.Data) != "x" {
		t.Fatalf("writeTextFile: %q %o", f.Data, f.Mode)
	}
}

func TestRunCommand(t *testing.T) {
	c, err := evalFake(t, `environment.etc.out.source = pkgs.runCommand "thing" {
	    greeting = "hi"; n = 3; flag = true; tools = [ pkgs.curl ]; nativeBuildInputs = [ (pkgs.writeShellScriptBin "mytool" "echo from-mytool") ];
	    passthru.port = 8080; conf = pkgs.writeText "conf" "from-conf";
	  } ''
	    mkdir -p $out/bin
	    echo "$greeting $n [$flag] $tools" > $out/msg
	    mytool > $out/tool
	    cat $conf > $out/conf
	    echo "$out" > $out/self
	    ln -s msg $out/link
	    ln -s $out/msg $out/abs
	    printf '#!/bin/sh\n' > $out/bin/run && chmod +x $out/bin/run
	    ip -o link > $out/links 2>&1 || true
	  '';
	  environment.etc.port.text = toString (pkgs.runCommandLocal "p" { passthru.port = 8080; } "touch $out").port;`)
	if err != nil {
		t.Fatal(err)
	}
	p, f := written(t, c, "-thing/msg")
	dir := module.StorePlaceholder + "/" + strings.TrimSuffix(p, "/msg")
	if string(f.Data) != "hi 3 [1] /usr\n" {
		t.Fatalf("msg %q", f.Data)
	}
	for name, want := range map[string]string{"tool": "from-mytool\n", "conf": "from-conf", "self": dir + "\n"} {
		if _, f := written(t, c, "-thing/"+name); string(f.Data) != want {
			t.Errorf("%s: %q, want %q", name, f.Data, want)
		}
	}
	if _, f := written(t, c, "-thing/link"); f.Link != "msg" {
		t.Errorf("link %+v", f)
	}
	if _, f := written(t, c, "-thing/abs"); f.Link != dir+"/msg" {
		t.Errorf("abs link %+v, want %s/msg", f, dir)
	}
	if _, f := written(t, c, "-thing/bin/run"); f.Mode != 0o555 {
		t.Errorf("run mode %o", f.Mode)
	}
	if get(t, c, "environment.etc.out.source").(map[string]any)["outPath"] != dir || get(t, c, "environment.etc.port.text") != "8080" {
		t.Errorf("source %v port %v", get(t, c, "environment.etc.out.source"), get(t, c, "environment.etc.port.text"))
	}
	if _, err := exec.LookPath("ip"); err == nil && os.Geteuid() == 0 && exec.Command("unshare", "--net", "true").Run() == nil {
		if _, f := written(t, c, "-thing/links"); strings.Count(string(f.Data), "\n") != 1 || !strings.Contains(string(f.Data), "lo:") {
			t.Errorf("the build saw network interfaces other than lo:\n%s", f.Data)
		}
	}
	wantFakeErr(t, `environment.etc.out.source = pkgs.runCommand "bad" { } "echo some-output; exit 3";`,
		"pkgs.runCommand 'bad': the build script failed (exit status 3):\nsome-output")
	wantFakeErr(t, `environment.etc.out.source = pkgs.runCommand "lazy" { } "true";`, "did not create $out")
}

func TestSymlinkJoinAndBuildEnv(t *testing.T) {
	c, err := evalFake(t, `environment.etc.join.source = pkgs.symlinkJoin { name = "tools";
	    paths = [ (pkgs.writeShellScriptBin "a" "") (pkgs.writeShellScriptBin "b" "") (pkgs.writeTextDir "share/x" "x") ];
	    postBuild = "echo done > $out/post"; };
	  environment.etc.env.source = pkgs.buildEnv { name = "env"; paths = [ (pkgs.writeShellScriptBin "c" "") (pkgs.writeTextDir "share/y" "y") ];
	    pathsToLink = [ "/bin" ]; };`)
	if err != nil {
		t.Fatal(err)
	}
	ap, _ := written(t, c, "-a/bin/a")
	if _, f := written(t, c, "-tools/bin/a"); f.Link != module.StorePlaceholder+"/"+ap {
		t.Errorf("tools/bin/a -> %q, want %s", f.Link, ap)
	}
	written(t, c, "-tools/bin/b")
	written(t, c, "-tools/share/x")
	if _, f := written(t, c, "-tools/post"); string(f.Data) != "done\n" {
		t.Errorf("postBuild: %q", f.Data)
	}
	written(t, c, "-env/bin/c")
	for p := range c.Files {
		if strings.Contains(p, "-env/share") {
			t.Errorf("buildEnv linked %s outside pathsToLink", p)
		}
	}
}

func TestSymlinkJoinOfHostPackages(t *testing.T) {
	if _, err := os.Stat("/usr/bin/curl"); err != nil {
		t.Skip("the host lacks curl")
	}
	c := mustEval(t, map[string]string{"configuration.nix": template("foo",
		`environment.etc.join.source = pkgs.symlinkJoin { name = "net"; paths = [ pkgs.curl ]; };`)})
	if _, f := written(t, c, "-net/bin/curl"); f.Link != "/usr/bin/curl" {
		t.Fatalf("net/bin/curl -> %q", f.Link)
	}
}

func TestFormats(t *testing.T) {
	c, err := evalFake(t, `imports = [
	    ({ lib, pkgs, ... }: { options.my.settings = lib.mkOption { type = (pkgs.formats.json { }).type; default = { }; }; })
	    { my.settings.a.b = 1; } { my.settings.a.c = [ "x" ]; my.settings.d = null; }
	  ];
	  environment.etc = {
	    json.source = (pkgs.formats.json { }).generate "c.json" { a = 1; b = [ true "x" ]; p = pkgs.curl; };
	    yaml.source = (pkgs.formats.yaml { }).generate "c.yaml" { a = 1; };
	    ini.source = (pkgs.formats.ini { }).generate "c.ini" { main = { a = 1; b = "x y"; l = [ 1 2 ]; }; aux.on = true; };
	    kv.source = (pkgs.formats.keyValue { }).generate "c.env" { A = "1"; B = 2; };
	    toml.source = (pkgs.formats.toml { }).generate "c.toml" { name = "n"; server = { port = 80; "a.b" = [ 1 2 ]; tls.on = false; }; peer = [ { x = 1; } { x = 2; } ]; };
	  };`)
	if err != nil {
		t.Fatal(err)
	}
	for suffix, want := range map[string]string{
		"-c.json": "{\n  \"a\": 1,\n  \"b\": [\n    true,\n    \"x\"\n  ],\n  \"p\": \"/usr\"\n}\n",
		"-c.yaml": "{\n  \"a\": 1\n}\n",
		"-c.ini":  "[aux]\non=true\n\n[main]\na=1\nb=x y\nl=1\nl=2\n",
		"-c.env":  "A=1\nB=2\n",
		"-c.toml": "name = \"n\"\n\n[[peer]]\nx = 1\n\n[[peer]]\nx = 2\n\n[server]\n\"a.b\" = [1, 2]\nport = 80\n\n[server.tls]\non = false\n",
	} {
		if _, f := written(t, c, suffix); string(f.Data) != want {
			t.Errorf("%s:\n%s\nwant:\n%s", suffix, f.Data, want)
		}
	}
	settings := get(t, c, "my.settings").(map[string]any)
	if a := settings["a"].(map[string]any); a["b"] != int64(1) || len(a["c"].([]any)) != 1 || len(settings) != 2 {
		t.Errorf("merged settings of formats.json's type: %v", settings)
	}
}

func TestScriptWritersLinkFarmAndEmpty(t *testing.T) {
	c, err := evalFake(t, `environment.etc = {
	  py.source = pkgs.writers.writePython3Bin "hello" { libraries = [ ]; } "print('hi')";
	  sh.source = pkgs.writers.writeBash "greet" "echo hi";
	  farm.source = pkgs.linkFarm "farm" [ { name = "conf/a"; path = pkgs.writeText "a" "A"; } { name = "curl"; path = "${pkgs.curl}/bin/curl"; } ];
	  farm2.source = pkgs.linkFarm "farm2" { b = pkgs.emptyFile; };
	  empty.source = pkgs.emptyDirectory;
	};`)
	if err != nil {
		t.Fatal(err)
	}
	if _, f := written(t, c, "-hello/bin/hello"); string(f.Data) != "#!/usr/bin/python3\nprint('hi')" || f.Mode != 0o555 {
		t.Errorf("writePython3Bin: %q %o", f.Data, f.Mode)
	}
	if _, f := written(t, c, "-greet"); string(f.Data) != "#!/bin/bash\necho hi" {
		t.Errorf("writeBash: %q", f.Data)
	}
	ap, _ := written(t, c, "-a")
	if _, f := written(t, c, "-farm/conf/a"); f.Link != module.StorePlaceholder+"/"+ap {
		t.Errorf("farm/conf/a -> %q, want %s", f.Link, ap)
	}
	if _, f := written(t, c, "-farm/curl"); f.Link != "/usr/bin/curl" {
		t.Errorf("farm/curl -> %q", f.Link)
	}
	if _, f := written(t, c, "-farm2/b"); !strings.HasSuffix(f.Link, "-empty-file") {
		t.Errorf("farm2/b -> %q", f.Link)
	}
	if _, f := written(t, c, "-empty-directory"); !f.Dir {
		t.Errorf("emptyDirectory %+v", f)
	}
	wantFakeErr(t, `environment.etc.x.source = pkgs.writers.writeHaskell "x" { } "";`, "pkgs.writers.writeHaskell is not implemented by nixcsh")
	// Nothing is written for builders a configuration does not call.
	c, err = evalFake(t, `environment.systemPackages = [ pkgs.curl ];`)
	if err != nil {
		t.Fatal(err)
	}
	if len(c.Files) != 0 {
		t.Errorf("files written without being asked for: %v", c.Files)
	}
}

func TestCallPackageReplaceVarsConcatText(t *testing.T) {
	dir := writeFiles(t, map[string]string{
		"hello.nix":     `{ writeShellScriptBin, curl, greeting ? "hi", lib }: writeShellScriptBin "hello" "${lib.getExe curl} ${greeting}"`,
		"needs.nix":     `{ writeText, htop }: writeText "x" "${htop}"`,
		"template.conf": "user=@user@ port=@port@ keep=@keep@\n",
	})
	c, err := evalFake(t, `environment.etc = {
	  hello.source = pkgs.callPackage `+dir+`/hello.nix { greeting = "hey"; };
	  inline.source = pkgs.callPackage ({ writeText, someprog }: writeText "inline" someprog.name) { };
	  conf.source = pkgs.replaceVars `+dir+`/template.conf { user = "alice"; port = 80; keep = null; };
	  conf2.source = pkgs.substituteAll { src = `+dir+`/template.conf; user = "bob"; other = "x"; };
	  cat.source = pkgs.concatText "cat" [ (pkgs.writeText "a" "A\n") `+dir+`/template.conf ];
	};`)
	if err != nil {
		t.Fatal(err)
	}
	if _, f := written(t, c, "-hello/bin/hello"); string(f.Data) != "#!/bin/bash\n/usr/bin/curl hey" {
		t.Errorf("callPackage: %q", f.Data)
	}
	if _, f := written(t, c, "-inline"); string(f.Data) != "someprog" {
		t.Errorf("callPackage of a function: %q", f.Data)
	}
	// replaceVars and substituteAll both write a template.conf.
	contents := map[string]bool{}
	for _, f := range c.Files {
		contents[string(f.Data)] = true
	}
	if !contents["user=alice port=80 keep=@keep@\n"] {
		t.Errorf("replaceVars gave no file with user=alice port=80")
	}
	if !contents["user=bob port=@port@ keep=@keep@\n"] {
		t.Errorf("substituteAll gave no file with user=bob")
	}
	if _, f := written(t, c, "-cat"); string(f.Data) != "A\nuser=@user@ port=@port@ keep=@keep@\n" {
		t.Errorf("concatText: %q", f.Data)
	}
	wantFakeErr(t, `environment.etc.x.source = pkgs.callPackage `+dir+`/needs.nix { };`, "pkgs.htop: no host package provides it; install the Debian package 'htop'")
	wantFakeErr(t, `environment.etc.x.source = pkgs.replaceVars `+dir+`/template.conf { nope = "x"; };`, "does not contain @nope@")
}
