package engine

import (
	"context"
	"strings"
	"testing"
)

// The shortest real life of a container: create, start, run, stop, destroy.
func TestStartRunStop(t *testing.T) {
	needRoot(t)
	r := newTestRoot(t)
	ctx := context.Background()
	name := r.create("sm", "")
	if err := r.M.Start(ctx, name, nil); err != nil {
		t.Fatal(err)
	}
	if s, _ := r.M.Status(ctx, name); s != "up" {
		t.Fatalf("status after start = %q", s)
	}
	if out := r.run(name, "uname"); !strings.Contains(out, "Linux") {
		t.Errorf("uname printed %q", out)
	}
	if err := r.M.Stop(ctx, name); err != nil {
		t.Fatal(err)
	}
	if s, _ := r.M.Status(ctx, name); s != "down" {
		t.Fatalf("status after stop = %q", s)
	}
}
