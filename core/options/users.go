package options

import (
	"fmt"
	"sort"
	"strings"

	m "github.com/nixcsh/nixcsh/core/module"
)

// declareUsers declares users.users and users.groups. renderUsers gives every
// account and group its id (allocated as NixOS does) and writes
// /etc/passwd, /etc/group and /etc/shadow; activation (core/system) merges
// them with the accounts made inside the container when users.mutableUsers
// is true.
func declareUsers() []Decl {
	return []Decl{
		m.Opt("users.mutableUsers", m.Bool(), true, "If true, users and groups created inside the container are kept, and passwords changed there survive updates."),
		m.Opt("users.users", m.AttrsOf(m.Submodule(userDecls()...)), map[string]any{}, "Additional user accounts to be created."),
		m.Opt("users.groups", m.AttrsOf(m.Submodule(groupDecls()...)), map[string]any{}, "Additional groups to be created."),
		{Path: "users.extraUsers", Type: m.AttrsOf(m.Unspecified()), AliasOf: "users.users", Description: "Alias of users.users (its definitions merge into it)."},
		{Path: "users.extraGroups", Type: m.AttrsOf(m.Unspecified()), AliasOf: "users.groups", Description: "Alias of users.groups (its definitions merge into it)."},
	}
}

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

type fixedGroup struct {
	name string
	gid  int
}

// The groups every container has, with NixOS's ids where NixOS has one.
var baseGroups = []fixedGroup{
	{"root", 0}, {"wheel", 1}, {"kmem", 2}, {"tty", 3}, {"messagebus", 4}, {"disk", 6},
	{"utmp", 29}, {"systemd-journal", 62}, {"users", 100}, {"nogroup", 65534},
}

// accounts are the users and groups of a generation while renderUsers
// makes them, by name.
type accounts struct {
	users  map[string]*User
	groups map[string]*Group
	alloc  []pending // the users whose uid is to be allocated
}

type pending struct {
	u      *User
	system bool // allocated from 999 down (not from 1000 up)
}

func renderUsers(v Values, g *Generation, h *Host) error {
	a := baseAccounts(v)
	gnames, gsubs := v.Subs("users.groups")
	for _, n := range gnames {
		gs := gsubs[n]
		gr := a.groups[n]
		if gr == nil {
			gr = &Group{Name: n}
			a.groups[n] = gr
		}
		if gid, ok := gs.Int("gid"); ok {
			gr.GID, gr.GIDFixed = int(gid), true
		}
		gr.Members = append(gr.Members, gs.Strings("members")...)
	}
	unames, usubs := v.Subs("users.users")
	for _, n := range unames {
		if err := a.addUser(n, usubs[n], g, h); err != nil {
			return err
		}
	}
	a.allocateIDs()
	if err := a.joinGroups(); err != nil {
		return err
	}
	writeAccounts(a, g)
	return nil
}

// baseAccounts are the accounts every container has, and those of the
// services rendered in Go.
func baseAccounts(v Values) *accounts {
	a := &accounts{groups: map[string]*Group{}, users: map[string]*User{
		"root":       {Name: "root", UID: 0, Group: "root", Description: "System administrator", Home: "/root", Shell: "/bin/bash", Password: "*", InitialOnly: true, UIDFixed: true},
		"nobody":     {Name: "nobody", UID: 65534, Group: "nogroup", Description: "Unprivileged account (don't use!)", Home: "/var/empty", Shell: "/usr/sbin/nologin", Password: "*", UIDFixed: true},
		"messagebus": {Name: "messagebus", UID: 4, Group: "messagebus", Description: "D-Bus system message bus daemon user", Home: "/run/dbus", Shell: "/usr/sbin/nologin", Password: "*", UIDFixed: true},
	}}
	for _, fg := range baseGroups {
		a.groups[fg.name] = &Group{Name: fg.name, GID: fg.gid, GIDFixed: true}
	}
	if v.Bool("services.openssh.enable") {
		a.groups["sshd"] = &Group{Name: "sshd"}
		u := &User{Name: "sshd", Group: "sshd", Description: "SSH privilege separation user", Home: "/var/empty", Shell: "/usr/sbin/nologin", Password: "*"}
		a.users["sshd"] = u
		a.alloc = append(a.alloc, pending{u, true})
	}
	if v.Bool("services.httpd.enable") {
		a.groups["www-data"] = &Group{Name: "www-data", GID: 33, GIDFixed: true}
		a.users["www-data"] = &User{Name: "www-data", UID: 33, Group: "www-data", Description: "Apache httpd user", Home: "/var/www", Shell: "/usr/sbin/nologin", Password: "*", UIDFixed: true}
	}
	return a
}

