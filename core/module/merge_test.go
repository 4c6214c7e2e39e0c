package module_test

import (
	"reflect"
	"strings"
	"testing"

	"github.com/nixcsh/nixcsh/core/module"
)

func TestPriorities(t *testing.T) {
	c := mustEval(t, map[string]string{
		"configuration.nix": template("foo", `imports = [ ./a.nix ./b.nix ];
  time.timeZone = lib.mkDefault "Europe/Paris";
  services.openssh.settings.PermitRootLogin = "yes";`),
		"a.nix": `{ lib, ... }: { networking.hostName = "plain"; time.timeZone = "UTC"; services.openssh.settings.PermitRootLogin = lib.mkForce "no"; }`,
		"b.nix": `{ lib, ... }: { networking.firewall.enable = lib.mkOverride 10 false; networking.firewall.allowPing = lib.mkDefault false; }`,
	})
	for path, want := range map[string]any{
		"networking.hostName":                       "plain", // plain beats the template's mkDefault
		"time.timeZone":                             "UTC",   // plain beats mkDefault
		"services.openssh.settings.PermitRootLogin": "no",    // mkForce beats plain
		"networking.firewall.enable":                false,   // mkOverride 10
		"networking.firewall.allowPing":             false,   // mkDefault beats the option default
	} {
		if got := get(t, c, path); got != want {
			t.Errorf("%s = %v, want %v", path, got, want)
		}
	}
}

func TestMkIfMkMergeOrderAndListsAcrossImports(t *testing.T) {
	c := mustEval(t, map[string]string{
		"configuration.nix": template("foo", `imports = [ ./ports.nix ];
  networking.firewall.allowedTCPPorts = [ 80 ];
  networking.firewall.allowedUDPPorts = lib.mkMerge [ [ 53 ] (lib.mkIf false [ 99 ]) (lib.mkIf true [ 123 ]) ];
  networking.nameservers = lib.mkMerge [ [ "2.2.2.2" ] (lib.mkBefore [ "1.1.1.1" ]) (lib.mkAfter [ "9.9.9.9" ]) ];
  services.httpd = lib.mkIf false { enable = true; };
  networking.extraHosts = lib.mkIf config.services.openssh.enable "10.0.0.1 ssh-on";`),
		"ports.nix": `{ ... }: { networking.firewall.allowedTCPPorts = [ 443 8080 ]; services.openssh.enable = true; }`,
	})
	if got := get(t, c, "networking.firewall.allowedTCPPorts"); !reflect.DeepEqual(got, []any{int64(443), int64(8080), int64(80)}) &&
		!reflect.DeepEqual(got, []any{int64(80), int64(443), int64(8080)}) {
		t.Errorf("allowedTCPPorts %v: lists concatenate across imports", got)
	}
	if got := get(t, c, "networking.firewall.allowedUDPPorts"); !reflect.DeepEqual(got, []any{int64(53), int64(123)}) {
		t.Errorf("allowedUDPPorts %v", got)
	}
	if got := get(t, c, "networking.nameservers"); !reflect.DeepEqual(got, []any{"1.1.1.1", "2.2.2.2", "9.9.9.9"}) {
		t.Errorf("nameservers %v: mkBefore/mkAfter order", got)
	}
	if get(t, c, "services.httpd.enable") != false {
		t.Error("mkIf false must define nothing")
	}
	if get(t, c, "networking.extraHosts") != "10.0.0.1 ssh-on" {
		t.Error("mkIf reading config (the fixpoint) failed")
	}
}

func TestFixpointAcrossModules(t *testing.T) {
	c := mustEval(t, map[string]string{
		"configuration.nix": template("foo", `imports = [ ./web.nix ];
  services.httpd.port = 8080;`),
		"web.nix": `{ config, lib, ... }: {
  networking.firewall.allowedTCPPorts = lib.optional config.services.httpd.enable config.services.httpd.port;
  services.httpd.enable = true;
  services.httpd.adminAddr = "admin@${config.networking.hostName}";
}`,
	})
	if got := get(t, c, "networking.firewall.allowedTCPPorts"); !reflect.DeepEqual(got, []any{int64(8080)}) {
		t.Errorf("ports %v", got)
	}
	if got := get(t, c, "services.httpd.adminAddr"); got != "admin@foo" {
		t.Errorf("adminAddr %v", got)
	}
}

