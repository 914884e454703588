package consumer_test

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	fixtures "github.com/nicechat-relay/nicechat-relay/events"
	"github.com/nicechat-relay/nicechat-relay/shared/awsjson"
	"github.com/nicechat-relay/nicechat-relay/shared/consumer"
	"github.com/nicechat-relay/nicechat-relay/shared/consumer/consumertest"
	"github.com/nicechat-relay/nicechat-relay/shared/dlq"
	"github.com/nicechat-relay/nicechat-relay/shared/idempotency"
	"github.com/nicechat-relay/nicechat-relay/shared/localaws"
	"github.com/nicechat-relay/nicechat-relay/shared/message"
	"github.com/nicechat-relay/nicechat-relay/shared/nicechat"
	"github.com/nicechat-relay/nicechat-relay/shared/webhook"
)

// receipt is one POST an endpoint got: its webhook-id and body.
type receipt struct {
	webhookID string
	body      string
}

// receipts is a webhook endpoint that answers status and records what it
// got.
type receipts struct {
	mu  sync.Mutex
	got []receipt
}

func newReceipts(t *testing.T, status int) (*receipts, string) {
	t.Helper()
	r := &receipts{}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		body, _ := io.ReadAll(req.Body)
		r.mu.Lock()
		r.got = append(r.got, receipt{req.Header.Get(webhook.HeaderWebhookID), string(body)})
		r.mu.Unlock()
		w.WriteHeader(status)
	}))
	t.Cleanup(srv.Close)
	return r, srv.URL
}

func (r *receipts) all() []receipt {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Clone(r.got)
}

// storeEnv is a webhook runtime posting to url, on fresh queues, with the
// idempotency table made the way the template makes it.
func storeEnv(t *testing.T, url string) *env {
	t.Helper()
	store := idempotency.NewTable(awsjson.New(localaws.Config(t), awsjson.DynamoDB, nil), localaws.IdempotencyTable(t))
	return newEnv(t, webhookTo(t, url), func(cfg *consumer.Config) {
		cfg.Idempotency, cfg.IdempotencyWindow = store, time.Hour
	})
}

// eventIDWarnings are the log lines that say a message's event_id
// attribute was missing or not its body's id.
func eventIDWarnings(t *testing.T, e *env) []map[string]any {
	t.Helper()
	var out []map[string]any
	for _, l := range jsonLines(t, e.logs) {
		if msg, _ := l["msg"].(string); strings.Contains(msg, "event_id attribute") {
			out = append(out, l)
		}
	}
	return out
}

