package cluster

import (
	"context"
	"encoding/json"
	"sort"

	"github.com/nixcsh/nixcsh/core"
	"github.com/nixcsh/nixcsh/core/fault"
	clientv3 "go.etcd.io/etcd/client/v3"
)

// Create records a new container's desired state. The transaction compares
// the key's create revision with 0, so of any number of clients racing on
// one name exactly one succeeds; the others get an Exists error.
func (c *Client) Create(ctx context.Context, s Spec) error {
	if err := core.ValidateName(s.Name); err != nil {
		return err
	}
	key := containerKey(s.Name)
	var resp *clientv3.TxnResponse
	err := c.call(ctx, "create "+s.Name, func(ctx context.Context) (err error) {
		resp, err = c.etcd.Txn(ctx).
			If(clientv3.Compare(clientv3.CreateRevision(key), "=", 0)).
			Then(clientv3.OpPut(key, encode(Container{Spec: s}))).
			Commit()
		return err
	})
	if err != nil {
		return err
	}
	if !resp.Succeeded {
		return fault.Errorf(fault.Exists, "container %s already exists in the cluster: pick another name, or destroy it first", s.Name)
	}
	return nil
}

// Get reads a container's record and its mod revision.
func (c *Client) Get(ctx context.Context, name string) (Container, int64, error) {
	var resp *clientv3.GetResponse
	err := c.call(ctx, "read "+name, func(ctx context.Context) (err error) {
		resp, err = c.etcd.Get(ctx, containerKey(name))
		return err
	})
	if err != nil {
		return Container{}, 0, err
	}
	if len(resp.Kvs) == 0 {
		return Container{}, 0, fault.Errorf(fault.NotFound, "container %s does not exist in the cluster (see 'nixcsh --cluster URL list')", name)
	}
	var ct Container
	if err := json.Unmarshal(resp.Kvs[0].Value, &ct); err != nil {
		return Container{}, 0, fault.Errorf(fault.Failed, "container %s: unreadable record in etcd: %v", name, err)
	}
	return ct, resp.Kvs[0].ModRevision, nil
}

// Modify changes a container's desired state: read, change, write if the
// record's revision is still the one read, else read again. change sees
// the latest record each time, so a concurrent placement is never lost.
func (c *Client) Modify(ctx context.Context, name string, change func(*Container) error) error {
	for {
		ct, rev, err := c.Get(ctx, name)
		if err != nil {
			return err
		}
		if err := change(&ct); err != nil {
			return err
		}
		key := containerKey(name)
		var resp *clientv3.TxnResponse
		err = c.call(ctx, "change "+name, func(ctx context.Context) (err error) {
			resp, err = c.etcd.Txn(ctx).
				If(clientv3.Compare(clientv3.ModRevision(key), "=", rev)).
				Then(clientv3.OpPut(key, encode(ct))).
				Commit()
			return err
		})
		if err != nil || resp.Succeeded {
			return err
		}
	}
}

// Destroy removes a container's desired state; the agent that runs it
// destroys it there and removes its actual state.
func (c *Client) Destroy(ctx context.Context, name string) error {
	key := containerKey(name)
	var resp *clientv3.DeleteResponse
	err := c.call(ctx, "destroy "+name, func(ctx context.Context) (err error) {
		resp, err = c.etcd.Delete(ctx, key)
		return err
	})
	if err == nil && resp.Deleted == 0 {
		return fault.Errorf(fault.NotFound, "container %s does not exist in the cluster", name)
	}
	return err
}

// Entry is one container as list and status show it.
type Entry struct {
	Container
	Status *Status `json:"status,omitempty"`
	State  string  `json:"state"`
}

// Snapshot is the cluster's state at one revision.
type Snapshot struct {
	Rev        int64
	Hosts      map[string]Host
	Containers map[string]Container
	Revs       map[string]int64 // mod revision of each container's record
	Actual     map[string]Status
}

// Snapshot reads hosts, containers and actual states in one transaction,
// so that they agree with each other.
func (c *Client) Snapshot(ctx context.Context) (*Snapshot, error) {
	var resp *clientv3.TxnResponse
	err := c.call(ctx, "read the cluster", func(ctx context.Context) (err error) {
		resp, err = c.etcd.Txn(ctx).Then(
			clientv3.OpGet(hostsPrefix, clientv3.WithPrefix()),
			clientv3.OpGet(containerPrefix, clientv3.WithPrefix()),
			clientv3.OpGet(actualPrefix, clientv3.WithPrefix()),
		).Commit()
		return err
	})
	if err != nil {
		return nil, err
	}
	s := &Snapshot{Rev: resp.Header.Revision, Hosts: map[string]Host{}, Containers: map[string]Container{},
		Revs: map[string]int64{}, Actual: map[string]Status{}}
	for _, kv := range resp.Responses[0].GetResponseRange().Kvs {
		var h Host
		if json.Unmarshal(kv.Value, &h) == nil {
			s.Hosts[nameOf(kv.Key)] = h
		}
	}
	for _, kv := range resp.Responses[1].GetResponseRange().Kvs {
		var ct Container
		if json.Unmarshal(kv.Value, &ct) == nil {
			s.Containers[nameOf(kv.Key)] = ct
			s.Revs[nameOf(kv.Key)] = kv.ModRevision
		}
	}
	for _, kv := range resp.Responses[2].GetResponseRange().Kvs {
		var st Status
		if json.Unmarshal(kv.Value, &st) == nil {
			s.Actual[nameOf(kv.Key)] = st
		}
	}
	return s, nil
}

// List returns every container with its host and state, sorted by name.
func (c *Client) List(ctx context.Context) ([]Entry, error) {
	s, err := c.Snapshot(ctx)
	if err != nil {
		return nil, err
	}
	out := []Entry{}
	for name, ct := range s.Containers {
		out = append(out, s.entry(name, ct))
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out, nil
}

// entry works out the state a user sees: pending until the placed host's
// agent applied this very revision; lost when that host's lease is gone.
func (s *Snapshot) entry(name string, ct Container) Entry {
	e := Entry{Container: ct, State: StatePending}
	st, ok := s.Actual[name]
	if ok {
		e.Status = &st
	}
	switch {
	case ct.Placed == "":
	case s.Hosts[ct.Placed].Name == "":
		e.State = StateLost
	case ok && st.Host == ct.Placed && st.Applied == s.Revs[name]:
		e.State = st.State
	}
	return e
}

// Hosts lists the live hosts, sorted by name.
func (c *Client) Hosts(ctx context.Context) ([]Host, error) {
	s, err := c.Snapshot(ctx)
	if err != nil {
		return nil, err
	}
	out := []Host{}
	for _, h := range s.Hosts {
		out = append(out, h)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out, nil
}
