package shell

import (
	"context"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

// testOptionPaths is a fixed list in the form core/options.Paths gives.
var testOptionPaths = []string{
	"boot.isContainer",
	"networking.firewall.allowedTCPPorts",
	"networking.firewall.enable",
	"networking.hostName",
	"services.httpd.enable",
	"services.openssh.enable",
	"services.openssh.ports",
	"services.openssh.settings.PermitRootLogin",
	"services.httpd.listen",
	"services.httpd.listen.*.port",
	"users.users.<name>.isNormalUser",
	"users.users.<name>.openssh.authorizedKeys.keys",
}

func testCompleter(t *testing.T) *Completer {
	dir := t.TempDir()
	for _, f := range []string{"web.nix", "my file.nix", "setup.lua", ".hidden", "sub/inner.nix"} {
		p := filepath.Join(dir, f)
		os.MkdirAll(filepath.Dir(p), 0o755)
		os.WriteFile(p, nil, 0o644)
	}
	net := t.TempDir()
	for _, d := range []string{"br0/bridge", "virbr0/bridge", "eth0", "lo"} {
		os.MkdirAll(filepath.Join(net, d), 0o755)
	}
	return &Completer{
		Names:       func(context.Context) []string { return []string{"foo", "fob", "bar"} },
		OptionPaths: func() []string { return testOptionPaths },
		LuaNames:    (&fakeLua{}).Names,
		NetDir:      net,
		Dir:         dir,
	}
}

func TestComplete(t *testing.T) {
	c := testCompleter(t)
	for _, tc := range []struct {
		line    string
		partial string
		want    []string
	}{
		{"sta", "sta", []string{"start ", "status "}},
		{"  des", "des", []string{"destroy "}},
		{"his", "his", []string{"history "}},
		{"list; sta", "sta", []string{"start ", "status "}},
		{"--root /x sta", "sta", []string{"start ", "status "}},
		{"--ro", "--ro", []string{"--root "}},
		{"start f", "f", []string{"fob ", "foo "}},
		{"start ", "", []string{"bar ", "fob ", "foo "}},
		{"start 'fo", "'fo", []string{"'fob' ", "'foo' "}},
		{"status foo ", "", nil},
		{"start --", "--", []string{"--all-autostart ", "--backend ", "--cluster ", "--etcd-ca ", "--etcd-cert ", "--etcd-key ", "--help ", "--insecure ", "--plugin-dir ", "--root "}},
		{"status foo --j", "--j", []string{"--json "}},
		{"create web --br", "--br", []string{"--bridge "}},
		{"create web --config x --con", "--con", []string{"--config-file "}},
		{"create web --bridge ", "", []string{"br0 ", "virbr0 "}},
		{"create web --bridge=v", "--bridge=v", []string{"--bridge=virbr0 "}},
		{"create web --macvlan ", "", []string{"br0 ", "eth0 ", "virbr0 "}},
		{"update web --macvlan e", "e", []string{"eth0 "}},
		{"create web --config-file w", "w", []string{"web.nix "}},
		{"create web --config-file ", "", []string{"my\\ file.nix ", "setup.lua ", "sub/", "web.nix "}},
		{"create web --config-file my", "my", []string{"my\\ file.nix "}},
		{"create web --config-file 'my", "'my", []string{"'my file.nix' "}},
		{"create web --config-file sub/", "sub/", []string{"sub/inner.nix "}},
		{"create web --config-file .h", ".h", []string{".hidden "}},
		{"source ", "", []string{"setup.lua ", "sub/"}},
		{"create web --config 'services.op", "services.op", []string{"services.openssh."}},
		{"create web --config 'services.", "services.", []string{"services.httpd.", "services.openssh."}},
		{"create web --config 'services.openssh.e", "services.openssh.e", []string{"services.openssh.enable"}},
		{"create web --config 'services.openssh.enable = true;\n  networking.f", "networking.f", []string{"networking.firewall."}},
		{"update web --config \"users.users.root.op", "users.users.root.op", []string{"users.users.root.openssh."}},
		{"create web --config 'users.users.", "users.users.", nil},
		{"create web --config 'services.httpd.listen.", "services.httpd.listen.", nil},
		{"create web --port tcp:", "tcp:", nil},
		{"create web --private-users ", "", []string{"identity ", "no ", "pick "}},
		{"update web --private-users=p", "--private-users=p", []string{"--private-users=pick "}},
		{"create web --bind sub/", "sub/", []string{"sub/inner.nix "}},
		// --bind may be given again; --memory only once.
		{"create web --bind /a --memory 1G --bi", "--bi", []string{"--bind ", "--bind-ro "}},
		{"create web --memory 1G --mem", "--mem", nil},
		{"update web --io", "--io", []string{"--io-weight "}},
		{"show-config foo serv", "serv", []string{"services."}},
		{"show-config foo services.openssh.p", "services.openssh.p", []string{"services.openssh.ports"}},
		{"help st", "st", []string{"start ", "status ", "stop "}},
		{"help start ", "", nil},
		{"run foo -- ls", "ls", nil},
		{"lua nixcsh.s", "nixcsh.s", []string{"nixcsh.start", "nixcsh.status"}},
		{"lua for _, n in ip", "ip", []string{"ipairs"}},
		{"lu", "lu", []string{"lua "}},
		{"nosuchverb ", "", nil},
	} {
		got := c.Complete(context.Background(), tc.line)
		if len(got.Candidates) == 0 && len(tc.want) == 0 {
			continue
		}
		if got.Partial != tc.partial || !reflect.DeepEqual(got.Candidates, tc.want) {
			t.Errorf("Complete(%q) = %q %q, want %q %q", tc.line, got.Partial, got.Candidates, tc.partial, tc.want)
		}
	}
}

func TestCompleteAllCommands(t *testing.T) {
	got := testCompleter(t).Complete(context.Background(), "")
	joined := strings.Join(got.Candidates, "|")
	for _, w := range []string{"create ", "list ", "run ", "show-ip ", "completion ", "help ", "exit ", "lua ", "source ", "root "} {
		if !strings.Contains(joined, w) {
			t.Errorf("completing an empty line misses %q: %q", w, got.Candidates)
		}
	}
}

// The readline adapter inserts suffixes after the partial word.
func TestReadlineCompleter(t *testing.T) {
	rc := readlineCompleter{complete: func(line string) Completion {
		return testCompleterFixed.Complete(context.Background(), line)
	}}
	line := []rune("create web --config 'services.op' --auto-start")
	pos := len("create web --config 'services.op")
	got, n := rc.Do(line, pos)
	if n != len("services.op") || len(got) != 1 || string(got[0]) != "enssh." {
		t.Fatalf("Do = %q, %d", got, n)
	}
}

var testCompleterFixed = &Completer{OptionPaths: func() []string { return testOptionPaths }}

func TestOptionSteps(t *testing.T) {
	got := optionSteps(testOptionPaths, "")
	want := []string{"boot.", "networking.", "services.", "users."}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("optionSteps(\"\") = %q, want %q", got, want)
	}
	got = optionSteps(testOptionPaths, "users.users.alice.")
	want = []string{"users.users.alice.isNormalUser", "users.users.alice.openssh."}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("optionSteps(users.users.alice.) = %q, want %q", got, want)
	}
}