func TestAnEventIDClaimedByAnotherBodyDoesNotBlockTheGenuineEvent(t *testing.T) {
	genuine := string(fixtures.Body(nicechat.TypeNewOrder))
	genuineID := nicechat.EventIDString(genuine)
	// Any other body: what someone able to send to the queue, or to put a
	// letter in its DLQ, sends under the genuine event's id.
	other := string(fixtures.Body(nicechat.TypeNewVisitor))
	otherID := nicechat.EventIDString(other)
	attrs := func(id string) map[string]string {
		a := map[string]string{message.AttrEvent: nicechat.TypeNewVisitor, message.AttrReceivedAt: "2026-01-02T03:04:05Z"}
		if id != "" {
			a[message.AttrEventID] = id
		}
		return a
	}

	tests := []struct {
		name        string
		send        func(t *testing.T, e *env) // puts the other body in the way, then it is delivered
		wantClaimed string                     // the claimed id the warning names; "" for no warning
		wantMsg     string
	}{
		{"a message sent to the queue under the genuine event's id", func(t *testing.T, e *env) {
			consumertest.Send(t, e.sqs, e.queue, other, attrs(genuineID))
		}, genuineID, "is not its body's id"},
		{"a letter put in the DLQ under the genuine event's id and redriven", func(t *testing.T, e *env) {
			letter := attrs(genuineID)
			letter[dlq.AttrChannel], letter[dlq.AttrFailureClass], letter[dlq.AttrAttempts] = "webhook", "exhausted", "8"
			consumertest.Send(t, e.sqs, e.dlq, other, letter)
			moved, _, _, err := dlq.Queue{Client: e.sqs, URL: e.dlq}.Redrive(context.Background(), e.queue, func(dlq.Letter) bool { return true }, false)
			if err != nil || len(moved) != 1 {
				t.Fatalf("redrive moved %d: %v", len(moved), err)
			}
		}, genuineID, "is not its body's id"},
		{"a message without an event_id attribute", func(t *testing.T, e *env) {
			consumertest.Send(t, e.sqs, e.queue, other, attrs(""))
		}, "", "has no event_id attribute"},
		{"a message whose attribute is its body's id", func(t *testing.T, e *env) {
			consumertest.Send(t, e.sqs, e.queue, other, attrs(otherID))
		}, otherID, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, url := newReceipts(t, http.StatusNoContent)
			e := storeEnv(t, url)

			tt.send(t, e)
			if _, resp := e.drive(t); len(resp.BatchItemFailures) != 0 {
				t.Fatalf("the other body: failures %v, want it delivered", resp.BatchItemFailures)
			}
			consumertest.Send(t, e.sqs, e.queue, genuine, map[string]string{message.AttrEvent: nicechat.TypeNewOrder, message.AttrEventID: genuineID})
			if _, resp := e.drive(t); len(resp.BatchItemFailures) != 0 {
				t.Fatalf("the genuine event: failures %v, want it delivered", resp.BatchItemFailures)
			}

			want := []receipt{{otherID, other}, {genuineID, genuine}}
			if r := got.all(); !slices.Equal(r, want) {
				t.Errorf("the endpoint got %d POSTs (webhook-ids %v), want the other body under %s, then the genuine one under %s", len(r), webhookIDs(r), otherID, genuineID)
			}
			if got := outcomes(t, e.logs); !slices.Equal(got, []string{consumer.OutcomeDelivered, consumer.OutcomeDelivered}) {
				t.Errorf("outcomes %v, want both delivered", got)
			}
			warnings := eventIDWarnings(t, e)
			if tt.wantMsg == "" {
				if len(warnings) != 0 {
					t.Errorf("warned %v about a message whose attribute is its body's id", warnings)
				}
				return
			}
			if len(warnings) != 1 {
				t.Fatalf("%d warnings about the event_id attribute, want 1:\n%s", len(warnings), e.logs)
			}
			w := warnings[0]
			if w["level"] != "WARN" || w["event_id"] != otherID || w["claimed_event_id"] != tt.wantClaimed || w["channel"] != "webhook" || !strings.Contains(w["msg"].(string), tt.wantMsg) {
				t.Errorf("warning %v, want WARN %q with event_id %s, claimed_event_id %q, channel webhook", w, tt.wantMsg, otherID, tt.wantClaimed)
			}
			for _, l := range jsonLines(t, e.logs) {
				if id, ok := l["event_id"]; ok && id != otherID && id != genuineID {
					t.Errorf("a log line names event %v, neither body's id: %v", id, l)
				}
			}
		})
	}
}

func webhookIDs(r []receipt) []string {
	var ids []string
	for _, x := range r {
		ids = append(ids, x.webhookID)
	}
	return ids
}

func TestADeadLetterCarriesItsBodysEventID(t *testing.T) {
	body := string(fixtures.Body(nicechat.TypePushForm))
	claimed := nicechat.EventIDString(string(fixtures.Body(nicechat.TypeNewOrder)))
	tests := []struct {
		name  string
		attrs map[string]string
	}{
		{"claimed under another event's id", map[string]string{message.AttrEvent: nicechat.TypePushForm, message.AttrEventID: claimed}},
		{"sent without an event_id attribute", map[string]string{message.AttrEvent: nicechat.TypePushForm}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, url := newReceipts(t, http.StatusUnprocessableEntity)
			e := storeEnv(t, url)
			consumertest.Send(t, e.sqs, e.queue, body, tt.attrs)
			if _, resp := e.drive(t); len(resp.BatchItemFailures) != 0 {
				t.Fatalf("failures %v, want the 422 dead-lettered", resp.BatchItemFailures)
			}
			letters := e.deadLetters(t)
			if len(letters) != 1 {
				t.Fatalf("%d dead letters, want 1", len(letters))
			}
			if want := nicechat.EventIDString(body); letters[0].ClaimedEventID != want {
				t.Errorf("the dead letter's event_id attribute is %q, want its body's id %s", letters[0].ClaimedEventID, want)
			}
		})
	}
}
