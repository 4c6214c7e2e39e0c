package host_test

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/signal"
	"syscall"
	"testing"

	"github.com/coreos/go-systemd/v22/daemon"

	"github.com/nixcsh/nixcsh/core/host"
	"github.com/nixcsh/nixcsh/core/runtime"
)

// roleEnv switches the test binary into a supervisor for the backends to
// run: the backends need a real command, and this one is built anyway.
const roleEnv = "NIXCSH_HOST_TEST_ROLE"

func TestMain(m *testing.M) {
	switch os.Getenv(roleEnv) {
	case "":
		os.Exit(m.Run())
	case "supervisor": // the real thing: runtime.Supervisor for the spec in NIXCSH_HOST_TEST_SPEC
		var spec runtime.Spec
		if err := json.Unmarshal([]byte(os.Getenv("NIXCSH_HOST_TEST_SPEC")), &spec); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(2)
		}
		ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, syscall.SIGINT)
		defer stop()
		sup := &runtime.Supervisor{Spec: spec, Ready: func(int) { daemon.SdNotify(false, daemon.SdNotifyReady) }}
		if err := sup.Run(ctx); err != nil {
			fmt.Fprintln(os.Stderr, "nixcsh:", err)
			os.Exit(1)
		}
		os.Exit(0)
	case "notify": // a stand-in supervisor: ready at once, exits on SIGTERM
		term := make(chan os.Signal, 1)
		signal.Notify(term, syscall.SIGTERM)
		if ok, err := daemon.SdNotify(false, daemon.SdNotifyReady); !ok {
			fmt.Fprintln(os.Stderr, "no NOTIFY_SOCKET:", err)
			os.Exit(4)
		}
		<-term
		fmt.Println("stand-in supervisor: SIGTERM, exiting")
		os.Exit(0)
	case "hang": // a supervisor that never becomes ready
		term := make(chan os.Signal, 1)
		signal.Notify(term, syscall.SIGTERM)
		fmt.Println("hanging until SIGTERM")
		<-term
		os.Exit(0)
	case "starter": // a short-lived CLI: starts the unit in NIXCSH_HOST_TEST_UNIT and exits
		var u host.Unit
		if err := json.Unmarshal([]byte(os.Getenv("NIXCSH_HOST_TEST_UNIT")), &u); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(2)
		}
		if err := host.NewProcess().Start(context.Background(), u); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		os.Exit(0)
	case "fail": // a supervisor that fails before READY
		fmt.Println("booting...")
		fmt.Fprintln(os.Stderr, "nixcsh: container 'x' failed to boot: the stand-in always fails")
		os.Exit(3)
	}
	os.Exit(99)
}
