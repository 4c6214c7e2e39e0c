package sdnotify

import (
	"net"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func send(t *testing.T, addr, msg string) {
	t.Helper()
	c, err := net.DialUnix("unixgram", nil, &net.UnixAddr{Name: addr, Net: "unixgram"})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if _, err := c.Write([]byte(msg)); err != nil {
		t.Fatal(err)
	}
}

func receive(t *testing.T, l *Listener) map[string]string {
	t.Helper()
	select {
	case m := <-l.Msgs:
		return m
	case <-time.After(10 * time.Second):
		t.Fatal("no datagram")
		return nil
	}
}

func TestListen(t *testing.T) {
	for _, dir := range []string{t.TempDir(), filepath.Join(t.TempDir(), strings.Repeat("d", 100))} {
		l, err := Listen(filepath.Join(dir, "notify"))
		if err != nil {
			t.Fatal(err)
		}
		if len(dir) > 90 && !strings.HasPrefix(l.Addr, "@") {
			t.Errorf("long path %s not replaced by an abstract socket: %s", dir, l.Addr)
		}
		send(t, l.Addr, "X_NSPAWN_LEADER_PID=42\n")
		send(t, l.Addr, "READY=1\nSTATUS=Container running: Startup finished.")
		if m := receive(t, l); m["X_NSPAWN_LEADER_PID"] != "42" {
			t.Errorf("first message %v", m)
		}
		if m := receive(t, l); m["READY"] != "1" || m["STATUS"] != "Container running: Startup finished." {
			t.Errorf("second message %v", m)
		}
		l.Close()
		if _, ok := <-l.Msgs; ok {
			t.Error("Msgs not closed after Close")
		}
	}
}
