// Package plugins is nixcsh's side of its plugin system: it finds plugin
// executables (nixcsh-plugin-NAME), starts them lazily through
// hashicorp/go-plugin's gRPC transport, and delivers core's lifecycle events
// to them with a timeout on every call. It implements core.Hooks; core never
// imports it. A plugin that crashes, hangs or garbles its handshake is named
// in the error with the tail of its stderr and disabled for the session; no
// plugin can take nixcsh down, and none outlives it.
package plugins

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/hashicorp/go-hclog"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/nixcsh/nixcsh/core"
	"github.com/nixcsh/nixcsh/core/fault"
	"github.com/nixcsh/nixcsh/plugins/proto"
)

// HostVersion is the nixcsh version plugins' host constraints are checked
// against unless Config.Version says otherwise.
const HostVersion = "0.1.0"

// DefaultTimeout bounds every call to a plugin, and its start, unless the
// Config or the plugin's "timeout" setting says otherwise.
const DefaultTimeout = 5 * time.Second

// Config is what a Host needs.
type Config struct {
	// Root is the state root ("/" on a real host). Plugins get it as the
	// "root" setting; the plugin log is ROOT/var/log/nixcsh/plugins.log.
	Root string
	// Dirs are searched in order for nixcsh-plugin-NAME; the first folder
	// holding a name wins. Usually DefaultDirs(root, flagDir, os.Getenv).
	Dirs []string
	// Timeout bounds every plugin call; 0 means DefaultTimeout. A plugin's
	// "timeout" setting overrides it for that plugin.
	Timeout time.Duration
	// Settings are per plugin name; they override SettingsFile(Root) key by
	// key and are passed to the plugin's Configure.
	Settings map[string]map[string]string
	// Version is the host version checked against a plugin's constraint;
	// empty means HostVersion.
	Version string
	// Warn, when set, is told about problems that are not errors of a verb:
	// refused plugin files, a bad settings file, a log that cannot be
	// opened. They are logged to the plugin log in any case.
	Warn func(msg string)
}

// Info describes one discovered plugin, for the `plugins` verb.
type Info struct {
	Name       string
	Path       string
	Version    string   // empty until the plugin has run once this session
	SDKVersion string   // the plugins/sdk it was built with; idem
	Events     []string // what it subscribes to; idem
	// State is "not started", "running", "disabled: WHY" or "refused: WHY"
	// (or "exited unexpectedly ..." for a plugin that died between events).
	State string
}

// Host finds plugins and delivers events to them. It is safe for concurrent
// use. Close it when the session ends.
type Host struct {
	cfg Config

	mu      sync.Mutex
	plugins []*plugin
	closed  bool
	spawner *spawner // made on the first start
	log     hclog.Logger
	logFile *os.File
	cacheMu sync.Mutex // serializes this Host's writes of the info cache
}

// plugin is one discovered plugin and what this session knows of it.
type plugin struct {
	name, path string
	refused    string            // set by discovery: never started
	stamp      string            // the file's identity when discovered (see fileStamp)
	settings   map[string]string // what Configure gets
	timeout    time.Duration

	mu       sync.Mutex             // serializes starting and stopping
	info     *proto.GetInfoResponse // from GetInfo, or the info cache until it runs
	proc     *process               // non-nil while running
	disabled string                 // why it was disabled for the session
	retired  bool                   // Reload or Close replaced it: it never starts again
}

// NewHost discovers the plugins in cfg.Dirs and reads their settings; it
// starts nothing. Refused plugin files are reported through cfg.Warn.
func NewHost(cfg Config) *Host {
	if cfg.Root == "" {
		cfg.Root = "/"
	}
	if cfg.Timeout <= 0 {
		cfg.Timeout = DefaultTimeout
	}
	if cfg.Version == "" {
		cfg.Version = HostVersion
	}
	h := &Host{cfg: cfg}
	h.plugins = h.discover()
	return h
}

