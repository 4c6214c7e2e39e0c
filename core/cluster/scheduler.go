package cluster

import (
	"context"
	"sort"
	"strings"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"
	"go.etcd.io/etcd/client/v3/concurrency"
)

// Schedule campaigns in the scheduler's election with the session's lease
// and, while it leads, places every container that has no live host: new
// ones, and those marked RestartElsewhere whose host's lease expired. Every
// agent runs it; etcd's election makes one the scheduler at a time, and each
// placement is a transaction that also compares the leader's key, so a
// scheduler that lost its lease cannot place anything. It returns when ctx
// ends or the session's lease is lost.
func (c *Client) Schedule(ctx context.Context, sess *concurrency.Session, id string, logf func(string, ...any)) error {
	e := concurrency.NewElection(sess, electionPrefix)
	if err := e.Campaign(ctx, id); err != nil {
		return err
	}
	defer func() {
		rctx, cancel := context.WithTimeout(context.Background(), c.timeout)
		e.Resign(rctx)
		cancel()
	}()
	logf("%s is the scheduler", id)
	for {
		s, err := c.Snapshot(ctx)
		if err == nil {
			c.placeAll(ctx, e, s, logf)
		} else {
			logf("scheduler: %v", err)
		}
		if !c.waitForChange(ctx, sess, s) {
			return ctx.Err()
		}
	}
}

// waitForChange waits for a change of hosts or containers after the
// snapshot (or a short while, when there is none to start from). It
// reports false when the scheduler must stop.
func (c *Client) waitForChange(ctx context.Context, sess *concurrency.Session, s *Snapshot) bool {
	wctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var events clientv3.WatchChan
	if s != nil {
		events = c.etcd.Watch(clientv3.WithRequireLeader(wctx), Prefix, clientv3.WithPrefix(), clientv3.WithRev(s.Rev+1))
	}
	// A resync now and then places what waited for a host that had
	// no room, and recovers from a watch that etcd cut.
	tick := time.NewTimer(5 * time.Second)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return false
		case <-sess.Done():
			return false
		case <-tick.C:
			return true
		case resp, ok := <-events:
			if !ok || resp.Err() != nil {
				return true
			}
			for _, ev := range resp.Events {
				k := string(ev.Kv.Key)
				if strings.HasPrefix(k, hostsPrefix) || strings.HasPrefix(k, containerPrefix) {
					return true
				}
			}
		}
	}
}

// placeTxn writes a container's record if it is still at rev and this
// agent still leads the election.
func (c *Client) placeTxn(ctx context.Context, e *concurrency.Election, name string, rev int64, ct Container) (resp *clientv3.TxnResponse, err error) {
	key := containerKey(name)
	err = c.call(ctx, "place "+name, func(ctx context.Context) (err error) {
		resp, err = c.etcd.Txn(ctx).
			If(clientv3.Compare(clientv3.ModRevision(key), "=", rev),
				clientv3.Compare(clientv3.CreateRevision(e.Key()), "=", e.Rev())).
			Then(clientv3.OpPut(key, encode(ct))).
			Commit()
		return err
	})
	return resp, err
}

// placeAll places, in name order, each container that needs a host, and
// records why when there is none.
func (c *Client) placeAll(ctx context.Context, e *concurrency.Election, s *Snapshot, logf func(string, ...any)) {
	var names []string
	for n := range s.Containers {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, name := range names {
		ct := s.Containers[name]
		_, alive := s.Hosts[ct.Placed]
		if ct.Placed != "" && (alive || !ct.RestartElsewhere) {
			continue // placed on a live host, or lost until its host returns
		}
		from := ct.Placed
		host, err := choose(s, ct)
		if err != nil {
			if ct.Unplaced == err.Error() {
				continue // already said; writing it again would wake every watcher
			}
			logf("cannot place %s: %v", name, err)
			ct.Unplaced = err.Error()
		} else {
			ct.Placed, ct.Unplaced = host, ""
		}
		resp, err := c.placeTxn(ctx, e, name, s.Revs[name], ct)
		switch {
		case err != nil:
			logf("%v", err)
		case !resp.Succeeded || ct.Placed == from:
			// Only the reason it waits was recorded; or the record changed
			// since the snapshot (or this agent is no longer the scheduler)
			// and the next round sees the new state.
		case from != "":
			logf("moved %s from lost host %s to %s", name, from, host)
			s.Containers[name] = ct
		default:
			logf("placed %s on %s", name, host)
			s.Containers[name] = ct
		}
	}
}
