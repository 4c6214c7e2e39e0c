package system

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"

	"github.com/nixcsh/nixcsh/core"
	"github.com/nixcsh/nixcsh/core/module"
	"github.com/nixcsh/nixcsh/core/options"
)

// Build evaluates container name's configuration.nix (paths.ConfigNix) and
// writes the generation into the store. It does not touch the profile: add
// the result with NewProfile(paths, name).Add. A configuration that does not
// evaluate, names an unknown option or fails an assertion writes nothing.
func Build(ctx context.Context, paths core.Paths, name string) (storePath string, warnings []string, err error) {
	return BuildFile(ctx, paths, name, paths.ConfigNix(name))
}

// BuildFile is Build from another configuration file.
func BuildFile(ctx context.Context, paths core.Paths, name, configFile string) (string, []string, error) {
	cfg, g, err := evalAndRender(ctx, name, configFile)
	if err != nil {
		return "", nil, err
	}
	// The evaluated values go into the generation, so that show-config tells
	// what the current generation was built from (after a rollback too), not
	// what configuration.nix says now.
	tree, err := json.MarshalIndent(cfg.Tree(), "", " ")
	if err != nil {
		return "", nil, core.Errorf(core.Failed, "cannot record the evaluated configuration of '%s': %w", name, err)
	}
	g.Files[configJSON] = &options.File{Data: tree, Mode: 0o444}
	sp, err := Write(paths.Store(), g, cfg.Defined)
	if err != nil {
		return "", nil, err
	}
	return sp, g.Warnings, nil
}

func evalAndRender(ctx context.Context, name, configFile string) (*module.Config, *options.Generation, error) {
	host := options.DefaultHost()
	cfg, err := module.Eval(ctx, configFile, module.Options{Decls: options.All(), Modules: options.Modules(), Packages: host.Packages, Debian: host.Debian, PackageFiles: host.PackageFiles})
	if err != nil {
		return nil, nil, err
	}
	g, err := options.Render(options.NewValues(cfg.Tree()), name, host, cfg.Files)
	if err != nil {
		return nil, nil, err
	}
	return cfg, g, nil
}

// configJSON is the evaluated option tree inside a generation.
const configJSON = "config.json"

// ShowConfig returns the value at optionPath ("" for the whole tree) of the
// configuration the container's current generation was built from, as Go
// data, for `show-config NAME [OPTION.PATH] [--json]`.
func ShowConfig(ctx context.Context, paths core.Paths, name, optionPath string) (any, error) {
	gen, ok, err := NewProfile(paths, name).Current()
	if err != nil {
		return nil, err
	}
	if !ok {
		return nil, core.Errorf(core.NotFound, "container '%s' has no system generation yet; build one with: nixcsh update %s", name, name)
	}
	data, err := os.ReadFile(filepath.Join(gen.StorePath, configJSON))
	if err != nil {
		return nil, core.Errorf(core.Failed, "generation %d of container '%s' has no recorded configuration (%v); rebuild it with: nixcsh update %s", gen.Number, name, err, name)
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	var tree any
	if err := dec.Decode(&tree); err != nil {
		return nil, core.Errorf(core.Failed, "the recorded configuration of generation %d of '%s' is damaged: %v", gen.Number, name, err)
	}
	cur := numbers(tree)
	if optionPath != "" {
		for _, p := range module.SplitPath(optionPath) {
			m, ok := cur.(map[string]any)
			if ok {
				cur, ok = m[p]
			}
			if !ok {
				return nil, core.Errorf(core.NotFound, "The option '%s' does not exist or has no value in the configuration of container '%s'.", optionPath, name)
			}
		}
	}
	return cur, nil
}

// numbers turns JSON numbers back into the int64 and float64 the evaluator
// gave.
func numbers(v any) any {
	switch x := v.(type) {
	case json.Number:
		if i, err := x.Int64(); err == nil {
			return i
		}
		f, _ := x.Float64()
		return f
	case map[string]any:
		for k, e := range x {
			x[k] = numbers(e)
		}
	case []any:
		for i, e := range x {
			x[i] = numbers(e)
		}
	}
	return v
}
