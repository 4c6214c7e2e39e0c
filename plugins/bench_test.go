package plugins

import (
	"context"
	"testing"

	"github.com/nixcsh/nixcsh/core"
)

// BenchmarkFireSubscribed is the cost of one event delivered to one running
// plugin (the test plugin in "ok" mode, which answers at once): the gRPC
// round trip plus the host's bookkeeping. Target: well under 2 ms.
func BenchmarkFireSubscribed(b *testing.B) {
	h := newHost(b, Config{Dirs: []string{pluginDir(b, "ok")}})
	ctx := context.Background()
	ev := core.Event{Name: core.PreStart, Container: "web", Attrs: map[string]string{
		"HOST_ADDRESS": "10.233.1.1", "LOCAL_ADDRESS": "10.233.1.2", "HOST_PORT": "tcp:8080:80", "generation": "3",
	}}
	if err := h.Fire(ctx, ev); err != nil { // starts the plugin
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		if err := h.Fire(ctx, ev); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkFireUnsubscribed is the cost of an event no plugin wants: it must
// not reach any process.
func BenchmarkFireUnsubscribed(b *testing.B) {
	h := newHost(b, Config{Dirs: []string{pluginDir(b, "destroyonly")}})
	ctx := context.Background()
	ev := core.Event{Name: core.PreStart, Container: "web"}
	if err := h.Fire(ctx, ev); err != nil { // learns what it wants
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if err := h.Fire(ctx, ev); err != nil {
			b.Fatal(err)
		}
	}
}
