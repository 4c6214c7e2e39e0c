// Package fault holds nixcsh's one error type and its kinds. It imports
// nothing of nixcsh, so every layer (evaluator, renderers, runtime, network,
// the Manager, the front ends) can make and read the same typed errors.
package fault

import (
	"errors"
	"fmt"
)

// Kind classifies an error so that every front end (exit codes, Lua's
// nil-plus-message, JSON) can react to it the same way.
type Kind int

const (
	Failed   Kind = iota // an operation was tried and did not work
	NotFound             // the named container (or thing) does not exist
	Exists               // the thing to be made is already there
	Invalid              // the user's input is wrong; nothing was tried
	Busy                 // another verb holds the container's lock
	Vetoed               // a hook (plugin or Lua) refused the verb
)

func (k Kind) String() string {
	switch k {
	case NotFound:
		return "not-found"
	case Exists:
		return "exists"
	case Invalid:
		return "invalid"
	case Busy:
		return "busy"
	case Vetoed:
		return "vetoed"
	}
	return "failed"
}

// Error is the one error type that reaches users. Msg is complete and
// user-facing: it names the container and, where there is one, what to do.
type Error struct {
	Kind Kind
	Msg  string
	Err  error // the cause, for errors.Is/As; not shown to users
}

func (e *Error) Error() string { return e.Msg }
func (e *Error) Unwrap() error { return e.Err }

// Errorf makes an *Error of the given kind. A %w verb keeps the cause.
func Errorf(kind Kind, format string, args ...any) error {
	wrapped := fmt.Errorf(format, args...)
	return &Error{Kind: kind, Msg: wrapped.Error(), Err: errors.Unwrap(wrapped)}
}

// KindOf reports the kind of err; errors that are not *Error count as Failed.
func KindOf(err error) Kind {
	var e *Error
	if errors.As(err, &e) {
		return e.Kind
	}
	return Failed
}

// ExitCode is the one place that maps errors to process exit codes.
// nixos-container exits 1 on every failure; nixcsh keeps that so scripts
// written for it keep working. A verb's own exit status (run) is an ExitStatus.
func ExitCode(err error) int {
	if err == nil {
		return 0
	}
	var st ExitStatus
	if errors.As(err, &st) {
		return int(st)
	}
	return 1
}

// ExitStatus is a non-zero status that a verb passes through unchanged, such
// as the exit code of a command run inside a container. It carries no message.
type ExitStatus int

func (s ExitStatus) Error() string { return fmt.Sprintf("exit status %d", int(s)) }
