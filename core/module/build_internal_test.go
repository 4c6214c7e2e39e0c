package module

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestRunCommandTimesOut: a build script that does not finish is killed,
// with the processes it started, and the evaluation says so.
func TestRunCommandTimesOut(t *testing.T) {
	old := buildTimeout
	buildTimeout = 500 * time.Millisecond
	defer func() { buildTimeout = old }()
	dir := t.TempDir()
	cfg := filepath.Join(dir, "configuration.nix")
	os.WriteFile(cfg, []byte(`{ pkgs, ... }: { out = pkgs.runCommand "slow" { } "echo started; sleep 30 & wait"; }`), 0o644)
	start := time.Now()
	_, err := Eval(context.Background(), cfg, Options{Decls: []Decl{{Path: "out", Type: Package()}}})
	if err == nil || !strings.Contains(err.Error(), "pkgs.runCommand 'slow': the build script did not finish within 500ms:\nstarted") {
		t.Fatalf("error %v", err)
	}
	if d := time.Since(start); d > 10*time.Second {
		t.Fatalf("the timeout took %s", d)
	}
}
