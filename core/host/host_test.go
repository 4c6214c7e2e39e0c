package host_test

import (
	"io"
	"strings"
	"testing"
	"time"

	"github.com/coreos/go-systemd/v22/unit"

	"github.com/nixcsh/nixcsh/core/host"
)

func TestByName(t *testing.T) {
	if b, err := host.ByName("process"); err != nil || b.Name() != "process" {
		t.Errorf("ByName(process) = %v, %v", b, err)
	}
	if _, err := host.ByName("docker"); err == nil || !strings.Contains(err.Error(), "docker") {
		t.Errorf("ByName(docker) = %v", err)
	}
	if b := host.Detect(); b == nil {
		t.Error("Detect returned nil")
	}
}

func TestUnitRendering(t *testing.T) {
	s := &host.Systemd{UnitDir: t.TempDir(), StartTimeout: time.Minute, StopTimeout: 30 * time.Second}
	tmpl, _ := io.ReadAll(unit.Serialize(s.Template()))
	for _, want := range []string{"Type=notify", "NotifyAccess=all", "KillMode=mixed", "TimeoutStopSec=30s", "Delegate=yes"} {
		if !strings.Contains(string(tmpl), want+"\n") {
			t.Errorf("template lacks %s:\n%s", want, tmpl)
		}
	}
	u := host.Unit{Container: "web", Argv: []string{"/usr/bin/nixcsh", "__supervise", "--root", "/srv/a b", "100%$HOME"},
		Env: []string{"NIXCSH_ROOT=/srv/a b", "NOTIFY_SOCKET=/x"}, LogFile: "/var/log/nixcsh/web.log"}
	dropIn, _ := io.ReadAll(unit.Serialize(host.DropIn(u)))
	want := `ExecStart="/usr/bin/nixcsh" "__supervise" "--root" "/srv/a b" "100%%$$HOME"`
	if !strings.Contains(string(dropIn), want+"\n") {
		t.Errorf("drop-in lacks %s:\n%s", want, dropIn)
	}
	if strings.Contains(string(dropIn), "NOTIFY_SOCKET") || !strings.Contains(string(dropIn), `Environment="NIXCSH_ROOT=/srv/a b"`) {
		t.Errorf("drop-in environment:\n%s", dropIn)
	}
	if host.UnitName("web") != "container@web.service" {
		t.Error(host.UnitName("web"))
	}
}
