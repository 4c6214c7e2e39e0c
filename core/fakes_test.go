package core

import (
	"context"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/nixcsh/nixcsh/core/layout"
)

// fakeLayer is Builder and Profiles without core/system: a build links a
// new system-N-link into the container's profile as the real profile does,
// so that the tests see every file a build adds. With fail set, Build
// changes nothing and returns fail.
type fakeLayer struct {
	mu    sync.Mutex
	fail  error
	built []string // the containers built, in order
}

func (f *fakeLayer) setFail(err error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.fail = err
}

func (f *fakeLayer) Build(ctx context.Context, p layout.Paths, name string) (int, []string, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.fail != nil {
		return 0, nil, f.fail
	}
	gens, err := f.List(p, name)
	if err != nil {
		return 0, nil, err
	}
	n := len(gens) + 1
	store := filepath.Join(p.Store(), fmt.Sprintf("%d-nixos-system-%s", n, name))
	if err := os.MkdirAll(store, 0o755); err != nil {
		return 0, nil, err
	}
	link := fmt.Sprintf("system-%d-link", n)
	if err := os.Symlink(store, filepath.Join(p.ProfileDir(name), link)); err != nil {
		return 0, nil, err
	}
	if _, err := f.SwitchTo(p, name, n); err != nil {
		return 0, nil, err
	}
	f.built = append(f.built, name)
	return n, nil, nil
}

func (f *fakeLayer) List(p layout.Paths, name string) ([]layout.Generation, error) {
	entries, err := os.ReadDir(p.ProfileDir(name))
	if err != nil && !os.IsNotExist(err) {
		return nil, err
	}
	cur, _ := os.Readlink(filepath.Join(p.ProfileDir(name), "system"))
	var gens []layout.Generation
	for _, e := range entries {
		num, ok := strings.CutPrefix(e.Name(), "system-")
		num, ok2 := strings.CutSuffix(num, "-link")
		n, err := strconv.Atoi(num)
		if !ok || !ok2 || err != nil {
			continue
		}
		target, _ := os.Readlink(filepath.Join(p.ProfileDir(name), e.Name()))
		gens = append(gens, layout.Generation{Number: n, StorePath: target, Current: e.Name() == cur})
	}
	sort.Slice(gens, func(i, j int) bool { return gens[i].Number < gens[j].Number })
	return gens, nil
}

func (f *fakeLayer) SwitchTo(p layout.Paths, name string, gen int) (layout.Generation, error) {
	system := filepath.Join(p.ProfileDir(name), "system")
	tmp := system + ".tmp"
	os.Remove(tmp)
	if err := os.Symlink(fmt.Sprintf("system-%d-link", gen), tmp); err != nil {
		return layout.Generation{}, err
	}
	return layout.Generation{Number: gen, Current: true}, os.Rename(tmp, system)
}

func (f *fakeLayer) GC(p layout.Paths) ([]string, error) { return nil, nil }

func (f *fakeLayer) ShowConfig(p layout.Paths, name, path string) (any, error) {
	return map[string]any{"networking": map[string]any{"hostName": name}}, nil
}

// snapshot is every file, directory and symlink under root with its mode
// and its content or target: two snapshots are equal when nothing changed.
func snapshot(t *testing.T, root string) map[string]string {
	t.Helper()
	snap := map[string]string{}
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		info, err := d.Info()
		if err != nil {
			return err
		}
		what := info.Mode().String()
		switch {
		case info.Mode()&fs.ModeSymlink != 0:
			target, _ := os.Readlink(path)
			what += " -> " + target
		case info.Mode().IsRegular():
			data, _ := os.ReadFile(path)
			what += " " + string(data)
		}
		snap[strings.TrimPrefix(path, root)] = what
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return snap
}

// sameTree fails the test with the differences between two snapshots.
func sameTree(t *testing.T, what string, before, after map[string]string) {
	t.Helper()
	for p, b := range before {
		if a, ok := after[p]; !ok {
			t.Errorf("%s removed %s", what, p)
		} else if a != b {
			t.Errorf("%s changed %s:\n was %q\n now %q", what, p, b, a)
		}
	}
	for p := range after {
		if _, ok := before[p]; !ok {
			t.Errorf("%s left %s behind", what, p)
		}
	}
}

