# services.mysql: NixOS's MySQL service, run by the host's MariaDB
# (/usr/sbin/mariadbd) as services.mysql.user, with /etc/my.cnf made from
# services.mysql.settings. The first start initialises dataDir with
# mariadb-install-db; every start then ensures ensureDatabases and
# ensureUsers, over the Unix socket as the server's own account (MariaDB's
# unix_socket authentication), as NixOS does.
{ config, lib, pkgs, ... }:
let
  cfg = config.services.mysql;

  pkgName = if cfg.package == null then "mariadb" else lib.getName cfg.package;
  pkgVersion = if cfg.package == null then "" else cfg.package.version or "";
  # MySQL proper (mysql80, percona-server...): the host only has MariaDB.
  # A bare "mysql" of version 10.x/11.x, or without a version, is the
  # host's MariaDB client under its old name.
  isMySQL = !(lib.hasInfix "mariadb" pkgName)
    && (builtins.match "mysql[0-9]+|percona.*" pkgName != null
        || builtins.match "(5|8|9)\\..*" pkgVersion != null);

  # my.cnf, as NixOS's formats.ini with listsAsDuplicateKeys.
  iniValue = v: if v == true then "true" else if v == false then "false" else toString v;
  iniSection = section: keys: "[${section}]\n" + lib.concatStrings (lib.mapAttrsToList
    (k: v: lib.concatMapStrings (x: "${k}=${iniValue x}\n") (lib.toList v))
    (lib.filterAttrs (_: v: v != null) keys));
  myCnf = lib.concatStringsSep "\n" (lib.mapAttrsToList iniSection cfg.settings);

  mysql = "/usr/bin/mariadb";
  # SQL run as the server's user, which mariadb-install-db made a
  # unix_socket superuser ('USER'@'localhost').
  sql = statements: ''
    ${mysql} -N <<'NIXCSH_SQL'
    ${statements}
    NIXCSH_SQL
  '';
  ident = n: "`" + builtins.replaceStrings [ "`" ] [ "``" ] n + "`";
  quote = s: "'" + builtins.replaceStrings [ "\\" "'" ] [ "\\\\" "''" ] s + "'";

  # Files of the first start live in the generation's /etc, readable by
  # the server's user (a path on the host would not be seen inside).
  initialScript = "/etc/mysql/initial-script.sql";
  schema = db: "/etc/mysql/initial-databases/${db.name}";
