package plugins

import (
	"bufio"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// SettingsFile is where per-plugin settings live under the state root:
//
//	# comments and blank lines are ignored
//	[audit]
//	path = /var/log/audit.jsonl
//	[guard]
//	protected = web, db
//	timeout = 2s
//
// Config.Settings given by the caller win over the file, key by key.
func SettingsFile(root string) string {
	if root == "" {
		root = "/"
	}
	return filepath.Join(root, "etc", "nixcsh", "plugins.conf")
}

// readSettingsFile parses SettingsFile; a missing file is no settings.
func readSettingsFile(path string) (map[string]map[string]string, error) {
	f, err := os.Open(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	defer f.Close()
	out := map[string]map[string]string{}
	section := ""
	sc := bufio.NewScanner(f)
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		switch {
		case line == "" || strings.HasPrefix(line, "#") || strings.HasPrefix(line, ";"):
		case strings.HasPrefix(line, "[") && strings.HasSuffix(line, "]"):
			section = strings.TrimSpace(line[1 : len(line)-1])
		default:
			k, v, ok := strings.Cut(line, "=")
			if !ok || section == "" || strings.TrimSpace(k) == "" {
				return nil, fmt.Errorf("%s:%d: expected [PLUGIN] or KEY = VALUE, got %q", path, n, line)
			}
			if out[section] == nil {
				out[section] = map[string]string{}
			}
			out[section][strings.TrimSpace(k)] = strings.TrimSpace(v)
		}
	}
	return out, sc.Err()
}

// satisfies reports whether version meets constraint, a comma-separated list
// of comparisons such as ">= 0.1.0, < 2". Versions are dotted numbers; a
// missing part counts as 0 and a "v" prefix or "-suffix" is ignored.
func satisfies(version, constraint string) (bool, error) {
	have, err := parseVersion(version)
	if err != nil {
		return false, err
	}
	for _, term := range strings.Split(constraint, ",") {
		term = strings.TrimSpace(term)
		if term == "" {
			continue
		}
		op := strings.TrimRight(term[:min(2, len(term))], "0123456789v. ")
		want, err := parseVersion(strings.TrimSpace(term[len(op):]))
		if err != nil {
			return false, fmt.Errorf("constraint %q: %w", constraint, err)
		}
		c := compareVersions(have, want)
		var ok bool
		switch op {
		case "", "=", "==":
			ok = c == 0
		case "!=":
			ok = c != 0
		case ">":
			ok = c > 0
		case ">=":
			ok = c >= 0
		case "<":
			ok = c < 0
		case "<=":
			ok = c <= 0
		default:
			return false, fmt.Errorf("constraint %q: unknown operator %q", constraint, op)
		}
		if !ok {
			return false, nil
		}
	}
	return true, nil
}

func parseVersion(s string) ([3]int, error) {
	var v [3]int
	s = strings.TrimPrefix(s, "v")
	s, _, _ = strings.Cut(s, "-")
	parts := strings.Split(s, ".")
	if s == "" || len(parts) > 3 {
		return v, fmt.Errorf("bad version %q", s)
	}
	for i, p := range parts {
		n, err := strconv.Atoi(p)
		if err != nil || n < 0 {
			return v, fmt.Errorf("bad version %q", s)
		}
		v[i] = n
	}
	return v, nil
}

func compareVersions(a, b [3]int) int {
	for i := range a {
		if a[i] != b[i] {
			if a[i] < b[i] {
				return -1
			}
			return 1
		}
	}
	return 0
}
