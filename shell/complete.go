package shell

import (
	"context"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/nixcsh/nixcsh/core/verbs"
)

// Completion is what TAB offers: candidates that replace Partial, the text
// just before the cursor. A candidate that completes a whole word ends with a
// space; one that continues (a directory, an option path prefix) does not.
type Completion struct {
	Partial    string
	Candidates []string
}

// builtinNames are the shell's own commands, beside the verbs.
var builtinNames = []string{"exit", "help", "history", "lua", "quit", "root", "source"}

// Completer completes shell lines from the verb table. Every source of
// values is a field so that tests can pin them.
type Completer struct {
	// Names lists the containers of the state root.
	Names func(ctx context.Context) []string
	// OptionPaths lists NixOS option paths ("services.openssh.enable",
	// "users.users.<name>.uid"); nil completes none.
	OptionPaths func() []string
	// LuaNames completes Lua globals and nixcsh.* after `lua `; nil: none.
	LuaNames func(prefix string) []string
	// NetDir is the host's /sys/class/net, where bridges are found.
	NetDir string
	// Dir is the directory relative paths start from ("" is the working directory).
	Dir string
}

// Complete completes line, the text before the cursor.
func (c *Completer) Complete(ctx context.Context, line string) Completion {
	stmts, st := lex(line)
	var words []word
	if n := len(stmts); n > 0 && stmts[n-1][0].start >= st.stmtStart {
		words = stmts[n-1]
	}
	// `lua` takes the rest of the line as code: complete Lua names.
	if len(words) > 0 && words[0].raw == "lua" && (len(words) > 1 || !st.inWord) {
		code := line[words[0].start+len("lua"):]
		tok := trailing(code, func(r byte) bool { return isLuaIdent(r) || r == '.' || r == ':' })
		var cands []string
		if c.LuaNames != nil {
			cands = c.LuaNames(tok)
		}
		return Completion{Partial: tok, Candidates: sortedUnique(cands)}
	}
	var cur word
	quote := st.quote
	if st.inWord {
		cur, words = words[len(words)-1], words[:len(words)-1]
	} else {
		quote = 0
	}
	// The values of what came before: the verb, its flags, its arguments.
	var before []string
	for _, w := range words {
		before = append(before, w.val)
	}
	return c.completeWord(ctx, before, cur, quote)
}

// completeWord completes the word cur (raw as typed, val unquoted so far)
// after the words before.
func (c *Completer) completeWord(ctx context.Context, before []string, cur word, quote byte) Completion {
	// Skip global flags (and their values) to find the verb.
	verbAt := -1
	for i := 0; i < len(before); i++ {
		w := before[i]
		if strings.HasPrefix(w, "-") {
			if f := globalFlag(strings.TrimLeft(w, "-")); f != nil && f.Value != "" && !strings.Contains(w, "=") {
				i++
			}
			continue
		}
		verbAt = i
		break
	}
	var v *verbs.Verb
	if verbAt >= 0 {
		v = verbs.Lookup(before[verbAt])
	}

	// The value of a flag: --flag VALUE or --flag=VALUE.
	if n := len(before); n > 0 && strings.HasPrefix(before[n-1], "--") && !strings.Contains(before[n-1], "=") {
		if f := findFlag(v, before[n-1][2:]); f != nil && f.Value != "" {
			return c.flagValue(ctx, f, cur, quote)
		}
	}
	if name, val, ok := strings.Cut(cur.val, "="); ok && strings.HasPrefix(name, "--") && quote == 0 {
		if f := findFlag(v, name[2:]); f != nil && f.Value != "" {
			prefix := name + "="
			sub := word{raw: strings.TrimPrefix(cur.raw, prefix), val: val}
			res := c.flagValue(ctx, f, sub, quote)
			if !strings.HasPrefix(cur.raw, prefix) {
				return Completion{}
			}
			if res.Partial == sub.raw { // the whole value was completed
				res.Partial = cur.raw
				for i := range res.Candidates {
					res.Candidates[i] = prefix + res.Candidates[i]
				}
			}
			return res
		}
	}

	if strings.HasPrefix(cur.val, "-") && quote == 0 {
		var names []string
		if v != nil {
			given := map[string]bool{}
			for _, w := range before {
				given[strings.SplitN(w, "=", 2)[0]] = true
			}
			for _, f := range v.SortedFlagNames() {
				if fl := findFlag(v, f[2:]); !given[f] || (fl != nil && fl.Repeat) {
					names = append(names, f)
				}
			}
			if v.Rest != nil && !given["--"] {
				names = append(names, "--")
			}
		} else {
			for _, f := range verbs.GlobalFlags {
				names = append(names, "--"+f.Name)
			}
		}
		return offer(cur, quote, names, true)
	}

	if verbAt < 0 {
		return offer(cur, quote, commandNames(), true)
	}
	// Positional arguments of builtins.
	switch before[verbAt] {
	case "help":
		if len(before)-verbAt == 1 {
			return offer(cur, quote, commandNames(), true)
		}
		return Completion{}
	case "source":
		return c.files(cur, quote, ".lua")
	}
	if v == nil {
		return Completion{}
	}
	// Which positional argument is this? Skip flags and their values.
	pos := 0
	for i := verbAt + 1; i < len(before); i++ {
		w := before[i]
		if w == "--" {
			return Completion{} // the command of run: the container's, not ours
		}
		if strings.HasPrefix(w, "-") && len(w) > 1 {
			if f := findFlag(v, strings.TrimLeft(w, "-")); f != nil && f.Value != "" && !strings.Contains(w, "=") {
				i++
			}
			continue
		}
		pos++
	}
	if pos < len(v.Args) {
		return c.value(ctx, v.Args[pos].Kind, cur, quote)
	}
	return Completion{}
}

