package nix

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// instOpts are the parsed nix-instantiate flags.
type instOpts struct {
	strict, json, xml, noLocation, showTrace, parseOnly bool
	abortOnWarn                                         bool
	search                                              []string
	autoArgs                                            []autoArg
	attrPaths                                           []string
	exprs                                               []string
	files                                               []string
	maxDepth                                            int
	lintURL, lintShort, lintAbs                         string
}

type autoArg struct {
	name  string
	value string
	isStr bool
}

// Instantiate is a nix-instantiate work-alike (`nixcsh eval ARGS...`).
// Without a store, every invocation evaluates (as with --eval). It returns
// the exit code: 0 on success, 1 on an evaluation or parse error, 2 on bad
// usage.
func Instantiate(args []string, stdin io.Reader, stdout, stderr io.Writer, getenv func(string) string, workDir string) (code int) {
	defer func() {
		if r := recover(); r != nil {
			fmt.Fprintf(stderr, "error: internal evaluator error: %v\n", r)
			code = 1
		}
	}()
	if getenv == nil {
		getenv = func(string) string { return "" }
	}
	var o instOpts
	need := func(i int, flag string) (string, bool) {
		if i+1 >= len(args) {
			fmt.Fprintf(stderr, "error: flag '%s' requires an argument\n", flag)
			return "", false
		}
		return args[i+1], true
	}
	// the flags that take one argument and may repeat
	repeated := map[string]*[]string{
		"-I": &o.search, "--include": &o.search,
		"-A": &o.attrPaths, "--attr": &o.attrPaths,
		"-E": &o.exprs, "--expr": &o.exprs,
		"-f": &o.files, "--file": &o.files,
	}
	for i := 0; i < len(args); i++ {
		a := args[i]
		if dst, ok := repeated[a]; ok {
			v, ok := need(i, a)
			if !ok {
				return 2
			}
			*dst = append(*dst, v)
			i++
			continue
		}
		switch a {
		case "--eval", "--eval-only", "--read-write-mode", "--readonly-mode", "--impure", "--pure-eval=false":
		case "--timeout":
			// A limit on builds; evaluation alone builds nothing.
			if _, ok := need(i, a); !ok {
				return 2
			}
			i++
		case "--option":
			if i+2 >= len(args) {
				fmt.Fprintf(stderr, "error: flag '%s' requires two arguments\n", a)
				return 2
			}
			switch name, value := args[i+1], args[i+2]; name {
			case "abort-on-warn":
				o.abortOnWarn = value == "true"
			case "max-call-depth":
				n, err := strconv.Atoi(value)
				if err != nil || n <= 0 {
					fmt.Fprintf(stderr, "error: invalid value '%s' for max-call-depth\n", value)
					return 2
				}
				o.maxDepth = n
			default:
				fmt.Fprintf(stderr, "warning: unknown setting '%s'\n", name)
			}
			i += 2
		case "--help", "-h":
			io.WriteString(stdout, instantiateUsage)
			return 0
		case "--strict":
			o.strict = true
		case "--json":
			o.json = true
		case "--xml":
			o.xml = true
		case "--no-location":
			o.noLocation = true
		case "--show-trace":
			o.showTrace = true
		case "--parse":
			o.parseOnly = true
		case "--arg", "--argstr":
			if i+2 >= len(args) {
				fmt.Fprintf(stderr, "error: flag '%s' requires two arguments\n", a)
				return 2
			}
			o.autoArgs = append(o.autoArgs, autoArg{args[i+1], args[i+2], a == "--argstr"})
			i += 2
		case "--max-call-depth":
			v, ok := need(i, a)
			if !ok {
				return 2
			}
			n, err := strconv.Atoi(v)
			if err != nil || n <= 0 {
				fmt.Fprintf(stderr, "error: invalid value '%s' for --max-call-depth\n", v)
				return 2
			}
			o.maxDepth = n
			i++
		case "--lint-url-literals", "--lint-short-path-literals", "--lint-absolute-path-literals":
			v, ok := need(i, a)
			if !ok {
				return 2
			}
			switch a {
			case "--lint-url-literals":
				o.lintURL = v
			case "--lint-short-path-literals":
				o.lintShort = v
			default:
				o.lintAbs = v
			}
			i++
		default:
			if strings.HasPrefix(a, "-") && a != "-" {
				fmt.Fprintf(stderr, "error: unrecognised flag '%s'\n", a)
				return 2
			}
			o.files = append(o.files, a)
		}
	}
	abs := func(p string) string {
		if filepath.IsAbs(p) || strings.Contains(p, "://") {
			return p
		}
		return filepath.Join(workDir, p)
	}
	var sp []string
	add := func(s string) {
		if s == "" {
			return
		}
		if i := strings.IndexByte(s, '='); i >= 0 {
			sp = append(sp, s[:i]+"="+abs(s[i+1:]))
		} else {
			sp = append(sp, abs(s))
		}
	}
	for _, s := range o.search {
		add(s)
	}
	for _, s := range strings.Split(getenv("NIX_PATH"), ":") {
		add(s)
	}
	ev := NewEvaluator(Options{SearchPath: sp, Getenv: getenv, Trace: stderr, MaxCallDepth: o.maxDepth, AbortOnWarn: o.abortOnWarn})
	ev.lintURL, ev.lintShort, ev.lintAbs = o.lintURL, o.lintShort, o.lintAbs
	ev.warnOut = stderr

	fail := func(err error) int {
		fmt.Fprint(stderr, ev.FormatError(err, o.showTrace))
		return 1
	}

	type source struct{ src, name, dir string }
	var srcs []source
	for _, e := range o.exprs {
		srcs = append(srcs, source{e, "«string»", workDir})
	}
	for _, f := range o.files {
		if f == "-" {
			data, err := io.ReadAll(stdin)
			if err != nil {
				return fail(err)
			}
			srcs = append(srcs, source{string(data), "«stdin»", workDir})
			continue
		}
		p := resolveImportPath(abs(f))
		data, err := os.ReadFile(p)
		if err != nil {
			return fail(&EvalError{Msg: fmt.Sprintf("getting status of '%s': %s", p, errText(err))})
		}
		srcs = append(srcs, source{string(data), p, filepath.Dir(p)})
	}
	if len(srcs) == 0 {
		if len(o.exprs) == 0 {
			p := abs("default.nix")
			data, err := os.ReadFile(p)
			if err != nil {
				return fail(&EvalError{Msg: fmt.Sprintf("getting status of '%s': %s", p, errText(err))})
			}
			srcs = append(srcs, source{string(data), p, workDir})
		}
	}

	// --arg values are expressions evaluated lazily in the working directory
	var auto *attrsVal
	if len(o.autoArgs) > 0 {
		auto = newAttrs(len(o.autoArgs))
		for _, a := range o.autoArgs {
			if a.isStr {
				auto.set(a.name, mkStr(a.value), Pos{})
				continue
			}
			e, err := ev.parse(a.value, "«string»", workDir)
			if err != nil {
				return fail(err)
			}
			auto.set(a.name, &thunk{expr: e, env: ev.base}, Pos{})
		}
	} else {
		auto = emptyAttrs
	}

	for _, s := range srcs {
		e, err := ev.parse(s.src, s.name, s.dir)
		if err != nil {
			return fail(err)
		}
		if o.parseOnly {
			fmt.Fprintln(stdout, showExpr(e))
			continue
		}
		paths := o.attrPaths
		if len(paths) == 0 {
			paths = []string{""}
		}
		for _, ap := range paths {
			var out string
			_, err := ev.guard(func() Value {
				root := e.eval(ev, ev.base)
				v := ev.findAlongAttrPath(root, ap, auto)
				if len(o.autoArgs) > 0 { // as nix-instantiate --eval: without --arg a function is printed, not called
					v = ev.autoCall(v, auto)
				}
				switch {
				case o.xml:
					if o.strict {
						ev.deepForce(v, Pos{})
					}
					var b strings.Builder
					ev.toXML(&b, v, Pos{}, !o.noLocation)
					out = b.String()
				case o.json:
					var b strings.Builder
					ev.toJSON(&b, v, Pos{})
					out = b.String() + "\n"
				default:
					if o.strict {
						ev.deepForce(v, Pos{})
					}
					out = printOutput(v) + "\n"
				}
				return nullV
			})
			if err != nil {
				return fail(err)
			}
			io.WriteString(stdout, out)
		}
	}
	return 0
}

