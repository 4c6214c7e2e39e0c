package plugins

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os/exec"
	"runtime"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/hashicorp/go-hclog"
	goplugin "github.com/hashicorp/go-plugin"

	"github.com/nixcsh/nixcsh/plugins/proto"
)

// process is one running plugin executable and the gRPC client to it.
type process struct {
	cmd    *exec.Cmd
	client *goplugin.Client
	rpc    proto.PluginClient
	stderr *tail
}

// spawner starts plugin processes from one OS thread that is locked for the
// Host's life. Pdeathsig, which kills a plugin when nixcsh dies (even by
// kill -9), fires when the *thread* that forked the plugin exits, not the
// process; Go may retire an ordinary thread (a goroutine that locks it and
// ends, as network-namespace code does), which would kill healthy plugins.
// A thread that only ever runs this goroutine never exits before the Host
// is closed.
type spawner struct {
	jobs chan func()
	stop chan struct{}
	once sync.Once
}

func newSpawner() *spawner {
	s := &spawner{jobs: make(chan func()), stop: make(chan struct{})}
	go func() {
		runtime.LockOSThread()
		// Not unlocked on purpose: when the Host closes, all its plugins are
		// gone, and the thread may go with this goroutine.
		for {
			select {
			case job := <-s.jobs:
				job()
			case <-s.stop:
				return
			}
		}
	}()
	return s
}

var errClosed = errors.New("the plugin host is closed")

// run runs f on the spawner's thread and waits for it.
func (s *spawner) run(f func()) error {
	done := make(chan struct{})
	select {
	case s.jobs <- func() { defer close(done); f() }:
	case <-s.stop:
		return errClosed
	}
	<-done
	return nil
}

func (s *spawner) close() { s.once.Do(func() { close(s.stop) }) }

// launch starts the plugin at path and connects to it; startTimeout bounds
// the handshake. On error the process is gone and stderr holds what it said.
func launch(sp *spawner, path string, startTimeout time.Duration, log hclog.Logger) (*process, error) {
	cmd := exec.Command(path)
	cmd.SysProcAttr = &syscall.SysProcAttr{
		// The plugin dies with nixcsh even when nixcsh is killed with SIGKILL
		// and gets no chance to clean up (go-plugin's Kill covers every other
		// exit).
		Pdeathsig: syscall.SIGKILL,
		// Its own process group: Ctrl-C at the REPL cancels the verb in
		// nixcsh and must not reach (and kill) the plugins too.
		Setpgid: true,
	}
	p := &process{cmd: cmd, stderr: newTail(16, 4096)}
	synced := &lineLogger{log: log, tail: p.stderr}
	p.client = goplugin.NewClient(&goplugin.ClientConfig{
		HandshakeConfig:  proto.Handshake,
		Plugins:          proto.PluginSet(nil),
		Cmd:              cmd,
		AllowedProtocols: []goplugin.Protocol{goplugin.ProtocolGRPC},
		Logger:           log,
		StartTimeout:     startTimeout,
		Stderr:           p.stderr,                              // the raw stderr, e.g. a panic
		SyncStderr:       synced,                                // os.Stderr after sdk.Serve
		SyncStdout:       &lineLogger{log: log.Named("stdout")}, // never the user's terminal
	})
	var err error
	if serr := sp.run(func() { _, err = p.client.Start() }); serr != nil {
		return nil, serr
	}
	if err == nil {
		var rpc goplugin.ClientProtocol
		if rpc, err = p.client.Client(); err == nil {
			var raw any
			if raw, err = rpc.Dispense(proto.PluginName); err == nil {
				p.rpc = raw.(proto.PluginClient)
			}
		}
	}
	if err != nil {
		p.kill()
		return p, err
	}
	return p, nil
}

// kill ends the process at once and waits until it is reaped and its
// stderr read to the end.
func (p *process) kill() {
	if p.cmd.Process != nil {
		_ = p.cmd.Process.Kill()
	}
	p.client.Kill()
}

