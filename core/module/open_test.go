package module_test

import (
	"reflect"
	"strings"
	"testing"
)

// Options are open as in NixOS: a module may add sub-options to an option
// nixcsh declares (the submodule types of both declarations are unioned).
func TestUserSubOptionsInNixcshOption(t *testing.T) {
	c := mustEval(t, map[string]string{
		"configuration.nix": template("web", `imports = [ ./extra.nix ];
  services.httpd.enable = true;
  services.httpd.virtualHosts."a.example" = { documentRoot = "/srv/a"; myExtra = "set"; };
  services.httpd.virtualHosts."b.example" = { documentRoot = "/srv/b"; };
  networking.extraHosts = lib.concatStringsSep "," (lib.mapAttrsToList (n: v: "${n}=${v.myExtra}") config.services.httpd.virtualHosts);`),
		"extra.nix": `{ lib, ... }: {
  options.services.httpd.virtualHosts = lib.mkOption {
    type = lib.types.attrsOf (lib.types.submodule ({ name, ... }: {
      options.myExtra = lib.mkOption { type = lib.types.str; default = "x-${name}"; };
    }));
  };
}`,
	})
	if got := get(t, c, `services.httpd.virtualHosts."a.example".documentRoot`); got != "/srv/a" {
		t.Errorf("nixcsh's own sub-option: documentRoot = %v", got)
	}
	if got := get(t, c, `services.httpd.virtualHosts."a.example".myExtra`); got != "set" {
		t.Errorf("user's sub-option: myExtra = %v", got)
	}
	if got := get(t, c, "networking.extraHosts"); got != "a.example=set,b.example=x-b.example" {
		t.Errorf("config reading the merged submodule: %v", got)
	}
}

// A second declaration whose type or default conflicts with the first is an
// error, as in NixOS, naming both places; one that only repeats the type is
// accepted.
func TestRedeclaredOption(t *testing.T) {
	_, err := eval(t, map[string]string{
		"configuration.nix": template("web", `imports = [ ./again.nix ];`),
		"again.nix":         `{ lib, ... }: { options.networking.hostName = lib.mkOption { type = lib.types.int; }; }`,
	})
	if err == nil || !strings.Contains(err.Error(), "The option 'networking.hostName'") || !strings.Contains(err.Error(), "already declared") {
		t.Fatalf("want an 'already declared' error, got %v", err)
	}
	_, err = eval(t, map[string]string{
		"configuration.nix": template("web", `imports = [ ./again.nix ];`),
		"again.nix":         `{ lib, ... }: { options.system.stateVersion = lib.mkOption { type = lib.types.str; default = "23.05"; }; }`,
	})
	if err == nil || !strings.Contains(err.Error(), "already declared") {
		t.Fatalf("two defaults: want an 'already declared' error, got %v", err)
	}
	c := mustEval(t, map[string]string{
		"configuration.nix": template("web", `imports = [ ./again.nix ];`),
		"again.nix":         `{ lib, ... }: { options.system.stateVersion = lib.mkOption { type = lib.types.str; }; }`,
	})
	if got := get(t, c, "system.stateVersion"); got != "24.11" {
		t.Errorf("hostName = %v after a compatible second declaration", got)
	}
}

