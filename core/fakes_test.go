package core

import (
	"context"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/nixcsh/nixcsh/core/layout"
)

// fakeLayer is Builder and Profiles without core/system: a build links a
// new system-N-link into the container's profile as the real profile does,
// so that the tests see every file a build adds. With fail set, Build
// changes nothing and returns fail.
type fakeLayer struct {
	mu    sync.Mutex
	fail  error
	built []string // the containers built, in order
}

func (f *fakeLayer) setFail(err error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.fail = err
}

func (f *fakeLayer) Build(ctx context.Context, p layout.Paths, name string) (int, []string, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.fail != nil {
		return 0, nil, f.fail
	}
	gens, err := f.List(p, name)
	if err != nil {
		return 0, nil, err
	}
	n := len(gens) + 1
	store := filepath.Join(p.Store(), fmt.Sprintf("%d-nixos-system-%s", n, name))
	if err := os.MkdirAll(store, 0o755); err != nil {
		return 0, nil, err
	}
	link := fmt.Sprintf("system-%d-link", n)
	if err := os.Symlink(store, filepath.Join(p.ProfileDir(name), link)); err != nil {
		return 0, nil, err
	}
	if _, err := f.SwitchTo(p, name, n); err != nil {
		return 0, nil, err
	}
	f.built = append(f.built, name)
	return n, nil, nil
}

func (f *fakeLayer) List(p layout.Paths, name string) ([]layout.Generation, error) {
	entries, err := os.ReadDir(p.ProfileDir(name))
	if err != nil && !os.IsNotExist(err) {
		return nil, err
	}
	cur, _ := os.Readlink(filepath.Join(p.ProfileDir(name), "system"))
	var gens []layout.Generation
	for _, e := range entries {
		num, ok := strings.CutPrefix(e.Name(), "system-")
		num, ok2 := strings.CutSuffix(num, "-link")
		n, err := strconv.Atoi(num)
		if !ok || !ok2 || err != nil {
			continue
		}
		target, _ := os.Readlink(filepath.Join(p.ProfileDir(name), e.Name()))
		gens = append(gens, layout.Generation{Number: n, StorePath: target, Current: e.Name() == cur})
	}
	sort.Slice(gens, func(i, j int) bool { return gens[i].Number < gens[j].Number })
	return gens, nil
}

func (f *fakeLayer) SwitchTo(p layout.Paths, name string, gen int) (layout.Generation, error) {
	system := filepath.Join(p.ProfileDir(name), "system")
	tmp := system + ".tmp"
	os.Remove(tmp)
	if err := os.Symlink(fmt.Sprintf("system-%d-link", gen), tmp); err != nil {
		return layout.Generation{}, err
	}
	return layout.Generation{Number: gen, Current: true}, os.Rename(tmp, system)
}

func (f *fakeLayer) GC(p layout.Paths) ([]string, error) { return nil, nil }

func (f *fakeLayer) ShowConfig(p layout.Paths, name, path string) (any, error) {
	return map[string]any{"networking": map[string]any{"hostName": name}}, nil
}

// snapshot is every file, directory and symlink under root with its mode
// and its content or target: two snapshots are equal when nothing changed.
func snapshot(t *testing.T, root string) map[string]string {
	t.Helper()
	snap := map[string]string{}
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		info, err := d.Info()
		if err != nil {
			return err
		}
		what := info.Mode().String()
		switch {
		case info.Mode()&fs.ModeSymlink != 0:
			target, _ := os.Readlink(path)
			what += " -> " + target
		case info.Mode().IsRegular():
			data, _ := os.ReadFile(path)
			what += " " + string(data)
		}
		snap[strings.TrimPrefix(path, root)] = what
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return snap
}

// sameTree fails the test with the differences between two snapshots.
func sameTree(t *testing.T, what string, before, after map[string]string) {
	t.Helper()
	for p, b := range before {
		if a, ok := after[p]; !ok {
			t.Errorf("%s removed %s", what, p)
		} else if a != b {
			t.Errorf("%s changed %s:\n was %q\n now %q", what, p, b, a)
		}
	}
	for p := range after {
		if _, ok := before[p]; !ok {
			t.Errorf("%s left %s behind", what, p)
		}
	}
}
