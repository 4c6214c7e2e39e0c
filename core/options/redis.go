package options

import m "github.com/nixcsh/nixcsh/core/module"

// services.redis: one host redis-server (/usr/bin/redis-server, Debian
// package redis-server) per entry of services.redis.servers, each under a
// unit of its own named as NixOS names it (redis for the server "",
// redis-NAME otherwise). modules/redis.nix renders them.
var redisFamily = family{
	name: "redis",
	decls: func() []Decl {
		server := redisServerDecls()
		ds := []Decl{
			m.Opt("services.redis.package", m.NullOr(m.Package()), nil, "Accepted for NixOS compatibility; the host's /usr/bin/redis-server runs."),
			m.Opt("services.redis.vmOverCommit", m.Bool(), false, "Whether to set vm.overcommit_memory to 1; a container cannot, so this only warns to do it on the host."),
			m.Opt("services.redis.servers", m.AttrsOf(m.Submodule(server...)), map[string]any{}, "Configuration of redis-server instances."),
		}
		// NixOS renamed the options of its single server to those of the
		// server "" (mkRenamedOptionModule); configurations written before
		// still use them, and modules/redis.nix forwards them with NixOS's
		// warning.
		for _, d := range redisServerDecls() { // fresh types: none shared with the servers'
			if redisRenamed[d.Path] {
				ds = append(ds, m.OptNoDefault("services.redis."+d.Path, d.Type, "Renamed in NixOS to services.redis.servers.\"\"."+d.Path+" (still accepted, with a warning)."))
			}
		}
		return ds
	},
}

// redisRenamed are the options NixOS moved from services.redis to
// services.redis.servers."".
var redisRenamed = map[string]bool{
	"enable": true, "port": true, "openFirewall": true, "bind": true, "unixSocket": true, "unixSocketPerm": true,
	"logLevel": true, "logfile": true, "syslog": true, "databases": true, "maxclients": true, "save": true,
	"slaveOf": true, "masterAuth": true, "requirePass": true, "requirePassFile": true, "appendOnly": true,
	"appendFsync": true, "slowLogLogSlowerThan": true, "slowLogMaxLen": true, "settings": true,
}

// redisServerDecls are the options of one server.
func redisServerDecls() []Decl {
	return []Decl{
		m.Opt("enable", m.Bool(), false, "Whether to enable this Redis server."),
		byName("user", m.Str(), "The username and group name for redis-server (default: redis for the server \"\", redis-NAME otherwise).",
			func(n string) any { return redisName(n) }),
		byName("port", m.Port(), "The TCP port to accept connections on; 0: no TCP socket (default: 6379 for the server \"\", 0 otherwise).",
			func(n string) any {
				if n == "" {
					return int64(6379)
				}
				return int64(0)
			}),
		m.Opt("openFirewall", m.Bool(), false, "Whether to open the server's port in the firewall."),
		m.Opt("extraParams", strList(), []any{}, "Extra parameters appended to the redis-server command line."),
		m.Opt("bind", m.NullOr(m.Str()), "127.0.0.1", "The IP interface(s) to bind to; null: all interfaces."),
		byName("unixSocket", m.NullOr(m.Path()), "The path of the Unix socket to listen on (default: /run/redis/redis.sock, or /run/redis-NAME/redis.sock); null: none.",
			func(n string) any { return "/run/" + redisName(n) + "/redis.sock" }),
		m.Opt("unixSocketPerm", m.Int(), int64(660), "Permissions of the Unix socket."),
		m.Opt("logLevel", m.Str(), "notice", "The server verbosity level: debug, verbose, notice or warning."),
		m.Opt("logfile", m.Str(), "/dev/null", "The log file name; \"stdout\" logs on standard output."),
		m.Opt("syslog", m.Bool(), true, "Whether to log to the system logger."),
		m.Opt("databases", m.Int(), int64(16), "The number of databases."),
		m.Opt("maxclients", m.Int(), int64(10000), "The maximum number of clients connected at the same time."),
		m.Opt("save", m.ListOf(m.ListOf(m.Int())), []any{[]any{int64(900), int64(1)}, []any{int64(300), int64(10)}, []any{int64(60), int64(10000)}},
			"When the data is saved to disk: a list of [ SECONDS CHANGES ]; [] disables RDB persistence."),
		m.Opt("slaveOf", m.NullOr(m.Submodule(
			m.OptNoDefault("ip", m.Str(), "IP of the Redis master."),
			m.Opt("port", m.Port(), int64(6379), "Port of the Redis master."),
		)), nil, "IP and port of the master this instance replicates."),
		m.Opt("masterAuth", m.NullOr(m.Str()), nil, "The password of the master, if it requires one."),
		m.Opt("requirePass", m.NullOr(m.Str()), nil, "Password clients must give (kept in the generation, readable by the server's group)."),
		m.Opt("requirePassFile", m.NullOr(m.Path()), nil, "A file inside the container holding the password clients must give, read when the server starts."),
		m.Opt("appendOnly", m.Bool(), false, "Whether to persist data in an append-only file."),
		m.Opt("appendFsync", m.Str(), "everysec", "How often to fsync the append-only file: no, always or everysec."),
		m.Opt("slowLogLogSlowerThan", m.Int(), int64(10000), "Log queries whose execution takes longer than this (microseconds)."),
		m.Opt("slowLogMaxLen", m.Int(), int64(128), "Maximum number of entries kept in the slow log."),
		m.Opt("settings", m.AttrsOf(m.OneOf(m.Bool(), m.Int(), m.Str(), strList())), map[string]any{},
			"redis.conf settings; they override the ones the options above make. Lists give a key once per element, booleans yes/no."),
	}
}

// redisName is the unit, user and directory name of a server: NixOS's.
func redisName(name string) string {
	if name == "" {
		return "redis"
	}
	return "redis-" + name
}

// byName declares a submodule option whose default depends on the
// attribute name.
func byName(path string, t *m.Type, desc string, def func(string) any) Decl {
	d := m.OptNoDefault(path, t, desc)
	d.DefaultFor = def
	return d
}