// A brand-new option, used by config; _module.args makes a module argument,
// and may hold pkgs and lib without harm.
func TestNewOptionAndModuleArgs(t *testing.T) {
	c := mustEval(t, map[string]string{
		"configuration.nix": template("args", `imports = [ ./mine.nix ];
  _module.args.greeting = "hello";
  _module.args.mypkgs = pkgs;
  _module.args.mylib = lib;
  my.motd = "from my option";
  my.held = { inherit lib pkgs; name = "kept"; };
  my.raw = pkgs;`),
		"mine.nix": `{ config, options, lib, greeting, mypkgs, mylib, ... }: {
  options.my.motd = lib.mkOption { type = lib.types.str; default = "none"; };
  options.my.count = lib.mkOption { type = lib.types.int; default = 3; apply = x: x * 2; };
  options.my.held = lib.mkOption { type = lib.types.anything; default = { }; };
  options.my.raw = lib.mkOption { type = lib.types.raw; default = null; };
  config.networking.extraHosts = "${greeting} ${config.my.motd} ${toString config.my.count} ${mylib.toUpper "x"} ${mypkgs.lib.version}";
  config.environment.variables.OPT = "${options.my.motd.default} ${toString options.my.count.default} ${builtins.baseNameOf (builtins.head options.my.motd.declarations)} ${builtins.baseNameOf (builtins.head options.my.motd.files)}";
}`,
	})
	if got := get(t, c, "networking.extraHosts"); got != "hello from my option 6 X 24.11" {
		t.Errorf("extraHosts = %q", got)
	}
	if got := get(t, c, "environment.variables.OPT"); got != "none 3 mine.nix configuration.nix" {
		t.Errorf("options.my.motd's default, declarations and files: %v", got)
	}
	if got := get(t, c, "my.held.name"); got != "kept" {
		t.Errorf("an option holding lib and pkgs: my.held.name = %v", got)
	}
	if got := get(t, c, "my.motd"); got != "from my option" {
		t.Errorf("my.motd = %v", got)
	}
}

func TestRenamedRemovedAliasedOptions(t *testing.T) {
	c := mustEval(t, map[string]string{
		"configuration.nix": template("ren", `imports = [
    (lib.mkRenamedOptionModule [ "services" "oldSsh" "enable" ] [ "services" "openssh" "enable" ])
    (lib.mkAliasOptionModule [ "myHost" ] [ "networking" "hostName" ])
    (lib.mkChangedOptionModule [ "old" "ports" ] [ "networking" "firewall" "allowedTCPPorts" ] (config: map (p: p + 1) config.old.ports))
    (lib.mkRemovedOptionModule [ "services" "gone" ] "Use something else.")
    { networking.hostName = "plain"; }
  ];
  services.oldSsh.enable = true;
  services.openssh.ports = [ 2222 ];
  myHost = lib.mkForce "aliased";
  networking.extraHosts = "${toString config.services.oldSsh.enable} ${config.myHost}";
  old.ports = [ 79 ];`),
	})
	if got := get(t, c, "services.openssh.enable"); got != true {
		t.Errorf("renamed option did not reach the new one: %v", got)
	}
	if got := get(t, c, "networking.hostName"); got != "aliased" {
		t.Errorf("alias with mkForce beats a plain definition of the new name: hostName = %v", got)
	}
	if got := get(t, c, "networking.extraHosts"); got != "1 aliased" {
		t.Errorf("reading the old paths gives the new options' values: %v", got)
	}
	if got := get(t, c, "networking.firewall.allowedTCPPorts"); !reflect.DeepEqual(got, []any{int64(80)}) {
		t.Errorf("changed option: allowedTCPPorts = %v", got)
	}
	warned := strings.Join(c.Warnings, "\n")
	if !strings.Contains(warned, "The option `services.oldSsh.enable' defined in `") || !strings.Contains(warned, "configuration.nix' has been renamed to `services.openssh.enable'.") {
		t.Errorf("no rename warning in %q", warned)
	}
	if !strings.Contains(warned, "configuration.nix' has been changed to `networking.firewall.allowedTCPPorts'") {
		t.Errorf("no change warning in %q", warned)
	}
	if strings.Contains(warned, "myHost") {
		t.Errorf("an alias does not warn: %q", warned)
	}

	_, err := eval(t, map[string]string{
		"configuration.nix": template("rem", `imports = [ (lib.mkRemovedOptionModule [ "services" "gone" ] "Use something else.") ];
  services.gone = 1;`),
	})
	if err == nil || !strings.Contains(err.Error(), "The option definition `services.gone' in `") || !strings.Contains(err.Error(), "configuration.nix' no longer has any effect; please remove it.") ||
		!strings.Contains(err.Error(), "Use something else.") {
		t.Fatalf("want the removed-option assertion, got %v", err)
	}
}

