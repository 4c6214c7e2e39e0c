package engine

import (
	"context"
	"path/filepath"

	"github.com/nixcsh/nixcsh/core/fault"
	"github.com/nixcsh/nixcsh/core/fsx"
	"github.com/nixcsh/nixcsh/core/layout"
	"github.com/nixcsh/nixcsh/core/system"
)

// configLayer is core.Builder and core.Profiles over core/system; the profile
// hands its layout.Generation records through unchanged.
type configLayer struct {
	// afterBuild runs after each successful build (create, update): the
	// host-side follow-ups of a changed conf; it returns warnings.
	afterBuild func(ctx context.Context, name string) []string
}

// storeLock keeps gc from removing a generation between its build and its
// addition to a profile.
func storeLock(p layout.Paths) (*fsx.Lock, error) {
	l, err := fsx.LockFile(p.StoreLock(), true)
	if err != nil {
		return nil, fault.Errorf(fault.Failed, "cannot lock the store: %v", err)
	}
	return l, nil
}

func (c configLayer) Build(ctx context.Context, p layout.Paths, name string) (int, []string, error) {
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
func (c configLayer) Adopt(ctx context.Context, p layout.Paths, name, systemPath string) (int, []string, error) {
	l, err := storeLock(p)
	if err != nil {
		return 0, nil, err
	}
	defer l.Unlock()
	storePath, err := filepath.EvalSymlinks(systemPath)
	if err != nil {
		return 0, nil, fault.Errorf(fault.Invalid, "--system-path %s: %v", systemPath, err)
	}
	if filepath.Dir(storePath) != filepath.Clean(p.Store()) {
		return 0, nil, fault.Errorf(fault.Invalid, "--system-path %s: not a generation of nixcsh's store %s; give one of its generations, e.g. $(readlink %s)",
			systemPath, p.Store(), filepath.Join(p.ProfilesBase(), "OTHER", "system"))
	}
	if _, err := system.LoadManifest(storePath); err != nil {
		return 0, nil, fault.Errorf(fault.Invalid, "--system-path %s: %v", systemPath, err)
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

func (configLayer) List(p layout.Paths, name string) ([]layout.Generation, error) {
	return system.NewProfile(p, name).Generations()
}

func (configLayer) SwitchTo(p layout.Paths, name string, gen int) (layout.Generation, error) {
	return system.NewProfile(p, name).SwitchTo(gen)
}

func (configLayer) GC(p layout.Paths) ([]string, error) {
	l, err := storeLock(p)
	if err != nil {
		return nil, err
	}
	defer l.Unlock()
	return system.GC(p)
}

func (configLayer) ShowConfig(p layout.Paths, name, path string) (any, error) {
	return system.ShowConfig(context.Background(), p, name, path)
}
