package core

import (
	"context"
	"errors"
	"os"
	"strings"
	"testing"

	"github.com/nixcsh/nixcsh/core/fault"
)

// newLayeredManager is a Manager with the fake configuration layer.
func newLayeredManager(t *testing.T) (*Manager, *fakeLayer) {
	t.Helper()
	m, _ := newTestManager(t)
	l := &fakeLayer{}
	m.Builder, m.Profiles = l, l
	return m, l
}

var errBadConfig = fault.Errorf(fault.Invalid, "error: syntax error, unexpected '}'\n       at configuration.nix:4:1")

func TestFailedCreateLeavesTheStateAsItWas(t *testing.T) {
	m, l := newLayeredManager(t)
	ctx := context.Background()
	// A first container makes the shared directories and the create lock,
	// which a failed create must keep.
	if _, err := m.Create(ctx, "first", CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	before := snapshot(t, m.Paths.Root)
	l.setFail(errBadConfig)
	_, err := m.Create(ctx, "second", CreateOptions{Config: "services.openssh.enable = true;"})
	if err == nil {
		t.Fatal("create with a failing build succeeded")
	}
	if fault.KindOf(err) != fault.Invalid || !strings.HasSuffix(err.Error(), "failed to build container configuration") {
		t.Errorf("error: kind %v, %v", fault.KindOf(err), err)
	}
	sameTree(t, "a failed create", before, snapshot(t, m.Paths.Root))
	if m.Exists("second") {
		t.Error("the failed container exists")
	}
}

func TestFailedFirstCreateRemovesWhatItMade(t *testing.T) {
	m, l := newLayeredManager(t)
	l.setFail(errBadConfig)
	if _, err := m.Create(context.Background(), "only", CreateOptions{}); err == nil {
		t.Fatal("create with a failing build succeeded")
	}
	// The profiles directory was made by this create and goes with it.
	for _, p := range []string{m.Paths.ConfFile("only"), m.Paths.StateDir("only"), m.Paths.ProfileDir("only"), m.Paths.ProfilesBase()} {
		if _, err := os.Lstat(p); !errors.Is(err, os.ErrNotExist) {
			t.Errorf("left behind: %s (%v)", p, err)
		}
	}
}

func TestFailedUpdateLeavesTheStateAsItWas(t *testing.T) {
	m, l := newLayeredManager(t)
	ctx := context.Background()
	if _, err := m.Create(ctx, "web", CreateOptions{Config: "services.httpd.enable = true;"}); err != nil {
		t.Fatal(err)
	}
	// A first update takes the container's lock file into being.
	if _, err := m.Update(ctx, "web", UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
	before := snapshot(t, m.Paths.Root)
	l.setFail(errBadConfig)
	for _, o := range []UpdateOptions{
		{Config: ptr("services.httpd.enable = ;")},
		{ConfigFile: "/srv/web.nix"},
		{},
		{Config: ptr("services.httpd.enable = false;"), Settings: SettingValues{"memory": {"1G"}, "tasks": {"100"}}},
	} {
		if _, err := m.Update(ctx, "web", o); err == nil {
			t.Fatalf("update %+v with a failing build succeeded", o)
		} else if fault.KindOf(err) != fault.Invalid {
			t.Errorf("update %+v: kind %v: %v", o, fault.KindOf(err), err)
		}
		sameTree(t, "a failed update", before, snapshot(t, m.Paths.Root))
	}
	// A good update then changes configuration.nix and adds a generation.
	l.setFail(nil)
	u, err := m.Update(ctx, "web", UpdateOptions{Config: ptr("services.httpd.enable = false;")})
	if err != nil || u.Generation != 3 {
		t.Fatalf("update after the failures: %+v, %v", u, err)
	}
}

func TestFailedCreateFromLeavesNothing(t *testing.T) {
	m, l := newLayeredManager(t)
	ctx := context.Background()
	if _, err := m.Create(ctx, "first", CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	before := snapshot(t, m.Paths.Root)
	l.setFail(errBadConfig)
	_, err := m.CreateFrom(ctx, []FromContainer{{Name: "db", Module: "{ ... }: { }"}})
	if err == nil {
		t.Fatal("create --from with a failing build succeeded")
	}
	sameTree(t, "a failed create --from", before, snapshot(t, m.Paths.Root))
}

func ptr(s string) *string { return &s }
