package lua

import (
	"bytes"
	"context"
	"io"
	"strings"

	"github.com/nixcsh/nixcsh/core"
	"github.com/nixcsh/nixcsh/core/verbs"
	glua "github.com/yuin/gopher-lua"
)

// luaCluster is nixcsh.cluster(url [, {etcd_cert, etcd_key, etcd_ca,
// insecure}]): a table with the cluster form of each verb that has one
// (create, start, list, hosts, ...), called as the module's own functions
// are, acting on the cluster's etcd as `nixcsh --cluster URL VERB` does.
func (s *Session) luaCluster(L *glua.LState) int {
	globals := map[string]string{"cluster": L.CheckString(1)}
	if opts, ok := L.Get(2).(*glua.LTable); ok {
		opts.ForEach(func(k, v glua.LValue) {
			switch key := strings.ReplaceAll(k.String(), "_", "-"); key {
			case "etcd-cert", "etcd-key", "etcd-ca":
				globals[key] = v.String()
			case "insecure":
				if glua.LVAsBool(v) {
					globals[key] = "1"
				}
			default:
				raise(L, "nixcsh.cluster", "unknown option '%s' (options: etcd_cert, etcd_key, etcd_ca, insecure)", k.String())
			}
		})
	}
	t := L.NewTable()
	for _, v := range verbs.All() {
		if v.ClusterSide() {
			t.RawSetString(LuaName(v.Name), L.NewFunction(s.clusterFunc(v, globals)))
		}
	}
	L.Push(t)
	return 1
}

// clusterFunc is the Lua function of a verb's cluster form.
func (s *Session) clusterFunc(v *verbs.Verb, globals map[string]string) glua.LGFunction {
	// The cluster form takes the verb's flags and its own (--host, ...).
	cv := *v
	cv.Flags = append(append([]verbs.Flag(nil), v.Flags...), v.ClusterFlags()...)
	fname := "cluster." + LuaName(v.Name)
	return func(L *glua.LState) int {
		inv := parseInvocation(L, &cv, fname)
		inv.Stdio = core.Stdio{In: strings.NewReader(""), Out: io.Discard, Err: s.stderr}
		var none bytes.Buffer
		return s.do(L, goCall{
			run: func(ctx context.Context) (any, error) { return v.DoCluster(ctx, globals, inv) },
			push: func(res any, err error) []glua.LValue {
				return verbResult(L, &cv, inv, res, err, none.String(), none.String())
			},
		})
	}
}
