package cluster

import (
	"fmt"
	"sort"
	"strings"
)

// choose picks the host for a container: among the live hosts that meet
// its constraints (--host, --label, --memory), the one with the most memory
// left after what is already placed on it. Ties go to the smaller name, so
// the choice is the same whichever agent is the scheduler.
func choose(s *Snapshot, ct Container) (string, error) {
	used := map[string]uint64{}
	for name, other := range s.Containers {
		if other.Placed != "" && name != ct.Name {
			used[other.Placed] += memoryOf(other.Spec)
		}
	}
	need := memoryOf(ct.Spec)
	var names []string
	for n := range s.Hosts {
		names = append(names, n)
	}
	sort.Strings(names)
	best, bestFree := "", int64(-1)
	var why []string
	for _, n := range names {
		h := s.Hosts[n]
		free := int64(h.Memory) - int64(used[n])
		switch {
		case ct.OnHost != "" && n != ct.OnHost:
			continue
		case !hasLabels(h, ct.Labels):
			why = append(why, n+": labels do not match")
			continue
		case free < int64(need):
			why = append(why, fmt.Sprintf("%s: %d MiB free, %d MiB needed", n, max(free, 0)>>20, need>>20))
			continue
		}
		if free > bestFree {
			best, bestFree = n, free
		}
	}
	if best != "" {
		return best, nil
	}
	switch {
	case ct.OnHost != "" && s.Hosts[ct.OnHost].Name == "":
		return "", fmt.Errorf("host %s is not in the cluster (no agent registered under that name)", ct.OnHost)
	case len(names) == 0:
		return "", fmt.Errorf("no host is in the cluster: start 'nixcsh agent' on at least one host")
	}
	return "", fmt.Errorf("no host meets the constraints (%s)", strings.Join(why, "; "))
}

func memoryOf(s Spec) uint64 {
	if s.Memory == 0 {
		return DefaultMemory
	}
	return s.Memory
}

func hasLabels(h Host, want map[string]string) bool {
	for k, v := range want {
		if h.Labels[k] != v {
			return false
		}
	}
	return true
}
