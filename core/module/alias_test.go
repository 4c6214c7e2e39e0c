package module_test

import "testing"

// TestAliasOption: an option declared with AliasOf (users.extraUsers) is
// another name of its target: definitions of both merge, priorities
// included, and reading either gives the merged value.
func TestAliasOption(t *testing.T) {
	c := mustEval(t, map[string]string{"configuration.nix": template("foo", `
  users.extraUsers.alice = { isNormalUser = true; extraGroups = [ "a" ]; };
  users.users.alice.extraGroups = [ "b" ];
  users.extraUsers.bob.description = lib.mkForce "forced";
  users.users.bob.description = "plain";`)})
	if get(t, c, "users.users.alice.isNormalUser") != true {
		t.Errorf("the alias's definition did not reach users.users: %v", get(t, c, "users.users.alice"))
	}
	if g := get(t, c, "users.users.alice.extraGroups").([]any); len(g) != 2 {
		t.Errorf("extraGroups %v, want both definitions merged", g)
	}
	if d := get(t, c, "users.users.bob.description"); d != "forced" {
		t.Errorf("mkForce through the alias gave %v", d)
	}
	if d := get(t, c, "users.extraUsers.bob.description"); d != "forced" {
		t.Errorf("reading the alias gave %v", d)
	}
}
