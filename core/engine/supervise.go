package engine

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"

	"github.com/coreos/go-systemd/v22/daemon"
	"github.com/nixcsh/nixcsh/core/conf"
	"github.com/nixcsh/nixcsh/core/fault"
	"github.com/nixcsh/nixcsh/core/fsx"
	"github.com/nixcsh/nixcsh/core/layout"
	"github.com/nixcsh/nixcsh/core/network"
	"github.com/nixcsh/nixcsh/core/options"
	"github.com/nixcsh/nixcsh/core/runtime"
	"github.com/nixcsh/nixcsh/core/system"
)

// activeLink in a container's RunDir points at the generation that is
// activated in the running container; switch compares the profile's current
// generation against it. It goes with the RunDir when the container stops.
const activeLink = "system"

// ephemeralMark in a container's RunDir says that the running boot is
// ephemeral: its root is a copy, which switch must activate into.
const ephemeralMark = "ephemeral"

// SuperviseMain is the supervisor process: `nixcsh __supervise --root R NAME`.
// It runs one container until SIGTERM (stop) and reports readiness with
// sd_notify, to systemd or to the process backend alike.
func SuperviseMain(args []string, stderr io.Writer) int {
	root, name := "/", ""
	for i := 0; i < len(args); i++ {
		switch {
		case args[i] == "--root" && i+1 < len(args):
			root = args[i+1]
			i++
		case strings.HasPrefix(args[i], "--root="):
			root = strings.TrimPrefix(args[i], "--root=")
		default:
			name = args[i]
		}
	}
	if name == "" {
		fmt.Fprintln(stderr, "usage: nixcsh __supervise --root DIR NAME (started by nixcsh start)")
		return 2
	}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, syscall.SIGINT)
	defer stop()
	if err := supervise(ctx, layout.Paths{Root: root}, name); err != nil {
		// stderr is the console log, and whoever reports this failure
		// (the host backend) quotes the log's last lines: a tail of the
		// log inside the message would appear twice.
		var lt *fault.LogTailError
		if errors.As(err, &lt) {
			err = errors.New(lt.Msg)
		}
		msg := strings.TrimRight(err.Error(), "\n")
		fmt.Fprintln(stderr, msg)
		daemon.SdNotify(false, "STATUS="+firstLine(msg))
		return 1
	}
	return 0
}

// containerSpec turns a container's conf into what the runtime and the
// network need.
func containerSpec(p layout.Paths, name string) (runtime.Spec, *network.Spec, error) {
	f, err := conf.Read(p.ConfFile(name))
	if err != nil {
		return runtime.Spec{}, nil, fault.Errorf(fault.NotFound, "container '%s' does not exist", name)
	}
	spec := runtime.Spec{
		Name:         name,
		Root:         p.StateDir(name),
		LogFile:      p.LogFile(name),
		RunDir:       p.RunDir(name),
		PrivateUsers: f.Get(conf.PrivateUsers),
		Binds: []runtime.Bind{
			// Generations are linked from the container's /etc at their host path.
			{Source: p.Store(), ReadOnly: true},
			{Source: p.ProfileDir(name), Target: "/nix/var/nix/profiles", ReadOnly: true},
		},
	}
	if spec.Limits, err = limitsOf(f); err != nil {
		return spec, nil, fault.Errorf(fault.Invalid, "container '%s': %v in %s; set it again with nixcsh update %s (--memory, --cpus, --tasks, --io-weight)", name, err, p.ConfFile(name), name)
	}
	// The generation owns /etc/localtime and resolv.conf (activation writes
	// them); nspawn's defaults would overwrite them with the host's.
	spec.ExtraFlags = []string{"--timezone=off", "--resolv-conf=off"}
	if extra := f.Get(conf.ExtraNspawnFlags); extra != "" {
		spec.ExtraFlags = append(spec.ExtraFlags, strings.Fields(extra)...)
	}
	spec.Ephemeral = f.Get(conf.Ephemeral) == "1"
	// Devices: nixcsh's units set no device policy, so a node bound into
	// the container's /dev is usable there. nspawn's own /dev has
	// /dev/net/tun; enableTun adds the capability to use it, as NixOS does.
	for _, d := range strings.Fields(f.Get(conf.AllowedDevices)) {
		spec.Binds = append(spec.Binds, runtime.Bind{Source: d, Device: true})
	}
	if f.Get(conf.EnableTun) == "1" {
		spec.ExtraFlags = append(spec.ExtraFlags, "--capability=CAP_NET_ADMIN")
	}
	if f.Get(conf.PrivateNetwork) != "1" {
		return spec, nil, nil
	}
	ns, err := network.SpecFromConf(name, p.Root, f.Get)
	if err != nil {
		return spec, nil, err
	}
	// With a network namespace of its own the container may configure it,
	// as NixOS's private-network containers can (nspawn grants this only
	// for --private-network): networking.interfaces adds addresses from
	// inside. It reaches nothing of the host's.
	spec.ExtraFlags = append(spec.ExtraFlags, "--capability=CAP_NET_ADMIN")
	return spec, &ns, nil
}

