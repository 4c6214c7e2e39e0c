// Package core is nixcsh's engine: containers, their state on disk and their
// lifecycle. It knows nothing of terminals, Lua or go-plugin; those front ends
// call the Manager and read its typed errors (package fault).
package core

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"regexp"
	"sort"
	"strings"

	"github.com/nixcsh/nixcsh/core/conf"
	"github.com/nixcsh/nixcsh/core/fault"
	"github.com/nixcsh/nixcsh/core/fsx"
	"github.com/nixcsh/nixcsh/core/layout"
	"golang.org/x/sys/unix"
)

// Manager carries out the verbs on the containers of one state root. It is
// cheap to make; each front end (CLI, REPL, a Lua state) makes its own with
// its own Stderr, so concurrent verbs never share an output stream.
type Manager struct {
	Paths    layout.Paths
	Hooks    Hooks     // plugins and Lua hooks; nil means none
	Stderr   io.Writer // progress and warnings ("host IP is ...", "reloading container...")
	Builder  Builder   // builds generations (core/system); nil: create only writes files
	Profiles Profiles  // generations, rollback, gc, show-config (core/system)
	Runtime  Runtime   // runs containers (core/runtime); nil: nothing can start
}

// NewManager returns a Manager for the state root, with output to stderr.
func NewManager(root string, stderr io.Writer) *Manager {
	if stderr == nil {
		stderr = io.Discard
	}
	return &Manager{Paths: layout.Paths{Root: root}, Stderr: stderr}
}

var validName = regexp.MustCompile(`^[a-zA-Z0-9_-]+$`)

// MaxNameLen is the longest container name: the host side of its veth is
// "ve-" + NAME and interface names are limited to 15 bytes.
const MaxNameLen = 11

// podmanFiles are podman's own entries in /etc/containers, which share the
// folder with container confs: list skips them and create refuses their names.
var podmanFiles = map[string]bool{
	"containers": true, "registries": true, "storage": true, "policy": true, "libpod": true,
	"mounts": true, "seccomp": true, "registries.d": true, "registries.conf.d": true,
	"containers.conf.d": true, "systemd": true, "oci": true, "networks": true, "certs.d": true,
}

// ValidateName checks a container name as nixos-container does.
func ValidateName(name string) error {
	if name == "" {
		return fault.Errorf(fault.Invalid, "no container name specified")
	}
	if !validName.MatchString(name) {
		return fault.Errorf(fault.Invalid, "invalid container name")
	}
	return nil
}

// checkNewName adds the rules for names that create will make.
func checkNewName(name string) error {
	if err := ValidateName(name); err != nil {
		return err
	}
	if len(name) > MaxNameLen {
		return fault.Errorf(fault.Invalid, "container name '%s' is too long", name)
	}
	if podmanFiles[name] {
		return fault.Errorf(fault.Invalid, "container name '%s' is reserved: /etc/containers/%s.conf is podman's; choose another name", name, name)
	}
	return nil
}

// Exists reports whether the container's conf exists.
func (m *Manager) Exists(name string) bool {
	_, err := os.Stat(m.Paths.ConfFile(name))
	return err == nil
}

// Conf reads the container's NAME.conf; a missing one is NotFound.
func (m *Manager) Conf(name string) (*conf.File, error) {
	if err := ValidateName(name); err != nil {
		return nil, err
	}
	f, err := conf.Read(m.Paths.ConfFile(name))
	if errors.Is(err, os.ErrNotExist) {
		return nil, fault.Errorf(fault.NotFound, "container '%s' does not exist", name)
	}
	if err != nil {
		return nil, fault.Errorf(fault.Failed, "cannot read the settings of container '%s': %v", name, err)
	}
	return f, nil
}

// List returns the names of all containers, sorted, skipping podman's files.
func (m *Manager) List(ctx context.Context) ([]string, error) {
	entries, err := os.ReadDir(m.Paths.ConfDir())
	if errors.Is(err, os.ErrNotExist) {
		return []string{}, nil
	}
	if err != nil {
		return nil, fault.Errorf(fault.Failed, "cannot list containers: %v", err)
	}
	names := []string{}
	for _, e := range entries {
		n, ok := strings.CutSuffix(e.Name(), ".conf")
		if !ok || e.IsDir() || podmanFiles[n] || !validName.MatchString(n) {
			continue
		}
		names = append(names, n)
	}
	sort.Strings(names)
	return names, nil
}

