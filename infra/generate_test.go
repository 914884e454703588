package infra_test

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/nicechat-relay/nicechat-relay/infra/generate"
	"github.com/nicechat-relay/nicechat-relay/shared/channels"
)

// What the channel list describes is generated (template.yaml's channel
// regions, ingest's routes, the channels' setting names, the README's
// channel tables); each file must be what make generate writes now, or a
// change to a channel would reach the Go side and not the stack, the
// settings or the docs.
func TestEveryGeneratedFileIsCurrent(t *testing.T) {
	files, err := generate.Files("..", channels.All)
	if err != nil {
		t.Fatalf("%s fails: %v", generate.Command, err)
	}
	for _, name := range sortedKeys(files) {
		t.Run(name, func(t *testing.T) {
			got, err := os.ReadFile(filepath.Join("..", name))
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(got, files[name]) {
				t.Errorf("%s is stale: run %s (%s)", name, generate.Command, firstDifference(got, files[name]))
			}
		})
	}
}

// firstDifference names the first line where have and want differ.
func firstDifference(have, want []byte) string {
	h, w := bytes.Split(have, []byte("\n")), bytes.Split(want, []byte("\n"))
	for i := range min(len(h), len(w)) {
		if !bytes.Equal(h[i], w[i]) {
			return fmt.Sprintf("line %d is %q, want %q", i+1, h[i], w[i])
		}
	}
	return fmt.Sprintf("%d lines, want %d", len(h), len(w))
}
