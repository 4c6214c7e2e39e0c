package shell

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/nixcsh/nixcsh/lua"
)

// TestDocs (with the -update flag of transcript_test.go) keeps the generated documentation in docs/ in step with the verb
// table, the whole table, with the verbs shell adds (verbs.go): go test
// ./shell -run TestDocs -update rewrites it.
func TestDocs(t *testing.T) {
	for file, text := range map[string]string{
		"../docs/lua.md":       lua.Markdown(),
		"../docs/nixcsh.d.lua": lua.Stubs(),
	} {
		if *update {
			if err := os.MkdirAll(filepath.Dir(file), 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(file, []byte(text), 0o644); err != nil {
				t.Fatal(err)
			}
			continue
		}
		have, err := os.ReadFile(file)
		if err != nil || string(have) != text {
			t.Errorf("%s is not up to date with the verb table; run: go test ./shell -run TestDocs -update", file)
		}
	}
}
