package shell

import (
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/nixcsh/nixcsh/core/verbs"
)

// The bash script, run by bash as the completion system would: COMP_WORDS
// and COMP_CWORD in, COMPREPLY out, with the built nixcsh answering
// __complete for the container names of a temporary root.
func TestBashCompletionScript(t *testing.T) {
	bash, err := exec.LookPath("bash")
	if err != nil {
		t.Skip("bash is not installed")
	}
	bin := nixcshBinary(t)
	root := t.TempDir()
	os.MkdirAll(filepath.Join(root, "etc/containers"), 0o755)
	for _, n := range []string{"foo", "fob", "bar"} {
		os.WriteFile(filepath.Join(root, "etc/containers", n+".conf"), []byte("PRIVATE_NETWORK=1\n"), 0o644)
	}
	files := t.TempDir()
	os.WriteFile(filepath.Join(files, "web.nix"), nil, 0o644)
	script := filepath.Join(t.TempDir(), "nixcsh.bash")
	os.WriteFile(script, []byte(bashScript()), 0o644)

	complete := func(words ...string) []string {
		t.Helper()
		var quoted []string
		for _, w := range words {
			quoted = append(quoted, quoteWord(w))
		}
		prog := "source " + quoteWord(script) + "\n" +
			"COMP_WORDS=(" + strings.Join(quoted, " ") + ")\n" +
			"COMP_CWORD=$((${#COMP_WORDS[@]} - 1))\n" +
			"_nixcsh\n" +
			"printf '%s\\n' \"${COMPREPLY[@]}\"\n"
		cmd := exec.Command(bash, "--norc", "--noprofile", "-c", prog)
		cmd.Dir = files
		out, err := cmd.Output()
		if err != nil {
			t.Fatalf("bash: %v", err)
		}
		s := strings.TrimRight(string(out), "\n")
		if s == "" {
			return nil
		}
		return strings.Split(s, "\n")
	}
	for _, tc := range []struct {
		words []string
		want  []string
	}{
		{[]string{bin, "sta"}, []string{"start", "status"}},
		{[]string{bin, "--ro"}, []string{"--root"}},
		{[]string{bin, "--root", root, "start", "f"}, []string{"fob", "foo"}},
		{[]string{bin, "--root", root, "destroy", ""}, []string{"bar", "fob", "foo"}},
		{[]string{bin, "create", "web", "--auto"}, []string{"--auto-start"}},
		{[]string{bin, "status", "foo", "--j"}, []string{"--json"}},
		{[]string{bin, "create", "web", "--config-file", "w"}, []string{"web.nix"}},
		{[]string{bin, "create", "web", "--config", "x", "--bridge=", "--port", ""}, nil},
		{[]string{bin, "run", "foo", "--", "l"}, nil},
		{[]string{bin, "completion", "--"}, []string{"--backend", "--cluster", "--etcd-ca", "--etcd-cert", "--etcd-key", "--help", "--insecure", "--plugin-dir", "--root"}},
		{[]string{bin, "create", "web", "--config", "'networking.fire"}, []string{"'networking.firewall."}},
	} {
		if strings.HasPrefix(tc.words[len(tc.words)-1], "'") && !binaryKnowsOptions(t, bin) {
			t.Log("this build does not wire option paths: --config completion in bash is not checked")
			continue
		}
		if got := complete(tc.words...); !reflect.DeepEqual(got, tc.want) {
			t.Errorf("complete %q = %q, want %q", tc.words[1:], got, tc.want)
		}
	}
}