const instantiateUsage = `Usage: nixcsh eval [OPTION...] [FILE | - | -E EXPR]...

Evaluate Nix expressions like nix-instantiate --eval (there is no Nix store,
so evaluation is all it does). FILE defaults to ./default.nix; - reads stdin.

  -E, --expr EXPR          evaluate EXPR instead of a file
      --file FILE          evaluate FILE
      --strict             evaluate deeply before printing
      --json               print as JSON
      --xml                print as XML (--no-location: without positions)
      --parse              print the parsed expression instead
  -A, --attr PATH          select an attribute (or list index) of the result
      --arg NAME EXPR      pass NAME = EXPR to a top-level function
      --argstr NAME STR    pass NAME = STR to a top-level function
  -I, --include [NAME=]DIR add DIR to the search path for <NAME> lookups
      --max-call-depth N   limit nested function calls (default 10000)
      --option NAME VALUE  abort-on-warn true (a warning is an error), max-call-depth N
      --eval-only, --timeout N, --read-write-mode  accepted as nix-instantiate does
      --show-trace         print the full evaluation trace on errors
      --lint-url-literals, --lint-short-path-literals,
      --lint-absolute-path-literals  warn|fatal
The search path continues with NIX_PATH.
`

// autoCall calls a function with set patterns using the --arg values.
func (ev *Evaluator) autoCall(v Value, auto *attrsVal) Value {
	v = ev.force(v)
	if a, ok := v.(*attrsVal); ok {
		if f, ok := a.m["__functor"]; ok {
			v2 := ev.call(f.v, []Value{a}, Pos{})
			return ev.autoCall(v2, auto)
		}
		return v
	}
	l, ok := v.(*lambdaVal)
	if !ok || !l.fn.hasFormals {
		return v
	}
	args := newAttrs(len(l.fn.formals))
	for _, f := range l.fn.formals {
		if a, ok := auto.m[f.name]; ok {
			args.m[f.name] = a
		} else if f.def == nil {
			ev.throwf(l.fn.pos, "cannot evaluate a function that has an argument without a value ('%s')\nNix attempted to evaluate a function as a top level expression; in this case it must have its arguments supplied either by default values, or passed explicitly with '--arg' or '--argstr'. See https://nixos.org/manual/nix/stable/language/constructs.html#functions.", f.name)
		}
	}
	if l.fn.ellipsis {
		for k, a := range auto.m {
			args.m[k] = a
		}
	}
	return ev.call(l, []Value{args}, Pos{})
}

