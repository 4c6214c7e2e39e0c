package core

import (
	"context"
	"errors"
)

// The lifecycle events that hooks (plugins, Lua's n.on) receive, in the order
// a verb fires them: pre-VERB before anything changes, post-VERB after.
const (
	PreCreate   = "pre-create"
	PostCreate  = "post-create"
	PreStart    = "pre-start"
	PostStart   = "post-start"
	PreStop     = "pre-stop"
	PostStop    = "post-stop"
	PreUpdate   = "pre-update"
	PostUpdate  = "post-update"
	PreDestroy  = "pre-destroy"
	PostDestroy = "post-destroy"
)

// Events lists every event name, pre before post, verb by verb.
var Events = []string{
	PreCreate, PostCreate, PreStart, PostStart, PreStop, PostStop,
	PreUpdate, PostUpdate, PreDestroy, PostDestroy,
}

// IsPre reports whether an event runs before its verb changes anything, and so
// may veto it.
func IsPre(event string) bool { return len(event) > 4 && event[:4] == "pre-" }

// Event is what a hook is told: which event, which container, and the facts a
// hook may want (conf keys such as HOST_ADDRESS, "generation", "system",
// "config.PATH" values: see Manager.eventAttrs), all as strings so that any
// plugin protocol can carry them.
type Event struct {
	Name      string
	Container string
	Attrs     map[string]string
}

// Hooks is how core reaches plugins and Lua hooks without importing them.
// Fire delivers ev to every subscriber. For a pre-event a non-nil error is a
// veto: the verb stops and changes nothing; the error (kind Vetoed) names who
// refused and why, e.g. "plugin guard: not enough free memory". For a
// post-event the error is reported as a warning and the verb still succeeds.
type Hooks interface {
	Fire(ctx context.Context, ev Event) error
}

// HookList fires several Hooks in order; the first veto of a pre-event stops
// the rest. Post-event errors from all of them are joined.
type HookList []Hooks

func (l HookList) Fire(ctx context.Context, ev Event) error {
	var errs []error
	for _, h := range l {
		if h == nil {
			continue
		}
		if err := h.Fire(ctx, ev); err != nil {
			if IsPre(ev.Name) {
				return err
			}
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}
