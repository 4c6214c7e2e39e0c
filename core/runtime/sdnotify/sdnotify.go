// Package sdnotify is the receiving end of systemd's sd_notify protocol: a
// unix datagram socket whose address goes into a child's NOTIFY_SOCKET.
// The supervisor listens to systemd-nspawn with it, and the process host
// backend listens to the supervisor with it, exactly as systemd itself would
// for a Type=notify unit.
package sdnotify

import (
	"crypto/rand"
	"encoding/hex"
	"net"
	"os"
	"strings"
	"sync"
)

// Listener receives sd_notify datagrams.
type Listener struct {
	conn *net.UnixConn
	// Addr is the value for NOTIFY_SOCKET: the socket's path, or "@name"
	// for an abstract socket.
	Addr string
	path string // the file to remove ("" for an abstract socket)
	// Msgs receives each datagram's KEY=VALUE assignments, in order; it is
	// closed after Close.
	Msgs chan map[string]string
	done chan struct{}
	once sync.Once
}

// maxSunPath is sizeof(sockaddr_un.sun_path) minus the terminating nul.
const maxSunPath = 107

// Listen binds a datagram socket at path (replacing a stale socket file).
// When path is too long for a sockaddr_un (deep temp dirs), it falls back to
// an abstract socket, which sd_notify senders (nspawn, go-systemd) accept as
// "@name"; abstract sockets belong to the caller's network namespace, which
// is where the supervisor and nspawn's outer process live.
func Listen(path string) (*Listener, error) {
	l := &Listener{Msgs: make(chan map[string]string, 16), done: make(chan struct{})}
	addr := &net.UnixAddr{Net: "unixgram", Name: path}
	if len(path) > maxSunPath {
		var rnd [8]byte
		rand.Read(rnd[:])
		addr.Name = "@nixcsh-notify-" + hex.EncodeToString(rnd[:])
	} else {
		os.Remove(path)
		l.path = path
	}
	conn, err := net.ListenUnixgram("unixgram", addr)
	if err != nil {
		return nil, err
	}
	l.conn = conn
	l.Addr = addr.Name
	go l.read()
	return l, nil
}

func (l *Listener) read() {
	defer close(l.Msgs)
	buf := make([]byte, 4096)
	for {
		n, _, err := l.conn.ReadFromUnix(buf)
		if err != nil {
			return
		}
		msg := map[string]string{}
		for _, line := range strings.Split(string(buf[:n]), "\n") {
			if k, v, ok := strings.Cut(line, "="); ok {
				msg[k] = v
			}
		}
		select {
		case l.Msgs <- msg:
		case <-l.done:
			return
		}
	}
}

// Close stops listening and removes the socket file.
func (l *Listener) Close() {
	l.once.Do(func() {
		close(l.done)
		l.conn.Close()
		if l.path != "" {
			os.Remove(l.path)
		}
	})
}
