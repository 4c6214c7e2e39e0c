package options

import (
	"embed"
	"path"

	m "github.com/nixcsh/nixcsh/core/module"
)

// A family is one option family, kept together as a NixOS module is: its
// declarations, written in Go so that `nixcsh options`, completion and the
// renderers read them from one place, and its implementation as a Nix
// module (modules/NAME.nix) that defines other options: the service's
// systemd.services entry, its users, its environment.etc files, its
// firewall ports. Because that half is an ordinary module, a user's own
// definitions (systemd.services.nginx.serviceConfig, users.users.postgres
// .extraGroups, mkForce on anything) merge with it exactly as on NixOS.
type family struct {
	name     string // modules/NAME.nix holds the implementation
	decls    func() []Decl
	requires []requirement
}

// requirement is a host file a family needs once an option is true: the
// service runs the host's binary, so a missing one fails the build and
// names the Debian package to install.
type requirement struct {
	when string // a bool option, "services.nginx.enable"
	file string // relative to the host's /usr, "sbin/nginx"
	pkg  string // the Debian package that provides it
}

//go:embed modules/*.nix
var moduleFiles embed.FS

// families are the option families implemented as modules. The older
// ones (users, openssh, httpd, systemd.*, environment.*...) are rendered
// in Go, one file each, listed by builtins and steps in render.go.
var families = []family{
	sudoFamily,
	mysqlFamily,
	redisFamily,
	postgresqlFamily,
	nginxFamily,
	interfacesFamily,
	nixpkgsFamily,
	inertFamily,
	renamedFamily,
	resolvedFamily,
}

func familyDecls() []Decl {
	var ds []Decl
	for _, f := range families {
		ds = append(ds, f.decls()...)
	}
	return ds
}

// Modules returns the implementation modules of every family, to be
// evaluated together with the user's configuration.
func Modules() []m.Source {
	out := make([]m.Source, 0, len(families))
	for _, f := range families {
		data, err := moduleFiles.ReadFile("modules/" + f.name + ".nix")
		if err != nil {
			panic("options: family " + f.name + " has no modules/" + f.name + ".nix") // a build defect, caught by every test
		}
		out = append(out, m.Source{File: path.Join(m.ModulesPath, f.name+".nix"), Text: string(data)})
	}
	return out
}

// checkRequirements fails when an enabled family needs a host file that is
// missing.
func checkRequirements(v Values, _ *Generation, h *Host) error {
	for _, f := range families {
		for _, r := range f.requires {
			if v.Bool(r.when) {
				if err := requireHost(h, r.when, r.file, r.pkg); err != nil {
					return err
				}
			}
		}
	}
	return nil
}
