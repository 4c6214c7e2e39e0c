package conf

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

func TestParseSize(t *testing.T) {
	for in, want := range map[string]uint64{
		"512M": 512 << 20, "1G": 1 << 30, "1.5G": 3 << 29, "2048": 2048, "64k": 64 << 10,
		"512MiB": 512 << 20, "1GB": 1 << 30, "1T": 1 << 40,
	} {
		got, err := ParseSize(in)
		if err != nil || got != want {
			t.Errorf("ParseSize(%q) = %d, %v; want %d", in, got, err, want)
		}
	}
	for _, bad := range []string{"", "M", "-1G", "0", "1e9", "lots", "1X", "0x10"} {
		if _, err := ParseSize(bad); err == nil || !strings.Contains(err.Error(), "512M") {
			t.Errorf("ParseSize(%q): error %v, want one showing the form (512M)", bad, err)
		}
	}
}

func TestParseCPUs(t *testing.T) {
	for in, want := range map[string]float64{"1": 1, "1.5": 1.5, "0.25": 0.25, "16": 16} {
		if got, err := ParseCPUs(in); err != nil || got != want {
			t.Errorf("ParseCPUs(%q) = %v, %v; want %v", in, got, err, want)
		}
	}
	for _, bad := range []string{"", "one", "1,5", "0", "-2", "1e3", "NaN", "Inf", "0.001"} {
		if _, err := ParseCPUs(bad); err == nil {
			t.Errorf("ParseCPUs(%q) accepted", bad)
		}
	}
}

// apply applies one flag's values to f and fails the test on error.
func apply(t *testing.T, f *File, flag string, values ...string) {
	t.Helper()
	if err := SettingByFlag(flag).Apply(f, values); err != nil {
		t.Fatalf("--%s %v: %v", flag, values, err)
	}
}

func applyErr(f *File, flag string, values ...string) string {
	err := SettingByFlag(flag).Apply(f, values)
	if err == nil {
		return ""
	}
	return err.Error()
}

func TestBindSettings(t *testing.T) {
	dir := t.TempDir()
	data, logs := filepath.Join(dir, "data"), filepath.Join(dir, "logs")
	os.Mkdir(data, 0o755)
	os.Mkdir(logs, 0o755)
	f, _ := Parse("EXTRA_NSPAWN_FLAGS=\"--capability=CAP_NET_ADMIN\"\n")
	apply(t, f, "bind", data+":/var/lib/data", logs+"/")
	apply(t, f, "bind-ro", data+":/srv")
	want := "--capability=CAP_NET_ADMIN --bind=" + data + ":/var/lib/data --bind=" + logs + " --bind-ro=" + data + ":/srv"
	if got := f.Get(ExtraNspawnFlags); got != want {
		t.Fatalf("EXTRA_NSPAWN_FLAGS = %q, want %q", got, want)
	}
	if got := SettingByFlag("bind").Values(f); !reflect.DeepEqual(got, []string{data + ":/var/lib/data", logs}) {
		t.Errorf("bind values %q", got)
	}
	if got := SettingByFlag("bind-ro").Values(f); !reflect.DeepEqual(got, []string{data + ":/srv"}) {
		t.Errorf("bind-ro values %q", got)
	}
	// Replacing the binds keeps the other words; '' removes them.
	apply(t, f, "bind", logs)
	apply(t, f, "bind-ro", "")
	if got := f.Get(ExtraNspawnFlags); got != "--capability=CAP_NET_ADMIN --bind="+logs {
		t.Errorf("after replace: %q", got)
	}
	apply(t, f, "bind", "")
	if got := f.Get(ExtraNspawnFlags); got != "--capability=CAP_NET_ADMIN" {
		t.Errorf("after removal: %q", got)
	}

	for _, c := range []struct{ value, want string }{
		{dir + "/missing", "the host path " + dir + "/missing does not exist"},
		{"data", "absolute paths"},
		{data + ":rel", "absolute paths"},
		{data + ":/a:/b", "':' separates the paths"},
		{dir + "/with space", "white space"},
	} {
		if got := applyErr(f, "bind", c.value); !strings.Contains(got, c.want) || !strings.Contains(got, "--bind "+c.value) {
			t.Errorf("--bind %q: error %q, want it to name the flag, the value and %q", c.value, got, c.want)
		}
	}
}

func TestScalarSettings(t *testing.T) {
	f, _ := Parse("PRIVATE_NETWORK=1\n")
	apply(t, f, "private-users", "pick")
	apply(t, f, "memory", "512M")
	apply(t, f, "cpus", "1.5")
	apply(t, f, "tasks", "64")
	apply(t, f, "io-weight", "200")
	for k, v := range map[string]string{PrivateUsers: "pick", MemoryMax: "512M", CPUs: "1.5", TasksMax: "64", IOWeight: "200"} {
		if got := f.Get(k); got != v {
			t.Errorf("%s = %q, want %q", k, got, v)
		}
	}
	apply(t, f, "private-users", "identity", "524288") // the last one wins
	if got := SettingByFlag("private-users").Values(f); !reflect.DeepEqual(got, []string{"524288"}) {
		t.Errorf("private-users values %q", got)
	}
	apply(t, f, "memory", "")
	if _, ok := f.Lookup(MemoryMax); ok {
		t.Error("--memory '' left MEMORY_MAX in the file")
	}
	for _, c := range []struct{ flag, value, want string }{
		{"private-users", "maybe", "pick, identity, no"},
		{"private-users", "1000", "multiple of 65536 (e.g. 65536)"},
		{"memory", "1k", "at least 4M"},
		{"memory", "half", "512M"},
		{"cpus", "1,5", "1.5"},
		{"tasks", "0", "from 1 to"},
		{"io-weight", "20000", "from 1 to 10000"},
	} {
		if got := applyErr(f, c.flag, c.value); !strings.Contains(got, c.want) || !strings.HasPrefix(got, "--"+c.flag+" "+c.value+": ") {
			t.Errorf("--%s %q: error %q, want it to name flag and value and say %q", c.flag, c.value, got, c.want)
		}
	}
}