in
{
  config = lib.mkIf cfg.enable {
    assertions = [
      {
        assertion = cfg.replication.role == "none";
        message = "services.mysql.replication.role = \"${cfg.replication.role}\" is not implemented by nixcsh; set up replication with SQL of your own (e.g. in services.mysql.initialScript)";
      }
    ];

    warnings = lib.optional isMySQL
      "services.mysql.package is ${pkgName}${lib.optionalString (pkgVersion != "") " ${pkgVersion}"}, but this host runs MariaDB (/usr/sbin/mariadbd) for it: MySQL-only features (auth_socket, caching_sha2_password, --initialize-insecure) do not apply"
      ++ lib.optional (cfg.port != null)
      "The option services.mysql.port was removed in NixOS; use services.mysql.settings.mysqld.port instead (nixcsh still honours it)"
      ++ lib.optional (cfg.bind != null)
      "The option services.mysql.bind was removed in NixOS; use services.mysql.settings.mysqld.bind-address instead (nixcsh still honours it)";

    services.mysql.settings.mysqld = lib.mkMerge [
      { datadir = cfg.dataDir; port = lib.mkDefault 3306; }
      (lib.mkIf (cfg.port != null) { port = cfg.port; })
      (lib.mkIf (cfg.bind != null) { bind-address = cfg.bind; })
    ];

    users.users = lib.optionalAttrs (cfg.user == "mysql") {
      mysql = { description = "MySQL server user"; group = cfg.group; uid = 84; isSystemUser = true; };
    };
    users.groups = lib.optionalAttrs (cfg.group == "mysql") { mysql.gid = 84; };

    environment.etc = {
      "my.cnf" = if cfg.configFile != null then { source = cfg.configFile; } else { text = myCnf; };
    } // lib.optionalAttrs (cfg.initialScript != null) {
      "mysql/initial-script.sql" = { source = cfg.initialScript; mode = "0400"; user = cfg.user; };
    } // lib.listToAttrs (map (db: lib.nameValuePair "mysql/initial-databases/${db.name}" { source = db.schema; })
      (lib.filter (db: db.schema != null) cfg.initialDatabases));

    systemd.tmpfiles.rules = [ "d ${cfg.dataDir} 0700 ${cfg.user} ${cfg.group} -" ];

    systemd.services.mysql = {
      description = "MySQL Server";
      after = [ "network.target" ];
      wantedBy = [ "multi-user.target" ];
      restartTriggers = [ (if cfg.configFile != null then cfg.configFile else myCnf) ];
      unitConfig.RequiresMountsFor = cfg.dataDir;

      preStart = ''
        if ! test -e ${cfg.dataDir}/mysql; then
          /usr/bin/mariadb-install-db --defaults-file=/etc/my.cnf --user=${cfg.user} --datadir=${cfg.dataDir} --basedir=/usr
          touch ${cfg.dataDir}/mysql_init
        fi
      '';

      script = ''
        exec /usr/sbin/mariadbd --defaults-file=/etc/my.cnf --datadir=${cfg.dataDir} --basedir=/usr
      '';

      postStart = ''
        if [ -f ${cfg.dataDir}/mysql_init ]; then
          ${lib.concatMapStrings (db: ''
            if ! test -e ${lib.escapeShellArg "${cfg.dataDir}/${db.name}"}; then
              echo "Creating initial database: ${db.name}"
              {
                echo ${lib.escapeShellArg "CREATE DATABASE ${ident db.name};"}
                ${lib.optionalString (db.schema != null) ''
                  echo ${lib.escapeShellArg "USE ${ident db.name};"}
                  if [ -f ${schema db} ]; then
                    cat ${schema db}
                  elif [ -d ${schema db} ]; then
                    cat ${schema db}/mysql-databases/*.sql
                  else
                    echo "services.mysql.initialDatabases: the schema of ${db.name} is neither a file nor a directory" >&2
                    exit 1
                  fi
                ''}
              } | ${mysql} -N
            fi
          '') cfg.initialDatabases}
          ${lib.optionalString (cfg.initialScript != null) ''
            ${mysql} -N < ${initialScript}
          ''}
          rm ${cfg.dataDir}/mysql_init
        fi
        ${lib.optionalString (cfg.ensureDatabases != [ ]) (sql (lib.concatMapStrings
          (db: "CREATE DATABASE IF NOT EXISTS ${ident db};\n") cfg.ensureDatabases))}
        ${lib.concatMapStrings (u: sql (
          "CREATE USER IF NOT EXISTS ${quote u.name}@'localhost' IDENTIFIED WITH unix_socket;\n"
          + lib.concatStrings (lib.mapAttrsToList
            (on: what: "GRANT ${what} ON ${on} TO ${quote u.name}@'localhost';\n") u.ensurePermissions))) cfg.ensureUsers}
      '';

      serviceConfig = {
        Type = "notify";
        Restart = "on-abort";
        RestartSec = "5s";
        User = cfg.user;
        Group = cfg.group;
        RuntimeDirectory = "mysqld";
        RuntimeDirectoryMode = "0755";
        # mariadb-install-db and the post-start steps run long on a busy host.
        TimeoutStartSec = "300";
      } // lib.optionalAttrs (cfg.dataDir == "/var/lib/mysql") {
        StateDirectory = "mysql";
        StateDirectoryMode = "0700";
      };
    };
  };
}
