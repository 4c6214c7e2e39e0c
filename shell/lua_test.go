package shell

import (
	"bytes"
	"context"
	"io"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/nixcsh/nixcsh/core"
	"github.com/nixcsh/nixcsh/lua"
)

// The shell with the real Lua session behind LuaRunner: the verbs of the
// nixcsh module, unfinished chunks continued, Ctrl-C ending a long call.
func TestREPLWithLuaSession(t *testing.T) {
	root := t.TempDir()
	var errb bytes.Buffer
	out := &markWriter{marker: "sleeping", seen: make(chan struct{})}
	sess := lua.New(lua.Options{
		NewManager: func(stderr io.Writer) (*core.Manager, error) {
			return newManager(map[string]string{"root": root}, stderr)
		},
		Stdout: out,
		Stderr: &errb,
		Getenv: func(string) string { return "" },
	})
	defer sess.Close()
	env := &Env{Stdin: strings.NewReader(""), Stdout: out, Stderr: &errb, Getenv: func(string) string { return "" }, NewManager: newManager, Lua: sess}
	r := newREPL(env, map[string]string{"root": root})
	r.in = newPlainLines(strings.NewReader(`create web
lua for _, n in ipairs(nixcsh.list()) do
  print("container", n)
end
lua print(nixcsh.ip("web"))
lua error("boom")
`))
	code := r.Run(context.Background())
	if code != 1 {
		t.Errorf("exit %d, want 1 (the last line raised)", code)
	}
	if want := "container\tweb\n10.233.1.2\n"; out.String() != want {
		t.Errorf("stdout = %q, want %q", out.String(), want)
	}
	if strings.Count(errb.String(), "boom") != 1 {
		t.Errorf("stderr = %q, want the Lua error once", errb.String())
	}

	// Ctrl-C ends a long Lua call and the session goes on.
	ints := make(chan struct{}, 1)
	r.interrupts = ints
	go func() {
		<-out.seen
		ints <- struct{}{}
	}()
	r.in = newPlainLines(strings.NewReader("lua print(\"sleeping\"); nixcsh.sleep(600)\n"))
	done := make(chan int)
	go func() { done <- r.Run(context.Background()) }()
	select {
	case code := <-done:
		if code != statusInterrupted {
			t.Errorf("status %d after Ctrl-C, want %d", code, statusInterrupted)
		}
	case <-time.After(20 * time.Second):
		t.Fatal("Ctrl-C did not end nixcsh.sleep(600)")
	}
	if !strings.HasSuffix(errb.String(), "interrupted\n") {
		t.Errorf("stderr = %q, want it to end with interrupted", errb.String())
	}
	if got := r.complete.Complete(context.Background(), "lua nixcsh.li"); len(got.Candidates) == 0 || got.Candidates[0] != "nixcsh.list" {
		t.Errorf("lua completion = %q", got.Candidates)
	}
}

// markWriter keeps what is written and closes seen when marker appears.
type markWriter struct {
	mu     sync.Mutex
	buf    bytes.Buffer
	marker string
	seen   chan struct{}
	once   sync.Once
}

func (m *markWriter) Write(p []byte) (int, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.buf.Write(p)
	if strings.Contains(m.buf.String(), m.marker) {
		m.once.Do(func() { close(m.seen) })
	}
	return len(p), nil
}

func (m *markWriter) String() string {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.buf.String()
}
