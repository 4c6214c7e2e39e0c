// Command nixcsh is nixos-container for any systemd Linux host, with a shell,
// Lua scripting and plugins. Everything lives in shell.Main.
package main

import (
	"os"

	"github.com/nixcsh/nixcsh/shell"
)

func main() {
	os.Exit(shell.Main(os.Args, os.Stdin, os.Stdout, os.Stderr))
}
