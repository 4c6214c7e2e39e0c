package plugins

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"syscall"

	"github.com/nixcsh/nixcsh/plugins/proto"
)

// The info cache remembers what each plugin file answered to GetInfo, so
// that a later session knows a plugin's events without starting it (a
// plugin starts on the first event it subscribes to, not to be asked), and
// `plugins` can show versions of plugins that have not run this session.
// An entry counts only while the file is unchanged (its stamp). The cache
// can only make nixcsh skip starting a plugin for events the plugin itself
// said it does not want; it never decides what runs.

// cacheFile is ROOT/var/cache/nixcsh/plugins.json.
func cacheFile(root string) string {
	return filepath.Join(root, "var", "cache", "nixcsh", "plugins.json")
}

// cacheEntry is one plugin file's remembered GetInfo answer.
type cacheEntry struct {
	Stamp          string   `json:"stamp"`
	Name           string   `json:"name"`
	Version        string   `json:"version"`
	SDKVersion     string   `json:"sdk_version"`
	Events         []string `json:"events"`
	HostConstraint string   `json:"host_constraint,omitempty"`
}

// fileStamp identifies the current content of the file at path without
// reading it: a rebuilt or replaced plugin gets a new stamp.
func fileStamp(path string) string {
	st, err := os.Stat(path)
	if err != nil {
		return ""
	}
	sys, ok := st.Sys().(*syscall.Stat_t)
	if !ok {
		return ""
	}
	return fmt.Sprintf("%d:%d:%d:%d:%d", sys.Dev, sys.Ino, st.Size(), st.ModTime().UnixNano(), sys.Ctim.Nano())
}

// loadCache reads the cache; a missing or unreadable one is empty.
func loadCache(root string) map[string]cacheEntry {
	out := map[string]cacheEntry{}
	data, err := os.ReadFile(cacheFile(root))
	if err == nil {
		_ = json.Unmarshal(data, &out)
	}
	return out
}

// cached is the remembered answer for the file at path with stamp, or nil.
func cached(c map[string]cacheEntry, path, stamp string) *proto.GetInfoResponse {
	e, ok := c[path]
	if !ok || stamp == "" || e.Stamp != stamp {
		return nil
	}
	return &proto.GetInfoResponse{Name: e.Name, Version: e.Version, SdkVersion: e.SDKVersion, Events: e.Events, HostConstraint: e.HostConstraint}
}

// remember stores a fresh GetInfo answer for the file at path, unless the
// cache already has it. The write is atomic (temp file, rename), so that
// concurrent sessions never read half a file; the last writer wins.
func (h *Host) remember(path, stamp string, info *proto.GetInfoResponse) error {
	if stamp == "" {
		return nil
	}
	h.cacheMu.Lock()
	defer h.cacheMu.Unlock()
	c := loadCache(h.cfg.Root)
	e := cacheEntry{Stamp: stamp, Name: info.GetName(), Version: info.GetVersion(), SDKVersion: info.GetSdkVersion(),
		Events: info.GetEvents(), HostConstraint: info.GetHostConstraint()}
	if old, ok := c[path]; ok && fmt.Sprint(old) == fmt.Sprint(e) {
		return nil
	}
	c[path] = e
	for p := range c { // forget plugin files that are gone
		if _, err := os.Stat(p); err != nil {
			delete(c, p)
		}
	}
	data, err := json.MarshalIndent(c, "", "  ")
	if err != nil {
		return err
	}
	file := cacheFile(h.cfg.Root)
	if err := os.MkdirAll(filepath.Dir(file), 0o755); err != nil {
		return err
	}
	tmp, err := os.CreateTemp(filepath.Dir(file), ".plugins.json-")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(append(data, '\n')); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	if err := os.Chmod(tmp.Name(), 0o644); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), file)
}
