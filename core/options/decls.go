// Package options holds the NixOS options nixcsh implements: each declared
// once (type, default, description) and each rendering its part of a system
// generation (files under etc/, systemd units, users, the firewall).
//
// The declarations feed the module system's type checking (core/module), the
// `nixcsh options [PREFIX]` listing and REPL completion of option paths.
package options

import (
	"sort"
	"strings"

	m "github.com/nixcsh/nixcsh/core/module"
)

// Decl is one option declaration.
type Decl = m.Decl

func strList() *m.Type { return m.ListOf(m.Str()) }

func userDecls() []Decl {
	return []Decl{
		m.OptNoDefault("name", m.Str(), "The name of the user account. If undefined, the name of the attribute set will be used."),
		m.Opt("isNormalUser", m.Bool(), false, "Whether this is a real user: home in /home, uid from 1000 up, a login shell, member of group users."),
		m.Opt("isSystemUser", m.Bool(), false, "Whether this is a system user: uid below 1000, no login shell unless one is set."),
		m.Opt("uid", m.NullOr(m.Int()), nil, "The account UID. If null, one is allocated (from 1000 up for normal users, from 999 down for system users)."),
		m.Opt("group", m.Str(), "", "The user's primary group (default: users for normal users, nogroup otherwise)."),
		m.Opt("extraGroups", strList(), []any{}, "The user's auxiliary groups."),
		m.Opt("description", m.Str(), "", "A short description of the user account (the GECOS field)."),
		m.Opt("home", m.NullOr(m.Path()), nil, "The user's home directory (default: /home/NAME for normal users, /root for root, /var/empty otherwise)."),
		m.Opt("createHome", m.Bool(), false, "Whether to create the home directory and make the user its owner (normal users always get one)."),
		m.Opt("shell", m.NullOr(m.Either(m.Package(), m.Path())), nil, "The user's login shell: a package (its bin/NAME) or a path."),
		m.Opt("hashedPassword", m.NullOr(m.Str()), nil, "The user's password hash (crypt(3) format), as in /etc/shadow."),
		m.Opt("initialPassword", m.NullOr(m.Str()), nil, "The user's password in clear text, set when the user is created."),
		m.Opt("initialHashedPassword", m.NullOr(m.Str()), nil, "The user's password hash, set when the user is created."),
		m.Opt("password", m.NullOr(m.Str()), nil, "The user's password in clear text, enforced on every activation (prefer hashedPassword)."),
		m.Opt("hashedPasswordFile", m.NullOr(m.Str()), nil, "A file (on the host) holding the user's password hash, read when the system is built."),
		m.Opt("openssh.authorizedKeys.keys", strList(), []any{}, "Public keys that may log in as this user over SSH."),
		m.Opt("openssh.authorizedKeys.keyFiles", m.ListOf(m.Path()), []any{}, "Files (on the host) holding public keys that may log in as this user over SSH."),
		m.Opt("packages", m.ListOf(m.Package()), []any{}, "Host packages this user needs (they must be present on the host)."),
	}
}

func groupDecls() []Decl {
	return []Decl{
		m.OptNoDefault("name", m.Str(), "The name of the group. If undefined, the name of the attribute set will be used."),
		m.Opt("gid", m.NullOr(m.Int()), nil, "The group GID. If null, one is allocated."),
		m.Opt("members", strList(), []any{}, "The user names of the group members."),
	}
}

