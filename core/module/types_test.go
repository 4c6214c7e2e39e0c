package module

import "testing"

func TestDescriptionsMatchNixpkgs(t *testing.T) {
	for _, c := range []struct {
		t    *Type
		want string
	}{
		{ListOf(Port()), "list of 16 bit unsigned integer; between 0 and 65535 (both inclusive)"},
		{ListOf(NullOr(Str())), "list of (null or string)"},
		{NullOr(Either(Package(), Path())), "null or package or path"},
		{AttrsOf(ListOf(Str())), "attribute set of list of string"},
		{ListOf(Enum("a", "b")), `list of (one of "a", "b")`},
		{Either(Enum("a", "b"), Int()), `one of "a", "b", or signed integer`},
		{OneOf(Str(), Int(), Bool()), "string or signed integer or boolean"},
		{Either(Str(), ListOf(Str())), "string or list of string"},
		{NullOr(Int()), "null or signed integer"},
		{Lines(), `strings concatenated with "\n"`},
		{Submodule(), "submodule"},
		{AttrsOf(Submodule()), "attribute set of (submodule)"},
	} {
		if got := c.t.Description(); got != c.want {
			t.Errorf("got %q, want %q", got, c.want)
		}
	}
}
