// Package nicechattest builds callback bodies for tests of what the relay
// does with extreme ones. It is for tests only.
package nicechattest

import (
	"runtime"
	"strings"
)

// maxLevels is how many fields DeepForm nests: each takes two JSON levels
// (its object and its data array), under the envelope's two and the
// result array, so the body stays within the 10000 levels encoding/json
// reads (and nicechat.Parse accepts) as a consumer receives it.
const maxLevels = 4990

// DeepForm is a push_form of visitor 725 whose result holds one field
// group nesting as deep as a body Parse accepts may nest (4990 groups,
// each inside the previous one's data) and is size bytes long: labels pad
// each group to reach it. A body under 55 KB nests as deep as its size
// allows. It is the poison callback of issue 21, whose every group had
// its whole subtree decoded again.
func DeepForm(size int) []byte {
	const (
		head  = `{"event":"push_form","data":{"id":4242,"client":725,"label":"Deep","created":"2017-06-13T13:53:55+00:00","result":[`
		inner = `{"type":"text","label":"Name","value":"Olena"}`
		tail  = `]}}`
		open  = `{"data":[`
		close = `]}`
	)
	room := size - len(head) - len(inner) - len(tail)
	levels := min(maxLevels, max(room/(len(open)+len(close)), 0))
	pad := 0
	const labelled = `{"label":"","data":[`
	if levels > 0 {
		pad = (room - levels*(len(labelled)+len(close))) / levels
	}
	var b strings.Builder
	b.Grow(size)
	b.WriteString(head)
	for range levels {
		if pad > 0 {
			b.WriteString(`{"label":"`)
			b.WriteString(strings.Repeat("g", pad))
			b.WriteString(`","data":[`)
		} else {
			b.WriteString(open)
		}
	}
	b.WriteString(inner)
	for range levels {
		b.WriteString(close)
	}
	b.WriteString(tail)
	// The last bytes are whitespace, which every reader skips.
	if n := size - b.Len(); n > 0 {
		b.WriteString(strings.Repeat(" ", n))
	}
	return []byte(b.String())
}

// Poison is a body DeepForm builds, named for a test.
type Poison struct {
	Name string
	Body []byte
}

// Poisons are the poison form at the size issue 21 found it (55 KB) and
// near the largest body ingest accepts (250 KB). Ingest refuses both now
// (nicechat.MaxDepth); a consumer may still be handed one (queued before,
// redriven, or sent to a queue by hand) and must render it cheaply.
func Poisons() []Poison {
	return []Poison{
		{"the 55 KB poison form", DeepForm(55 << 10)},
		{"the 250 KB poison form", DeepForm(250 << 10)},
	}
}

// RenderBudget is the most a humane channel may allocate to deliver a
// poison body of bodyBytes (parse, render, encode and hand it over): a
// MiB, and 32 bytes a byte of the body. Before issue 21's fix the 55 KB
// body cost 1.7 GB on every channel (5.2 GB in Slack's threads).
func RenderBudget(bodyBytes int) uint64 { return 1<<20 + 32*uint64(bodyBytes) }

// Allocated is the bytes the process allocates while f runs, as the
// runtime counts them (runtime.MemStats.TotalAlloc): every allocation,
// however short-lived, so a measure of the work's memory that does not
// depend on when the collector runs. A test measuring it must not run in
// parallel with others.
func Allocated(f func()) uint64 {
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	f()
	runtime.ReadMemStats(&after)
	return after.TotalAlloc - before.TotalAlloc
}
