package engine

import (
	"bufio"
	"io"
	"os"
	"regexp"
	"strings"
	"time"
)

// followBoot reports the container's boot on one line while start waits:
// systemd inside prints "Starting X...", "[  OK  ] Started X" to the console,
// which the supervisor appends to the log. It reads what is appended to
// logFile after this call and passes each unit line, without colours, to
// progress. The returned stop ends it.
func followBoot(logFile string, progress func(string)) (stop func()) {
	f, err := os.Open(logFile)
	if err != nil {
		// The log is created by the supervisor; start with an empty one.
		if f, err = os.OpenFile(logFile, os.O_RDONLY|os.O_CREATE, 0o644); err != nil {
			return func() {}
		}
	}
	f.Seek(0, io.SeekEnd)
	done := make(chan struct{})
	finished := make(chan struct{})
	go func() {
		defer close(finished)
		defer f.Close()
		r := bufio.NewReader(f)
		// The console is a file, not a pipe: poll it for what was appended.
		// This is display only; readiness itself comes from sd_notify.
		tick := time.NewTicker(40 * time.Millisecond)
		defer tick.Stop()
		partial := ""
		for {
			for {
				line, err := r.ReadString('\n')
				if err != nil {
					partial += line
					break
				}
				if s := bootStep(partial + line); s != "" {
					progress(s)
				}
				partial = ""
			}
			select {
			case <-done:
				return
			case <-tick.C:
			}
		}
	}()
	return func() {
		close(done)
		<-finished
	}
}

var (
	ansi     = regexp.MustCompile(`\x1b\[[0-9;]*m?`)
	unitStep = regexp.MustCompile(`^(?:\[\s*OK\s*\]\s*)?(Starting|Started|Finished|Reached target|Listening on|Mounting|Mounted)\s+(\S+)`)
)

// bootStep turns a console line into "Starting sshd.service", or "" for
// lines that are not a unit's step.
func bootStep(line string) string {
	line = strings.TrimSpace(ansi.ReplaceAllString(line, ""))
	m := unitStep.FindStringSubmatch(line)
	if m == nil {
		return ""
	}
	return m[1] + " " + strings.TrimSuffix(m[2], "...")
}
