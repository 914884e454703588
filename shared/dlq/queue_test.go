package dlq_test

import (
	"context"
	"fmt"
	"os"
	"slices"
	"testing"

	"github.com/nicechat-relay/nicechat-relay/shared/consumer/consumertest"
	"github.com/nicechat-relay/nicechat-relay/shared/dlq"
	"github.com/nicechat-relay/nicechat-relay/shared/localaws"
	"github.com/nicechat-relay/nicechat-relay/shared/message"
	"github.com/nicechat-relay/nicechat-relay/shared/nicechat"
)

func TestMain(m *testing.M) { os.Exit(localaws.Main(m)) }

// filled is a DLQ of fresh queues holding n letters with distinct bodies,
// read 10 at most at a time, and their event ids, sorted.
func filled(t *testing.T, n int) (dlq.Queue, string, []string) {
	t.Helper()
	client := localaws.SQS(t)
	q := dlq.Queue{Client: client, URL: localaws.Queue(t, "dlq"), Max: 10}
	var ids []string
	for i := range n {
		body := fmt.Sprintf(`{"n":%d}`, i)
		id := nicechat.EventIDString(body)
		consumertest.Send(t, client, q.URL, body, map[string]string{message.AttrEventID: id})
		ids = append(ids, id)
	}
	slices.Sort(ids)
	return q, localaws.Queue(t, "src"), ids
}

func eventIDs(letters []dlq.Letter) []string {
	var ids []string
	for _, l := range letters {
		ids = append(ids, l.EventID)
	}
	slices.Sort(ids)
	return ids
}

func TestRedriveHoldsAtMostMaxLettersButSendsBackAny(t *testing.T) {
	const n = 25
	tests := []struct {
		name      string
		pick      bool
		dryRun    bool
		wantMoved int
		wantRead  int
		wantMore  bool
		wantLeft  int
	}{
		{"sending back every letter is not bounded by Max", true, false, n, n, false, 0},
		{"picking none stops once Max letters are held", false, false, 0, 10, true, n},
		{"a dry run holds every letter, so Max bounds it", true, true, 10, 10, true, n},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			q, source, ids := filled(t, n)
			ctx := context.Background()
			moved, read, more, err := q.Redrive(ctx, source, func(dlq.Letter) bool { return tt.pick }, tt.dryRun)
			if err != nil {
				t.Fatal(err)
			}
			if len(moved) != tt.wantMoved || read != tt.wantRead || more != tt.wantMore {
				t.Errorf("moved %d, read %d, more %v; want %d, %d, %v", len(moved), read, more, tt.wantMoved, tt.wantRead, tt.wantMore)
			}
			all := dlq.Queue{Client: q.Client, URL: q.URL, Max: 100}
			left, _, err := all.List(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if len(left) != tt.wantLeft {
				t.Errorf("%d letters left in the DLQ, want %d", len(left), tt.wantLeft)
			}
			if tt.wantLeft == n && !slices.Equal(eventIDs(left), ids) {
				t.Errorf("the DLQ holds %v, want every letter back: %v", eventIDs(left), ids)
			}
		})
	}
}