// Every setting is declared completely: flag, key, option and check.
func TestSettingsDeclared(t *testing.T) {
	seen := map[string]bool{}
	for _, s := range Settings {
		valued := s.Switch && s.Value == "" && s.Check == nil || !s.Switch && s.Value != "" && s.Check != nil
		if s.Flag == "" || !valued || s.Help == "" || s.Key == "" || s.Option == "" || s.FromNix == nil {
			t.Errorf("setting %+v is incomplete", s)
		}
		if seen[s.Flag] {
			t.Errorf("flag --%s declared twice", s.Flag)
		}
		seen[s.Flag] = true
	}
}

// Switches: on and off from the flag's values, the key's own values (the
// host-network switch stores PRIVATE_NETWORK inverted), list settings in
// a key of their own, and the checks of the new settings.
func TestSwitchAndListSettings(t *testing.T) {
	f, _ := Parse("PRIVATE_NETWORK=1\n")
	if SettingByFlag("host-network").Values(f) != nil {
		t.Error("PRIVATE_NETWORK=1 reads as host network")
	}
	apply(t, f, "host-network", "1")
	apply(t, f, "ephemeral", "yes")
	if f.Get(PrivateNetwork) != "0" || f.Get(Ephemeral) != "1" || !SettingByFlag("ephemeral").IsOn(f) {
		t.Errorf("after --host-network --ephemeral: %q", f.String())
	}
	apply(t, f, "host-network", "")
	apply(t, f, "ephemeral", "")
	if f.Get(PrivateNetwork) != "1" || strings.Contains(f.String(), Ephemeral) {
		t.Errorf("after --no-host-network --no-ephemeral: %q", f.String())
	}
	if got := applyErr(f, "tun", "maybe"); !strings.Contains(got, "yes or no") {
		t.Errorf("--tun maybe: %q", got)
	}
	apply(t, f, "capability", "net_admin", "CAP_SYS_TIME")
	apply(t, f, "tmpfs", "/var/cache/")
	if got := f.Get(ExtraNspawnFlags); got != "--capability=CAP_NET_ADMIN --capability=CAP_SYS_TIME --tmpfs=/var/cache" {
		t.Errorf("EXTRA_NSPAWN_FLAGS %q", got)
	}
	if _, err := os.Stat("/dev/null"); err == nil {
		apply(t, f, "device", "/dev/null", "/dev/zero")
		if f.Get(AllowedDevices) != "/dev/null /dev/zero" || !reflect.DeepEqual(SettingByFlag("device").Values(f), []string{"/dev/null", "/dev/zero"}) {
			t.Errorf("ALLOWED_DEVICES %q", f.Get(AllowedDevices))
		}
	}
	for _, c := range []struct{ flag, value, want string }{
		{"tmpfs", "/usr/lib", "hide it"},
		{"tmpfs", "/a b", "absolute path"},
		{"device", "/etc/passwd", "under /dev"},
		{"device", "/dev/null/x", "the host has no"},
		{"capability", "CAP_FLY", "not a capability"},
	} {
		if got := applyErr(f, c.flag, c.value); !strings.Contains(got, c.want) {
			t.Errorf("--%s %s: %q, want %q", c.flag, c.value, got, c.want)
		}
	}
}

func TestExtraVethSettings(t *testing.T) {
	f, _ := Parse("")
	apply(t, f, "extra-veth", "ve2,localAddress=10.9.0.2/24,hostAddress=10.9.0.1", "br2,hostBridge=br0,localAddress6=fc00::2")
	want := []string{"ve2,hostAddress=10.9.0.1,localAddress=10.9.0.2/24", "br2,localAddress6=fc00::2,hostBridge=br0"}
	if got := SettingByFlag("extra-veth").Values(f); !reflect.DeepEqual(got, want) {
		t.Errorf("extra veths %q, want %q", got, want)
	}
	for v, msg := range map[string]string{
		"eth0":                    "not a usable link name",
		"a-name-far-too-long":     "not a usable link name",
		"ve2,mtu=1500":            "KEY=VALUE",
		"ve2,hostAddress=fc00::1": "not an IPv4 address",
		"ve2,hostBridge=br0,hostAddress=10.0.0.1": "no host address",
	} {
		if got := applyErr(f, "extra-veth", v); !strings.Contains(got, msg) {
			t.Errorf("--extra-veth %s: %q, want %q", v, got, msg)
		}
	}
	got, err := extraVethsFromNix(map[string]any{"ve3": map[string]any{"hostAddress": "10.1.0.1", "localAddress": "10.1.0.2", "hostBridge": nil, "forwardPorts": []any{}}})
	if err != nil || !reflect.DeepEqual(got, []string{"ve3,hostAddress=10.1.0.1,localAddress=10.1.0.2"}) {
		t.Errorf("extraVeths from Nix: %q, %v", got, err)
	}
	if _, err := extraVethsFromNix(map[string]any{"ve3": map[string]any{"forwardPorts": []any{map[string]any{"hostPort": int64(80)}}}}); err == nil || !strings.Contains(err.Error(), "forwardPorts") {
		t.Errorf("extraVeths with forwardPorts: %v", err)
	}
}
