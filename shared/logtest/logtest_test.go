package logtest_test

import (
	"strings"
	"sync"
	"testing"

	"github.com/nicechat-relay/nicechat-relay/shared/logtest"
)

func TestBufferKeepsEveryConcurrentWrite(t *testing.T) {
	var b logtest.Buffer
	var wg sync.WaitGroup
	for range 50 {
		wg.Go(func() {
			_, _ = b.Write([]byte("line\n"))
			_ = b.String()
		})
	}
	wg.Wait()
	if n := strings.Count(b.String(), "line\n"); n != 50 {
		t.Fatalf("%d lines kept, want 50", n)
	}
}
