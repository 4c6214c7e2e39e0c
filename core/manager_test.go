package core

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/nixcsh/nixcsh/core/fault"
)

func newTestManager(t *testing.T) (*Manager, *bytes.Buffer) {
	t.Helper()
	var stderr bytes.Buffer
	return NewManager(t.TempDir(), &stderr), &stderr
}

func TestCreateWritesConfAndConfigurationNix(t *testing.T) {
	m, stderr := newTestManager(t)
	ctx := context.Background()
	c, err := m.Create(ctx, "foo", CreateOptions{Config: "services.openssh.enable = true;"})
	if err != nil {
		t.Fatal(err)
	}
	if c.HostAddress != "10.233.1.1" || c.LocalAddress != "10.233.1.2" {
		// A host interface may already hold 10.233.1.x (a container of another root).
		t.Logf("addresses %s/%s (10.233.1.x in use on this host?)", c.HostAddress, c.LocalAddress)
	}
	if got, want := stderr.String(), fmt.Sprintf("host IP is %s, container IP is %s\n", c.HostAddress, c.LocalAddress); got != want {
		t.Errorf("stderr = %q, want %q", got, want)
	}
	confData, err := os.ReadFile(m.Paths.ConfFile("foo"))
	if err != nil {
		t.Fatal(err)
	}
	wantConf := fmt.Sprintf("PRIVATE_NETWORK=1\nHOST_ADDRESS=%s\nLOCAL_ADDRESS=%s\nHOST_BRIDGE=\nHOST_PORT=\nAUTO_START=0\n", c.HostAddress, c.LocalAddress)
	if string(confData) != wantConf {
		t.Errorf("conf:\n%s\nwant:\n%s", confData, wantConf)
	}
	nixData, err := os.ReadFile(m.Paths.ConfigNix("foo"))
	if err != nil {
		t.Fatal(err)
	}
	wantNix := "{ config, lib, pkgs, ... }:\n\n{ boot.isContainer = true;\n  networking.hostName = lib.mkDefault \"foo\";\n  networking.useDHCP = false;\n  services.openssh.enable = true;\n}\n"
	if string(nixData) != wantNix {
		t.Errorf("configuration.nix:\n%s\nwant:\n%s", nixData, wantNix)
	}
	for dir, mode := range map[string]os.FileMode{m.Paths.ProfilesBase(): 0o700, m.Paths.ProfileDir("foo"): 0o755} {
		st, err := os.Stat(dir)
		if err != nil {
			t.Fatal(err)
		}
		if st.Mode().Perm() != mode {
			t.Errorf("%s mode %v, want %v", dir, st.Mode().Perm(), mode)
		}
	}
	ip, err := m.ShowIP(ctx, "foo")
	if err != nil || ip != c.LocalAddress {
		t.Errorf("ShowIP = %q, %v", ip, err)
	}
	if _, err := m.Create(ctx, "foo", CreateOptions{}); err == nil || err.Error() != "container 'foo' already exists" || fault.KindOf(err) != fault.Exists {
		t.Errorf("second create: %v", err)
	}
}

func TestCreateConfigFileAndFlags(t *testing.T) {
	m, _ := newTestManager(t)
	ctx := context.Background()
	_, err := m.Create(ctx, "web", CreateOptions{ConfigFile: "/srv/web.nix", AutoStart: true, Bridge: "br0", Port: "tcp:8080:80",
		HostAddress: "10.9.0.1/24", LocalAddress: "10.9.0.2/24"})
	if err != nil {
		t.Fatal(err)
	}
	f, err := m.Conf("web")
	if err != nil {
		t.Fatal(err)
	}
	got := f.String()
	want := "PRIVATE_NETWORK=1\nHOST_ADDRESS=10.9.0.1/24\nLOCAL_ADDRESS=10.9.0.2/24\nHOST_BRIDGE=br0\nHOST_PORT=tcp:8080:80\nAUTO_START=1\n"
	if got != want {
		t.Errorf("conf:\n%s\nwant:\n%s", got, want)
	}
	nixData, _ := os.ReadFile(m.Paths.ConfigNix("web"))
	if !strings.Contains(string(nixData), "  imports = [ /srv/web.nix ];\n") {
		t.Errorf("configuration.nix does not import the file:\n%s", nixData)
	}
	if ip, _ := m.ShowIP(ctx, "web"); ip != "10.9.0.2" {
		t.Errorf("show-ip strips the prefix: got %q", ip)
	}
	names, _ := m.AutoStartNames(ctx)
	if len(names) != 1 || names[0] != "web" {
		t.Errorf("AutoStartNames = %v", names)
	}
}