func serviceDecls() []Decl {
	return []Decl{
		m.Opt("enable", m.Bool(), true, "Whether the service is enabled (installed and started when wanted)."),
		m.Opt("description", m.Str(), "", "Description of this unit used in systemd messages and progress indicators."),
		m.Opt("wantedBy", strList(), []any{}, "Units that want this one (e.g. multi-user.target): it starts with them."),
		m.Opt("requiredBy", strList(), []any{}, "Units that require this one."),
		m.Opt("after", strList(), []any{}, "Start this unit after the listed units."),
		m.Opt("before", strList(), []any{}, "Start this unit before the listed units."),
		m.Opt("requires", strList(), []any{}, "Units this one requires."),
		m.Opt("wants", strList(), []any{}, "Units this one wants."),
		m.Opt("environment", m.AttrsOf(m.NullOr(m.OneOf(m.Str(), m.Path(), m.Package()))), map[string]any{}, "Environment variables passed to the service's processes."),
		m.Opt("path", m.ListOf(m.Either(m.Package(), m.Str())), []any{}, "Packages (their bin and sbin) or directories added to the service's PATH."),
		m.Opt("script", m.Lines(), "", "Shell commands executed as the service's main process."),
		m.Opt("preStart", m.Lines(), "", "Shell commands executed before the service's main process is started."),
		m.Opt("postStart", m.Lines(), "", "Shell commands executed after the service's main process is started."),
		m.Opt("serviceConfig", m.AttrsOf(m.UnitOption()), map[string]any{}, "Each attribute in this set specifies an option in the [Service] section of the unit."),
		m.Opt("unitConfig", m.AttrsOf(m.UnitOption()), map[string]any{}, "Each attribute in this set specifies an option in the [Unit] section of the unit."),
		m.Opt("restartIfChanged", m.Bool(), true, "Whether the service is restarted when its unit changed during a switch."),
		m.Opt("restartTriggers", m.ListOf(m.Unspecified()), []any{}, "Values whose change (between generations) restarts the service on a switch."),
		m.Opt("reloadTriggers", m.ListOf(m.Unspecified()), []any{}, "Values whose change (between generations) reloads the service on a switch."),
		m.Opt("startAt", m.Either(m.Str(), strList()), []any{}, "Start the service at these times (systemd.time(7) calendar events): a NAME.timer is made."),
		m.Opt("reloadIfChanged", m.Bool(), false, "Whether the service is reloaded instead of restarted when its unit changed."),
	}
}

func timerDecls() []Decl {
	return append(unitDecls(),
		m.Opt("timerConfig", m.AttrsOf(m.UnitOption()), map[string]any{}, "Each attribute in this set specifies an option in the [Timer] section of the unit."),
	)
}

// unitDecls are the options every kind of systemd unit has in NixOS
// (systemd.timers, systemd.paths, systemd.sockets): its [Unit] section and
// the units that pull it in.
func unitDecls() []Decl {
	return []Decl{
		m.Opt("enable", m.Bool(), true, "Whether the unit is enabled."),
		m.Opt("description", m.Str(), "", "Description of this unit."),
		m.Opt("wantedBy", strList(), []any{}, "Units that want this one: it starts with them."),
		m.Opt("requiredBy", strList(), []any{}, "Units that require this one."),
		m.Opt("after", strList(), []any{}, "Start this unit after the listed units."),
		m.Opt("before", strList(), []any{}, "Start this unit before the listed units."),
		m.Opt("requires", strList(), []any{}, "Units this one requires."),
		m.Opt("wants", strList(), []any{}, "Units this one wants."),
		m.Opt("partOf", strList(), []any{}, "Units whose stop or restart stops or restarts this one."),
		m.Opt("unitConfig", m.AttrsOf(m.UnitOption()), map[string]any{}, "Each attribute in this set specifies an option in the [Unit] section of the unit."),
	}
}

func pathDecls() []Decl {
	return append(unitDecls(),
		m.Opt("pathConfig", m.AttrsOf(m.UnitOption()), map[string]any{}, "Each attribute in this set specifies an option in the [Path] section of the unit (PathExists, PathChanged, Unit, ...)."),
	)
}

func socketDecls() []Decl {
	return append(unitDecls(),
		m.Opt("listenStreams", strList(), []any{}, "For each item in this list, a ListenStream option in the [Socket] section will be created."),
		m.Opt("listenDatagrams", strList(), []any{}, "For each item in this list, a ListenDatagram option in the [Socket] section will be created."),
		m.Opt("socketConfig", m.AttrsOf(m.UnitOption()), map[string]any{}, "Each attribute in this set specifies an option in the [Socket] section of the unit."),
	)
}

