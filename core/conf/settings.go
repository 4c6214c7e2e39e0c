package conf

import (
	"fmt"
	"math"
	"net/netip"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
)

// Keys of NAME.conf beyond the ones nixos-container writes on create.
// PRIVATE_USERS and EXTRA_NSPAWN_FLAGS are NixOS's own (its container@
// unit reads them); the resource limits are nixcsh's, named after the
// systemd resource-control properties they stand for.
const (
	PrivateUsers     = "PRIVATE_USERS"
	ExtraNspawnFlags = "EXTRA_NSPAWN_FLAGS"
	MemoryMax        = "MEMORY_MAX"
	CPUs             = "CPUS"
	TasksMax         = "TASKS_MAX"
	IOWeight         = "IO_WEIGHT"
	// NixOS passes these on nspawn's command line from the module; an
	// imperative container keeps them in its conf, in the same style.
	Ephemeral      = "EPHEMERAL"
	EnableTun      = "ENABLE_TUN"
	AllowedDevices = "ALLOWED_DEVICES"
	ExtraVeths     = "EXTRA_VETHS"
	Macvlans       = "MACVLANS" // NixOS's own key
)

// Setting is one container setting, declared once: its NAME.conf key, its
// flag on create and update, how a flag value is checked and stored, and its
// option in NixOS's containers.<name>. The verb table makes the flags from
// Settings, create and update store them with Apply, info shows them with
// Values, and the supervisor reads the keys.
type Setting struct {
	Flag  string // the flag on create and update, without "--"
	Value string // the flag's placeholder
	Help  string
	Key   string // the NAME.conf key
	// Word, for a list setting kept among the words of Key (as NixOS keeps
	// bind mounts in EXTRA_NSPAWN_FLAGS): the prefix of its words. Other
	// words of the key are left alone.
	Word string
	// Option is the containers.<name> option it stands for: NixOS's name
	// (bindMounts, privateUsers), or one in NixOS's style for what NixOS
	// leaves to systemd.services."container@NAME" (memoryMax, ...).
	Option string
	// FromNix turns the option's value in a containers.<name> file (as the
	// evaluator gives it: string, int64, float64, bool, map[string]any,
	// []any) into the flag's values; none clears the setting.
	FromNix func(v any) ([]string, error)
	// Repeat: the flag may be given more than once; the values add up.
	// Without Word, the key holds them separated by spaces.
	Repeat bool
	// Switch: the flag takes no value and --no-FLAG turns it off. The key
	// holds On when the setting is on and Off when it is off ("" removes
	// the key); any other value of the key counts as on.
	Switch  bool
	On, Off string
	// NixDefault is the option's value in NixOS when a containers.<name>
	// leaves it out (nil: the setting is cleared).
	NixDefault any
	// Completion says what the value is, for completion: "file", "number",
	// "interface" (a host network interface), or "" for anything else;
	// Choices lists the values when they are few.
	Completion string
	Choices    []string
	// Check validates one flag value and returns it as the key stores it
	// (which is also the form info shows). It may look at the host: a
	// bind's host path must exist.
	Check func(v string) (string, error)
}