func TestCreateRejects(t *testing.T) {
	m, _ := newTestManager(t)
	ctx := context.Background()
	cases := map[string]string{
		"twelvechars1": "container name 'twelvechars1' is too long",
		"bad name":     "invalid container name",
		"storage":      "container name 'storage' is reserved: /etc/containers/storage.conf is podman's; choose another name",
	}
	for name, want := range cases {
		_, err := m.Create(ctx, name, CreateOptions{})
		if err == nil || err.Error() != want {
			t.Errorf("Create(%q) = %v, want %q", name, err, want)
		}
	}
	if _, err := m.Create(ctx, "x", CreateOptions{HostAddress: "10.0.0.1"}); err == nil || !strings.HasPrefix(err.Error(), "With --host-address set") {
		t.Errorf("unpaired address: %v", err)
	}
	if names, _ := m.List(ctx); len(names) != 0 {
		t.Errorf("failed creates left containers: %v", names)
	}
	if entries, _ := os.ReadDir(m.Paths.StateBase()); len(entries) != 0 {
		t.Errorf("failed creates left state dirs: %v", entries)
	}
}

func TestEnsureUniqueNameAndAddresses(t *testing.T) {
	m, _ := newTestManager(t)
	ctx := context.Background()
	var names []string
	seen := map[string]bool{}
	for i := 0; i < 3; i++ {
		c, err := m.Create(ctx, "id", CreateOptions{EnsureUniqueName: true})
		if err != nil {
			t.Fatal(err)
		}
		names = append(names, c.Name)
		if seen[c.LocalAddress] {
			t.Errorf("address %s handed out twice", c.LocalAddress)
		}
		seen[c.LocalAddress] = true
	}
	if strings.Join(names, " ") != "id id-0 id-1" {
		t.Errorf("names = %v", names)
	}
	// A state dir without a conf also makes the name taken.
	os.MkdirAll(m.Paths.StateDir("id-2"), 0o755)
	c, err := m.Create(ctx, "id", CreateOptions{EnsureUniqueName: true})
	if err != nil || c.Name != "id-3" {
		t.Errorf("after a stray state dir: %v, %v", c, err)
	}
}

func TestConcurrentCreatesGetDistinctNamesAndAddresses(t *testing.T) {
	m, _ := newTestManager(t)
	ctx := context.Background()
	const n = 20
	var wg sync.WaitGroup
	results := make([]*Created, n)
	errs := make([]error, n)
	for i := 0; i < n; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			// Each goroutine has its own Manager, as separate processes would.
			mi := NewManager(m.Paths.Root, nil)
			results[i], errs[i] = mi.Create(ctx, "c", CreateOptions{EnsureUniqueName: true})
		}(i)
	}
	wg.Wait()
	names, addrs := map[string]bool{}, map[string]bool{}
	for i := 0; i < n; i++ {
		if errs[i] != nil {
			t.Fatalf("create %d: %v", i, errs[i])
		}
		if names[results[i].Name] || addrs[results[i].LocalAddress] || addrs[results[i].HostAddress] {
			t.Errorf("duplicate: %+v", results[i])
		}
		names[results[i].Name] = true
		addrs[results[i].LocalAddress] = true
		addrs[results[i].HostAddress] = true
	}
	list, _ := m.List(ctx)
	if len(list) != n {
		t.Errorf("list has %d containers, want %d", len(list), n)
	}
}