// discover finds the plugins and works out each one's settings and timeout.
func (h *Host) discover() []*plugin {
	found, warnings := discover(h.cfg.Dirs)
	fileSettings, err := readSettingsFile(SettingsFile(h.cfg.Root))
	if err != nil {
		warnings = append(warnings, fmt.Sprintf("plugins: ignoring the settings file: %v", err))
	}
	cache := loadCache(h.cfg.Root)
	var out []*plugin
	for _, f := range found {
		settings := map[string]string{}
		maps.Copy(settings, fileSettings[f.name])
		maps.Copy(settings, h.cfg.Settings[f.name])
		timeout := h.cfg.Timeout
		if s := settings[proto.SettingTimeout]; s != "" {
			if d, err := time.ParseDuration(s); err == nil && d > 0 {
				timeout = d
			} else {
				warnings = append(warnings, fmt.Sprintf("plugins: plugin %s: bad timeout setting %q (want a duration such as 5s); using %s", f.name, s, timeout))
			}
		}
		settings[proto.SettingTimeout] = timeout.String()
		settings[proto.SettingRoot] = h.cfg.Root
		p := &plugin{name: f.name, path: f.path, refused: f.refused, settings: settings, timeout: timeout}
		if p.refused == "" {
			p.stamp = fileStamp(p.path)
			p.info = cached(cache, p.path, p.stamp)
		}
		out = append(out, p)
	}
	for _, w := range warnings {
		h.warn(w)
	}
	return out
}

func (h *Host) warn(msg string) {
	if h.cfg.Warn != nil {
		h.cfg.Warn(msg)
	}
	if l := h.logger(false); l != nil {
		l.Warn(msg)
	}
}

// logger is the plugin log, ROOT/var/log/nixcsh/plugins.log. It is opened
// on the first plugin start (open), so that a session without plugins
// writes nothing; until then it is nil.
func (h *Host) logger(open bool) hclog.Logger {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.log != nil || !open {
		return h.log
	}
	path := filepath.Join(h.cfg.Root, "var", "log", "nixcsh", "plugins.log")
	var f *os.File
	err := os.MkdirAll(filepath.Dir(path), 0o755)
	if err == nil {
		f, err = os.OpenFile(path, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o640)
	}
	if err != nil {
		if h.cfg.Warn != nil {
			h.cfg.Warn(fmt.Sprintf("plugins: cannot open the plugin log %s: %v; plugin logs are dropped", path, err))
		}
		h.log = hclog.NewNullLogger()
		return h.log
	}
	h.logFile = f
	h.log = hclog.New(&hclog.LoggerOptions{Name: "nixcsh", Output: f, Level: hclog.Debug})
	return h.log
}

// Fire delivers ev to every plugin that subscribes to it, in discovery
// order, starting plugins on their first event. For a pre-event the first
// veto stops the delivery and comes back as a fault.Vetoed error "plugin
// NAME: MESSAGE"; a plugin that fails (crash, hang, its own error) stops it
// too, as a fault.Failed error naming the plugin, so the verb does nothing
// rather than half of it. For a post-event every subscriber gets the event
// and their failures come back together, to be shown as a warning.
func (h *Host) Fire(ctx context.Context, ev core.Event) error {
	if h == nil { // no plugin host: nothing to deliver to
		return nil
	}
	h.mu.Lock()
	plugins, closed := h.plugins, h.closed
	h.mu.Unlock()
	if closed {
		return fault.Errorf(fault.Failed, "plugins: cannot deliver %s for %s: %v", ev.Name, ev.Container, errClosed)
	}
	var errs []error
	for _, p := range plugins {
		if err := h.deliver(ctx, p, ev); err != nil {
			if core.IsPre(ev.Name) {
				return err
			}
			errs = append(errs, err)
		}
	}
	switch len(errs) {
	case 0:
		return nil
	case 1:
		return errs[0]
	}
	return fault.Errorf(fault.Failed, "%w", errors.Join(errs...))
}

