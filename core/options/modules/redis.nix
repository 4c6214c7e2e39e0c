# services.redis.servers: NixOS's Redis instances, for the host's
# /usr/bin/redis-server. Each server NAME gets a unit, a user, a group and
# /var/lib/NAME, all named redisName NAME (redis for the server "").
{ config, options, lib, pkgs, ... }:
let
  cfg = config.services.redis;
  # The options NixOS renamed from services.redis.X to
  # services.redis.servers."".X that this configuration still defines.
  renamed = lib.filter (n: options.services.redis.${n}.isDefined) [
    "enable" "port" "openFirewall" "bind" "unixSocket" "unixSocketPerm" "logLevel" "logfile" "syslog"
    "databases" "maxclients" "save" "slaveOf" "masterAuth" "requirePass" "requirePassFile" "appendOnly"
    "appendFsync" "slowLogLogSlowerThan" "slowLogMaxLen" "settings"
  ];
  redisName = name: "redis" + lib.optionalString (name != "") "-${name}";
  enabled = lib.filterAttrs (_: c: c.enable) cfg.servers;

  # redis.conf: "key value" lines; a list repeats its key, booleans are
  # yes/no.
  confValue = v: if v == true then "yes" else if v == false then "no" else toString v;
  confText = settings: lib.concatStrings (lib.mapAttrsToList
    (k: v: lib.concatMapStrings (x: "${k} ${confValue x}\n") (lib.toList v)) settings);

  # The settings NixOS derives from a server's options; the server's own
  # `settings` override them.
  derived = name: c: {
    inherit (c) port logfile databases maxclients;
    appendonly = c.appendOnly;
    daemonize = false;
    supervised = "systemd";
    loglevel = c.logLevel;
    syslog-enabled = c.syslog;
    save = if c.save == [ ] then ''""''
      else map (s: "${toString (builtins.elemAt s 0)} ${toString (builtins.elemAt s 1)}") c.save;
    dbfilename = "dump.rdb";
    dir = "/var/lib/${redisName name}";
    appendfsync = c.appendFsync;
    slowlog-log-slower-than = c.slowLogLogSlowerThan;
    slowlog-max-len = c.slowLogMaxLen;
  }
  // lib.optionalAttrs (c.bind != null) { inherit (c) bind; }
  // lib.optionalAttrs (c.unixSocket != null) { unixsocket = c.unixSocket; unixsocketperm = toString c.unixSocketPerm; }
  // lib.optionalAttrs (c.slaveOf != null) { slaveof = "${c.slaveOf.ip} ${toString c.slaveOf.port}"; }
  // lib.optionalAttrs (c.masterAuth != null) { masterauth = c.masterAuth; }
  // lib.optionalAttrs (c.requirePass != null) { requirepass = c.requirePass; };

  confFile = name: "/etc/redis/${redisName name}.conf";

  # redis-server reads /var/lib/NAME/redis.conf, which stays writable for
  # CONFIG REWRITE: it includes /run/NAME/nixos.conf, remade at each start
  # from the generation's file and the password file, both read as root.
  prepare = name: c:
    let
      var = "/var/lib/${redisName name}/redis.conf";
      run = "/run/${redisName name}/nixos.conf";
    in pkgs.writeShellScript "${redisName name}-prep-conf" ''
      set -e
      touch ${var} ${run}
      chown ${lib.escapeShellArg c.user} ${var} ${run}
      chmod 0600 ${var} ${run}
      if [ ! -s ${var} ]; then
        echo 'include "${run}"' > ${var}
      fi
      echo 'include "${confFile name}"' > ${run}
      ${lib.optionalString (c.requirePassFile != null) ''
        {
          printf 'requirepass '
          cat ${lib.escapeShellArg c.requirePassFile}
        } >> ${run}
      ''}
    '';
in
{
  config = lib.mkMerge [
    {
      # As NixOS's mkRenamedOptionModule: the old names define the new ones.
      services.redis.servers."" = lib.mkIf (renamed != [ ]) (lib.genAttrs renamed (n: cfg.${n}));
      warnings = map (n: "The option `services.redis.${n}' has been renamed to `services.redis.servers.\"\".${n}'.") renamed;
    }
    (lib.mkIf (enabled != { }) {
      assertions = [
        {
          assertion = builtins.pathExists "/usr/bin/redis-server";
          message = "services.redis.servers needs /usr/bin/redis-server, which is missing on this host: install the Debian package redis-server (apt-get install redis-server)";
        }
      ] ++ lib.mapAttrsToList (name: c: {
        assertion = c.requirePass == null || c.requirePassFile == null;
        message = "You can only set one of services.redis.servers.\"${name}\".requirePass and services.redis.servers.\"${name}\".requirePassFile";
      }) enabled;

      warnings = lib.optional cfg.vmOverCommit
        "services.redis.vmOverCommit: a container cannot set vm.overcommit_memory; set it on the host (sysctl vm.overcommit_memory=1)";

      networking.firewall.allowedTCPPorts =
        lib.concatMap (c: lib.optional (c.openFirewall && c.port != 0) c.port) (lib.attrValues enabled);

      users.users = lib.mapAttrs' (name: c: lib.nameValuePair (redisName name) {
        description = "System user for the redis-server instance ${name}";
        isSystemUser = true;
        group = redisName name;
      }) enabled;
      users.groups = lib.mapAttrs' (name: c: lib.nameValuePair (redisName name) { }) enabled;

      environment.etc = lib.mapAttrs' (name: c: lib.nameValuePair "redis/${redisName name}.conf" {
        text = confText (derived name c // c.settings);
        # It may hold requirepass: readable by the server's group only.
        mode = "0440";
        group = c.user;
      }) enabled;

      systemd.services = lib.mapAttrs' (name: c: lib.nameValuePair (redisName name) {
        description = "Redis Server - ${redisName name}";
        wantedBy = [ "multi-user.target" ];
        after = [ "network.target" ];
        restartTriggers = [ (confText (derived name c // c.settings)) ];
        serviceConfig = {
          ExecStart = "/usr/bin/redis-server /var/lib/${redisName name}/redis.conf ${lib.escapeShellArgs c.extraParams}";
          # "+": as root, to read the configuration and the password file.
          ExecStartPre = "+${prepare name c}";
          Type = "notify";
          User = c.user;
          Group = c.user;
          RuntimeDirectory = redisName name;
          RuntimeDirectoryMode = "0750";
          StateDirectory = redisName name;
          StateDirectoryMode = "0700";
          UMask = "0077";
          LimitNOFILE = lib.mkDefault (toString (c.maxclients + 32));
        };
      }) enabled;
    })
  ];
}
