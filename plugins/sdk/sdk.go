// Package sdk is what a nixcsh plugin author imports. A plugin is a program
// named nixcsh-plugin-NAME whose main calls sdk.Serve with a value that
// implements Plugin, usually by embedding sdk.Base and overriding what it
// needs:
//
//	type guard struct{ sdk.Base }
//
//	func (guard) Info() sdk.Info {
//		return sdk.Info{Name: "guard", Version: "1.0.0", Events: []string{"pre-start"}}
//	}
//
//	func (guard) HandleEvent(ctx context.Context, ev sdk.Event) (sdk.Result, error) {
//		if ev.Attrs["HOST_PORT"] == "22" {
//			return sdk.Veto("port 22 is the host's ssh"), nil
//		}
//		return sdk.Allow(), nil
//	}
//
//	func main() { sdk.Serve(guard{}) }
//
// Test a plugin in-process with plugins/sdk/sdktest.
package sdk

import (
	"context"
	"fmt"
	"os"
	"runtime/debug"

	"github.com/hashicorp/go-hclog"
	goplugin "github.com/hashicorp/go-plugin"

	"github.com/nixcsh/nixcsh/plugins/proto"
)

// Version is the SDK's version; the host lists it beside the plugin's own.
const Version = "0.1.0"

// AllEvents in Info.Events subscribes to every event, also those added to
// nixcsh after the plugin was built.
const AllEvents = proto.AllEvents

// Settings keys the host always sets, beside the plugin's own settings.
const (
	SettingRoot    = proto.SettingRoot    // the state root, "/" on a real host
	SettingTimeout = proto.SettingTimeout // the per-call timeout the host applies
)

// Info says who the plugin is and what it wants to hear.
type Info struct {
	Name    string
	Version string
	// Events the plugin subscribes to ("pre-start", ...; AllEvents for all).
	// The host starts the plugin on the first of them and sends it no other.
	Events []string
	// HostConstraint limits the nixcsh versions the plugin runs with, as a
	// comma-separated list of comparisons: ">= 0.1.0, < 2". Empty means any.
	HostConstraint string
}

// Subscribes reports whether Info asks for the named event.
func (i Info) Subscribes(event string) bool {
	return proto.Subscribes(i.Events, event)
}

// Event is one lifecycle event: its name ("pre-start"), the container, and
// string attributes: the container's conf keys (HOST_ADDRESS, HOST_PORT, ...)
// and, once it has one, its current "generation", that generation's "system"
// store path and its configuration's "config.PATH" values, JSON-encoded
// (plugins/README.md, "Events").
type Event struct {
	Name      string
	Container string
	Attrs     map[string]string
}

// IsPre reports whether the event comes before its verb changes anything, so
// that a veto stops the verb.
func (e Event) IsPre() bool { return len(e.Name) > 4 && e.Name[:4] == "pre-" }

// Result is a plugin's answer to an event. Veto matters only for pre-events:
// the verb stops and the user reads "plugin NAME: MESSAGE".
type Result struct {
	Veto        bool
	Message     string
	Diagnostics []string // notes for nixcsh's plugin log
}

// Allow is the answer that lets a verb go on.
func Allow() Result { return Result{} }

// Veto refuses a pre-event with a message for the user.
func Veto(format string, args ...any) Result {
	return Result{Veto: true, Message: fmt.Sprintf(format, args...)}
}

// Plugin is what Serve runs. Embed Base so that methods added to Plugin later
// get a no-op default and old plugins keep building.
type Plugin interface {
	// Info is asked once, right after the plugin starts.
	Info() Info
	// Configure gets the plugin's settings once, before any event. An error
	// disables the plugin for the session, and the user reads it.
	Configure(ctx context.Context, settings map[string]string) error
	// HandleEvent gets every event the plugin subscribed to. An error means
	// the plugin could not do its job (the user reads it); to refuse a verb,
	// return a Veto result instead.
	HandleEvent(ctx context.Context, ev Event) (Result, error)
}

// Base is the no-op plugin to embed: it accepts any settings and allows
// every event.
type Base struct{}

// Configure accepts any settings.
func (Base) Configure(context.Context, map[string]string) error { return nil }

// HandleEvent allows the event.
func (Base) HandleEvent(context.Context, Event) (Result, error) { return Allow(), nil }

// Serve runs impl as a nixcsh plugin: it answers the host's handshake on
// stdout and serves the protocol until the host goes away. Everything the
// plugin writes to stderr (and its hclog output) lands in the host's plugin
// log, not on the user's terminal. Run by hand, outside nixcsh, it explains
// that it is a plugin and exits with status 1.
func Serve(impl Plugin) {
	goplugin.Serve(&goplugin.ServeConfig{
		HandshakeConfig: proto.Handshake,
		Plugins:         proto.PluginSet(NewServer(impl)),
		GRPCServer:      goplugin.DefaultGRPCServer,
		Logger: hclog.New(&hclog.LoggerOptions{
			Name:       impl.Info().Name,
			Output:     os.Stderr,
			Level:      hclog.Info,
			JSONFormat: true,
		}),
	})
}

// NewServer wraps impl in the protocol's gRPC service. Serve uses it; so does
// sdktest, to drive a plugin in-process exactly as the host would.
func NewServer(impl Plugin) proto.PluginServer { return &server{impl: impl} }

type server struct {
	proto.UnimplementedPluginServer
	impl Plugin
}

func (s *server) GetInfo(context.Context, *proto.GetInfoRequest) (*proto.GetInfoResponse, error) {
	info := s.impl.Info()
	return &proto.GetInfoResponse{
		Name:           info.Name,
		Version:        info.Version,
		SdkVersion:     Version,
		Events:         info.Events,
		HostConstraint: info.HostConstraint,
	}, nil
}

func (s *server) Configure(ctx context.Context, req *proto.ConfigureRequest) (resp *proto.ConfigureResponse, _ error) {
	resp = &proto.ConfigureResponse{}
	defer recoverInto(&resp.Error)
	settings := req.GetSettings()
	if settings == nil {
		settings = map[string]string{}
	}
	if err := s.impl.Configure(ctx, settings); err != nil {
		resp.Error = err.Error()
	}
	return resp, nil
}

func (s *server) HandleEvent(ctx context.Context, req *proto.EventRequest) (resp *proto.EventResponse, _ error) {
	resp = &proto.EventResponse{}
	defer recoverInto(&resp.Error)
	attrs := req.GetAttrs()
	if attrs == nil {
		attrs = map[string]string{}
	}
	res, err := s.impl.HandleEvent(ctx, Event{Name: req.GetEvent(), Container: req.GetContainer(), Attrs: attrs})
	if err != nil {
		resp.Error = err.Error()
		return resp, nil
	}
	resp.Veto, resp.Message, resp.Diagnostics = res.Veto, res.Message, res.Diagnostics
	return resp, nil
}

// recoverInto turns a panic in the plugin's code into an error answer: the
// gRPC server would otherwise die with the whole plugin, and one bad event
// should not cost the plugin its session. The stack goes to the plugin log.
func recoverInto(msg *string) {
	if r := recover(); r != nil {
		fmt.Fprintf(os.Stderr, "panic: %v\n%s", r, debug.Stack())
		*msg = fmt.Sprintf("panic: %v", r)
	}
}
