// Command generate writes what the channel list describes (make generate):
// template.yaml's channel regions, shared/ingest/routes.go,
// shared/settings/channels_gen.go, the README's channel tables and the
// NoEcho parameters infra/samconfig.toml names. It runs from the
// repository's root.
package main

import (
	"bytes"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/nicechat-relay/nicechat-relay/infra/generate"
	"github.com/nicechat-relay/nicechat-relay/shared/channels"
)

func main() {
	if err := run("."); err != nil {
		fmt.Fprintln(os.Stderr, "generate:", err)
		os.Exit(1)
	}
}

func run(root string) error {
	files, err := generate.Files(root, channels.All)
	if err != nil {
		return err
	}
	var written []string
	for _, name := range slices.Sorted(maps.Keys(files)) {
		path := filepath.Join(root, name)
		if old, err := os.ReadFile(path); err == nil && bytes.Equal(old, files[name]) {
			continue
		}
		if err := os.WriteFile(path, files[name], 0o644); err != nil {
			return err
		}
		written = append(written, name)
	}
	if len(written) == 0 {
		fmt.Println("generate: every file is current")
		return nil
	}
	fmt.Println("generate: wrote", strings.Join(written, ", "))
	return nil
}
