# services.postgresql: NixOS's PostgreSQL service, for the host's Debian
# server (/usr/lib/postgresql/MAJOR/bin/postgres, package postgresql-MAJOR).
{ config, lib, pkgs, ... }:
let
  cfg = config.services.postgresql;

  # The majors the host has a server for: /usr/lib/postgresql/15/bin/postgres.
  libDir = "/usr/lib/postgresql";
  hostMajors =
    if builtins.pathExists libDir then
      builtins.filter (v: builtins.match "[0-9]+" v != null && builtins.pathExists "${libDir}/${v}/bin/postgres")
        (builtins.attrNames (builtins.readDir libDir))
    else [ ];
  newest = lib.last (builtins.sort (a: b: lib.toInt a < lib.toInt b) hostMajors);

  # The major the package names: pkgs.postgresql_15 (name postgresql-15.x or
  # pname postgresql_15), a Debian name postgresql-15, or a version 15.x of a
  # package called postgresql. null: any, the newest the host has.
  pkg = cfg.package;
  # The group-th group of re in the first of strs that matches it.
  firstMatch = re: group: strs:
    let ms = builtins.filter (m: m != null) (map (s: builtins.match re s) strs);
    in if ms == [ ] then null else builtins.elemAt (builtins.head ms) group;
  strAttr = a: if builtins.isAttrs pkg && pkg ? ${a} && builtins.isString pkg.${a} then [ pkg.${a} ] else [ ];
  names = strAttr "pname" ++ strAttr "name" ++ lib.optional (builtins.isString pkg) pkg;
  byName = firstMatch "(.*/)?postgresql[-_/]([0-9]+)([-_./+].*)?" 1 names;
  byVersion = firstMatch "([0-9]+)([._+~-].*)?" 0 (strAttr "version");
  asked =
    if byName != null then byName
    else if byVersion != null && builtins.any (n: lib.hasPrefix "postgresql" n) names then byVersion
    else null;

  major =
    if hostMajors == [ ] then
      throw "services.postgresql: the host has no PostgreSQL server (${libDir}/MAJOR/bin/postgres); install the Debian package postgresql"
    else if asked == null then newest
    else if builtins.elem asked hostMajors then asked
    else
      throw "services.postgresql.package asks for PostgreSQL ${asked}, which the host lacks (it has ${lib.concatStringsSep ", " hostMajors}); install the Debian package postgresql-${asked}, or use pkgs.postgresql for the host's newest";
  bin = "${libDir}/${major}/bin";

  defaultDataDir = "/var/lib/postgresql/${major}";

  # A path literal (./init.sql) is a file of the host, which the container
  # does not see: it is copied into the generation, as Nix copies it to the
  # store. A string is a path inside the container.
  initialScript =
    if builtins.isPath cfg.initialScript
    then pkgs.writeText (baseNameOf cfg.initialScript) (builtins.readFile cfg.initialScript)
    else cfg.initialScript;

  # postgresql.conf values: strings quoted (a ' doubled), booleans yes/no,
  # lists (shared_preload_libraries) one string joined with commas.
  toStr = v:
    if v == true then "yes"
    else if v == false then "no"
    else if builtins.isList v then toStr (lib.concatStringsSep ", " v)
    else if builtins.isString v then "'${lib.replaceStrings [ "'" ] [ "''" ] v}'"
    else toString v;
  configFile = pkgs.writeText "postgresql.conf"
    (lib.concatStrings (lib.mapAttrsToList (n: v: "${n} = ${toStr v}\n") cfg.settings));

  # SQL quoting, then shell quoting of the whole statement.
  ident = n: ''"${lib.replaceStrings [ ''"'' ] [ ''""'' ] n}"'';
  literal = s: "'${lib.replaceStrings [ "'" ] [ "''" ] s}'";
  sql = s: "$PSQL -tAc ${lib.escapeShellArg s}";
  socketDir = lib.trim (builtins.head (lib.splitString "," (toString cfg.settings.unix_socket_directories)));

  ensureDatabase = db: ''
    ${sql "SELECT 1 FROM pg_database WHERE datname = ${literal db}"} | grep -q 1 || ${sql "CREATE DATABASE ${ident db}"}
  '';
  ensureUser = u:
    let
      clauses = lib.mapAttrsToList (n: v: if v then n else "no${n}")
        (lib.filterAttrs (_: v: v != null) u.ensureClauses);
    in ''
      ${sql "SELECT 1 FROM pg_roles WHERE rolname = ${literal u.name}"} | grep -q 1 || ${sql "CREATE USER ${ident u.name}"}
    '' + lib.concatStrings (lib.mapAttrsToList (on: what: ''
      ${sql "GRANT ${what} ON ${on} TO ${ident u.name}"}
    '') u.ensurePermissions)
    + lib.optionalString u.ensureDBOwnership ''
      ${sql "ALTER DATABASE ${ident u.name} OWNER TO ${ident u.name}"}
    ''
    + lib.optionalString (clauses != [ ]) ''
      ${sql "ALTER ROLE ${ident u.name} ${lib.concatStringsSep " " clauses}"}
    '';
