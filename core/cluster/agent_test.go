package cluster

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/nixcsh/nixcsh/core"
	"github.com/nixcsh/nixcsh/core/cluster/etcdtest"
	"github.com/nixcsh/nixcsh/core/fault"
)

// fakeRuntime stands in for core/runtime: the scheduling tests check where
// containers run, not how they boot.
type fakeRuntime struct {
	mu      sync.Mutex
	running map[string]bool
}

func (f *fakeRuntime) is(name string) bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.running[name]
}

func (f *fakeRuntime) set(name string, up bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.running[name] = up
}

func (f *fakeRuntime) State(ctx context.Context, name string) (core.RunState, error) {
	return core.RunState{Running: f.is(name)}, nil
}
func (f *fakeRuntime) Start(ctx context.Context, name string, _ func(string)) error {
	f.set(name, true)
	return nil
}
func (f *fakeRuntime) Stop(ctx context.Context, name string) error { f.set(name, false); return nil }
func (f *fakeRuntime) Terminate(ctx context.Context, name string) error {
	f.set(name, false)
	return nil
}
func (f *fakeRuntime) Exec(context.Context, string, []string, core.Stdio) (int, error) {
	return 0, nil
}
func (f *fakeRuntime) RootLogin(context.Context, string, core.Stdio) (int, error) { return 0, nil }
func (f *fakeRuntime) Login(context.Context, string, core.Stdio) (int, error)     { return 0, nil }
func (f *fakeRuntime) Switch(context.Context, string) (core.SwitchReport, error) {
	return core.SwitchReport{}, nil
}

// vetoStart refuses to start one container, as a plugin's pre-start hook may.
type vetoStart struct{ name string }

func (v vetoStart) Fire(ctx context.Context, ev core.Event) error {
	if ev.Name == core.PreStart && ev.Container == v.name {
		return fault.Errorf(fault.Vetoed, "plugin guard: %s may not start here", v.name)
	}
	return nil
}

// testHost is one agent with its own state root and fake runtime.
type testHost struct {
	name string
	root string
	rt   *fakeRuntime
	m    *core.Manager
	stop context.CancelFunc
	done chan struct{}
}

func startAgent(t *testing.T, ec *etcdtest.Cluster, h *testHost, labels map[string]string) {
	t.Helper()
	if h.root == "" {
		h.root = t.TempDir()
		h.rt = &fakeRuntime{running: map[string]bool{}}
	}
	h.m = core.NewManager(h.root, nil)
	h.m.Runtime = h.rt
	h.m.Hooks = vetoStart{"veto"}
	ctx, cancel := context.WithCancel(context.Background())
	a := &Agent{Client: connect(t, ec, 5*time.Second), Manager: h.m, TTL: 2,
		Host: Host{Name: h.name, Labels: labels, Cores: 2, Memory: 4 << 30}, Log: testLog{t, h.name}}
	h.stop, h.done = cancel, make(chan struct{})
	go func() { a.Run(ctx); close(h.done) }()
	t.Cleanup(func() { h.kill() })
}

func (h *testHost) kill() {
	h.stop()
	<-h.done
}

type testLog struct {
	t    *testing.T
	host string
}

func (l testLog) Write(b []byte) (int, error) {
	l.t.Logf("agent %s: %s", l.host, strings.TrimSpace(string(b)))
	return len(b), nil
}