// addUser applies users.users.<n> to its account, and writes its
// authorized SSH keys.
func (a *accounts) addUser(n string, us Values, g *Generation, h *Host) error {
	normal := us.Bool("isNormalUser")
	system := us.Bool("isSystemUser")
	if normal && system {
		return invalid("Exactly one of users.users.%s.isSystemUser and users.users.%s.isNormalUser must be set.", n, n)
	}
	if alias := us.Str("name"); alias != "" && alias != n {
		n = alias // users.users.<attr>.name names the account
	}
	u := a.users[n]
	if u == nil {
		u = &User{Name: n, Password: "*", InitialOnly: true}
		a.users[n] = u
		switch {
		case normal:
			u.Group, u.Home, u.Shell, u.CreateHome = "users", "/home/"+n, "/bin/bash", true
		default:
			u.Group, u.Home, u.Shell = "nogroup", "/var/empty", "/usr/sbin/nologin"
		}
	}
	u.IsNormal = normal
	if uid, ok := us.Int("uid"); ok {
		u.UID, u.UIDFixed = int(uid), true
	} else if !u.UIDFixed {
		a.alloc = append(a.alloc, pending{u, !normal})
	}
	if gname := us.Str("group"); gname != "" {
		u.Group = gname
	}
	if d := us.Str("description"); d != "" {
		u.Description = d
	}
	if h := us.Str("home"); h != "" {
		u.Home = h
	}
	if us.Bool("createHome") {
		u.CreateHome = true
	}
	if sh := us.Get("shell"); sh != nil {
		if mp, ok := sh.(map[string]any); ok && mp["mainProgram"] != nil && mp["outPath"] == "/usr" {
			u.Shell = shellOf(asString(mp["mainProgram"]), h)
		} else if pn := pkgName(sh); pn != "" {
			u.Shell = asString(sh) + "/bin/" + pn
		} else {
			u.Shell = asString(sh)
		}
	}
	u.ExtraGroups = us.Strings("extraGroups")
	if err := setPassword(u, n, us); err != nil {
		return err
	}
	keys := us.Strings("openssh.authorizedKeys.keys")
	for _, kf := range us.Strings("openssh.authorizedKeys.keyFiles") {
		data, err := readSource(kf)
		if err != nil {
			return invalid("users.users.%s.openssh.authorizedKeys.keyFiles: cannot read %s: %v", n, kf, err)
		}
		keys = append(keys, strings.TrimRight(string(data), "\n"))
	}
	if err := checkPackages(us.List("packages"), "users.users."+n+".packages", h); err != nil {
		return err
	}
	if len(keys) > 0 {
		g.Files["etc/ssh/authorized_keys.d/"+n] = &File{
			Data: []byte(strings.Join(keys, "\n") + "\n"), Mode: 0o444, CopyMode: "0444", User: "+0", Group: "+0",
		}
	}
	return nil
}

// setPassword takes the first password option set, in NixOS's order of
// precedence; the initial ones apply only when the account is created.
func setPassword(u *User, n string, us Values) error {
	switch {
	case !us.IsNull("hashedPassword"):
		u.Password, u.InitialOnly, u.PasswordFixed = us.Str("hashedPassword"), false, true
	case !us.IsNull("hashedPasswordFile"):
		data, err := readSource(us.Str("hashedPasswordFile"))
		if err != nil {
			return invalid("users.users.%s.hashedPasswordFile: cannot read %s: %v", n, us.Str("hashedPasswordFile"), err)
		}
		u.Password, u.InitialOnly, u.PasswordFixed = strings.TrimSpace(string(data)), false, true
	case !us.IsNull("password"):
		u.Password, u.InitialOnly, u.PasswordFixed = CryptSHA512(us.Str("password"), "nixcsh"+n), false, true
	case !us.IsNull("initialHashedPassword"):
		u.Password, u.InitialOnly = us.Str("initialHashedPassword"), true
	case !us.IsNull("initialPassword"):
		u.Password, u.InitialOnly = CryptSHA512(us.Str("initialPassword"), "nixcsh"+n), true
	}
	return nil
}

