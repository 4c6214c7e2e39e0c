package cluster

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/nixcsh/nixcsh/core/cluster/etcdtest"
	"github.com/nixcsh/nixcsh/core/fault"
)

func connect(t *testing.T, c *etcdtest.Cluster, timeout time.Duration) *Client {
	t.Helper()
	cli, err := Connect(Options{Endpoints: c.Endpoints(), Timeout: timeout})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cli.Close() })
	return cli
}

// 50 concurrent creates of distinct names all land; 10 racing creates of
// one name end with one winner and a clear Exists error for the others.
func TestConcurrentCreates(t *testing.T) {
	ec := etcdtest.Start(t, 3)
	cli := connect(t, ec, 10*time.Second)
	ctx := context.Background()
	var wg sync.WaitGroup
	errs := make([]error, 50)
	for i := range errs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs[i] = cli.Create(ctx, Spec{Name: fmt.Sprintf("c%d", i), Config: "{}"})
		}()
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Errorf("create c%d: %v", i, err)
		}
	}
	races := make([]error, 10)
	for i := range races {
		wg.Add(1)
		go func() {
			defer wg.Done()
			races[i] = cli.Create(ctx, Spec{Name: "same", Config: fmt.Sprintf("# writer %d", i)})
		}()
	}
	wg.Wait()
	winners := 0
	for _, err := range races {
		switch {
		case err == nil:
			winners++
		case fault.KindOf(err) != fault.Exists || !strings.Contains(err.Error(), "container same already exists in the cluster"):
			t.Errorf("losing create: %v (kind %v)", err, fault.KindOf(err))
		}
	}
	if winners != 1 {
		t.Errorf("%d creates of one name succeeded, want 1", winners)
	}
	list, err := cli.List(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(list) != 51 {
		t.Fatalf("list has %d containers, want 51", len(list))
	}
	for _, e := range list {
		if e.State != StatePending {
			t.Errorf("%s: state %q with no host, want pending", e.Name, e.State)
		}
	}
}

// With one of three members stopped the cluster works; with two it fails
// with a clear error, changes nothing, and works again when they return.
func TestQuorum(t *testing.T) {
	ec := etcdtest.Start(t, 3)
	cli := connect(t, ec, 2*time.Second)
	ctx := context.Background()
	ec.Stop(ec.Members[0])
	if err := cli.Create(ctx, Spec{Name: "one", Config: "{}"}); err != nil {
		t.Fatalf("create with one member stopped: %v", err)
	}
	if _, err := cli.List(ctx); err != nil {
		t.Fatalf("list with one member stopped: %v", err)
	}
	ec.Stop(ec.Members[1])
	ec.WaitNoLeader(ec.Members[2])
	err := cli.Create(ctx, Spec{Name: "two", Config: "{}"})
	if !errors.Is(err, ErrNoQuorum) || !strings.Contains(err.Error(), "create two: cluster has no quorum") {
		t.Fatalf("create without quorum: %v", err)
	}
	if _, err := cli.List(ctx); !errors.Is(err, ErrNoQuorum) {
		t.Fatalf("list without quorum: %v", err)
	}
	if err := cli.Modify(ctx, "one", func(c *Container) error { c.Running = true; return nil }); !errors.Is(err, ErrNoQuorum) {
		t.Fatalf("start without quorum: %v", err)
	}
	ec.Start(ec.Members[0])
	ec.Start(ec.Members[1])
	for _, m := range ec.Members {
		ec.WaitHealthy(m)
	}
	list, err := cli.List(ctx)
	if err != nil {
		t.Fatalf("list after quorum returned: %v", err)
	}
	if len(list) != 1 || list[0].Name != "one" || list[0].Running {
		t.Fatalf("after quorum returned: %+v, want only 'one', not running", list)
	}
	if err := cli.Create(ctx, Spec{Name: "two", Config: "{}"}); err != nil {
		t.Fatalf("create after quorum returned: %v", err)
	}
}

func TestConnectRefusesPlainHTTPOffLoopback(t *testing.T) {
	_, err := Connect(Options{Endpoints: []string{"http://10.0.0.5:2379"}})
	if fault.KindOf(err) != fault.Invalid || !strings.Contains(err.Error(), "--insecure") {
		t.Fatalf("plain http off loopback: %v", err)
	}
	cli, err := Connect(Options{Endpoints: []string{"http://10.0.0.5:2379"}, Insecure: true})
	if err != nil {
		t.Fatalf("with --insecure: %v", err)
	}
	cli.Close()
	if _, err := Connect(Options{Endpoints: []string{"https://10.0.0.5:2379"}, CertFile: "/x.pem"}); err == nil || !strings.Contains(err.Error(), "--etcd-cert and --etcd-key go together") {
		t.Fatalf("cert without key: %v", err)
	}
}

// Hosts racing for subnets each get their own, and keep it when they ask
// again (after a restart).
func TestSubnets(t *testing.T) {
	ec := etcdtest.Start(t, 3)
	cli := connect(t, ec, 10*time.Second)
	ctx := context.Background()
	got := make([]int, 10)
	var wg sync.WaitGroup
	for i := range got {
		wg.Add(1)
		go func() {
			defer wg.Done()
			n, err := cli.claimSubnet(ctx, fmt.Sprintf("h%d", i))
			if err != nil {
				t.Error(err)
			}
			got[i] = n
		}()
	}
	wg.Wait()
	seen := map[int]bool{}
	for i, n := range got {
		if seen[n] {
			t.Errorf("subnet %d handed out twice (%v)", n, got)
		}
		seen[n] = true
		if again, err := cli.claimSubnet(ctx, fmt.Sprintf("h%d", i)); err != nil || again != n {
			t.Errorf("h%d asked again: %d, %v; want %d", i, again, err, n)
		}
	}
}

// etcd over TLS with client certificates: with --etcd-cert/--etcd-key/
// --etcd-ca the verbs work; without a client certificate etcd refuses, and
// the error says to check the TLS files rather than blaming quorum.
func TestTLS(t *testing.T) {
	ec := etcdtest.StartTLS(t, 1)
	f := ec.TLS
	cli, err := Connect(Options{Endpoints: ec.Endpoints(), CertFile: f.ClientCert, KeyFile: f.ClientKey, CAFile: f.CA})
	if err != nil {
		t.Fatal(err)
	}
	defer cli.Close()
	ctx := context.Background()
	if err := cli.Create(ctx, Spec{Name: "secure", Config: "{ }"}); err != nil {
		t.Fatalf("create over TLS: %v", err)
	}
	anon, err := Connect(Options{Endpoints: ec.Endpoints(), CAFile: f.CA, Timeout: 2 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	defer anon.Close()
	_, err = anon.List(ctx)
	if err == nil || errors.Is(err, ErrNoQuorum) || !strings.Contains(err.Error(), "--etcd-cert") {
		t.Fatalf("list without a client certificate: %v", err)
	}
	t.Log(err)
}

// With no member listening the error says so, not "no quorum".
func TestNoMemberAnswers(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	url := "http://" + l.Addr().String()
	l.Close()
	cli, err := Connect(Options{Endpoints: []string{url}, Timeout: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	defer cli.Close()
	_, err = cli.List(context.Background())
	if err == nil || !strings.Contains(err.Error(), "no etcd member answers at "+url) {
		t.Fatalf("list with no etcd: %v", err)
	}
}
