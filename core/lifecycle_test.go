package core

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/nixcsh/nixcsh/core/fault"
)

// newFakeManager is a Manager whose runtime, hooks and configuration layer
// are fakes: the verbs' locks, hooks and undo run without root.
func newFakeManager(t *testing.T) (*Manager, *fakeRuntime, *fakeHooks) {
	t.Helper()
	m, _ := newLayeredManager(t)
	rt, h := newFakeRuntime(), &fakeHooks{}
	m.Runtime, m.Hooks = rt, h
	return m, rt, h
}

func sameEvents(t *testing.T, what string, got []string, want ...string) {
	t.Helper()
	if !slices.Equal(got, want) {
		t.Errorf("%s fired %q, want %q", what, got, want)
	}
}

func TestVerbsFireTheirEventsAroundTheRuntime(t *testing.T) {
	m, rt, h := newFakeManager(t)
	ctx := context.Background()
	if _, err := m.Create(ctx, "web", CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	sameEvents(t, "create", h.fired(), "pre-create web", "post-create web")
	if err := m.Start(ctx, "web", nil); err != nil {
		t.Fatal(err)
	}
	sameEvents(t, "start", h.fired(), "pre-start web", "post-start web")
	if got := h.attrs[PreStart]; got["LOCAL_ADDRESS"] == "" || got["generation"] != "1" || got["config.networking.hostName"] != `"web"` {
		t.Errorf("pre-start attributes: %v", got)
	}
	if err := m.Start(ctx, "web", nil); err != nil {
		t.Fatal(err)
	}
	sameEvents(t, "start of a running container", h.fired())
	if _, err := m.Update(ctx, "web", UpdateOptions{Config: ptr("services.httpd.enable = true;")}); err != nil {
		t.Fatal(err)
	}
	sameEvents(t, "update", h.fired(), "pre-update web", "post-update web")
	if err := m.Stop(ctx, "web"); err != nil {
		t.Fatal(err)
	}
	sameEvents(t, "stop", h.fired(), "pre-stop web", "post-stop web")
	if err := m.Stop(ctx, "web"); err != nil {
		t.Fatal(err)
	}
	sameEvents(t, "stop of a stopped container", h.fired())
	if err := m.Start(ctx, "web", nil); err != nil {
		t.Fatal(err)
	}
	h.fired()
	// Destroy of a running container stops it too, with the stop's events.
	if err := m.Destroy(ctx, "web"); err != nil {
		t.Fatal(err)
	}
	sameEvents(t, "destroy of a running container", h.fired(), "pre-destroy web", "pre-stop web", "post-stop web", "post-destroy web")
	want := []string{"start web", "switch web", "stop web", "start web", "terminate web"}
	if got := rt.called(); !slices.Equal(got, want) {
		t.Errorf("runtime calls %q, want %q", got, want)
	}
}

func TestPreEventVetoChangesNothing(t *testing.T) {
	m, rt, h := newFakeManager(t)
	ctx := context.Background()
	if _, err := m.Create(ctx, "web", CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	if _, err := m.Update(ctx, "web", UpdateOptions{}); err != nil {
		t.Fatal(err) // takes the container's lock file into being
	}
	veto := errors.New("plugin guard: not enough free memory")
	verbs := []struct {
		event string
		do    func() error
	}{
		{PreCreate, func() error { _, err := m.Create(ctx, "db", CreateOptions{}); return err }},
		{PreStart, func() error { return m.Start(ctx, "web", nil) }},
		{PreUpdate, func() error {
			_, err := m.Update(ctx, "web", UpdateOptions{Config: ptr("services.httpd.enable = true;"), Settings: SettingValues{"memory": {"1G"}}})
			return err
		}},
		{PreDestroy, func() error { return m.Destroy(ctx, "web") }},
	}
	for _, v := range verbs {
		h.fired()
		before := snapshot(t, m.Paths.Root)
		h.answer(v.event, veto)
		err := v.do()
		h.answer(v.event, nil)
		if fault.KindOf(err) != fault.Vetoed || err.Error() != veto.Error() || !errors.Is(err, veto) {
			t.Errorf("%s veto: kind %v, %v", v.event, fault.KindOf(err), err)
		}
		sameTree(t, "a vetoed "+v.event, before, snapshot(t, m.Paths.Root))
		if got := h.fired(); len(got) != 1 || !strings.HasPrefix(got[0], v.event+" ") {
			t.Errorf("%s veto: events %q, want the pre-event alone", v.event, got)
		}
	}
	if got := rt.called(); len(got) != 0 {
		t.Errorf("vetoed verbs reached the runtime: %q", got)
	}
	// A running container stays up when its stop is vetoed.
	if err := m.Start(ctx, "web", nil); err != nil {
		t.Fatal(err)
	}
	h.answer(PreStop, veto)
	for _, stop := range []func() error{
		func() error { return m.Stop(ctx, "web") },
		func() error { return m.Terminate(ctx, "web") },
		func() error { return m.Destroy(ctx, "web") },
	} {
		if err := stop(); fault.KindOf(err) != fault.Vetoed {
			t.Errorf("stop veto: %v", err)
		}
		if st, _ := rt.State(ctx, "web"); !st.Running || !m.Exists("web") {
			t.Errorf("a vetoed stop stopped or removed the container")
		}
	}
}

func TestPostEventErrorIsAWarning(t *testing.T) {
	m, _, h := newFakeManager(t)
	var stderr strings.Builder
	m.Stderr = &stderr
	ctx := context.Background()
	if _, err := m.Create(ctx, "web", CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	h.answer(PostStart, errors.New("plugin notify: cannot reach the chat server"))
	if err := m.Start(ctx, "web", nil); err != nil {
		t.Fatalf("a post-start hook's error failed the start: %v", err)
	}
	if !strings.Contains(stderr.String(), "warning: post-start hook: plugin notify: cannot reach the chat server\n") {
		t.Errorf("stderr lacks the warning:\n%s", stderr.String())
	}
	if st, _ := m.State(ctx, "web"); !st.Running {
		t.Error("container not running")
	}
}

func TestFailedStartSaysSoOnce(t *testing.T) {
	m, rt, h := newFakeManager(t)
	ctx := context.Background()
	if _, err := m.Create(ctx, "web", CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	h.fired()
	tail := &fault.LogTailError{Msg: "its supervisor exited with status 1", Log: "/var/log/nixcsh/web.log", Tail: "bad flag"}
	cases := []struct {
		err  error
		want string
		kind fault.Kind
	}{
		{errors.New("nspawn is missing"), "failed to start container 'web': nspawn is missing", fault.Failed},
		{&fault.StartError{Container: "web", Err: tail}, "failed to start container 'web': " + tail.Error(), fault.Failed},
		{&fault.StartError{Container: "db", Err: tail}, "failed to start container 'web': failed to start container 'db': " + tail.Error(), fault.Failed},
		{fault.Errorf(fault.Busy, "container 'web' is already running"), "container 'web' is already running", fault.Busy},
	}
	for _, c := range cases {
		rt.startErr = c.err
		err := m.Start(ctx, "web", nil)
		if err == nil || err.Error() != c.want || fault.KindOf(err) != c.kind {
			t.Errorf("start failing with %q:\n got %v (kind %v)\nwant %s (kind %v)", c.err, err, fault.KindOf(err), c.want, c.kind)
		}
		sameEvents(t, "a failed start", h.fired(), "pre-start web")
	}
}

func TestVerbsOfOneContainerTakeTurns(t *testing.T) {
	m, rt, _ := newFakeManager(t)
	rt.gate = true
	ctx := context.Background()
	for _, n := range []string{"web", "db"} {
		if _, err := m.Create(ctx, n, CreateOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	started := make(chan error, 1)
	go func() { started <- m.Start(ctx, "web", nil) }()
	<-rt.entered // web's start holds its lock while it boots
	short, cancel := context.WithTimeout(ctx, 50*time.Millisecond)
	defer cancel()
	_, err := m.Update(short, "web", UpdateOptions{})
	if fault.KindOf(err) != fault.Busy || err.Error() != "container 'web' is busy with another command; try again when it has finished" {
		t.Errorf("update during a start: kind %v, %v", fault.KindOf(err), err)
	}
	// Another container's verbs do not wait for web's.
	go func() { <-rt.entered; rt.release("db") }()
	if err := m.Start(ctx, "db", nil); err != nil {
		t.Errorf("start of db while web boots: %v", err)
	}
	// A verb that waits gets the lock when the start is done.
	updated := make(chan error, 1)
	go func() { _, err := m.Update(ctx, "web", UpdateOptions{}); updated <- err }()
	select {
	case err := <-updated:
		t.Fatalf("update ran while start held the lock: %v", err)
	case <-time.After(50 * time.Millisecond):
	}
	rt.release("web")
	if err := <-started; err != nil {
		t.Fatal(err)
	}
	if err := <-updated; err != nil {
		t.Errorf("update after the start: %v", err)
	}
}

// A stop reaches a container whose start holds the lock while it boots: it
// stops the boot (which ends the start), then takes the lock, firing
// pre-stop once.
func TestStopReachesABootingContainer(t *testing.T) {
	for _, verb := range []string{"stop", "terminate", "destroy"} {
		t.Run(verb, func(t *testing.T) {
			m, rt, h := newFakeManager(t)
			rt.gate = true
			ctx := context.Background()
			if _, err := m.Create(ctx, "web", CreateOptions{}); err != nil {
				t.Fatal(err)
			}
			started := make(chan error, 1)
			go func() { started <- m.Start(ctx, "web", nil) }()
			<-rt.entered
			h.fired()
			// Were the lock taken first, the verb would wait for the start
			// forever: it gives up (Busy) after a while instead.
			vctx, cancel := context.WithTimeout(ctx, 5*time.Second)
			defer cancel()
			var err error
			switch verb {
			case "stop":
				err = m.Stop(vctx, "web")
			case "terminate":
				err = m.Terminate(vctx, "web")
			case "destroy":
				err = m.Destroy(vctx, "web")
			}
			if err != nil {
				t.Fatalf("%s of a booting container: %v", verb, err)
			}
			serr := <-started
			if serr == nil || strings.Count(serr.Error(), "failed to start container 'web'") != 1 {
				t.Errorf("the interrupted start says: %v", serr)
			}
			events := h.fired()
			pre := map[string]string{"stop": PreStop, "terminate": PreStop, "destroy": PreDestroy}[verb]
			if len(events) == 0 || events[0] != pre+" web" || slices.Contains(events, PostStart+" web") {
				t.Errorf("events %q", events)
			}
			if n := strings.Count(fmt.Sprint(events), pre+" web"); n != 1 {
				t.Errorf("%s fired %d times: %q", pre, n, events)
			}
			if st, _ := rt.State(ctx, "web"); st.Running || st.Booting {
				t.Errorf("container still %+v", st)
			}
			if verb == "destroy" && m.Exists("web") {
				t.Error("destroy left the container")
			}
		})
	}
}