// waitFor polls the cluster until every named container is in the state.
func waitFor(t *testing.T, cli *Client, state string, names ...string) map[string]Entry {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	var last string
	for time.Now().Before(deadline) {
		list, err := cli.List(context.Background())
		if err == nil {
			got := map[string]Entry{}
			for _, e := range list {
				got[e.Name] = e
			}
			ok := true
			last = ""
			for _, n := range names {
				if got[n].State != state {
					ok = false
					last += fmt.Sprintf(" %s=%s", n, got[n].State)
				}
			}
			if ok {
				return got
			}
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Fatalf("containers not %s after 30s:%s", state, last)
	return nil
}

// Three agents on one etcd: containers are spread by free memory, honour
// --host and --label, start, stop, update and destroy through each host's
// Manager (whose hooks can veto), and a lost host's stateless container
// moves while its stateful one shows lost; when the host returns nothing
// runs twice.
func TestAgentsSchedule(t *testing.T) {
	ec := etcdtest.Start(t, 3)
	cli := connect(t, ec, 5*time.Second)
	ctx := context.Background()
	hosts := map[string]*testHost{}
	for _, n := range []string{"ha", "hb", "hc"} {
		hosts[n] = &testHost{name: n}
		var labels map[string]string
		if n == "hc" {
			labels = map[string]string{"disk": "ssd"}
		}
		startAgent(t, ec, hosts[n], labels)
	}
	waitHosts(t, cli, 3)

	var names []string
	for i := 0; i < 6; i++ {
		names = append(names, fmt.Sprintf("w%d", i))
		if err := cli.Create(ctx, Spec{Name: names[i], Config: "{ }", Running: true}); err != nil {
			t.Fatal(err)
		}
	}
	must(t, cli.Create(ctx, Spec{Name: "pin", Config: "{ }", Running: true, OnHost: "ha"}))
	must(t, cli.Create(ctx, Spec{Name: "ssd", Config: "{ }", Running: true, Labels: map[string]string{"disk": "ssd"}}))
	got := waitFor(t, cli, StateUp, append(names, "pin", "ssd")...)
	per := map[string]int{}
	for _, n := range names {
		e := got[n]
		per[e.Placed]++
		h := hosts[e.Placed]
		if !h.m.Exists(n) || !h.rt.is(n) {
			t.Errorf("%s is up on %s in the cluster but not there", n, e.Placed)
		}
		if e.Status.IP == "" {
			t.Errorf("%s: no IP reported", n)
		}
	}
	// Each host gives addresses from its own subnet: no IP twice.
	ips := map[string]string{}
	for n, e := range got {
		if other, dup := ips[e.Status.IP]; dup {
			t.Errorf("%s and %s both have IP %s", n, other, e.Status.IP)
		}
		ips[e.Status.IP] = n
		if !strings.HasPrefix(e.Status.IP, "10.250.") {
			t.Errorf("%s: IP %s is not from its host's cluster subnet", n, e.Status.IP)
		}
	}
	if got["pin"].Placed != "ha" || got["ssd"].Placed != "hc" {
		t.Errorf("pin on %s (want ha), ssd on %s (want hc)", got["pin"].Placed, got["ssd"].Placed)
	}
	for h, n := range per {
		if n < 1 || n > 3 {
			t.Errorf("host %s got %d of 6 containers; want them spread: %v", h, n, per)
		}
	}

	// stop, update, destroy.
	must(t, cli.Modify(ctx, "w0", func(c *Container) error { c.Running = false; return nil }))
	must(t, cli.Modify(ctx, "w1", func(c *Container) error { c.Config = "{ networking.hostName = \"w1b\"; }"; return nil }))
	must(t, cli.Destroy(ctx, "w2"))
	waitFor(t, cli, StateDown, "w0")
	if hosts[got["w0"].Placed].rt.is("w0") {
		t.Error("w0 still runs after stop")
	}
	pollUntil(t, "w1 updated and w2 destroyed", func() bool {
		b, _ := os.ReadFile(hosts[got["w1"].Placed].m.Paths.ConfigNix("w1"))
		return strings.Contains(string(b), "w1b") && !hosts[got["w2"].Placed].m.Exists("w2")
	})
	waitFor(t, cli, StateUp, "w1")

	// A container no host can take waits, saying why.
	must(t, cli.Create(ctx, Spec{Name: "nowhere", Config: "{ }", OnHost: "hz"}))
	pollUntil(t, "the reason nowhere waits", func() bool {
		ct, _, err := cli.Get(ctx, "nowhere")
		return err == nil && strings.Contains(ct.Unplaced, "host hz is not in the cluster")
	})
	must(t, cli.Destroy(ctx, "nowhere"))

	// A pre-start hook's veto shows as failed, with its message.
	must(t, cli.Create(ctx, Spec{Name: "veto", Config: "{ }", Running: true, OnHost: "hb"}))
	got = waitFor(t, cli, StateFailed, "veto")
	if !strings.Contains(got["veto"].Status.Error, "plugin guard: veto may not start here") {
		t.Errorf("veto's error: %q", got["veto"].Status.Error)
	}

	// Host loss: place a stateless and a stateful container on ha, then
	// stop ha's agent (its containers keep running, as after kill -9).
	must(t, cli.Create(ctx, Spec{Name: "sl", Config: "{ }", Running: true, OnHost: "ha", RestartElsewhere: true}))
	must(t, cli.Create(ctx, Spec{Name: "sf", Config: "{ }", Running: true, OnHost: "ha"}))
	waitFor(t, cli, StateUp, "sl", "sf")
	// The constraint held for the first placement; lift it so sl may move.
	must(t, cli.Modify(ctx, "sl", func(c *Container) error { c.OnHost = ""; return nil }))
	waitFor(t, cli, StateUp, "sl")
	hosts["ha"].kill()
	// A stopped agent revokes its lease: its host is gone at once.
	if hs, err := cli.Hosts(ctx); err != nil || len(hs) != 2 {
		t.Errorf("hosts after stopping ha's agent: %v, %v; want 2", hs, err)
	}
	got = waitFor(t, cli, StateLost, "sf", "pin")
	got = waitFor(t, cli, StateUp, "sl")
	if got["sl"].Placed == "ha" {
		t.Fatalf("sl still placed on lost host ha")
	}
	// ha returns: it must not start sl again (it moved), and sf comes back.
	startAgent(t, ec, hosts["ha"], nil)
	waitFor(t, cli, StateUp, "sf", "pin", "sl")
	pollUntil(t, "ha to remove its copy of sl", func() bool {
		return !hosts["ha"].m.Exists("sl") && !hosts["ha"].rt.is("sl")
	})
	running := 0
	for _, h := range hosts {
		if h.rt.is("sl") {
			running++
		}
	}
	if running != 1 {
		t.Errorf("sl runs on %d hosts, want 1", running)
	}
}

func waitHosts(t *testing.T, cli *Client, n int) {
	t.Helper()
	pollUntil(t, fmt.Sprintf("%d hosts registered", n), func() bool {
		hs, err := cli.Hosts(context.Background())
		return err == nil && len(hs) == n
	})
}

func pollUntil(t *testing.T, what string, ok func() bool) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for !ok() {
		if time.Now().After(deadline) {
			t.Fatalf("no %s after 30s", what)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// Agents ride out a loss of quorum: while two of three etcd members are
// down nothing changes, and once they are back a new container is placed
// and started as before.
func TestAgentsSurviveQuorumLoss(t *testing.T) {
	ec := etcdtest.Start(t, 3)
	cli := connect(t, ec, 2*time.Second)
	ctx := context.Background()
	h := &testHost{name: "hq"}
	startAgent(t, ec, h, nil)
	waitHosts(t, cli, 1)
	must(t, cli.Create(ctx, Spec{Name: "before", Config: "{ }", Running: true}))
	waitFor(t, cli, StateUp, "before")

	ec.Stop(ec.Members[0])
	ec.Stop(ec.Members[1])
	ec.WaitNoLeader(ec.Members[2])
	if err := cli.Create(ctx, Spec{Name: "during", Config: "{ }"}); !errors.Is(err, ErrNoQuorum) {
		t.Fatalf("create without quorum: %v", err)
	}
	time.Sleep(3 * time.Second) // longer than the agent's 2 s lease: it must not count as lost
	ec.Start(ec.Members[0])
	ec.Start(ec.Members[1])
	for _, m := range ec.Members {
		ec.WaitHealthy(m)
	}
	must(t, cli.Create(ctx, Spec{Name: "after", Config: "{ }", Running: true}))
	waitFor(t, cli, StateUp, "before", "after")
	if !h.rt.is("before") || !h.rt.is("after") {
		t.Fatal("containers not running on the agent's host after quorum returned")
	}
}
