// Package golden compares rendered output with files under testdata/. It
// is for tests only: production code never imports it, so no Lambda links
// the testing package.
//
// After an intended change, rewrite the files with
//
//	UPDATE_GOLDEN=1 go test ./...
//
// and review the diff. An environment variable rather than a -update flag:
// `go test ./... -update` would fail in every package that does not
// register the flag.
package golden

import (
	"os"
	"path/filepath"
	"testing"
)

// EnvUpdate, set to 1, makes Check rewrite the golden files.
const EnvUpdate = "UPDATE_GOLDEN"

// Check compares got with the golden file testdata/<name>; with
// UPDATE_GOLDEN=1 it first rewrites the file.
func Check(t testing.TB, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if os.Getenv(EnvUpdate) == "1" {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("read golden file (run %s=1 go test to create it): %v", EnvUpdate, err)
	}
	if string(got) != string(want) {
		t.Errorf("output differs from %s (run %s=1 go test ./... if intended)\n--- got\n%s\n--- want\n%s", path, EnvUpdate, got, want)
	}
}
