package system

import (
	"context"
	"path/filepath"
	"strings"
	"testing"
)

// A user module extending services.httpd.virtualHosts with its own
// sub-option (as NixOS allows) builds, its option drives the rest of the
// configuration, and Apache's configuration is rendered as without it.
func TestHTTPDVirtualHostsExtendedByAUserModule(t *testing.T) {
	paths := testPaths(t)
	writeConfig(t, paths, "web", `imports = [ ({ lib, config, ... }: {
    options.services.httpd.virtualHosts = lib.mkOption {
      type = lib.types.attrsOf (lib.types.submodule { options.owner = lib.mkOption { type = lib.types.str; default = "nobody"; }; });
    };
    config.environment.etc."vhost-owners".text =
      lib.concatStrings (lib.mapAttrsToList (n: v: "${n} ${v.owner}\n") config.services.httpd.virtualHosts);
  }) ];
  services.httpd.enable = true;
  services.httpd.adminAddr = "alice@example.org";
  services.httpd.virtualHosts.localhost = { documentRoot = "/webroot"; owner = "alice"; };`)
	sp, _, err := Build(context.Background(), paths, "web")
	if err != nil {
		t.Fatal(err)
	}
	if got := readFile(t, filepath.Join(sp, "etc/vhost-owners")); got != "localhost alice\n" {
		t.Errorf("vhost-owners = %q", got)
	}
	conf := readFile(t, filepath.Join(sp, "etc/apache2/apache2.conf"))
	if !strings.Contains(conf, "ServerName localhost\n") || !strings.Contains(conf, `DocumentRoot "/webroot"`) {
		t.Errorf("apache2.conf lacks the virtual host:\n%s", conf)
	}
}