// stop asks the plugin to exit, killing it if it does not within go-plugin's
// grace period, and waits until it is gone.
func (p *process) stop() { p.client.Kill() }

// pid is the plugin's process id, 0 before it started.
func (p *process) pid() int {
	if p.cmd.Process == nil {
		return 0
	}
	return p.cmd.Process.Pid
}

// exit describes how the process ended ("exit status 3", "signal: killed"),
// or "" while it runs. Valid after kill or stop.
func (p *process) exit() string {
	if p.cmd.ProcessState == nil {
		return ""
	}
	return p.cmd.ProcessState.String()
}

// exitedOnItsOwn reports whether the process ended other than by our SIGKILL.
func (p *process) exitedOnItsOwn() bool {
	st := p.cmd.ProcessState
	if st == nil {
		return false
	}
	if ws, ok := st.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
		return ws.Signal() != syscall.SIGKILL
	}
	return true
}

// tail keeps the last lines written to it, for error messages.
type tail struct {
	mu       sync.Mutex
	lines    []string
	partial  []byte
	maxLines int
	maxBytes int
}

func newTail(maxLines, maxBytes int) *tail { return &tail{maxLines: maxLines, maxBytes: maxBytes} }

func (t *tail) Write(b []byte) (int, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.partial = append(t.partial, b...)
	for {
		i := bytes.IndexByte(t.partial, '\n')
		if i < 0 {
			break
		}
		t.add(string(t.partial[:i]))
		t.partial = t.partial[i+1:]
	}
	if len(t.partial) > t.maxBytes {
		t.partial = t.partial[len(t.partial)-t.maxBytes:]
	}
	return len(b), nil
}

func (t *tail) add(line string) {
	line = strings.TrimRight(humanLogLine(line), "\r ")
	if line == "" {
		return
	}
	t.lines = append(t.lines, line)
	if len(t.lines) > t.maxLines {
		t.lines = t.lines[len(t.lines)-t.maxLines:]
	}
}

// String is the kept lines, the oldest first, at most maxBytes long.
func (t *tail) String() string {
	t.mu.Lock()
	defer t.mu.Unlock()
	lines := t.lines
	if len(t.partial) > 0 {
		lines = append(lines[:len(lines):len(lines)], string(t.partial))
	}
	s := strings.Join(lines, "\n")
	if len(s) > t.maxBytes {
		s = "..." + s[len(s)-t.maxBytes:]
	}
	return s
}

// humanLogLine turns an hclog JSON line (what sdk.Serve's logger writes) into
// "[level] message key=value"; other lines stay as they are.
func humanLogLine(line string) string {
	if !strings.HasPrefix(line, "{") {
		return line
	}
	var m map[string]any
	if json.Unmarshal([]byte(line), &m) != nil {
		return line
	}
	msg, ok := m["@message"].(string)
	if !ok {
		return line
	}
	out := fmt.Sprintf("[%v] %s", m["@level"], msg)
	for k, v := range m {
		if !strings.HasPrefix(k, "@") {
			out += fmt.Sprintf(" %s=%v", k, v)
		}
	}
	return out
}

// lineLogger writes each line it gets to the plugin log, and to tail if set.
type lineLogger struct {
	log     hclog.Logger
	tail    *tail
	mu      sync.Mutex
	partial []byte
}

func (l *lineLogger) Write(b []byte) (int, error) {
	if l.tail != nil {
		_, _ = l.tail.Write(b)
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	l.partial = append(l.partial, b...)
	for {
		i := bytes.IndexByte(l.partial, '\n')
		if i < 0 {
			break
		}
		l.log.Info(string(l.partial[:i]))
		l.partial = l.partial[i+1:]
	}
	return len(b), nil
}

// firstLine is the first line of s: go-plugin's errors append paragraphs of
// advice meant for its own developers.
func firstLine(s string) string {
	s, _, _ = strings.Cut(s, "\n")
	return strings.TrimSpace(s)
}