// Settings are every container setting create and update take as flags.
var Settings = []Setting{
	{Flag: "bind", Value: "HOST[:CONTAINER]", Key: ExtraNspawnFlags, Word: "--bind=", Option: "bindMounts", Repeat: true, Completion: "file",
		Help:  "bind-mount a host directory or file read-write (repeatable; CONTAINER defaults to HOST; on update the binds given replace the old ones, '' removes them)",
		Check: checkBind, FromNix: bindMountsFromNix(false)},
	{Flag: "bind-ro", Value: "HOST[:CONTAINER]", Key: ExtraNspawnFlags, Word: "--bind-ro=", Option: "bindMounts", Repeat: true, Completion: "file",
		Help:  "bind-mount a host directory or file read-only (repeatable, as --bind)",
		Check: checkBind, FromNix: bindMountsFromNix(true)},
	{Flag: "private-users", Value: "pick|identity|no|N", Key: PrivateUsers, Option: "privateUsers", Choices: []string{"pick", "identity", "no"},
		Help:  "run the container in a user namespace: pick a free UID range, identity, or the range starting at host UID N (a multiple of 65536)",
		Check: checkPrivateUsers, FromNix: privateUsersFromNix},
	{Flag: "memory", Value: "SIZE", Key: MemoryMax, Option: "memoryMax",
		Help:  "memory limit of the whole container, swap included, e.g. 512M or 2G ('' removes it); a process that goes over it is killed inside",
		Check: checkSize, FromNix: scalarFromNix},
	{Flag: "cpus", Value: "N", Key: CPUs, Option: "cpus",
		Help:  "CPU time the container may use, in CPUs, e.g. 1.5 ('' removes the limit)",
		Check: checkCPUs, FromNix: scalarFromNix},
	{Flag: "tasks", Value: "N", Key: TasksMax, Option: "tasksMax", Completion: "number",
		Help:  "most processes and threads the container may have at once ('' removes the limit)",
		Check: checkCount(1, math.MaxInt32), FromNix: scalarFromNix},
	{Flag: "io-weight", Value: "N", Key: IOWeight, Option: "ioWeight", Completion: "number",
		Help:  "block I/O weight, 1-10000 (default 100), as systemd's IOWeight ('' removes it)",
		Check: checkCount(1, 10000), FromNix: scalarFromNix},
	{Flag: "host-network", Key: PrivateNetwork, Option: "privateNetwork", Switch: true, On: "0", Off: "1", NixDefault: false,
		Help:    "share the host's network (no link, addresses or firewall of the container's own; NixOS's privateNetwork = false); --no-host-network gives it a private network again",
		FromNix: switchFromNix(true)},
	{Flag: "ephemeral", Key: Ephemeral, Option: "ephemeral", Switch: true, On: "1",
		Help:    "boot from a throwaway copy of the root: nothing the container writes survives a stop (the generation is activated afresh at each start); --no-ephemeral turns it off",
		FromNix: switchFromNix(false)},
	{Flag: "tmpfs", Value: "PATH", Key: ExtraNspawnFlags, Word: "--tmpfs=", Option: "tmpfs", Repeat: true,
		Help:  "mount an empty tmpfs at PATH in the container (repeatable; on update the paths given replace the old ones, '' removes them)",
		Check: checkTmpfs, FromNix: listFromNix},
	{Flag: "tun", Key: EnableTun, Option: "enableTun", Switch: true, On: "1",
		Help:    "let the container make tunnel interfaces: /dev/net/tun and CAP_NET_ADMIN (--no-tun turns it off)",
		FromNix: switchFromNix(false)},
	{Flag: "device", Value: "NODE", Key: AllowedDevices, Option: "allowedDevices", Repeat: true, Completion: "file",
		Help:  "give the container the host's device node NODE, e.g. /dev/fuse (repeatable; '' removes them; with --private-users the node is nobody's inside, so its mode must let others use it, as udev's 0666)",
		Check: checkDevice, FromNix: devicesFromNix},
	{Flag: "capability", Value: "CAP", Key: ExtraNspawnFlags, Word: "--capability=", Option: "additionalCapabilities", Repeat: true, Choices: capabilityNames,
		Help:  "grant the container a capability beyond nspawn's default set, e.g. CAP_NET_ADMIN (repeatable; '' removes them)",
		Check: checkCapability, FromNix: listFromNix},
	{Flag: "extra-veth", Value: "NAME[,KEY=VALUE...]", Key: ExtraVeths, Option: "extraVeths", Repeat: true,
		Help:  "a second veth pair NAME (host side and container side both named NAME), with KEY one of NixOS's extraVeths options hostAddress, localAddress, hostAddress6, localAddress6 (with an optional /prefix) or hostBridge, e.g. ve2,hostAddress=10.9.0.1,localAddress=10.9.0.2 (repeatable; '' removes them; needs a private network)",
		Check: checkExtraVeth, FromNix: extraVethsFromNix},
	{Flag: "macvlan", Value: "IFACE", Key: Macvlans, Option: "macvlans", Repeat: true, Completion: "interface",
		Help:  "a macvlan on the host's interface IFACE, moved into the container as mv-IFACE (repeatable; '' removes them; needs a private network)",
		Check: checkMacvlan, FromNix: listFromNix},
}

