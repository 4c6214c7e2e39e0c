package cluster

import (
	"context"
	"crypto/tls"
	"errors"
	"net"
	"net/url"
	"strings"
	"time"

	"github.com/nixcsh/nixcsh/core/fault"
	"go.etcd.io/etcd/api/v3/v3rpc/rpctypes"
	"go.etcd.io/etcd/client/pkg/v3/transport"
	clientv3 "go.etcd.io/etcd/client/v3"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

// Options say how to reach etcd.
type Options struct {
	Endpoints []string // --etcd / --cluster: URL[,URL...]
	// TLS with a client certificate (--etcd-cert, --etcd-key, --etcd-ca).
	CertFile, KeyFile, CAFile string
	// Insecure allows plain http:// to an address other than loopback.
	Insecure bool
	// Timeout bounds every etcd call; past it the cluster counts as
	// without quorum. Zero means DefaultTimeout.
	Timeout time.Duration
}

// DefaultTimeout is how long a cluster call waits for etcd to commit.
const DefaultTimeout = 5 * time.Second

// Client talks to the cluster's etcd.
type Client struct {
	etcd      *clientv3.Client
	timeout   time.Duration
	where     string
	endpoints []string
	tls       *tls.Config
}

// ParseEndpoints splits URL[,URL...] as --etcd and --cluster take it.
func ParseEndpoints(s string) []string {
	var eps []string
	for _, e := range strings.Split(s, ",") {
		if e = strings.TrimSpace(e); e != "" {
			eps = append(eps, e)
		}
	}
	return eps
}

// Connect checks the options and makes a client. It does not wait for
// etcd: the first call does, and reports a cluster without quorum then.
func Connect(o Options) (*Client, error) {
	if len(o.Endpoints) == 0 {
		return nil, fault.Errorf(fault.Invalid, "no etcd endpoint given: pass --etcd URL[,URL...] (e.g. http://127.0.0.1:2379)")
	}
	var tlsConf *tls.Config
	if o.CertFile != "" || o.KeyFile != "" || o.CAFile != "" {
		if (o.CertFile == "") != (o.KeyFile == "") {
			return nil, fault.Errorf(fault.Invalid, "--etcd-cert and --etcd-key go together: give both, or neither")
		}
		info := transport.TLSInfo{CertFile: o.CertFile, KeyFile: o.KeyFile, TrustedCAFile: o.CAFile}
		c, err := info.ClientConfig()
		if err != nil {
			return nil, fault.Errorf(fault.Invalid, "etcd TLS files: %v", err)
		}
		tlsConf = c
	}
	for _, ep := range o.Endpoints {
		u, err := url.Parse(ep)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return nil, fault.Errorf(fault.Invalid, "etcd endpoint %q is not an http:// or https:// URL", ep)
		}
		if u.Scheme == "https" && tlsConf == nil {
			tlsConf = &tls.Config{MinVersion: tls.VersionTLS12}
		}
		if u.Scheme == "http" && !o.Insecure && !loopback(u.Hostname()) {
			return nil, fault.Errorf(fault.Invalid, "etcd endpoint %s is plain HTTP off this host: use https:// with --etcd-cert/--etcd-key/--etcd-ca, or pass --insecure to accept it", ep)
		}
	}
	timeout := o.Timeout
	if timeout == 0 {
		timeout = DefaultTimeout
	}
	cli, err := clientv3.New(clientv3.Config{
		Endpoints: o.Endpoints, TLS: tlsConf, DialTimeout: timeout,
		Logger: quietLogger(),
	})
	if err != nil {
		return nil, fault.Errorf(fault.Failed, "cannot reach etcd at %s: %v", strings.Join(o.Endpoints, ","), err)
	}
	return &Client{etcd: cli, timeout: timeout, where: strings.Join(o.Endpoints, ","), endpoints: o.Endpoints, tls: tlsConf}, nil
}

// Close ends the connection.
func (c *Client) Close() error { return c.etcd.Close() }

func loopback(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// call runs one etcd request with the client's timeout and turns etcd's
// failures into errors a user can act on.
func (c *Client) call(ctx context.Context, what string, f func(ctx context.Context) error) error {
	cctx, cancel := context.WithTimeout(ctx, c.timeout)
	defer cancel()
	err := f(cctx)
	if err == nil {
		return nil
	}
	if ctx.Err() != nil {
		return fault.Errorf(fault.Failed, "%s: interrupted", what)
	}
	if noQuorum(err) {
		if why := c.diagnose(what); why != nil {
			return why
		}
		return &fault.Error{Kind: fault.Failed, Err: ErrNoQuorum,
			Msg: what + ": cluster has no quorum: etcd at " + c.where + " did not commit within " + c.timeout.String() +
				". Start the stopped etcd members (a majority must run), then try again"}
	}
	return fault.Errorf(fault.Failed, "%s: etcd: %v", what, err)
}

// ErrNoQuorum is the cause of the error a call returns when etcd cannot
// commit: a majority of its members is down or unreachable.
var ErrNoQuorum = errors.New("cluster has no quorum")

func noQuorum(err error) bool {
	if errors.Is(err, context.DeadlineExceeded) || errors.Is(err, rpctypes.ErrNoLeader) ||
		errors.Is(err, rpctypes.ErrTimeout) || errors.Is(err, rpctypes.ErrTimeoutDueToLeaderFail) ||
		errors.Is(err, rpctypes.ErrGRPCNoLeader) || errors.Is(err, rpctypes.ErrGRPCTimeout) {
		return true
	}
	switch status.Code(err) {
	case codes.DeadlineExceeded, codes.Unavailable:
		return true
	case codes.Unknown:
		// A member without a leader may give up on a read itself and send
		// its own context's error as an untyped gRPC status.
		return strings.Contains(status.Convert(err).Message(), context.DeadlineExceeded.Error())
	}
	return false
}