// deliver sends ev to p if p subscribes to it.
func (h *Host) deliver(ctx context.Context, p *plugin, ev core.Event) error {
	proc, err := h.ensureRunning(ctx, p, ev.Name)
	if err != nil || proc == nil {
		return err
	}
	callCtx, cancel := context.WithTimeout(ctx, p.timeout)
	defer cancel()
	resp, err := proc.rpc.HandleEvent(callCtx, &proto.EventRequest{Event: ev.Name, Container: ev.Container, Attrs: ev.Attrs})
	if err != nil {
		if ctx.Err() != nil { // the verb was cancelled; not the plugin's fault
			return fault.Errorf(fault.Failed, "plugin %s: %s of %s interrupted: %w", p.name, ev.Name, ev.Container, ctx.Err())
		}
		return h.fail(p, proc, ev.Name, timedOut(callCtx, err), err)
	}
	log := h.logger(true).Named(p.name)
	for _, d := range resp.GetDiagnostics() {
		log.Info("diagnostic", "event", ev.Name, "container", ev.Container, "message", d)
	}
	if resp.GetError() != "" {
		log.Error("event failed", "event", ev.Name, "container", ev.Container, "error", resp.GetError())
		return fault.Errorf(fault.Failed, "plugin %s: %s of %s failed: %s", p.name, ev.Name, ev.Container, resp.GetError())
	}
	if resp.GetVeto() {
		msg := resp.GetMessage()
		if msg == "" {
			msg = fmt.Sprintf("refused %s of %s", strings.TrimPrefix(ev.Name, "pre-"), ev.Container)
		}
		if core.IsPre(ev.Name) {
			log.Info("veto", "event", ev.Name, "container", ev.Container, "message", msg)
			return fault.Errorf(fault.Vetoed, "plugin %s: %s", p.name, msg)
		}
		log.Warn("veto of a post-event ignored", "event", ev.Name, "container", ev.Container, "message", msg)
	}
	return nil
}

// ensureRunning returns p's process if p should get event, starting it if
// needed; nil without error when p does not take part.
func (h *Host) ensureRunning(ctx context.Context, p *plugin, event string) (*process, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.refused != "" || p.disabled != "" || p.retired {
		return nil, nil
	}
	if p.info != nil && !proto.Subscribes(p.info.GetEvents(), event) {
		return nil, nil
	}
	if p.proc != nil {
		return p.proc, nil
	}
	proc, log, err := h.identify(ctx, p, event)
	if err != nil {
		return nil, err
	}
	if !proto.Subscribes(p.info.GetEvents(), event) {
		// The plugin had to run to say what it wants; it starts again on its
		// first event.
		log.Debug("not subscribed; stopping until its first event", "event", event, "events", p.info.GetEvents())
		proc.stop()
		return nil, nil
	}
	confCtx, cancel := context.WithTimeout(ctx, p.timeout)
	resp, err := proc.rpc.Configure(confCtx, &proto.ConfigureRequest{Settings: p.settings})
	tooLate := timedOut(confCtx, err)
	cancel()
	if err != nil {
		return nil, h.failStarting(ctx, p, proc, "Configure", tooLate, err)
	}
	if resp.GetError() != "" {
		return nil, h.disable(p, proc, "rejected its settings: "+resp.GetError())
	}
	log.Info("running", "pid", proc.pid(), "version", p.info.GetVersion(), "events", p.info.GetEvents())
	p.proc = proc
	return proc, nil
}

// identify starts p's executable and asks it who it is (GetInfo): p.info
// is set and remembered in the info cache, and the process is returned,
// running but not yet configured. reason (an event name, or "describe") goes
// to the plugin log. A plugin that fails to start or to answer, or needs
// another nixcsh, is disabled and the error says why. p.mu is held.
func (h *Host) identify(ctx context.Context, p *plugin, reason string) (*process, hclog.Logger, error) {
	h.mu.Lock()
	if h.closed {
		h.mu.Unlock()
		return nil, nil, fault.Errorf(fault.Failed, "plugins: cannot start plugin %s: %v", p.name, errClosed)
	}
	if h.spawner == nil {
		h.spawner = newSpawner()
	}
	sp := h.spawner
	h.mu.Unlock()

	log := h.logger(true).Named(p.name)
	log.Debug("starting", "path", p.path, "for", reason)
	proc, err := launch(sp, p.path, p.timeout, log)
	if err != nil {
		why := startProblem(err, p.timeout)
		if proc != nil && proc.exitedOnItsOwn() {
			why += " (" + proc.exit() + ")"
		}
		return nil, log, h.disable(p, proc, why)
	}
	infoCtx, cancel := context.WithTimeout(ctx, p.timeout)
	info, err := proc.rpc.GetInfo(infoCtx, &proto.GetInfoRequest{HostVersion: h.cfg.Version})
	tooLate := timedOut(infoCtx, err)
	cancel()
	if err != nil {
		return nil, log, h.failStarting(ctx, p, proc, "GetInfo", tooLate, err)
	}
	if why := incompatible(info.GetHostConstraint(), h.cfg.Version); why != "" {
		return nil, log, h.disable(p, proc, why)
	}
	p.info = info
	if err := h.remember(p.path, p.stamp, info); err != nil {
		log.Warn("cannot update the plugin info cache", "file", cacheFile(h.cfg.Root), "error", err)
	}
	return proc, log, nil
}