// SettingByFlag finds a setting by its flag name.
func SettingByFlag(flag string) *Setting {
	for i := range Settings {
		if Settings[i].Flag == flag {
			return &Settings[i]
		}
	}
	return nil
}

// switchValue reads a switch's value: on (1, yes, true, on) or off (0, no,
// false, off, "").
func SwitchValue(v string) (bool, error) {
	switch strings.ToLower(v) {
	case "1", "yes", "true", "on":
		return true, nil
	case "", "0", "no", "false", "off":
		return false, nil
	}
	return false, fmt.Errorf("expected yes or no")
}

// Apply stores the flag values given for s in f, replacing what s held:
// a scalar takes the last value, a list all of them. No values, or one
// empty value, clears the setting. Each value is checked first; an error
// names the flag, the value and what to do.
func (s *Setting) Apply(f *File, values []string) error {
	if s.Switch {
		on := false
		for _, v := range values {
			b, err := SwitchValue(v)
			if err != nil {
				return fmt.Errorf("--%s %s: %v", s.Flag, v, err)
			}
			on = b
		}
		if v := map[bool]string{true: s.On, false: s.Off}[on]; v != "" {
			f.Set(s.Key, v)
		} else {
			f.Unset(s.Key)
		}
		return nil
	}
	var stored []string
	for _, v := range values {
		if v == "" && len(values) == 1 {
			break
		}
		c, err := s.Check(v)
		if err != nil {
			return fmt.Errorf("--%s %s: %v", s.Flag, v, err)
		}
		stored = append(stored, c)
	}
	if s.Word == "" {
		switch {
		case len(stored) == 0:
			f.Unset(s.Key)
		case s.Repeat:
			f.Set(s.Key, strings.Join(stored, " "))
		default:
			f.Set(s.Key, stored[len(stored)-1])
		}
		return nil
	}
	var words []string
	for _, w := range strings.Fields(f.Get(s.Key)) {
		if !strings.HasPrefix(w, s.Word) {
			words = append(words, w)
		}
	}
	for _, v := range stored {
		words = append(words, s.Word+v)
	}
	if len(words) == 0 {
		f.Unset(s.Key)
	} else {
		f.Set(s.Key, strings.Join(words, " "))
	}
	return nil
}

// Values are s's values in f as the flag takes them (nil when unset).
func (s *Setting) Values(f *File) []string {
	if s.Switch {
		if f.Get(s.Key) != s.Off {
			return []string{"yes"}
		}
		return nil
	}
	if s.Word == "" && s.Repeat {
		if v := strings.Fields(f.Get(s.Key)); len(v) > 0 {
			return v
		}
		return nil
	}
	if s.Word == "" {
		if v := f.Get(s.Key); v != "" {
			return []string{v}
		}
		return nil
	}
	var out []string
	for _, w := range strings.Fields(f.Get(s.Key)) {
		if v, ok := strings.CutPrefix(w, s.Word); ok {
			out = append(out, v)
		}
	}
	return out
}

// checkBind takes HOST[:CONTAINER] and returns nspawn's --bind form. Both
// paths are absolute; the host path must exist. The words of
// EXTRA_NSPAWN_FLAGS are split at white space (as NixOS's container@ unit
// does), so a path may hold none; ':' separates the paths.
func checkBind(v string) (string, error) {
	host, ctr, hasCtr := strings.Cut(v, ":")
	if strings.ContainsAny(v, " \t\n\"'\\") || strings.Contains(ctr, ":") {
		return "", fmt.Errorf("paths with white space, quotes, backslashes or ':' cannot be bind-mounted (EXTRA_NSPAWN_FLAGS is split at white space, ':' separates the paths); use a path without them, a symlink to it will do")
	}
	if !filepath.IsAbs(host) || (hasCtr && !filepath.IsAbs(ctr)) {
		return "", fmt.Errorf("expected HOST[:CONTAINER] with absolute paths, e.g. /srv/data:/var/lib/data")
	}
	if _, err := os.Stat(host); err != nil {
		return "", fmt.Errorf("the host path %s does not exist: create it first, or fix the path", host)
	}
	host = filepath.Clean(host)
	if !hasCtr || filepath.Clean(ctr) == host {
		return host, nil
	}
	return host + ":" + filepath.Clean(ctr), nil
}

