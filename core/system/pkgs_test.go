package system

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/nixcsh/nixcsh/core/options"
)

// TestPkgsBuildersLandInTheGeneration: what runCommand, symlinkJoin and
// writeShellApplication make is part of the generation on disk, with the
// generation's own path written into it; host packages named as nixpkgs
// names them pass the package check and give users their shell.
func TestPkgsBuildersLandInTheGeneration(t *testing.T) {
	debs := options.DefaultHost().Debian()
	for _, d := range []string{"openssh-server", "bash", "curl"} {
		if _, ok := debs[d]; !ok {
			t.Skipf("needs the Debian package %s", d)
		}
	}
	paths := testPaths(t)
	writeConfig(t, paths, "foo", `environment.systemPackages = [ pkgs.openssh pkgs.curl tools ];
  users.users.alice = { isNormalUser = true; shell = pkgs.bash; };
  environment.etc."made.txt".source = "${made}/msg";
  systemd.services.hello = { wantedBy = [ "multi-user.target" ]; script = "${lib.getExe tools}"; };
  _module.args.unused = pkgs;
  `)
	// The bindings the configuration above uses, in a let around it.
	cfg := paths.ConfigNix("foo")
	data, err := os.ReadFile(cfg)
	if err != nil {
		t.Fatal(err)
	}
	text := strings.Replace(string(data), "{ boot.isContainer", `let
  made = pkgs.runCommand "made" { word = "built"; } "mkdir $out; echo \"$word in $out\" > $out/msg";
  hello = pkgs.writeShellApplication { name = "hello"; runtimeInputs = [ pkgs.curl ]; text = "cat ${made}/msg"; };
  tools = pkgs.symlinkJoin { name = "tools"; paths = [ hello ]; meta.mainProgram = "hello"; };
in { boot.isContainer`, 1)
	if err := os.WriteFile(cfg, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	sp, _, err := Build(context.Background(), paths, "foo")
	if err != nil {
		t.Fatal(err)
	}
	msg, err := os.ReadFile(filepath.Join(sp, "etc/made.txt"))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(string(msg), "built in "+sp+"/pkgs/") {
		t.Fatalf("etc/made.txt: %q (generation %s)", msg, sp)
	}
	matches, _ := filepath.Glob(filepath.Join(sp, "pkgs", "*-tools", "bin", "hello"))
	if len(matches) != 1 {
		t.Fatalf("no tools/bin/hello in %s", sp)
	}
	script, err := os.ReadFile(matches[0]) // through the symlink
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(script), "set -o pipefail") || !strings.Contains(string(script), "cat "+sp+"/pkgs/") {
		t.Fatalf("tools/bin/hello:\n%s", script)
	}
	if !strings.Contains(readFile(t, filepath.Join(sp, "etc/passwd")), ":/usr/bin/bash\n") {
		t.Errorf("alice's shell is not /usr/bin/bash:\n%s", readFile(t, filepath.Join(sp, "etc/passwd")))
	}
	units, _ := filepath.Glob(filepath.Join(sp, "scripts", "*"))
	found := false
	for _, u := range units {
		if b, _ := os.ReadFile(u); strings.Contains(string(b), "-tools/bin/hello") {
			found = true
		}
	}
	if !found {
		t.Errorf("no script of %s runs tools/bin/hello (lib.getExe of a symlinkJoin with meta.mainProgram)", sp)
	}
}

// BenchmarkBuildWithPkgs: a build whose configuration uses pkgs (the table,
// the host's package list, a writer).
func BenchmarkBuildWithPkgs(b *testing.B) {
	paths := testPaths(b)
	writeConfig(b, paths, "foo", `environment.systemPackages = with pkgs; [ bash coreutils curl ];
  environment.etc."x".source = pkgs.writeText "x" "y";`)
	for i := 0; i < b.N; i++ {
		if _, _, err := Build(context.Background(), paths, "foo"); err != nil {
			b.Fatal(err)
		}
	}
}
