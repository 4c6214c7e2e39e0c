package main

import (
	"os"

	"github.com/nixcsh/nixcsh/core/nix"
)

func main() {
	wd, _ := os.Getwd()
	os.Exit(nix.Instantiate(os.Args[1:], os.Stdin, os.Stdout, os.Stderr, os.Getenv, wd))
}