// checkPrivateUsers takes nspawn's --private-users values that NixOS's
// privateUsers allows: no, identity, pick, or the first host UID of the
// range (a multiple of 65536, as nspawn needs for a root dir it shifts).
func checkPrivateUsers(v string) (string, error) {
	switch v {
	case "no", "identity", "pick":
		return v, nil
	}
	n, err := strconv.ParseUint(v, 10, 32)
	if err != nil {
		return "", fmt.Errorf("expected pick, identity, no, or the first host UID of the container's range (e.g. 524288)")
	}
	if n%65536 != 0 {
		return "", fmt.Errorf("the first host UID must be a multiple of 65536 (e.g. %d)", (n/65536+1)*65536)
	}
	return v, nil
}

// ParseSize reads a size in bytes with an optional binary suffix K, M, G or
// T (512M is 512 MiB), as systemd's MemoryMax takes it.
func ParseSize(v string) (uint64, error) {
	num := strings.TrimSuffix(strings.TrimSuffix(strings.ToUpper(v), "B"), "I")
	mult := uint64(1)
	if num != "" {
		switch num[len(num)-1] {
		case 'K':
			mult = 1 << 10
		case 'M':
			mult = 1 << 20
		case 'G':
			mult = 1 << 30
		case 'T':
			mult = 1 << 40
		}
		if mult > 1 {
			num = num[:len(num)-1]
		}
	}
	f, err := strconv.ParseFloat(num, 64)
	if err != nil || f <= 0 || math.IsInf(f, 0) || f*float64(mult) > math.MaxInt64 || strings.ContainsAny(num, "eExXpP") {
		return 0, fmt.Errorf("expected a size like 512M, 1.5G or 1073741824 (bytes; suffixes K, M, G, T are powers of 1024)")
	}
	return uint64(f * float64(mult)), nil
}

func checkSize(v string) (string, error) {
	n, err := ParseSize(v)
	if err != nil {
		return "", err
	}
	if n < 4<<20 {
		return "", fmt.Errorf("%d bytes is too little for a container to boot; give at least 4M", n)
	}
	return strings.TrimSpace(v), nil
}

// ParseCPUs reads a CPU count as a decimal (1.5 is one and a half CPUs).
func ParseCPUs(v string) (float64, error) {
	f, err := strconv.ParseFloat(v, 64)
	if err != nil || strings.ContainsAny(v, "eExXpP") || math.IsNaN(f) || math.IsInf(f, 0) {
		return 0, fmt.Errorf("expected a number of CPUs like 1, 0.5 or 1.5")
	}
	if f < 0.01 || f > 4096 {
		return 0, fmt.Errorf("expected between 0.01 and 4096 CPUs")
	}
	return f, nil
}

func checkCPUs(v string) (string, error) {
	if _, err := ParseCPUs(v); err != nil {
		return "", err
	}
	return v, nil
}

// checkCount makes the check of an integer flag between lo and hi.
func checkCount(lo, hi int) func(string) (string, error) {
	return func(v string) (string, error) {
		n, err := strconv.Atoi(v)
		if err != nil || n < lo || n > hi {
			return "", fmt.Errorf("expected a whole number from %d to %d", lo, hi)
		}
		return strconv.Itoa(n), nil
	}
}