// types.coercedTo converts definitions of the old type before merging.
func TestCoercedTo(t *testing.T) {
	c := mustEval(t, map[string]string{
		"configuration.nix": template("co", `imports = [ ./mine.nix ];
  my.hosts = "a";
  my.named.x = 1;
  my.named.y = "two";`),
		"mine.nix": `{ lib, ... }: with lib; {
  options.my.hosts = mkOption { type = types.coercedTo types.str (s: [ s ]) (types.listOf types.str); default = [ ]; };
  options.my.named = mkOption { type = types.attrsOf (types.coercedTo types.int toString types.str); };
  config.my.hosts = [ "b" ];
}`,
	})
	got := get(t, c, "my.hosts").([]any)
	if len(got) != 2 || !(got[0] == "a" && got[1] == "b" || got[0] == "b" && got[1] == "a") {
		t.Errorf("my.hosts = %v, want a and b", got)
	}
	if got := get(t, c, "my.named"); !reflect.DeepEqual(got, map[string]any{"x": "1", "y": "two"}) {
		t.Errorf("my.named = %v", got)
	}
	_, err := eval(t, map[string]string{
		"configuration.nix": template("co", `imports = [ ./mine.nix ];
  my.hosts = 3;`),
		"mine.nix": `{ lib, ... }: with lib; {
  options.my.hosts = mkOption { type = types.coercedTo types.str (s: [ s ]) (types.listOf types.str); };
}`,
	})
	if err == nil || !strings.Contains(err.Error(), "is not of type '(list of string) or string convertible to it'") {
		t.Errorf("want a type error naming the coercedTo type, got %v", err)
	}
}

// A submodule with a freeformType accepts undeclared settings, merged by
// it, beside its declared options (the NixOS `settings` pattern).
func TestFreeformSubmodule(t *testing.T) {
	c := mustEval(t, map[string]string{
		"configuration.nix": template("ff", `imports = [ ./mine.nix ];
  my.settings = { port = 8080; extra.key = "v"; tags = [ "a" ]; };
  networking.extraHosts = "${toString config.my.settings.port} ${config.my.settings.extra.key} ${config.my.settings.name}";`),
		"mine.nix": `{ lib, ... }: with lib; {
  options.my.settings = mkOption {
    default = { };
    type = types.submodule {
      freeformType = types.attrsOf types.anything;
      options.name = mkOption { type = types.str; default = "svc"; };
      options.port = mkOption { type = types.port; default = 80; };
    };
  };
  config.my.settings.tags = [ "b" ];
}`,
	})
	if got := get(t, c, "networking.extraHosts"); got != "8080 v svc" {
		t.Errorf("extraHosts = %q", got)
	}
	got := get(t, c, "my.settings").(map[string]any)
	if got["name"] != "svc" || got["port"] != int64(8080) || !reflect.DeepEqual(got["extra"], map[string]any{"key": "v"}) {
		t.Errorf("settings = %v", got)
	}
	if tags, _ := got["tags"].([]any); len(tags) != 2 {
		t.Errorf("freeform lists from two modules concatenate (types.anything): %v", got["tags"])
	}
	_, err := eval(t, map[string]string{
		"configuration.nix": template("ff", `imports = [ ./mine.nix ];
  my.settings.port = "x";
  networking.extraHosts = "${toString config.my.settings.port}";`),
		"mine.nix": `{ lib, ... }: with lib; {
  options.my.settings = mkOption { type = types.submodule { freeformType = types.attrsOf types.int; }; };
}`,
	})
	if err == nil || !strings.Contains(err.Error(), "my.settings.port") || !strings.Contains(err.Error(), "signed integer") {
		t.Errorf("a freeform value of the wrong type: want a type error, got %v", err)
	}
}

