package lua

import (
	"context"
	"encoding/json"
	"io"
	"reflect"
	"strings"
	"testing"

	"github.com/nixcsh/nixcsh/core"
	"github.com/nixcsh/nixcsh/core/verbs"
)

// Every verb Lua offers has its result documented, and the help names it.
func TestEveryVerbDocumented(t *testing.T) {
	help := Help()
	offered, refused := luaVerbsDocumented()
	for _, v := range offered {
		if v.Result.Text == "" {
			t.Errorf("verb %s: its result is not described (Result in the verb table)", v.Name)
		}
		if !strings.Contains(help, luaUsage(v)) {
			t.Errorf("help lua does not show %s", luaUsage(v))
		}
	}
	for _, v := range luaVerbs() {
		for _, h := range helpers {
			if LuaName(v.Name) == h.name {
				t.Errorf("verb %s has the Lua name of the helper nixcsh.%s", v.Name, h.name)
			}
		}
		if _, ok := aliases[LuaName(v.Name)]; ok {
			t.Errorf("verb %s has the Lua name of an alias", v.Name)
		}
	}
	for _, v := range refused {
		if !strings.Contains(help, v.Name) {
			t.Errorf("help lua does not say %s is unavailable", v.Name)
		}
	}
}

// The documented result tables have the keys the verbs really return.
func TestResultDocsMatchResults(t *testing.T) {
	root := t.TempDir()
	m := core.NewManager(root, io.Discard)
	ctx := context.Background()
	do := func(verb string, args []string, flags map[string]string) any {
		t.Helper()
		if flags == nil {
			flags = map[string]string{}
		}
		res, err := verbs.Lookup(verb).Do(ctx, m, &verbs.Invocation{Args: args, Flags: flags})
		if err != nil {
			t.Fatalf("%s: %v", verb, err)
		}
		return res
	}
	check := func(verb string, res any) {
		t.Helper()
		want := verbs.Lookup(verb).Result.Type
		if want == nil {
			t.Fatalf("%s: no documented type", verb)
		}
		switch want.Kind() {
		case reflect.String, reflect.Slice:
			// Strings and lists are converted as they are (a container list
			// becomes its names).
			got := reflect.TypeOf(toLuaShape(res))
			if got != want {
				t.Errorf("%s returns %v, documented %v", verb, got, want)
			}
			return
		}
		b, _ := json.Marshal(res)
		var keys map[string]any
		if err := json.Unmarshal(b, &keys); err != nil {
			t.Fatalf("%s: result is not a table: %s", verb, b)
		}
		documented := map[string]bool{}
		for _, f := range jsonFields(want) {
			documented[f.name] = true
		}
		for k := range keys {
			if !documented[k] {
				t.Errorf("%s returns field %q, which %s does not document", verb, k, luaType(want))
			}
		}
	}
	check("create", do("create", []string{"web"}, map[string]string{"config": "services.httpd.enable = true;"}))
	check("list", do("list", nil, nil))
	check("status", do("status", []string{"web"}, nil))
	check("show-ip", do("show-ip", []string{"web"}, nil))
	check("info", do("info", []string{"web"}, nil))
	check("update", do("update", []string{"web"}, nil))
}

// toLuaShape is the Go form of what toLua makes of a string or list result.
func toLuaShape(res any) any {
	switch r := res.(type) {
	case verbs.Names:
		out := make([]string, len(r))
		for i, x := range r {
			out[i] = x.Name
		}
		return out
	}
	return res
}

// The LuaLS stubs are Lua: they must parse.
func TestStubsParse(t *testing.T) {
	if _, err := compileOnly(Stubs()); err != nil {
		t.Errorf("docs/nixcsh.d.lua does not parse: %v", err)
	}
}
