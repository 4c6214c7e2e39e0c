package nix

import (
	"encoding/binary"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
)

// NAR (Nix ARchive) serialisation, written straight into a hash: Nix
// names a source in the store by the sha256 of its NAR, so this is what
// makes "${./dir}" and builtins.path give Nix's store paths. Every string
// is its length as a little-endian uint64, then its bytes padded with
// zeros to a multiple of 8. Directory entries are sorted by name and file
// modes other than the executable bit are not recorded.

// narFilter decides whether an entry below the root is included; it gets
// the entry's absolute path and its type as readFileType names it.
type narFilter func(path, typ string) bool

var narZeros [8]byte

type narWriter struct {
	w   io.Writer
	buf [8]byte
}

func (n *narWriter) str(s string) {
	binary.LittleEndian.PutUint64(n.buf[:], uint64(len(s)))
	n.w.Write(n.buf[:])
	io.WriteString(n.w, s)
	n.pad(len(s))
}

func (n *narWriter) pad(l int) {
	if r := l % 8; r != 0 {
		n.w.Write(narZeros[:8-r])
	}
}

// writeNAR serialises the file, symlink or directory at path.
func writeNAR(w io.Writer, path string, filter narFilter) error {
	n := &narWriter{w: w}
	n.str("nix-archive-1")
	return n.node(path, filter)
}

func (n *narWriter) node(path string, filter narFilter) error {
	st, err := os.Lstat(path)
	if err != nil {
		return err
	}
	n.str("(")
	n.str("type")
	switch {
	case st.Mode().IsRegular():
		n.str("regular")
		if st.Mode()&0o100 != 0 {
			n.str("executable")
			n.str("")
		}
		n.str("contents")
		f, err := os.Open(path)
		if err != nil {
			return err
		}
		defer f.Close()
		binary.LittleEndian.PutUint64(n.buf[:], uint64(st.Size()))
		n.w.Write(n.buf[:])
		m, err := io.Copy(n.w, f)
		if err != nil {
			return err
		}
		if m != st.Size() {
			return fmt.Errorf("file '%s' changed while it was read", path)
		}
		n.pad(int(m))
	case st.Mode()&os.ModeSymlink != 0:
		target, err := os.Readlink(path)
		if err != nil {
			return err
		}
		n.str("symlink")
		n.str("target")
		n.str(target)
	case st.IsDir():
		n.str("directory")
		ents, err := os.ReadDir(path)
		if err != nil {
			return err
		}
		names := make([]string, 0, len(ents))
		types := map[string]string{}
		for _, e := range ents {
			names = append(names, e.Name())
			types[e.Name()] = fileType(e.Type())
		}
		sort.Strings(names)
		for _, name := range names {
			child := filepath.Join(path, name)
			if filter != nil && !filter(child, types[name]) {
				continue
			}
			n.str("entry")
			n.str("(")
			n.str("name")
			n.str(name)
			n.str("node")
			if err := n.node(child, filter); err != nil {
				return err
			}
			n.str(")")
		}
	default:
		return fmt.Errorf("file '%s' has an unsupported type", path)
	}
	n.str(")")
	return nil
}
