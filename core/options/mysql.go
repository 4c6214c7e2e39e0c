package options

import m "github.com/nixcsh/nixcsh/core/module"

// services.mysql: the host's MariaDB (/usr/sbin/mariadbd, Debian package
// mariadb-server) under a unit of nixcsh's making, with NixOS's options.
// modules/mysql.nix renders it.
var mysqlFamily = family{
	name: "mysql",
	decls: func() []Decl {
		// settings is NixOS's `formats.ini { listsAsDuplicateKeys = true; }`:
		// sections of keys whose values are scalars or lists of them.
		scalar := m.OneOf(m.Bool(), m.Int(), m.Float(), m.Str())
		value := m.NullOr(m.Either(scalar, m.ListOf(scalar)))
		return []Decl{
			m.Opt("services.mysql.enable", m.Bool(), false, "Whether to enable the MySQL server (here: the host's MariaDB, /usr/sbin/mariadbd)."),
			m.Opt("services.mysql.package", m.NullOr(m.Package()), nil, "Which MySQL derivation to use (e.g. pkgs.mariadb). The host's MariaDB runs whatever is named; a MySQL package gets a warning."),
			m.Opt("services.mysql.user", m.Str(), "mysql", "User account under which MySQL runs (created when left as mysql)."),
			m.Opt("services.mysql.group", m.Str(), "mysql", "Group under which MySQL runs (created when left as mysql)."),
			m.Opt("services.mysql.dataDir", m.Path(), "/var/lib/mysql", "The data directory for MySQL (created, owned by services.mysql.user)."),
			m.Opt("services.mysql.port", m.NullOr(m.Port()), nil, "Removed in NixOS (use services.mysql.settings.mysqld.port); still honoured here, with a warning."),
			m.Opt("services.mysql.bind", m.NullOr(m.Str()), nil, "Removed in NixOS (use services.mysql.settings.mysqld.bind-address); still honoured here, with a warning."),
			m.Opt("services.mysql.configFile", m.NullOr(m.Path()), nil, "A configuration file used instead of the one generated from services.mysql.settings (null: the generated one)."),
			m.Opt("services.mysql.settings", m.AttrsOf(m.AttrsOf(value)), map[string]any{}, "MySQL configuration, one attribute set per my.cnf section (mysqld, client, ...); lists give a key once per element."),
			m.Opt("services.mysql.initialDatabases", m.ListOf(m.Submodule(
				m.OptNoDefault("name", m.Str(), "The name of the database to create."),
				m.Opt("schema", m.NullOr(m.Path()), nil, "The initial schema of the database (an SQL file, or a directory with mysql-databases/*.sql); null: an empty database."),
			)), []any{}, "Databases (and their initial schemas) created on the first startup of MySQL."),
			m.Opt("services.mysql.initialScript", m.NullOr(m.Path()), nil, "A file containing SQL statements to be executed on the first startup."),
			m.Opt("services.mysql.ensureDatabases", strList(), []any{}, "Ensures that the specified databases exist (on every start; never deletes any)."),
			m.Opt("services.mysql.ensureUsers", m.ListOf(m.Submodule(
				m.OptNoDefault("name", m.Str(), "Name of the user to ensure (identified by Unix socket authentication)."),
				m.Opt("ensurePermissions", m.AttrsOf(m.Str()), map[string]any{}, "Permissions to ensure, as { \"database.*\" = \"ALL PRIVILEGES\"; }: GRANT VALUE ON NAME."),
			)), []any{}, "Ensures that the specified users exist and have at least the ensured permissions (never removes any)."),
			m.Opt("services.mysql.replication.role", m.Enum("master", "slave", "none"), "none", "Role of the MySQL server instance (only \"none\" is implemented by nixcsh)."),
			m.Opt("services.mysql.replication.serverId", m.Int(), int64(1), "Id of the MySQL server instance."),
			m.Opt("services.mysql.replication.masterHost", m.Str(), "", "Hostname of the MySQL master server."),
			m.Opt("services.mysql.replication.slaveHost", m.Str(), "", "Hostname of the MySQL slave server."),
			m.Opt("services.mysql.replication.masterUser", m.Str(), "", "Username of the MySQL replication user."),
			m.Opt("services.mysql.replication.masterPassword", m.Str(), "", "Password of the MySQL replication user."),
			m.Opt("services.mysql.replication.masterPort", m.Port(), int64(3306), "Port number on which the MySQL master server runs."),
		}
	},
	requires: []requirement{
		{"services.mysql.enable", "sbin/mariadbd", "mariadb-server"},
		{"services.mysql.enable", "bin/mariadb-install-db", "mariadb-server"},
		{"services.mysql.enable", "bin/mariadb", "mariadb-client"},
	},
}
