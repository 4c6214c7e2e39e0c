package engine

import (
	"os"
	"path/filepath"
	"testing"
)

func TestBootStep(t *testing.T) {
	cases := map[string]string{
		"         Starting \x1b[0;1;39mdbus.service\x1b[0m - D-Bus System Message Bus...": "Starting dbus.service",
		"[\x1b[0;32m  OK  \x1b[0m] Started \x1b[0;1;39msshd.service\x1b[0m - SSH Daemon.": "Started sshd.service",
		"[  OK  ] Reached target multi-user.target - Multi-User System.":                  "Reached target multi-user.target",
		"nixcsh: container foo is ready (leader 1, 0.2s)":                                 "",
		"": "",
	}
	for in, want := range cases {
		if got := bootStep(in); got != want {
			t.Errorf("bootStep(%q) = %q, want %q", in, got, want)
		}
	}
}

// Only what is appended after followBoot starts is reported, line by line,
// also when a line arrives in pieces.
func TestFollowBoot(t *testing.T) {
	log := filepath.Join(t.TempDir(), "c.log")
	os.WriteFile(log, []byte("[  OK  ] Started old.service - from an earlier boot.\n"), 0o644)
	steps := make(chan string, 10)
	stop := followBoot(log, func(s string) { steps <- s })
	f, _ := os.OpenFile(log, os.O_APPEND|os.O_WRONLY, 0)
	f.WriteString("         Starting \x1b[0;1;39mhttpd.service\x1b[0m - Apache...\n[  OK  ] Reached tar")
	if got := <-steps; got != "Starting httpd.service" {
		t.Errorf("first step %q", got)
	}
	f.WriteString("get multi-user.target - Multi-User System.\n")
	if got := <-steps; got != "Reached target multi-user.target" {
		t.Errorf("second step %q", got)
	}
	f.Close()
	stop()
	select {
	case s := <-steps:
		t.Errorf("unexpected step %q", s)
	default:
	}
}
