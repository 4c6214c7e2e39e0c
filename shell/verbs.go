package shell

import "github.com/nixcsh/nixcsh/core/verbs"

// The verb table is core/verbs' declarations plus the two verbs that need
// the shell: plugins (it lists the plugin host a session makes) and
// completion (it prints the shell's completion scripts). This is the one
// place they join the table, before anything reads it; docs_test.go checks
// that the generated Lua documentation covers the whole table.
func init() {
	verbs.Register(pluginsVerb)
	verbs.Register(completionVerb)
}