// Each verb and flag of the table is in every script.
func TestCompletionScriptsFollowTheTable(t *testing.T) {
	for _, sh := range []string{"bash", "zsh", "fish"} {
		s, err := CompletionScript(sh)
		if err != nil {
			t.Fatal(err)
		}
		for _, v := range verbs.All() {
			if !strings.Contains(s, v.Name) {
				t.Errorf("%s script lacks verb %s", sh, v.Name)
			}
			for _, f := range v.AllFlags() {
				if !strings.Contains(s, f.Name) {
					t.Errorf("%s script lacks %s's flag --%s", sh, v.Name, f.Name)
				}
			}
		}
	}
	// Syntax checks with the shells that are installed.
	for sh, args := range map[string][]string{"bash": {"-n"}, "zsh": {"-n"}, "fish": {"--no-execute"}} {
		path, err := exec.LookPath(sh)
		if err != nil {
			t.Logf("%s is not installed: its script's syntax is not checked", sh)
			continue
		}
		s, _ := CompletionScript(sh)
		f := filepath.Join(t.TempDir(), "script")
		os.WriteFile(f, []byte(s), 0o644)
		if out, err := exec.Command(path, append(args, f)...).CombinedOutput(); err != nil {
			t.Errorf("%s rejects its completion script: %v\n%s", sh, err, out)
		}
	}
}

// The man page covers every verb and flag and formats without warnings.
func TestManPage(t *testing.T) {
	man := ManPage()
	for _, v := range verbs.All() {
		if !strings.Contains(man, ".B "+roffEscape(v.Name)) {
			t.Errorf("the man page lacks %s", v.Name)
		}
		for _, f := range v.AllFlags() {
			if !strings.Contains(man, roffEscape("--"+f.Name)) {
				t.Errorf("the man page lacks %s's --%s", v.Name, f.Name)
			}
		}
	}
	for i, l := range strings.Split(man, "\n") {
		if strings.HasPrefix(l, ".") && !strings.HasPrefix(l, ".TH ") && len(l) > 1 {
			req := strings.Fields(l[1:])[0]
			switch req {
			case "SH", "SS", "TP", "PP", "IP", "RS", "RE", "B", "I", "BR", "RB", "RI", "IR", "br", "nf", "fi":
			default:
				t.Errorf("line %d: unexpected request %q", i+1, l)
			}
		}
	}
	groff, err := exec.LookPath("groff")
	if err != nil {
		t.Skip("groff is not installed: the page is not formatted")
	}
	cmd := exec.Command(groff, "-man", "-Tutf8", "-ww", "-z")
	cmd.Stdin = strings.NewReader(man)
	if out, err := cmd.CombinedOutput(); err != nil || len(out) > 0 {
		t.Fatalf("groff -man warns: %v\n%s", err, out)
	}
}

// The fish script, asked by fish itself (complete -C) with the built nixcsh
// on PATH.
func TestFishCompletionScript(t *testing.T) {
	fish, err := exec.LookPath("fish")
	if err != nil {
		t.Skip("fish is not installed")
	}
	bin := nixcshBinary(t)
	root := t.TempDir()
	os.MkdirAll(filepath.Join(root, "etc/containers"), 0o755)
	for _, n := range []string{"foo", "fob", "bar"} {
		os.WriteFile(filepath.Join(root, "etc/containers", n+".conf"), []byte("PRIVATE_NETWORK=1\n"), 0o644)
	}
	script := filepath.Join(t.TempDir(), "nixcsh.fish")
	os.WriteFile(script, []byte(fishScript()), 0o644)
	for _, tc := range []struct {
		line string
		want []string
	}{
		{"nixcsh sta", []string{"start", "status"}},
		{"nixcsh --root " + root + " start f", []string{"fob", "foo"}},
		{"nixcsh --root " + root + " destroy ", []string{"bar", "fob", "foo"}},
		{"nixcsh create web --auto", []string{"--auto-start"}},
		{"nixcsh status foo --j", []string{"--json"}},
		{"nixos-container show-", []string{"show-config", "show-host-key", "show-ip"}},
		{"nixcsh create web --config 'services.openssh.enable = true; services.op", []string{"'services.openssh.enable = true; services.openssh."}},
	} {
		if strings.Contains(tc.line, "'") && !binaryKnowsOptions(t, bin) {
			t.Log("this build does not wire option paths: --config completion in fish is not checked")
			continue
		}
		cmd := exec.Command(fish, "--no-config", "-c", "source "+quoteWord(script)+"; complete -C "+quoteWord(tc.line))
		cmd.Env = []string{"PATH=" + filepath.Dir(bin) + ":" + os.Getenv("PATH"), "HOME=" + t.TempDir()}
		out, err := cmd.Output()
		if err != nil {
			t.Fatalf("fish: %v", err)
		}
		var got []string
		for _, l := range strings.Split(strings.TrimSpace(string(out)), "\n") {
			if l != "" {
				got = append(got, strings.SplitN(l, "\t", 2)[0])
			}
		}
		if !reflect.DeepEqual(got, tc.want) {
			t.Errorf("fish completes %q as %q, want %q", tc.line, got, tc.want)
		}
	}
}