// Describe is List after learning what every plugin that never ran (and
// is not in the info cache) is: each is started, asked for its version and
// events, and stopped again, in parallel. One that fails to start or answer
// is disabled and its State says why, as an event would have found. ctx
// bounds the whole (each plugin also has its own timeout).
func (h *Host) Describe(ctx context.Context) []Info {
	if h == nil {
		return nil
	}
	h.mu.Lock()
	plugins, closed := h.plugins, h.closed
	h.mu.Unlock()
	if !closed {
		var wg sync.WaitGroup
		for _, p := range plugins {
			wg.Add(1)
			go func() {
				defer wg.Done()
				p.mu.Lock()
				defer p.mu.Unlock()
				if p.info != nil || p.proc != nil || p.refused != "" || p.disabled != "" || p.retired {
					return
				}
				if proc, _, err := h.identify(ctx, p, "describe"); err == nil {
					proc.stop()
				}
			}()
		}
		wg.Wait()
	}
	return h.List()
}

// failStarting handles a failed call while p starts (p.mu held): an
// interrupted verb just stops the plugin, anything else disables it.
func (h *Host) failStarting(ctx context.Context, p *plugin, proc *process, call string, timedOut bool, err error) error {
	if ctx.Err() != nil {
		proc.kill()
		return fault.Errorf(fault.Failed, "plugin %s: start interrupted: %w", p.name, ctx.Err())
	}
	return h.failLocked(p, proc, call, timedOut, err)
}

// timedOut reports whether a call failed for running out of time: our
// deadline passed, or gRPC says so (the plugin's side, which learns the
// deadline too, may end the call a moment before our timer fires).
func timedOut(callCtx context.Context, err error) bool {
	return callCtx.Err() != nil || status.Code(err) == codes.DeadlineExceeded
}

// incompatible says why a plugin with the given host constraint cannot run
// under this host version, or "".
func incompatible(constraint, version string) string {
	if constraint == "" {
		return ""
	}
	ok, err := satisfies(version, constraint)
	if err != nil {
		return fmt.Sprintf("incompatible: cannot read its host version constraint: %v", err)
	}
	if !ok {
		return fmt.Sprintf("incompatible: it needs nixcsh %s, this is nixcsh %s", constraint, version)
	}
	return ""
}

// fail handles a call to a running plugin that got no answer: the plugin
// is killed and disabled, and the error names it with its stderr's tail.
func (h *Host) fail(p *plugin, proc *process, event string, timedOut bool, err error) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.proc != proc { // another caller, Reload or Close already dealt with it
		why := p.disabled
		if why == "" {
			why = "stopped during " + event
		}
		return fault.Errorf(fault.Failed, "plugin %s: %s", p.name, why)
	}
	p.proc = nil
	return h.failLocked(p, proc, event, timedOut, err)
}

// failLocked is fail with p.mu held and proc no longer p's.
func (h *Host) failLocked(p *plugin, proc *process, event string, timedOut bool, err error) error {
	proc.kill() // reaps it, so that its exit status and all its stderr are in
	var why string
	switch {
	case timedOut:
		why = fmt.Sprintf("did not answer %s within %s", event, p.timeout)
	case proc.exitedOnItsOwn():
		why = fmt.Sprintf("crashed during %s (%s)", event, proc.exit())
	default:
		why = fmt.Sprintf("lost during %s: %s", event, firstLine(err.Error()))
	}
	return h.disable(p, proc, why)
}

