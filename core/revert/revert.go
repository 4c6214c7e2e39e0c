// Package revert is nixcsh's one way to undo a half-made change: each step
// that makes something registers how to unmake it, and unless the whole
// change succeeds the steps are undone newest first. It imports nothing of
// nixcsh, so the Manager and the layers below it (network) share it.
//
//	undo := revert.New()
//	defer undo.Fail()
//	... make A; undo.Add(unmakeA)
//	... make B; undo.Add(unmakeB)
//	undo.Success() // keep A and B
package revert

// Reverter holds the undo steps of one change in progress.
type Reverter struct {
	steps []func()
}

// New returns an empty Reverter.
func New() *Reverter { return &Reverter{} }

// Add registers the undo of a step that was just made.
func (r *Reverter) Add(undo func()) { r.steps = append(r.steps, undo) }

// Fail undoes every registered step, newest first, and forgets them: a
// second Fail, or a Fail after Success, does nothing. It is meant to be
// deferred right after New.
func (r *Reverter) Fail() {
	steps := r.steps
	r.steps = nil
	for i := len(steps) - 1; i >= 0; i-- {
		steps[i]()
	}
}

// Success keeps everything made: the steps registered so far are never undone.
func (r *Reverter) Success() { r.steps = nil }
