package engine

// The performance targets, each measured beside its floor in the
// same run so that scripts/bench.sh can print ratios:
//   BenchmarkStartRaw   systemd-nspawn by hand, same activated root, to READY=1
//   BenchmarkStart      Manager.Start to ready (stop not timed)
//   BenchmarkRunRaw     nsenter -t LEADER -m -u -i -n -p true
//   BenchmarkRun        Manager.Run true
//   BenchmarkStopRaw    SIGRTMIN+3 to the leader until nspawn exits; the
//                       container has a veth (--network-veth) like nixcsh's,
//                       and it is gone from the host when nspawn exits
//   BenchmarkStop       Manager.Stop (poweroff, cgroups and network removed)
//   BenchmarkStart20Raw / BenchmarkStart20: 20 containers at once, all ready,
//   with the PSS of each container's supervisor and of its nspawn+container.

import (
	"bufio"
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/nixcsh/nixcsh/core"
	"github.com/nixcsh/nixcsh/core/runtime"
	"github.com/nixcsh/nixcsh/core/runtime/sdnotify"
	"github.com/nixcsh/nixcsh/core/system"
	"golang.org/x/sys/unix"
)

const benchContainers = 20

// benchRoot is a test root with n containers created (not started).
func benchRoot(b *testing.B, n int) (*testRoot, []string) {
	needRoot(b)
	r := newTestRoot(b)
	names := make([]string, n)
	for i := range names {
		names[i] = r.create("bn", "")
	}
	return r, names
}

// rawSpec is the nspawn spec a container's supervisor would use, on the
// same activated root, with netFlag for its network: "--private-network"
// (nspawn's own empty network namespace in place of the veth nixcsh sets
// up: the floor nixcsh's start is held to) or "--network-veth" (a veth
// pair like nixcsh's, gone from the host by the time nspawn exits: the
// floor nixcsh's stop, which must remove its veth, is held to).
func rawSpec(b *testing.B, r *testRoot, name, netFlag string) runtime.Spec {
	spec, _, err := containerSpec(r.M.Paths, name)
	if err != nil {
		b.Fatal(err)
	}
	if err := runtime.PrepareRoot(spec.Root); err != nil {
		b.Fatal(err)
	}
	gen, ok, err := system.NewProfile(r.M.Paths, name).Current()
	if err != nil || !ok {
		b.Fatalf("no generation: %v", err)
	}
	if err := system.Activate(spec.Root, gen.StorePath); err != nil {
		b.Fatal(err)
	}
	spec.ExtraFlags = append(spec.ExtraFlags, netFlag)
	spec.LogFile = filepath.Join(b.TempDir(), "raw.log")
	return spec
}

// rawBoot is one systemd-nspawn run by hand, in a cgroup of its own (in
// the unified hierarchy, made before the timer runs).
type rawBoot struct {
	cmd    *exec.Cmd
	cg     string
	nl     *sdnotify.Listener
	log    *os.File
	leader int
	exited chan struct{}
}

func unifiedCgroupBase() (string, error) {
	b, err := os.ReadFile("/proc/self/cgroup")
	if err != nil {
		return "", err
	}
	for _, l := range strings.Split(string(b), "\n") {
		if p, ok := strings.CutPrefix(l, "0::"); ok {
			for _, mnt := range []string{"/sys/fs/cgroup/unified", "/sys/fs/cgroup"} {
				var st syscall.Statfs_t
				if syscall.Statfs(mnt, &st) == nil && st.Type == 0x63677270 { // CGROUP2_SUPER_MAGIC
					return filepath.Join(mnt, p), nil
				}
			}
		}
	}
	return "", errors.New("no cgroup2 hierarchy")
}

func prepareRaw(b *testing.B, spec runtime.Spec) *rawBoot {
	base, err := unifiedCgroupBase()
	if err != nil {
		b.Skip(err)
	}
	rnd := make([]byte, 4)
	rand.Read(rnd)
	r := &rawBoot{cg: filepath.Join(base, "nixcsh-benchraw-"+hex.EncodeToString(rnd)), exited: make(chan struct{})}
	if err := os.Mkdir(r.cg, 0o755); err != nil {
		b.Fatal(err)
	}
	if r.nl, err = sdnotify.Listen(filepath.Join(b.TempDir(), "notify")); err != nil {
		b.Fatal(err)
	}
	if r.log, err = os.OpenFile(spec.LogFile, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o644); err != nil {
		b.Fatal(err)
	}
	args := runtime.Args(spec)
	r.cmd = exec.Command(args[0], args[1:]...)
	r.cmd.Env = append(os.Environ(), "NOTIFY_SOCKET="+r.nl.Addr)
	r.cmd.Stdout, r.cmd.Stderr = r.log, r.log
	return r
}