// fakeRuntime is Runtime without containers, for the Manager's own logic
// (locks, hooks, messages) in every test run. It keeps the running set in
// memory and records the calls. With gate set, Start holds on as a boot that
// has not reached multi-user.target: it reports the name on entered, State
// says Booting, and it ends when release lets it come up, when Stop or
// Terminate stops it, or when its ctx ends.
type fakeRuntime struct {
	mu       sync.Mutex
	running  map[string]bool
	booting  map[string]chan bool // true: came up, false: stopped while booting
	calls    []string
	startErr error // Start's error, if set
	gate     bool
	entered  chan string
}

func newFakeRuntime() *fakeRuntime {
	return &fakeRuntime{running: map[string]bool{}, booting: map[string]chan bool{}, entered: make(chan string, 8)}
}

func (f *fakeRuntime) record(call, name string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls = append(f.calls, call+" "+name)
}

func (f *fakeRuntime) called() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]string(nil), f.calls...)
}

func (f *fakeRuntime) State(ctx context.Context, name string) (RunState, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	_, booting := f.booting[name]
	return RunState{Running: f.running[name], Booting: booting}, nil
}

func (f *fakeRuntime) Start(ctx context.Context, name string, progress func(string)) error {
	f.record("start", name)
	f.mu.Lock()
	if f.startErr != nil {
		f.mu.Unlock()
		return f.startErr
	}
	if !f.gate {
		f.running[name] = true
		f.mu.Unlock()
		return nil
	}
	up := make(chan bool, 1)
	f.booting[name] = up
	f.mu.Unlock()
	f.entered <- name
	var ok bool
	select {
	case ok = <-up:
	case <-ctx.Done():
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	delete(f.booting, name)
	if !ok {
		return fmt.Errorf("container '%s' was stopped before it was ready", name)
	}
	f.running[name] = true
	return nil
}

// release lets a gated Start come up.
func (f *fakeRuntime) release(name string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if up, ok := f.booting[name]; ok {
		select {
		case up <- true:
		default: // already told
		}
	}
}

func (f *fakeRuntime) Stop(ctx context.Context, name string) error {
	f.record("stop", name)
	return f.halt(name)
}

func (f *fakeRuntime) Terminate(ctx context.Context, name string) error {
	f.record("terminate", name)
	return f.halt(name)
}

func (f *fakeRuntime) halt(name string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if up, ok := f.booting[name]; ok {
		select {
		case up <- false:
		default: // already told
		}
	}
	delete(f.running, name)
	return nil
}

func (f *fakeRuntime) Exec(ctx context.Context, name string, argv []string, stdio Stdio) (int, error) {
	f.record("exec", name)
	return 0, nil
}

func (f *fakeRuntime) RootLogin(ctx context.Context, name string, stdio Stdio) (int, error) {
	return 0, nil
}

func (f *fakeRuntime) Login(ctx context.Context, name string, stdio Stdio) (int, error) {
	return 0, nil
}

func (f *fakeRuntime) Switch(ctx context.Context, name string) (SwitchReport, error) {
	f.record("switch", name)
	return SwitchReport{Restarted: []string{"httpd.service"}}, nil
}

// fakeHooks records the events fired ("pre-start web") and answers each
// event with the error in answers (a veto for a pre-event).
type fakeHooks struct {
	mu      sync.Mutex
	events  []string
	attrs   map[string]map[string]string // the last attributes of each event
	answers map[string]error
}

func (h *fakeHooks) Fire(ctx context.Context, ev Event) error {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.events = append(h.events, ev.Name+" "+ev.Container)
	if h.attrs == nil {
		h.attrs = map[string]map[string]string{}
	}
	h.attrs[ev.Name] = ev.Attrs
	return h.answers[ev.Name]
}

func (h *fakeHooks) answer(event string, err error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.answers == nil {
		h.answers = map[string]error{}
	}
	h.answers[event] = err
}

// fired returns the events since the last call.
func (h *fakeHooks) fired() []string {
	h.mu.Lock()
	defer h.mu.Unlock()
	ev := h.events
	h.events = nil
	return ev
}
