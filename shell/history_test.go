package shell

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

func TestHistoryPath(t *testing.T) {
	env := map[string]string{"HOME": "/home/u"}
	get := func(k string) string { return env[k] }
	if got := HistoryPath(get); got != "/home/u/.local/state/nixcsh/history" {
		t.Errorf("default history path = %q", got)
	}
	env["XDG_STATE_HOME"] = "/s"
	if got := HistoryPath(get); got != "/s/nixcsh/history" {
		t.Errorf("XDG_STATE_HOME history path = %q", got)
	}
	env["XDG_STATE_HOME"] = "relative" // the XDG spec: ignore relative paths
	if got := HistoryPath(get); got != "/home/u/.local/state/nixcsh/history" {
		t.Errorf("relative XDG_STATE_HOME history path = %q", got)
	}
}

func TestHistoryAppendsAndDeduplicates(t *testing.T) {
	path := filepath.Join(t.TempDir(), "nixcsh", "history")
	h := LoadHistory(path)
	for _, l := range []string{"list", "start foo", "list", "list", "  ", "status foo", "start foo"} {
		h.Add(l)
	}
	want := []string{"list", "status foo", "start foo"}
	if got := h.Entries(); !reflect.DeepEqual(got, want) {
		t.Fatalf("entries = %q, want %q", got, want)
	}
	// The file is appended to (a concurrent shell's lines are not lost) ...
	data, _ := os.ReadFile(path)
	if got := strings.Split(strings.TrimSpace(string(data)), "\n"); !reflect.DeepEqual(got, []string{"list", "start foo", "list", "status foo", "start foo"}) {
		t.Fatalf("file = %q", got)
	}
	// ... and read back deduplicated, the last occurrence winning.
	if got := LoadHistory(path).Entries(); !reflect.DeepEqual(got, want) {
		t.Fatalf("reloaded entries = %q, want %q", got, want)
	}
	// A second shell's line appears to the next shell.
	other := LoadHistory(path)
	other.Add("gc")
	if got := LoadHistory(path).Entries(); got[len(got)-1] != "gc" {
		t.Fatalf("entries after another shell = %q", got)
	}
}

func TestHistoryCompactsTheFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "history")
	var b strings.Builder
	for i := 0; i < 500; i++ {
		b.WriteString("list\nstatus foo\n")
	}
	os.WriteFile(path, []byte(b.String()), 0o600)
	h := LoadHistory(path)
	if got := h.Entries(); !reflect.DeepEqual(got, []string{"list", "status foo"}) {
		t.Fatalf("entries = %q", got)
	}
	data, _ := os.ReadFile(path)
	if string(data) != "list\nstatus foo\n" {
		t.Fatalf("file not compacted: %d bytes", len(data))
	}
}

func TestHistoryWithoutFile(t *testing.T) {
	h := LoadHistory("")
	h.Add("list")
	if got := h.Entries(); !reflect.DeepEqual(got, []string{"list"}) {
		t.Fatalf("entries = %q", got)
	}
	// An unwritable place never stops the shell.
	h = LoadHistory("/proc/nonexistent/history")
	h.Add("list")
}
