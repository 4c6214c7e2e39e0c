package engine

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/nixcsh/nixcsh/core/runtime"
	"github.com/nixcsh/nixcsh/core/runtime/runtimetest"
)

// TestAutoStartAtBoot proves AUTO_START on a real systemd host: a throwaway
// "host" container with systemd as PID 1 (this machine has none of its own)
// runs the built nixcsh binary; a container created there with --auto-start
// makes machines.target want the root's autostart unit, and when the host
// container reboots, its systemd starts that container, and only that one.
func TestAutoStartAtBoot(t *testing.T) {
	runtimetest.SkipUnlessNspawn(t)
	if _, err := os.Stat("/usr/bin/dbus-daemon"); err != nil {
		t.Skip("needs dbus-daemon (Debian package dbus) for systemd's bus in the host container")
	}
	bin := nixcshBinary(t)
	const binDir = "/nixcsh-test"
	const stateRoot = "/srv/nixcsh"
	dir := t.TempDir()
	spec := runtime.Spec{
		Name:    runtimetest.UniqueName("ah"),
		Root:    filepath.Join(dir, "root"),
		Binds:   []runtime.Bind{{Source: filepath.Dir(bin), Target: binDir, ReadOnly: true}},
		LogFile: filepath.Join(dir, "console.log"),
		RunDir:  filepath.Join(dir, "run"),
		// A network of its own, where it may make the nested containers'
		// veths (nspawn keeps CAP_NET_ADMIN only then); they go with it.
		ExtraFlags: []string{"--private-network"},
	}
	runtimetest.MinimalRoot(t, spec.Root)
	// machines.target enabled, as Debian's systemd-container package
	// (which nixcsh needs for nspawn) leaves it on the host: the autostart
	// unit is wanted by machines.target, which multi-user.target wants.
	wants := filepath.Join(spec.Root, "etc/systemd/system/multi-user.target.wants")
	if err := os.MkdirAll(wants, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink("/usr/lib/systemd/system/machines.target", filepath.Join(wants, "machines.target")); err != nil {
		t.Fatal(err)
	}

	ctx, cancel := context.WithCancel(context.Background())
	ready := make(chan int, 2)
	done := make(chan error, 1)
	go func() {
		done <- (&runtime.Supervisor{Spec: spec, Ready: func(l int) { ready <- l }}).Run(ctx)
	}()
	stopped := false
	stopHost := func() {
		if stopped {
			return
		}
		stopped = true
		cancel()
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("host container: %v", err)
			}
		case <-time.After(time.Minute):
			t.Error("host container did not stop")
		}
	}
	t.Cleanup(stopHost)
	waitBoot := func(what string) int {
		t.Helper()
		select {
		case l := <-ready:
			return l
		case err := <-done:
			stopped = true
			t.Fatalf("host container ended (%s): %v\n%s", what, err, consoleLog(spec))
		case <-time.After(deadline):
			t.Fatalf("host container not ready (%s)\n%s", what, consoleLog(spec))
		}
		return 0
	}
	leader := waitBoot("first boot")

	// inside runs argv in the host container as a login would.
	inside := func(argv ...string) (int, string) {
		t.Helper()
		c, cancel := context.WithTimeout(context.Background(), deadline)
		defer cancel()
		cmd := exec.CommandContext(c, "/usr/bin/nsenter", append([]string{"-t", strconv.Itoa(leader), "-m", "-u", "-i", "-n", "-p", "--"}, argv...)...)
		cmd.Env = []string{"PATH=/usr/sbin:/usr/bin:/sbin:/bin"}
		var out bytes.Buffer
		cmd.Stdout, cmd.Stderr = &out, &out
		err := cmd.Run()
		if err != nil && cmd.ProcessState == nil {
			t.Fatalf("%q in the host container: %v", argv, err)
		}
		return cmd.ProcessState.ExitCode(), out.String()
	}
	nixcsh := func(args ...string) (int, string) {
		t.Helper()
		return inside(append([]string{binDir + "/nixcsh", "--root", stateRoot}, args...)...)
	}

	auto, manual := uniqueName("au"), uniqueName("ma")
	for _, c := range []struct {
		name string
		auto bool
	}{{auto, true}, {manual, false}} {
		h, l := uniqueAddresses(t)
		args := []string{"create", c.name, "--host-address", h, "--local-address", l}
		if c.auto {
			args = append(args, "--auto-start")
		}
		if code, out := nixcsh(args...); code != 0 {
			t.Fatalf("nixcsh %q in the host container: exit %d\n%s", args, code, out)
		}
		name := c.name
		t.Cleanup(func() {
			if stopped {
				return
			}
			if code, out := nixcsh("destroy", name); code != 0 {
				t.Errorf("destroy %s: exit %d\n%s", name, code, out)
			}
		})
	}
	unitName := autostartUnitName(stateRoot)
	if _, out := inside("systemctl", "show", "-p", "Wants", "--value", "machines.target"); !strings.Contains(out, unitName) {
		t.Fatalf("machines.target does not want %s: Wants=%s", unitName, out)
	}
	for _, n := range []string{auto, manual} {
		if _, out := nixcsh("status", n); strings.TrimSpace(out) != "down" {
			t.Fatalf("%s is %q before the reboot", n, out)
		}
	}

	// Reboot: nspawn exits 133 and the supervisor boots the same root
	// again; its READY=1 comes once multi-user.target (which wants
	// machines.target) is reached.
	inside("systemctl", "reboot")
	first := leader
	leader = waitBoot("after the reboot")
	if leader == first {
		t.Fatalf("no new boot: leader %d", leader)
	}
	if code, out := inside("systemctl", "is-system-running", "--wait"); code != 0 && !strings.Contains(out, "degraded") {
		t.Errorf("host container boot: exit %d %s", code, out)
	}
	if code, out := inside("systemctl", "is-active", unitName); code != 0 {
		_, status := inside("systemctl", "status", "--no-pager", unitName)
		t.Fatalf("%s after boot: %s\n%s", unitName, out, status)
	}
	if _, out := nixcsh("status", auto); strings.TrimSpace(out) != "up" {
		_, status := inside("systemctl", "status", "--no-pager", unitName, "container@"+auto+".service")
		t.Errorf("AUTO_START container %s is %q after boot\n%s", auto, out, status)
	}
	if _, out := nixcsh("status", manual); strings.TrimSpace(out) != "down" {
		t.Errorf("container %s without AUTO_START is %q after boot", manual, out)
	}
	if code, out := nixcsh("run", auto, "--", "uname"); code != 0 || !strings.Contains(out, "Linux") {
		t.Errorf("run in %s: exit %d %q", auto, code, out)
	}
}

// consoleLog is the host container's console, for failure messages.
func consoleLog(spec runtime.Spec) string {
	b, _ := os.ReadFile(spec.LogFile)
	return string(b)
}
