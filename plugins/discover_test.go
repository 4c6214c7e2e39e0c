package plugins

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/nixcsh/nixcsh/core"
)

func TestDefaultDirs(t *testing.T) {
	env := map[string]string{
		"NIXCSH_PLUGIN_DIR": "/env/a:/env/b",
		"XDG_DATA_HOME":     "/xdg",
		"HOME":              "/home/u",
	}
	getenv := func(k string) string { return env[k] }
	want := []string{"/flag", "/env/a", "/env/b", "/xdg/nixcsh/plugins", "/r/etc/nixcsh/plugins"}
	if got := DefaultDirs("/r", "/flag", getenv); !reflect.DeepEqual(got, want) {
		t.Errorf("DefaultDirs = %v, want %v", got, want)
	}
	delete(env, "XDG_DATA_HOME")
	delete(env, "NIXCSH_PLUGIN_DIR")
	want = []string{"/home/u/.local/share/nixcsh/plugins", "/etc/nixcsh/plugins"}
	if got := DefaultDirs("/", "", getenv); !reflect.DeepEqual(got, want) {
		t.Errorf("DefaultDirs without flag, env and XDG = %v, want %v", got, want)
	}
}

// TestDiscoveryOrder: the first folder holding a name wins; names are taken
// in order within a folder; other files are ignored.
func TestDiscoveryOrder(t *testing.T) {
	first, second := t.TempDir(), t.TempDir()
	for _, f := range []struct{ dir, name string }{
		{first, "beta"}, {second, "beta"}, {second, "alpha"}, {first, "gamma"},
	} {
		if err := os.WriteFile(filepath.Join(f.dir, FilePrefix+f.name), []byte("#!/bin/sh\n"), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	for _, other := range []string{"README", FilePrefix, "nixcsh-helper"} {
		if err := os.WriteFile(filepath.Join(first, other), nil, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	var warned []string
	h := NewHost(Config{Root: t.TempDir(), Dirs: []string{filepath.Join(t.TempDir(), "missing"), first, second},
		Warn: func(m string) { warned = append(warned, m) }})
	defer h.Close()
	var got []string
	for _, i := range h.List() {
		got = append(got, i.Name+"@"+filepath.Dir(i.Path))
		if i.State != "not started" {
			t.Errorf("%s: state %q", i.Name, i.State)
		}
	}
	want := []string{"beta@" + first, "gamma@" + first, "alpha@" + second}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("discovered %v, want %v", got, want)
	}
	if len(warned) != 0 {
		t.Errorf("warnings for a clean setup: %v", warned)
	}
}

func TestDiscoveryRefusesUnsafeFiles(t *testing.T) {
	pluginFile := func(t *testing.T, dir, name string, mode os.FileMode) string {
		t.Helper()
		p := filepath.Join(dir, FilePrefix+name)
		if err := os.WriteFile(p, []byte("#!/bin/sh\n"), 0o700); err != nil {
			t.Fatal(err)
		}
		if err := os.Chmod(p, mode); err != nil { // not subject to the umask
			t.Fatal(err)
		}
		return p
	}
	check := func(t *testing.T, h *Host, warned []string, name, why string) {
		t.Helper()
		st := stateOf(h, name)
		if !strings.HasPrefix(st, "refused: ") || !strings.Contains(st, why) {
			t.Errorf("%s: state %q, want refused: ...%s...", name, st, why)
		}
		found := false
		for _, w := range warned {
			found = found || strings.Contains(w, "refusing plugin "+name) && strings.Contains(w, why)
		}
		if !found {
			t.Errorf("%s: no warning about it in %q", name, warned)
		}
	}

	dir := t.TempDir()
	pluginFile(t, dir, "groupw", 0o775)
	pluginFile(t, dir, "otherw", 0o757)
	pluginFile(t, dir, "noexec", 0o644)
	ok := pluginFile(t, dir, "fine", 0o755)
	install(t, dir, testPluginPkg, "real") // a working plugin beside them

	looseDir := t.TempDir()
	if err := os.Chmod(looseDir, 0o777); err != nil {
		t.Fatal(err)
	}
	pluginFile(t, looseDir, "inloose", 0o755)

	var warned []string
	h := newHost(t, Config{Dirs: []string{dir, looseDir}, Warn: func(m string) { warned = append(warned, m) }})
	check(t, h, warned, "groupw", "writable by group or others (mode 0775)")
	check(t, h, warned, "otherw", "writable by group or others (mode 0757)")
	check(t, h, warned, "noexec", "not executable")
	check(t, h, warned, "inloose", "the plugin folder ("+looseDir+") is writable by group or others")
	if st := stateOf(h, "fine"); st != "not started" {
		t.Errorf("%s: state %q", ok, st)
	}

	// A refused plugin is never run, and does not stand in the others' way.
	if err := fire(h, core.PostStart, "web", nil); err == nil || !strings.Contains(err.Error(), "plugin fine:") {
		// "fine" is a shell script, not a go-plugin: it fails its handshake.
		t.Fatalf("error %v, want one naming only the fake plugin fine", err)
	} else if strings.Contains(err.Error(), "groupw") || strings.Contains(err.Error(), "inloose") {
		t.Errorf("refused plugins were run: %v", err)
	}
	if st := stateOf(h, "real"); st != "running" {
		t.Errorf("real: state %q, want running", st)
	}

	t.Run("owned by another user", func(t *testing.T) {
		if os.Geteuid() != 0 {
			t.Skip("needs root to give a file to another user")
		}
		dir := t.TempDir()
		p := pluginFile(t, dir, "foreign", 0o755)
		if err := os.Chown(p, 4242, 4242); err != nil {
			t.Fatal(err)
		}
		var warned []string
		h := newHost(t, Config{Dirs: []string{dir}, Warn: func(m string) { warned = append(warned, m) }})
		check(t, h, warned, "foreign", "owned by uid 4242, neither root nor the user running nixcsh")
	})
}

func TestSettingsFileAndOverrides(t *testing.T) {
	root := t.TempDir()
	conf := SettingsFile(root)
	if err := os.MkdirAll(filepath.Dir(conf), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(conf, []byte("# plugin settings\n[ok]\ncolour = red\nshape= round \ntimeout = 2s\n\n[other]\nx=1\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	h := newHost(t, Config{Root: root, Dirs: []string{pluginDir(t, "ok")},
		Settings: map[string]map[string]string{"ok": {"colour": "blue"}}})
	p := h.plugins[0]
	want := map[string]string{"colour": "blue", "shape": "round", "timeout": "2s", "root": root}
	if !reflect.DeepEqual(p.settings, want) {
		t.Errorf("settings %v, want %v", p.settings, want)
	}
	if p.timeout.String() != "2s" {
		t.Errorf("timeout %s, want 2s", p.timeout)
	}

	if err := os.WriteFile(conf, []byte("colour = red\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	var warned []string
	h = newHost(t, Config{Root: root, Dirs: []string{pluginDir(t, "ok")}, Warn: func(m string) { warned = append(warned, m) }})
	if len(warned) != 1 || !strings.Contains(warned[0], conf+":1: expected [PLUGIN]") {
		t.Errorf("warnings %q, want one about %s:1", warned, conf)
	}
	if h.plugins[0].timeout != DefaultTimeout {
		t.Errorf("timeout %s, want the default", h.plugins[0].timeout)
	}
}

func TestSatisfies(t *testing.T) {
	for _, c := range []struct {
		version, constraint string
		want                bool
	}{
		{"0.1.0", "", true},
		{"0.1.0", ">= 0.1.0", true},
		{"0.1.0", ">=0.1", true},
		{"0.1.0", "> 0.1.0", false},
		{"0.1.0", ">= 0.1.0, < 2", true},
		{"2.0.0", ">= 0.1.0, < 2", false},
		{"1.2.3", "= 1.2.3", true},
		{"1.2.3", "1.2.3", true},
		{"1.2.3", "!= 1.2.3", false},
		{"1.2.3", "<= 1.2", false},
		{"v1.10.0", "> 1.9.9", true},
		{"1.0.0-rc1", ">= 1.0", true},
	} {
		got, err := satisfies(c.version, c.constraint)
		if err != nil || got != c.want {
			t.Errorf("satisfies(%q, %q) = %v, %v; want %v", c.version, c.constraint, got, err, c.want)
		}
	}
	for _, bad := range []string{"~> 1.0", ">= x", ">= 1.2.3.4"} {
		if _, err := satisfies("1.0.0", bad); err == nil {
			t.Errorf("satisfies(1.0.0, %q) gave no error", bad)
		}
	}
}
