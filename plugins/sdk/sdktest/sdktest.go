// Package sdktest runs a nixcsh plugin in-process, for the plugin's own unit
// tests: no subprocess, no handshake, but the same gRPC service, messages and
// call order (GetInfo, Configure, then only subscribed events) the host uses,
// so what passes here behaves the same under nixcsh.
package sdktest

import (
	"context"
	"errors"
	"fmt"
	"net"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/test/bufconn"

	"github.com/nixcsh/nixcsh/plugins/proto"
	"github.com/nixcsh/nixcsh/plugins/sdk"
)

// ErrNotSubscribed is Fire's error for an event the plugin did not subscribe
// to: the host would never have sent it.
var ErrNotSubscribed = errors.New("plugin does not subscribe to this event")

// Plugin is a plugin running in-process behind its gRPC service.
type Plugin struct {
	client proto.PluginClient
	info   sdk.Info
}

// Start serves impl in-process, asks its Info and configures it with
// settings, as the host does. Like the host, it sets sdk.SettingRoot (to a
// fresh t.TempDir() unless settings has one) and sdk.SettingTimeout. A
// failing Configure fails the test; use StartErr to test that. Everything is
// stopped when the test ends.
func Start(t testing.TB, impl sdk.Plugin, settings map[string]string) *Plugin {
	t.Helper()
	p, err := StartErr(t, impl, settings)
	if err != nil {
		t.Fatalf("sdktest: %v", err)
	}
	return p
}

// StartErr is Start that returns Configure's error instead of failing.
func StartErr(t testing.TB, impl sdk.Plugin, settings map[string]string) (*Plugin, error) {
	t.Helper()
	lis := bufconn.Listen(1 << 20)
	srv := grpc.NewServer()
	proto.RegisterPluginServer(srv, sdk.NewServer(impl))
	go func() { _ = srv.Serve(lis) }()
	conn, err := grpc.NewClient("passthrough:///sdktest",
		grpc.WithContextDialer(func(ctx context.Context, _ string) (net.Conn, error) { return lis.DialContext(ctx) }),
		grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		srv.Stop()
		t.Fatalf("sdktest: connecting to the in-process plugin: %v", err)
	}
	t.Cleanup(func() {
		_ = conn.Close()
		srv.Stop()
	})

	p := &Plugin{client: proto.NewPluginClient(conn)}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	info, err := p.client.GetInfo(ctx, &proto.GetInfoRequest{})
	if err != nil {
		return nil, fmt.Errorf("GetInfo: %w", err)
	}
	p.info = sdk.Info{Name: info.GetName(), Version: info.GetVersion(), Events: info.GetEvents(), HostConstraint: info.GetHostConstraint()}

	all := map[string]string{sdk.SettingRoot: "", sdk.SettingTimeout: "5s"}
	for k, v := range settings {
		all[k] = v
	}
	if all[sdk.SettingRoot] == "" {
		all[sdk.SettingRoot] = t.TempDir()
	}
	resp, err := p.client.Configure(ctx, &proto.ConfigureRequest{Settings: all})
	if err != nil {
		return nil, fmt.Errorf("calling Configure: %w", err)
	}
	if resp.GetError() != "" {
		return nil, errors.New(resp.GetError())
	}
	return p, nil
}

// Info is what the plugin told GetInfo.
func (p *Plugin) Info() sdk.Info { return p.info }

// Fire delivers one event the way the host does and returns the plugin's
// answer. It returns ErrNotSubscribed, without calling the plugin, for an
// event the plugin did not subscribe to, and the plugin's own error when it
// failed to handle the event.
func (p *Plugin) Fire(ctx context.Context, ev sdk.Event) (sdk.Result, error) {
	if !p.info.Subscribes(ev.Name) {
		return sdk.Result{}, fmt.Errorf("%s: %w", ev.Name, ErrNotSubscribed)
	}
	resp, err := p.client.HandleEvent(ctx, &proto.EventRequest{Event: ev.Name, Container: ev.Container, Attrs: ev.Attrs})
	if err != nil {
		return sdk.Result{}, err
	}
	if resp.GetError() != "" {
		return sdk.Result{}, errors.New(resp.GetError())
	}
	return sdk.Result{Veto: resp.GetVeto(), Message: resp.GetMessage(), Diagnostics: resp.GetDiagnostics()}, nil
}
