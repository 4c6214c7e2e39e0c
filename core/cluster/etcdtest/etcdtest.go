// Package etcdtest starts a real etcd cluster (Debian's etcd-server) on
// 127.0.0.1 for tests: members on free ports, data in a temporary dir,
// stopped when the test ends. Tests of nixcsh's cluster run against this real
// server, never a fake, so that quorum, leases and elections are etcd's own.
package etcdtest

import (
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// Binary is the etcd server that Debian's etcd-server package installs.
const Binary = "etcd"

// Member is one etcd server of a test cluster.
type Member struct {
	Name      string
	ClientURL string
	PeerURL   string
	dir       string
	args      []string
	cmd       *exec.Cmd
	done      chan struct{}
}

// Cluster is a running test cluster.
type Cluster struct {
	t       testing.TB
	Members []*Member
	// TLS is set for a cluster from StartTLS: clients must present
	// TLS.ClientCert, signed by TLS.CA.
	TLS  *TLSFiles
	http *http.Client
}

// Start runs an n-member cluster and waits until it has a leader. It skips
// the test when etcd is not installed, and stops every member at cleanup.
func Start(t testing.TB, n int) *Cluster {
	t.Helper()
	return start(t, n, false)
}

// StartTLS is Start with client URLs over TLS that require a client
// certificate (etcd's --client-cert-auth); peers talk plain HTTP.
func StartTLS(t testing.TB, n int) *Cluster {
	t.Helper()
	return start(t, n, true)
}

func start(t testing.TB, n int, withTLS bool) *Cluster {
	t.Helper()
	path, err := exec.LookPath(Binary)
	if err != nil {
		t.Skip("etcd is not installed (apt-get install etcd-server; scripts/setup.sh does it)")
	}
	dir := t.TempDir()
	c := &Cluster{t: t, http: &http.Client{Timeout: 3 * time.Second}}
	scheme := "http://"
	if withTLS {
		f := makeTLS(t, dir)
		c.TLS = &f
		c.http.Transport = &http.Transport{TLSClientConfig: f.tlsConfig(t)}
		scheme = "https://"
	}
	var initial []string
	for i := 0; i < n; i++ {
		m := &Member{
			Name:      fmt.Sprintf("m%d", i),
			ClientURL: scheme + freeAddr(t),
			PeerURL:   "http://" + freeAddr(t),
			dir:       filepath.Join(dir, fmt.Sprintf("m%d", i)),
		}
		initial = append(initial, m.Name+"="+m.PeerURL)
		c.Members = append(c.Members, m)
	}
	for _, m := range c.Members {
		// Short heartbeats so that a stopped member is noticed, and a
		// leader re-elected, within a test's patience.
		m.args = []string{path,
			"--name", m.Name, "--data-dir", filepath.Join(m.dir, "data"),
			"--listen-client-urls", m.ClientURL, "--advertise-client-urls", m.ClientURL,
			"--listen-peer-urls", m.PeerURL, "--initial-advertise-peer-urls", m.PeerURL,
			"--initial-cluster", strings.Join(initial, ","),
			"--initial-cluster-state", "new", "--initial-cluster-token", filepath.Base(dir),
			"--heartbeat-interval", "50", "--election-timeout", "500",
			"--logger", "zap", "--log-outputs", filepath.Join(m.dir, "etcd.log"),
		}
		if c.TLS != nil {
			m.args = append(m.args, "--cert-file", c.TLS.ServerCert, "--key-file", c.TLS.ServerKey,
				"--trusted-ca-file", c.TLS.CA, "--client-cert-auth")
		}
		if err := os.MkdirAll(m.dir, 0o700); err != nil {
			t.Fatal(err)
		}
		c.Start(m)
	}
	t.Cleanup(func() {
		for _, m := range c.Members {
			c.Stop(m)
		}
	})
	for _, m := range c.Members {
		c.WaitHealthy(m)
	}
	return c
}

// Endpoints lists the client URLs of all members, stopped ones included,
// as a user would give them to --etcd.
func (c *Cluster) Endpoints() []string {
	var eps []string
	for _, m := range c.Members {
		eps = append(eps, m.ClientURL)
	}
	return eps
}

// Start (re)starts a member from its data dir.
func (c *Cluster) Start(m *Member) {
	c.t.Helper()
	if m.cmd != nil {
		return
	}
	cmd := exec.Command(m.args[0], m.args[1:]...)
	out, err := os.OpenFile(filepath.Join(m.dir, "stdout.log"), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		c.t.Fatal(err)
	}
	cmd.Stdout, cmd.Stderr = out, out
	if err := cmd.Start(); err != nil {
		out.Close()
		c.t.Fatalf("starting etcd member %s: %v", m.Name, err)
	}
	m.cmd, m.done = cmd, make(chan struct{})
	go func() { cmd.Wait(); out.Close(); close(m.done) }()
}

// Stop stops a member (SIGTERM, then SIGKILL after 5s) and waits for it.
func (c *Cluster) Stop(m *Member) {
	if m.cmd == nil {
		return
	}
	m.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-m.done:
	case <-time.After(5 * time.Second):
		m.cmd.Process.Kill()
		<-m.done
	}
	m.cmd = nil
}

// WaitHealthy waits until the member answers /health with a leader known.
func (c *Cluster) WaitHealthy(m *Member) {
	c.t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) {
		if c.healthy(m) {
			return
		}
		select {
		case <-m.done:
			c.t.Fatalf("etcd member %s exited; see %s", m.Name, filepath.Join(m.dir, "etcd.log"))
		case <-time.After(100 * time.Millisecond):
		}
	}
	c.t.Fatalf("etcd member %s not healthy after 20s; see %s", m.Name, filepath.Join(m.dir, "etcd.log"))
}

// WaitNoLeader waits until a member reports that it has no leader (its
// peers are gone), so that a test sees the cluster without quorum, not the
// moment before the member noticed.
func (c *Cluster) WaitNoLeader(m *Member) {
	c.t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) {
		if !c.healthy(m) {
			return
		}
		time.Sleep(100 * time.Millisecond)
	}
	c.t.Fatalf("etcd member %s still has a leader after 20s", m.Name)
}

// healthy asks the member's /health, which is true only with a leader.
func (c *Cluster) healthy(m *Member) bool {
	resp, err := c.http.Get(m.ClientURL + "/health")
	if err != nil {
		return false
	}
	defer resp.Body.Close()
	var body [256]byte
	n, _ := resp.Body.Read(body[:])
	return strings.Contains(string(body[:n]), `"health":"true"`)
}

// freeAddr returns a 127.0.0.1:PORT that was free a moment ago.
func freeAddr(t testing.TB) string {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}
