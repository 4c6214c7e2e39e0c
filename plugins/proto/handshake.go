// Package proto holds the wire protocol between nixcsh and its plugins: the
// gRPC service generated from hooks.proto, and the go-plugin glue both sides
// share (the handshake and the plugin set). Only go-plugin's gRPC transport
// is used; net/rpc is never offered.
package proto

import (
	"context"

	goplugin "github.com/hashicorp/go-plugin"
	"google.golang.org/grpc"
)

// ProtocolVersion is the version of this protocol. Bump it only for a change
// old plugins cannot survive; new events and new attributes need no bump.
const ProtocolVersion = 1

// Handshake is what host and plugin must agree on before anything else. The
// magic cookie is private to nixcsh: it keeps a nixcsh plugin from being run
// by hand or by another go-plugin host (and a stray executable from passing
// for a nixcsh plugin); it is not a secret.
var Handshake = goplugin.HandshakeConfig{
	ProtocolVersion:  ProtocolVersion,
	MagicCookieKey:   "NIXCSH_PLUGIN_COOKIE",
	MagicCookieValue: "8c1f5e0a-nixcsh-hooks-3b9d27f4",
}

// PluginName is the single plugin a nixcsh plugin process serves.
const PluginName = "hooks"

// GRPCPlugin adapts the generated service to go-plugin. The plugin side sets
// Impl; the host side leaves it nil and gets a PluginClient back. nixcsh
// speaks gRPC only: go-plugin's NetRPCUnsupportedPlugin refuses net/rpc.
type GRPCPlugin struct {
	goplugin.NetRPCUnsupportedPlugin
	Impl PluginServer
}

var (
	_ goplugin.Plugin     = (*GRPCPlugin)(nil)
	_ goplugin.GRPCPlugin = (*GRPCPlugin)(nil)
)

// GRPCServer registers the plugin's implementation on go-plugin's server.
func (p *GRPCPlugin) GRPCServer(_ *goplugin.GRPCBroker, s *grpc.Server) error {
	RegisterPluginServer(s, p.Impl)
	return nil
}

// GRPCClient gives the host a client for the plugin's service.
func (p *GRPCPlugin) GRPCClient(_ context.Context, _ *goplugin.GRPCBroker, c *grpc.ClientConn) (any, error) {
	return NewPluginClient(c), nil
}

// PluginSet is the set both sides pass to go-plugin.
func PluginSet(server PluginServer) goplugin.PluginSet {
	return goplugin.PluginSet{PluginName: &GRPCPlugin{Impl: server}}
}

// Settings the host always passes to Configure, beside the plugin's own.
const (
	// SettingRoot is the state root ("/" on a real host): every path a
	// plugin writes or reads on nixcsh's behalf hangs off it.
	SettingRoot = "root"
	// SettingTimeout is the per-call timeout the host applies (a Go
	// duration, "5s"); a user sets it per plugin to give a slow plugin more.
	SettingTimeout = "timeout"
)

// AllEvents, in GetInfoResponse.events, subscribes to every event, including
// events added after the plugin was built.
const AllEvents = "*"

// Subscribes reports whether a plugin that asked for events (as in
// GetInfoResponse.events) gets event.
func Subscribes(events []string, event string) bool {
	for _, e := range events {
		if e == event || e == AllEvents {
			return true
		}
	}
	return false
}