// limitsOf reads the resource limits of a conf (the keys of the memory,
// cpus, tasks and io-weight settings).
func limitsOf(f *conf.File) (runtime.Limits, error) {
	var l runtime.Limits
	var err error
	if v := f.Get(conf.MemoryMax); v != "" {
		if l.MemoryMax, err = conf.ParseSize(v); err != nil {
			return l, fmt.Errorf("%s=%s: %v", conf.MemoryMax, v, err)
		}
	}
	if v := f.Get(conf.CPUs); v != "" {
		if l.CPUs, err = conf.ParseCPUs(v); err != nil {
			return l, fmt.Errorf("%s=%s: %v", conf.CPUs, v, err)
		}
	}
	for _, k := range []struct {
		key  string
		into *int
	}{{conf.TasksMax, &l.TasksMax}, {conf.IOWeight, &l.IOWeight}} {
		if v := f.Get(k.key); v != "" {
			n, err := strconv.Atoi(v)
			if err != nil || n < 1 {
				return l, fmt.Errorf("%s=%s: expected a whole number above 0", k.key, v)
			}
			*k.into = n
		}
	}
	return l, nil
}

// supervise composes the runtime's supervisor with activation and the
// private network.
func supervise(ctx context.Context, p layout.Paths, name string) error {
	spec, netSpec, err := containerSpec(p, name)
	if err != nil {
		return err
	}
	os.MkdirAll(filepath.Dir(spec.LogFile), 0o755)
	sup := &runtime.Supervisor{
		Spec: spec,
		BeforeBoot: func(ctx context.Context, s *runtime.Spec) error {
			if err := runtime.PrepareRoot(s.Root); err != nil {
				return err
			}
			gen, ok, err := system.NewProfile(p, name).Current()
			if err != nil {
				return err
			}
			if !ok {
				return fault.Errorf(fault.Failed, "container '%s' has no system generation; build one with: nixcsh update %s", name, name)
			}
			if err := system.Activate(s.Root, gen.StorePath); err != nil {
				return err
			}
			if err := os.MkdirAll(s.RunDir, 0o755); err != nil {
				return err
			}
			if err := fsx.SymlinkAtomic(gen.StorePath, filepath.Join(s.RunDir, activeLink)); err != nil {
				return err
			}
			// Whether this boot runs from a throwaway copy, for switch
			// (the conf may say otherwise once update changed it).
			if s.Ephemeral {
				if err := os.WriteFile(filepath.Join(s.RunDir, ephemeralMark), nil, 0o644); err != nil {
					return err
				}
			} else {
				os.Remove(filepath.Join(s.RunDir, ephemeralMark))
			}
			if netSpec == nil {
				return nil
			}
			if s.UserNS() {
				// nspawn cannot join a network namespace that the
				// container's user namespace does not own (systemd issue
				// 36363), and its root could not bind ports below 1024 in
				// one: nspawn makes the namespace, and Leader sets it up.
				s.ExtraFlags = append(s.ExtraFlags, "--private-network")
				return nil
			}
			nsPath, err := network.Setup(ctx, *netSpec)
			if err != nil {
				return err
			}
			s.NetNSPath = nsPath
			return applyFirewall(nsPath, gen.StorePath)
		},
		Leader: func(ctx context.Context, s runtime.Spec, leader int) error {
			if netSpec == nil || !s.UserNS() {
				return nil
			}
			ns := *netSpec
			ns.FromPID = leader
			nsPath, err := network.Setup(ctx, ns)
			if err != nil {
				return err
			}
			gen, _, err := system.NewProfile(p, name).Current()
			if err != nil {
				return err
			}
			return applyFirewall(nsPath, gen.StorePath)
		},
		Stopping: func(s runtime.Spec) {
			if netSpec != nil {
				// Teardown (AfterExit) removes the namespace if this fails.
				network.ReleaseNamespace(*netSpec)
			}
		},
		AfterExit: func(s runtime.Spec) {
			if netSpec != nil {
				network.Teardown(*netSpec)
			}
		},
		Ready: func(leader int) {
			daemon.SdNotify(false, fmt.Sprintf("READY=1\nMAINPID=%d\nSTATUS=running", os.Getpid()))
		},
		Progress: func(status string) {
			daemon.SdNotify(false, "STATUS="+status)
		},
	}
	return sup.Run(ctx)
}

// applyFirewall programs the generation's networking.firewall into the
// container's network namespace.
func applyFirewall(nsPath, storePath string) error {
	man, err := system.LoadManifest(storePath)
	if err != nil {
		return err
	}
	fw := man.Firewall
	all := netPorts(fw.FirewallPorts)
	nf := network.Firewall{Enable: fw.Enable, AllowPing: fw.AllowPing, TrustedInterfaces: fw.TrustedInterfaces,
		AllowedTCPPorts: all.TCP, AllowedUDPPorts: all.UDP, AllowedTCPPortRanges: all.TCPRanges, AllowedUDPPortRanges: all.UDPRanges}
	for name, p := range fw.Interfaces {
		if nf.Interfaces == nil {
			nf.Interfaces = map[string]network.Ports{}
		}
		nf.Interfaces[name] = netPorts(p)
	}
	return network.ApplyFirewall(nsPath, nf)
}

// netPorts converts the manifest's ports to the firewall's.
func netPorts(p options.FirewallPorts) network.Ports {
	var out network.Ports
	for _, port := range p.AllowedTCPPorts {
		out.TCP = append(out.TCP, uint16(port))
	}
	for _, port := range p.AllowedUDPPorts {
		out.UDP = append(out.UDP, uint16(port))
	}
	for _, r := range p.AllowedTCPPortRanges {
		out.TCPRanges = append(out.TCPRanges, network.PortRange{From: uint16(r.From), To: uint16(r.To)})
	}
	for _, r := range p.AllowedUDPPortRanges {
		out.UDPRanges = append(out.UDPRanges, network.PortRange{From: uint16(r.From), To: uint16(r.To)})
	}
	return out
}

func firstLine(s string) string {
	l, _, _ := strings.Cut(s, "\n")
	return l
}
