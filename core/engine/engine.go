// Package engine wires a core.Manager to its real parts: the configuration
// layer (core/system), the runtime (core/runtime, core/network, core/host).
// core declares the interfaces; the packages that implement them import core,
// so the wiring lives here, above both.
package engine

import (
	"context"
	"io"

	"github.com/nixcsh/nixcsh/core"
)

// Options choose the state root, the host backend and where messages go.
type Options struct {
	Root    string
	Backend string
	Stderr  io.Writer
}

// New returns a Manager with every part wired.
func New(o Options) (*core.Manager, error) {
	m := core.NewManager(o.Root, o.Stderr)
	rt := &containerRuntime{paths: m.Paths, backendName: o.Backend}
	layer := configLayer{afterBuild: func(ctx context.Context, name string) []string {
		if err := rt.syncAutostart(ctx); err != nil {
			return []string{err.Error()}
		}
		return nil
	}}
	m.Builder = layer
	m.Profiles = layer
	m.Runtime = rt
	return m, nil
}

// SuperviseVerb is the hidden first word with which a host backend runs the
// per-container supervisor: nixcsh __supervise --root R NAME.
const SuperviseVerb = "__supervise"