// allocateIDs gives ids to the accounts without one: normal users from
// 1000 up, system users and groups from 999 down, skipping ids already
// taken, in name order (deterministic).
func (a *accounts) allocateIDs() {
	usedU := map[int]bool{}
	for _, u := range a.users {
		if u.UIDFixed {
			usedU[u.UID] = true
		}
	}
	sort.Slice(a.alloc, func(i, j int) bool { return a.alloc[i].u.Name < a.alloc[j].u.Name })
	nextNormal, nextSystem := 1000, 999
	for _, p := range a.alloc {
		if p.system {
			for usedU[nextSystem] {
				nextSystem--
			}
			p.u.UID = nextSystem
		} else {
			for usedU[nextNormal] {
				nextNormal++
			}
			p.u.UID = nextNormal
		}
		usedU[p.u.UID] = true
	}
	usedG := map[int]bool{}
	var gfree []*Group
	for _, gr := range a.groups {
		if gr.GIDFixed {
			usedG[gr.GID] = true
		} else {
			gfree = append(gfree, gr)
		}
	}
	sort.Slice(gfree, func(i, j int) bool { return gfree[i].Name < gfree[j].Name })
	nextG := 999
	for _, gr := range gfree {
		for usedG[nextG] {
			nextG--
		}
		gr.GID = nextG
		usedG[nextG] = true
	}
}

// joinGroups gives each user its primary group's id and adds it to the
// members of its extraGroups.
func (a *accounts) joinGroups() error {
	for _, u := range a.users {
		gr := a.groups[u.Group]
		if gr == nil {
			return invalid("users.users.%s.group is '%s', but no such group exists; declare users.groups.%s = {};", u.Name, u.Group, u.Group)
		}
		u.GID = gr.GID
		for _, eg := range u.ExtraGroups {
			if gr := a.groups[eg]; gr != nil {
				gr.Members = append(gr.Members, u.Name)
			}
		}
	}
	return nil
}

// writeAccounts puts the accounts in the generation, by id, and writes
// /etc/passwd, /etc/group and /etc/shadow from them.
func writeAccounts(a *accounts, g *Generation) {
	for _, u := range a.users {
		g.Users = append(g.Users, *u)
	}
	sort.Slice(g.Users, func(i, j int) bool {
		return g.Users[i].UID < g.Users[j].UID || g.Users[i].UID == g.Users[j].UID && g.Users[i].Name < g.Users[j].Name
	})
	for _, gr := range a.groups {
		gr.Members = dedupe(gr.Members)
		g.Groups = append(g.Groups, *gr)
	}
	sort.Slice(g.Groups, func(i, j int) bool {
		return g.Groups[i].GID < g.Groups[j].GID || g.Groups[i].GID == g.Groups[j].GID && g.Groups[i].Name < g.Groups[j].Name
	})

	var passwd, group, shadow strings.Builder
	for _, u := range g.Users {
		fmt.Fprintf(&passwd, "%s:x:%d:%d:%s:%s:%s\n", u.Name, u.UID, u.GID, u.Description, u.Home, u.Shell)
		fmt.Fprintf(&shadow, "%s:%s:1::::::\n", u.Name, u.Password)
	}
	for _, gr := range g.Groups {
		fmt.Fprintf(&group, "%s:x:%d:%s\n", gr.Name, gr.GID, strings.Join(gr.Members, ","))
	}
	g.text("etc/passwd", passwd.String())
	g.text("etc/group", group.String())
	g.Files["etc/shadow"] = &File{Data: []byte(shadow.String()), Mode: 0o400}
}
