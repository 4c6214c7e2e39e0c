package verbs

import (
	"context"
	"fmt"
	"reflect"
	"sort"
	"strconv"
	"strings"

	"github.com/nixcsh/nixcsh/core"
	"github.com/nixcsh/nixcsh/core/cluster"
	"github.com/nixcsh/nixcsh/core/fault"
)

// The cluster side of the verbs: with the global --cluster URL, create,
// update, start, stop, destroy, list, status and show-ip act on the
// cluster's desired state in etcd instead of this host's containers, and
// `hosts` lists the cluster's hosts. Each verb keeps its one declaration in
// the table; this file adds what it does, and the flags it takes, there.

// clusterSide is a verb's cluster form.
type clusterSide struct {
	flags []Flag // flags only the cluster form takes (--host, --label, ...)
	do    func(ctx context.Context, c *cluster.Client, in *Invocation) (any, error)
}

// clusterCreateFlags are the constraints of create --cluster.
var clusterCreateFlags = []Flag{
	{Name: "host", Value: "HOST", Kind: Word, Help: "with --cluster: place the container on this host"},
	{Name: "label", Value: "K=V[,K=V...]", Kind: Word, Help: "with --cluster: only on hosts with these labels"},
	{Name: "memory", Value: "MiB", Kind: Number, Help: "with --cluster: memory to reserve on the host (default 256)"},
	{Name: "restart-elsewhere", Help: "with --cluster: stateless; when its host is lost, run it on another"},
}

var clusterVerbs = map[string]clusterSide{
	"create": {
		flags: clusterCreateFlags,
		do: func(ctx context.Context, c *cluster.Client, in *Invocation) (any, error) {
			for f := range in.Flags {
				if f != "config" && findFlag(clusterCreateFlags, f) == nil {
					return nil, fault.Errorf(fault.Invalid, "--%s does not apply to create --cluster: the agent on the chosen host picks addresses and settings", f)
				}
			}
			labels, err := parseLabels(in.Flags["label"])
			if err != nil {
				return nil, err
			}
			s := cluster.Spec{Name: in.Arg(0), Config: in.Flags["config"], OnHost: in.Flags["host"], Labels: labels,
				RestartElsewhere: in.Switch("restart-elsewhere")}
			if v, ok := in.Flag("memory"); ok {
				mib, err := strconv.ParseUint(v, 10, 32)
				if err != nil || mib == 0 {
					return nil, fault.Errorf(fault.Invalid, "--memory %q: give a whole number of MiB", v)
				}
				s.Memory = mib << 20
			}
			return nil, c.Create(ctx, s)
		},
	},
	"update": {do: func(ctx context.Context, c *cluster.Client, in *Invocation) (any, error) {
		cfg, ok := in.Flag("config")
		if !ok {
			return nil, fault.Errorf(fault.Invalid, "update --cluster needs --config: the new configuration text")
		}
		return nil, c.Modify(ctx, in.Arg(0), func(ct *cluster.Container) error { ct.Config = cfg; return nil })
	}},
	"start": {do: setRunning(true)},
	"stop":  {do: setRunning(false)},
	"destroy": {do: func(ctx context.Context, c *cluster.Client, in *Invocation) (any, error) {
		return nil, c.Destroy(ctx, in.Arg(0))
	}},
	"list": {do: func(ctx context.Context, c *cluster.Client, in *Invocation) (any, error) {
		l, err := c.List(ctx)
		return clusterList(l), err
	}},
	"status": {do: func(ctx context.Context, c *cluster.Client, in *Invocation) (any, error) {
		e, err := clusterEntry(ctx, c, in.Arg(0))
		if err != nil {
			return nil, err
		}
		if e.State == cluster.StateFailed && e.Status != nil {
			return e.State + ": " + e.Status.Error, nil
		}
		if e.State == cluster.StatePending && e.Unplaced != "" {
			return e.State + ": " + e.Unplaced, nil
		}
		return e.State, nil
	}},
	"show-ip": {do: func(ctx context.Context, c *cluster.Client, in *Invocation) (any, error) {
		e, err := clusterEntry(ctx, c, in.Arg(0))
		if err != nil {
			return nil, err
		}
		if e.Status == nil || e.Status.IP == "" {
			return nil, fault.Errorf(fault.Failed, "container %s has no address yet (state %s)", in.Arg(0), e.State)
		}
		return e.Status.IP, nil
	}},
	"hosts": {do: func(ctx context.Context, c *cluster.Client, in *Invocation) (any, error) {
		h, err := c.Hosts(ctx)
		return hostList(h), err
	}},
}

