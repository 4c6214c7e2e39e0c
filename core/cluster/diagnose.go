package cluster

import (
	"errors"
	"net/http"
	"strings"
	"syscall"
	"time"

	"github.com/nixcsh/nixcsh/core/fault"
)

// diagnose tells why etcd did not answer in time. etcd's client waits for
// a usable connection until the deadline and then only says so; asking each
// member's /health over HTTP(S) with the same TLS settings tells a refused
// certificate and members that are all down from a cluster without quorum.
// It returns nil when some member answers: the quorum is what is missing.
func (c *Client) diagnose(what string) error {
	hc := &http.Client{Timeout: 2 * time.Second, Transport: &http.Transport{TLSClientConfig: c.tls, Proxy: nil}}
	defer hc.CloseIdleConnections()
	var tlsErr error
	answered := false
	for _, ep := range c.endpoints {
		resp, err := hc.Get(strings.TrimRight(ep, "/") + "/health")
		switch {
		case err == nil:
			resp.Body.Close()
			answered = true
		case isTLSError(err):
			tlsErr = err
		case !errors.Is(err, syscall.ECONNREFUSED):
			answered = true // slow or odd, but there: count it as a member
		}
	}
	switch {
	case tlsErr != nil:
		return fault.Errorf(fault.Failed, "%s: etcd at %s refused the TLS connection (%v): check --etcd-cert, --etcd-key and --etcd-ca", what, c.where, tlsErr)
	case !answered:
		return fault.Errorf(fault.Failed, "%s: no etcd member answers at %s: start etcd there, or check the URLs", what, c.where)
	}
	return nil
}

func isTLSError(err error) bool {
	s := err.Error()
	return strings.Contains(s, "tls:") || strings.Contains(s, "x509:") || strings.Contains(s, "certificate")
}