// bindMountsFromNix reads NixOS's bindMounts (an attribute set from the
// mount point to { hostPath ? null; isReadOnly ? true; mountPoint ? name; })
// into the binds of one kind: read-only ones for --bind-ro, the others for
// --bind. A null hostPath binds the same path of the host, as NixOS does.
func bindMountsFromNix(readOnly bool) func(v any) ([]string, error) {
	return func(v any) ([]string, error) {
		mounts, ok := v.(map[string]any)
		if !ok {
			return nil, fmt.Errorf("expected an attribute set of { hostPath; isReadOnly; }, got %v", v)
		}
		names := make([]string, 0, len(mounts))
		for k := range mounts {
			names = append(names, k)
		}
		sort.Strings(names)
		var out []string
		for _, k := range names {
			m, ok := mounts[k].(map[string]any)
			if !ok {
				return nil, fmt.Errorf("%q: expected { hostPath; isReadOnly; }, got %v", k, mounts[k])
			}
			ro, point, host := true, k, ""
			if b, ok := m["isReadOnly"].(bool); ok {
				ro = b
			}
			if p, ok := m["mountPoint"].(string); ok {
				point = p
			}
			if h, ok := m["hostPath"].(string); ok {
				host = h
			}
			if ro != readOnly {
				continue
			}
			if host == "" || host == point {
				out = append(out, point)
			} else {
				out = append(out, host+":"+point)
			}
		}
		return out, nil
	}
}

// privateUsersFromNix reads NixOS's privateUsers: "no" (the default, no
// setting), "identity", "pick", or the first host UID as an integer.
func privateUsersFromNix(v any) ([]string, error) {
	switch x := v.(type) {
	case string:
		if x == "no" {
			return nil, nil
		}
		return []string{x}, nil
	case int64:
		return []string{strconv.FormatInt(x, 10)}, nil
	}
	return nil, fmt.Errorf(`expected "no", "identity", "pick" or an integer, got %v`, v)
}

// scalarFromNix reads a size, number or count: a string or a number.
func scalarFromNix(v any) ([]string, error) {
	switch x := v.(type) {
	case string:
		return []string{x}, nil
	case int64:
		return []string{strconv.FormatInt(x, 10)}, nil
	case float64:
		return []string{strconv.FormatFloat(x, 'f', -1, 64)}, nil
	}
	return nil, fmt.Errorf("expected a string or a number, got %v", v)
}

// IsOn says whether a switch setting is on in f.
func (s *Setting) IsOn(f *File) bool { return s.Switch && f.Get(s.Key) != s.Off }

// checkTmpfs takes an absolute path with nothing nspawn's --tmpfs or the
// words of EXTRA_NSPAWN_FLAGS would read otherwise.
func checkTmpfs(v string) (string, error) {
	if !filepath.IsAbs(v) || strings.ContainsAny(v, " \t\n\"'\\:") {
		return "", fmt.Errorf("expected an absolute path without white space, quotes, backslashes or ':', e.g. /var/cache")
	}
	if c := filepath.Clean(v); c == "/" || c == "/usr" || strings.HasPrefix(c, "/usr/") || c == "/nix" || strings.HasPrefix(c, "/nix/") {
		return "", fmt.Errorf("%s holds what the container boots from; a tmpfs there would hide it", c)
	}
	return filepath.Clean(v), nil
}

// checkDevice takes the path of a device node of the host.
func checkDevice(v string) (string, error) {
	if !filepath.IsAbs(v) || !strings.HasPrefix(filepath.Clean(v), "/dev/") || strings.ContainsAny(v, " \t\n\"'\\:") {
		return "", fmt.Errorf("expected a device node under /dev, e.g. /dev/fuse")
	}
	st, err := os.Stat(v)
	if err != nil {
		return "", fmt.Errorf("the host has no %s: load its driver (e.g. modprobe fuse) or fix the path", v)
	}
	if st.Mode()&os.ModeDevice == 0 {
		return "", fmt.Errorf("%s is not a device node", v)
	}
	return filepath.Clean(v), nil
}