// flagValue completes a flag's value: one of its choices, else by its kind.
func (c *Completer) flagValue(ctx context.Context, f *verbs.Flag, cur word, quote byte) Completion {
	if len(f.Choices) > 0 {
		return offer(cur, quote, f.Choices, true)
	}
	return c.value(ctx, f.Kind, cur, quote)
}

// value completes a word of the given kind.
func (c *Completer) value(ctx context.Context, kind verbs.Kind, cur word, quote byte) Completion {
	switch kind {
	case verbs.Container:
		var names []string
		if c.Names != nil {
			names = c.Names(ctx)
		}
		return offer(cur, quote, names, true)
	case verbs.Bridge:
		return offer(cur, quote, c.bridges(), true)
	case verbs.Interface:
		return offer(cur, quote, c.interfaces(), true)
	case verbs.File:
		return c.files(cur, quote, "")
	case verbs.OptionPath:
		return offer(cur, quote, optionSteps(c.optionPaths(), cur.val), false)
	case verbs.NixText:
		// Complete the option path being typed at the end of the text.
		tok := trailing(cur.val, func(r byte) bool { return isNixIdent(r) || r == '.' })
		if tok == "" || !strings.HasSuffix(cur.raw, tok) {
			return Completion{}
		}
		return Completion{Partial: tok, Candidates: optionSteps(c.optionPaths(), tok)}
	}
	return Completion{}
}

func (c *Completer) optionPaths() []string {
	if c.OptionPaths == nil {
		return nil
	}
	return c.OptionPaths()
}

// optionSteps completes an option path one attribute at a time:
// "services.op" gives "services.openssh." when openssh has options below it,
// and a full path when the prefix names a leaf. A "<name>" segment (an
// attribute set of submodules, users.users.<name>.uid) matches any name the
// user typed; "*" (a list of submodules) is not an attribute path and is skipped.
func optionSteps(paths []string, prefix string) []string {
	typed := strings.Split(prefix, ".")
	done, last := typed[:len(typed)-1], typed[len(typed)-1]
	seen := map[string]bool{}
	var out []string
	for _, p := range paths {
		segs := strings.Split(p, ".")
		if len(segs) <= len(done) {
			continue
		}
		ok := true
		for i, t := range done {
			if segs[i] != t && !(segs[i] == "<name>" && t != "") {
				ok = false
				break
			}
		}
		next := segs[len(done)]
		if !ok || next == "*" || next == "<name>" || !strings.HasPrefix(next, last) {
			continue
		}
		cand := strings.Join(append(append([]string{}, done...), next), ".")
		if len(segs) > len(done)+1 {
			cand += "."
		}
		if !seen[cand] {
			seen[cand] = true
			out = append(out, cand)
		}
	}
	sort.Strings(out)
	return out
}

