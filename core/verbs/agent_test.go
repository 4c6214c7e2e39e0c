package verbs

import (
	"strings"
	"testing"

	"github.com/nixcsh/nixcsh/core/fault"
)

func TestAgentFlags(t *testing.T) {
	l, err := parseLabels("disk=ssd,zone=a")
	if err != nil || l["disk"] != "ssd" || l["zone"] != "a" || len(l) != 2 {
		t.Fatalf("parseLabels = %v, %v", l, err)
	}
	if _, err := parseLabels("disk"); fault.KindOf(err) != fault.Invalid || !strings.Contains(err.Error(), "KEY=VALUE") {
		t.Fatalf("parseLabels(disk): %v", err)
	}
	if _, err := connect(map[string]string{}, "etcd"); fault.KindOf(err) != fault.Invalid || !strings.Contains(err.Error(), "--etcd URL") {
		t.Fatalf("no --etcd: %v", err)
	}
	h, err := thisHost(&Invocation{Flags: map[string]string{"name": "h1", "labels": "a=b"}})
	if err != nil || h.Name != "h1" || h.Labels["a"] != "b" || h.Cores < 1 || h.Memory == 0 {
		t.Fatalf("thisHost = %+v, %v", h, err)
	}
	if v := Lookup("agent"); v == nil || !v.Daemon {
		t.Fatal("agent is not a Daemon verb")
	}
}