func etcDecls() []Decl {
	return []Decl{
		m.Opt("enable", m.Bool(), true, "Whether this /etc file should be generated."),
		m.Opt("text", m.NullOr(m.Lines()), nil, "Text of the file."),
		m.Opt("source", m.NullOr(m.Either(m.Path(), m.Package())), nil, "Path of the source file (copied into the generation)."),
		m.Opt("target", m.NullOr(m.Str()), nil, "Name of the file relative to /etc (default: the attribute name)."),
		m.Opt("mode", m.Str(), "symlink", "If not \"symlink\", the file is copied (not linked) with this octal mode."),
		m.Opt("user", m.Str(), "+0", "Owner of a copied file (name or +UID)."),
		m.Opt("group", m.Str(), "+0", "Group of a copied file (name or +GID)."),
	}
}

func portRange() *m.Type {
	return m.Submodule(
		m.OptNoDefault("from", m.Port(), "First port of the range."),
		m.OptNoDefault("to", m.Port(), "Last port of the range."),
	)
}

func listenDecls() []Decl {
	return []Decl{
		m.Opt("ip", m.Str(), "*", "IP address to listen on (\"*\" for all)."),
		m.OptNoDefault("port", m.Port(), "Port to listen on."),
	}
}

func vhostDecls() []Decl {
	return []Decl{
		m.OptNoDefault("hostName", m.Str(), "Canonical hostname for the server (default: the attribute name)."),
		m.Opt("serverAliases", strList(), []any{}, "Additional names of virtual hosts served by this virtual host configuration."),
		m.Opt("documentRoot", m.NullOr(m.Path()), nil, "The path of Apache's document root directory for this host (null: an empty directory)."),
		m.Opt("listen", m.ListOf(m.Submodule(listenDecls()...)), []any{}, "Addresses and ports this virtual host listens on (empty: the server's)."),
		m.Opt("adminAddr", m.NullOr(m.Str()), nil, "E-mail address of the server administrator for this host."),
		m.Opt("extraConfig", m.Lines(), "", "Configuration lines appended to this virtual host's section."),
	}
}

func assertionDecls() []Decl {
	return []Decl{
		m.OptNoDefault("assertion", m.Bool(), "The condition that must hold."),
		m.OptNoDefault("message", m.Str(), "The message shown when it does not."),
	}
}

