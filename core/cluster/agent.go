package cluster

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"sort"
	"time"

	"github.com/nixcsh/nixcsh/core"
	"github.com/nixcsh/nixcsh/core/fault"
	clientv3 "go.etcd.io/etcd/client/v3"
	"go.etcd.io/etcd/client/v3/concurrency"
)

// Agent runs on each host: it keeps the host registered under a lease,
// takes its turn as scheduler, and applies the containers placed on its
// host with the same core.Manager the CLI uses, so plugins' veto hooks and
// Lua hooks run as they do for a local verb. It reports each container's
// actual state under actual/<name>.
type Agent struct {
	Client  *Client
	Manager *core.Manager
	Host    Host
	// TTL is the lease's time to live in seconds: how long after the agent
	// dies its host counts as lost. Zero means DefaultTTL.
	TTL int
	Log io.Writer // what the agent does, one line each; nil discards

	subnet int // N of the host's subnet 10.250.N.0/24
}

// DefaultTTL is the host lease's time to live, in seconds.
const DefaultTTL = 10

// Run serves until ctx ends. When the lease is lost (etcd unreachable for
// longer than the TTL) it registers again with a new one.
func (a *Agent) Run(ctx context.Context) error {
	if err := core.ValidateName(a.Host.Name); err != nil {
		return fault.Errorf(fault.Invalid, "host name %q: use letters, digits, - and _ (pass --name)", a.Host.Name)
	}
	for {
		err := a.session(ctx)
		if ctx.Err() != nil {
			return nil
		}
		a.logf("%v; registering again", err)
		select {
		case <-ctx.Done():
			return nil
		case <-time.After(time.Second):
		}
	}
}

// session is one lease's life: register, schedule, apply.
func (a *Agent) session(ctx context.Context) error {
	ttl := a.TTL
	if ttl == 0 {
		ttl = DefaultTTL
	}
	n, err := a.Client.claimSubnet(ctx, a.Host.Name)
	if err != nil {
		return err
	}
	a.subnet, a.Host.Subnet = n, subnetCIDR(n)
	// The lease is granted under ctx (an interrupt ends the wait for a
	// cluster without quorum), but the session is not tied to ctx: when ctx
	// ends, Close still revokes the lease, so a stopped agent's host leaves
	// the cluster at once instead of after the TTL.
	var lease *clientv3.LeaseGrantResponse
	if err := a.Client.call(ctx, "lease for host "+a.Host.Name, func(ctx context.Context) (err error) {
		lease, err = a.Client.etcd.Grant(ctx, int64(ttl))
		return err
	}); err != nil {
		return err
	}
	sess, err := concurrency.NewSession(a.Client.etcd, concurrency.WithTTL(ttl), concurrency.WithLease(lease.ID))
	if err != nil {
		return fmt.Errorf("host %s: cannot keep a lease in etcd: %w", a.Host.Name, err)
	}
	defer sess.Close()
	if err := a.register(ctx, sess); err != nil {
		return err
	}
	a.logf("host %s registered (lease %x, ttl %ds, containers in %s)", a.Host.Name, sess.Lease(), ttl, a.Host.Subnet)
	// Campaign as scheduler for as long as the lease lives; an error of
	// etcd's (no quorum for a while) only means campaigning again.
	sctx, stop := context.WithCancel(ctx)
	scheduled := make(chan struct{})
	go func() {
		defer close(scheduled)
		for sctx.Err() == nil {
			if err := a.Client.Schedule(sctx, sess, a.Host.Name, a.logf); err != nil && sctx.Err() == nil {
				a.logf("scheduler: %v", err)
			}
			select {
			case <-sctx.Done():
			case <-sess.Done():
				return
			case <-time.After(time.Second):
			}
		}
	}()
	defer func() { stop(); <-scheduled }()
	for {
		s, err := a.Client.Snapshot(ctx)
		if err != nil {
			a.logf("%v", err)
		} else {
			a.reconcile(ctx, s)
		}
		if !a.Client.waitForChange(ctx, sess, s) {
			if ctx.Err() != nil {
				return nil
			}
			return fmt.Errorf("host %s lost its lease", a.Host.Name)
		}
	}
}

// register puts the host's record under the session's lease, unless a
// live agent already holds the name; after a crash the old lease has to
// expire first, so that two agents never serve one host name.
func (a *Agent) register(ctx context.Context, sess *concurrency.Session) error {
	key := hostKey(a.Host.Name)
	for waited := false; ; waited = true {
		var resp *clientv3.TxnResponse
		err := a.Client.call(ctx, "register host "+a.Host.Name, func(ctx context.Context) (err error) {
			resp, err = a.Client.etcd.Txn(ctx).
				If(clientv3.Compare(clientv3.CreateRevision(key), "=", 0)).
				Then(clientv3.OpPut(key, encode(a.Host), clientv3.WithLease(sess.Lease()))).
				Commit()
			return err
		})
		if err != nil || resp.Succeeded {
			return err
		}
		if !waited {
			a.logf("host %s is still registered by an earlier agent: waiting for its lease to expire", a.Host.Name)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(time.Second):
		}
	}
}

