package main

import (
	"bufio"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"testing"
	"time"

	"github.com/nixcsh/nixcsh/plugins/sdk"
	"github.com/nixcsh/nixcsh/plugins/sdk/sdktest"
)

func records(t *testing.T, path string) []Record {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out []Record
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		var r Record
		if err := json.Unmarshal(sc.Bytes(), &r); err != nil {
			t.Fatalf("line %q: %v", sc.Text(), err)
		}
		out = append(out, r)
	}
	return out
}

func TestAuditAppendsEveryEvent(t *testing.T) {
	t.Setenv(EnvLog, "")
	root := t.TempDir()
	p := sdktest.Start(t, &audit{}, map[string]string{sdk.SettingRoot: root})
	if info := p.Info(); info.Name != "audit" || !info.Subscribes("post-anything-new") {
		t.Fatalf("info %+v: audit must subscribe to every event, also future ones", info)
	}
	ctx := context.Background()
	events := []sdk.Event{
		{Name: "pre-create", Container: "web", Attrs: map[string]string{"HOST_ADDRESS": "10.233.1.1"}},
		{Name: "post-create", Container: "web", Attrs: map[string]string{"generation": "1"}},
		{Name: "pre-start", Container: "web"},
	}
	for _, ev := range events {
		if res, err := p.Fire(ctx, ev); err != nil || res.Veto {
			t.Fatalf("%s: %+v, %v", ev.Name, res, err)
		}
	}
	got := records(t, filepath.Join(root, "var/log/nixcsh/audit.jsonl"))
	if len(got) != len(events) {
		t.Fatalf("%d records, want %d", len(got), len(events))
	}
	for i, ev := range events {
		want := ev.Attrs
		if want == nil {
			want = map[string]string{}
		}
		if got[i].Event != ev.Name || got[i].Container != ev.Container || !reflect.DeepEqual(got[i].Attrs, want) {
			t.Errorf("record %d = %+v, want %+v", i, got[i], ev)
		}
		if time.Since(got[i].Time) > time.Minute || got[i].Time.Location() != time.UTC {
			t.Errorf("record %d time %v", i, got[i].Time)
		}
	}
}

func TestAuditLogChoice(t *testing.T) {
	ctx := context.Background()
	ev := sdk.Event{Name: "post-stop", Container: "db"}

	setting := filepath.Join(t.TempDir(), "by-setting.jsonl")
	env := filepath.Join(t.TempDir(), "by-env.jsonl")
	t.Setenv(EnvLog, env)
	p := sdktest.Start(t, &audit{}, map[string]string{"path": setting})
	if _, err := p.Fire(ctx, ev); err != nil {
		t.Fatal(err)
	}
	if len(records(t, setting)) != 1 {
		t.Error("the path setting was not used")
	}
	if _, err := os.Stat(env); !os.IsNotExist(err) {
		t.Error("the env variable won over the setting")
	}

	p = sdktest.Start(t, &audit{}, nil)
	if _, err := p.Fire(ctx, ev); err != nil {
		t.Fatal(err)
	}
	if len(records(t, env)) != 1 {
		t.Error("NIXCSH_AUDIT_LOG was not used")
	}
}

func TestAuditRefusesAnUnwritableLog(t *testing.T) {
	blocker := filepath.Join(t.TempDir(), "file")
	if err := os.WriteFile(blocker, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	// A folder where a file is: cannot be made, by root or anyone.
	_, err := sdktest.StartErr(t, &audit{}, map[string]string{"path": filepath.Join(blocker, "audit.jsonl")})
	if err == nil {
		t.Fatal("Configure accepted a log under a regular file")
	}
}
