package slack

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/nicechat-relay/nicechat-relay/shared/ingest"
	"github.com/nicechat-relay/nicechat-relay/shared/message"
	"github.com/nicechat-relay/nicechat-relay/shared/nicechat"
	"github.com/nicechat-relay/nicechat-relay/shared/slack/slacktest"
)

// largestOrder is a new_order of visitor as large as ingest accepts by
// default, whose one currency fills it: its step's label would be that
// long. Emoji take four bytes a character, "<" six in the record's JSON.
func largestOrder(t *testing.T, visitor int64, n int) message.Message {
	t.Helper()
	head := fmt.Sprintf(`{"event":"new_order","data":{"id":%d,"client":%d,"order_date":"2017-06-13T13:53:55+00:00","products":[{"title":"Lamp","price":1,"currency":"<`, 1000+n, visitor)
	const tail = `"}]}}`
	room := ingest.DefaultMaxBodyBytes - len(head) - len(tail)
	body := []byte(head + strings.Repeat("🎉", room/4) + strings.Repeat("<", room%4) + tail)
	if len(body) != ingest.DefaultMaxBodyBytes {
		t.Fatalf("the order is %d bytes, want %d", len(body), ingest.DefaultMaxBodyBytes)
	}
	if _, err := nicechat.ParseCallback(body); err != nil {
		t.Fatalf("ingest would refuse the order: %v", err)
	}
	return message.Message{Body: body, Event: nicechat.TypeNewOrder, EventID: nicechat.EventID(body), ReceivedAt: time.Now()}
}

func TestAVisitorsLargestOrdersKeepTheThreadRecordWithinItsBoundsAndLaterEventsSave(t *testing.T) {
	for _, st := range threadStores {
		t.Run(st.name, func(t *testing.T) {
			api := slacktest.New(t, botToken, channelID)
			store := st.open(t)
			ch := threaded(t, api, store)
			deliverAsSQSWould(t, ch, visitorMessage(nicechat.TypeFirstMessage, 725))
			for n := range 3 {
				deliverAsSQSWould(t, ch, largestOrder(t, 725, n))
			}
			deliverAsSQSWould(t, ch, visitorMessage(nicechat.TypeUnanswered, 725))
			deliverAsSQSWould(t, ch, visitorMessage(nicechat.TypePushForm, 725))

			roots := api.Roots()
			if len(roots) != 1 || len(api.Replies(roots[0].TS)) != 5 {
				t.Fatalf("%d roots, %d messages; want one thread of the six events", len(roots), len(api.Messages()))
			}
			doc, err := store.LoadDoc(context.Background(), threadKey(channelID, 725), time.Now())
			if err != nil {
				t.Fatal(err)
			}
			if len(doc.Data) > maxRecordBytes {
				t.Errorf("the thread record is %d bytes, over its bound of %d", len(doc.Data), maxRecordBytes)
			}
			var th thread
			if err := json.Unmarshal(doc.Data, &th); err != nil || len(th.Steps) != 6 {
				t.Fatalf("thread record of %d steps (%v); want the six", len(th.Steps), err)
			}
			for _, s := range th.Steps {
				if len(s.Label) > maxLabelBytes || !utf8.ValidString(s.Label) || s.Posted == "" {
					t.Errorf("step %s: label of %d bytes (valid UTF-8: %v), posted %q", s.Type, len(s.Label), utf8.ValidString(s.Label), s.Posted)
				}
				if s.Type == nicechat.TypeNewOrder && (!strings.HasPrefix(s.Label, "order 1.00 <🎉") || !strings.HasSuffix(s.Label, "🎉…")) {
					t.Errorf("order label %q; want the total cut after a whole character, with an ellipsis", s.Label)
				}
			}
			sum := api.Summary(roots[0])
			if !strings.HasPrefix(sum, "first message → unanswered → order 1.00 &lt;🎉") ||
				!strings.HasSuffix(sum, "→ form There are no operators available now") || utf8.RuneCountInString(sum) > maxSectionText {
				t.Errorf("summary = %q; want every step, the orders cut, within Slack's %d characters", sum, maxSectionText)
			}
		})
	}
}

func TestAThreadRecordStaysWithinItsBytesCountingTheStepsItDrops(t *testing.T) {
	tests := []struct {
		name        string
		label       string
		steps       int
		wantDropped bool
	}{
		{"short labels, fewer steps than maxSteps", "order 10.00 UAH", maxSteps, false},
		{"short labels, more steps than maxSteps", "order 10.00 UAH", maxSteps + 7, true},
		{"the longest labels, every byte escaped in JSON", strings.Repeat("<", maxLabelBytes), maxSteps, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var th thread
			th.TS, th.Opener, th.OpenBy = "1503435956.000247", "evt_"+strings.Repeat("a", 26)+"@1733000000000000000", 1733000000000
			for i := range tt.steps {
				th.add(step{Event: fmt.Sprintf("evt_%026d", i), Type: nicechat.TypeNewOrder, At: int64(i), Label: tt.label, Posted: "1503435956.000248"})
				if last := th.Steps[len(th.Steps)-1]; last.Event != fmt.Sprintf("evt_%026d", i) {
					t.Fatalf("step %d was not kept: the last is %s", i, last.Event)
				}
			}
			raw, _ := json.Marshal(th)
			if len(raw) > maxRecordBytes || len(th.Steps) > maxSteps {
				t.Errorf("the record is %d bytes of %d steps; want at most %d and %d", len(raw), len(th.Steps), maxRecordBytes, maxSteps)
			}
			if len(th.Steps)+th.Earlier != tt.steps || (th.Earlier > 0) != tt.wantDropped {
				t.Errorf("%d steps kept and %d counted as earlier, of %d added", len(th.Steps), th.Earlier, tt.steps)
			}
			want := fmt.Sprintf("_%d earlier steps_ → ", tt.steps-shownSteps)
			if got := api(summary(&th, linkOpts.Catalog())); !strings.HasPrefix(got, want) {
				t.Errorf("summary = %.80q; want it to count every step not named: %q", got, want)
			}
		})
	}
}

func TestVisitorsAboveTwoToThe53GetTheirOwnThreads(t *testing.T) {
	api := slacktest.New(t, botToken, channelID)
	ch := threaded(t, api, threadStores[1].open(t))
	for _, visitor := range []int64{9007199254740993, 9007199254740992} {
		deliverAsSQSWould(t, ch, visitorMessage(nicechat.TypeFirstMessage, visitor))
	}
	if roots := api.Roots(); len(roots) != 2 {
		t.Errorf("%d threads for visitors 9007199254740993 and 9007199254740992; want one each", len(roots))
	}
}
