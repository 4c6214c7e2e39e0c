package plugins

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"syscall"
)

// FilePrefix starts the name of every plugin executable: nixcsh-plugin-NAME.
const FilePrefix = "nixcsh-plugin-"

// DefaultDirs lists the folders searched for plugins, in order: the
// --plugin-dir flag (flagDir), $NIXCSH_PLUGIN_DIR (a colon-separated list),
// $XDG_DATA_HOME/nixcsh/plugins (default ~/.local/share/nixcsh/plugins), and
// /etc/nixcsh/plugins under the state root. Empty entries are left out.
func DefaultDirs(root, flagDir string, getenv func(string) string) []string {
	var dirs []string
	if flagDir != "" {
		dirs = append(dirs, flagDir)
	}
	for _, d := range filepath.SplitList(getenv("NIXCSH_PLUGIN_DIR")) {
		if d != "" {
			dirs = append(dirs, d)
		}
	}
	data := getenv("XDG_DATA_HOME")
	if data == "" && getenv("HOME") != "" {
		data = filepath.Join(getenv("HOME"), ".local", "share")
	}
	if data != "" {
		dirs = append(dirs, filepath.Join(data, "nixcsh", "plugins"))
	}
	if root == "" {
		root = "/"
	}
	return append(dirs, filepath.Join(root, "etc", "nixcsh", "plugins"))
}

// found is one plugin executable discovery turned up.
type found struct {
	name, path string
	refused    string // why it may not run; empty when it may
}

// discover walks dirs in order and returns the plugins in them; the first
// folder holding a name wins, later files of that name are shadowed (also
// when the first one is refused, so that a refusal is never silently replaced
// by another file). Folders that do not exist are skipped; other problems
// with a folder come back as warnings.
func discover(dirs []string) (plugins []found, warnings []string) {
	seen := map[string]bool{}
	euid := os.Geteuid()
	for _, dir := range dirs {
		entries, err := os.ReadDir(dir)
		if errors.Is(err, fs.ErrNotExist) {
			continue
		}
		if err != nil {
			warnings = append(warnings, fmt.Sprintf("plugins: cannot read plugin folder %s: %v", dir, err))
			continue
		}
		dirProblem := unsafeOwnership(dir, "the plugin folder", euid)
		for _, e := range entries { // ReadDir sorts by name
			name, ok := strings.CutPrefix(e.Name(), FilePrefix)
			if !ok || name == "" || seen[name] {
				continue
			}
			path := filepath.Join(dir, e.Name())
			p := found{name: name, path: path, refused: checkExecutable(path, dirProblem, euid)}
			seen[name] = true
			if p.refused != "" {
				warnings = append(warnings, fmt.Sprintf("plugins: refusing plugin %s (%s): %s", name, path, p.refused))
			}
			plugins = append(plugins, p)
		}
	}
	return plugins, warnings
}

// checkExecutable says why the plugin file at path must not run, or "".
// Anyone who can write the file or its folder could make nixcsh (often run
// as root) execute their code, so both must be writable only by their owner,
// and owned by root or by the user running nixcsh. A symlink is followed and
// its target and the target's folder checked too.
func checkExecutable(path, dirProblem string, euid int) string {
	if dirProblem != "" {
		return dirProblem
	}
	st, err := os.Stat(path)
	if err != nil {
		return fmt.Sprintf("cannot read it: %v", err)
	}
	if !st.Mode().IsRegular() {
		return "not a regular file"
	}
	if st.Mode().Perm()&0o111 == 0 {
		return fmt.Sprintf("not executable (mode %04o); chmod +x %s", st.Mode().Perm(), path)
	}
	if real, err := filepath.EvalSymlinks(path); err == nil && real != path {
		if p := unsafeOwnership(filepath.Dir(real), "the folder of its target "+real, euid); p != "" {
			return p
		}
	}
	return unsafeOwnership(path, "the plugin file", euid)
}

// unsafeOwnership says why the file or folder at path is not safe to run
// code from (what names it in the message), or "".
func unsafeOwnership(path, what string, euid int) string {
	st, err := os.Stat(path)
	if err != nil {
		return fmt.Sprintf("cannot read %s: %v", what, err)
	}
	if perm := st.Mode().Perm(); perm&0o022 != 0 {
		return fmt.Sprintf("%s (%s) is writable by group or others (mode %04o); run chmod go-w %s", what, path, perm, path)
	}
	if sys, ok := st.Sys().(*syscall.Stat_t); ok && sys.Uid != 0 && int(sys.Uid) != euid {
		return fmt.Sprintf("%s (%s) is owned by uid %d, neither root nor the user running nixcsh (uid %d)", what, path, sys.Uid, euid)
	}
	return ""
}
