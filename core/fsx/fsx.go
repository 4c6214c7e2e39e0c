// Package fsx holds the file-system operations nixcsh's state depends on:
// atomic writes (so a crash never leaves a half-written conf or profile) and
// advisory locks (so concurrent verbs never hand out the same name or address).
package fsx

import (
	"fmt"
	"os"
	"path/filepath"

	"golang.org/x/sys/unix"
)

// WriteAtomic writes data to path through a temporary file in the same
// directory, fsynced and renamed over path, so readers see the old content or
// the new one and never a mix, also after a crash. Parent directories are
// created (0755).
func WriteAtomic(path string, data []byte, perm os.FileMode) error {
	return write(path, data, perm, true)
}

// WriteAtomicNoSync is WriteAtomic without the fsyncs, for runtime state that
// means nothing after a crash (a reboot empties /run) and is written on hot
// paths such as every boot.
func WriteAtomicNoSync(path string, data []byte, perm os.FileMode) error {
	return write(path, data, perm, false)
}

func write(path string, data []byte, perm os.FileMode, durable bool) error {
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	tmp, err := os.CreateTemp(dir, "."+filepath.Base(path)+".tmp*")
	if err != nil {
		return err
	}
	name := tmp.Name()
	defer os.Remove(name) // no-op once renamed
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Chmod(perm); err != nil {
		tmp.Close()
		return err
	}
	if durable {
		if err := tmp.Sync(); err != nil {
			tmp.Close()
			return err
		}
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	if err := os.Rename(name, path); err != nil {
		return err
	}
	if d, err := os.Open(dir); durable && err == nil {
		d.Sync()
		d.Close()
	}
	return nil
}

// SymlinkAtomic points link at target, replacing whatever link was there in
// one rename.
func SymlinkAtomic(target, link string) error {
	tmp := fmt.Sprintf("%s.tmp-%d", link, os.Getpid())
	os.Remove(tmp)
	if err := os.Symlink(target, tmp); err != nil {
		return err
	}
	if err := os.Rename(tmp, link); err != nil {
		os.Remove(tmp)
		return err
	}
	return nil
}

// Lock is a held advisory lock (flock) on a file.
type Lock struct{ f *os.File }

// LockFile takes an exclusive flock on path, creating it (and its directory)
// if needed. With wait false it fails at once with unix.EWOULDBLOCK when
// another process holds the lock.
func LockFile(path string, wait bool) (*Lock, error) {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return nil, err
	}
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE|unix.O_CLOEXEC, 0o600)
	if err != nil {
		return nil, err
	}
	how := unix.LOCK_EX
	if !wait {
		how |= unix.LOCK_NB
	}
	for {
		err = unix.Flock(int(f.Fd()), how)
		if err != unix.EINTR {
			break
		}
	}
	if err != nil {
		f.Close()
		return nil, err
	}
	return &Lock{f: f}, nil
}

// Unlock releases the lock; safe on nil.
func (l *Lock) Unlock() {
	if l == nil || l.f == nil {
		return
	}
	unix.Flock(int(l.f.Fd()), unix.LOCK_UN)
	l.f.Close()
	l.f = nil
}
