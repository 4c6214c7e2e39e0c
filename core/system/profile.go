package system

import (
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"

	"github.com/nixcsh/nixcsh/core/fault"
	"github.com/nixcsh/nixcsh/core/fsx"
	"github.com/nixcsh/nixcsh/core/layout"
)

// Profile is a container's list of system generations, kept as nix-env
// keeps them: DIR/system-N-link -> store path, DIR/system -> system-N-link.
type Profile struct {
	Dir  string // the profile directory (paths.ProfileDir(name))
	Name string // the container
}

// NewProfile opens the profile of container name (it need not exist yet).
func NewProfile(paths layout.Paths, name string) Profile {
	return Profile{Dir: paths.ProfileDir(name), Name: name}
}

func (p Profile) linkName(n int) string { return fmt.Sprintf("system-%d-link", n) }

// Add makes storePath the profile's new current generation and returns its
// number. If the current generation already is storePath nothing changes.
func (p Profile) Add(storePath string) (int, error) {
	if cur, ok, err := p.Current(); err == nil && ok && cur.StorePath == storePath {
		return cur.Number, nil
	}
	gens, err := p.Generations()
	if err != nil {
		return 0, err
	}
	if err := os.MkdirAll(filepath.Dir(p.Dir), 0o700); err != nil {
		return 0, fault.Errorf(fault.Failed, "cannot create the profiles directory of container '%s': %w", p.Name, err)
	}
	if err := os.MkdirAll(p.Dir, 0o755); err != nil {
		return 0, fault.Errorf(fault.Failed, "cannot create the profile of container '%s': %w", p.Name, err)
	}
	n := 1
	if len(gens) > 0 {
		n = gens[len(gens)-1].Number + 1
	}
	link := filepath.Join(p.Dir, p.linkName(n))
	if err := fsx.SymlinkAtomic(storePath, link); err != nil {
		return 0, fault.Errorf(fault.Failed, "cannot add generation %d to container '%s': %w", n, p.Name, err)
	}
	if err := fsx.SymlinkAtomic(p.linkName(n), filepath.Join(p.Dir, "system")); err != nil {
		os.Remove(link)
		return 0, fault.Errorf(fault.Failed, "cannot switch container '%s' to generation %d: %w", p.Name, n, err)
	}
	return n, nil
}

// Generations lists the profile's generations, oldest first.
func (p Profile) Generations() ([]layout.Generation, error) {
	ents, err := os.ReadDir(p.Dir)
	if os.IsNotExist(err) {
		return nil, nil
	}
	if err != nil {
		return nil, fault.Errorf(fault.Failed, "cannot read the profile of container '%s': %w", p.Name, err)
	}
	cur, _ := os.Readlink(filepath.Join(p.Dir, "system"))
	var gens []layout.Generation
	for _, e := range ents {
		num, ok := strings.CutPrefix(e.Name(), "system-")
		if !ok {
			continue
		}
		num, ok = strings.CutSuffix(num, "-link")
		n, err := strconv.Atoi(num)
		if !ok || err != nil {
			continue
		}
		full := filepath.Join(p.Dir, e.Name())
		target, err := os.Readlink(full)
		if err != nil {
			continue
		}
		g := layout.Generation{Number: n, StorePath: target, Current: e.Name() == cur}
		if st, err := os.Lstat(full); err == nil {
			g.Created = st.ModTime()
		}
		gens = append(gens, g)
	}
	sort.Slice(gens, func(i, j int) bool { return gens[i].Number < gens[j].Number })
	return gens, nil
}

// Current returns the current generation; ok is false for an empty profile.
func (p Profile) Current() (layout.Generation, bool, error) {
	gens, err := p.Generations()
	if err != nil {
		return layout.Generation{}, false, err
	}
	for _, g := range gens {
		if g.Current {
			return g, true, nil
		}
	}
	return layout.Generation{}, false, nil
}

// SwitchTo makes generation n current; n <= 0 means the one before the
// current (a rollback).
func (p Profile) SwitchTo(n int) (layout.Generation, error) {
	gens, err := p.Generations()
	if err != nil {
		return layout.Generation{}, err
	}
	if n <= 0 {
		cur := -1
		for i, g := range gens {
			if g.Current {
				cur = i
			}
		}
		if cur <= 0 {
			return layout.Generation{}, fault.Errorf(fault.NotFound, "container '%s' has no generation older than the current one to roll back to", p.Name)
		}
		n = gens[cur-1].Number
	}
	for _, g := range gens {
		if g.Number == n {
			if err := fsx.SymlinkAtomic(p.linkName(n), filepath.Join(p.Dir, "system")); err != nil {
				return layout.Generation{}, fault.Errorf(fault.Failed, "cannot switch container '%s' to generation %d: %w", p.Name, n, err)
			}
			g.Current = true
			return g, nil
		}
	}
	return layout.Generation{}, fault.Errorf(fault.NotFound, "container '%s' has no generation %d", p.Name, n)
}

// Delete removes generation n (not the current one).
func (p Profile) Delete(n int) error {
	cur, ok, err := p.Current()
	if err != nil {
		return err
	}
	if ok && cur.Number == n {
		return fault.Errorf(fault.Invalid, "generation %d is the current generation of container '%s'; switch to another first", n, p.Name)
	}
	if err := os.Remove(filepath.Join(p.Dir, p.linkName(n))); err != nil {
		if os.IsNotExist(err) {
			return fault.Errorf(fault.NotFound, "container '%s' has no generation %d", p.Name, n)
		}
		return fault.Errorf(fault.Failed, "cannot delete generation %d of container '%s': %w", n, p.Name, err)
	}
	return nil
}

// Remove deletes the whole profile (destroy).
func (p Profile) Remove() error {
	if err := os.RemoveAll(p.Dir); err != nil {
		return fault.Errorf(fault.Failed, "cannot remove the profile of container '%s': %w", p.Name, err)
	}
	return nil
}

// GC removes every store entry that no generation of any profile under
// ProfilesBase (nor any link under the per-container gcroots) references,
// and returns the removed paths.
func GC(paths layout.Paths) ([]string, error) {
	live := map[string]bool{}
	addLinks := func(dir string) {
		ents, _ := os.ReadDir(dir)
		for _, e := range ents {
			if t, err := os.Readlink(filepath.Join(dir, e.Name())); err == nil {
				if !filepath.IsAbs(t) {
					t = filepath.Join(dir, t)
				}
				live[filepath.Clean(t)] = true
			}
		}
	}
	for _, base := range []string{paths.ProfilesBase(), filepath.Dir(paths.GCRootsDir("x"))} {
		ents, err := os.ReadDir(base)
		if err != nil && !os.IsNotExist(err) {
			return nil, fault.Errorf(fault.Failed, "cannot read %s: %w", base, err)
		}
		for _, e := range ents {
			addLinks(filepath.Join(base, e.Name()))
		}
	}
	store := paths.Store()
	ents, err := os.ReadDir(store)
	if os.IsNotExist(err) {
		return nil, nil
	}
	if err != nil {
		return nil, fault.Errorf(fault.Failed, "cannot read the store %s: %w", store, err)
	}
	var removed []string
	for _, e := range ents {
		full := filepath.Join(store, e.Name())
		if live[full] || !isGeneration(full) {
			continue
		}
		if err := removeTree(full); err != nil {
			return removed, fault.Errorf(fault.Failed, "cannot remove %s from the store: %w", full, err)
		}
		removed = append(removed, full)
	}
	return removed, nil
}
