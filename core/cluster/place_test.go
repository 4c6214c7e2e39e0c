package cluster

import (
	"strings"
	"testing"
)

func TestChooseSpreadsByFreeMemory(t *testing.T) {
	s := &Snapshot{
		Hosts: map[string]Host{
			"a": {Name: "a", Memory: 4 << 30},
			"b": {Name: "b", Memory: 2 << 30, Labels: map[string]string{"disk": "ssd"}},
		},
		Containers: map[string]Container{
			"x": {Spec: Spec{Name: "x", Memory: 3 << 30}, Placed: "a"},
		},
	}
	// a has 1 GiB left, b 2 GiB: b wins.
	if h, err := choose(s, Container{Spec: Spec{Name: "new"}}); err != nil || h != "b" {
		t.Fatalf("choose = %q, %v; want b", h, err)
	}
	// --host and --label constraints override the spread.
	if h, err := choose(s, Container{Spec: Spec{Name: "new", OnHost: "a"}}); err != nil || h != "a" {
		t.Fatalf("choose --host a = %q, %v", h, err)
	}
	if h, err := choose(s, Container{Spec: Spec{Name: "new", Labels: map[string]string{"disk": "ssd"}}}); err != nil || h != "b" {
		t.Fatalf("choose --label disk=ssd = %q, %v", h, err)
	}
	// Nothing fits: the error says why for each host.
	_, err := choose(s, Container{Spec: Spec{Name: "big", Memory: 3 << 30}})
	if err == nil || !strings.Contains(err.Error(), "a: 1024 MiB free, 3072 MiB needed") {
		t.Fatalf("choose too big: %v", err)
	}
	_, err = choose(s, Container{Spec: Spec{Name: "n", OnHost: "zz"}})
	if err == nil || !strings.Contains(err.Error(), "host zz is not in the cluster") {
		t.Fatalf("choose --host zz: %v", err)
	}
	_, err = choose(&Snapshot{}, Container{Spec: Spec{Name: "n"}})
	if err == nil || !strings.Contains(err.Error(), "no host is in the cluster") {
		t.Fatalf("choose with no hosts: %v", err)
	}
}
