package shell

import (
	"fmt"
	"strings"

	"github.com/nixcsh/nixcsh/core/verbs"
)

// ManPage is nixcsh(1) in roff (man(7) macros), generated from the verb
// table: `nixcsh help --man | man -l -`.
func ManPage() string {
	var b strings.Builder
	b.WriteString(".TH NIXCSH 1 \"\" \"nixcsh\" \"User Commands\"\n")
	b.WriteString(".SH NAME\nnixcsh \\- NixOS containers on any systemd Linux host, with a shell and Lua scripting\n")
	b.WriteString(".SH SYNOPSIS\n")
	b.WriteString(".B nixcsh\n.I action\n.RI [ options ]\n.br\n")
	b.WriteString(".B nixcsh\n.RB [ \\-\\-root\n.IR DIR ]\n.br\n")
	b.WriteString(".B nixcsh \\-c\n.I \"'LINE; LINE'\"\n.br\n")
	b.WriteString(".B nixcsh\n.I FILE.lua\n.RI [ ARGS ...]\n")
	b.WriteString(".SH DESCRIPTION\n")
	para(&b, "nixcsh manages NixOS containers as nixos-container does, verb for verb, on any Linux host with systemd: "+
		"containers are booted with systemd-nspawn from a NixOS configuration that nixcsh evaluates itself. "+
		"Invoked as nixos-container (a symlink), it behaves as the NixOS tool.")
	para(&b, "With no action and a terminal, nixcsh opens its interactive shell. With standard input "+
		"not a terminal, it reads shell lines from it without prompts, so that `nixcsh < session.txt` runs a script. "+
		"-c runs the given lines and exits with the status of the last one.")
	b.WriteString(".SH ACTIONS\n")
	for _, v := range verbs.All() {
		fmt.Fprintf(&b, ".TP\n.B %s\n", roffEscape(v.Usage()))
		b.WriteString(roffText(v.Summary) + "\n")
		if v.Help != "" {
			b.WriteString(".IP\n" + roffText(v.Help) + "\n")
		}
		for _, f := range v.AllFlags() {
			fmt.Fprintf(&b, ".RS\n.TP\n.B %s\n%s\n.RE\n", roffEscape(flagSynopsis(f)), roffText(f.Help))
		}
		if len(v.Hooks) > 0 {
			b.WriteString(".IP\nHook events: " + roffText(strings.Join(v.Hooks, ", ")) + "\n")
		}
	}
	b.WriteString(".SH GLOBAL OPTIONS\nAccepted anywhere on the line.\n")
	for _, f := range verbs.GlobalFlags {
		fmt.Fprintf(&b, ".TP\n.B %s\n%s\n", roffEscape(flagSynopsis(f)), roffText(f.Help))
	}
	b.WriteString(".SH SHELL\n")
	para(&b, "The shell runs the actions above with the same words, options and messages as the command line, and these commands of its own:")
	for _, h := range builtinHelp {
		fmt.Fprintf(&b, ".TP\n.B %s\n%s\n", roffEscape(h.usage), roffText(h.help))
	}
	para(&b, "Words are quoted as in sh: 'single quotes' keep everything, \"double quotes\" keep everything but \\\" \\\\ \\$ and \\`, "+
		"and a backslash keeps the next character. Nothing is expanded, so Nix text such as ${pkgs.curl} reaches the action as typed. "+
		"';' and newlines separate commands; '#' starts a comment; lua takes the rest of the line as its code. "+
		"An open quote or unfinished Lua code continues on the next line.")
	para(&b, "TAB completes actions, container names, options, bridges, files, and NixOS option paths inside --config text. "+
		"Up and Ctrl-R recall earlier lines. Ctrl-C cancels the running action, which leaves nothing half-done, or clears the line at the prompt; "+
		"Ctrl-D leaves the shell. The prompt shows the state root when it is not / and the status of the last command when it failed.")
	b.WriteString(".SH COMPLETION\n")
	para(&b, "nixcsh completion bash|zsh|fish prints a completion script for the command line, e.g.:")
	b.WriteString(".PP\n.nf\n.RS\nnixcsh completion bash > /etc/bash_completion.d/nixcsh\nnixcsh completion fish > ~/.config/fish/completions/nixcsh.fish\n.RE\n.fi\n")
	b.WriteString(".SH ENVIRONMENT\n")
	for _, e := range [][2]string{
		{"NIXCSH_ROOT", "the state root when --root is not given (default /)."},
		{"NIXCSH_PLUGIN_DIR", "a directory searched for plugins (nixcsh-plugin-NAME)."},
		{"XDG_STATE_HOME", "the shell's history is $XDG_STATE_HOME/nixcsh/history (default ~/.local/state)."},
		{"NO_COLOR", "when set, errors and the prompt are not coloured."},
		{"NIXCSH_DEBUG", "when 1, an internal error (a bug in nixcsh) prints its Go stack, for the report."},
	} {
		fmt.Fprintf(&b, ".TP\n.B %s\n%s\n", e[0], roffText(e[1]))
	}
	b.WriteString(".SH FILES\n")
	for _, f := range [][2]string{
		{"/etc/containers/NAME.conf", "the container's settings"},
		{"/var/lib/containers/NAME", "the container's root directory; its etc/nixos/configuration.nix"},
		{"/nix/var/nix/profiles/per-container/NAME", "the container's system generations"},
		{"/var/lib/nixcsh/store", "built system generations"},
		{"/run/nixcsh/NAME", "runtime state of a running container"},
		{"/var/log/nixcsh/NAME.log", "the container's console and supervisor log"},
	} {
		fmt.Fprintf(&b, ".TP\n.I %s\n%s (below the state root).\n", roffEscape(f[0]), roffText(f[1]))
	}
	b.WriteString(".SH EXIT STATUS\n")
	para(&b, "0 on success and 1 on failure, as nixos-container; run passes the command's own exit status through. "+
		"The shell exits with the status given to exit, 0 on Ctrl-D, else the status of its last command; 130 means a command was interrupted.")
	b.WriteString(".SH SEE ALSO\n.BR systemd-nspawn (1),\n.BR configuration.nix (5)\n")
	return b.String()
}

// para is a paragraph of running text.
func para(b *strings.Builder, text string) {
	b.WriteString(".PP\n" + roffText(text) + "\n")
}

// roffEscape makes text safe inside a roff line: backslashes and hyphens.
func roffEscape(s string) string {
	s = strings.ReplaceAll(s, `\`, `\e`)
	return strings.ReplaceAll(s, "-", `\-`)
}

// roffText is roffEscape for running text, and keeps a line that starts with
// a dot or quote from being read as a request.
func roffText(s string) string {
	s = roffEscape(s)
	if strings.HasPrefix(s, ".") || strings.HasPrefix(s, "'") {
		s = `\&` + s
	}
	return s
}
