package engine

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
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

// agentProcess runs `nixcsh agent` for a root as its own process, as the
// nixcsh-agent unit does, so that a test can kill -9 it.
type agentProcess struct {
	cmd  *exec.Cmd
	done chan struct{}
}

func startAgentProcess(t *testing.T, r *testRoot, eps []string, host string) *agentProcess {
	t.Helper()
	cmd := exec.Command(nixcshBinary(t), "--root", r.M.Paths.Root, "agent", "--etcd", strings.Join(eps, ","), "--name", host, "--ttl", "2")
	log, err := os.OpenFile(filepath.Join(t.TempDir(), host+".log"), os.O_CREATE|os.O_WRONLY, 0o600)
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stdout, cmd.Stderr = log, log
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	p := &agentProcess{cmd: cmd, done: make(chan struct{})}
	go func() { cmd.Wait(); log.Close(); close(p.done) }()
	t.Cleanup(func() { p.stop(syscall.SIGTERM) })
	return p
}

func (p *agentProcess) stop(sig syscall.Signal) {
	select {
	case <-p.done:
		return
	default:
	}
	p.cmd.Process.Signal(sig)
	<-p.done
}

// waitState polls the cluster until the container is in the state.
func waitState(t *testing.T, cli *cluster.Client, name, state string) cluster.Entry {
	t.Helper()
	deadline := time.Now().Add(2 * time.Minute)
	for {
		list, err := cli.List(context.Background())
		for _, e := range list {
			if err == nil && e.Name == name && e.State == state {
				return e
			}
			if err == nil && e.Name == name && e.State == cluster.StateFailed && e.Status != nil {
				t.Fatalf("%s failed on %s: %s", name, e.Status.Host, e.Status.Error)
			}
		}
		if time.Now().After(deadline) {
			for _, e := range list {
				if e.Name == name && e.Status != nil {
					t.Logf("%s: %+v", name, *e.Status)
				}
			}
			t.Fatalf("%s not %s after 2 minutes", name, state)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// A host fails (its agent killed with SIGKILL, its containers dead): its
// stateless container comes up on the other host and answers there, its
// stateful one shows lost; when the agent is back, the moved container is
// removed from its host without being started, the stateful one runs again,
// and nothing runs twice.
func TestClusterAgentKilled(t *testing.T) {
	needRoot(t)
	ec := etcdtest.Start(t, 3)
	cli, err := cluster.Connect(cluster.Options{Endpoints: ec.Endpoints()})
	if err != nil {
		t.Fatal(err)
	}
	defer cli.Close()
	ra, rb := newTestRoot(t), newTestRoot(t)
	agentA := startAgentProcess(t, ra, ec.Endpoints(), "ka")
	startAgentProcess(t, rb, ec.Endpoints(), "kb")
	ctx := context.Background()
	sl, sf, token := uniqueName("sl"), uniqueName("sf"), uniqueName("page")
	page := `services.httpd.enable = true;
		services.httpd.adminAddr = "webmaster@example.org";
		services.httpd.documentRoot = "/etc/www";
		services.httpd.listen = [ { port = 8081; } ];
		environment.etc."www/index.html".text = "<html><head><title>` + token + `</title></head></html>\n";
		networking.firewall.allowedTCPPorts = [ 8081 ];`
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(cli.Create(ctx, cluster.Spec{Name: sl, Config: page, Running: true, OnHost: "ka", RestartElsewhere: true}))
	must(cli.Create(ctx, cluster.Spec{Name: sf, Running: true, OnHost: "ka"}))
	waitState(t, cli, sl, cluster.StateUp)
	waitState(t, cli, sf, cluster.StateUp)
	// --host held for the first placement; lift it so that sl may move.
	must(cli.Modify(ctx, sl, func(c *cluster.Container) error { c.OnHost = ""; return nil }))

	// Host ka fails: its agent is killed with SIGKILL and its containers
	// die with it. (Both hosts share this machine's interface and machine
	// names, so ka's copy of sl could not run beside kb's; on real hosts it
	// may, until ka's agent returns and removes it.)
	agentA.stop(syscall.SIGKILL)
	for _, n := range []string{sl, sf} {
		must(ra.M.Terminate(ctx, n))
	}
	waitState(t, cli, sf, cluster.StateLost)
	e := waitState(t, cli, sl, cluster.StateUp)
	if e.Placed != "kb" {
		t.Fatalf("%s up on %s after ka was lost; want kb", sl, e.Placed)
	}
	mustServe(t, "http://"+e.Status.IP+":8081/", "<title>"+token+"</title>")

	startAgentProcess(t, ra, ec.Endpoints(), "ka")
	waitState(t, cli, sf, cluster.StateUp)
	err = pollUntil(func() error {
		if ra.M.Exists(sl) {
			return fmt.Errorf("%s still on ka", sl)
		}
		return nil
	})
	if err != nil {
		t.Fatalf("the returning agent kept its copy of the moved container: %v", err)
	}
	if st, _ := rb.M.Status(ctx, sl); st != "up" {
		t.Fatalf("%s on kb is %q after ka returned; want up", sl, st)
	}
	if st, _ := ra.M.Status(ctx, sf); st != "up" {
		t.Fatalf("%s on ka is %q after ka returned; want up", sf, st)
	}
}
