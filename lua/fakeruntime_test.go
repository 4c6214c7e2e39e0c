package lua

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/nixcsh/nixcsh/core"
)

// fakeRuntime stands in for core/runtime in tests of the Lua paths that need
// a running container (start, run, status up, update's switch). It keeps the
// running set in memory and answers Exec with a transcript of the call.
// When blockStart is set, Start waits for its context and reports that it
// saw the cancellation on cancelled.
type fakeRuntime struct {
	mu         sync.Mutex
	running    map[string]time.Time
	blockStart chan string // Start sends the name here, then waits for ctx
	cancelled  chan error  // the error Start returned when ctx ended
}

func newFakeRuntime() *fakeRuntime { return &fakeRuntime{running: map[string]time.Time{}} }

func (f *fakeRuntime) State(ctx context.Context, name string) (core.RunState, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	t, ok := f.running[name]
	return core.RunState{Running: ok, Leader: 4242, Started: t}, nil
}

func (f *fakeRuntime) Start(ctx context.Context, name string, progress func(string)) error {
	if f.blockStart != nil {
		f.blockStart <- name
		<-ctx.Done()
		f.cancelled <- ctx.Err()
		return ctx.Err()
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	f.running[name] = time.Now().Add(-90 * time.Second)
	return nil
}

func (f *fakeRuntime) Stop(ctx context.Context, name string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	delete(f.running, name)
	return nil
}

func (f *fakeRuntime) Terminate(ctx context.Context, name string) error { return f.Stop(ctx, name) }

// Exec writes "ran: ARGV" on stdout and "on NAME" on stderr; a command
// naming "fail" exits 3.
func (f *fakeRuntime) Exec(ctx context.Context, name string, argv []string, stdio core.Stdio) (int, error) {
	fmt.Fprintf(stdio.Out, "ran: %s", strings.Join(argv, "|"))
	fmt.Fprintf(stdio.Err, "on %s", name)
	if strings.Contains(strings.Join(argv, " "), "fail") {
		return 3, nil
	}
	return 0, nil
}

func (f *fakeRuntime) RootLogin(ctx context.Context, name string, stdio core.Stdio) (int, error) {
	return 0, nil
}

func (f *fakeRuntime) Login(ctx context.Context, name string, stdio core.Stdio) (int, error) {
	return 0, nil
}

func (f *fakeRuntime) Switch(ctx context.Context, name string) (core.SwitchReport, error) {
	return core.SwitchReport{Restarted: []string{"httpd.service"}}, nil
}
