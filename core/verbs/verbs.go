// Package verbs is THE verb table: every verb nixcsh has is declared here once,
// with its arguments, flags, help and completion kinds, and the core call that
// carries it out. The one-shot CLI, the REPL, completion, `help`, the man page
// and the Lua module are all generated from this table, so adding a verb is one
// declaration here plus its core.Manager method.
package verbs

import (
	"context"
	"reflect"
	"sort"

	"github.com/nixcsh/nixcsh/core"
)

// Kind says what a word is, for completion and documentation.
type Kind int

const (
	None       Kind = iota
	Container       // an existing container's name
	NewName         // a name for a container that does not exist yet
	File            // a file path
	OptionPath      // a NixOS option path (services.openssh.enable)
	NixText         // NixOS configuration text (completes option paths inside)
	Bridge          // a host bridge interface
	Address         // an IP address
	Ports           // HOST_PORT syntax: tcp:8080:80,...
	Number
	Word      // anything else
	Interface // a host network interface (appended: the kinds' numbers stay)
)

// Arg is a positional argument.
type Arg struct {
	Name     string
	Kind     Kind
	Optional bool
	// OptionalWith names a switch that makes the argument optional
	// (start --all-autostart needs no name).
	OptionalWith string
}

// Flag is an option. Value is the placeholder of its value ("" for a switch).
// A Repeat flag may be given more than once (Invocation.Values has them
// all); Choices are the values completion offers.
type Flag struct {
	Name    string
	Value   string
	Kind    Kind
	Help    string
	Repeat  bool
	Choices []string
}

// Invocation is one call of a verb, already parsed: positional arguments,
// flag values (switches hold "1"), the words after `--`, and the streams the
// verb reads and writes. TTY says the streams are a terminal.
type Invocation struct {
	Args  []string
	Flags map[string]string   // the last value of each flag given
	Lists map[string][]string // every value of each Repeat flag, in order
	Rest  []string
	Raw   []string // every word after the verb, untouched (Raw verbs)
	// Globals are the command's global options (--root, --cluster, ...),
	// for the verbs that need them beyond the Manager (agent's TLS files).
	Globals map[string]string
	Stdio   core.Stdio
}

// Flag returns a flag's value and whether it was given.
func (in *Invocation) Flag(name string) (string, bool) {
	v, ok := in.Flags[name]
	return v, ok
}

// Values returns every value given for a flag: all of a Repeat flag's,
// else the one value (nil when the flag was not given).
func (in *Invocation) Values(name string) []string {
	if l, ok := in.Lists[name]; ok {
		return l
	}
	if v, ok := in.Flags[name]; ok {
		return []string{v}
	}
	return nil
}

// Add records a flag's value: a Repeat flag's values add up, any other
// flag keeps the last.
func (in *Invocation) Add(f *Flag, value string) {
	if in.Flags == nil {
		in.Flags = map[string]string{}
	}
	in.Flags[f.Name] = value
	if f.Repeat {
		if in.Lists == nil {
			in.Lists = map[string][]string{}
		}
		in.Lists[f.Name] = append(in.Lists[f.Name], value)
	}
}

// Switch reports whether a switch flag was given.
func (in *Invocation) Switch(name string) bool {
	_, ok := in.Flags[name]
	return ok
}

// Arg returns positional argument i or "".
func (in *Invocation) Arg(i int) string {
	if i < len(in.Args) {
		return in.Args[i]
	}
	return ""
}

// Verb is one declaration of the table.
type Verb struct {
	Name    string
	Summary string // one line, for listings
	Help    string // the longer text of `help VERB`
	Args    []Arg
	Flags   []Flag
	Rest    *Arg // words after `--` (run)
	// JSON: the verb reads state and its result prints as JSON with --json.
	JSON bool
	// Raw: the verb takes its words untouched and parses them itself (eval
	// speaks nix-instantiate's flags, which take two values).
	Raw bool
	// NoName: the verb takes no container name (list, gc, options, ...).
	NoName bool
	// Interactive: the verb needs the user's terminal (login, root-login).
	Interactive bool
	// Daemon: the verb serves until interrupted (agent); the CLI runs it,
	// Lua does not offer it.
	Daemon bool
	// Hooks are the lifecycle events the verb fires, in order.
	Hooks []string
	// Result says what Do returns on success, for the Lua docs and type stubs.
	Result Result
	// Do carries the verb out. Its result is a plain value (string, []string,
	// a struct with JSON tags, fault.ExitStatus for a passed-through exit code,
	// or nil); front ends print it as text or JSON, or turn it into Lua values.
	Do func(ctx context.Context, m *core.Manager, in *Invocation) (any, error)
}