// capabilityNames are the capabilities of capabilities(7), as nspawn's
// --capability takes them.
var capabilityNames = []string{"CAP_AUDIT_CONTROL", "CAP_AUDIT_READ", "CAP_AUDIT_WRITE", "CAP_BLOCK_SUSPEND", "CAP_BPF",
	"CAP_CHECKPOINT_RESTORE", "CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_DAC_READ_SEARCH", "CAP_FOWNER", "CAP_FSETID",
	"CAP_IPC_LOCK", "CAP_IPC_OWNER", "CAP_KILL", "CAP_LEASE", "CAP_LINUX_IMMUTABLE", "CAP_MAC_ADMIN", "CAP_MAC_OVERRIDE",
	"CAP_MKNOD", "CAP_NET_ADMIN", "CAP_NET_BIND_SERVICE", "CAP_NET_BROADCAST", "CAP_NET_RAW", "CAP_PERFMON", "CAP_SETFCAP",
	"CAP_SETGID", "CAP_SETPCAP", "CAP_SETUID", "CAP_SYS_ADMIN", "CAP_SYS_BOOT", "CAP_SYS_CHROOT", "CAP_SYS_MODULE",
	"CAP_SYS_NICE", "CAP_SYS_PACCT", "CAP_SYS_PTRACE", "CAP_SYS_RAWIO", "CAP_SYS_RESOURCE", "CAP_SYS_TIME",
	"CAP_SYS_TTY_CONFIG", "CAP_SYSLOG", "CAP_WAKE_ALARM"}

// checkCapability takes a capability name, with or without CAP_, in any case.
func checkCapability(v string) (string, error) {
	c := strings.ToUpper(v)
	if !strings.HasPrefix(c, "CAP_") {
		c = "CAP_" + c
	}
	for _, n := range capabilityNames {
		if n == c {
			return c, nil
		}
	}
	return "", fmt.Errorf("not a capability; expected one of capabilities(7), e.g. CAP_NET_ADMIN or CAP_SYS_PTRACE")
}

// switchFromNix reads a boolean option; invert for an option that says the
// opposite of the flag (privateNetwork for --host-network).
func switchFromNix(invert bool) func(v any) ([]string, error) {
	return func(v any) ([]string, error) {
		b, ok := v.(bool)
		if !ok {
			return nil, fmt.Errorf("expected true or false, got %v", v)
		}
		if b != invert {
			return []string{"yes"}, nil
		}
		return []string{"no"}, nil
	}
}

// listFromNix reads a list of strings.
func listFromNix(v any) ([]string, error) {
	l, ok := v.([]any)
	if !ok {
		return nil, fmt.Errorf("expected a list of strings, got %v", v)
	}
	out := make([]string, 0, len(l))
	for _, x := range l {
		s, ok := x.(string)
		if !ok {
			return nil, fmt.Errorf("expected a list of strings, got %v in it", x)
		}
		out = append(out, s)
	}
	return out, nil
}

// devicesFromNix reads NixOS's allowedDevices, a list of { node; modifier; }.
// nixcsh's container units set no device policy, so the node is what counts;
// the modifier is not narrowed further.
func devicesFromNix(v any) ([]string, error) {
	l, ok := v.([]any)
	if !ok {
		return nil, fmt.Errorf("expected a list of { node; modifier; }, got %v", v)
	}
	var out []string
	for _, x := range l {
		d, _ := x.(map[string]any)
		node, ok := d["node"].(string)
		if !ok {
			return nil, fmt.Errorf("expected { node; modifier; }, got %v", x)
		}
		out = append(out, node)
	}
	return out, nil
}

// ExtraVeth is one of NixOS's extraVeths: a veth pair named Name on both
// sides, with the host side's and the container's addresses (each
// optional, with an optional /prefix), or the host side on a bridge.
type ExtraVeth struct {
	Name                        string
	HostAddress, LocalAddress   string
	HostAddress6, LocalAddress6 string
	HostBridge                  string
}

// extraVethFields are the fields of an extra veth, by NixOS's names.
var extraVethFields = []string{"hostAddress", "localAddress", "hostAddress6", "localAddress6", "hostBridge"}

func (v *ExtraVeth) field(k string) *string {
	switch k {
	case "hostAddress":
		return &v.HostAddress
	case "localAddress":
		return &v.LocalAddress
	case "hostAddress6":
		return &v.HostAddress6
	case "localAddress6":
		return &v.LocalAddress6
	case "hostBridge":
		return &v.HostBridge
	}
	return nil
}