// ShowIP returns LOCAL_ADDRESS without its prefix, or LOCAL_ADDRESS6.
func (m *Manager) ShowIP(ctx context.Context, name string) (string, error) {
	f, err := m.Conf(name)
	if err != nil {
		return "", err
	}
	for _, key := range []string{conf.LocalAddress, conf.LocalAddress6} {
		if a := f.Get(key); a != "" {
			a, _, _ = strings.Cut(a, "/")
			return a, nil
		}
	}
	return "", fault.Errorf(fault.Failed, "cannot get IP address")
}

// ShowHostKey returns the container's public ssh host key (ed25519, else
// ecdsa), as the container's sshd generated it.
func (m *Manager) ShowHostKey(ctx context.Context, name string) (string, error) {
	if _, err := m.Conf(name); err != nil {
		return "", err
	}
	dir := m.Paths.StateDir(name)
	for _, k := range []string{"etc/ssh/ssh_host_ed25519_key.pub", "etc/ssh/ssh_host_ecdsa_key.pub"} {
		if data, err := os.ReadFile(dir + "/" + k); err == nil {
			return strings.TrimRight(string(data), "\n"), nil
		}
	}
	return "", fault.Errorf(fault.NotFound, "container '%s' has no ssh host key yet: enable services.openssh and start it once", name)
}

// lockContainer serialises the verbs of one container across processes.
func (m *Manager) lockContainer(ctx context.Context, name string) (*fsx.Lock, error) {
	l, err := fsx.LockFile(m.Paths.ContainerLock(name), false)
	if errors.Is(err, unix.EWOULDBLOCK) {
		// Someone else is working on it: wait, but give up with ctx.
		done := make(chan struct{})
		var werr error
		go func() {
			l, werr = fsx.LockFile(m.Paths.ContainerLock(name), true)
			close(done)
		}()
		select {
		case <-done:
			err = werr
		case <-ctx.Done():
			go func() { <-done; l.Unlock() }()
			return nil, fault.Errorf(fault.Busy, "container '%s' is busy with another command; try again when it has finished", name)
		}
	}
	if err != nil {
		return nil, fault.Errorf(fault.Failed, "cannot lock container '%s': %v", name, err)
	}
	return l, nil
}

// fire delivers a hook event. Post-event errors become warnings on Stderr.
func (m *Manager) fire(ctx context.Context, event, name string, attrs map[string]string) error {
	if m.Hooks == nil {
		return nil
	}
	err := m.Hooks.Fire(ctx, Event{Name: event, Container: name, Attrs: attrs})
	if err == nil {
		return nil
	}
	if IsPre(event) {
		if fault.KindOf(err) != fault.Vetoed {
			err = &fault.Error{Kind: fault.Vetoed, Msg: err.Error(), Err: err}
		}
		return err
	}
	m.warnf("warning: %s hook: %v", event, err)
	return nil
}

func (m *Manager) warnf(format string, args ...any) {
	io.WriteString(m.Stderr, strings.TrimRight(fmt.Sprintf(format, args...), "\n")+"\n")
}

// eventAttrs is what hooks are told about a container: its conf keys, its
// current generation and store path, and the values of its configuration
// (config.PATH, JSON-encoded: "config.services.openssh.enable" = "true").
// The generation and configuration are read whenever the Manager has Hooks,
// whether or not any hook subscribes to the event: the CLI, the shell and
// Lua always set Hooks (the plugin host, even with no plugin installed), so
// only a Manager made without hooks (tests, embedders) skips the reading.
func (m *Manager) eventAttrs(name string) map[string]string {
	attrs := map[string]string{}
	if f, err := conf.Read(m.Paths.ConfFile(name)); err == nil {
		for k, v := range f.Map() {
			attrs[k] = v
		}
	}
	if m.Hooks == nil || m.Profiles == nil {
		return attrs
	}
	if gens, err := m.Profiles.List(m.Paths, name); err == nil {
		for _, g := range gens {
			if g.Current {
				attrs["generation"] = fmt.Sprint(g.Number)
				attrs["system"] = g.StorePath
			}
		}
	}
	if tree, err := m.Profiles.ShowConfig(m.Paths, name, ""); err == nil {
		flattenConfig("config", tree, attrs)
	}
	return attrs
}

// flattenConfig adds every leaf of an option tree as PREFIX.PATH = JSON.
func flattenConfig(prefix string, v any, into map[string]string) {
	if m, ok := v.(map[string]any); ok {
		for k, e := range m {
			flattenConfig(prefix+"."+k, e, into)
		}
		return
	}
	if b, err := json.Marshal(v); err == nil {
		into[prefix] = string(b)
	}
}