// types.submoduleWith passes specialArgs to its modules, and (without
// shorthandOnlyDefinesConfig) takes a definition as a whole module.
func TestSubmoduleWith(t *testing.T) {
	c := mustEval(t, map[string]string{
		"configuration.nix": template("sw", `imports = [ ./mine.nix ];
  my.things.a = { config.label = "A"; };
  my.things.b = { label = "B"; };`),
		"mine.nix": `{ lib, ... }: with lib; {
  options.my.things = mkOption {
    type = types.attrsOf (types.submoduleWith {
      specialArgs.prefix = "p-";
      modules = [ ({ name, prefix, config, ... }: {
        options.label = mkOption { type = types.str; };
        options.id = mkOption { type = types.str; default = prefix + name + "-" + config.label; };
      }) ];
    });
  };
}`,
	})
	if got := get(t, c, "my.things.a.id"); got != "p-a-A" {
		t.Errorf("my.things.a.id = %v", got)
	}
	if got := get(t, c, "my.things.b.id"); got != "p-b-B" {
		t.Errorf("shorthand definition: my.things.b.id = %v", got)
	}
}

func TestNumbersTypes(t *testing.T) {
	files := func(v string) map[string]string {
		return map[string]string{
			"configuration.nix": template("nb", `imports = [ ./mine.nix ];
  my.ratio = `+v+`;
  networking.extraHosts = toString config.my.ratio;`),
			"mine.nix": `{ lib, ... }: { options.my.ratio = lib.mkOption { type = lib.types.numbers.between 0 1; default = 1; }; }`,
		}
	}
	if got := get(t, mustEval(t, files("0.5")), "my.ratio"); got != 0.5 {
		t.Errorf("my.ratio = %v", got)
	}
	_, err := eval(t, files("2"))
	if err == nil || !strings.Contains(err.Error(), "integer or floating point number between 0 and 1 (both inclusive)") {
		t.Errorf("want a type error for 2, got %v", err)
	}
}

// A service module as people write them: enable, a package option, a
// freeform settings submodule, generators for the config file.
func TestUserServiceModuleInTheNixOSStyle(t *testing.T) {
	c := mustEval(t, map[string]string{
		"configuration.nix": template("app", `imports = [ ./myapp.nix ];
  services.myapp = { enable = true; settings.port = 8080; settings.main.name = "demo"; };`),
		"myapp.nix": `{ config, lib, pkgs, ... }:
let cfg = config.services.myapp; in {
  options.services.myapp = {
    enable = lib.mkEnableOption "myapp";
    package = lib.mkPackageOption pkgs "bash" { };
    settings = lib.mkOption {
      default = { };
      type = lib.types.submodule {
        freeformType = with lib.types; attrsOf (attrsOf (oneOf [ str int bool ]));
        options.port = lib.mkOption { type = lib.types.port; default = 8000; };
      };
    };
  };
  config = lib.mkIf cfg.enable {
    environment.etc."myapp.ini".text = lib.generators.toINI { } (removeAttrs cfg.settings [ "port" ] // { net.port = cfg.settings.port; });
    systemd.services.myapp = {
      wantedBy = [ "multi-user.target" ];
      serviceConfig.ExecStart = "${lib.getExe cfg.package} -c ${lib.escapeShellArg "echo ${toString cfg.settings.port}"}";
    };
  };
}`,
	})
	if got := get(t, c, `environment.etc."myapp.ini".text`); got != "[main]\nname=demo\n\n[net]\nport=8080\n" {
		t.Errorf("myapp.ini = %q", got)
	}
	if got := get(t, c, "systemd.services.myapp.serviceConfig.ExecStart"); got != "/usr/bin/bash -c 'echo 8080'" {
		t.Errorf("ExecStart = %v", got)
	}
}

