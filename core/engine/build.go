package engine

import (
	"context"
	"path/filepath"

	"github.com/nixcsh/nixcsh/core"
	"github.com/nixcsh/nixcsh/core/fsx"
	"github.com/nixcsh/nixcsh/core/system"
)

// configLayer is core.Builder and core.Profiles over core/system.
type configLayer struct {
	// afterBuild runs after each successful build (create, update): the
	// host-side follow-ups of a changed conf; it returns warnings.
	afterBuild func(ctx context.Context, name string) []string
}

// storeLock keeps gc from removing a generation between its build and its
// addition to a profile.
func storeLock(p core.Paths) (*fsx.Lock, error) {
	l, err := fsx.LockFile(p.StoreLock(), true)
	if err != nil {
		return nil, core.Errorf(core.Failed, "cannot lock the store: %v", err)
	}
	return l, nil
}

func (c configLayer) Build(ctx context.Context, p core.Paths, name string) (int, []string, error) {
	l, err := storeLock(p)
	if err != nil {
		return 0, nil, err
	}
	defer l.Unlock()
	storePath, warnings, err := system.Build(ctx, p, name)
	if err != nil {
		return 0, nil, err
	}
	gen, err := system.NewProfile(p, name).Add(storePath)
	if err != nil {
		return 0, nil, err
	}
	if c.afterBuild != nil {
		warnings = append(warnings, c.afterBuild(ctx, name)...)
	}
	return gen, warnings, nil
}

// Adopt is create --system-path: the path (a generation of this root's
// store, or a link to one such as another container's profile link) joins
// the container's profile. A generation from elsewhere cannot be used: the
// container's /etc links into the store, which is what is bound into it.
func (c configLayer) Adopt(ctx context.Context, p core.Paths, name, systemPath string) (int, []string, error) {
	l, err := storeLock(p)
	if err != nil {
		return 0, nil, err
	}
	defer l.Unlock()
	storePath, err := filepath.EvalSymlinks(systemPath)
	if err != nil {
		return 0, nil, core.Errorf(core.Invalid, "--system-path %s: %v", systemPath, err)
	}
	if filepath.Dir(storePath) != filepath.Clean(p.Store()) {
		return 0, nil, core.Errorf(core.Invalid, "--system-path %s: not a generation of nixcsh's store %s; give one of its generations, e.g. $(readlink %s)",
			systemPath, p.Store(), filepath.Join(p.ProfilesBase(), "OTHER", "system"))
	}
	if _, err := system.LoadManifest(storePath); err != nil {
		return 0, nil, core.Errorf(core.Invalid, "--system-path %s: %v", systemPath, err)
	}
	gen, err := system.NewProfile(p, name).Add(storePath)
	if err != nil {
		return 0, nil, err
	}
	var warnings []string
	if c.afterBuild != nil {
		warnings = c.afterBuild(ctx, name)
	}
	return gen, warnings, nil
}

func (configLayer) List(p core.Paths, name string) ([]core.Generation, error) {
	gens, err := system.NewProfile(p, name).Generations()
	if err != nil {
		return nil, err
	}
	out := make([]core.Generation, len(gens))
	for i, g := range gens {
		out[i] = core.Generation{Number: g.Number, StorePath: g.StorePath, Created: g.Date, Current: g.Current}
	}
	return out, nil
}

func (configLayer) SwitchTo(p core.Paths, name string, gen int) (core.Generation, error) {
	g, err := system.NewProfile(p, name).SwitchTo(gen)
	if err != nil {
		return core.Generation{}, err
	}
	return core.Generation{Number: g.Number, StorePath: g.StorePath, Created: g.Date, Current: true}, nil
}

func (configLayer) GC(p core.Paths) ([]string, error) {
	l, err := storeLock(p)
	if err != nil {
		return nil, err
	}
	defer l.Unlock()
	return system.GC(p)
}

func (configLayer) ShowConfig(p core.Paths, name, path string) (any, error) {
	return system.ShowConfig(context.Background(), p, name, path)
}