func TestConflictNamesBothFiles(t *testing.T) {
	wantErr(t, map[string]string{
		"configuration.nix": template("foo", `imports = [ ./other.nix ]; time.timeZone = "UTC";`),
		"other.nix":         `{ time.timeZone = "Europe/Berlin"; }`,
	}, "The option 'time.timeZone' has conflicting definition values:", "configuration.nix:6:", `: "UTC"`, "other.nix:1:3': \"Europe/Berlin\"", "mkForce")
}

func TestUnknownOption(t *testing.T) {
	wantErr(t, map[string]string{"configuration.nix": template("foo", `services.foo.enable = true;`)},
		"The option 'services.foo' does not exist. Definition values:\n- In '", "configuration.nix:6:3': { enable = true; }")
	wantErr(t, map[string]string{"configuration.nix": template("foo", `users.users.alice.isNormalUsr = true;`)},
		"The option 'users.users.alice.isNormalUsr' does not exist. Did you mean 'users.users.alice.isNormalUser'? Definition values:", ": true")
	// An unknown option under mkIf false is still an error, as in NixOS.
	wantErr(t, map[string]string{"configuration.nix": template("foo", `services = lib.mkIf false { nope = 1; };`)},
		"The option 'services.nope' does not exist.")
}

func TestTypeErrors(t *testing.T) {
	wantErr(t, map[string]string{"configuration.nix": template("foo", `services.openssh.ports = "x";`)},
		"A definition for option 'services.openssh.ports' is not of type 'list of 16 bit unsigned integer; between 0 and 65535 (both inclusive)'. Definition values:\n- In '",
		`configuration.nix:6:3': "x"`)
	wantErr(t, map[string]string{"configuration.nix": template("foo", `services.openssh.ports = [ 70000 ];`)},
		"is not of type 'list of 16 bit unsigned integer; between 0 and 65535 (both inclusive)'", ": [ 70000 ]")
	wantErr(t, map[string]string{"configuration.nix": template("foo", `services.openssh.enable = "yes";`)},
		"A definition for option 'services.openssh.enable' is not of type 'boolean'.", `: "yes"`)
	wantErr(t, map[string]string{"configuration.nix": template("foo", `users.users.bob.uid = "1000";`)},
		"A definition for option 'users.users.bob.uid' is not of type 'null or signed integer'.")
	wantErr(t, map[string]string{"configuration.nix": template("foo", `services.openssh.settings.PermitRootLogin = "maybe";`)},
		`is not of type 'one of "yes", "without-password", "prohibit-password", "forced-commands-only", "no"'`)
	wantErr(t, map[string]string{"configuration.nix": template("foo", `imports = [ { networking.hostName = "bad name!"; } ];`)},
		"A definition for option 'networking.hostName' is not of type 'string matching the pattern")
}

func TestEvaluationErrorsKeepPositions(t *testing.T) {
	wantErr(t, map[string]string{"configuration.nix": template("foo", `services.openssh.enable = undefinedThing;`)},
		"undefined variable 'undefinedThing'", "configuration.nix:6:")
	wantErr(t, map[string]string{"configuration.nix": template("foo", `imports = [ ./missing.nix ];`)}, "missing.nix")
}

func TestOwnOptionsWithTypes(t *testing.T) {
	c := mustEval(t, map[string]string{
		"configuration.nix": template("foo", `imports = [ ./greeter.nix ];
  services.greeter.enable = true;
  services.greeter.greetings.alice = { text = "hi"; };
  services.greeter.greetings.bob = { };`),
		"greeter.nix": `{ config, lib, pkgs, ... }:
with lib;
let cfg = config.services.greeter; in {
  options.services.greeter = {
    enable = mkEnableOption "the greeter";
    port = mkOption { type = types.port; default = 7000; description = "Port."; };
    mode = mkOption { type = types.enum [ "loud" "quiet" ]; default = "quiet"; };
    tags = mkOption { type = types.listOf types.str; default = [ ]; };
    owner = mkOption { type = types.nullOr types.str; default = null; };
    greetings = mkOption {
      default = { };
      type = types.attrsOf (types.submodule ({ name, ... }: {
        options.text = mkOption { type = types.str; default = "hello ${name}"; };
        options.who = mkOption { type = types.str; default = name; };
      }));
    };
  };
  config = mkIf cfg.enable {
    networking.firewall.allowedTCPPorts = [ cfg.port ];
    systemd.services.greeter = {
      wantedBy = [ "multi-user.target" ];
      script = concatStringsSep "\n" (mapAttrsToList (n: g: "echo ${escapeShellArg g.text} ${n}") cfg.greetings);
      serviceConfig.ExecStartPre = "${pkgs.coreutils}/bin/true";
    };
  };
}`,
	})
	if got := get(t, c, "networking.firewall.allowedTCPPorts"); !reflect.DeepEqual(got, []any{int64(7000)}) {
		t.Errorf("ports %v", got)
	}
	if got := get(t, c, "services.greeter.greetings.bob.text"); got != "hello bob" {
		t.Errorf("submodule default from name: %v", got)
	}
	script := get(t, c, "systemd.services.greeter.script").(string)
	if script != "echo hi alice\necho 'hello bob' bob" { // escapeShellArg quotes only words that need it, as nixpkgs'
		t.Errorf("script %q", script)
	}
	if got := get(t, c, `systemd.services.greeter.serviceConfig.ExecStartPre`); got != "/usr/bin/true" {
		t.Errorf("pkgs.coreutils interpolation: %v", got)
	}
	found := false
	for _, d := range c.Decls {
		if d.Path == "services.greeter.port" && d.Type.Description() == "16 bit unsigned integer; between 0 and 65535 (both inclusive)" && strings.HasSuffix(d.File, "greeter.nix") {
			found = true
		}
	}
	if !found {
		t.Error("the module's own declarations are not listed in Decls")
	}
	wantErr(t, map[string]string{
		"configuration.nix": template("foo", `imports = [ ./o.nix ]; my.mode = "x";`),
		"o.nix":             `{ lib, ... }: { options.my.mode = lib.mkOption { type = lib.types.enum [ "a" "b" ]; }; }`,
	}, `A definition for option 'my.mode' is not of type 'one of "a", "b"'.`)
}