in
{
  config = lib.mkIf cfg.enable {
    services.postgresql.package = lib.mkDefault (pkgs.postgresql or {
      name = "postgresql"; pname = "postgresql"; type = "derivation"; outPath = "/usr";
    });
    services.postgresql.dataDir = lib.mkDefault defaultDataDir;

    services.postgresql.settings = {
      hba_file = "${pkgs.writeText "pg_hba.conf" cfg.authentication}";
      ident_file = "${pkgs.writeText "pg_ident.conf" cfg.identMap}";
      log_destination = lib.mkDefault "stderr";
      log_line_prefix = lib.mkDefault cfg.logLinePrefix;
      listen_addresses = lib.mkDefault (if cfg.enableTCPIP then "*" else "localhost");
      port = lib.mkDefault cfg.port;
      # Debian's server defaults to /var/run/postgresql; NixOS's to /run/postgresql.
      unix_socket_directories = lib.mkDefault "/run/postgresql";
      jit = lib.mkDefault (if cfg.enableJIT then "on" else "off");
    };

    services.postgresql.authentication = lib.mkMerge [
      (lib.mkBefore "# Generated by nixcsh from services.postgresql\n")
      (lib.mkAfter ''
        # default rules of services.postgresql.authentication
        local all all              peer
        host  all all 127.0.0.1/32 md5
        host  all all ::1/128      md5
      '')
    ];

    assertions = map (u: {
      assertion = !u.ensureDBOwnership || builtins.elem u.name cfg.ensureDatabases;
      message = "services.postgresql.ensureUsers: ${u.name} has ensureDBOwnership, but there is no database ${u.name} in services.postgresql.ensureDatabases";
    }) cfg.ensureUsers;

    # Extensions (a list, or a function of the package's set) are the host's.
    warnings = map (o: "services.postgresql.${o}: nixcsh runs the host's PostgreSQL ${major}, whose extensions are Debian packages (postgresql-${major}-postgis-3, postgresql-${major}-pgvector, ...); install them on the host instead")
      (builtins.filter (o: !(cfg.${o} == [ ])) [ "extensions" "extraPlugins" ]);

    users.users.postgres = {
      name = "postgres";
      uid = 71;
      group = "postgres";
      description = "PostgreSQL server user";
      home = cfg.dataDir;
      shell = "/bin/bash";
    };
    users.groups.postgres.gid = 71;

    # A dataDir of the user's own is made by tmpfiles (the default one by
    # systemd's StateDirectory, below).
    systemd.tmpfiles.rules = lib.optional (cfg.dataDir != defaultDataDir) "d ${cfg.dataDir} 0700 postgres postgres -";

    systemd.services.postgresql = {
      description = "PostgreSQL Server";
      wantedBy = [ "multi-user.target" ];
      after = [ "network.target" ];
      environment.PGDATA = cfg.dataDir;
      path = [ "${libDir}/${major}" ];

      # Runs as postgres: initialise an empty data directory, then link the
      # generation's postgresql.conf into it.
      preStart = ''
        if ! test -e ${cfg.dataDir}/PG_VERSION; then
          rm -f ${cfg.dataDir}/*.conf
          ${bin}/initdb -U ${cfg.superUser} ${lib.escapeShellArgs cfg.initdbArgs}
          # postStart runs initialScript once, on this first start.
          touch ${cfg.dataDir}/.first_startup
        fi
        ln -sfn ${configFile} ${cfg.dataDir}/postgresql.conf
      '';

      # Wait until the server answers (the unit's TimeoutSec bounds it too),
      # then apply initialScript once and the ensure* options every time.
      postStart = ''
        PSQL="${bin}/psql --host=${socketDir} --port=${toString cfg.settings.port} -d postgres -v ON_ERROR_STOP=1"
        tries=0
        while ! $PSQL -c "" 2>/dev/null; do
          if ! kill -0 "$MAINPID" || [ $tries -ge 600 ]; then
            echo "postgresql did not accept connections on ${socketDir}" >&2
            exit 1
          fi
          tries=$((tries + 1))
          sleep 0.1
        done
        if test -e ${cfg.dataDir}/.first_startup; then
          ${lib.optionalString (cfg.initialScript != null) ''
            $PSQL -f ${initialScript}
          ''}
          rm -f ${cfg.dataDir}/.first_startup
        fi
      '' + lib.concatMapStrings ensureDatabase cfg.ensureDatabases
      + lib.concatMapStrings ensureUser cfg.ensureUsers;

      serviceConfig = lib.mkMerge [
        {
          ExecStart = "${bin}/postgres";
          ExecReload = "/bin/kill -HUP $MAINPID";
          User = "postgres";
          Group = "postgres";
          RuntimeDirectory = "postgresql";
          # Debian's postgres is built with systemd support: it says READY=1.
          Type = "notify";
          # SIGINT is PostgreSQL's fast shutdown.
          KillSignal = "SIGINT";
          KillMode = "mixed";
          TimeoutSec = 120;
        }
        (lib.mkIf (cfg.dataDir == defaultDataDir) {
          StateDirectory = "postgresql postgresql/${major}";
          StateDirectoryMode = "0750";
        })
      ];
      unitConfig.RequiresMountsFor = cfg.dataDir;
    };
  };
}
