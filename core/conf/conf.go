// Package conf reads and writes a container's NAME.conf: a systemd
// EnvironmentFile of KEY=VALUE lines. Comments, blank lines, unknown keys and
// their order survive a rewrite, so hand edits and other tools' keys are kept.
package conf

import (
	"fmt"
	"os"
	"sort"
	"strings"

	"github.com/nixcsh/nixcsh/core/fsx"
)

// The keys nixos-container writes, in the order it writes them.
const (
	PrivateNetwork = "PRIVATE_NETWORK"
	HostAddress    = "HOST_ADDRESS"
	LocalAddress   = "LOCAL_ADDRESS"
	HostAddress6   = "HOST_ADDRESS6"
	LocalAddress6  = "LOCAL_ADDRESS6"
	HostBridge     = "HOST_BRIDGE"
	HostPort       = "HOST_PORT"
	AutoStart      = "AUTO_START"
)

// line is one line of the file: a comment or blank line kept verbatim (raw),
// or an assignment (key set).
type line struct {
	raw   string
	key   string
	value string
}

// File is a parsed NAME.conf.
type File struct {
	lines []line
}

// Parse reads EnvironmentFile syntax: KEY=VALUE, optional spaces around '=',
// values in single or double quotes (double quotes honour backslash escapes),
// '#' and ';' comment lines, and backslash-newline continuations.
func Parse(data string) (*File, error) {
	f := &File{}
	text := strings.ReplaceAll(data, "\r\n", "\n")
	rawLines := strings.Split(text, "\n")
	if len(rawLines) > 0 && rawLines[len(rawLines)-1] == "" {
		rawLines = rawLines[:len(rawLines)-1]
	}
	for i := 0; i < len(rawLines); i++ {
		l := rawLines[i]
		// Continuations: a line ending in an odd number of backslashes joins the next.
		for strings.HasSuffix(l, "\\") && !strings.HasSuffix(l, "\\\\") && i+1 < len(rawLines) {
			i++
			l = l[:len(l)-1] + rawLines[i]
		}
		trimmed := strings.TrimSpace(l)
		if trimmed == "" || trimmed[0] == '#' || trimmed[0] == ';' {
			f.lines = append(f.lines, line{raw: l})
			continue
		}
		eq := strings.IndexByte(trimmed, '=')
		if eq <= 0 {
			return nil, fmt.Errorf("line %d: %q is not KEY=VALUE", i+1, trimmed)
		}
		key := strings.TrimSpace(trimmed[:eq])
		if strings.HasPrefix(key, "export ") {
			key = strings.TrimSpace(strings.TrimPrefix(key, "export "))
		}
		value, err := unquote(strings.TrimSpace(trimmed[eq+1:]))
		if err != nil {
			return nil, fmt.Errorf("line %d: %v", i+1, err)
		}
		f.lines = append(f.lines, line{raw: l, key: key, value: value})
	}
	return f, nil
}

// unquote undoes EnvironmentFile quoting. Adjacent quoted and bare parts are
// concatenated, as systemd does.
func unquote(s string) (string, error) {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch c {
		case '\'':
			j := strings.IndexByte(s[i+1:], '\'')
			if j < 0 {
				return "", fmt.Errorf("unterminated single quote in %q", s)
			}
			b.WriteString(s[i+1 : i+1+j])
			i += j + 1
		case '"':
			i++
			for ; i < len(s) && s[i] != '"'; i++ {
				if s[i] == '\\' && i+1 < len(s) {
					i++
				}
				b.WriteByte(s[i])
			}
			if i >= len(s) {
				return "", fmt.Errorf("unterminated double quote in %q", s)
			}
		case '\\':
			if i+1 < len(s) {
				i++
				b.WriteByte(s[i])
			}
		default:
			b.WriteByte(c)
		}
	}
	return b.String(), nil
}

// quote renders a value so that Parse gives it back: bare when it holds only
// safe characters (as nixos-container writes them), else double-quoted.
func quote(v string) string {
	safe := true
	for _, c := range v {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || strings.ContainsRune("-_.:/,@+=%", c)) {
			safe = false
			break
		}
	}
	if safe {
		return v
	}
	r := strings.NewReplacer(`\`, `\\`, `"`, `\"`)
	return `"` + r.Replace(v) + `"`
}

// Read parses the file at path.
func Read(path string) (*File, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	f, err := Parse(string(data))
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return f, nil
}

// Get returns the value of the last assignment of key, as systemd reads it.
func (f *File) Get(key string) string {
	v, _ := f.Lookup(key)
	return v
}

// Lookup is Get that also says whether the key is set at all.
func (f *File) Lookup(key string) (string, bool) {
	for i := len(f.lines) - 1; i >= 0; i-- {
		if f.lines[i].key == key {
			return f.lines[i].value, true
		}
	}
	return "", false
}

// Set assigns key: the existing line is rewritten in place, else a line is
// appended.
func (f *File) Set(key, value string) {
	for i := len(f.lines) - 1; i >= 0; i-- {
		if f.lines[i].key == key {
			f.lines[i] = line{raw: key + "=" + quote(value), key: key, value: value}
			return
		}
	}
	f.lines = append(f.lines, line{raw: key + "=" + quote(value), key: key, value: value})
}

// Unset removes every assignment of key.
func (f *File) Unset(key string) {
	kept := f.lines[:0]
	for _, l := range f.lines {
		if l.key != key {
			kept = append(kept, l)
		}
	}
	f.lines = kept
}

// Map returns every key's value.
func (f *File) Map() map[string]string {
	m := map[string]string{}
	for _, l := range f.lines {
		if l.key != "" {
			m[l.key] = l.value
		}
	}
	return m
}

// Keys lists the keys set, sorted.
func (f *File) Keys() []string {
	m := f.Map()
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// String renders the file, every original line kept as it was.
func (f *File) String() string {
	var b strings.Builder
	for _, l := range f.lines {
		b.WriteString(l.raw)
		b.WriteByte('\n')
	}
	return b.String()
}

// Write saves the file atomically.
func (f *File) Write(path string) error {
	return fsx.WriteAtomic(path, []byte(f.String()), 0o644)
}
