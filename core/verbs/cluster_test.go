package verbs

import (
	"context"
	"strings"
	"testing"

	"github.com/nixcsh/nixcsh/core/cluster"
	"github.com/nixcsh/nixcsh/core/cluster/etcdtest"
	"github.com/nixcsh/nixcsh/core/fault"
)

// The verbs' cluster forms against a real etcd (no agent: containers stay
// pending, which is what list and status must then say).
func TestClusterVerbs(t *testing.T) {
	ec := etcdtest.Start(t, 3)
	globals := map[string]string{"cluster": strings.Join(ec.Endpoints(), ",")}
	ctx := context.Background()
	do := func(verb string, args []string, flags map[string]string) (any, error) {
		if flags == nil {
			flags = map[string]string{}
		}
		return Lookup(verb).DoCluster(ctx, globals, &Invocation{Args: args, Flags: flags})
	}
	if _, err := do("create", []string{"web"}, map[string]string{"config": "{ }", "host": "h1", "label": "disk=ssd", "memory": "512", "restart-elsewhere": "1"}); err != nil {
		t.Fatal(err)
	}
	if _, err := do("create", []string{"web"}, map[string]string{"config": "{ }"}); fault.KindOf(err) != fault.Exists {
		t.Fatalf("second create: %v", err)
	}
	if _, err := do("create", []string{"x"}, map[string]string{"bridge": "br0"}); fault.KindOf(err) != fault.Invalid {
		t.Fatalf("create --cluster --bridge: %v", err)
	}
	if _, err := do("start", []string{"web"}, nil); err != nil {
		t.Fatal(err)
	}
	res, err := do("list", nil, nil)
	if err != nil || res.(Texter).Text() != "web\t-\tpending\n" {
		t.Fatalf("list = %q, %v", res.(Texter).Text(), err)
	}
	l := res.(clusterList)
	if s := l[0].Spec; !s.Running || s.OnHost != "h1" || s.Labels["disk"] != "ssd" || s.Memory != 512<<20 || !s.RestartElsewhere {
		t.Fatalf("recorded spec: %+v", s)
	}
	if res, err := do("status", []string{"web"}, nil); err != nil || res != cluster.StatePending {
		t.Fatalf("status = %v, %v", res, err)
	}
	if _, err := do("show-ip", []string{"web"}, nil); err == nil || !strings.Contains(err.Error(), "has no address yet") {
		t.Fatalf("show-ip of a pending container: %v", err)
	}
	if res, err := do("hosts", nil, nil); err != nil || res.(Texter).Text() != "" {
		t.Fatalf("hosts = %v, %v", res, err)
	}
	if _, err := do("run", []string{"web"}, nil); err == nil || !strings.Contains(err.Error(), "'run' does not work with --cluster") {
		t.Fatalf("run --cluster: %v", err)
	}
	if _, err := do("destroy", []string{"web"}, nil); err != nil {
		t.Fatal(err)
	}
	if _, err := do("status", []string{"web"}, nil); fault.KindOf(err) != fault.NotFound {
		t.Fatalf("status after destroy: %v", err)
	}
}
