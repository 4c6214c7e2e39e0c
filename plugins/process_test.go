package plugins

import (
	"bytes"
	"fmt"
	"strings"
	"testing"

	"github.com/hashicorp/go-hclog"
)

func TestTailKeepsTheLastLines(t *testing.T) {
	tl := newTail(3, 64)
	fmt.Fprint(tl, "one\ntwo\nthr")
	fmt.Fprint(tl, "ee\nfour\n")
	fmt.Fprint(tl, `{"@level":"error","@message":"disk full","@timestamp":"x","path":"/var"}`+"\n")
	fmt.Fprint(tl, "partial")
	want := "three\nfour\n[error] disk full path=/var\npartial" // 3 whole lines and the unfinished one
	if got := tl.String(); got != want {
		t.Errorf("tail = %q, want %q", got, want)
	}
	long := newTail(10, 16)
	fmt.Fprint(long, strings.Repeat("x", 40)+"\n")
	if got := long.String(); got != "..."+strings.Repeat("x", 16) {
		t.Errorf("long tail = %q", got)
	}
}

func TestLineLoggerLogsWholeLines(t *testing.T) {
	var buf bytes.Buffer
	tl := newTail(5, 1024)
	l := &lineLogger{log: hclog.New(&hclog.LoggerOptions{Output: &buf, Level: hclog.Info}), tail: tl}
	fmt.Fprint(l, "hello wo")
	if buf.Len() != 0 {
		t.Errorf("logged half a line: %q", buf.String())
	}
	fmt.Fprint(l, "rld\nbye\n")
	if got := buf.String(); !strings.Contains(got, "hello world") || !strings.Contains(got, "bye") {
		t.Errorf("log = %q", got)
	}
	if got := tl.String(); got != "hello world\nbye" {
		t.Errorf("tail = %q", got)
	}
}
