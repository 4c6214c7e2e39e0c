package engine

import (
	"context"
	"testing"
	"time"

	"github.com/nixcsh/nixcsh/core"
	"github.com/nixcsh/nixcsh/core/cluster"
	"github.com/nixcsh/nixcsh/core/cluster/etcdtest"
)

// BenchmarkClusterCreateStart is the time from `create --cluster` (and
// start) to the container being up on its host as the cluster reports it:
// the scheduler's placement, the agent's watch, the local create and start,
// and the report. Its floor is BenchmarkLocalCreateStart, the same create
// and start done locally (scripts/bench.sh prints the ratio).
func BenchmarkClusterCreateStart(b *testing.B) {
	needRoot(b)
	ec := etcdtest.Start(b, 3)
	r := newTestRoot(b)
	cli, err := cluster.Connect(cluster.Options{Endpoints: ec.Endpoints()})
	if err != nil {
		b.Fatal(err)
	}
	defer cli.Close()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	a := &cluster.Agent{Client: cli, Manager: r.M, Host: cluster.Host{Name: "bh", Memory: 1 << 30}}
	go func() { a.Run(ctx); close(done) }()
	b.Cleanup(func() { cancel(); <-done })
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		name := uniqueName("bc")
		if err := cli.Create(ctx, cluster.Spec{Name: name, Running: true}); err != nil {
			b.Fatal(err)
		}
		waitClusterState(b, cli, name, cluster.StateUp)
		b.StopTimer()
		if err := cli.Destroy(ctx, name); err != nil {
			b.Fatal(err)
		}
		for r.M.Exists(name) {
			time.Sleep(20 * time.Millisecond)
		}
		b.StartTimer()
	}
}

// BenchmarkLocalCreateStart is the floor of BenchmarkClusterCreateStart.
func BenchmarkLocalCreateStart(b *testing.B) {
	needRoot(b)
	r := newTestRoot(b)
	ctx := context.Background()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		name := uniqueName("bl")
		if _, err := r.M.Create(ctx, name, core.CreateOptions{}); err != nil {
			b.Fatal(err)
		}
		if err := r.M.Start(ctx, name, nil); err != nil {
			b.Fatal(err)
		}
		b.StopTimer()
		if err := r.M.Destroy(ctx, name); err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
	}
}

// waitClusterState polls the cluster (every 10 ms) until name is in state.
func waitClusterState(b *testing.B, cli *cluster.Client, name, state string) {
	deadline := time.Now().Add(time.Minute)
	for time.Now().Before(deadline) {
		if l, err := cli.List(context.Background()); err == nil {
			for _, e := range l {
				if e.Name == name && e.State == state {
					return
				}
				if e.Name == name && e.State == cluster.StateFailed && e.Status != nil {
					b.Fatalf("%s failed: %s", name, e.Status.Error)
				}
			}
		}
		time.Sleep(10 * time.Millisecond)
	}
	b.Fatalf("%s not %s after a minute", name, state)
}