// bridges lists the host's bridge interfaces (those with a bridge/ dir).
func (c *Completer) bridges() []string { return c.links(true) }

// interfaces lists the host's network interfaces but lo.
func (c *Completer) interfaces() []string { return c.links(false) }

// links lists the host's interfaces (but lo), only bridges if bridges.
func (c *Completer) links(bridges bool) []string {
	dir := c.NetDir
	if dir == "" {
		dir = "/sys/class/net"
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil
	}
	var out []string
	for _, e := range entries {
		if !bridges && e.Name() != "lo" {
			out = append(out, e.Name())
		} else if fi, err := os.Stat(filepath.Join(dir, e.Name(), "bridge")); bridges && err == nil && fi.IsDir() {
			out = append(out, e.Name())
		}
	}
	return out
}

// files completes a path; a non-empty only keeps the files with that
// suffix (and directories).
func (c *Completer) files(cur word, quote byte, only string) Completion {
	dirPart, base := filepath.Split(cur.val)
	dir := dirPart
	if dir == "" {
		dir = "."
	}
	if !filepath.IsAbs(dir) && c.Dir != "" {
		dir = filepath.Join(c.Dir, dir)
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		return Completion{}
	}
	var out []string
	for _, e := range entries {
		name := e.Name()
		if !strings.HasPrefix(name, base) || (strings.HasPrefix(name, ".") && !strings.HasPrefix(base, ".")) {
			continue
		}
		isDir := e.IsDir()
		if e.Type()&os.ModeSymlink != 0 {
			if fi, err := os.Stat(filepath.Join(dir, name)); err == nil {
				isDir = fi.IsDir()
			}
		}
		switch {
		case isDir:
			out = append(out, dirPart+name+"/")
		case only != "" && !strings.HasSuffix(name, only):
		default:
			out = append(out, dirPart+name)
		}
	}
	return offer(cur, quote, out, true)
}

// offer turns candidate values into raw replacements of cur: escaped for
// the quote the cursor is in, the quote closed and a space added after a
// finished word (ending in "/" or "." means the word goes on). With final
// false no word counts as finished.
func offer(cur word, quote byte, values []string, final bool) Completion {
	var out []string
	for _, v := range sortedUnique(values) {
		if !strings.HasPrefix(v, cur.val) {
			continue
		}
		cand := cur.raw + escapeIn(quote, v[len(cur.val):])
		if final && !strings.HasSuffix(v, "/") && !strings.HasSuffix(v, ".") {
			if quote != 0 {
				cand += string(quote)
			}
			cand += " "
		}
		out = append(out, cand)
	}
	return Completion{Partial: cur.raw, Candidates: out}
}

// commandNames is every verb and builtin, sorted.
func commandNames() []string {
	names := append([]string{}, builtinNames...)
	for _, v := range verbs.All() {
		names = append(names, v.Name)
	}
	return sortedUnique(names)
}

func findFlag(v *verbs.Verb, name string) *verbs.Flag {
	if v != nil {
		return v.FindFlag(name)
	}
	return globalFlag(name)
}

func globalFlag(name string) *verbs.Flag {
	for i := range verbs.GlobalFlags {
		if verbs.GlobalFlags[i].Name == name {
			return &verbs.GlobalFlags[i]
		}
	}
	return nil
}

// trailing is the longest suffix of s whose bytes all satisfy ok.
func trailing(s string, ok func(byte) bool) string {
	i := len(s)
	for i > 0 && ok(s[i-1]) {
		i--
	}
	return s[i:]
}

// isLuaIdent: bytes of Lua names.
func isLuaIdent(r byte) bool {
	return r == '_' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9'
}

// isNixIdent: bytes of Nix attribute names as option paths use them.
func isNixIdent(r byte) bool { return isLuaIdent(r) || r == '-' }

func sortedUnique(in []string) []string {
	out := append([]string(nil), in...)
	sort.Strings(out)
	j := 0
	for i, s := range out {
		if i == 0 || s != out[j-1] {
			out[j] = s
			j++
		}
	}
	return out[:j]
}