// The zsh script's logic, run by zsh with the completion system's builtins
// (compadd, _describe, _files) replaced by functions that print what they
// were given (compadd keeping, as zsh's does, what matches the word).
func TestZshCompletionScript(t *testing.T) {
	zsh, err := exec.LookPath("zsh")
	if err != nil {
		t.Skip("zsh is not installed")
	}
	bin := nixcshBinary(t)
	root := t.TempDir()
	os.MkdirAll(filepath.Join(root, "etc/containers"), 0o755)
	for _, n := range []string{"foo", "fob"} {
		os.WriteFile(filepath.Join(root, "etc/containers", n+".conf"), []byte("PRIVATE_NETWORK=1\n"), 0o644)
	}
	script := filepath.Join(t.TempDir(), "_nixcsh")
	os.WriteFile(script, []byte(zshScript()), 0o644)
	stubs := `compdef() { :; }
compadd() { while (( $# )); do case $1 in -S) shift 2 ;; -Q|--) shift ;; *) [[ $1 == $PREFIX* ]] && print -r -- "$1"; shift ;; esac; done }
compset() { [[ $1 == -P ]] && PREFIX=${PREFIX##$~2} }
_describe() { local v; for v in ${(P)2}; do compadd -- ${v%%:*}; done }
_files() { print -r -- FILES }
`
	for _, tc := range []struct {
		words []string
		want  []string
	}{
		{[]string{bin, "sta"}, []string{"start", "status"}},
		{[]string{bin, "--root", root, "start", ""}, []string{"fob", "foo"}},
		{[]string{bin, "create", "web", "--config-file", ""}, []string{"FILES"}},
		{[]string{bin, "status", "foo", "--"}, []string{"--backend", "--cluster", "--etcd-ca", "--etcd-cert", "--etcd-key", "--help", "--insecure", "--json", "--plugin-dir", "--root"}},
		{[]string{bin, "create", "web", "--config", "'services.openssh.enable = true; services.op"}, []string{"services.openssh."}},
	} {
		if strings.HasPrefix(tc.words[len(tc.words)-1], "'") && !binaryKnowsOptions(t, bin) {
			t.Log("this build does not wire option paths: --config completion in zsh is not checked")
			continue
		}
		var quoted []string
		for _, w := range tc.words {
			quoted = append(quoted, quoteWord(w))
		}
		prog := stubs + "source " + quoteWord(script) + "\nwords=(" + strings.Join(quoted, " ") + ")\nCURRENT=${#words}\nPREFIX=${words[CURRENT]}\n_nixcsh\n"
		out, err := exec.Command(zsh, "-f", "-c", prog).CombinedOutput()
		if err != nil {
			t.Fatalf("zsh: %v\n%s", err, out)
		}
		var got []string
		for _, l := range strings.Split(strings.TrimSpace(string(out)), "\n") {
			if l != "" {
				got = append(got, l)
			}
		}
		want := tc.want
		if !reflect.DeepEqual(got, want) {
			t.Errorf("zsh completes %q as %q, want %q", tc.words[1:], got, want)
		}
	}
}

// binaryKnowsOptions reports whether the built nixcsh completes option paths
// (the lead wires Env.OptionPaths in Main).
func binaryKnowsOptions(t *testing.T, bin string) bool {
	out, err := exec.Command(bin, "__complete", "option", "services.op").Output()
	return err == nil && strings.TrimSpace(string(out)) != ""
}
