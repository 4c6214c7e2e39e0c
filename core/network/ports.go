package network

import (
	"strconv"
	"strings"

	"github.com/nixcsh/nixcsh/core/fault"
)

const portForm = "[tcp:|udp:]HOST_PORT[:CONTAINER_PORT], e.g. tcp:8080:80"

// ParsePorts reads HOST_PORT: items separated by commas (or blanks), each
// PROTO:HOST:CONTAINER, PROTO:HOST, HOST:CONTAINER or HOST, as nspawn's --port
// takes them. The protocol defaults to tcp, the container port to the host
// port. "" is no forwards.
func ParsePorts(s string) ([]PortForward, error) {
	items := strings.FieldsFunc(s, func(r rune) bool { return r == ',' || r == ' ' || r == '\t' || r == '\n' })
	var out []PortForward
	seen := map[string]bool{}
	for _, item := range items {
		f, ok := parsePort(item)
		if !ok {
			return nil, fault.Errorf(fault.Invalid, "invalid HOST_PORT item %q: expected %s", item, portForm)
		}
		key := f.Proto + ":" + strconv.Itoa(int(f.HostPort))
		if seen[key] {
			return nil, fault.Errorf(fault.Invalid, "invalid HOST_PORT item %q: host port %s is forwarded twice", item, key)
		}
		seen[key] = true
		out = append(out, f)
	}
	return out, nil
}

func parsePort(item string) (PortForward, bool) {
	parts := strings.Split(item, ":")
	f := PortForward{Proto: "tcp"}
	if p := strings.ToLower(parts[0]); p == "tcp" || p == "udp" {
		f.Proto = p
		parts = parts[1:]
	}
	if len(parts) < 1 || len(parts) > 2 {
		return f, false
	}
	var ok bool
	if f.HostPort, ok = port(parts[0]); !ok {
		return f, false
	}
	f.ContainerPort = f.HostPort
	if len(parts) == 2 {
		if f.ContainerPort, ok = port(parts[1]); !ok {
			return f, false
		}
	}
	return f, true
}

func port(s string) (uint16, bool) {
	n, err := strconv.ParseUint(s, 10, 16)
	if err != nil || n == 0 {
		return 0, false
	}
	return uint16(n), true
}
