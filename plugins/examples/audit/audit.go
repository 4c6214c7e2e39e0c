package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/nixcsh/nixcsh/plugins/sdk"
)

// EnvLog names the audit log when the "path" setting does not.
const EnvLog = "NIXCSH_AUDIT_LOG"

// audit writes each event it gets as a JSON line to its log file.
type audit struct {
	sdk.Base
	mu   sync.Mutex
	path string
}

// Record is one line of the audit log.
type Record struct {
	Event     string            `json:"event"`
	Container string            `json:"container"`
	Time      time.Time         `json:"time"`
	Attrs     map[string]string `json:"attrs"`
}

func (a *audit) Info() sdk.Info {
	return sdk.Info{Name: "audit", Version: "1.0.0", Events: []string{sdk.AllEvents}}
}

// Configure picks the log: the "path" setting, else $NIXCSH_AUDIT_LOG,
// else /var/log/nixcsh/audit.jsonl under the state root. A relative path is
// taken under the state root too. The folder is made if missing.
func (a *audit) Configure(_ context.Context, settings map[string]string) error {
	root := settings[sdk.SettingRoot]
	if root == "" {
		root = "/"
	}
	path, chosen := settings["path"], true
	if path == "" {
		path = os.Getenv(EnvLog)
	}
	if path == "" {
		path, chosen = "/var/log/nixcsh/audit.jsonl", false
	}
	if !chosen || !filepath.IsAbs(path) {
		path = filepath.Join(root, path)
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return fmt.Errorf("audit log folder: %w", err)
	}
	// Open once now, so that a log that cannot be written is reported at
	// start, not lost event by event.
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o640)
	if err != nil {
		return fmt.Errorf("audit log: %w", err)
	}
	a.mu.Lock()
	a.path = path
	a.mu.Unlock()
	return f.Close()
}

// HandleEvent appends the event. The file is opened per event in append
// mode, so each line lands whole at the end even if the log is rotated or
// several nixcsh sessions audit to it at once.
func (a *audit) HandleEvent(_ context.Context, ev sdk.Event) (sdk.Result, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.path == "" {
		return sdk.Result{}, fmt.Errorf("audit: not configured")
	}
	attrs := ev.Attrs
	if attrs == nil {
		attrs = map[string]string{}
	}
	line, err := json.Marshal(Record{Event: ev.Name, Container: ev.Container, Time: time.Now().UTC(), Attrs: attrs})
	if err != nil {
		return sdk.Result{}, err
	}
	f, err := os.OpenFile(a.path, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o640)
	if err != nil {
		return sdk.Result{}, fmt.Errorf("audit log: %w", err)
	}
	_, werr := f.Write(append(line, '\n'))
	if cerr := f.Close(); werr == nil {
		werr = cerr
	}
	if werr != nil {
		return sdk.Result{}, fmt.Errorf("audit log %s: %w", a.path, werr)
	}
	return sdk.Allow(), nil
}
