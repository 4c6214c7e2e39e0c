package lua

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"github.com/nixcsh/nixcsh/core/cluster/etcdtest"
)

// nixcsh.cluster(url) gives the cluster forms of the verbs to scripts.
func TestClusterFromLua(t *testing.T) {
	ec := etcdtest.Start(t, 1)
	var out bytes.Buffer
	s, _ := testSession(t, false, &out, nil)
	script := `
local c = nixcsh.cluster("` + strings.Join(ec.Endpoints(), ",") + `")
assert(c.create("web", {config = "{ }", host = "h1", restart_elsewhere = true}))
local ok, err = c.create("web", {config = "{ }"})
print(ok, err)
assert(c.start("web"))
local l = assert(c.list())
print(#l, l[1].name, l[1].placed, l[1].state, l[1].running, l[1].onHost)
print(c.status("web"))
print(#assert(c.hosts()))
assert(c.destroy("web"))
print(c.status("web"))
`
	if err := s.Exec(context.Background(), script, "cluster.lua"); err != nil {
		t.Fatal(err)
	}
	want := "nil\tcontainer web already exists in the cluster: pick another name, or destroy it first\n" +
		"1\tweb\tnil\tpending\ttrue\th1\n" +
		"pending\n" +
		"0\n" +
		"nil\tcontainer web does not exist in the cluster\n"
	if out.String() != want {
		t.Errorf("got:\n%s\nwant:\n%s", out.String(), want)
	}
}
