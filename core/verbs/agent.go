package verbs

import (
	"bufio"
	"context"
	"os"
	"os/signal"
	"runtime"
	"strconv"
	"strings"
	"syscall"

	"github.com/nixcsh/nixcsh/core"
	"github.com/nixcsh/nixcsh/core/cluster"
	"github.com/nixcsh/nixcsh/core/fault"
)

// agentVerb serves this host in a cluster; verbs.go puts it in the table.
var agentVerb = &Verb{
	Name: "agent", NoName: true, Daemon: true,
	Summary: "serve this host in a nixcsh cluster on etcd, until interrupted",
	Result:  Result{Lua: "true", Text: "nothing; it runs until SIGINT or SIGTERM"},
	Help: "Registers this host in the cluster's etcd under a lease, with its cores, memory and labels; takes its turn as the " +
		"cluster's scheduler (one at a time, by etcd election); and applies the containers placed on this host with the same " +
		"create/update/start/stop/destroy as the CLI, so plugins and Lua hooks run as for local verbs. Reports each container's " +
		"state back to etcd. When the agent dies, the host counts as lost once its lease expires (--ttl).",
	Flags: []Flag{
		{Name: "etcd", Value: "URL[,URL...]", Kind: Word, Help: "the cluster's etcd members"},
		{Name: "name", Value: "HOST", Kind: Word, Help: "this host's name in the cluster (default: the hostname)"},
		{Name: "labels", Value: "K=V[,K=V...]", Kind: Word, Help: "labels that containers' --label constraints match"},
		{Name: "ttl", Value: "SECONDS", Kind: Number, Help: "the host lease's time to live (default 10)"},
	},
	Do: func(ctx context.Context, m *core.Manager, in *Invocation) (any, error) {
		host, err := thisHost(in)
		if err != nil {
			return nil, err
		}
		ttl := 0
		if s, ok := in.Flag("ttl"); ok {
			if ttl, err = strconv.Atoi(s); err != nil || ttl < 1 {
				return nil, fault.Errorf(fault.Invalid, "--ttl %q: give a whole number of seconds, at least 1", s)
			}
		}
		cli, err := connect(merged(in.Globals, in.Flags), "etcd")
		if err != nil {
			return nil, err
		}
		defer cli.Close()
		// systemd stops the unit with SIGTERM: leave the cluster cleanly
		// then too, so that the host's lease is revoked, not left to expire.
		ctx, stop := signal.NotifyContext(ctx, syscall.SIGTERM)
		defer stop()
		a := &cluster.Agent{Client: cli, Manager: m, Host: host, TTL: ttl, Log: in.Stdio.Err}
		return nil, a.Run(ctx)
	},
}

// connect connects to the etcd that flag (--etcd or --cluster) names, with
// the global TLS options among values.
func connect(values map[string]string, flag string) (*cluster.Client, error) {
	eps := values[flag]
	if eps == "" {
		return nil, fault.Errorf(fault.Invalid, "--%s URL[,URL...] is needed: the client URLs of the cluster's etcd members", flag)
	}
	_, insecure := values["insecure"]
	return cluster.Connect(cluster.Options{
		Endpoints: cluster.ParseEndpoints(eps),
		CertFile:  values["etcd-cert"], KeyFile: values["etcd-key"], CAFile: values["etcd-ca"],
		Insecure: insecure,
	})
}

// merged is a and b in one map, b winning.
func merged(a, b map[string]string) map[string]string {
	out := map[string]string{}
	for k, v := range a {
		out[k] = v
	}
	for k, v := range b {
		out[k] = v
	}
	return out
}

// thisHost describes the host for its registration.
func thisHost(in *Invocation) (cluster.Host, error) {
	name, ok := in.Flag("name")
	if !ok {
		hn, err := os.Hostname()
		if err != nil {
			return cluster.Host{}, fault.Errorf(fault.Invalid, "cannot read the hostname (%v): pass --name HOST", err)
		}
		name, _, _ = strings.Cut(hn, ".")
	}
	labels, err := parseLabels(in.Flags["labels"])
	if err != nil {
		return cluster.Host{}, err
	}
	return cluster.Host{Name: name, Labels: labels, Cores: runtime.NumCPU(), Memory: availableMemory()}, nil
}

// parseLabels reads K=V[,K=V...].
func parseLabels(s string) (map[string]string, error) {
	if s == "" {
		return nil, nil
	}
	out := map[string]string{}
	for _, kv := range strings.Split(s, ",") {
		k, v, ok := strings.Cut(kv, "=")
		if !ok || k == "" {
			return nil, fault.Errorf(fault.Invalid, "label %q: write labels as KEY=VALUE[,KEY=VALUE...]", kv)
		}
		out[k] = v
	}
	return out, nil
}

// availableMemory is MemAvailable of /proc/meminfo in bytes (0 if unknown).
func availableMemory() uint64 {
	f, err := os.Open("/proc/meminfo")
	if err != nil {
		return 0
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if rest, ok := strings.CutPrefix(sc.Text(), "MemAvailable:"); ok {
			kb, _ := strconv.ParseUint(strings.TrimSuffix(strings.TrimSpace(rest), " kB"), 10, 64)
			return kb << 10
		}
	}
	return 0
}