// start execs nspawn straight into the cgroup.
func (r *rawBoot) start(b *testing.B) {
	fd, err := syscall.Open(r.cg, syscall.O_DIRECTORY|syscall.O_RDONLY, 0)
	if err != nil {
		b.Fatal(err)
	}
	defer syscall.Close(fd)
	r.cmd.SysProcAttr = &syscall.SysProcAttr{UseCgroupFD: true, CgroupFD: fd}
	if err := r.cmd.Start(); err != nil {
		b.Fatal(err)
	}
	go func() { r.cmd.Wait(); close(r.exited) }()
}

func (r *rawBoot) waitReady() error {
	end := time.After(deadline)
	for {
		select {
		case msg := <-r.nl.Msgs:
			if v, ok := msg["X_NSPAWN_LEADER_PID"]; ok {
				r.leader, _ = strconv.Atoi(v)
			}
			if msg["READY"] == "1" {
				return nil
			}
		case <-r.exited:
			return errors.New("raw nspawn exited before READY=1")
		case <-end:
			return errors.New("raw nspawn not ready in time")
		}
	}
}

func (r *rawBoot) stop() error {
	syscall.Kill(r.leader, syscall.Signal(34+3)) // SIGRTMIN+3
	select {
	case <-r.exited:
		return nil
	case <-time.After(deadline):
		r.cmd.Process.Kill()
		return errors.New("raw nspawn did not exit")
	}
}

// cleanup (not timed) removes the cgroup tree nspawn left below ours.
func (r *rawBoot) cleanup(b *testing.B) {
	r.nl.Close()
	r.log.Close()
	os.WriteFile(filepath.Join(r.cg, "cgroup.kill"), []byte("1"), 0)
	var dirs []string
	filepath.WalkDir(r.cg, func(p string, e os.DirEntry, err error) error {
		if err == nil && e.IsDir() {
			dirs = append(dirs, p)
		}
		return nil
	})
	end := time.Now().Add(deadline)
	for i := len(dirs) - 1; i >= 0; i-- {
		// A cgroup whose last process just died may be busy for a moment.
		for syscall.Rmdir(dirs[i]) == syscall.EBUSY && time.Now().Before(end) {
			waitUnpopulated(dirs[i])
		}
	}
	if _, err := os.Stat(r.cg); err == nil {
		b.Errorf("cgroup %s left behind", r.cg)
	}
}

// waitUnpopulated waits (at most 50 ms) for a change of the cgroup's
// cgroup.events, which the kernel signals with POLLPRI.
func waitUnpopulated(dir string) {
	f, err := os.Open(filepath.Join(dir, "cgroup.events"))
	if err != nil {
		return
	}
	defer f.Close()
	unix.Poll([]unix.PollFd{{Fd: int32(f.Fd()), Events: unix.POLLPRI}}, 50)
}

func BenchmarkStartRaw(b *testing.B) {
	r, names := benchRoot(b, 1)
	spec := rawSpec(b, r, names[0], "--private-network")
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		raw := prepareRaw(b, spec)
		b.StartTimer()
		raw.start(b)
		if err := raw.waitReady(); err != nil {
			b.Fatal(err)
		}
		b.StopTimer()
		if err := raw.stop(); err != nil {
			b.Fatal(err)
		}
		raw.cleanup(b)
		b.StartTimer()
	}
}

// lastBootSeconds is how long nspawn took to READY=1 in the container's
// latest boot, as its supervisor logged it: the rest of a start is nixcsh's.
func lastBootSeconds(r *testRoot, name string) float64 {
	log, _ := os.ReadFile(r.M.Paths.LogFile(name))
	i := bytes.LastIndex(log, []byte("is ready (leader "))
	if i < 0 {
		return 0
	}
	line, _, _ := strings.Cut(string(log[i:]), "\n")
	_, secs, _ := strings.Cut(line, ", ")
	v, _ := strconv.ParseFloat(strings.TrimSuffix(secs, "s)"), 64)
	return v
}

func BenchmarkStart(b *testing.B) {
	r, names := benchRoot(b, 1)
	ctx := context.Background()
	var nspawnSecs float64
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if err := r.M.Start(ctx, names[0], nil); err != nil {
			b.Fatal(err)
		}
		b.StopTimer()
		nspawnSecs += lastBootSeconds(r, names[0])
		if err := r.M.Stop(ctx, names[0]); err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
	}
	b.ReportMetric(nspawnSecs*1000/float64(b.N), "nspawn-ms/op")
}

func BenchmarkStopRaw(b *testing.B) {
	r, names := benchRoot(b, 1)
	spec := rawSpec(b, r, names[0], "--network-veth")
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		raw := prepareRaw(b, spec)
		raw.start(b)
		if err := raw.waitReady(); err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
		if err := raw.stop(); err != nil {
			b.Fatal(err)
		}
		b.StopTimer()
		raw.cleanup(b)
		b.StartTimer()
	}
}

