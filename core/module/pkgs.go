package module

import (
	_ "embed"
	"fmt"
	"regexp"
	"runtime"
	"sort"
	"strings"
	"sync"

	"github.com/nixcsh/nixcsh/core"
	"github.com/nixcsh/nixcsh/core/nix"
)

// pkgsTable maps nixpkgs attribute names to the Debian packages that
// provide them on the host, with their main program (see pkgs.tsv).
//
//go:embed pkgs.tsv
var pkgsTable string

// DebianPackage is an installed Debian package as dpkg's status records it.
type DebianPackage struct {
	Version     string // Debian version, "1:9.2p1-2+deb12u3"
	Description string // the one-line summary
}

// pkgEntry is one line of pkgs.tsv: pkgs.Attr is the Debian package Deb,
// whose main program (meta.mainProgram) is Main ("" for none).
type pkgEntry struct{ Attr, Deb, Main string }

var (
	debName  = regexp.MustCompile(`^[a-z0-9][a-z0-9+.-]+$`)
	attrName = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_'-]*(\.[A-Za-z_][A-Za-z0-9_'-]*)?$`)
)

// parsePkgsTable reads pkgs.tsv: comment lines start with #, every other
// line is three tab-separated columns, sorted by attribute name without
// duplicates; a dotted name ("bind.dnsutils") is one level deep.
func parsePkgsTable(text string) ([]pkgEntry, error) {
	var out []pkgEntry
	for i, line := range strings.Split(strings.TrimSuffix(text, "\n"), "\n") {
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		f := strings.Split(line, "\t")
		if len(f) != 3 {
			return nil, fmt.Errorf("line %d: %d columns, want 3 (attribute, Debian package, main program) separated by tabs", i+1, len(f))
		}
		e := pkgEntry{Attr: f[0], Deb: f[1], Main: f[2]}
		switch {
		case !attrName.MatchString(e.Attr):
			return nil, fmt.Errorf("line %d: '%s' is not a nixpkgs attribute name", i+1, e.Attr)
		case !debName.MatchString(e.Deb):
			return nil, fmt.Errorf("line %d: '%s' is not a Debian package name", i+1, e.Deb)
		case e.Main == "" || strings.ContainsAny(e.Main, "/ "):
			return nil, fmt.Errorf("line %d: the main program '%s' must be a file name (or - for none)", i+1, e.Main)
		case len(out) > 0 && out[len(out)-1].Attr >= e.Attr:
			return nil, fmt.Errorf("line %d: '%s' is out of order or repeated (after '%s')", i+1, e.Attr, out[len(out)-1].Attr)
		}
		if e.Main == "-" {
			e.Main = ""
		}
		out = append(out, e)
	}
	return out, nil
}

var tableOnce struct {
	sync.Once
	entries []pkgEntry
	err     error
}

func pkgsEntries() ([]pkgEntry, error) {
	tableOnce.Do(func() { tableOnce.entries, tableOnce.err = parsePkgsTable(pkgsTable) })
	return tableOnce.entries, tableOnce.err
}

// unimplemented are nixpkgs names that are functions or package sets, not
// packages: nixcsh builds nothing from source, so they have no host
// package to install.
var unimplemented = map[string]string{}

func init() {
	for _, n := range strings.Fields(`appimageTools applyPatches buildEnvNoCC buildFHSEnv buildGoModule
		buildNpmPackage buildPythonApplication buildPythonPackage buildRustPackage callPackages
		closureInfo concatTextFile copyPathToStore dockerTools fetchFromGitHub
		fetchFromGitLab fetchFromSourcehut fetchgit fetchpatch fetchTarball fetchurl fetchzip
		linkFarmFromDrvs makeDesktopItem makeSetupHook makeWrapper mkShell mkShellNoCC newScope nixosTest
		nix-gitignore requireFile runCommandCC srcOnly substitute testers
		wrapFirefox writeClosure writeReferencesToFile`) {
		unimplemented[n] = "function"
	}
	for _, n := range strings.Fields(`haskellPackages linuxPackages_latest luaPackages nodePackages
		nodePackages_latest perlPackages php82Packages phpPackages pythonPackages rPackages rubyPackages vimPlugins emacsPackages`) {
		unimplemented[n] = "package set"
	}
	unimplemented["path"] = "source tree"
	unimplemented["nixosTests"] = "package set"
}

// missingPkg words the error for pkgs.NAME (prefix "" or "stdenv." for
// names inside a set of pkgs); known tells whether nixpkgs has the name.
func missingPkg(table map[string]pkgEntry, prefix, name string) (string, bool) {
	full := prefix + name
	if e, ok := table[full]; ok {
		return fmt.Sprintf("pkgs.%s: no host package provides it; install the Debian package '%s'", full, e.Deb), true
	}
	if what, ok := unimplemented[full]; ok {
		return fmt.Sprintf("pkgs.%s is a nixpkgs %s that is not implemented by nixcsh (nixcsh builds nothing from source; its packages are the host's installed Debian packages)", full, what), true
	}
	if prefix == "writers." {
		return fmt.Sprintf("pkgs.writers.%s is not implemented by nixcsh (it has writeBash, writeDash, writePython3, writePerl and their *Bin forms)", name), true
	}
	if prefix == "stdenv." {
		return fmt.Sprintf("pkgs.stdenv.%s is not implemented by nixcsh (its stdenv only describes the host platform)", name), true
	}
	return fmt.Sprintf("pkgs.%s: nixcsh knows no nixpkgs package of that name, and no host program (/usr/bin, /usr/sbin) or installed Debian package is called '%s'", full, name), false
}

// upstreamVersion is the upstream part of a Debian version, as nixpkgs
// writes versions: no epoch, no Debian revision, no repack suffix.
var repack = regexp.MustCompile(`(\+(dfsg|ds|repack|really)[0-9.]*.*|\+[0-9]+)$`)

func upstreamVersion(v string) string {
	if i := strings.Index(v, ":"); i >= 0 {
		v = v[i+1:]
	}
	if i := strings.LastIndex(v, "-"); i > 0 {
		v = v[:i]
	}
	return repack.ReplaceAllString(v, "")
}

var versionSuffix = regexp.MustCompile(`_[0-9]+$`)

// hostPkg describes one host package for hostDerivation.
type hostPkg struct {
	pname, version, deb, main, description string
}

// hostDerivation is a host package shaped as nixpkgs' derivations are:
// outPath /usr for every output, override/overrideAttrs giving it back
// unchanged (configurations call them), extra attributes in extra, and
// explain (if not nil) wording its missing attributes.
func hostDerivation(p hostPkg, extra map[string]nix.Value, explain func(string) (string, bool)) nix.Value {
	var self nix.Value
	same := nix.Lazy(func() (nix.Value, error) { return self, nil })
	ident := func(name string) nix.Value {
		return nix.Builtin(name, 1, func(*nix.Evaluator, []nix.Value) (nix.Value, error) { return self, nil })
	}
	name := p.pname
	if p.version != "" {
		name += "-" + p.version
	}
	meta := map[string]any{}
	if p.main != "" {
		meta["mainProgram"] = p.main
	}
	if p.description != "" {
		meta["description"] = p.description
	}
	m := map[string]nix.Value{
		"type": nix.String("derivation"), "name": nix.String(name), "pname": nix.String(p.pname),
		"version": nix.String(p.version), "outPath": nix.String("/usr"), "meta": nix.FromGo(meta),
		"outputs": nix.FromGo([]string{"out"}), "outputName": nix.String("out"),
		"out": same, "bin": same, "dev": same, "man": same, "lib": same, "doc": same,
		"override": ident("override"), "overrideAttrs": ident("overrideAttrs"),
		"overrideDerivation": ident("overrideDerivation"),
	}
	if p.deb != "" {
		// nixcsh's own: the Debian package the host must have (core/options
		// checks it for environment.systemPackages).
		m["debianPackage"] = nix.String(p.deb)
	}
	for k, v := range extra {
		m[k] = v
	}
	if explain != nil {
		self = nix.AttrsExplained(m, explain)
	} else {
		self = nix.Attrs(m)
	}
	return self
}

// hostSystem is nixpkgs' system string for this machine.
func hostSystem() string {
	if runtime.GOARCH == "arm64" {
		return "aarch64-linux"
	}
	return "x86_64-linux"
}

// stdenv is pkgs.stdenv as configurations read it: the platform, and an
// explanation for mkDerivation and the rest of what builds from source.
func stdenv(table map[string]pkgEntry) nix.Value {
	sys := hostSystem()
	arm := strings.HasPrefix(sys, "aarch64")
	platform := nix.FromGo(map[string]any{
		"system": sys, "config": strings.TrimSuffix(sys, "-linux") + "-unknown-linux-gnu", "libc": "glibc",
		"isLinux": true, "isDarwin": false, "isWindows": false, "isFreeBSD": false, "isMusl": false,
		"isx86_64": !arm, "isAarch64": arm, "isx86": !arm, "isAarch32": false, "isi686": false,
		"is64bit": true, "is32bit": false, "isStatic": false,
		"uname": map[string]any{"system": "Linux", "processor": strings.TrimSuffix(sys, "-linux")},
	})
	return nix.AttrsExplained(map[string]nix.Value{
		"hostPlatform": platform, "buildPlatform": platform, "targetPlatform": platform,
		"system": nix.String(sys), "isLinux": nix.Bool(true), "isDarwin": nix.Bool(false),
		"isx86_64": nix.Bool(!arm), "isAarch64": nix.Bool(arm), "is64bit": nix.Bool(true),
		"shell": nix.String("/bin/bash"),
	}, func(n string) (string, bool) { return missingPkg(table, "stdenv.", n) })
}

// pythonAliases are nixpkgs Python package names whose Debian package
// is not python3-NAME.
var pythonAliases = map[string]string{"pyyaml": "yaml", "pillow": "pil", "beautifulsoup4": "bs4",
	"python-dateutil": "dateutil", "pyserial": "serial", "pyopenssl": "openssl", "pyjwt": "jwt"}

// pythonPackages is pkgs.python3Packages (and python3.pkgs, the argument
// of python3.withPackages): the host's python3-NAME Debian packages as
// NAME; a missing one names the Debian package to install.
func pythonPackages(debs map[string]DebianPackage) nix.Value {
	m := map[string]nix.Value{}
	add := func(name, deb string) {
		d, ok := debs[deb]
		if !ok {
			return
		}
		m[name] = nix.Lazy(func() (nix.Value, error) {
			return hostDerivation(hostPkg{pname: name, version: upstreamVersion(d.Version), deb: deb, description: d.Description}, nil, nil), nil
		})
	}
	for deb := range debs {
		if name, ok := strings.CutPrefix(deb, "python3-"); ok {
			add(name, deb)
		}
	}
	for nixName, debName := range pythonAliases {
		add(nixName, "python3-"+debName)
	}
	return nix.AttrsExplained(m, func(n string) (string, bool) {
		deb := strings.ToLower(strings.ReplaceAll(n, "_", "-"))
		if a, ok := pythonAliases[n]; ok {
			deb = a
		}
		return fmt.Sprintf("pkgs.python3Packages.%s: no host package provides it; install the Debian package 'python3-%s'", n, deb), true
	})
}

// withPackages is python3.withPackages: the host's python3 sees every
// installed Python package, so it checks that those asked for are there
// and gives python3 back.
func withPackages(ps, python nix.Value) nix.Value {
	return nix.Builtin("withPackages", 1, func(e *nix.Evaluator, args []nix.Value) (nix.Value, error) {
		l, err := e.Call(args[0], ps)
		if err != nil {
			return nil, err
		}
		fl, err := e.Force(l)
		if err != nil {
			return nil, err
		}
		for _, p := range nix.Elems(fl) {
			if _, err := e.Force(p); err != nil {
				return nil, err
			}
		}
		return python, nil
	})
}

// callPackageSource is pkgs.callPackage: the function (or the file
// holding it) gets the packages its arguments name, then args. A required
// argument pkgs lacks is selected anyway, so that using it explains what
// to install.
const callPackageSource = `pkgs: fn: args:
  let
    f = if builtins.isFunction fn then fn else import fn;
    formals = builtins.functionArgs f;
    wanted = builtins.filter (n: !formals.${n} || pkgs ? ${n}) (builtins.attrNames formals);
    auto = builtins.listToAttrs (map (n: { name = n; value = pkgs.${n}; }) wanted);
  in f (auto // args)`

// makePkgs is `pkgs`: the builders nixcsh implements, every package of
// pkgs.tsv whose Debian package is installed, and every other host program
// or Debian package under its own name; other names explain themselves.
func (st *state) makePkgs(o Options) (nix.Value, error) {
	entries, err := pkgsEntries()
	if err != nil {
		return nil, core.Errorf(core.Failed, "nixcsh's package table pkgs.tsv is malformed: %v", err)
	}
	var debs map[string]DebianPackage
	if o.Debian != nil {
		debs = o.Debian()
	}
	table := make(map[string]pkgEntry, len(entries))
	for _, e := range entries {
		table[e.Attr] = e
	}
	sys := hostSystem()
	std := stdenv(table)
	stdAttrs, _ := st.ev.Force(std)
	platform, _ := nix.GetAttr(stdAttrs, "hostPlatform")
	m := map[string]nix.Value{
		"lib": st.lib, "system": nix.String(sys), "stdenv": std, "stdenvNoCC": std,
		"hostPlatform": platform, "buildPlatform": platform, "targetPlatform": platform,
		"runtimeShell": nix.String("/bin/bash"), "config": nix.Attrs(nil),
	}
	st.writers(m)
	st.builders(m)
	st.formats(m)
	py := pythonPackages(debs)
	for _, n := range []string{"python3Packages", "python311Packages", "python312Packages"} {
		m[n] = py
	}
	builtin := make(map[string]bool, len(m))
	for k := range m {
		builtin[k] = true
	}
	fromTable := func(e pkgEntry, extra map[string]nix.Value) nix.Value {
		d := debs[e.Deb]
		pname := e.Attr[strings.LastIndex(e.Attr, ".")+1:]
		var explain func(string) (string, bool)
		if extra != nil { // a parent of dotted names: its missing ones explain themselves
			prefix := e.Attr + "."
			explain = func(n string) (string, bool) { return missingPkg(table, prefix, n) }
		}
		return hostDerivation(hostPkg{pname: versionSuffix.ReplaceAllString(pname, ""), version: upstreamVersion(d.Version),
			deb: e.Deb, main: e.Main, description: d.Description}, extra, explain)
	}
	// Host names first, so that the table's meaning of a name wins.
	if o.Packages != nil {
		for _, n := range o.Packages() {
			if builtin[n] {
				continue
			}
			n := n
			m[n] = nix.Lazy(func() (nix.Value, error) {
				p := hostPkg{pname: n, main: n}
				if d, ok := debs[n]; ok {
					p.version, p.deb, p.description = upstreamVersion(d.Version), n, d.Description
				}
				return hostDerivation(p, nil, nil), nil
			})
		}
	}
	// Dotted names ("bind.dnsutils") live in their parent: the parent's
	// derivation if the parent is installed, else (if the parent is not a
	// package itself) a set of their own, where missing ones explain
	// themselves.
	children := map[string]map[string]nix.Value{}
	for _, e := range entries {
		parent, child, nested := strings.Cut(e.Attr, ".")
		if !nested {
			continue
		}
		if children[parent] == nil {
			children[parent] = map[string]nix.Value{}
		}
		if _, ok := debs[e.Deb]; ok {
			e := e
			children[parent][child] = nix.Lazy(func() (nix.Value, error) { return fromTable(e, nil), nil })
		}
	}
	for _, e := range entries {
		if strings.Contains(e.Attr, ".") || builtin[e.Attr] {
			continue
		}
		if _, ok := debs[e.Deb]; ok {
			e, kids := e, children[e.Attr]
			if strings.HasPrefix(e.Deb, "python3") {
				if kids == nil {
					kids = map[string]nix.Value{}
				}
				kids["pkgs"] = py
				kids["withPackages"] = withPackages(py, nix.Lazy(func() (nix.Value, error) { return m[e.Attr], nil }))
			}
			m[e.Attr] = nix.Lazy(func() (nix.Value, error) { return fromTable(e, kids), nil })
			delete(children, e.Attr)
		}
	}
	for parent, kids := range children {
		if _, ok := table[parent]; ok {
			continue // its package is missing: pkgs.bind says which to install
		}
		prefix := parent + "."
		m[parent] = nix.AttrsExplained(kids, func(n string) (string, bool) { return missingPkg(table, prefix, n) })
	}
	cp, err := st.ev.EvalString(callPackageSource, "/nixcsh/callPackage.nix")
	if err != nil {
		return nil, core.Errorf(core.Failed, "nixcsh's callPackage does not evaluate: %v", err)
	}
	var pkgs nix.Value
	m["callPackage"] = nix.Lazy(func() (nix.Value, error) { return st.ev.Call(cp, pkgs) })
	pkgs = nix.AttrsExplained(m, func(n string) (string, bool) { return missingPkg(table, "", n) })
	st.pkgsSet = pkgs
	return pkgs, nil
}

// toolName names a forced value that is `lib` or `pkgs` ("" otherwise):
// values may hold them, but they are not data to convert or print.
func (st *state) toolName(v nix.Value) string {
	switch {
	case v == st.lib:
		return "lib"
	case st.pkgsSet != nil && v == st.pkgsSet:
		return "pkgs"
	}
	return ""
}

// TableResolves counts the entries of nixcsh's nixpkgs name table whose
// Debian package is in debs, and names the others.
func TableResolves(debs map[string]DebianPackage) (resolved, total int, missing []string) {
	entries, _ := pkgsEntries()
	for _, e := range entries {
		if _, ok := debs[e.Deb]; ok {
			resolved++
		} else {
			missing = append(missing, e.Attr)
		}
	}
	sort.Strings(missing)
	return resolved, len(entries), missing
}
