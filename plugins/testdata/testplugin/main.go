// Command testplugin is the plugins package's test double. Its behaviour is
// chosen by its file name, nixcsh-plugin-MODE, so that one build serves
// every case:
//
//	ok          subscribes to every event; vetoes a pre-event whose attrs
//	            have VETO=message; fails an event whose attrs have FAIL=message
//	crash       exits with status 3 on its first event, after a last word on stderr
//	hang        never answers an event
//	garbage     writes to stdout before its handshake
//	mute        never gets to its handshake
//	oldproto    speaks another protocol version
//	newhost     needs a nixcsh newer than any
//	destroyonly subscribes to pre-destroy only
//	badconf     rejects its settings
package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	goplugin "github.com/hashicorp/go-plugin"

	"github.com/nixcsh/nixcsh/plugins/proto"
	"github.com/nixcsh/nixcsh/plugins/sdk"
)

type testPlugin struct {
	sdk.Base
	mode string
}

func (t testPlugin) Info() sdk.Info {
	info := sdk.Info{Name: t.mode, Version: "0.0.1-" + t.mode, Events: []string{sdk.AllEvents}}
	switch t.mode {
	case "newhost":
		info.HostConstraint = ">= 99.0"
	case "destroyonly":
		info.Events = []string{"pre-destroy"}
	}
	return info
}

func (t testPlugin) Configure(ctx context.Context, settings map[string]string) error {
	if t.mode == "badconf" {
		return errors.New("setting colour: must be blue")
	}
	return nil
}

func (t testPlugin) HandleEvent(ctx context.Context, ev sdk.Event) (sdk.Result, error) {
	switch t.mode {
	case "crash":
		// Straight to fd 2, as a Go runtime crash would write.
		fmt.Fprintf(os.NewFile(2, "stderr"), "crash: giving up on %s of %s\n", ev.Name, ev.Container)
		os.Exit(3)
	case "hang":
		fmt.Fprintf(os.NewFile(2, "stderr"), "hang: stuck in %s\n", ev.Name)
		<-make(chan struct{})
	}
	if msg := ev.Attrs["FAIL"]; msg != "" {
		return sdk.Result{}, errors.New(msg)
	}
	if msg := ev.Attrs["VETO"]; msg != "" && ev.IsPre() {
		return sdk.Veto("%s", msg), nil
	}
	return sdk.Result{Diagnostics: []string{"saw " + ev.Name}}, nil
}

func main() {
	mode := strings.TrimPrefix(filepath.Base(os.Args[0]), "nixcsh-plugin-")
	switch mode {
	case "garbage":
		fmt.Fprintln(os.Stderr, "garbage: about to greet on stdout")
		fmt.Println("hello from garbage")
	case "mute":
		fmt.Fprintln(os.Stderr, "mute: waiting for nothing")
		<-make(chan struct{})
	case "oldproto":
		hs := proto.Handshake
		hs.ProtocolVersion = 99
		goplugin.Serve(&goplugin.ServeConfig{
			HandshakeConfig: hs,
			Plugins:         proto.PluginSet(sdk.NewServer(testPlugin{mode: mode})),
			GRPCServer:      goplugin.DefaultGRPCServer,
		})
		return
	}
	sdk.Serve(testPlugin{mode: mode})
}
