package shell

import (
	"bufio"
	"errors"
	"io"
	"os"
	"strings"

	"github.com/chzyer/readline"
)

// LineReader is where the shell's lines come from: readline on a terminal,
// plain lines from a pipe, a script or a test.
type LineReader interface {
	// ReadLine shows prompt (if it is interactive) and returns one line
	// without its newline. io.EOF ends the session; ErrInterrupt means the
	// user pressed Ctrl-C at the prompt.
	ReadLine(prompt string) (string, error)
	// SetHistory replaces the lines that Up and Ctrl-R recall, oldest first
	// (no-op when not interactive).
	SetHistory(entries []string)
	Close() error
}

// ErrInterrupt is Ctrl-C at the prompt: the line is dropped.
var ErrInterrupt = errors.New("interrupt")

// plainLines reads lines from a reader, with no prompt and no history: the
// mode of `nixcsh < session.txt`.
type plainLines struct {
	r *bufio.Reader
}

func newPlainLines(r io.Reader) *plainLines { return &plainLines{r: bufio.NewReader(r)} }

func (p *plainLines) ReadLine(string) (string, error) {
	line, err := p.r.ReadString('\n')
	if err == io.EOF && line != "" {
		err = nil // a last line without a newline still counts
	}
	if err != nil {
		return "", err
	}
	return strings.TrimSuffix(strings.TrimSuffix(line, "\n"), "\r"), nil
}

func (p *plainLines) SetHistory([]string) {}
func (p *plainLines) Close() error        { return nil }

// termLines is chzyer/readline on the user's terminal: line editing,
// history recall, Ctrl-R reverse search and TAB completion.
type termLines struct {
	rl *readline.Instance
}

// newTermLines opens readline on stdin/stdout with the completer and the
// entries already in the history file.
func newTermLines(stdin *os.File, stdout io.Writer, complete func(line string) Completion, history []string) (*termLines, error) {
	cfg := &readline.Config{
		Prompt:                 "",
		AutoComplete:           readlineCompleter{complete},
		HistoryLimit:           historyLimit,
		DisableAutoSaveHistory: true,
		HistorySearchFold:      true,
		Stdout:                 stdout,
		// Ctrl-C prints ^C and a fresh prompt (no blank line); Ctrl-D leaves
		// the line clean before the shell exits.
		InterruptPrompt: "^C",
		EOFPrompt:       "\n",
	}
	if stdin != os.Stdin {
		cfg.Stdin = stdin
	}
	rl, err := readline.NewEx(cfg)
	if err != nil {
		return nil, err
	}
	t := &termLines{rl: rl}
	t.SetHistory(history)
	return t, nil
}

func (t *termLines) ReadLine(prompt string) (string, error) {
	t.rl.SetPrompt(prompt)
	line, err := t.rl.Readline()
	if errors.Is(err, readline.ErrInterrupt) {
		return "", ErrInterrupt
	}
	return line, err
}

func (t *termLines) SetHistory(entries []string) {
	t.rl.ResetHistory()
	for _, e := range entries {
		t.rl.SaveHistory(e)
	}
}

func (t *termLines) Close() error { return t.rl.Close() }

// readlineCompleter adapts the shell's completion to readline, which wants
// the suffixes to insert after the last `length` runes before the cursor.
type readlineCompleter struct {
	complete func(line string) Completion
}

func (c readlineCompleter) Do(line []rune, pos int) ([][]rune, int) {
	res := c.complete(string(line[:pos]))
	partial := []rune(res.Partial)
	var out [][]rune
	for _, cand := range res.Candidates {
		rc := []rune(cand)
		if len(rc) < len(partial) || string(rc[:len(partial)]) != res.Partial {
			continue
		}
		out = append(out, rc[len(partial):])
	}
	return out, len(partial)
}
