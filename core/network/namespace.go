package network

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"time"

	"golang.org/x/sys/unix"

	"github.com/nixcsh/nixcsh/core/fault"
)

// hostLock serialises nixcsh's network changes across every nixcsh process on
// the host: link-name checks, the shared /run/netns mount and the "last
// forward restores the sysctls" bookkeeping must not interleave.
type hostLock struct{ f *os.File }

func lockHost(ctx context.Context) (*hostLock, error) {
	if err := os.MkdirAll(StateDir, 0o755); err != nil {
		return nil, fault.Errorf(fault.Failed, "cannot create %s: %w", StateDir, err)
	}
	f, err := os.OpenFile(filepath.Join(StateDir, "lock"), os.O_RDWR|os.O_CREATE|unix.O_CLOEXEC, 0o644)
	if err != nil {
		return nil, fault.Errorf(fault.Failed, "cannot open the network lock: %w", err)
	}
	// The lock is held for milliseconds; poll without blocking so that a
	// cancelled context is honoured even if another process hangs holding it.
	tick := time.NewTicker(2 * time.Millisecond)
	defer tick.Stop()
	for {
		err := unix.Flock(int(f.Fd()), unix.LOCK_EX|unix.LOCK_NB)
		if err == nil {
			return &hostLock{f}, nil
		}
		if !errors.Is(err, unix.EWOULDBLOCK) && !errors.Is(err, unix.EINTR) {
			f.Close()
			return nil, fault.Errorf(fault.Failed, "cannot lock %s: %w", f.Name(), err)
		}
		select {
		case <-ctx.Done():
			f.Close()
			return nil, fault.Errorf(fault.Failed, "waiting for the host network lock %s: %w", f.Name(), ctx.Err())
		case <-tick.C:
		}
	}
}

func (l *hostLock) unlock() { l.f.Close() }

// shareNamespaceDir makes /run/netns a shared mount point, as `ip netns add`
// does, so that when a namespace is unmounted the unmount propagates into
// mount namespaces that copied it (nspawn's) and the namespace really goes.
func shareNamespaceDir() error {
	if err := os.MkdirAll(namespaceDir, 0o755); err != nil {
		return err
	}
	err := unix.Mount("", namespaceDir, "none", unix.MS_SHARED|unix.MS_REC, "")
	if errors.Is(err, unix.EINVAL) { // not a mount point yet
		if err = unix.Mount(namespaceDir, namespaceDir, "none", unix.MS_BIND|unix.MS_REC, ""); err == nil {
			err = unix.Mount("", namespaceDir, "none", unix.MS_SHARED|unix.MS_REC, "")
		}
	}
	return err
}

// createNamespace makes a new network namespace bind-mounted at path. It
// fails with os.ErrExist if the path is taken.
func createNamespace(path string) error {
	f, err := os.OpenFile(path, os.O_RDONLY|os.O_CREATE|os.O_EXCL|unix.O_CLOEXEC, 0o444)
	if err != nil {
		return err
	}
	f.Close()
	errc := make(chan error, 1)
	go func() {
		// The namespace is made by moving this thread into it; the thread
		// then goes back to the host's namespace. It must not stay inside:
		// a thread in the namespace keeps it alive after it is unmounted
		// (and Go cannot end a locked main thread, it parks it forever). If
		// going back fails, the thread stays locked and the Go runtime
		// discards it rather than reuse it in the wrong namespace.
		runtime.LockOSThread()
		host, err := unix.Open(fmt.Sprintf("/proc/%d/task/%d/ns/net", os.Getpid(), unix.Gettid()), unix.O_RDONLY|unix.O_CLOEXEC, 0)
		if err != nil {
			errc <- err
			return
		}
		defer unix.Close(host)
		if err := unix.Unshare(unix.CLONE_NEWNET); err != nil {
			errc <- fmt.Errorf("unshare: %w", err)
			return
		}
		self := fmt.Sprintf("/proc/%d/task/%d/ns/net", os.Getpid(), unix.Gettid())
		err = unix.Mount(self, path, "none", unix.MS_BIND, "")
		if unix.Setns(host, unix.CLONE_NEWNET) == nil {
			runtime.UnlockOSThread()
		}
		if err != nil {
			errc <- fmt.Errorf("bind mount: %w", err)
			return
		}
		errc <- nil
	}()
	if err := <-errc; err != nil {
		os.Remove(path)
		return err
	}
	return nil
}

// adoptNamespace bind-mounts the network namespace of process pid at path,
// so that it is named as one createNamespace made. It fails with
// os.ErrExist if the path is taken.
func adoptNamespace(path string, pid int) error {
	f, err := os.OpenFile(path, os.O_RDONLY|os.O_CREATE|os.O_EXCL|unix.O_CLOEXEC, 0o444)
	if err != nil {
		return err
	}
	f.Close()
	if err := unix.Mount(fmt.Sprintf("/proc/%d/ns/net", pid), path, "none", unix.MS_BIND, ""); err != nil {
		os.Remove(path)
		return fmt.Errorf("bind mount of the namespace of process %d: %w", pid, err)
	}
	return nil
}

// deleteNamespace unmounts and removes a named namespace; a missing one is
// not an error. The namespace itself lives on until its last process exits.
func deleteNamespace(path string) error {
	err := unix.Unmount(path, unix.MNT_DETACH)
	if err != nil && !errors.Is(err, unix.EINVAL) && !errors.Is(err, unix.ENOENT) {
		return fmt.Errorf("unmount %s: %w", path, err)
	}
	if err := os.Remove(path); err != nil && !errors.Is(err, os.ErrNotExist) {
		return err
	}
	return nil
}
