package options

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// nested turns {"a.b.c": x} into {"a": {"b": {"c": x}}}, so that a test
// configuration reads as option paths.
func nested(flat map[string]any) map[string]any {
	tree := map[string]any{}
	for path, x := range flat {
		parts := strings.Split(path, ".")
		cur := tree
		for _, p := range parts[:len(parts)-1] {
			next, ok := cur[p].(map[string]any)
			if !ok {
				next = map[string]any{}
				cur[p] = next
			}
			cur = next
		}
		cur[parts[len(parts)-1]] = x
	}
	return tree
}

// fakeHost is a host /usr with the files the Go-rendered families need.
func fakeHost(t *testing.T) *Host {
	usr := t.TempDir()
	for _, rel := range []string{"sbin/sshd", "bin/ssh-keygen", "lib/openssh/sftp-server", "sbin/apache2", "bin/curl", "bin/bash", "share/zoneinfo/Europe/Paris"} {
		writeTestFile(t, filepath.Join(usr, rel), "")
	}
	for _, mod := range apacheModules {
		writeTestFile(t, filepath.Join(usr, "lib/apache2/modules/mod_"+mod+".so"), "")
	}
	return &Host{Usr: usr, DpkgStatus: "/nonexistent"}
}

func writeTestFile(t *testing.T, path, data string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(data), 0o644); err != nil {
		t.Fatal(err)
	}
}