// hostsVerb lists a cluster's hosts; verbs.go puts it in the table.
var hostsVerb = &Verb{
	Name: "hosts", NoName: true, JSON: true,
	Summary: "list the hosts of the cluster (with --cluster URL)",
	Result:  Result{Type: reflect.TypeOf([]cluster.Host{}), Text: "one host a line: name, cores, memory, container subnet, labels"},
	Help:    "Lists the hosts whose agents are registered in the cluster's etcd, with the cores, memory (MiB) and labels each reported, and the subnet (10.250.N.0/24) its containers get addresses from.",
	Do: func(ctx context.Context, m *core.Manager, in *Invocation) (any, error) {
		return nil, fault.Errorf(fault.Invalid, "hosts lists a cluster's hosts: give --cluster URL[,URL...]")
	},
}

// ClusterSide reports whether the verb has a cluster form.
func (v *Verb) ClusterSide() bool {
	_, ok := clusterVerbs[v.Name]
	return ok
}

// ClusterOnly reports whether flag is one that only the cluster form takes.
func (v *Verb) ClusterOnly(flag string) bool {
	return clusterVerbs[v.Name].flag(flag) != nil
}

// DoCluster carries out the verb's cluster form against etcd; globals are
// the command's global options (--cluster and the TLS ones).
func (v *Verb) DoCluster(ctx context.Context, globals map[string]string, in *Invocation) (any, error) {
	side, ok := clusterVerbs[v.Name]
	if !ok {
		return nil, fault.Errorf(fault.Invalid, "'%s' does not work with --cluster; the cluster verbs are: %s", v.Name, strings.Join(sortedKeys(clusterVerbs), ", "))
	}
	c, err := connect(globals, "cluster")
	if err != nil {
		return nil, err
	}
	defer c.Close()
	return side.do(ctx, c, in)
}

func (s clusterSide) flag(name string) *Flag { return findFlag(s.flags, name) }

func findFlag(flags []Flag, name string) *Flag {
	for i := range flags {
		if flags[i].Name == name {
			return &flags[i]
		}
	}
	return nil
}

func setRunning(up bool) func(ctx context.Context, c *cluster.Client, in *Invocation) (any, error) {
	return func(ctx context.Context, c *cluster.Client, in *Invocation) (any, error) {
		return nil, c.Modify(ctx, in.Arg(0), func(ct *cluster.Container) error { ct.Running = up; return nil })
	}
}

func clusterEntry(ctx context.Context, c *cluster.Client, name string) (cluster.Entry, error) {
	l, err := c.List(ctx)
	if err != nil {
		return cluster.Entry{}, err
	}
	for _, e := range l {
		if e.Name == name {
			return e, nil
		}
	}
	return cluster.Entry{}, fault.Errorf(fault.NotFound, "container %s does not exist in the cluster", name)
}

// clusterList prints one container a line: name, host, state.
type clusterList []cluster.Entry

func (l clusterList) Text() string {
	var b strings.Builder
	for _, e := range l {
		host := e.Placed
		if host == "" {
			host = "-"
		}
		fmt.Fprintf(&b, "%s\t%s\t%s\n", e.Name, host, e.State)
	}
	return b.String()
}

// hostList prints one host a line.
type hostList []cluster.Host

func (l hostList) Text() string {
	var b strings.Builder
	for _, h := range l {
		var labels []string
		for _, k := range sortedKeys(h.Labels) {
			labels = append(labels, k+"="+h.Labels[k])
		}
		fmt.Fprintf(&b, "%s\t%d cores\t%d MiB\t%s\t%s\n", h.Name, h.Cores, h.Memory>>20, h.Subnet, strings.Join(labels, ","))
	}
	return b.String()
}

func sortedKeys[V any](m map[string]V) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// ClusterFlags are the flags only the verb's cluster form takes.
func (v *Verb) ClusterFlags() []Flag { return clusterVerbs[v.Name].flags }
