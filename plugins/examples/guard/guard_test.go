package main

import (
	"context"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/nixcsh/nixcsh/plugins/sdk"
	"github.com/nixcsh/nixcsh/plugins/sdk/sdktest"
)

// meminfo writes a /proc/meminfo look-alike with the given MemAvailable.
func meminfo(t *testing.T, availKB int) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "meminfo")
	data := fmt.Sprintf("MemTotal:       16000000 kB\nMemFree:          100000 kB\nMemAvailable:   %8d kB\n", availKB)
	if err := os.WriteFile(p, []byte(data), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func start(t *testing.T, settings map[string]string) *sdktest.Plugin {
	t.Helper()
	return sdktest.Start(t, &guard{}, settings)
}

func wantVeto(t *testing.T, res sdk.Result, err error, about string) {
	t.Helper()
	if err != nil || !res.Veto || !strings.Contains(res.Message, about) {
		t.Fatalf("got %+v, %v; want a veto about %q", res, err, about)
	}
}

func wantAllow(t *testing.T, res sdk.Result, err error) {
	t.Helper()
	if err != nil || res.Veto {
		t.Fatalf("got %+v, %v; want the event allowed", res, err)
	}
}

func TestGuardMemory(t *testing.T) {
	ctx := context.Background()
	ev := sdk.Event{Name: "pre-start", Container: "web"}

	p := start(t, map[string]string{"meminfo": meminfo(t, 100*1024), "min-available": "512M"})
	res, err := p.Fire(ctx, ev)
	wantVeto(t, res, err, "the host has 100.0MiB of memory available, guard's min-available is 512.0MiB")

	p = start(t, map[string]string{"meminfo": meminfo(t, 1024*1024), "min-available": "512M"})
	res, err = p.Fire(ctx, ev)
	wantAllow(t, res, err)

	// The real /proc/meminfo, with the default threshold.
	p = start(t, nil)
	res, err = p.Fire(ctx, ev)
	if err != nil {
		t.Fatal(err)
	}
	// How much this host has free is not known here; a veto, if any, must
	// come from the default threshold.
	if res.Veto && !strings.Contains(res.Message, "guard's min-available is 128.0MiB") {
		t.Errorf("with the default min-available: got a veto %q, want none or one naming 128.0MiB", res.Message)
	}
	if _, err := sdktest.StartErr(t, &guard{}, map[string]string{"min-available": "lots"}); err == nil {
		t.Error("a bad min-available was accepted")
	}
}

func TestGuardPorts(t *testing.T) {
	ctx := context.Background()
	l, err := net.Listen("tcp", ":0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	taken := l.Addr().(*net.TCPAddr).Port
	u, err := net.ListenPacket("udp", ":0")
	if err != nil {
		t.Fatal(err)
	}
	defer u.Close()
	takenUDP := u.LocalAddr().(*net.UDPAddr).Port

	p := start(t, map[string]string{"min-available": "0"})
	for _, c := range []struct {
		hostPort, about string
	}{
		{fmt.Sprintf("%d", taken), fmt.Sprintf("tcp port %d", taken)},
		{fmt.Sprintf("tcp:%d:80", taken), fmt.Sprintf("tcp port %d", taken)},
		{fmt.Sprintf("udp:%d:53", takenUDP), fmt.Sprintf("udp port %d", takenUDP)},
		{"nonsense:port", "HOST_PORT: bad"},
	} {
		res, err := p.Fire(ctx, sdk.Event{Name: "pre-start", Container: "web", Attrs: map[string]string{"HOST_PORT": c.hostPort}})
		wantVeto(t, res, err, c.about)
	}
	l.Close()
	res, err := p.Fire(ctx, sdk.Event{Name: "pre-start", Container: "web", Attrs: map[string]string{"HOST_PORT": fmt.Sprintf("tcp:%d:80", taken)}})
	wantAllow(t, res, err)
}

func TestGuardProtected(t *testing.T) {
	ctx := context.Background()
	p := start(t, map[string]string{"protected": "db,web"})
	for _, name := range []string{"db", "web"} {
		res, err := p.Fire(ctx, sdk.Event{Name: "pre-destroy", Container: name})
		wantVeto(t, res, err, name+" is protected (guard's protected setting)")
	}
	res, err := p.Fire(ctx, sdk.Event{Name: "pre-destroy", Container: "tmp", Attrs: map[string]string{"PROTECTED": "yes"}})
	wantVeto(t, res, err, "tmp is protected (PROTECTED=yes in its conf)")
	res, err = p.Fire(ctx, sdk.Event{Name: "pre-destroy", Container: "tmp", Attrs: map[string]string{"PROTECTED": "0"}})
	wantAllow(t, res, err)
	// guard listens to pre-start and pre-destroy only.
	if _, err := p.Fire(ctx, sdk.Event{Name: "post-destroy", Container: "db"}); err == nil {
		t.Error("post-destroy was delivered; guard does not subscribe to it")
	}
}

func TestParseSize(t *testing.T) {
	for in, want := range map[string]uint64{"1024": 1024, "4K": 4096, "512M": 512 << 20, "2G": 2 << 30, "2GiB": 2 << 30, "1T": 1 << 40, "0": 0} {
		if got, err := parseSize(in); err != nil || got != want {
			t.Errorf("parseSize(%q) = %d, %v; want %d", in, got, err, want)
		}
	}
	for _, bad := range []string{"", "M", "-1G", "1.5G", "12X"} {
		if _, err := parseSize(bad); err == nil {
			t.Errorf("parseSize(%q) gave no error", bad)
		}
	}
}