// String is the form EXTRA_VETHS and --extra-veth hold.
func (v ExtraVeth) String() string {
	out := v.Name
	for _, k := range extraVethFields {
		if x := *v.field(k); x != "" {
			out += "," + k + "=" + x
		}
	}
	return out
}

// validLink is a kernel link name: 1-15 bytes, no '/', ':', ',', '=' or space.
var validLink = regexp.MustCompile(`^[a-zA-Z0-9_.-]{1,15}$`)

// ParseExtraVeth reads NAME[,hostAddress=A,...] and checks it.
func ParseExtraVeth(s string) (ExtraVeth, error) {
	parts := strings.Split(s, ",")
	v := ExtraVeth{Name: parts[0]}
	if !validLink.MatchString(v.Name) || v.Name == "eth0" || v.Name == "lo" {
		return v, fmt.Errorf("%q is not a usable link name: 1-15 letters, digits, '_', '.' or '-', not eth0 or lo", v.Name)
	}
	for _, p := range parts[1:] {
		k, val, _ := strings.Cut(p, "=")
		f := v.field(k)
		if f == nil || val == "" {
			return v, fmt.Errorf("%q: expected KEY=VALUE with KEY one of %s", p, strings.Join(extraVethFields, ", "))
		}
		*f = val
	}
	for _, a := range []struct {
		key, val string
		v6       bool
	}{{"hostAddress", v.HostAddress, false}, {"localAddress", v.LocalAddress, false}, {"hostAddress6", v.HostAddress6, true}, {"localAddress6", v.LocalAddress6, true}} {
		if a.val == "" {
			continue
		}
		ip, err := netip.ParseAddr(a.val)
		if pre, perr := netip.ParsePrefix(a.val); perr == nil {
			ip, err = pre.Addr(), nil
		}
		if err != nil || ip.Is6() != a.v6 || ip.Is4In6() {
			return v, fmt.Errorf("%s=%s is not an %s address", a.key, a.val, map[bool]string{false: "IPv4", true: "IPv6"}[a.v6])
		}
	}
	if v.HostBridge != "" && (!validLink.MatchString(v.HostBridge) || v.HostAddress != "" || v.HostAddress6 != "") {
		return v, fmt.Errorf("hostBridge=%s: a link name, and no host address with it (the bridge carries the host's address)", v.HostBridge)
	}
	return v, nil
}

func checkExtraVeth(s string) (string, error) {
	v, err := ParseExtraVeth(s)
	if err != nil {
		return "", err
	}
	return v.String(), nil
}

// checkMacvlan takes the name of a host interface.
func checkMacvlan(s string) (string, error) {
	if !validLink.MatchString(s) {
		return "", fmt.Errorf("expected the name of a host interface, e.g. eth0")
	}
	if _, err := os.Stat(filepath.Join("/sys/class/net", s)); err != nil {
		return "", fmt.Errorf("the host has no interface %s (see ip link)", s)
	}
	return s, nil
}

// extraVethsFromNix reads NixOS's extraVeths: NAME = { hostAddress; ... }.
func extraVethsFromNix(v any) ([]string, error) {
	m, ok := v.(map[string]any)
	if !ok {
		return nil, fmt.Errorf("expected an attribute set of { hostAddress; localAddress; hostBridge; ... }, got %v", v)
	}
	names := make([]string, 0, len(m))
	for k := range m {
		names = append(names, k)
	}
	sort.Strings(names)
	var out []string
	for _, n := range names {
		o, ok := m[n].(map[string]any)
		if !ok {
			return nil, fmt.Errorf("%q: expected { hostAddress; localAddress; ... }, got %v", n, m[n])
		}
		w := n
		for _, k := range extraVethFields {
			if x, ok := o[k].(string); ok && x != "" {
				w += "," + k + "=" + x
			}
		}
		for k, x := range o {
			if l, isList := x.([]any); slices.Contains(extraVethFields, k) || x == nil || isList && len(l) == 0 {
				continue
			}
			return nil, fmt.Errorf("%q: nixcsh does not support %s in extraVeths", n, k)
		}
		out = append(out, w)
	}
	return out, nil
}