// TestRenderersReadOnlyDeclaredOptions renders configurations that take
// every branch of the Go renderers in which they read an option: Values
// panics on an undeclared path, so a typo in any of them fails here instead
// of reading as null.
func TestRenderersReadOnlyDeclaredOptions(t *testing.T) {
	dir := t.TempDir()
	writeTestFile(t, filepath.Join(dir, "hash"), "$6$file\n")
	writeTestFile(t, filepath.Join(dir, "key.pub"), "ssh-ed25519 AAAA file\n")
	writeTestFile(t, filepath.Join(dir, "src.conf"), "from a file\n")
	writeTestFile(t, filepath.Join(dir, "tree/a.conf"), "in a tree\n")
	pkg := func(name string) map[string]any {
		return map[string]any{"name": name, "pname": name, "outPath": "/usr", "type": "derivation"}
	}
	cfg := nested(map[string]any{
		"networking.hostName":                                      "sink",
		"networking.nameservers":                                   []any{"192.0.2.53"},
		"networking.hosts":                                         map[string]any{"192.0.2.1": []any{"a", "b"}},
		"networking.extraHosts":                                    "192.0.2.2 c",
		"networking.firewall.allowedTCPPorts":                      []any{int64(80)},
		"networking.firewall.allowedUDPPortRanges":                 []any{map[string]any{"from": int64(100), "to": int64(200)}},
		"networking.firewall.interfaces":                           map[string]any{"eth0": map[string]any{"allowedTCPPorts": []any{int64(8080)}, "allowedTCPPortRanges": []any{map[string]any{"from": int64(1), "to": int64(2)}}}},
		"networking.firewall.trustedInterfaces":                    []any{"ve-+"},
		"time.timeZone":                                            "Europe/Paris",
		"environment.variables":                                    map[string]any{"FOO": "bar", "P": []any{"/a", "/b"}},
		"environment.sessionVariables":                             map[string]any{"S": "x"},
		"environment.shellAliases":                                 map[string]any{"ll": "ls -l", "gone": nil},
		"environment.shellInit":                                    "echo init",
		"environment.interactiveShellInit":                         "echo interactive",
		"environment.systemPackages":                               []any{pkg("curl")},
		"environment.etc":                                          map[string]any{"text": map[string]any{"text": "hello"}, "copied": map[string]any{"text": "#!/bin/sh", "mode": "0755", "user": "alice"}, "file": map[string]any{"source": filepath.Join(dir, "src.conf"), "target": "sub/file"}, "tree": map[string]any{"source": filepath.Join(dir, "tree")}, "off": map[string]any{"enable": false}},
		"users.users.alice":                                        map[string]any{"isNormalUser": true, "extraGroups": []any{"wheel"}, "initialPassword": "pw", "description": "Alice", "openssh": map[string]any{"authorizedKeys": map[string]any{"keys": []any{"ssh-ed25519 AAAA alice"}, "keyFiles": []any{filepath.Join(dir, "key.pub")}}}, "packages": []any{pkg("curl")}},
		"users.users.svc":                                          map[string]any{"isSystemUser": true, "group": "svc", "home": "/var/lib/svc", "createHome": true, "hashedPasswordFile": filepath.Join(dir, "hash")},
		"users.users.bob":                                          map[string]any{"isNormalUser": true, "uid": int64(2000), "shell": pkg("bash"), "name": "robert"},
		"users.groups.svc":                                         map[string]any{},
		"users.groups.media":                                       map[string]any{"gid": int64(3000), "members": []any{"robert"}},
		"services.openssh.enable":                                  true,
		"services.openssh.listenAddresses":                         []any{map[string]any{"addr": "::1", "port": int64(22)}},
		"services.openssh.settings.AllowUsers":                     []any{"alice"},
		"services.openssh.extraConfig":                             "MaxAuthTries 3",
		"services.httpd.enable":                                    true,
		"services.httpd.adminAddr":                                 "root@example.org",
		"services.httpd.extraConfig":                               "ServerTokens Prod",
		"services.httpd.listen":                                    []any{map[string]any{"ip": "*", "port": int64(8080)}},
		"services.httpd.virtualHosts.site":                         map[string]any{"hostName": "site.example", "serverAliases": []any{"www"}, "adminAddr": "site@example.org", "extraConfig": "Header x", "listen": []any{map[string]any{"ip": "192.0.2.1", "port": int64(81)}}},
		"services.httpd.virtualHosts.other":                        map[string]any{},
		"systemd.services.job":                                     map[string]any{"description": "Job", "after": []any{"network.target"}, "partOf": []any{"x.service"}, "wantedBy": []any{"multi-user.target"}, "requiredBy": []any{"c.target"}, "environment": map[string]any{"A": "1"}, "path": []any{pkg("curl")}, "script": "echo hi", "preStart": "echo pre", "serviceConfig": map[string]any{"Type": "oneshot"}, "restartTriggers": []any{"t"}, "reloadTriggers": []any{"r"}, "startAt": "daily"},
		"systemd.timers.tick":                                      map[string]any{"wantedBy": []any{"timers.target"}, "timerConfig": map[string]any{"OnCalendar": "hourly"}},
		"systemd.paths.watch":                                      map[string]any{"requiredBy": []any{"d.target"}, "pathConfig": map[string]any{"PathChanged": "/etc/x"}},
		"systemd.sockets.sock":                                     map[string]any{"description": "Sock", "partOf": []any{"job.service"}, "listenStreams": []any{"1234"}, "listenDatagrams": []any{"5678"}},
		"systemd.tmpfiles.rules":                                   []any{"d /var/lib/x 0755 root root -"},
		"warnings":                                                 []any{"careful"},
		"users.users.carol.initialHashedPassword":                  "$6$carol",
		"users.users.dave.password":                                "secret",
		"users.users.erin.hashedPassword":                          "$6$erin",
		"systemd.services.off.enable":                              false,
		"networking.firewall.allowedTCPPortRanges":                 []any{map[string]any{"from": int64(10), "to": int64(20)}},
		"services.openssh.settings.AllowGroups":                    []any{"wheel"},
		"services.openssh.authorizedKeysFiles":                     []any{"/etc/keys/%u"},
		"environment.loginShellInit":                               "echo login",
		"networking.firewall.interfaces.eth1.allowedUDPPortRanges": []any{map[string]any{"from": int64(3), "to": int64(4)}},
	})
	// The empty configuration takes the branches of the defaults
	// (networking.useHostResolvConf is read only without nameservers).
	if _, err := Render(NewValues(nil), "empty", fakeHost(t), nil); err != nil {
		t.Fatal(err)
	}
	g, err := Render(NewValues(cfg), "sink", fakeHost(t), nil)
	if err != nil {
		t.Fatal(err)
	}
	for file, want := range map[string]string{
		"etc/ssh/sshd_config":             "AllowUsers alice\n",
		"etc/apache2/apache2.conf":        "ServerAlias www\n",
		"etc/systemd/system/sock.socket":  "ListenDatagram=5678\n",
		"etc/systemd/system/job.service":  "Environment=\"A=1\"\n",
		"etc/tmpfiles.d/nixos.conf":       "d /var/lib/svc 0700 svc svc -\n",
		"etc/ssh/authorized_keys.d/alice": "ssh-ed25519 AAAA file\n",
		"etc/sub/file":                    "from a file\n",
		"etc/tree/a.conf":                 "in a tree\n",
		"etc/profile":                     "alias ll='ls -l'\n",
	} {
		f := g.Files[file]
		if f == nil || !strings.Contains(string(f.Data), want) {
			t.Errorf("%s lacks %q", file, want)
		}
	}
}

func TestUndeclaredReadPanics(t *testing.T) {
	for _, c := range []struct {
		read func(Values)
		want string
	}{
		{func(v Values) { v.Bool("services.openssh.enabel") }, "services.openssh.enabel"},
		{func(v Values) {
			_, users := v.Subs("users.users")
			users["alice"].Bool("isNormalUsr")
		}, "users.users.alice.isNormalUsr"},
	} {
		func() {
			defer func() {
				if r := recover(); r == nil || !strings.Contains(r.(string), c.want) {
					t.Errorf("reading %s: recovered %v, want a panic naming it", c.want, r)
				}
			}()
			c.read(NewValues(nested(map[string]any{"users.users.alice.isNormalUser": true})))
		}()
	}
}
