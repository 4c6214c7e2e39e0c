package options

import (
	"fmt"

	m "github.com/nixcsh/nixcsh/core/module"
)

// declareBase declares what every system has: its NixOS release, the
// container flag, and the assertions and warnings that other options add.
// renderBase writes the files every container needs whatever its
// configuration (os-release, nsswitch, login.defs, PAM); renderUnitLinks
// keeps out the host's units that nobody asked for.
func declareBase() []Decl {
	return []Decl{
		m.Opt("boot.isContainer", m.Bool(), false, "Whether this NixOS machine is a lightweight container running in another NixOS system."),
		m.Opt("system.stateVersion", m.Str(), "24.11", "The NixOS release the state of this system (databases, ...) was first created with."),
		m.Opt("assertions", m.ListOf(m.Submodule(assertionDecls()...)), []any{}, "Conditions that must hold; if one fails, the build fails with its message."),
		m.Opt("warnings", strList(), []any{}, "Warnings printed when the system is built."),
	}
}

func assertionDecls() []Decl {
	return []Decl{
		m.OptNoDefault("assertion", m.Bool(), "The condition that must hold."),
		m.OptNoDefault("message", m.Str(), "The message shown when it does not."),
	}
}

func renderBase(v Values, g *Generation, _ *Host) error {
	ver := g.StateVersion
	g.text("etc/os-release", fmt.Sprintf(`ANSI_COLOR="1;34"
BUG_REPORT_URL="https://github.com/nixcsh/nixcsh/issues"
HOME_URL="https://github.com/nixcsh/nixcsh"
ID=nixos
NAME=NixOS
PRETTY_NAME="NixOS %s (nixcsh container)"
VERSION="%s (nixcsh)"
VERSION_ID="%s"
`, ver, ver, ver))
	// systemd-nspawn reads os-release from the host side before boot, where
	// /etc/static does not resolve: a real (copied) file.
	g.Files["etc/os-release"].CopyMode, g.Files["etc/os-release"].User, g.Files["etc/os-release"].Group = "0444", "+0", "+0"
	g.text("etc/nsswitch.conf", `passwd:    files
group:     files
shadow:    files
hosts:     files dns
networks:  files
ethers:    files
services:  files
protocols: files
rpc:       files
`)
	g.text("etc/login.defs", `DEFAULT_HOME yes
SYS_UID_MIN 400
SYS_UID_MAX 999
UID_MIN 1000
UID_MAX 29999
SYS_GID_MIN 400
SYS_GID_MAX 999
GID_MIN 1000
GID_MAX 29999
TTYGROUP tty
TTYPERM 0620
UMASK 077
ENCRYPT_METHOD SHA512
ENV_SUPATH PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin
ENV_PATH PATH=/usr/local/bin:/usr/bin
`)
	g.text("etc/shells", "/bin/sh\n/bin/bash\n/usr/bin/bash\n/usr/bin/sh\n")
	// A minimal pam_unix stack: su from root needs no password (pam_rootok),
	// login checks /etc/shadow.
	unix := `auth      required  pam_unix.so nullok
account   required  pam_unix.so
password  required  pam_unix.so nullok yescrypt
session   required  pam_unix.so
`
	g.text("etc/pam.d/su", "auth      sufficient pam_rootok.so\n"+unix)
	g.text("etc/pam.d/su-l", "auth      sufficient pam_rootok.so\n"+unix)
	g.text("etc/pam.d/runuser", "auth      sufficient pam_rootok.so\naccount   required  pam_unix.so\nsession   required  pam_unix.so\n")
	g.text("etc/pam.d/runuser-l", "auth      sufficient pam_rootok.so\naccount   required  pam_unix.so\nsession   required  pam_unix.so\n")
	g.text("etc/pam.d/login", unix+"session   optional  pam_loginuid.so\n")
	g.text("etc/pam.d/sshd", unix)
	g.text("etc/pam.d/passwd", unix)
	g.text("etc/pam.d/chpasswd", unix)
	g.text("etc/pam.d/other", unix)
	return nil
}

// renderUnitLinks makes multi-user.target the default and masks the host
// units that would otherwise start on their own: nothing runs that the
// configuration did not ask for (no gettys on the console).
func renderUnitLinks(_ Values, g *Generation, _ *Host) error {
	g.link("etc/systemd/system/default.target", "/usr/lib/systemd/system/multi-user.target")
	for _, masked := range []string{"getty.target", "console-getty.service", "container-getty@.service", "getty@.service", "serial-getty@.service", "systemd-firstboot.service", "systemd-sysusers.service"} {
		if _, ours := g.Files["etc/systemd/system/"+masked]; !ours {
			g.link("etc/systemd/system/"+masked, "/dev/null")
		}
	}
	return nil
}
