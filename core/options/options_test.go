package options

import (
	"strings"
	"testing"
)

func TestPathsAndLookup(t *testing.T) {
	ps := Paths("services.openssh.settings.")
	want := []string{"services.openssh.settings.AllowGroups", "services.openssh.settings.AllowUsers", "services.openssh.settings.KbdInteractiveAuthentication",
		"services.openssh.settings.LogLevel", "services.openssh.settings.PasswordAuthentication", "services.openssh.settings.PermitRootLogin",
		"services.openssh.settings.UseDns", "services.openssh.settings.X11Forwarding"}
	if strings.Join(ps, ",") != strings.Join(want, ",") {
		t.Fatalf("Paths = %v", ps)
	}
	all := strings.Join(Paths(""), "\n")
	for _, p := range []string{"users.users.<name>.openssh.authorizedKeys.keys", "users.groups.<name>.gid", "systemd.services.<name>.serviceConfig",
		"environment.etc.<name>.text", "networking.firewall.allowedTCPPortRanges", "networking.firewall.allowedTCPPortRanges.*.from", "boot.isContainer"} {
		if !strings.Contains(all+"\n", p+"\n") {
			t.Errorf("Paths lacks %s", p)
		}
	}
	d, ok := Lookup("users.users.<name>.uid")
	if !ok || d.Type.Description() != "null or signed integer" || !d.HasDefault || d.Default != nil {
		t.Fatalf("Lookup uid: %+v %v", d, ok)
	}
	d, ok = Lookup("services.openssh.ports")
	if !ok || d.Type.Description() != "list of 16 bit unsigned integer; between 0 and 65535 (both inclusive)" || d.Description == "" {
		t.Fatalf("Lookup ports: %+v", d)
	}
	if _, ok := Lookup("services.nope"); ok {
		t.Fatal("Lookup found an undeclared option")
	}
}

func TestEveryDeclarationIsDocumented(t *testing.T) {
	var walk func(base string, ds []Decl)
	walk = func(base string, ds []Decl) {
		for _, d := range ds {
			if d.Description == "" || d.Type == nil {
				t.Errorf("%s%s lacks a type or description", base, d.Path)
			}
			if d.Type != nil && d.Type.Elem != nil {
				walk(base+d.Path+".<name>.", d.Type.Elem.Options)
			}
		}
	}
	walk("", All())
}

func TestRenderMissingServiceBinaryNamesPackage(t *testing.T) {
	host := &Host{Usr: t.TempDir(), DpkgStatus: "/nonexistent"}
	tree := map[string]any{"services": map[string]any{"openssh": map[string]any{"enable": true}}}
	_, err := Render(NewValues(tree), "foo", host, nil)
	if err == nil || !strings.Contains(err.Error(), "install the Debian package openssh-server") {
		t.Fatalf("sshd missing: %v", err)
	}
	tree = map[string]any{"services": map[string]any{"httpd": map[string]any{"enable": true}}}
	_, err = Render(NewValues(tree), "foo", host, nil)
	if err == nil || !strings.Contains(err.Error(), "install the Debian package apache2") {
		t.Fatalf("apache2 missing: %v", err)
	}
}

func TestRenderUsersAndGroups(t *testing.T) {
	tree := map[string]any{
		"users": map[string]any{
			"users": map[string]any{
				"alice": map[string]any{"isNormalUser": true, "extraGroups": []any{"wheel", "media"}, "hashedPassword": "$6$abc"},
				"svc":   map[string]any{"isSystemUser": true, "group": "svc"},
				"bob":   map[string]any{"isNormalUser": true, "uid": int64(2000), "shell": map[string]any{"name": "zsh", "pname": "zsh", "outPath": "/usr", "type": "derivation"}},
			},
			"groups": map[string]any{"svc": map[string]any{}, "media": map[string]any{"gid": int64(3000), "members": []any{"bob"}}},
		},
	}
	g, err := Render(NewValues(tree), "foo", DefaultHost(), nil)
	if err != nil {
		t.Fatal(err)
	}
	passwd := string(g.Files["etc/passwd"].Data)
	for _, l := range []string{"alice:x:1000:100::/home/alice:/bin/bash\n", "bob:x:2000:100::/home/bob:/usr/bin/zsh\n", "svc:x:999:999::/var/empty:/usr/sbin/nologin\n"} {
		if !strings.Contains(passwd, l) {
			t.Errorf("passwd lacks %q:\n%s", l, passwd)
		}
	}
	group := string(g.Files["etc/group"].Data)
	for _, l := range []string{"wheel:x:1:alice\n", "media:x:3000:bob,alice\n", "svc:x:999:\n"} {
		if !strings.Contains(group, l) {
			t.Errorf("group lacks %q:\n%s", l, group)
		}
	}
	if shadow := string(g.Files["etc/shadow"].Data); !strings.Contains(shadow, "alice:$6$abc:1::::::\n") || !strings.Contains(shadow, "bob:*:1::::::\n") {
		t.Errorf("shadow:\n%s", shadow)
	}
	if !strings.Contains(string(g.Files["etc/tmpfiles.d/nixos.conf"].Data), "d /home/alice 0700 alice users -\n") {
		t.Error("home of a normal user not created")
	}
}

func TestList(t *testing.T) {
	l := List("services.httpd.enable")
	if len(l) != 1 || l[0].Type != "boolean" || l[0].Default != false || !l[0].HasDefault || !strings.Contains(l[0].Description, "Apache") {
		t.Fatalf("List = %+v", l)
	}
	if l := List("users.users.<name>.shell"); len(l) != 1 || l[0].Type != "null or package or path" {
		t.Fatalf("List = %+v", l)
	}
}

// A service required by a target is wanted even when startAt gives it a
// timer (the timer once took the mark, being the unit added last).
func TestRequiredServiceWithTimerIsWanted(t *testing.T) {
	tree := map[string]any{"systemd": map[string]any{"services": map[string]any{
		"job": map[string]any{"script": "true", "startAt": "daily", "requiredBy": []any{"x.target"}, "partOf": []any{"y.service"}},
	}}}
	g, err := Render(NewValues(tree), "foo", DefaultHost(), nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, u := range g.Units {
		if u.Name == "job.service" && !u.Wanted {
			t.Error("job.service, required by x.target, is not marked wanted")
		}
	}
	if g.Files["etc/systemd/system/x.target.requires/job.service"] == nil {
		t.Error("no x.target.requires link")
	}
	if unit := string(g.Files["etc/systemd/system/job.service"].Data); !strings.Contains(unit, "PartOf=y.service\n") {
		t.Errorf("job.service lacks PartOf:\n%s", unit)
	}
}
