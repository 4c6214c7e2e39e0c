package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"

	"github.com/nixcsh/nixcsh/plugins/sdk"
)

// Defaults for the settings guard reads.
const (
	defaultMinAvailable = "128M"
	defaultMeminfo      = "/proc/meminfo"
)

// guard vetoes pre-start and pre-destroy events that would hurt the host.
type guard struct {
	sdk.Base
	mu           sync.Mutex
	minAvailable uint64   // bytes of MemAvailable a start needs
	meminfo      string   // where MemAvailable is read
	protected    []string // containers that may not be destroyed
}

func (g *guard) Info() sdk.Info {
	return sdk.Info{Name: "guard", Version: "1.0.0", Events: []string{"pre-start", "pre-destroy"}}
}

// Configure reads min-available (a size: 512M, 2G, bytes), protected (names
// separated by commas or spaces) and meminfo (a file in /proc/meminfo's
// format, for tests).
func (g *guard) Configure(_ context.Context, settings map[string]string) error {
	minAvail := settings["min-available"]
	if minAvail == "" {
		minAvail = defaultMinAvailable
	}
	n, err := parseSize(minAvail)
	if err != nil {
		return fmt.Errorf("setting min-available: %w", err)
	}
	meminfo := settings["meminfo"]
	if meminfo == "" {
		meminfo = defaultMeminfo
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	g.minAvailable, g.meminfo = n, meminfo
	g.protected = strings.FieldsFunc(settings["protected"], func(r rune) bool { return r == ',' || r == ' ' || r == '\t' })
	return nil
}

func (g *guard) HandleEvent(_ context.Context, ev sdk.Event) (sdk.Result, error) {
	g.mu.Lock()
	defer g.mu.Unlock()
	switch ev.Name {
	case "pre-start":
		return g.checkStart(ev)
	case "pre-destroy":
		return g.checkDestroy(ev), nil
	}
	return sdk.Allow(), nil
}

func (g *guard) checkStart(ev sdk.Event) (sdk.Result, error) {
	if g.minAvailable > 0 {
		avail, err := memAvailable(g.meminfo)
		if err != nil {
			return sdk.Result{}, err
		}
		if avail < g.minAvailable {
			return sdk.Veto("not starting %s: the host has %s of memory available, guard's min-available is %s",
				ev.Container, formatSize(avail), formatSize(g.minAvailable)), nil
		}
	}
	forwards, err := parseForwards(ev.Attrs["HOST_PORT"])
	if err != nil {
		return sdk.Veto("not starting %s: HOST_PORT: %v", ev.Container, err), nil
	}
	var diags []string
	for _, f := range forwards {
		taken, err := portTaken(f.proto, f.hostPort)
		if err != nil {
			diags = append(diags, fmt.Sprintf("could not check %s port %d: %v", f.proto, f.hostPort, err))
			continue
		}
		if taken {
			return sdk.Veto("not starting %s: host %s port %d (HOST_PORT) is already in use on the host",
				ev.Container, f.proto, f.hostPort), nil
		}
	}
	return sdk.Result{Diagnostics: diags}, nil
}

func (g *guard) checkDestroy(ev sdk.Event) sdk.Result {
	if slices.Contains(g.protected, ev.Container) {
		return sdk.Veto("%s is protected (guard's protected setting); remove it from the setting to destroy it", ev.Container)
	}
	if yes(ev.Attrs["PROTECTED"]) {
		return sdk.Veto("%s is protected (PROTECTED=%s in its conf); remove that line to destroy it", ev.Container, ev.Attrs["PROTECTED"])
	}
	return sdk.Allow()
}

func yes(s string) bool {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "1", "yes", "true", "on":
		return true
	}
	return false
}

// memAvailable reads MemAvailable, in bytes, from a /proc/meminfo file.
func memAvailable(path string) (uint64, error) {
	f, err := os.Open(path)
	if err != nil {
		return 0, fmt.Errorf("reading free memory: %w", err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		fields := strings.Fields(sc.Text())
		if len(fields) >= 2 && fields[0] == "MemAvailable:" {
			kb, err := strconv.ParseUint(fields[1], 10, 64)
			if err != nil {
				return 0, fmt.Errorf("%s: bad MemAvailable %q", path, fields[1])
			}
			return kb * 1024, nil
		}
	}
	if err := sc.Err(); err != nil {
		return 0, fmt.Errorf("reading free memory: %w", err)
	}
	return 0, fmt.Errorf("%s has no MemAvailable line", path)
}

// parseSize reads 1024, 512K, 512M, 2G, 1T (powers of 1024; a trailing B or
// iB is allowed).
func parseSize(s string) (uint64, error) {
	t := strings.TrimSuffix(strings.TrimSuffix(strings.ToUpper(strings.TrimSpace(s)), "B"), "I")
	mult := uint64(1)
	if t != "" {
		switch t[len(t)-1] {
		case 'K':
			mult = 1 << 10
		case 'M':
			mult = 1 << 20
		case 'G':
			mult = 1 << 30
		case 'T':
			mult = 1 << 40
		case 'P':
			mult = 1 << 50
		}
		if mult > 1 {
			t = t[:len(t)-1]
		}
	}
	n, err := strconv.ParseUint(strings.TrimSpace(t), 10, 64)
	if err != nil {
		return 0, fmt.Errorf("bad size %q (want e.g. 512M or 2G)", s)
	}
	return n * mult, nil
}

func formatSize(n uint64) string {
	const units = "KMGTP"
	if n < 1024 {
		return fmt.Sprintf("%dB", n)
	}
	f, i := float64(n)/1024, 0
	for f >= 1024 && i < len(units)-1 {
		f, i = f/1024, i+1
	}
	return fmt.Sprintf("%.1f%ciB", f, units[i])
}

// forward is one HOST_PORT item.
type forward struct {
	proto    string // tcp or udp
	hostPort int
}

// parseForwards reads HOST_PORT: [PROTO:]HOSTPORT[:CONTAINERPORT][,...],
// the protocol defaulting to tcp (as nixos-container's conf files have it).
func parseForwards(s string) ([]forward, error) {
	var out []forward
	for _, item := range strings.Split(s, ",") {
		item = strings.TrimSpace(item)
		if item == "" {
			continue
		}
		parts := strings.Split(item, ":")
		f := forward{proto: "tcp"}
		if parts[0] == "tcp" || parts[0] == "udp" {
			f.proto, parts = parts[0], parts[1:]
		}
		if len(parts) < 1 || len(parts) > 2 {
			return nil, fmt.Errorf("bad item %q (want [tcp|udp:]HOSTPORT[:CONTAINERPORT])", item)
		}
		p, err := strconv.Atoi(parts[0])
		if err != nil || p < 1 || p > 65535 {
			return nil, fmt.Errorf("bad host port in %q", item)
		}
		f.hostPort = p
		out = append(out, f)
	}
	return out, nil
}

// portTaken reports whether a socket on the host already holds the port,
// by trying to bind it on every address.
func portTaken(proto string, port int) (bool, error) {
	addr := ":" + strconv.Itoa(port)
	var err error
	if proto == "udp" {
		var c net.PacketConn
		if c, err = net.ListenPacket("udp", addr); err == nil {
			return false, c.Close()
		}
	} else {
		var l net.Listener
		if l, err = net.Listen("tcp", addr); err == nil {
			return false, l.Close()
		}
	}
	if errors.Is(err, syscall.EADDRINUSE) {
		return true, nil
	}
	return false, err
}