func TestAssertionsAndWarnings(t *testing.T) {
	c := mustEval(t, map[string]string{"configuration.nix": template("foo", `warnings = [ "careful" ];
  assertions = [ { assertion = config.networking.hostName == "foo"; message = "bad host"; } ];`)})
	if !reflect.DeepEqual(c.Warnings, []string{"careful"}) {
		t.Errorf("warnings %v", c.Warnings)
	}
	wantErr(t, map[string]string{"configuration.nix": template("foo", `assertions = [ { assertion = config.services.openssh.enable; message = "sshd is required"; } ];`)},
		"Failed assertions:\n- sshd is required")
}

func TestShorthandAndExplicitConfigSections(t *testing.T) {
	c := mustEval(t, map[string]string{
		"configuration.nix": template("foo", `imports = [ ./explicit.nix ];`),
		"explicit.nix":      `{ config, ... }: { options = { }; config = { networking.nameservers = [ "8.8.8.8" ]; }; }`,
	})
	if got := get(t, c, "networking.nameservers"); !reflect.DeepEqual(got, []any{"8.8.8.8"}) {
		t.Errorf("nameservers %v", got)
	}
	wantErr(t, map[string]string{
		"configuration.nix": template("foo", `imports = [ ./mixed.nix ];`),
		"mixed.nix":         `{ config = { }; networking.useDHCP = true; }`,
	}, "has an unsupported attribute 'networking'")
}

func TestLibFunctions(t *testing.T) {
	c := mustEval(t, map[string]string{"configuration.nix": template("foo", `
  environment.variables = with lib; {
    A = concatStringsSep "," (optional true "x" ++ optionals false [ "y" ]);
    B = optionalString true "yes" + optionalString false "no";
    C = concatMapStringsSep "-" toString (range 1 3);
    D = attrByPath [ "a" "b" ] "dflt" { a = { }; };
    E = (recursiveUpdate { a.b = 1; a.c = 2; } { a.b = 3; }).a.b;
    F = toString (length (attrNames (filterAttrs (n: v: v > 1) (genAttrs [ "x" "y" ] (n: if n == "x" then 1 else 2)))));
    G = [ "/a" "/b" ];
    H = concatStrings (mapAttrsToList (n: v: n + v) (mapAttrs (n: v: v + "!") { k = "v"; }));
    I = toUpper (removePrefix "pre-" "pre-fix");
    J = toString (length (attrNames (optionalAttrs true { z = 1; } // optionalAttrs false { y = 2; })));
  };`)})
	vars := get(t, c, "environment.variables").(map[string]any)
	want := map[string]any{"A": "x", "B": "yes", "C": "1-2-3", "D": "dflt", "E": int64(3), "F": "1", "G": []any{"/a", "/b"}, "H": "kv!", "I": "FIX", "J": "1"}
	for k, w := range want {
		if !reflect.DeepEqual(vars[k], w) {
			t.Errorf("%s = %#v, want %#v", k, vars[k], w)
		}
	}
}

