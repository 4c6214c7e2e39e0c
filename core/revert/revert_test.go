package revert

import (
	"errors"
	"slices"
	"testing"
)

func TestFailUndoesNewestFirstAndOnce(t *testing.T) {
	var got []int
	r := New()
	for i := 1; i <= 3; i++ {
		r.Add(func() { got = append(got, i) })
	}
	r.Fail()
	if !slices.Equal(got, []int{3, 2, 1}) {
		t.Errorf("undone in order %v, want [3 2 1]", got)
	}
	r.Fail()
	if len(got) != 3 {
		t.Errorf("a second Fail undid again: %v", got)
	}
}

func TestSuccessKeepsEverything(t *testing.T) {
	undone := 0
	func() {
		r := New()
		defer r.Fail()
		r.Add(func() { undone++ })
		r.Add(func() { undone++ })
		r.Success()
	}()
	if undone != 0 {
		t.Errorf("%d steps undone after Success", undone)
	}
}

func TestDeferredFailOnAnEarlyReturn(t *testing.T) {
	var got []string
	change := func(fail bool) error {
		r := New()
		defer r.Fail()
		r.Add(func() { got = append(got, "a") })
		if fail {
			return errStep
		}
		r.Add(func() { got = append(got, "b") })
		r.Success()
		return nil
	}
	if err := change(true); err != errStep || !slices.Equal(got, []string{"a"}) {
		t.Errorf("failed change: err %v, undone %v, want only a", err, got)
	}
	got = nil
	if err := change(false); err != nil || got != nil {
		t.Errorf("successful change: err %v, undone %v", err, got)
	}
}

// A step added after Success belongs to a new change and is undone by the
// next Fail.
func TestAddAfterSuccess(t *testing.T) {
	undone := 0
	r := New()
	r.Add(func() { undone += 1 })
	r.Success()
	r.Add(func() { undone += 10 })
	r.Fail()
	if undone != 10 {
		t.Errorf("undone %d, want 10", undone)
	}
}

var errStep = errors.New("step failed")
