package dlq_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"slices"
	"strings"
	"testing"

	"github.com/nicechat-relay/nicechat-relay/shared/consumer/consumertest"
	"github.com/nicechat-relay/nicechat-relay/shared/dlq"
	"github.com/nicechat-relay/nicechat-relay/shared/ingest"
	"github.com/nicechat-relay/nicechat-relay/shared/localaws"
	"github.com/nicechat-relay/nicechat-relay/shared/message"
	"github.com/nicechat-relay/nicechat-relay/shared/nicechat"
)

const quarantineToken = "test-token-0123456789-abcdefgh"

// refuse posts body to a real ingest whose quarantine is q (its size
// limit 4096 bytes) and returns the refusal.
func refuse(t *testing.T, q dlq.Quarantine, body string) *ingest.Error {
	t.Helper()
	vars := map[string]string{
		"CALLBACK_TOKEN": quarantineToken, "QUARANTINE_QUEUE_URL": q.URL, "MAX_BODY_BYTES": "4096",
		"WEBHOOK_EVENTS": "*", "WEBHOOK_QUEUE_URL": localaws.Queue(t, "webhook"),
	}
	cfg, err := ingest.LoadConfig(func(k string) string { return vars[k] })
	if err != nil {
		t.Fatal(err)
	}
	svc := ingest.New(cfg, localaws.SQS(t), slog.New(slog.NewJSONHandler(io.Discard, nil)))
	_, err = svc.Accept(context.Background(), ingest.Callback{Token: quarantineToken, Body: body})
	var refusal *ingest.Error
	if !errors.As(err, &refusal) || refusal.Kind == ingest.KindUnavailable {
		t.Fatalf("ingest answered %v, want a refusal it quarantined", err)
	}
	return refusal
}

func TestQuarantinedCallbacksReadAsIngestKeptThem(t *testing.T) {
	big := `{"event":"new_chat","data":{"id":1,"pad":"` + strings.Repeat("я", 3000) + `"}}`
	notUTF8 := "{\"event\":\"new_chat\",\"data\":{\"id\":1,\"n\":\"\xff\xfe\"}}"
	tests := []struct {
		name      string
		body      string
		status    string
		field     string
		encoding  string
		truncated bool
	}{
		{"a body that is not JSON", "event=new_chat&id=1", "400", "", "text", false},
		{"an envelope with a field at fault", `{"event":"new_chat","data":{"id":"109"}}`, "400", "data.id", "text", false},
		{"a body that is not UTF-8, kept as base64, read back as its bytes", notUTF8, "400", "", dlq.EncodingBase64, false},
		{"an empty body, kept as a space, read back empty", "", "400", "", "text", false},
		{"a body over the limit, cut, known by the id ingest answered", big, "413", "", "text", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			q := dlq.Quarantine{Client: localaws.SQS(t), URL: localaws.Queue(t, "quarantine")}
			refusal := refuse(t, q, tt.body)
			found, err := q.Find(context.Background(), refusal.EventID)
			if err != nil {
				t.Fatal(err)
			}
			if len(found) != 1 {
				t.Fatalf("Find(%s) found %d callbacks, want the one ingest refused", refusal.EventID, len(found))
			}
			c := found[0]
			if c.Status != tt.status || c.Reason != refusal.Reason || c.Field != tt.field || c.Encoding != tt.encoding || c.Truncated != tt.truncated {
				t.Errorf("status %q, reason %q, field %q, encoding %q, truncated %v; want %q, %q, %q, %q, %v",
					c.Status, c.Reason, c.Field, c.Encoding, c.Truncated, tt.status, refusal.Reason, tt.field, tt.encoding, tt.truncated)
			}
			if c.BodyBytes != len(tt.body) || c.ReceivedAt.IsZero() || c.ClaimedEventID != refusal.EventID {
				t.Errorf("body_bytes %d, received_at %v, event_id %q; want %d, a time, %q", c.BodyBytes, c.ReceivedAt, c.ClaimedEventID, len(tt.body), refusal.EventID)
			}
			switch {
			case tt.truncated:
				if c.IDChecked || len(c.Body) == 0 || len(c.Body) > 4096 || !strings.HasPrefix(tt.body, string(c.Body)) {
					t.Errorf("a cut body: %d bytes kept, id checked %v; want a prefix of at most 4096 bytes, its id unchecked", len(c.Body), c.IDChecked)
				}
			case string(c.Body) != tt.body || !c.IDChecked:
				t.Errorf("body %q (id checked %v), want %q exactly, known by its own id", c.Body, c.IDChecked, tt.body)
			}
		})
	}
}

