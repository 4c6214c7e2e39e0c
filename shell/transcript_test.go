package shell

import (
	"bytes"
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
)

var update = flag.Bool("update", false, "rewrite shell/testdata/*.txt with the output of this build (review the diff!)")

// Transcripts: shell/testdata/*.txt hold a session as the user sees it.
//
//	"> LINE"   a line read by the shell (input), echoed where it was read
//	"! TEXT"   a line written on stderr
//	TEXT       a line written on stdout
//	"[exit N]" the session's exit status (last line)
//	"## ..."   a comment; "## nolua" runs the session without a Lua runner
//
// The input lines run through the same loop as piped stdin (RunScript),
// against a fresh temporary state root; the root's path prints as $ROOT.
func TestTranscripts(t *testing.T) {
	files, _ := filepath.Glob("testdata/*.txt")
	if len(files) == 0 {
		t.Fatal("no transcripts in testdata")
	}
	for _, file := range files {
		t.Run(strings.TrimSuffix(filepath.Base(file), ".txt"), func(t *testing.T) {
			data, err := os.ReadFile(file)
			if err != nil {
				t.Fatal(err)
			}
			want := string(data)
			got := runTranscript(t, want)
			if *update {
				os.WriteFile(file, []byte(got), 0o644)
				return
			}
			if got != want {
				t.Errorf("transcript differs (-want +got):\n%s", lineDiff(want, got))
			}
		})
	}
}

// runTranscript runs the input lines of a transcript and returns the
// transcript of what happened, in the same format.
func runTranscript(t *testing.T, transcript string) string {
	t.Helper()
	var input, comments []string
	lua := true
	for _, l := range strings.Split(strings.TrimSuffix(transcript, "\n"), "\n") {
		switch {
		case strings.HasPrefix(l, "> ") || l == ">":
			input = append(input, strings.TrimPrefix(strings.TrimPrefix(l, ">"), " "))
		case strings.HasPrefix(l, "##"):
			comments = append(comments, l)
			if strings.TrimSpace(l) == "## nolua" {
				lua = false
			}
		}
	}
	root := t.TempDir()
	rec := &recorder{}
	env := &Env{
		Stdout:     rec.stream(""),
		Stderr:     rec.stream("! "),
		Getenv:     func(k string) string { return map[string]string{"HOME": "/nonexistent"}[k] },
		NewManager: newManager,
	}
	if lua {
		env.Lua = &fakeLua{out: env.Stdout}
	}
	src := &echoLines{in: newPlainLines(strings.NewReader(strings.Join(input, "\n") + "\n")), rec: rec}
	r := newREPL(&Env{Stdin: strings.NewReader(""), Stdout: env.Stdout, Stderr: env.Stderr, Getenv: env.Getenv, NewManager: env.NewManager, Lua: env.Lua}, map[string]string{"root": root})
	r.in = src
	code := r.Run(context.Background())
	rec.flush()
	out := strings.Join(comments, "\n")
	if out != "" {
		out += "\n"
	}
	out += strings.ReplaceAll(rec.buf.String(), root, "$ROOT")
	return out + fmt.Sprintf("[exit %d]\n", code)
}

// recorder merges stdout and stderr into one transcript, line by line, in
// the order they were written.
type recorder struct {
	mu      sync.Mutex
	buf     bytes.Buffer
	partial map[string]*bytes.Buffer
}

type recStream struct {
	r      *recorder
	prefix string
}

func (r *recorder) stream(prefix string) io.Writer { return &recStream{r: r, prefix: prefix} }

func (s *recStream) Write(p []byte) (int, error) {
	s.r.mu.Lock()
	defer s.r.mu.Unlock()
	if s.r.partial == nil {
		s.r.partial = map[string]*bytes.Buffer{}
	}
	b := s.r.partial[s.prefix]
	if b == nil {
		b = &bytes.Buffer{}
		s.r.partial[s.prefix] = b
	}
	b.Write(p)
	for {
		line, err := b.ReadString('\n')
		if err != nil {
			b.Reset()
			b.WriteString(line)
			break
		}
		s.r.buf.WriteString(s.prefix + line)
	}
	return len(p), nil
}

// flush writes unfinished lines, marked with "%" (no newline at the end).
func (r *recorder) flush() {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, prefix := range []string{"", "! "} {
		if b := r.partial[prefix]; b != nil && b.Len() > 0 {
			r.buf.WriteString(prefix + b.String() + "%\n")
			b.Reset()
		}
	}
}

// echoLines records each line the shell reads.
type echoLines struct {
	in  LineReader
	rec *recorder
}

func (e *echoLines) ReadLine(prompt string) (string, error) {
	l, err := e.in.ReadLine(prompt)
	if err == nil {
		e.rec.flush()
		e.rec.mu.Lock()
		e.rec.buf.WriteString(strings.TrimRight("> "+l, " ") + "\n")
		e.rec.mu.Unlock()
	}
	return l, err
}
func (e *echoLines) SetHistory([]string) {}
func (e *echoLines) Close() error        { return nil }

// fakeLua stands in for the lua package: it prints what it is asked to run.
// Code with more '{' than '}' is unfinished; code containing "error(" fails;
// "block()" waits until its context is cancelled.
type fakeLua struct {
	out     io.Writer
	started chan struct{}
}

func (f *fakeLua) Exec(ctx context.Context, code, chunk string) error {
	fmt.Fprintf(f.out, "lua[%s]: %s\n", chunk, strings.ReplaceAll(code, "\n", "\\n"))
	if strings.Contains(code, "block()") {
		if f.started != nil {
			close(f.started)
		}
		<-ctx.Done()
		return ctx.Err()
	}
	if i := strings.Index(code, "error("); i >= 0 {
		return fmt.Errorf("%s:1: %s", chunk, strings.Trim(code[i+6:], "\"')"))
	}
	return nil
}

func (f *fakeLua) RunFile(ctx context.Context, path string, args []string) error {
	fmt.Fprintf(f.out, "lua file %s\n", path)
	for i, a := range args {
		fmt.Fprintf(f.out, "  arg[%d] = [%s]\n", i+1, a)
	}
	return nil
}

func (f *fakeLua) Incomplete(code string) bool {
	return strings.Count(code, "{") > strings.Count(code, "}")
}

func (f *fakeLua) Names(prefix string) []string {
	var out []string
	for _, n := range []string{"nixcsh.list", "nixcsh.start", "nixcsh.status", "print", "pairs", "ipairs"} {
		if strings.HasPrefix(n, prefix) {
			out = append(out, n)
		}
	}
	return out
}

// lineDiff shows the lines of want and got side by side where they differ.
func lineDiff(want, got string) string {
	w := strings.Split(want, "\n")
	g := strings.Split(got, "\n")
	var b strings.Builder
	for i := 0; i < len(w) || i < len(g); i++ {
		var wl, gl string
		if i < len(w) {
			wl = w[i]
		}
		if i < len(g) {
			gl = g[i]
		}
		if wl != gl {
			fmt.Fprintf(&b, "%4d - %s\n     + %s\n", i+1, wl, gl)
		} else {
			fmt.Fprintf(&b, "%4d   %s\n", i+1, wl)
		}
	}
	return b.String()
}
