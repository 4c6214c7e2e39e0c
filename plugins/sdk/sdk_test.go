package sdk_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/nixcsh/nixcsh/plugins/sdk"
	"github.com/nixcsh/nixcsh/plugins/sdk/sdktest"
)

// minimal overrides nothing but Info: Base supplies the rest.
type minimal struct{ sdk.Base }

func (minimal) Info() sdk.Info {
	return sdk.Info{Name: "minimal", Version: "1", Events: []string{"pre-start"}}
}

func TestBaseAllowsEverything(t *testing.T) {
	p := sdktest.Start(t, minimal{}, map[string]string{"anything": "goes"})
	res, err := p.Fire(context.Background(), sdk.Event{Name: "pre-start", Container: "web"})
	if err != nil || res.Veto || res.Message != "" {
		t.Fatalf("Base answered %+v, %v", res, err)
	}
	if _, err := p.Fire(context.Background(), sdk.Event{Name: "pre-stop", Container: "web"}); !errors.Is(err, sdktest.ErrNotSubscribed) {
		t.Fatalf("unsubscribed event: %v, want ErrNotSubscribed", err)
	}
}

// moody vetoes, fails or panics as the event's attrs ask, and records the
// settings it got.
type moody struct {
	sdk.Base
	settings map[string]string
}

func (*moody) Info() sdk.Info { return sdk.Info{Name: "moody", Events: []string{sdk.AllEvents}} }

func (m *moody) Configure(_ context.Context, s map[string]string) error {
	m.settings = s
	return nil
}

func (*moody) HandleEvent(_ context.Context, ev sdk.Event) (sdk.Result, error) {
	switch ev.Attrs["do"] {
	case "veto":
		return sdk.Veto("no %s for %s", ev.Name, ev.Container), nil
	case "fail":
		return sdk.Result{}, errors.New("broken")
	case "panic":
		panic("oops")
	}
	return sdk.Result{Diagnostics: []string{"fine"}}, nil
}

func TestServerCarriesAnswers(t *testing.T) {
	m := &moody{}
	p := sdktest.Start(t, m, nil)
	if m.settings[sdk.SettingRoot] == "" || m.settings[sdk.SettingTimeout] != "5s" {
		t.Errorf("settings %v lack the host's root and timeout", m.settings)
	}
	ctx := context.Background()
	fire := func(do string) (sdk.Result, error) {
		return p.Fire(ctx, sdk.Event{Name: "pre-start", Container: "web", Attrs: map[string]string{"do": do}})
	}
	if res, err := fire("veto"); err != nil || !res.Veto || res.Message != "no pre-start for web" {
		t.Errorf("veto: %+v, %v", res, err)
	}
	if _, err := fire("fail"); err == nil || err.Error() != "broken" {
		t.Errorf("fail: %v", err)
	}
	if _, err := fire("panic"); err == nil || !strings.Contains(err.Error(), "panic: oops") {
		t.Errorf("panic: %v", err)
	}
	// The panic cost the plugin nothing.
	if res, err := fire(""); err != nil || res.Veto || len(res.Diagnostics) != 1 {
		t.Errorf("after the panic: %+v, %v", res, err)
	}
}

func TestEventIsPre(t *testing.T) {
	for name, want := range map[string]bool{"pre-start": true, "post-start": false, "pre-": false, "prestart": false} {
		if got := (sdk.Event{Name: name}).IsPre(); got != want {
			t.Errorf("IsPre(%q) = %v", name, got)
		}
	}
}