// An option a user module declares is evaluated only when read, as in NixOS:
// the package default of a disabled service that the host lacks is no error.
func TestUnreadUserOptionIsNotEvaluated(t *testing.T) {
	c := mustEval(t, map[string]string{
		"configuration.nix": template("lazy", `imports = [ ./svc.nix ];`),
		"svc.nix": `{ config, lib, pkgs, ... }: {
  options.services.rare = {
    enable = lib.mkEnableOption "rare";
    package = lib.mkPackageOption pkgs "no-such-package-anywhere" { };
  };
  config = lib.mkIf config.services.rare.enable {
    environment.etc.rare.text = "${config.services.rare.package}";
  };
}`,
	})
	if got := get(t, c, "services.rare.enable"); got != false {
		t.Errorf("services.rare.enable = %v", got)
	}
	_, err := eval(t, map[string]string{
		"configuration.nix": template("lazy", `imports = [ ./svc.nix ];
  services.rare.enable = true;`),
		"svc.nix": `{ config, lib, pkgs, ... }: {
  options.services.rare = {
    enable = lib.mkEnableOption "rare";
    package = lib.mkPackageOption pkgs "no-such-package-anywhere" { };
  };
  config = lib.mkIf config.services.rare.enable {
    environment.etc.rare.text = "${config.services.rare.package}";
  };
}`,
	})
	if err == nil || !strings.Contains(err.Error(), "no-such-package-anywhere") {
		t.Errorf("reading the missing package must fail naming it, got %v", err)
	}
}

// A submodule's own _module.args are arguments of its modules.
func TestSubmoduleModuleArgs(t *testing.T) {
	c := mustEval(t, map[string]string{
		"configuration.nix": template("sa", `imports = [ ./mine.nix ];
  _module.args.site = "top";
  my.items.a = { };
  networking.extraHosts = toString (builtins.attrNames config.my.items.a);`),
		"mine.nix": `{ lib, ... }: with lib; {
  options.my.items = mkOption {
    type = types.attrsOf (types.submodule [
      { _module.args.kind = "item"; }
      ({ name, kind, site, ... }: { options.label = mkOption { type = types.str; default = "${site}/${kind}/${name}"; }; })
    ]);
  };
}`,
	})
	if got := get(t, c, "my.items.a.label"); got != "top/item/a" {
		t.Errorf("my.items.a.label = %v", got)
	}
	if got := get(t, c, "networking.extraHosts"); got != "label" {
		t.Errorf("a submodule's value has its options only, not _module: %v", got)
	}
	if _, ok := c.Get("_module"); ok {
		t.Error("_module is not part of the configuration tree")
	}
}

// lib.evalModules evaluates modules of the user's own, apart from nixcsh's
// options, with specialArgs.
func TestEvalModules(t *testing.T) {
	c := mustEval(t, map[string]string{
		"configuration.nix": template("em", `networking.extraHosts =
    let r = lib.evalModules {
      specialArgs.greeting = "hi";
      modules = [
        ({ lib, ... }: { options.who = lib.mkOption { type = lib.types.str; default = "world"; }; })
        ({ config, greeting, ... }: { options.msg = lib.mkOption { type = lib.types.str; }; config.msg = "${greeting} ${config.who}"; })
        { who = "there"; }
      ];
    }; in r.config.msg;`),
	})
	if got := get(t, c, "networking.extraHosts"); got != "hi there" {
		t.Errorf("extraHosts = %v", got)
	}
	_, err := eval(t, map[string]string{
		"configuration.nix": template("em", `networking.extraHosts = (lib.evalModules { modules = [ { nope = 1; } ]; }).config.x or "";`),
	})
	if err == nil || !strings.Contains(err.Error(), "The option 'nope' does not exist.") {
		t.Errorf("an undeclared option in evalModules: want NixOS's error, got %v", err)
	}
}
