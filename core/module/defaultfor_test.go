package module_test

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/nixcsh/nixcsh/core/module"
)

// TestDefaultForName: a Go-declared submodule option may take its default
// from the attribute name (NixOS's `{ name, ... }:` submodules), and a
// definition still overrides it.
func TestDefaultForName(t *testing.T) {
	port := module.Decl{Path: "port", Type: module.Port(), Description: "6379 for the server named \"\", else 0.",
		DefaultFor: func(name string) any {
			if name == "" {
				return int64(6379)
			}
			return int64(0)
		}}
	decls := []module.Decl{module.Opt("servers", module.AttrsOf(module.Submodule(port)), map[string]any{}, "servers")}
	dir := writeFiles(t, map[string]string{"configuration.nix": `{ servers."" = {}; servers.a = {}; servers.b.port = 7000; }`})
	c, err := module.Eval(context.Background(), filepath.Join(dir, "configuration.nix"), module.Options{Decls: decls})
	if err != nil {
		t.Fatal(err)
	}
	for path, want := range map[string]int64{`servers."".port`: 6379, "servers.a.port": 0, "servers.b.port": 7000} {
		v, _ := c.Get(path)
		if v != want {
			t.Errorf("%s = %v, want %d", path, v, want)
		}
	}
}