func TestAQuarantinedCallbackIsKnownByItsBodysID(t *testing.T) {
	genuine := `{"event":"new_order","data":{"id":"1"}}`
	forged := `{"event":"new_order","data":{"id":"666"}}`
	client := localaws.SQS(t)
	q := dlq.Quarantine{Client: client, URL: localaws.Queue(t, "quarantine")}
	attrs := func(claimed string) map[string]string {
		return map[string]string{message.AttrEventID: claimed, dlq.AttrStatus: "400", dlq.AttrReason: "data.id must be an integer", dlq.AttrBodyEncoding: "text", dlq.AttrTruncated: "false"}
	}
	consumertest.Send(t, client, q.URL, genuine, attrs(nicechat.EventIDString(genuine)))
	consumertest.Send(t, client, q.URL, forged, attrs(nicechat.EventIDString(genuine)))

	found, err := q.Find(context.Background(), nicechat.EventIDString(genuine))
	if err != nil {
		t.Fatal(err)
	}
	if len(found) != 1 || string(found[0].Body) != genuine {
		t.Fatalf("found %d callbacks, want only the genuine one", len(found))
	}
	found, err = q.Find(context.Background(), nicechat.EventIDString(forged))
	if err != nil {
		t.Fatal(err)
	}
	if len(found) != 1 || string(found[0].Body) != forged || found[0].ClaimedEventID != nicechat.EventIDString(genuine) {
		t.Fatalf("found %+v, want the forged one by its own id, its claim kept", found)
	}
}

// quarantined is a quarantine of a fresh queue holding n refused
// callbacks with distinct bodies, held 10 at most at a time, and their ids,
// sorted.
func quarantined(t *testing.T, n int) (dlq.Quarantine, []string) {
	t.Helper()
	client := localaws.SQS(t)
	q := dlq.Quarantine{Client: client, URL: localaws.Queue(t, "quarantine"), Max: 10}
	var ids []string
	for i := range n {
		body := fmt.Sprintf(`{"n":%d}`, i)
		consumertest.Send(t, client, q.URL, body, map[string]string{message.AttrEventID: nicechat.EventIDString(body), dlq.AttrStatus: "400", dlq.AttrReason: "event is required"})
		ids = append(ids, nicechat.EventIDString(body))
	}
	slices.Sort(ids)
	return q, ids
}

func quarantinedIDs(cs []dlq.Quarantined) []string {
	var ids []string
	for _, c := range cs {
		ids = append(ids, c.EventID)
	}
	slices.Sort(ids)
	return ids
}

func TestListingTheQuarantineLeavesEveryCallbackThere(t *testing.T) {
	const n = 25
	q, ids := quarantined(t, n)
	ctx := context.Background()
	first, more, err := q.List(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(first) != 10 || !more {
		t.Errorf("listed %d, more %v; want Max (10) and more", len(first), more)
	}
	all := dlq.Quarantine{Client: q.Client, URL: q.URL, Max: 100}
	for range 2 { // listed twice: nothing is lost by a listing
		got, more, err := all.List(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(quarantinedIDs(got), ids) || more {
			t.Fatalf("listed %d (more %v), want every one of the %d", len(got), more, n)
		}
	}
}

func TestPurgeDeletesWhatItPicksAndNothingElse(t *testing.T) {
	const n = 25
	all := func([]string) func(dlq.Quarantined) bool { return func(dlq.Quarantined) bool { return true } }
	tests := []struct {
		name        string
		max         int
		pick        func(ids []string) func(dlq.Quarantined) bool
		dryRun      bool
		wantDeleted int
		wantRead    int
		wantMore    bool
	}{
		{"deleting every callback is not bounded by Max", 10, all, false, n, n, false},
		{"an id deletes its callback alone", 100, func(ids []string) func(dlq.Quarantined) bool {
			return func(c dlq.Quarantined) bool { return c.EventID == ids[3] }
		}, false, 1, n, false},
		{"a dry run deletes nothing, and Max bounds what it holds", 10, all, true, 10, 10, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			q, ids := quarantined(t, n)
			q.Max = tt.max
			ctx := context.Background()
			deleted, read, more, err := q.Purge(ctx, tt.pick(ids), tt.dryRun)
			if err != nil {
				t.Fatal(err)
			}
			if len(deleted) != tt.wantDeleted || read != tt.wantRead || more != tt.wantMore {
				t.Errorf("deleted %d, read %d, more %v; want %d, %d, %v", len(deleted), read, more, tt.wantDeleted, tt.wantRead, tt.wantMore)
			}
			everything := dlq.Quarantine{Client: q.Client, URL: q.URL, Max: 100}
			left, _, err := everything.List(ctx)
			if err != nil {
				t.Fatal(err)
			}
			want := ids
			if !tt.dryRun {
				want = slices.DeleteFunc(slices.Clone(ids), func(id string) bool {
					return slices.ContainsFunc(deleted, func(d dlq.Quarantined) bool { return d.EventID == id })
				})
			}
			if got := quarantinedIDs(left); !slices.Equal(got, want) {
				t.Errorf("the quarantine holds %d callbacks, want the %d not deleted", len(got), len(want))
			}
		})
	}
}
