// Command nixcsh-plugin-audit is an example nixcsh plugin: it appends every
// lifecycle event, as one JSON line, to an audit log. Build it as
// nixcsh-plugin-audit into a plugin folder; see README.md.
package main

import "github.com/nixcsh/nixcsh/plugins/sdk"

func main() { sdk.Serve(&audit{}) }
