package engine

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/nixcsh/nixcsh/core"
)

// redisCLI runs the host's redis-cli against ip:port (with password pass
// unless it is "") and returns what it printed, errors included.
func redisCLI(ip string, port int, pass string, args ...string) string {
	argv := []string{"-h", ip, "-p", fmt.Sprint(port)}
	if pass != "" {
		argv = append(argv, "--no-auth-warning", "-a", pass)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	out, err := exec.CommandContext(ctx, "redis-cli", append(argv, args...)...).CombinedOutput()
	if err != nil {
		return fmt.Sprintf("%s(%v)", out, err)
	}
	return strings.TrimSpace(string(out))
}

// mustRedis waits until the server at ip:port answers args with want.
func mustRedis(t *testing.T, ip string, port int, pass, want string, args ...string) {
	t.Helper()
	var got string
	if err := pollUntil(func() error {
		if got = redisCLI(ip, port, pass, args...); got != want {
			return fmt.Errorf("got %q", got)
		}
		return nil
	}); err != nil {
		t.Fatalf("redis-cli -h %s -p %d %q: want %q: %v", ip, port, args, want, err)
	}
}

func redisConfig(pass string) string {
	return `services.redis.servers."" = { enable = true; bind = "0.0.0.0"; openFirewall = true; requirePass = ` + nixString(pass) + `; };
  services.redis.servers.cache = { enable = true; port = 6390; bind = "0.0.0.0"; openFirewall = true; requirePassFile = "/etc/redis-cache.pass"; };
  services.redis.servers.cache.settings.maxmemory = "32mb";
  environment.etc."redis-cache.pass" = { text = "file-pass"; mode = "0400"; };`
}

// TestServiceRedis: services.redis.servers runs the host's redis-server in
// the container, reached from the host with redis-cli: the server "" on
// 6379 wants its password and refuses without it; a second, named server
// answers on its own port with the password of its requirePassFile and its
// settings; an update changes the password, and the data
// written before survives the restart.
func TestServiceRedis(t *testing.T) {
	needRoot(t)
	if _, err := os.Stat("/usr/bin/redis-server"); err != nil {
		t.Skip("needs the host's redis-server (Debian package redis-server), which setup.sh installs")
	}
	if _, err := exec.LookPath("redis-cli"); err != nil {
		t.Skip("needs redis-cli (Debian package redis-tools), which setup.sh installs")
	}
	t.Parallel()
	r := newTestRoot(t)
	host, ip := uniqueAddresses(t)
	c, err := r.M.Create(context.Background(), uniqueName("rds"), core.CreateOptions{Config: redisConfig("first-pass"), HostAddress: host, LocalAddress: ip})
	if err != nil {
		t.Fatal(err)
	}
	name := c.Name
	r.logUnitsOnFailure(name, "redis", "redis-cache")
	r.start(name)

	mustRedis(t, ip, 6379, "first-pass", "PONG", "PING")
	mustRedis(t, ip, 6379, "first-pass", "OK", "SET", "fruit", "apple")
	mustRedis(t, ip, 6379, "first-pass", "apple", "GET", "fruit")
	if got := redisCLI(ip, 6379, "", "GET", "fruit"); !strings.Contains(got, "NOAUTH") {
		t.Errorf("GET without the password answered %q, want a NOAUTH refusal", got)
	}
	if got := redisCLI(ip, 6379, "wrong", "GET", "fruit"); !strings.Contains(got, "WRONGPASS") && !strings.Contains(got, "invalid") {
		t.Errorf("GET with a wrong password answered %q", got)
	}
	mustRedis(t, ip, 6390, "file-pass", "OK", "SET", "color", "red")
	mustRedis(t, ip, 6390, "file-pass", "red", "GET", "color")
	mustRedis(t, ip, 6390, "file-pass", "maxmemory\n33554432", "CONFIG", "GET", "maxmemory")
	if got := redisCLI(ip, 6390, "", "GET", "color"); !strings.Contains(got, "NOAUTH") {
		t.Errorf("the server with requirePassFile answered %q without the password", got)
	}
	// Each server runs as its own user, as NixOS has it.
	if out := r.run(name, "ps", "-o", "user=", "-C", "redis-server"); !strings.Contains(out, "redis-cache") || !strings.Contains(out, "redis\n") {
		t.Errorf("redis-server users: %q", out)
	}

	before := r.unitProps(name, "redis.service", "redis-cache.service")
	newConfig := redisConfig("second-pass")
	if _, err := r.M.Update(timeout(t), name, core.UpdateOptions{Config: &newConfig}); err != nil {
		t.Fatal(err)
	}
	mustRedis(t, ip, 6379, "second-pass", "apple", "GET", "fruit")
	after := r.unitProps(name, "redis.service", "redis-cache.service")
	if after["redis.service"] == before["redis.service"] {
		t.Errorf("redis.service was not restarted for its new password: %s", after["redis.service"])
	}
	if after["redis-cache.service"] != before["redis-cache.service"] {
		t.Errorf("the unchanged server was restarted: %s -> %s", before["redis-cache.service"], after["redis-cache.service"])
	}
	if got := redisCLI(ip, 6379, "first-pass", "GET", "fruit"); strings.Contains(got, "apple") {
		t.Errorf("the old password still works after the update: %q", got)
	}
	mustRedis(t, ip, 6390, "file-pass", "red", "GET", "color")
}

// logUnitsOnFailure shows the units' journal when the test fails (before
// the container is destroyed).
func (r *testRoot) logUnitsOnFailure(name string, units ...string) {
	r.t.Cleanup(func() {
		if !r.t.Failed() {
			return
		}
		argv := []string{"journalctl", "--no-pager", "-n", "200"}
		for _, u := range units {
			argv = append(argv, "-u", u)
		}
		var diag bytes.Buffer
		r.M.Run(context.Background(), name, argv, core.Stdio{Out: &diag, Err: &diag})
		r.t.Logf("journal of %v:\n%s", units, diag.String())
	})
}
