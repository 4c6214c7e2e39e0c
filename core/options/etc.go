package options

import (
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"

	m "github.com/nixcsh/nixcsh/core/module"
)

// declareEtc declares environment.etc: files of the generation that
// activation links (or copies, with a mode) into the container's /etc.
func declareEtc() []Decl {
	return []Decl{
		m.Opt("environment.etc", m.AttrsOf(m.Submodule(etcDecls()...)), map[string]any{}, "Set of files that have to be linked in /etc."),
	}
}

func etcDecls() []Decl {
	return []Decl{
		m.Opt("enable", m.Bool(), true, "Whether this /etc file should be generated."),
		m.Opt("text", m.NullOr(m.Lines()), nil, "Text of the file."),
		m.Opt("source", m.NullOr(m.Either(m.Path(), m.Package())), nil, "Path of the source file (copied into the generation)."),
		m.Opt("target", m.NullOr(m.Str()), nil, "Name of the file relative to /etc (default: the attribute name)."),
		m.Opt("mode", m.Str(), "symlink", "If not \"symlink\", the file is copied (not linked) with this octal mode."),
		m.Opt("user", m.Str(), "+0", "Owner of a copied file (name or +UID)."),
		m.Opt("group", m.Str(), "+0", "Group of a copied file (name or +GID)."),
	}
}

var octalMode = regexp.MustCompile(`^0?[0-7]{3,4}$`)

func renderEtc(v Values, g *Generation, h *Host) error {
	names, subs := v.Subs("environment.etc")
	for _, n := range names {
		e := subs[n]
		if !e.Bool("enable") {
			continue
		}
		target := n
		if t := e.Str("target"); t != "" {
			target = t
		}
		target = strings.TrimPrefix(target, "/")
		if target == "" || strings.Contains("/"+target+"/", "/../") || strings.HasPrefix(target, "static/") {
			return invalid("environment.etc.%q: target '%s' is not a file name under /etc", n, target)
		}
		f := &File{Mode: 0o444}
		switch {
		case !e.IsNull("text"):
			f.Data = []byte(e.Str("text"))
		case !e.IsNull("source"):
			src := e.Str("source")
			var data []byte
			var err error
			if rel, ok := strings.CutPrefix(src, StorePlaceholder+"/"); ok && g.Files[rel] != nil {
				data = g.Files[rel].Data // made by pkgs.writeText
			} else if st, serr := os.Stat(src); serr == nil && st.IsDir() {
				// A directory: its files are copied into the generation.
				if err := copyTree(src, "etc/"+target, g); err != nil {
					return invalid("environment.etc.%q.source: cannot copy %s: %v", n, src, err)
				}
				continue
			} else {
				data, err = readSource(src)
			}
			if err != nil {
				return invalid("environment.etc.%q.source: cannot read %s: %v", n, src, err)
			}
			f.Data = data
		default:
			return invalid("environment.etc.%q: neither text nor source is set", n)
		}
		mode := e.Str("mode")
		if mode != "symlink" && mode != "direct-symlink" {
			if !octalMode.MatchString(mode) {
				return invalid("environment.etc.%q.mode: '%s' is not \"symlink\" or an octal mode like \"0644\"", n, mode)
			}
			f.CopyMode, f.User, f.Group = mode, e.Str("user"), e.Str("group")
			if mb, _ := strconv.ParseUint(mode, 8, 32); mb&0o111 != 0 {
				f.Mode = 0o555
			}
		}
		g.Files["etc/"+target] = f
	}
	return nil
}

// copyTree copies the regular files and symlinks under dir into the
// generation at prefix.
func copyTree(dir, prefix string, g *Generation) error {
	return filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		dst := filepath.ToSlash(filepath.Join(prefix, rel))
		switch {
		case d.IsDir():
			return nil
		case d.Type()&os.ModeSymlink != 0:
			t, err := os.Readlink(p)
			if err != nil {
				return err
			}
			g.link(dst, t)
		case d.Type().IsRegular():
			data, err := os.ReadFile(p)
			if err != nil {
				return err
			}
			info, err := d.Info()
			if err != nil {
				return err
			}
			mode := os.FileMode(0o444)
			if info.Mode()&0o111 != 0 {
				mode = 0o555
			}
			g.Files[dst] = &File{Data: data, Mode: mode}
		}
		return nil
	})
}
