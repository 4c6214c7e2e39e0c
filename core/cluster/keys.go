// Package cluster runs nixcsh's containers across hosts on etcd: the key
// layout under /nixcsh/, a client for the cluster verbs, host registration
// under a lease, the scheduler (one at a time, by etcd election) and the
// agent that applies desired state on its host through core.Manager.
// nixcsh writes no consensus of its own: every change is an etcd
// transaction that compares revisions.
package cluster

import (
	"encoding/json"
	"strings"
)

// The key layout. Everything nixcsh keeps in etcd hangs off Prefix.
const (
	Prefix          = "/nixcsh/"
	hostsPrefix     = Prefix + "hosts/"      // hosts/<name>: Host, under the agent's lease
	containerPrefix = Prefix + "containers/" // containers/<name>: Container (desired spec + placement)
	actualPrefix    = Prefix + "actual/"     // actual/<name>: Status, written by the agent that runs it
	electionPrefix  = Prefix + "election/scheduler"
)

func hostKey(name string) string      { return hostsPrefix + name }
func containerKey(name string) string { return containerPrefix + name }
func actualKey(name string) string    { return actualPrefix + name }

// nameOf is the last part of a key.
func nameOf(key []byte) string {
	k := string(key)
	return k[strings.LastIndex(k, "/")+1:]
}

// Host is what an agent registers about its host.
type Host struct {
	Name   string            `json:"name"`
	Labels map[string]string `json:"labels,omitempty"`
	Cores  int               `json:"cores"`
	// Memory is the memory available for containers when the agent
	// registered, in bytes; the scheduler subtracts what it has placed.
	Memory uint64 `json:"memory"`
	// Subnet is where the host's containers get their addresses
	// (10.250.N.0/24, claimed in etcd: see subnet.go).
	Subnet string `json:"subnet,omitempty"`
}

// DefaultMemory is what a container that asks for no --memory counts for
// when the scheduler spreads containers by free memory.
const DefaultMemory = 256 << 20

// Spec is the desired state of a container, as the cluster verbs set it.
type Spec struct {
	Name    string            `json:"name"`
	Config  string            `json:"config"`           // NixOS configuration text (create/update --config)
	Running bool              `json:"running"`          // start/stop
	Memory  uint64            `json:"memory,omitempty"` // requested bytes; 0 counts as DefaultMemory
	OnHost  string            `json:"onHost,omitempty"` // --host: only this host
	Labels  map[string]string `json:"labels,omitempty"` // --label: only hosts with these labels
	// RestartElsewhere marks a stateless container: when its host is lost
	// the scheduler places it on another host.
	RestartElsewhere bool `json:"restartElsewhere,omitempty"`
}

// Container is the record under containers/<name>: the spec and the host
// the scheduler placed it on ("" until placed).
type Container struct {
	Spec
	Placed string `json:"placed,omitempty"`
	// Unplaced says why the scheduler found no host for it (while it
	// waits for one), for status to show.
	Unplaced string `json:"unplaced,omitempty"`
}

// States an agent reports under actual/<name>.
const (
	StatePending = "pending" // not yet placed, or placed but not applied yet
	StateUp      = "up"
	StateDown    = "down"
	StateFailed  = "failed" // the agent could not apply the spec; Error says why
	StateLost    = "lost"   // its host's lease expired and it was not moved
)

// Status is what the agent that runs a container reports.
type Status struct {
	Host  string `json:"host"`
	State string `json:"state"`
	IP    string `json:"ip,omitempty"`
	Error string `json:"error,omitempty"`
	// Applied is the mod revision of containers/<name> the agent applied;
	// it fences a returning agent from a record that moved on without it.
	Applied int64 `json:"applied"`
	// Config is the configuration text applied, to tell updates apart.
	Config string `json:"config"`
}

func encode(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err) // only plain structs are encoded
	}
	return string(b)
}
