// Command nixcsh-plugin-guard is an example nixcsh plugin that refuses
// risky verbs: starting a container when the host is short of memory or a
// port it forwards is taken, and destroying a protected container. Build it
// as nixcsh-plugin-guard into a plugin folder; see README.md.
package main

import "github.com/nixcsh/nixcsh/plugins/sdk"

func main() { sdk.Serve(&guard{}) }
