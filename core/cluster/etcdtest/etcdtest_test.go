package etcdtest

import (
	"context"
	"testing"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"
)

// The Go client nixcsh uses speaks to Debian's server, and the cluster keeps
// serving with one of three members stopped.
func TestThreeMembers(t *testing.T) {
	c := Start(t, 3)
	cli, err := clientv3.New(clientv3.Config{Endpoints: c.Endpoints(), DialTimeout: 5 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	defer cli.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	if _, err := cli.Put(ctx, "/t/a", "1"); err != nil {
		t.Fatalf("put: %v", err)
	}
	c.Stop(c.Members[0])
	if _, err := cli.Put(ctx, "/t/b", "2"); err != nil {
		t.Fatalf("put with one member stopped: %v", err)
	}
	resp, err := cli.Get(ctx, "/t/", clientv3.WithPrefix())
	if err != nil {
		t.Fatalf("get: %v", err)
	}
	if len(resp.Kvs) != 2 {
		t.Fatalf("got %d keys, want 2", len(resp.Kvs))
	}
	c.Start(c.Members[0])
	c.WaitHealthy(c.Members[0])
}