// All returns every option nixcsh implements, sorted by path.
func All() []Decl {
	ds := []Decl{
		m.Opt("boot.isContainer", m.Bool(), false, "Whether this NixOS machine is a lightweight container running in another NixOS system."),
		m.Opt("system.stateVersion", m.Str(), "24.11", "The NixOS release the state of this system (databases, ...) was first created with."),
		m.Opt("networking.hostName", m.StrMatching("^$|^[[:alnum:]]([[:alnum:]_-]{0,61}[[:alnum:]])?$"), "nixos", "The name of the machine."),
		m.Opt("networking.useDHCP", m.Bool(), true, "Whether to use DHCP to configure the network interfaces (containers get their address from the host)."),
		m.Opt("networking.nameservers", strList(), []any{}, "The list of nameservers written to /etc/resolv.conf."),
		m.Opt("networking.hosts", m.AttrsOf(strList()), map[string]any{}, "Locally defined maps of IP addresses to host names (written to /etc/hosts)."),
		m.Opt("networking.useHostResolvConf", m.Bool(), true, "In containers, whether to use the host's /etc/resolv.conf (when networking.nameservers is empty)."),
		m.Opt("networking.extraHosts", m.Lines(), "", "Additional verbatim entries appended to /etc/hosts."),
		m.Opt("networking.firewall.enable", m.Bool(), true, "Whether to enable the firewall: new inbound connections are dropped unless a port is allowed."),
		m.Opt("networking.firewall.allowedTCPPorts", m.ListOf(m.Port()), []any{}, "TCP ports on which incoming connections are accepted."),
		m.Opt("networking.firewall.allowedUDPPorts", m.ListOf(m.Port()), []any{}, "UDP ports on which incoming packets are accepted."),
		m.Opt("networking.firewall.allowedTCPPortRanges", m.ListOf(portRange()), []any{}, "Ranges of TCP ports ({ from, to }) on which incoming connections are accepted."),
		m.Opt("networking.firewall.allowedUDPPortRanges", m.ListOf(portRange()), []any{}, "Ranges of UDP ports ({ from, to }) on which incoming packets are accepted."),
		m.Opt("networking.firewall.interfaces", m.AttrsOf(m.Submodule(
			m.Opt("allowedTCPPorts", m.ListOf(m.Port()), []any{}, "TCP ports on which incoming connections are accepted on this interface."),
			m.Opt("allowedUDPPorts", m.ListOf(m.Port()), []any{}, "UDP ports on which incoming packets are accepted on this interface."),
			m.Opt("allowedTCPPortRanges", m.ListOf(portRange()), []any{}, "Ranges of TCP ports accepted on this interface."),
			m.Opt("allowedUDPPortRanges", m.ListOf(portRange()), []any{}, "Ranges of UDP ports accepted on this interface."),
		)), map[string]any{}, "Ports opened on one interface only (the container's is eth0; a name ending in + matches every interface it begins)."),
		m.Opt("networking.firewall.trustedInterfaces", strList(), []any{}, "Interfaces all of whose traffic is accepted (a name ending in + matches every interface it begins)."),
		m.Opt("networking.firewall.allowPing", m.Bool(), true, "Whether to answer ICMP echo requests."),
		m.Opt("time.timeZone", m.NullOr(m.StrMatching("^[^ ]+$")), nil, "The time zone used when displaying times and dates (null: UTC)."),
		m.Opt("users.mutableUsers", m.Bool(), true, "If true, users and groups created inside the container are kept, and passwords changed there survive updates."),
		m.Opt("users.users", m.AttrsOf(m.Submodule(userDecls()...)), map[string]any{}, "Additional user accounts to be created."),
		m.Opt("users.groups", m.AttrsOf(m.Submodule(groupDecls()...)), map[string]any{}, "Additional groups to be created."),
		{Path: "users.extraUsers", Type: m.AttrsOf(m.Unspecified()), AliasOf: "users.users", Description: "Alias of users.users (its definitions merge into it)."},
		{Path: "users.extraGroups", Type: m.AttrsOf(m.Unspecified()), AliasOf: "users.groups", Description: "Alias of users.groups (its definitions merge into it)."},
		m.Opt("services.openssh.enable", m.Bool(), false, "Whether to enable the OpenSSH secure shell daemon (the host's /usr/sbin/sshd)."),
		m.Opt("services.openssh.ports", m.ListOf(m.Port()), []any{int64(22)}, "Specifies on which ports the SSH daemon listens."),
		m.Opt("services.openssh.openFirewall", m.Bool(), true, "Whether to open the SSH ports in the firewall."),
		m.Opt("services.openssh.settings.PermitRootLogin", m.Enum("yes", "without-password", "prohibit-password", "forced-commands-only", "no"), "prohibit-password", "Whether the root user can log in using ssh."),
		m.Opt("services.openssh.settings.PasswordAuthentication", m.Bool(), true, "Whether password authentication is allowed."),
		m.Opt("services.openssh.settings.KbdInteractiveAuthentication", m.Bool(), false, "Whether keyboard-interactive authentication is allowed."),
		m.Opt("services.openssh.settings.X11Forwarding", m.Bool(), false, "Whether X11 connections may be forwarded."),
		m.Opt("services.openssh.settings.LogLevel", m.Enum("QUIET", "FATAL", "ERROR", "INFO", "VERBOSE", "DEBUG", "DEBUG1", "DEBUG2", "DEBUG3"), "INFO", "The verbosity of sshd's log."),
		m.Opt("services.openssh.settings.UseDns", m.Bool(), false, "Whether sshd looks up the remote host name."),
		m.Opt("services.openssh.settings.AllowUsers", m.NullOr(strList()), nil, "If set, only these users may log in."),
		m.Opt("services.openssh.settings.AllowGroups", m.NullOr(strList()), nil, "If set, only members of these groups may log in."),
		m.Opt("services.openssh.extraConfig", m.Lines(), "", "Verbatim contents of sshd_config."),
		m.Opt("services.openssh.authorizedKeysFiles", strList(), []any{}, "Further files (patterns of sshd_config(5)'s AuthorizedKeysFile) holding authorized keys."),
		m.Opt("services.openssh.listenAddresses", m.ListOf(m.Submodule(
			m.OptNoDefault("addr", m.Str(), "Host, IPv4 or IPv6 address to listen to."),
			m.Opt("port", m.NullOr(m.Port()), nil, "Port to listen to (null: the ports of services.openssh.ports)."),
		)), []any{}, "Addresses and ports sshd listens on (empty: all addresses)."),
		m.Opt("services.httpd.enable", m.Bool(), false, "Whether to enable the Apache HTTP Server (the host's /usr/sbin/apache2)."),
		m.Opt("services.httpd.adminAddr", m.NullOr(m.Str()), nil, "E-mail address of the server administrator (ServerAdmin)."),
		m.Opt("services.httpd.documentRoot", m.NullOr(m.Path()), nil, "The path of Apache's document root directory (null: an empty directory, so Apache lists \"Index of /\")."),
		m.Opt("services.httpd.port", m.Port(), int64(80), "The port Apache listens on when services.httpd.listen is empty."),
		m.Opt("services.httpd.listen", m.ListOf(m.Submodule(listenDecls()...)), []any{}, "Addresses and ports Apache listens on."),
		m.Opt("services.httpd.user", m.Str(), "www-data", "User account under which Apache's workers run."),
		m.Opt("services.httpd.group", m.Str(), "www-data", "Group under which Apache's workers run."),
		m.Opt("services.httpd.extraConfig", m.Lines(), "", "Configuration lines appended to the generated Apache configuration file."),
		m.Opt("services.httpd.virtualHosts", m.AttrsOf(m.Submodule(vhostDecls()...)), map[string]any{}, "Specification of the virtual hosts served by Apache."),
		m.Opt("systemd.services", m.AttrsOf(m.Submodule(serviceDecls()...)), map[string]any{}, "Definition of systemd service units."),
		m.Opt("systemd.timers", m.AttrsOf(m.Submodule(timerDecls()...)), map[string]any{}, "Definition of systemd timer units."),
		m.Opt("systemd.paths", m.AttrsOf(m.Submodule(pathDecls()...)), map[string]any{}, "Definition of systemd path units."),
		m.Opt("systemd.sockets", m.AttrsOf(m.Submodule(socketDecls()...)), map[string]any{}, "Definition of systemd socket units."),
		m.Opt("systemd.tmpfiles.rules", strList(), []any{}, "Rules for creation, deletion and cleaning of volatile and temporary files (tmpfiles.d(5))."),
		m.Opt("environment.etc", m.AttrsOf(m.Submodule(etcDecls()...)), map[string]any{}, "Set of files that have to be linked in /etc."),
		m.Opt("environment.variables", m.AttrsOf(m.OneOf(m.ListOf(m.OneOf(m.Int(), m.Str(), m.Path())), m.Int(), m.Str(), m.Path())), map[string]any{}, "A set of environment variables used in the global environment (lists are joined with \":\")."),
		m.Opt("environment.sessionVariables", m.AttrsOf(m.OneOf(m.ListOf(m.OneOf(m.Int(), m.Str(), m.Path())), m.Int(), m.Str(), m.Path())), map[string]any{}, "Environment variables of every session (here: as environment.variables)."),
		m.Opt("environment.shellAliases", m.AttrsOf(m.NullOr(m.Str())), map[string]any{}, "Aliases for all users' shells (null removes one)."),
		m.Opt("environment.shellInit", m.Lines(), "", "Shell script code called during shell initialisation (/etc/profile)."),
		m.Opt("environment.loginShellInit", m.Lines(), "", "Shell script code called during login shell initialisation."),
		m.Opt("environment.interactiveShellInit", m.Lines(), "", "Shell script code called during interactive shell initialisation."),
		m.Opt("environment.systemPackages", m.ListOf(m.Package()), []any{}, "Host packages that must be present (their binaries are under the host's /usr)."),
		m.Opt("assertions", m.ListOf(m.Submodule(assertionDecls()...)), []any{}, "Conditions that must hold; if one fails, the build fails with its message."),
		m.Opt("warnings", strList(), []any{}, "Warnings printed when the system is built."),
	}
	ds = append(ds, familyDecls()...)
	sort.Slice(ds, func(i, j int) bool { return ds[i].Path < ds[j].Path })
	return ds
}

