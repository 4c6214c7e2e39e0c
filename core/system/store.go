// Package system builds evaluated configurations into immutable generations
// in nixcsh's store, keeps per-container profiles of them (generations,
// rollback, garbage collection), and activates a generation into a
// container's root directory (its /etc, users and units).
package system

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/nixcsh/nixcsh/core/fault"
	"github.com/nixcsh/nixcsh/core/options"
)

// nixBase32 is Nix's base-32 alphabet (no e, o, u, t), so store names look
// like Nix's.
const nixBase32 = "0123456789abcdfghijklmnpqrsvwxyz"

func base32(h []byte) string {
	n := (len(h)*8-1)/5 + 1
	out := make([]byte, n)
	for i := n - 1; i >= 0; i-- {
		b := uint(i * 5)
		c := uint(h[b/8]) >> (b % 8)
		if int(b/8)+1 < len(h) {
			c |= uint(h[b/8+1]) << (8 - b%8)
		}
		out[n-1-i] = nixBase32[c&0x1f]
	}
	return string(out)
}

// storeName is the generation's directory name for a content hash.
func storeName(hash []byte, name string) string {
	// Nix truncates to 160 bits: 32 base-32 characters.
	folded := make([]byte, 20)
	for i, b := range hash {
		folded[i%20] ^= b
	}
	return base32(folded) + "-nixos-system-" + name
}

func sha(data []byte) string {
	s := sha256.Sum256(data)
	return hex.EncodeToString(s[:])
}

// Write puts a rendered generation into the store and returns its path. The
// path is a hash of the content (with options.StorePlaceholder standing for
// the path itself), so writing the same generation twice is a no-op. Files
// are read-only; the generation appears atomically (temp dir, then rename).
func Write(store string, g *options.Generation, optionsUsed []string) (string, error) {
	man := newManifest(g, optionsUsed)
	manJSON, err := json.MarshalIndent(man, "", "  ")
	if err != nil {
		return "", fault.Errorf(fault.Failed, "cannot encode the manifest of %s: %w", g.Name, err)
	}
	fwJSON, _ := json.MarshalIndent(g.Firewall, "", "  ")

	paths := make([]string, 0, len(g.Files))
	for p := range g.Files {
		paths = append(paths, p)
	}
	sort.Strings(paths)
	h := sha256.New()
	for _, p := range paths {
		f := g.Files[p]
		fmt.Fprintf(h, "%s\x00%o\x00%s\x00%t\x00%s\x00%s\x00%s\x00%d\x00", p, f.Mode, f.Link, f.Dir, f.CopyMode, f.User, f.Group, len(f.Data))
		h.Write(f.Data)
	}
	h.Write(manJSON)
	sum := h.Sum(nil)
	name := storeName(sum, g.Name)
	final := filepath.Join(store, name)
	if _, err := os.Stat(filepath.Join(final, "manifest.json")); err == nil {
		return final, nil
	}
	if err := os.MkdirAll(store, 0o755); err != nil {
		return "", fault.Errorf(fault.Failed, "cannot create the store %s: %w", store, err)
	}
	tmp, err := os.MkdirTemp(store, ".tmp-"+name+"-")
	if err != nil {
		return "", fault.Errorf(fault.Failed, "cannot write to the store %s: %w", store, err)
	}
	defer removeTree(tmp)
	subst := func(b []byte) []byte {
		return bytes.ReplaceAll(b, []byte(options.StorePlaceholder), []byte(final))
	}
	// Directories are made once each and made read-only last, children first.
	dirs := []string{tmp}
	made := map[string]bool{tmp: true}
	var mkdir func(d string) error
	mkdir = func(d string) error {
		if made[d] {
			return nil
		}
		if err := mkdir(filepath.Dir(d)); err != nil {
			return err
		}
		if err := os.Mkdir(d, 0o755); err != nil && !os.IsExist(err) {
			return err
		}
		made[d] = true
		dirs = append(dirs, d)
		return nil
	}
	write := func(rel string, data []byte, mode os.FileMode) error {
		full := filepath.Join(tmp, rel)
		if err := mkdir(filepath.Dir(full)); err != nil {
			return err
		}
		// Created with its final (read-only) mode: the open fd may still write.
		return os.WriteFile(full, data, mode)
	}
	for _, p := range paths {
		f := g.Files[p]
		full := filepath.Join(tmp, p)
		var err error
		switch {
		case f.Dir:
			err = mkdir(full)
		case f.Link != "":
			if err = mkdir(filepath.Dir(full)); err == nil {
				err = os.Symlink(string(subst([]byte(f.Link))), full)
			}
		default:
			mode := f.Mode
			if mode == 0 {
				mode = 0o444
			}
			err = write(p, subst(f.Data), mode)
		}
		if err != nil {
			return "", fault.Errorf(fault.Failed, "cannot write %s of %s into the store: %w", p, g.Name, err)
		}
	}
	if err := write("manifest.json", append(manJSON, '\n'), 0o444); err != nil {
		return "", fault.Errorf(fault.Failed, "cannot write the manifest of %s: %w", g.Name, err)
	}
	if err := write("firewall.json", append(fwJSON, '\n'), 0o444); err != nil {
		return "", fault.Errorf(fault.Failed, "cannot write the firewall of %s: %w", g.Name, err)
	}
	for i := len(dirs) - 1; i >= 0; i-- {
		os.Chmod(dirs[i], 0o555)
	}
	if err := os.Rename(tmp, final); err != nil {
		if _, serr := os.Stat(filepath.Join(final, "manifest.json")); serr == nil {
			return final, nil // built concurrently by someone else
		}
		return "", fault.Errorf(fault.Failed, "cannot move %s into the store: %w", name, err)
	}
	return final, nil
}

// removeTree removes a (possibly read-only) tree.
func removeTree(dir string) error {
	filepath.Walk(dir, func(p string, info os.FileInfo, err error) error {
		if err == nil && info.IsDir() {
			os.Chmod(p, 0o755)
		}
		return nil
	})
	return os.RemoveAll(dir)
}

// isGeneration reports whether dir looks like one of our store entries.
func isGeneration(dir string) bool {
	base := filepath.Base(dir)
	if !strings.Contains(base, "-nixos-system-") || strings.HasPrefix(base, ".") {
		return false
	}
	_, err := os.Stat(filepath.Join(dir, "manifest.json"))
	return err == nil
}
