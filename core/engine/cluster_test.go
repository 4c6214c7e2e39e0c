package engine

import (
	"context"
	"testing"
	"time"

	"github.com/nixcsh/nixcsh/core/cluster"
	"github.com/nixcsh/nixcsh/core/cluster/etcdtest"
)

// The cluster end to end with real containers: two agents with their own
// state roots on a 3-member etcd; a container created through the cluster
// with --host comes up on that host and its Apache answers; destroying it
// through the cluster removes it there.
func TestClusterEndToEnd(t *testing.T) {
	needRoot(t)
	ec := etcdtest.Start(t, 3)
	connect := func() *cluster.Client {
		cli, err := cluster.Connect(cluster.Options{Endpoints: ec.Endpoints()})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { cli.Close() })
		return cli
	}
	roots := map[string]*testRoot{}
	for _, h := range []string{"ha", "hb"} {
		r := newTestRoot(t)
		roots[h] = r
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan struct{})
		a := &cluster.Agent{Client: connect(), Manager: r.M, Host: cluster.Host{Name: h, Memory: 1 << 30}, TTL: 3}
		go func() { a.Run(ctx); close(done) }()
		t.Cleanup(func() { cancel(); <-done }) // before the root's cleanup destroys what is left
	}
	cli := connect()
	ctx := context.Background()
	name, token := uniqueName("cl"), uniqueName("page")
	config := `services.httpd.enable = true;
		services.httpd.adminAddr = "webmaster@example.org";
		services.httpd.documentRoot = "/etc/www";
		services.httpd.listen = [ { port = 8081; } ];
		environment.etc."www/index.html".text = "<html><head><title>` + token + `</title></head></html>\n";
		networking.firewall.allowedTCPPorts = [ 8081 ];`
	if err := cli.Create(ctx, cluster.Spec{Name: name, Config: config, Running: true, OnHost: "hb"}); err != nil {
		t.Fatal(err)
	}
	var e cluster.Entry
	deadline := time.Now().Add(3 * time.Minute)
	for e.State != cluster.StateUp {
		if time.Now().After(deadline) {
			t.Fatalf("%s not up through the cluster after 3 minutes: %+v %+v", name, e, e.Status)
		}
		time.Sleep(200 * time.Millisecond)
		list, err := cli.List(ctx)
		if err == nil && len(list) == 1 {
			e = list[0]
		}
	}
	if e.Placed != "hb" || !roots["hb"].M.Exists(name) || roots["ha"].M.Exists(name) {
		t.Fatalf("%s placed on %s; want it on hb only", name, e.Placed)
	}
	mustServe(t, "http://"+e.Status.IP+":8081/", "<title>"+token+"</title>")

	if err := cli.Destroy(ctx, name); err != nil {
		t.Fatal(err)
	}
	err := pollUntil(func() error {
		if roots["hb"].M.Exists(name) {
			return context.DeadlineExceeded
		}
		return nil
	})
	if err != nil {
		t.Fatalf("%s still on hb after destroy through the cluster", name)
	}
}
