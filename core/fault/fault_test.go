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