func TestListSkipsPodmanFiles(t *testing.T) {
	m, _ := newTestManager(t)
	ctx := context.Background()
	os.MkdirAll(m.Paths.ConfDir(), 0o755)
	for _, f := range []string{"containers.conf", "registries.conf", "storage.conf", "policy.json", "libpod.conf"} {
		os.WriteFile(filepath.Join(m.Paths.ConfDir(), f), []byte("x"), 0o644)
	}
	os.MkdirAll(filepath.Join(m.Paths.ConfDir(), "registries.d"), 0o755)
	for _, n := range []string{"b", "a"} {
		if _, err := m.Create(ctx, n, CreateOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	names, err := m.List(ctx)
	if err != nil || strings.Join(names, ",") != "a,b" {
		t.Errorf("List = %v, %v", names, err)
	}
}

func TestDestroyAndMissingContainers(t *testing.T) {
	m, _ := newTestManager(t)
	ctx := context.Background()
	if err := m.Destroy(ctx, "nope"); err != nil {
		t.Errorf("destroy of a missing container: %v", err)
	}
	if _, err := m.ShowIP(ctx, "nope"); err == nil || err.Error() != "container 'nope' does not exist" || fault.KindOf(err) != fault.NotFound {
		t.Errorf("show-ip of a missing container: %v", err)
	}
	if s, err := m.Status(ctx, "nope"); s != "gone" || err == nil {
		t.Errorf("status of a missing container: %q, %v", s, err)
	}
	if _, err := m.Create(ctx, "foo", CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	if s, err := m.Status(ctx, "foo"); s != "down" || err != nil {
		t.Errorf("status: %q, %v", s, err)
	}
	if err := m.Destroy(ctx, "foo"); err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{m.Paths.ConfFile("foo"), m.Paths.StateDir("foo"), m.Paths.ProfileDir("foo")} {
		if _, err := os.Lstat(p); !errors.Is(err, os.ErrNotExist) {
			t.Errorf("%s survived destroy", p)
		}
	}
}

func TestShowIPFallsBackToIPv6(t *testing.T) {
	m, _ := newTestManager(t)
	ctx := context.Background()
	if _, err := m.Create(ctx, "six", CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	f, _ := m.Conf("six")
	f.Set("LOCAL_ADDRESS", "")
	f.Set("LOCAL_ADDRESS6", "fc00::2/64")
	f.Write(m.Paths.ConfFile("six"))
	if ip, err := m.ShowIP(ctx, "six"); ip != "fc00::2" || err != nil {
		t.Errorf("ShowIP = %q, %v", ip, err)
	}
	f.Set("LOCAL_ADDRESS6", "")
	f.Write(m.Paths.ConfFile("six"))
	if _, err := m.ShowIP(ctx, "six"); err == nil || err.Error() != "cannot get IP address" {
		t.Errorf("ShowIP without addresses: %v", err)
	}
}

// Host data bind-mounted into a container's state dir survives destroy.
func TestDestroyKeepsBindMountedHostData(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root to bind-mount a host folder into the state dir")
	}
	m, _ := newTestManager(t)
	ctx := context.Background()
	if _, err := m.Create(ctx, "bm", CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	host := t.TempDir()
	if err := os.WriteFile(filepath.Join(host, "precious"), []byte("data"), 0o644); err != nil {
		t.Fatal(err)
	}
	target := filepath.Join(m.Paths.StateDir("bm"), "srv/data")
	os.MkdirAll(target, 0o755)
	if err := unix.Mount(host, target, "", unix.MS_BIND, ""); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { unix.Unmount(target, unix.MNT_DETACH) })
	// An immutable file inside must not stop destroy either.
	imm := filepath.Join(m.Paths.StateDir("bm"), "immutable")
	os.WriteFile(imm, []byte("x"), 0o644)
	setImmutable(t, imm)
	if err := m.Destroy(ctx, "bm"); err != nil {
		t.Fatal(err)
	}
	if data, err := os.ReadFile(filepath.Join(host, "precious")); err != nil || string(data) != "data" {
		t.Errorf("host data lost: %q, %v", data, err)
	}
	if _, err := os.Lstat(m.Paths.StateDir("bm")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("state dir survived destroy")
	}
}

func setImmutable(t *testing.T, path string) {
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	flags, err := unix.IoctlGetUint32(int(f.Fd()), unix.FS_IOC_GETFLAGS)
	if err != nil {
		t.Skipf("file system has no inode flags: %v", err)
	}
	if err := unix.IoctlSetPointerInt(int(f.Fd()), unix.FS_IOC_SETFLAGS, int(flags|0x10)); err != nil {
		t.Skipf("cannot set the immutable flag here: %v", err)
	}
}
