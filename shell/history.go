package shell

import (
	"bufio"
	"os"
	"path/filepath"
	"strings"
)

// historyLimit is how many distinct lines the history keeps.
const historyLimit = 1000

// History is the shell's history file, $XDG_STATE_HOME/nixcsh/history: one
// line an entry, appended as lines are entered (so concurrent shells never
// lose each other's lines), each entry once — entering a line again moves it
// to the end. The file is compacted when it has grown well past its distinct
// entries.
type History struct {
	Path    string
	entries []string
}

// HistoryPath is where the history lives for the environment getenv reads.
func HistoryPath(getenv func(string) string) string {
	dir := getenv("XDG_STATE_HOME")
	if dir == "" || !filepath.IsAbs(dir) {
		home := getenv("HOME")
		if home == "" {
			return ""
		}
		dir = filepath.Join(home, ".local", "state")
	}
	return filepath.Join(dir, "nixcsh", "history")
}

// LoadHistory reads the history file; a missing file is an empty history.
// The history is a convenience: a file that cannot be read or written never
// stops the shell.
func LoadHistory(path string) *History {
	h := &History{Path: path}
	if path == "" {
		return h
	}
	f, err := os.Open(path)
	if err != nil {
		return h
	}
	defer f.Close()
	var lines []string
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 64*1024), 1024*1024)
	for sc.Scan() {
		if l := sc.Text(); strings.TrimSpace(l) != "" {
			lines = append(lines, l)
		}
	}
	h.entries = dedupKeepLast(lines)
	if len(h.entries) > historyLimit {
		h.entries = h.entries[len(h.entries)-historyLimit:]
	}
	if len(lines) > 2*len(h.entries)+100 || len(lines) > 2*historyLimit {
		h.rewrite()
	}
	return h
}

// Entries returns the entries, oldest first.
func (h *History) Entries() []string { return append([]string(nil), h.entries...) }

// Add records an entered line: appended to the file, and moved to the end of
// the entries if it was there already. It reports whether the line is new
// or moved (false for a blank line or a repeat of the last entry).
func (h *History) Add(line string) bool {
	if strings.TrimSpace(line) == "" || strings.ContainsAny(line, "\n\r") {
		return false
	}
	if n := len(h.entries); n > 0 && h.entries[n-1] == line {
		return false
	}
	for i, e := range h.entries {
		if e == line {
			h.entries = append(h.entries[:i], h.entries[i+1:]...)
			break
		}
	}
	h.entries = append(h.entries, line)
	if h.Path == "" {
		return true
	}
	if err := os.MkdirAll(filepath.Dir(h.Path), 0o700); err != nil {
		return true
	}
	f, err := os.OpenFile(h.Path, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o600)
	if err != nil {
		return true
	}
	f.WriteString(line + "\n")
	f.Close()
	return true
}

// rewrite replaces the file with the distinct entries (atomically).
func (h *History) rewrite() {
	tmp := h.Path + ".tmp"
	f, err := os.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o600)
	if err != nil {
		return
	}
	w := bufio.NewWriter(f)
	for _, e := range h.entries {
		w.WriteString(e + "\n")
	}
	if w.Flush() != nil || f.Sync() != nil || f.Close() != nil {
		os.Remove(tmp)
		return
	}
	if os.Rename(tmp, h.Path) != nil {
		os.Remove(tmp)
	}
}

// dedupKeepLast keeps the last occurrence of every line, in order.
func dedupKeepLast(lines []string) []string {
	last := make(map[string]int, len(lines))
	for i, l := range lines {
		last[l] = i
	}
	out := make([]string, 0, len(last))
	for i, l := range lines {
		if last[l] == i {
			out = append(out, l)
		}
	}
	return out
}
