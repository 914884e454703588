package dlq_test

import (
	"context"
	"testing"

	"github.com/nicechat-relay/nicechat-relay/shared/consumer/consumertest"
	"github.com/nicechat-relay/nicechat-relay/shared/dlq"
	"github.com/nicechat-relay/nicechat-relay/shared/localaws"
	"github.com/nicechat-relay/nicechat-relay/shared/message"
	"github.com/nicechat-relay/nicechat-relay/shared/nicechat"
)

func TestLettersAreKnownByTheirBodysID(t *testing.T) {
	genuine := `{"event":"new_order","data":{"id":1}}`
	forged := `{"event":"new_order","data":{"id":666}}`
	bare := `{"event":"new_chat","data":{"id":2}}`
	client := localaws.SQS(t)
	q := dlq.Queue{Client: client, URL: localaws.Queue(t, "dlq")}
	consumertest.Send(t, client, q.URL, genuine, map[string]string{message.AttrEventID: nicechat.EventIDString(genuine)})
	consumertest.Send(t, client, q.URL, forged, map[string]string{message.AttrEventID: nicechat.EventIDString(genuine)})
	consumertest.Send(t, client, q.URL, bare, map[string]string{message.AttrEvent: "new_chat"})

	tests := []struct {
		name        string
		id          string
		wantBody    string
		wantClaimed string
	}{
		{"the genuine event's id finds its letter alone", nicechat.EventIDString(genuine), genuine, nicechat.EventIDString(genuine)},
		{"a letter claiming another event's id is found by its own", nicechat.EventIDString(forged), forged, nicechat.EventIDString(genuine)},
		{"a letter without an event_id attribute is found by its body's id", nicechat.EventIDString(bare), bare, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			found, err := q.Find(context.Background(), tt.id)
			if err != nil {
				t.Fatal(err)
			}
			if len(found) != 1 || string(found[0].Body) != tt.wantBody {
				var bodies []string
				for _, l := range found {
					bodies = append(bodies, string(l.Body))
				}
				t.Fatalf("Find(%s) = %q, want only %s", tt.id, bodies, tt.wantBody)
			}
			if l := found[0]; l.EventID != tt.id || l.ClaimedEventID != tt.wantClaimed {
				t.Errorf("letter EventID %q, ClaimedEventID %q; want %q, %q", l.EventID, l.ClaimedEventID, tt.id, tt.wantClaimed)
			}
		})
	}
}