// findAlongAttrPath follows -A's path (names, or list indices).
func (ev *Evaluator) findAlongAttrPath(v Value, path string, auto *attrsVal) Value {
	if path == "" {
		return v
	}
	for _, part := range splitAttrPath(path) {
		v = ev.autoCall(v, auto)
		if n, err := strconv.Atoi(part); err == nil {
			l, ok := v.(*listVal)
			if !ok {
				ev.throwf(Pos{}, "the expression selected by the selection path '%s' should be a list but is %s", path, showType(v))
			}
			if n < 0 || n >= len(l.elems) {
				ev.throwf(Pos{}, "list index %d in selection path '%s' is out of range", n, path)
			}
			v = ev.force(l.elems[n])
			continue
		}
		a, ok := v.(*attrsVal)
		if !ok {
			ev.throwf(Pos{}, "the expression selected by the selection path '%s' should be a set but is %s", path, showType(v))
		}
		at, ok := a.m[part]
		if !ok {
			ev.throwf(Pos{}, "attribute '%s' in selection path '%s' not found", part, path)
		}
		v = ev.force(at.v)
	}
	return v
}

func splitAttrPath(s string) []string {
	var out []string
	var cur strings.Builder
	inQuote := false
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '"':
			inQuote = !inQuote
		case c == '.' && !inQuote:
			out = append(out, cur.String())
			cur.Reset()
		default:
			cur.WriteByte(c)
		}
	}
	return append(out, cur.String())
}

// FormatError renders an error as Nix prints it: the trace of where the
// failing value was needed (outermost first; only the innermost few unless
// showTrace), then the message and its position with a source excerpt.
func (ev *Evaluator) FormatError(err error, showTrace bool) string {
	return formatError(err, showTrace, ev.sourceText)
}

// FormatError is Evaluator.FormatError for errors from any evaluator
// (source excerpts only for files on disk).
func FormatError(err error, showTrace bool) string { return formatError(err, showTrace, nil) }

// sourceText returns the text of sources that are not files («stdin»,
// «string»), as parsed.
func (ev *Evaluator) sourceText(name string) (string, bool) {
	s, ok := ev.sources[name]
	return s, ok
}

