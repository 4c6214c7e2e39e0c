package fault

import (
	"errors"
	"fmt"
)

// StartError is a container that failed to start. Its message leads with
// the headline users know from nixos-container, "failed to start container
// 'NAME'", then the cause. Whoever adds the headline makes one, so that the
// layers above can tell that it is there (errors.As) instead of reading the
// text. Its kind is the cause's (Failed unless the cause says otherwise).
type StartError struct {
	Container string
	Err       error
}

func (e *StartError) Error() string {
	return fmt.Sprintf("failed to start container '%s': %v", e.Container, e.Err)
}
func (e *StartError) Unwrap() error { return e.Err }

// StartFailed heads err with the StartError headline of container name,
// unless err already has it.
func StartFailed(name string, err error) error {
	var se *StartError
	if errors.As(err, &se) && se.Container == name {
		return err
	}
	return &StartError{Container: name, Err: err}
}

// LogTailError is a failure explained by a log: Msg says what went wrong,
// Tail holds the last lines that Log received meanwhile. A process whose
// stderr is that very log prints Msg alone (the tail would appear twice).
type LogTailError struct {
	Msg  string
	Log  string
	Tail string
}

func (e *LogTailError) Error() string {
	return fmt.Sprintf("%s; last lines of %s:\n%s", e.Msg, e.Log, e.Tail)
}
