package system

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/nixcsh/nixcsh/core/fault"
)

func TestProfileGenerationsRollbackGC(t *testing.T) {
	paths := testPaths(t)
	a := buildTree(t, paths, "foo", seedSSH("foo"))
	b := buildTree(t, paths, "foo", seedHTTPD("foo"))
	p := NewProfile(paths, "foo")
	if _, ok, err := p.Current(); ok || err != nil {
		t.Fatalf("empty profile has a current generation: %v", err)
	}
	if n, err := p.Add(a); n != 1 || err != nil {
		t.Fatalf("Add = %d, %v", n, err)
	}
	if n, _ := p.Add(a); n != 1 {
		t.Fatalf("adding the current store path again made generation %d", n)
	}
	if n, _ := p.Add(b); n != 2 {
		t.Fatalf("second generation is %d", n)
	}
	if tgt, _ := os.Readlink(filepath.Join(paths.ProfileDir("foo"), "system")); tgt != "system-2-link" {
		t.Fatalf("system -> %q", tgt)
	}
	if tgt, _ := os.Readlink(filepath.Join(paths.ProfileDir("foo"), "system-1-link")); tgt != a {
		t.Fatalf("system-1-link -> %q", tgt)
	}
	gens, _ := p.Generations()
	if len(gens) != 2 || gens[0].Current || !gens[1].Current || gens[0].StorePath != a || gens[0].Created.IsZero() {
		t.Fatalf("generations %+v", gens)
	}
	g, err := p.SwitchTo(0) // rollback
	if err != nil || g.Number != 1 || g.StorePath != a {
		t.Fatalf("rollback: %+v %v", g, err)
	}
	if cur, _, _ := p.Current(); cur.Number != 1 {
		t.Fatalf("current after rollback %d", cur.Number)
	}
	if _, err := p.SwitchTo(0); fault.KindOf(err) != fault.NotFound {
		t.Fatalf("rollback past the first generation: %v", err)
	}
	if _, err := p.SwitchTo(7); fault.KindOf(err) != fault.NotFound || !strings.Contains(err.Error(), "no generation 7") {
		t.Fatalf("switch to a missing generation: %v", err)
	}
	if _, err := p.SwitchTo(2); err != nil {
		t.Fatal(err)
	}

	// An unreferenced build is collected; referenced ones stay.
	orphan := buildTree(t, paths, "bar", seedSSH("bar"))
	removed, err := GC(paths)
	if err != nil || !reflect.DeepEqual(removed, []string{orphan}) {
		t.Fatalf("GC removed %v, %v; want only %s", removed, err, orphan)
	}
	if err := p.Delete(1); err != nil {
		t.Fatal(err)
	}
	removed, _ = GC(paths)
	if !reflect.DeepEqual(removed, []string{a}) {
		t.Fatalf("GC after deleting generation 1 removed %v", removed)
	}
	if err := p.Remove(); err != nil {
		t.Fatal(err)
	}
	removed, _ = GC(paths)
	if !reflect.DeepEqual(removed, []string{b}) {
		t.Fatalf("GC after removing the profile removed %v", removed)
	}
	if _, err := os.Stat(b); !os.IsNotExist(err) {
		t.Fatal("collected generation still on disk")
	}
}
