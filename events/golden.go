package fixtures

import (
	"flag"
	"os"
	"path/filepath"
	"testing"
)

// update is registered here, in the package every test binary of the
// module imports, so that `go test ./... -update` runs in every package
// (a test binary refuses a flag it does not know).
var update = flag.Bool("update", false, "rewrite the golden files under testdata/")

// Golden compares got with the golden file testdata/<name>; with -update
// it first rewrites the file.
func Golden(t testing.TB, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("read golden file (run go test -update to create it): %v", err)
	}
	if string(got) != string(want) {
		t.Errorf("output differs from %s (run go test ./... -update if intended)\n--- got\n%s\n--- want\n%s", path, got, want)
	}
}
