package verbs

import (
	"context"
	"fmt"
	"os"
	"reflect"
	"strings"

	"github.com/nixcsh/nixcsh/core"
	"github.com/nixcsh/nixcsh/core/fault"
	"github.com/nixcsh/nixcsh/core/nix"
	"github.com/nixcsh/nixcsh/core/options"
)

// OptionList prints like a short `man configuration.nix`.
type OptionList []options.Listing

func (l OptionList) Text() string {
	var b strings.Builder
	for _, o := range l {
		fmt.Fprintf(&b, "%s\n    type: %s\n", o.Path, o.Type)
		if o.HasDefault {
			fmt.Fprintf(&b, "    default: %v\n", o.Default)
		}
		if o.Description != "" {
			fmt.Fprintf(&b, "    %s\n", o.Description)
		}
	}
	return b.String()
}

// configVerbs are the verbs about configurations rather than containers.
func configVerbs() []*Verb {
	return []*Verb{{
		Name: "eval", Raw: true, NoName: true,
		Summary: "evaluate a Nix expression or file (nix-instantiate --eval)",
		Result:  Result{Lua: "true", Text: "true; the value is printed on stdout"},
		Help: "Evaluates Nix with nixcsh's own evaluator and prints the value as nix-instantiate --eval does. " +
			"eval --expr 'EXPR' | eval [--file] FILE, with --strict, --json, --xml, -A ATTR, --arg NAME EXPR, --argstr NAME S, -I PATH, --parse, --show-trace.",
		Flags: []Flag{
			{Name: "expr", Value: "EXPR", Kind: Word, Help: "evaluate this expression"},
			{Name: "file", Value: "F", Kind: File, Help: "evaluate this file"},
			{Name: "strict", Help: "evaluate deeply"},
			{Name: "json", Help: "print JSON"},
		},
		Do: func(ctx context.Context, m *core.Manager, in *Invocation) (any, error) {
			wd, _ := os.Getwd()
			code := nix.Instantiate(in.Raw, in.Stdio.In, in.Stdio.Out, in.Stdio.Err, os.Getenv, wd)
			if code != 0 {
				return nil, fault.ExitStatus(code)
			}
			return nil, nil
		},
	}, {
		Name: "options", NoName: true, JSON: true,
		Args:    []Arg{{Name: "prefix", Kind: OptionPath, Optional: true}},
		Summary: "list the NixOS options nixcsh implements",
		Result:  Result{Type: reflect.TypeOf([]options.Listing(nil)), Text: "path, type, default and description of each option"},
		Help:    "Lists every option (or those under PREFIX) with its type, default and description.",
		Do: func(ctx context.Context, m *core.Manager, in *Invocation) (any, error) {
			l := options.List(in.Arg(0))
			if len(l) == 0 {
				return nil, fault.Errorf(fault.NotFound, "no option starts with '%s'; 'nixcsh options' lists them all", in.Arg(0))
			}
			return OptionList(l), nil
		},
	}}
}