func TestFormatNix(t *testing.T) {
	got := module.FormatNix(map[string]any{"enable": true, "ports": []any{int64(22)}, "a.b": "x\"y", "e": map[string]any{}, "n": nil})
	want := "{\n  \"a.b\" = \"x\\\"y\";\n  e = { };\n  enable = true;\n  n = null;\n  ports = [\n    22\n  ];\n}"
	if got != want {
		t.Errorf("FormatNix:\n%s\nwant:\n%s", got, want)
	}
}

func TestSubmodulesAcrossFiles(t *testing.T) {
	c := mustEval(t, map[string]string{
		"configuration.nix": template("foo", `imports = [ ./users.nix ];
  users.users.alice = { isNormalUser = true; extraGroups = [ "wheel" ]; };
  users.users.bob = lib.mkIf false { isNormalUser = true; };`),
		"users.nix": `{ lib, ... }: {
  users.users.alice.extraGroups = [ "audio" ];
  users.users.alice.description = lib.mkForce "Alice";
  users.users.root.shell = lib.mkDefault "/bin/sh";
}`,
	})
	groups := get(t, c, "users.users.alice.extraGroups").([]any)
	if len(groups) != 2 {
		t.Errorf("extraGroups %v: lists from both files", groups)
	}
	if get(t, c, "users.users.alice.description") != "Alice" || get(t, c, "users.users.root.shell") != "/bin/sh" {
		t.Errorf("alice %v", get(t, c, "users.users"))
	}
	if _, ok := c.Get("users.users.bob"); ok {
		t.Error("mkIf false on an attrsOf entry must drop it")
	}
	wantErr(t, map[string]string{
		"configuration.nix": template("foo", `imports = [ ./u.nix ]; users.users.alice.uid = 1000;`),
		"u.nix":             `{ users.users.alice.uid = 1001; }`,
	}, "The option 'users.users.alice.uid' has conflicting definition values:", "u.nix", "configuration.nix", ": 1000", ": 1001")
}

func TestInfiniteRecursionIsAnError(t *testing.T) {
	wantErr(t, map[string]string{"configuration.nix": template("foo", `networking.extraHosts = config.networking.extraHosts + "x";`)},
		"infinite recursion")
}

func TestModuleArgs(t *testing.T) {
	c := mustEval(t, map[string]string{
		"configuration.nix": template("foo", `imports = [ ./uses.nix ];
  _module.args.siteName = "example";`),
		"uses.nix": `{ lib, siteName, ... }: { networking.extraHosts = "127.0.0.9 ${siteName}"; }`,
	})
	if got := get(t, c, "networking.extraHosts"); got != "127.0.0.9 example" {
		t.Errorf("extraHosts %v", got)
	}
	wantErr(t, map[string]string{
		"configuration.nix": template("foo", `imports = [ ./uses.nix ];`),
		"uses.nix":          `{ lib, nowhere, ... }: { networking.extraHosts = nowhere; }`,
	}, "The module argument 'nowhere' is not defined")
}

// TestMkOrderAboveAnOption pins NixOS's lib/modules.nix: mkIf and
// mkOverride around a set of options are pushed down to each option, and
// mkOrder inside them (at the option) sorts; but mkOrder around a set of
// options is not pushed down (pushDownProperties leaves it, so NixOS refuses
// its _type as an unknown option). nixcsh once dropped it silently there.
func TestMkOrderAboveAnOption(t *testing.T) {
	c := mustEval(t, map[string]string{
		"configuration.nix": template("foo", `imports = [ ./a.nix ];
  networking.nameservers = lib.mkMerge [ (lib.mkOverride 50 [ "2.2.2.2" ]) [ "3.3.3.3" ] ];`),
		"a.nix": `{ lib, ... }: { networking = lib.mkIf true (lib.mkOverride 50 { nameservers = lib.mkBefore [ "1.1.1.1" ]; }); }`,
	})
	if got := get(t, c, "networking.nameservers"); !reflect.DeepEqual(got, []any{"1.1.1.1", "2.2.2.2"}) {
		t.Errorf("nameservers %v, want [1.1.1.1 2.2.2.2]: mkOverride pushed down to the option, mkBefore sorting there", got)
	}
	wantErr(t, map[string]string{
		"configuration.nix": template("foo", `imports = [ ./a.nix ];`),
		"a.nix":             `{ lib, ... }: { networking = lib.mkBefore { nameservers = [ "1.1.1.1" ]; }; }`,
	}, "The option 'networking._type' does not exist", "a.nix", "mkOrder", "Put it on the option's value")
}