// reconcile applies the snapshot to this host, in name order.
func (a *Agent) reconcile(ctx context.Context, s *Snapshot) {
	mine := owned(a.Manager)
	names := map[string]bool{}
	for n := range s.Containers {
		names[n] = true
	}
	for n := range s.Actual {
		names[n] = true
	}
	for n := range mine {
		names[n] = true
	}
	var sorted []string
	for n := range names {
		sorted = append(sorted, n)
	}
	sort.Strings(sorted)
	me := a.Host.Name
	for _, name := range sorted {
		ct, wanted := s.Containers[name]
		st, reported := s.Actual[name]
		switch {
		case wanted && ct.Placed == me:
			a.apply(ctx, name, ct, s.Revs[name], st, reported && st.Host == me, mine[name])
		case mine[name] || (reported && st.Host == me):
			// Destroyed in the cluster, or moved while this host was
			// lost: never start it here again (fencing); remove it.
			a.remove(ctx, name, mine[name])
		}
	}
}

// apply makes the local container match its desired state. reported says
// the actual state st is this host's; owned that this agent made the local
// container.
func (a *Agent) apply(ctx context.Context, name string, ct Container, rev int64, st Status, reported, owned bool) {
	m := a.Manager
	if reported && st.Applied == rev {
		if st.State == StateFailed {
			return // tried and failed: the next change of the spec tries again
		}
		if up, err := m.Status(ctx, name); err == nil && (up == "up") == ct.Running {
			return // already as desired
		}
	}
	if !reported {
		st = Status{}
	}
	fail := func(err error) {
		a.logf("%s: %v", name, err)
		a.report(ctx, name, rev, Status{Host: a.Host.Name, State: StateFailed, Error: err.Error(), Applied: rev, Config: st.Config})
	}
	switch {
	case !m.Exists(name):
		host, local, err := addressPair(ctx, m, a.subnet)
		if err != nil {
			fail(err)
			return
		}
		if _, err := m.Create(ctx, name, core.CreateOptions{Config: ct.Config, HostAddress: host, LocalAddress: local}); err != nil {
			fail(err)
			return
		}
		if err := markOwned(m, name, ct.Config); err != nil {
			fail(err)
			return
		}
		a.logf("created %s", name)
	case !owned:
		fail(fault.Errorf(fault.Exists, "a container named %s that the cluster does not own exists on host %s: destroy or rename it there", name, a.Host.Name))
		return
	case appliedConfig(m, name) != ct.Config:
		cfg := ct.Config
		if _, err := m.Update(ctx, name, core.UpdateOptions{Config: &cfg}); err != nil {
			fail(err)
			return
		}
		if err := markOwned(m, name, ct.Config); err != nil {
			fail(err)
			return
		}
		a.logf("updated %s", name)
	}
	st.Config = ct.Config
	up, err := m.Status(ctx, name)
	if err != nil {
		fail(err)
		return
	}
	switch {
	case ct.Running && up != "up":
		err = m.Start(ctx, name, nil)
		up = "up"
	case !ct.Running && up == "up":
		err = m.Stop(ctx, name)
		up = "down"
	}
	if err != nil {
		fail(err)
		return
	}
	ip, _ := m.ShowIP(ctx, name)
	a.report(ctx, name, rev, Status{Host: a.Host.Name, State: up, IP: ip, Applied: rev, Config: st.Config})
}

// remove destroys the local copy of a container that is no longer this
// host's, then drops its actual state if nobody else reported since.
func (a *Agent) remove(ctx context.Context, name string, owned bool) {
	if owned {
		if err := a.Manager.Destroy(ctx, name); err != nil {
			a.logf("%s: %v", name, err)
			return
		}
		if err := unmarkOwned(a.Manager, name); err != nil {
			a.logf("%s: %v", name, err)
			return
		}
		a.logf("destroyed %s", name)
	}
	key := actualKey(name)
	err := a.Client.call(ctx, "report "+name, func(ctx context.Context) error {
		cur, err := a.Client.etcd.Get(ctx, key)
		if err != nil || len(cur.Kvs) == 0 {
			return err
		}
		var st Status
		if json.Unmarshal(cur.Kvs[0].Value, &st) == nil && st.Host != a.Host.Name {
			return nil // its new host reports it now
		}
		_, err = a.Client.etcd.Txn(ctx).
			If(clientv3.Compare(clientv3.ModRevision(key), "=", cur.Kvs[0].ModRevision)).
			Then(clientv3.OpDelete(key)).
			Commit()
		return err
	})
	if err != nil {
		a.logf("%v", err)
	}
}

// report writes the actual state, only if the desired state is still the
// revision applied: a stale agent cannot overwrite a newer placement.
func (a *Agent) report(ctx context.Context, name string, rev int64, st Status) {
	err := a.Client.call(ctx, "report "+name, func(ctx context.Context) error {
		_, err := a.Client.etcd.Txn(ctx).
			If(clientv3.Compare(clientv3.ModRevision(containerKey(name)), "=", rev)).
			Then(clientv3.OpPut(actualKey(name), encode(st))).
			Commit()
		return err
	})
	if err != nil {
		a.logf("%v", err)
	}
}

func (a *Agent) logf(format string, args ...any) {
	if a.Log != nil {
		fmt.Fprintf(a.Log, format+"\n", args...)
	}
}