func BenchmarkStop(b *testing.B) {
	r, names := benchRoot(b, 1)
	ctx := context.Background()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		if err := r.M.Start(ctx, names[0], nil); err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
		if err := r.M.Stop(ctx, names[0]); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkRunRaw(b *testing.B) {
	r, names := benchRoot(b, 1)
	ctx := context.Background()
	if err := r.M.Start(ctx, names[0], nil); err != nil {
		b.Fatal(err)
	}
	args := []string{"-t", strconv.Itoa(r.state(names[0]).Leader), "-m", "-u", "-i", "-n", "-p", "true"}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if err := exec.Command(runtime.NsenterPath, args...).Run(); err != nil {
			b.Fatal(err)
		}
	}
	b.StopTimer()
}

func BenchmarkRun(b *testing.B) {
	r, names := benchRoot(b, 1)
	ctx := context.Background()
	if err := r.M.Start(ctx, names[0], nil); err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if code, err := r.M.Run(ctx, names[0], []string{"true"}, core.Stdio{}); err != nil || code != 0 {
			b.Fatalf("run: %d %v", code, err)
		}
	}
	b.StopTimer()
}

// pss is the sum of Pss (KiB) over /proc/PID/smaps_rollup of pids.
func pss(pids ...int) float64 {
	var kb float64
	for _, p := range pids {
		f, err := os.Open(fmt.Sprintf("/proc/%d/smaps_rollup", p))
		if err != nil {
			continue
		}
		sc := bufio.NewScanner(f)
		for sc.Scan() {
			if v, ok := strings.CutPrefix(sc.Text(), "Pss:"); ok {
				n, _ := strconv.ParseFloat(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 64)
				kb += n
			}
		}
		f.Close()
	}
	return kb
}

// cgroupPids lists the processes in a cgroup tree.
func cgroupPids(dir string) []int {
	var pids []int
	filepath.WalkDir(dir, func(p string, e os.DirEntry, err error) error {
		if err != nil || !e.IsDir() {
			return nil
		}
		data, _ := os.ReadFile(filepath.Join(p, "cgroup.procs"))
		for _, f := range bytes.Fields(data) {
			if n, err := strconv.Atoi(string(f)); err == nil {
				pids = append(pids, n)
			}
		}
		return nil
	})
	return pids
}

func unifiedOf(dirs []string) string {
	for _, d := range dirs {
		var st syscall.Statfs_t
		if syscall.Statfs(d, &st) == nil && st.Type == 0x63677270 {
			return d
		}
	}
	return ""
}

func BenchmarkStart20Raw(b *testing.B) {
	r, names := benchRoot(b, benchContainers)
	specs := make([]runtime.Spec, len(names))
	for i, n := range names {
		specs[i] = rawSpec(b, r, n, "--private-network")
	}
	b.ResetTimer()
	var ctrPSS float64
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		raws := make([]*rawBoot, len(specs))
		for j, s := range specs {
			raws[j] = prepareRaw(b, s)
		}
		b.StartTimer()
		var wg sync.WaitGroup
		errs := make([]error, len(raws))
		for j, raw := range raws {
			wg.Add(1)
			go func() {
				defer wg.Done()
				raw.start(b)
				errs[j] = raw.waitReady()
			}()
		}
		wg.Wait()
		b.StopTimer()
		ctrPSS = 0
		for _, raw := range raws {
			ctrPSS += pss(cgroupPids(raw.cg)...)
		}
		for j, raw := range raws {
			if errs[j] != nil {
				b.Error(errs[j])
			}
			raw.stop()
			raw.cleanup(b)
		}
		if b.Failed() {
			b.FailNow()
		}
		b.StartTimer()
	}
	b.ReportMetric(ctrPSS/float64(len(names)), "ctr-PSS-KiB/ctr")
}

func BenchmarkStart20(b *testing.B) {
	r, names := benchRoot(b, benchContainers)
	ctx := context.Background()
	b.ResetTimer()
	var supPSS, ctrPSS float64
	for i := 0; i < b.N; i++ {
		var wg sync.WaitGroup
		errs := make([]error, len(names))
		for j, n := range names {
			wg.Add(1)
			go func() { defer wg.Done(); errs[j] = r.M.Start(ctx, n, nil) }()
		}
		wg.Wait()
		b.StopTimer()
		for _, err := range errs {
			if err != nil {
				b.Fatal(err)
			}
		}
		supPSS, ctrPSS = 0, 0
		for _, n := range names {
			st := r.state(n)
			supPSS += pss(st.Supervisor)
			ctrPSS += pss(cgroupPids(unifiedOf(st.Cgroups))...)
		}
		for j, n := range names {
			wg.Add(1)
			go func() { defer wg.Done(); errs[j] = r.M.Stop(ctx, n) }()
		}
		wg.Wait()
		for _, err := range errs {
			if err != nil {
				b.Fatal(err)
			}
		}
		b.StartTimer()
	}
	b.ReportMetric(supPSS/float64(len(names)), "sup-PSS-KiB/ctr")
	b.ReportMetric(ctrPSS/float64(len(names)), "ctr-PSS-KiB/ctr")
}
