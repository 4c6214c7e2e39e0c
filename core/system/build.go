package system

import (
	"context"

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
	sp, err := Write(paths.Store(), g, cfg.Defined)
	if err != nil {
		return "", nil, err
	}
	return sp, g.Warnings, nil
}

func evalAndRender(ctx context.Context, name, configFile string) (*module.Config, *options.Generation, error) {
	host := options.DefaultHost()
	cfg, err := module.Eval(ctx, configFile, module.Options{Decls: options.All(), Packages: host.Packages})
	if err != nil {
		return nil, nil, err
	}
	g, err := options.Render(options.NewValues(cfg.Tree()), name, host, cfg.Files)
	if err != nil {
		return nil, nil, err
	}
	return cfg, g, nil
}

// ShowConfig evaluates container name's configuration and returns the value
// at optionPath ("" for the whole tree) as Go data, for
// `show-config NAME [OPTION.PATH] [--json]`.
func ShowConfig(ctx context.Context, paths core.Paths, name, optionPath string) (any, error) {
	cfg, err := module.Eval(ctx, paths.ConfigNix(name), module.Options{Decls: options.All(), Packages: options.DefaultHost().Packages})
	if err != nil {
		return nil, err
	}
	v, ok := cfg.Get(optionPath)
	if !ok {
		return nil, core.Errorf(core.NotFound, "The option '%s' does not exist or has no value in the configuration of container '%s'.", optionPath, name)
	}
	return v, nil
}