// Paths lists the option paths under prefix (all when prefix is ""),
// descending into submodules as NixOS writes them ("users.users.<name>.uid").
// It serves `nixcsh options PREFIX` and REPL completion.
func Paths(prefix string) []string {
	var out []string
	var walk func(base string, ds []Decl)
	walk = func(base string, ds []Decl) {
		for _, d := range ds {
			p := base + d.Path
			t := d.Type
			switch {
			case t.Name == "attrsOf" && t.Elem.Name == "submodule":
				walk(p+".<name>.", t.Elem.Options)
			case t.Name == "listOf" && t.Elem.Name == "submodule":
				out = append(out, p)
				walk(p+".*.", t.Elem.Options)
			default:
				out = append(out, p)
			}
		}
	}
	walk("", All())
	var sel []string
	for _, p := range out {
		if strings.HasPrefix(p, prefix) {
			sel = append(sel, p)
		}
	}
	sort.Strings(sel)
	return sel
}

// Lookup finds the declaration of a path as Paths writes it.
func Lookup(path string) (Decl, bool) {
	var find func(base string, ds []Decl) (Decl, bool)
	find = func(base string, ds []Decl) (Decl, bool) {
		for _, d := range ds {
			p := base + d.Path
			if p == path {
				return d, true
			}
			t := d.Type
			if t.Name == "attrsOf" && t.Elem.Name == "submodule" && strings.HasPrefix(path, p+".<name>.") {
				return find(p+".<name>.", t.Elem.Options)
			}
			if t.Name == "listOf" && t.Elem.Name == "submodule" && strings.HasPrefix(path, p+".*.") {
				return find(p+".*.", t.Elem.Options)
			}
		}
		return Decl{}, false
	}
	return find("", All())
}

// Listing is one option as `nixcsh options` prints it.
type Listing struct {
	Path        string `json:"path"` // "users.users.<name>.uid"
	Type        string `json:"type"` // NixOS's wording: "null or signed integer"
	Default     any    `json:"default,omitempty"`
	HasDefault  bool   `json:"hasDefault"`
	Description string `json:"description"`
}

// List describes the options under prefix (all when ""), sorted by path,
// submodule options included with NixOS's <name> placeholder.
func List(prefix string) []Listing {
	var out []Listing
	for _, p := range Paths(prefix) {
		d, ok := Lookup(p)
		if !ok {
			continue
		}
		out = append(out, Listing{Path: p, Type: d.Type.Description(), Default: d.Default, HasDefault: d.HasDefault, Description: d.Description})
	}
	return out
}
