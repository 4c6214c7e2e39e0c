package module_test

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	"github.com/nixcsh/nixcsh/core/module"
	"github.com/nixcsh/nixcsh/core/options"
)

// An option NixOS has but nixcsh does not implement says so, and how to see
// what nixcsh does implement (issue 12, item 4).
func TestUnknownNotImplemented(t *testing.T) {
	wantErr(t, map[string]string{"configuration.nix": template("foo", `services.gitea.enable = true;`)},
		"The option 'services.gitea' is not implemented by nixcsh (it exists in NixOS); 'nixcsh options services' lists what is. Definition values:\n- In '",
		"configuration.nix:6:3': { enable = true; }")
	// A whole NixOS namespace nixcsh lacks: the listing is of every option.
	wantErr(t, map[string]string{"configuration.nix": template("foo", `fonts.fontDir.enable = false;`)},
		"The option 'fonts' is not implemented by nixcsh (it exists in NixOS); 'nixcsh options' lists what is.")
}

// A likely typo of a declared sibling gets a suggestion; a name close to
// nothing gets the listing command instead.
func TestUnknownTypo(t *testing.T) {
	wantErr(t, map[string]string{"configuration.nix": template("foo", `services.openssh.enabel = true;`)},
		"The option 'services.openssh.enabel' does not exist. Did you mean 'services.openssh.enable'? Definition values:")
	wantErr(t, map[string]string{"configuration.nix": template("foo", `networking.firewall.allowedTcpPorts = [ 80 ];`)},
		"Did you mean 'networking.firewall.allowedTCPPorts'?")
	wantErr(t, map[string]string{"configuration.nix": template("foo", `services.openssh.zzzzzzzz = 1;`)},
		"The option 'services.openssh.zzzzzzzz' does not exist. Definition values:",
		"\n'nixcsh options services.openssh' lists the options nixcsh has.")
	// Inside a submodule instance, the listing names the option holding it.
	wantErr(t, map[string]string{"configuration.nix": template("foo", `users.users.alice.zzzzzzzz = 1;`)},
		"'nixcsh options users.users' lists the options nixcsh has.")
}

// Every unknown option of a configuration is reported in one run, sorted by
// path, each with the file and line of its definition.
func TestUnknownAllReported(t *testing.T) {
	_, err := eval(t, map[string]string{
		"configuration.nix": template("foo", `imports = [ ./more.nix ];
  services.openssh.enabel = true;
  services.gitea.enable = true;`),
		"more.nix": `{
  fonts.fontDir.enable = false;
  services.openssh.zzzzzzzz = 1;
}`,
	})
	if err == nil {
		t.Fatal("evaluation should fail")
	}
	msg := err.Error()
	lines := strings.Split(msg, "\n")
	if lines[0] != "The configuration defines 4 options that nixcsh does not have:" || len(lines) != 5 {
		t.Fatalf("error:\n%s", msg)
	}
	wants := []string{
		"- 'fonts' (in '", "more.nix:2:3') is not implemented by nixcsh (it exists in NixOS); 'nixcsh options' lists what is",
		"- 'services.gitea' (in '", "configuration.nix:8:3') is not implemented by nixcsh (it exists in NixOS); 'nixcsh options services' lists what is",
		"- 'services.openssh.enabel' (in '", "configuration.nix:7:3') does not exist. Did you mean 'services.openssh.enable'?",
		"- 'services.openssh.zzzzzzzz' (in '", "more.nix:3:3') does not exist; 'nixcsh options services.openssh' lists the options nixcsh has",
	}
	for i := 0; i < 4; i++ {
		l := lines[i+1]
		if !strings.HasPrefix(l, wants[2*i]) || !strings.HasSuffix(l, wants[2*i+1]) {
			t.Errorf("line %d is %q, want %q...%q", i+1, l, wants[2*i], wants[2*i+1])
		}
	}
}

// The same configuration gives the same error every time, even when several
// options are broken in ways found only while computing values.
func TestSameFirstErrorEveryRun(t *testing.T) {
	files := map[string]string{"configuration.nix": template("foo", `time.timeZone = 1;
  services.openssh.ports = "x";
  networking.firewall.allowedTCPPorts = "y";
  users.users.alice.uid = "z";
  environment.etc.motd.text = 3;
  services.httpd.adminAddr = 4;`)}
	conf := filepath.Join(writeFiles(t, files), "configuration.nix")
	evalOnce := func() error {
		_, err := module.Eval(context.Background(), conf, module.Options{Decls: options.All(), Packages: options.DefaultHost().Packages})
		return err
	}
	first := evalOnce()
	if first == nil {
		t.Fatal("evaluation should fail")
	}
	for i := 0; i < 20; i++ {
		err := evalOnce()
		if err == nil || err.Error() != first.Error() {
			t.Fatalf("run %d gave\n%v\nafter\n%v", i, err, first)
		}
	}
}

// A value printed in a message is cut to a few lines: a definition holding
// the whole package set once printed a line of 107 KB.
func TestShownValuesAreCapped(t *testing.T) {
	_, err := eval(t, map[string]string{"configuration.nix": template("foo", `time.timeZone = builtins.genList (i: "value") 500;`)})
	if err == nil {
		t.Fatal("evaluation should fail")
	}
	msg := err.Error()
	if !strings.Contains(msg, "A definition for option 'time.timeZone' is not of type") || !strings.Contains(msg, "…") {
		t.Errorf("error:\n%s", msg)
	}
	for _, l := range strings.Split(msg, "\n") {
		if len(l) > 400 {
			t.Errorf("a line of %d bytes: %.120s...", len(l), l)
		}
	}
	_, err = eval(t, map[string]string{"configuration.nix": template("foo", `services.nope = { inherit pkgs lib; };`)})
	if err == nil || len(err.Error()) > 600 {
		t.Errorf("unknown option with a large value: %d bytes:\n%.300s", len(err.Error()), err)
	}
}

// Importing one of NixOS's own modules (modulesPath) says that nixcsh has
// none and what to do, rather than that a file is missing.
func TestImportOfNixOSModule(t *testing.T) {
	wantErr(t, map[string]string{"configuration.nix": `{ modulesPath, ... }: { imports = [ "${modulesPath}/services/web-apps/nextcloud.nix" ]; }`},
		"The module '${modulesPath}/services/web-apps/nextcloud.nix' imported from '",
		"is one of NixOS's own modules, which nixcsh does not have: it implements the options itself ('nixcsh options' lists them); remove the import.")
}

// NixOS's container profiles are accepted: a nixcsh container is one
// already, and a warning says the import adds nothing.
func TestImportOfContainerProfile(t *testing.T) {
	cfg, err := eval(t, map[string]string{"configuration.nix": `{ modulesPath, ... }: { imports = [ "${modulesPath}/virtualisation/lxc-container.nix" (modulesPath + "/profiles/minimal.nix") ]; }`})
	if err != nil {
		t.Fatal(err)
	}
	ws, _ := cfg.Get("warnings")
	w := fmt.Sprint(ws)
	if strings.Count(w, "adds nothing: a nixcsh container is a minimal, headless container already") != 2 {
		t.Errorf("warnings %q, want one per profile imported", w)
	}
}

// A typo of an option NixOS has and nixcsh does not gets the suggestion too,
// with what it means.
func TestUnknownTypoOfNixOSOption(t *testing.T) {
	wantErr(t, map[string]string{"configuration.nix": template("foo", `services.gtiea.enable = true;`)},
		"The option 'services.gtiea' does not exist. Did you mean 'services.gitea'? (NixOS has it; nixcsh does not implement it: 'nixcsh options services' lists what is.) Definition values:")
}
