package system

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestRedisServersRenderAsNixOS: each enabled server of
// services.redis.servers gets NixOS's unit, user and group name (redis for
// "", redis-NAME otherwise), its port default by name, a redis.conf from its
// options and settings, and its port in the firewall when asked.
func TestRedisServersRenderAsNixOS(t *testing.T) {
	needHostFile(t, "/usr/bin/redis-server", "redis-server")
	paths := testPaths(t)
	writeConfig(t, paths, "kv", `services.redis.servers."" = {
    enable = true;
    bind = "0.0.0.0";
    requirePass = "s3cret";
    openFirewall = true;
    save = [ ];
    settings = { maxmemory = "64mb"; loglevel = "warning"; rename-command = [ "FLUSHALL \"\"" "DEBUG \"\"" ]; };
  };
  services.redis.servers.cache = { enable = true; port = 6380; bind = null; appendOnly = true; requirePassFile = "/run/keys/redis"; };
  services.redis.servers.off.port = 6390;
  services.redis.vmOverCommit = true;`)
	sp, warnings, err := Build(context.Background(), paths, "kv")
	if err != nil {
		t.Fatal(err)
	}
	if len(warnings) != 1 || !strings.Contains(warnings[0], "vm.overcommit_memory") {
		t.Errorf("warnings %q: want the one of vmOverCommit", warnings)
	}
	conf := readFile(t, filepath.Join(sp, "etc/redis/redis.conf"))
	for _, want := range []string{"port 6379\n", "bind 0.0.0.0\n", "requirepass s3cret\n", "save \"\"\n", "supervised systemd\n",
		"daemonize no\n", "dir /var/lib/redis\n", "unixsocket /run/redis/redis.sock\n", "unixsocketperm 660\n", "maxmemory 64mb\n",
		"loglevel warning\n", "rename-command FLUSHALL \"\"\nrename-command DEBUG \"\"\n", "appendonly no\n"} {
		if !strings.Contains(conf, want) {
			t.Errorf("redis.conf lacks %q:\n%s", want, conf)
		}
	}
	if strings.Contains(conf, "loglevel notice") {
		t.Errorf("settings.loglevel did not override logLevel:\n%s", conf)
	}
	cache := readFile(t, filepath.Join(sp, "etc/redis/redis-cache.conf"))
	for _, want := range []string{"port 6380\n", "appendonly yes\n", "dir /var/lib/redis-cache\n", "save 900 1\nsave 300 10\nsave 60 10000\n"} {
		if !strings.Contains(cache, want) {
			t.Errorf("redis-cache.conf lacks %q:\n%s", want, cache)
		}
	}
	if strings.Contains(cache, "bind ") || strings.Contains(cache, "requirepass") {
		t.Errorf("redis-cache.conf: bind = null must listen everywhere and the password comes from the file:\n%s", cache)
	}
	for unit, user := range map[string]string{"redis.service": "redis", "redis-cache.service": "redis-cache"} {
		text := readFile(t, filepath.Join(sp, "etc/systemd/system", unit))
		for _, want := range []string{"User=" + user + "\n", "Group=" + user + "\n", "Type=notify\n", "StateDirectory=" + user + "\n",
			"ExecStart=/usr/bin/redis-server /var/lib/" + user + "/redis.conf"} {
			if !strings.Contains(text, want) {
				t.Errorf("%s lacks %q:\n%s", unit, want, text)
			}
		}
	}
	if _, err := os.Stat(filepath.Join(sp, "etc/systemd/system/redis-off.service")); err == nil {
		t.Error("a server that is not enabled has a unit")
	}
	passwd := readFile(t, filepath.Join(sp, "etc/passwd"))
	for _, u := range []string{"\nredis:x:", "\nredis-cache:x:"} {
		if !strings.Contains(passwd, u) {
			t.Errorf("passwd lacks %q:\n%s", u, passwd)
		}
	}
	m, err := LoadManifest(sp)
	if err != nil {
		t.Fatal(err)
	}
	if got := m.Firewall.AllowedTCPPorts; len(got) != 1 || got[0] != 6379 {
		t.Errorf("firewall TCP ports %v, want [6379] (only the server with openFirewall)", got)
	}
	if e := m.Etc["redis/redis.conf"]; e.Copy != "0440" || e.Group != "redis" {
		t.Errorf("redis.conf holds the password: want mode 0440 group redis, got %+v", e)
	}

	writeConfig(t, paths, "kv", `services.redis.servers."".enable = true;
  services.redis.servers."".requirePass = "a"; services.redis.servers."".requirePassFile = "/run/keys/redis";`)
	if _, _, err := Build(context.Background(), paths, "kv"); err == nil || !strings.Contains(err.Error(), "You can only set one of services.redis.servers.\"\".requirePass and") {
		t.Errorf("requirePass with requirePassFile: %v", err)
	}
}

// TestRedisRenamedOptions: the options NixOS renamed from services.redis to
// services.redis.servers."" still work there, with NixOS's warning.
func TestRedisRenamedOptions(t *testing.T) {
	needHostFile(t, "/usr/bin/redis-server", "redis-server")
	paths := testPaths(t)
	writeConfig(t, paths, "kv", `services.redis = { enable = true; port = 6400; requirePass = "old"; };`)
	sp, warnings, err := Build(context.Background(), paths, "kv")
	if err != nil {
		t.Fatal(err)
	}
	if conf := readFile(t, filepath.Join(sp, "etc/redis/redis.conf")); !strings.Contains(conf, "port 6400\n") || !strings.Contains(conf, "requirepass old\n") {
		t.Errorf("redis.conf from the renamed options:\n%s", conf)
	}
	if len(warnings) != 3 || !strings.Contains(strings.Join(warnings, "\n"), "The option `services.redis.enable' has been renamed to `services.redis.servers.\"\".enable'.") {
		t.Errorf("warnings %q", warnings)
	}
}
