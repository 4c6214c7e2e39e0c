package options

import m "github.com/nixcsh/nixcsh/core/module"

// services.postgresql: the host's Debian PostgreSQL server
// (/usr/lib/postgresql/MAJOR/bin/postgres) with NixOS's options.
// modules/postgresql.nix renders it: the version is picked among the majors
// the host has installed, the configuration files are generated, and the
// unit initialises the data directory and applies ensureDatabases,
// ensureUsers and initialScript as NixOS does.
var postgresqlFamily = family{
	name: "postgresql",
	decls: func() []Decl {
		nullBool := func(what string) Decl {
			return m.Opt(what, m.NullOr(m.Bool()), nil, "Whether the role has "+what+" (ALTER ROLE ... "+what+" or NO"+what+"); null leaves the role's current value.")
		}
		user := m.Submodule(
			m.OptNoDefault("name", m.Str(), "Name of the role to ensure."),
			m.Opt("ensureDBOwnership", m.Bool(), false, "Whether the role owns the database of the same name (which must be in ensureDatabases)."),
			m.Opt("ensurePermissions", m.AttrsOf(m.Str()), map[string]any{}, "Privileges granted to the role: GRANT VALUE ON NAME (deprecated in NixOS in favour of ensureDBOwnership)."),
			m.Opt("ensureClauses", m.Submodule(
				nullBool("superuser"), nullBool("createrole"), nullBool("createdb"), nullBool("inherit"),
				nullBool("login"), nullBool("replication"), nullBool("bypassrls"),
			), map[string]any{}, "Role attributes to ensure (ALTER ROLE); null ones are left as they are."),
		)
		return []Decl{
			m.Opt("services.postgresql.enable", m.Bool(), false, "Whether to run the PostgreSQL server (the host's Debian package postgresql-MAJOR)."),
			m.OptNoDefault("services.postgresql.package", m.Package(), "The PostgreSQL package: its version (pkgs.postgresql_15, or a name like postgresql-15) picks the host's /usr/lib/postgresql/MAJOR; pkgs.postgresql, or one without a version, takes the newest major the host has."),
			m.Opt("services.postgresql.port", m.Port(), 5432, "The port on which PostgreSQL listens."),
			m.Opt("services.postgresql.checkConfig", m.Bool(), true, "Accepted for NixOS compatibility; nixcsh does not check postgresql.conf at build time (the server refuses a bad one when it starts)."),
			m.OptNoDefault("services.postgresql.dataDir", m.Path(), "The data directory (default /var/lib/postgresql/MAJOR). The default one is created by systemd (StateDirectory); another is created by systemd-tmpfiles."),
			m.Opt("services.postgresql.authentication", m.Lines(), "", "Lines of pg_hba.conf, placed above the default rules (peer for local sockets, md5 over TCP from localhost). Use lib.mkForce to replace the defaults."),
			m.Opt("services.postgresql.identMap", m.Lines(), "", "Lines of pg_ident.conf: map-name system-username database-username."),
			m.Opt("services.postgresql.initdbArgs", m.ListOf(m.Str()), []any{}, "Additional arguments passed to initdb when the data directory is initialised."),
			m.Opt("services.postgresql.initialScript", m.NullOr(m.Path()), nil, "A file of SQL statements run once, on the first start after initdb."),
			m.Opt("services.postgresql.ensureDatabases", m.ListOf(m.Str()), []any{}, "Databases created if missing on every start; never dropped."),
			m.Opt("services.postgresql.ensureUsers", m.ListOf(user), []any{}, "Roles created if missing on every start, with the ensured ownership, permissions and clauses; never dropped."),
			m.Opt("services.postgresql.enableTCPIP", m.Bool(), false, "Whether PostgreSQL listens on all network interfaces (listen_addresses = '*') rather than on localhost only."),
			m.Opt("services.postgresql.enableJIT", m.Bool(), false, "Whether to turn on just-in-time compilation (settings.jit); the host's postgres must have been built with LLVM (Debian's is)."),
			m.Opt("services.postgresql.logLinePrefix", m.Str(), "[%p] ", "The prefix of each log line (log_line_prefix); the journal adds the time."),
			m.Opt("services.postgresql.extensions", m.Unspecified(), []any{}, "Accepted with a warning: the server is the host's, so its extensions are the host's Debian packages (postgresql-15-postgis-3, ...); install those instead."),
			m.Opt("services.postgresql.extraPlugins", m.Unspecified(), []any{}, "The older name of extensions: accepted with a warning; install the extensions' Debian packages instead."),
			m.Opt("services.postgresql.settings", m.AttrsOf(m.OneOf(m.Bool(), m.Float(), m.Int(), m.Str(), m.ListOf(m.Str()))), map[string]any{}, "postgresql.conf settings; strings are quoted, booleans become yes/no, lists (shared_preload_libraries) one quoted string joined with commas."),
			m.Opt("services.postgresql.recoveryConfig", m.NullOr(m.Lines()), nil, "Accepted for NixOS compatibility; recovery.conf is not read by PostgreSQL 12 and later (use settings)."),
			m.Opt("services.postgresql.superUser", m.Str(), "postgres", "The superuser role the unit uses for its setup (internal in NixOS)."),
		}
	},
}
