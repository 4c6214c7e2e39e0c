# services.resolved: the host's /usr/lib/systemd/systemd-resolved under a
# unit of nixcsh's making, with resolved.conf from the options and
# /etc/resolv.conf pointing to its stub listener, as on NixOS (that link
# is made by networking.go's renderNetworking: etc files here are copies).
{ config, lib, ... }:
let
  cfg = config.services.resolved;
in
{
  config = lib.mkIf cfg.enable {
    assertions = [{
      assertion = !config.networking.useHostResolvConf;
      message = "services.resolved.enable and networking.useHostResolvConf are mutually exclusive: set networking.useHostResolvConf = false";
    }];
    networking.useHostResolvConf = lib.mkDefault false;
    users.users.systemd-resolve = { isSystemUser = true; group = "systemd-resolve"; description = "systemd Resolver"; };
    users.groups.systemd-resolve = { };
    environment.etc."systemd/resolved.conf".text =
      let
        # The options of NixOS before 25.11, then services.resolved.settings
        # (NixOS's newer form) over them.
        resolve = lib.filterAttrs (k: v: v != null && v != [ ]) {
          DNS = config.networking.nameservers;
          FallbackDNS = cfg.fallbackDns;
          Domains = cfg.domains;
          LLMNR = cfg.llmnr;
          DNSSEC = cfg.dnssec;
          DNSOverTLS = cfg.dnsovertls;
        };
        sections = cfg.settings // { Resolve = resolve // (cfg.settings.Resolve or { }); };
        value = v: if builtins.isList v then lib.concatStringsSep " " v
          else if builtins.isBool v then lib.boolToString v else toString v;
        section = name: ''
          [${name}]
        '' + lib.concatMapStrings (k: "${k}=${value sections.${name}.${k}}\n") (builtins.attrNames sections.${name});
      in
      lib.concatMapStringsSep "\n" section (builtins.attrNames sections)
      + lib.optionalString (cfg.extraConfig != "") ("\n" + cfg.extraConfig);
    systemd.services.systemd-resolved = {
      description = "Network Name Resolution";
      wantedBy = [ "multi-user.target" ];
      after = [ "systemd-sysctl.service" ];
      before = [ "network.target" "nss-lookup.target" ];
      wants = [ "nss-lookup.target" ];
      restartTriggers = [ config.environment.etc."systemd/resolved.conf".text ];
      serviceConfig = {
        Type = "notify";
        ExecStart = "/usr/lib/systemd/systemd-resolved";
        User = "systemd-resolve";
        AmbientCapabilities = "CAP_SETPCAP CAP_NET_RAW CAP_NET_BIND_SERVICE";
        CapabilityBoundingSet = "CAP_SETPCAP CAP_NET_RAW CAP_NET_BIND_SERVICE";
        RuntimeDirectory = "systemd/resolve";
        RuntimeDirectoryPreserve = "yes";
        Restart = "always";
        RestartSec = 0;
        WatchdogSec = "3min";
      };
    };
  };
}
