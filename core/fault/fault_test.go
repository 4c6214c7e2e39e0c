package fault

import (
	"errors"
	"os"
	"testing"
)

func TestErrorKindsAndExitCodes(t *testing.T) {
	err := Errorf(NotFound, "container '%s' does not exist", "x")
	if KindOf(err) != NotFound || ExitCode(err) != 1 || err.Error() != "container 'x' does not exist" {
		t.Errorf("Errorf: %v kind %v", err, KindOf(err))
	}
	if ExitCode(ExitStatus(7)) != 7 || ExitCode(nil) != 0 || KindOf(errors.New("x")) != Failed {
		t.Error("exit codes")
	}
	cause := os.ErrPermission
	if w := Errorf(Failed, "cannot: %w", cause); !errors.Is(w, os.ErrPermission) {
		t.Error("%w cause lost")
	}
}

func TestStartFailedHeadsOnce(t *testing.T) {
	cause := Errorf(Failed, "cannot: %w", os.ErrPermission)
	err := StartFailed("web", cause)
	if err.Error() != "failed to start container 'web': cannot: permission denied" {
		t.Errorf("headline: %q", err)
	}
	if StartFailed("web", err) != err {
		t.Error("a second headline for the same container")
	}
	if other := StartFailed("db", err); other == err {
		t.Error("the headline of another container counts as this one's")
	}
	if !errors.Is(err, os.ErrPermission) || KindOf(err) != Failed {
		t.Errorf("cause or kind lost: %v %v", errors.Is(err, os.ErrPermission), KindOf(err))
	}
	if KindOf(StartFailed("web", Errorf(Busy, "busy"))) != Busy {
		t.Error("the cause's kind is not the start error's")
	}
}

func TestLogTailErrorKeepsItsParts(t *testing.T) {
	lt := &LogTailError{Msg: "its supervisor exited", Log: "/var/log/nixcsh/web.log", Tail: "boom"}
	err := error(&StartError{Container: "web", Err: lt})
	want := "failed to start container 'web': its supervisor exited; last lines of /var/log/nixcsh/web.log:\nboom"
	if err.Error() != want {
		t.Errorf("got %q\nwant %q", err, want)
	}
	var got *LogTailError
	if !errors.As(err, &got) || got.Msg != "its supervisor exited" || got.Tail != "boom" {
		t.Errorf("parts not reachable: %+v", got)
	}
}