// Result describes a verb's success value as scripts see it (converted
// through its JSON form). Type nil and Lua "" mean the verb returns nothing
// (true in Lua).
type Result struct {
	Type reflect.Type // the Go value's type, after Text/JSON conversion
	Lua  string       // the LuaLS type, when not derived from Type
	Text string       // in words
}

var (
	stringType  = reflect.TypeOf("")
	stringsType = reflect.TypeOf([]string(nil))
)

// Texter is a result that knows its text form for the CLI (when it is not
// just a string or a list of lines).
type Texter interface {
	Text() string
}

// GlobalFlags are accepted by every verb, before or after it.
var GlobalFlags = []Flag{
	{Name: "root", Value: "DIR", Kind: File, Help: "state root (default $NIXCSH_ROOT or /)"},
	{Name: "plugin-dir", Value: "DIR", Kind: File, Help: "look for plugins here first"},
	{Name: "backend", Value: "NAME", Kind: Word, Help: "where supervisors run: process or systemd (default: detect)"},
	{Name: "help", Help: "show usage"},
	{Name: "cluster", Value: "URL[,URL...]", Kind: Word, Help: "act on the nixcsh cluster whose etcd members these are (see docs/cluster.md)"},
	{Name: "etcd-cert", Value: "FILE", Kind: File, Help: "client certificate for the cluster's etcd over TLS"},
	{Name: "etcd-key", Value: "FILE", Kind: File, Help: "its private key"},
	{Name: "etcd-ca", Value: "FILE", Kind: File, Help: "the CA that signed etcd's server certificates"},
	{Name: "insecure", Help: "allow plain http:// to etcd off this host"},
}

// table holds every verb. It is assembled here, from the lists of this
// package, and by a front end's Register calls for verbs that need the
// front end (shell registers plugins and completion in shell/verbs.go).
var table = append(append(lifecycleVerbs(), configVerbs()...), agentVerb, hostsVerb)

// All returns every verb, sorted by name.
func All() []*Verb {
	out := append([]*Verb(nil), table...)
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// Lookup finds a verb by name.
func Lookup(name string) *Verb {
	for _, v := range table {
		if v.Name == name {
			return v
		}
	}
	return nil
}

// Register adds a verb of a front end's (shell/verbs.go adds plugins and
// completion), so that help, completion and the Lua module see it too. A
// name already taken panics: it is a programming error.
func Register(v *Verb) {
	if Lookup(v.Name) != nil {
		panic("verbs: duplicate verb " + v.Name)
	}
	table = append(table, v)
}

// FindFlag finds a flag of the verb or a global one.
func (v *Verb) FindFlag(name string) *Flag {
	for i := range v.Flags {
		if v.Flags[i].Name == name {
			return &v.Flags[i]
		}
	}
	if f := clusterVerbs[v.Name].flag(name); f != nil {
		return f
	}
	for i := range GlobalFlags {
		if GlobalFlags[i].Name == name {
			return &GlobalFlags[i]
		}
	}
	if v.JSON && name == "json" {
		return &jsonFlag
	}
	return nil
}

var jsonFlag = Flag{Name: "json", Help: "print the result as JSON"}

// AllFlags is the verb's flags followed by --json where it applies.
func (v *Verb) AllFlags() []Flag {
	fl := append(append([]Flag(nil), v.Flags...), clusterVerbs[v.Name].flags...)
	if v.JSON {
		fl = append(fl, jsonFlag)
	}
	return fl
}

// Usage is the verb's one-line synopsis, e.g. "run <name> -- args...".
func (v *Verb) Usage() string {
	s := v.Name
	for _, a := range v.Args {
		if a.Optional {
			s += " [" + a.Name + "]"
		} else {
			s += " <" + a.Name + ">"
		}
	}
	for _, f := range v.AllFlags() {
		if f.Value != "" {
			s += " [--" + f.Name + " " + f.Value + "]"
		} else {
			s += " [--" + f.Name + "]"
		}
	}
	if v.Rest != nil {
		s += " -- " + v.Rest.Name + "..."
	}
	return s
}
