package cluster

import (
	"context"
	"fmt"
	"net"
	"strconv"
	"strings"

	"github.com/nixcsh/nixcsh/core"
	"github.com/nixcsh/nixcsh/core/fault"
	clientv3 "go.etcd.io/etcd/client/v3"
)

// Each host hands out container addresses from its own /24 of 10.250.0.0/16,
// claimed in etcd under subnets/<N> (not under the lease: a host keeps its
// subnet across restarts), so no two hosts give a container the same
// address. 10.250 stays clear of the 10.233.N pairs of local creates.
const (
	subnetPrefix = Prefix + "subnets/"
	subnetBase   = "10.250."
)

// claimSubnet returns N of the host's subnet 10.250.N.0/24: the one it
// holds, or the first free one, claimed by a transaction on create
// revision 0 so that two hosts never claim the same.
func (c *Client) claimSubnet(ctx context.Context, host string) (int, error) {
	var resp *clientv3.GetResponse
	err := c.call(ctx, "read subnets", func(ctx context.Context) (err error) {
		resp, err = c.etcd.Get(ctx, subnetPrefix, clientv3.WithPrefix())
		return err
	})
	if err != nil {
		return 0, err
	}
	taken := map[int]bool{}
	for _, kv := range resp.Kvs {
		n, _ := strconv.Atoi(nameOf(kv.Key))
		if string(kv.Value) == host {
			return n, nil
		}
		taken[n] = true
	}
	for n := 0; n <= 255; n++ {
		if taken[n] {
			continue
		}
		key := subnetPrefix + strconv.Itoa(n)
		var tr *clientv3.TxnResponse
		err := c.call(ctx, "claim a subnet for "+host, func(ctx context.Context) (err error) {
			tr, err = c.etcd.Txn(ctx).
				If(clientv3.Compare(clientv3.CreateRevision(key), "=", 0)).
				Then(clientv3.OpPut(key, host)).
				Commit()
			return err
		})
		if err != nil {
			return 0, err
		}
		if tr.Succeeded {
			return n, nil
		}
	}
	return 0, fault.Errorf(fault.Failed, "no free container subnet for host %s: all 256 of %s0.0/16 are claimed", host, subnetBase)
}

func subnetCIDR(n int) string { return fmt.Sprintf("%s%d.0/24", subnetBase, n) }

// addressPair picks the first /30 of subnet N whose host and container
// addresses no container of this root uses and no interface holds.
func addressPair(ctx context.Context, m *core.Manager, n int) (host, local string, err error) {
	used := map[string]bool{}
	infos, err := m.Infos(ctx)
	if err != nil {
		return "", "", err
	}
	for _, i := range infos {
		for _, a := range []string{i.HostAddress, i.LocalAddress} {
			a, _, _ = strings.Cut(a, "/")
			used[a] = true
		}
	}
	if addrs, err := net.InterfaceAddrs(); err == nil {
		for _, a := range addrs {
			if ipn, ok := a.(*net.IPNet); ok {
				used[ipn.IP.String()] = true
			}
		}
	}
	for k := 0; k < 64; k++ {
		host = fmt.Sprintf("%s%d.%d", subnetBase, n, 4*k+1)
		local = fmt.Sprintf("%s%d.%d", subnetBase, n, 4*k+2)
		if !used[host] && !used[local] {
			return host, local, nil
		}
	}
	return "", "", fault.Errorf(fault.Failed, "subnet %s is full: 64 containers", subnetCIDR(n))
}
