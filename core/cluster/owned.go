package cluster

import (
	"os"
	"path/filepath"

	"github.com/nixcsh/nixcsh/core"
)

// The agent remembers on its host which local containers it made for the
// cluster: one file per name under var/lib/nixcsh/cluster/, holding the
// configuration text it last applied (so an update is told from a repeated
// report without trusting etcd's view of this host). It tells
// the cluster's containers from ones made with the local CLI (never touched),
// and lets an agent that comes back after its host was lost find, and
// destroy, what was moved elsewhere meanwhile instead of starting it twice.
func ownedDir(m *core.Manager) string {
	root := m.Paths.Root
	if root == "" {
		root = "/"
	}
	return filepath.Join(root, "var/lib/nixcsh/cluster")
}

func markOwned(m *core.Manager, name, config string) error {
	if err := os.MkdirAll(ownedDir(m), 0o755); err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(ownedDir(m), name), []byte(config), 0o644)
}

// appliedConfig is the configuration text the agent last applied to name.
func appliedConfig(m *core.Manager, name string) string {
	b, _ := os.ReadFile(filepath.Join(ownedDir(m), name))
	return string(b)
}

func unmarkOwned(m *core.Manager, name string) error {
	err := os.Remove(filepath.Join(ownedDir(m), name))
	if os.IsNotExist(err) {
		return nil
	}
	return err
}

// owned lists the names this host's agent made.
func owned(m *core.Manager) map[string]bool {
	out := map[string]bool{}
	entries, _ := os.ReadDir(ownedDir(m))
	for _, e := range entries {
		out[e.Name()] = true
	}
	return out
}