func formatError(err error, showTrace bool, texts func(string) (string, bool)) string {
	ee, ok := err.(*EvalError)
	if !ok {
		return "error: " + err.Error() + "\n"
	}
	var b strings.Builder
	if len(ee.frames) == 0 {
		b.WriteString("error: " + ee.Msg + "\n")
	} else {
		b.WriteString("error:\n")
		writeTrace(&b, ee, showTrace, texts)
		b.WriteString("       error: " + ee.Msg + "\n")
	}
	// an error raised by a builtin is located by its "while calling" frame
	fromBuiltin := false
	for i := len(ee.frames) - 1; i >= 0; i-- {
		if f := ee.frames[i]; f.kind != frameText && f.kind != frameValue {
			fromBuiltin = f.kind == frameBuiltin && f.pos == ee.Pos
			break
		}
	}
	if ee.Pos.IsValid() && !fromBuiltin {
		b.WriteString(posSnippetFrom(ee.Pos, "       ", "            ", texts))
	}
	if ee.hint != "" {
		b.WriteString("       " + ee.hint + "\n")
	}
	return b.String()
}

// writeTrace prints the frames outermost first as Nix does: a frame seen
// before is held back; a run of up to five such frames is printed anyway,
// a longer one is summarised as "(N duplicate frames omitted)". Without
// showTrace only the first four frames are printed.
func writeTrace(b *strings.Builder, ee *EvalError, showTrace bool, texts func(string) (string, bool)) {
	type key struct {
		pos  Pos
		kind frameKind
		name string
		idx  int
	}
	seen := map[key]bool{}
	var skipped []frame
	count := 0
	print := func(f frame) {
		count++
		b.WriteString("       … " + f.text() + "\n")
		if f.pos.IsValid() {
			b.WriteString(posSnippetFrom(f.pos, "         ", "            ", texts))
		}
		b.WriteString("\n")
	}
	flush := func() {
		if len(skipped) == 0 {
			return
		}
		if len(skipped) <= 5 {
			for _, f := range skipped {
				print(f)
			}
		} else {
			fmt.Fprintf(b, "       (%d duplicate frames omitted)\n\n", len(skipped))
			seen = map[key]bool{}
		}
		skipped = skipped[:0]
	}
	for i, f := range ee.frames {
		if i == ee.elidedAt && ee.elided > 0 {
			flush()
			fmt.Fprintf(b, "       (%d frames omitted)\n\n", ee.elided)
		}
		if !showTrace && count > 3 {
			b.WriteString("       (stack trace truncated; use '--show-trace' to show the full, detailed trace)\n\n")
			return
		}
		k := key{f.pos, f.kind, f.name, f.idx}
		if seen[k] {
			skipped = append(skipped, f)
			continue
		}
		seen[k] = true
		flush()
		print(f)
	}
	flush()
}

// posSnippetFrom renders "at file:line:col:" and the surrounding source
// lines, read through texts for sources that are not files.
func posSnippetFrom(p Pos, indent, pad string, texts func(string) (string, bool)) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%sat %s:\n", indent, p)
	var data string
	if t, ok := sourceFrom(p.File, texts); ok {
		data = t
	} else {
		return b.String()
	}
	lines := strings.Split(strings.ReplaceAll(data, "\r\n", "\n"), "\n")
	if p.Line > len(lines) {
		return b.String()
	}
	first, last := p.Line-1, p.Line+1
	if first < 1 {
		first = 1
	}
	if last > len(lines) {
		last = len(lines)
	}
	w := len(strconv.Itoa(last))
	if len(pad) > w-1 {
		pad = pad[:len(pad)-(w-1)] // the '|' column stays put
	}
	for n := first; n <= last; n++ {
		fmt.Fprintf(&b, "%s%*d| %s\n", pad, w, n, lines[n-1])
		if n == p.Line {
			fmt.Fprintf(&b, "%s%*s| %s^\n", pad, w, "", strings.Repeat(" ", max(p.Col-1, 0)))
		}
	}
	return strings.ReplaceAll(b.String(), "| \n", "|\n")
}

// warnAt prints a Nix-style warning with a source excerpt.
func (ev *Evaluator) warnAt(pos Pos, msg string) {
	w := ev.warnOut
	if w == nil {
		w = ev.opts.Trace
	}
	fmt.Fprintf(w, "warning: %s\n%s", msg, posSnippetFrom(pos, "         ", "              ", ev.sourceText))
}

func (ev *Evaluator) warnPlain(msg string) {
	w := ev.warnOut
	if w == nil {
		w = ev.opts.Trace
	}
	fmt.Fprintf(w, "warning: %s\n", msg)
}

func sourceFrom(file string, texts func(string) (string, bool)) (string, bool) {
	if texts != nil {
		if t, ok := texts(file); ok {
			return t, true
		}
	}
	if !strings.HasPrefix(file, "/") {
		return "", false
	}
	data, err := os.ReadFile(file)
	if err != nil || len(data) > 1<<24 {
		return "", false
	}
	return string(data), true
}