// disable kills proc (if any), marks p disabled for the session and returns
// the error that tells the user. p.mu is held.
func (h *Host) disable(p *plugin, proc *process, why string) error {
	stderr := ""
	if proc != nil {
		proc.kill()
		stderr = proc.stderr.String()
	}
	p.disabled = why
	msg := fmt.Sprintf("plugin %s: %s; disabled for this session", p.name, why)
	if stderr != "" {
		msg += "; its stderr ends with:\n    " + strings.ReplaceAll(stderr, "\n", "\n    ")
	} else {
		msg += "; its stderr is empty"
	}
	h.logger(true).Named(p.name).Error("disabled", "path", p.path, "why", why)
	return fault.Errorf(fault.Failed, "%s", msg)
}

// startProblem words a failure to start a plugin process.
func startProblem(err error, timeout time.Duration) string {
	s := err.Error()
	switch {
	case strings.HasPrefix(s, "Unrecognized remote plugin message"):
		return "failed its handshake: it wrote to stdout before starting (" + firstLine(s) +
			"); a plugin must call sdk.Serve before writing anything to stdout"
	case strings.Contains(strings.ToLower(s), "incompatible api version"), strings.Contains(s, "incompatible core API version"):
		return fmt.Sprintf("incompatible: it speaks another plugin protocol than nixcsh (version %d): %s", proto.ProtocolVersion, firstLine(s))
	case strings.Contains(s, "timeout while waiting for plugin to start"):
		return fmt.Sprintf("did not finish its handshake within %s", timeout)
	case strings.Contains(s, "plugin exited before we could connect"):
		return "exited before its handshake"
	}
	return "failed to start: " + firstLine(s)
}

// List describes every discovered plugin, in discovery order.
func (h *Host) List() []Info {
	if h == nil {
		return nil
	}
	h.mu.Lock()
	plugins := h.plugins
	h.mu.Unlock()
	out := make([]Info, 0, len(plugins))
	for _, p := range plugins {
		p.mu.Lock()
		i := Info{Name: p.name, Path: p.path, State: "not started"}
		if p.info != nil {
			i.Version, i.SDKVersion = p.info.GetVersion(), p.info.GetSdkVersion()
			i.Events = append([]string(nil), p.info.GetEvents()...)
		}
		switch {
		case p.refused != "":
			i.State = "refused: " + p.refused
		case p.disabled != "":
			i.State = "disabled: " + p.disabled
		case p.proc != nil && p.proc.client.Exited():
			i.State = "exited unexpectedly (reported at its next event)"
		case p.proc != nil:
			i.State = "running"
		}
		p.mu.Unlock()
		out = append(out, i)
	}
	return out
}

// Reload stops every plugin and discovers them afresh (new files, changed
// settings, disabled plugins get another chance); they start again on their
// next event.
func (h *Host) Reload() error {
	h.mu.Lock()
	if h.closed {
		h.mu.Unlock()
		return fault.Errorf(fault.Failed, "plugins: cannot reload: %v", errClosed)
	}
	old := h.plugins
	h.mu.Unlock()
	fresh := h.discover()
	h.mu.Lock()
	h.plugins = fresh
	h.mu.Unlock()
	stopAll(old)
	return nil
}

// Close stops every plugin process and waits until they are gone. It is
// idempotent; after it, Fire fails.
func (h *Host) Close() {
	if h == nil {
		return
	}
	h.mu.Lock()
	if h.closed {
		h.mu.Unlock()
		return
	}
	h.closed = true
	plugins := h.plugins
	h.mu.Unlock()
	stopAll(plugins)
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.spawner != nil {
		h.spawner.close()
	}
	if h.logFile != nil {
		_ = h.logFile.Close()
	}
	h.log = hclog.NewNullLogger()
}

// stopAll stops the plugins' processes in parallel and waits for them.
func stopAll(plugins []*plugin) {
	var wg sync.WaitGroup
	for _, p := range plugins {
		wg.Add(1)
		go func() {
			defer wg.Done()
			p.mu.Lock()
			defer p.mu.Unlock()
			p.retired = true
			if p.proc != nil {
				p.proc.stop()
				p.proc = nil
			}
		}()
	}
	wg.Wait()
}
