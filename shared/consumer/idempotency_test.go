package consumer_test

import (
	"context"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"

	"github.com/nicechat-relay/nicechat-relay/shared/awsjson"
	"github.com/nicechat-relay/nicechat-relay/shared/consumer"
	"github.com/nicechat-relay/nicechat-relay/shared/consumer/consumertest"
	"github.com/nicechat-relay/nicechat-relay/shared/dlq"
	"github.com/nicechat-relay/nicechat-relay/shared/idempotency"
	"github.com/nicechat-relay/nicechat-relay/shared/localaws"
	"github.com/nicechat-relay/nicechat-relay/shared/nicechat"
)

// clock is a settable time for the runtime and, through it, the store.
type clock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *clock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.now }

func (c *clock) Advance(d time.Duration) { c.mu.Lock(); defer c.mu.Unlock(); c.now = c.now.Add(d) }

// idempotentEnv is a webhook runtime on fresh queues with the idempotency
// table made the way the template makes it, on a settable clock.
func idempotentEnv(t *testing.T, s *sink) (*env, idempotency.Store, *clock) {
	t.Helper()
	store := idempotency.NewTable(awsjson.New(localaws.Config(t), awsjson.DynamoDB, nil), localaws.IdempotencyTable(t))
	c := &clock{now: time.Now().Truncate(time.Second)}
	e := newEnv(t, webhookTo(t, s.URL), func(cfg *consumer.Config) {
		cfg.Idempotency, cfg.IdempotencyWindow, cfg.Now = store, time.Hour, c.Now
	})
	return e, store, c
}

func accept(_ int, _ []byte, w http.ResponseWriter) { w.WriteHeader(http.StatusNoContent) }

func TestARedeliveredMessageIsNotDeliveredTwice(t *testing.T) {
	s := newSink(t, accept)
	e, _, _ := idempotentEnv(t, s)
	e.enqueue(t, nicechat.TypeFirstMessage, nil)
	ev := consumertest.Receive(t, e.sqs, e.queue, 10)

	// SQS hands the same message out again, as after a Lambda timeout
	// that happened once the endpoint had it.
	for range 2 {
		resp, err := e.rt.Handle(context.Background(), ev)
		if err != nil || len(resp.BatchItemFailures) != 0 {
			t.Fatalf("Handle = %+v, %v; want every record done", resp, err)
		}
	}
	if n := len(s.requests()); n != 1 {
		t.Errorf("the endpoint got %d POSTs, want 1", n)
	}
	if got := outcomes(t, e.logs); len(got) != 2 || got[0] != consumer.OutcomeDelivered || got[1] != consumer.OutcomeDuplicate {
		t.Errorf("outcomes = %v, want delivered then duplicate", got)
	}
	if n := metricTotal(t, e, consumer.MetricDuplicate); n != 1 {
		t.Errorf("Duplicate metric = %v, want 1", n)
	}
}

// claimsSeen is a store that tells each claim made through it.
type claimsSeen struct {
	idempotency.Store
	claims chan struct{}
}

func (c claimsSeen) Claim(ctx context.Context, key string, now time.Time, hold time.Duration) (idempotency.Record, bool, error) {
	r, ok, err := c.Store.Claim(ctx, key, now, hold)
	select {
	case c.claims <- struct{}{}:
	default:
	}
	return r, ok, err
}

func TestACallbackSentTwiceIsDeliveredOnce(t *testing.T) {
	// The endpoint answers once both records have claimed the event, so
	// the two run at once however busy the machine (the second must not
	// find the first already delivered).
	claims := make(chan struct{}, 2)
	s := newSink(t, func(n int, b []byte, w http.ResponseWriter) {
		for range 2 {
			select {
			case <-claims:
			case <-time.After(20 * time.Second):
			}
		}
		accept(n, b, w)
	})
	store := claimsSeen{idempotency.NewTable(awsjson.New(localaws.Config(t), awsjson.DynamoDB, nil), localaws.IdempotencyTable(t)), claims}
	e := newEnv(t, webhookTo(t, s.URL), func(cfg *consumer.Config) {
		cfg.Idempotency, cfg.IdempotencyWindow = store, time.Hour
	})
	// Nice Chat sent the same body twice: two messages, one event id.
	e.enqueue(t, nicechat.TypeNewOrder, nil)
	e.enqueue(t, nicechat.TypeNewOrder, nil)

	ev, resp := e.drive(t)
	if len(ev.Records) != 2 {
		t.Fatalf("received %d records, want 2", len(ev.Records))
	}
	// Both ran at once: one delivered, the other waits for it.
	if len(resp.BatchItemFailures) != 1 {
		t.Fatalf("failures %v, want the waiting one", resp.BatchItemFailures)
	}
	consumertest.Release(t, e.sqs, e.queue, ev, resp)
	if _, resp := e.drive(t); len(resp.BatchItemFailures) != 0 {
		t.Fatalf("failures %v on the second look, want it recognised as delivered", resp.BatchItemFailures)
	}
	if n := len(s.requests()); n != 1 {
		t.Errorf("the endpoint got %d POSTs, want 1", n)
	}
	if n := e.sourceCount(t); n != 0 {
		t.Errorf("the queue still holds %d messages", n)
	}
}

func TestConcurrentBatchesOfOneEventPostItOnce(t *testing.T) {
	// The first POST is held until the other instance has looked.
	release := make(chan struct{})
	var posts atomic.Int32
	s := newSink(t, func(n int, _ []byte, w http.ResponseWriter) {
		posts.Add(1)
		<-release
		w.WriteHeader(http.StatusNoContent)
	})
	t.Cleanup(func() {
		select {
		case <-release:
		default:
			close(release)
		}
	})
	e, store, _ := idempotentEnv(t, s)
	other := consumer.New(consumer.Config{QueueURL: e.queue, DLQURL: e.dlq, Metrics: e.metrics, Idempotency: store}, webhookTo(t, s.URL), e.rec, discardLog())
	e.enqueue(t, nicechat.TypeUnanswered, nil)
	e.enqueue(t, nicechat.TypeUnanswered, nil)
	first := consumertest.Receive(t, e.sqs, e.queue, 1)
	second := consumertest.Receive(t, e.sqs, e.queue, 1)
	if len(first.Records) != 1 || len(second.Records) != 1 {
		t.Fatalf("batches of %d and %d records, want 1 each", len(first.Records), len(second.Records))
	}

	done := make(chan struct{})
	go func() { defer close(done); _, _ = e.rt.Handle(context.Background(), first) }()
	eventually(t, "the first instance is posting", func() bool { return posts.Load() == 1 })
	resp, err := other.Handle(context.Background(), second)
	if err != nil || len(resp.BatchItemFailures) != 1 {
		t.Errorf("the second instance answered %+v, %v; want its record back on the queue to look again later", resp, err)
	}
	close(release)
	<-done
	if n := posts.Load(); n != 1 {
		t.Errorf("the endpoint got %d POSTs, want 1", n)
	}
}

func TestAClaimLeftByACrashExpiresAndTheNextAttemptDelivers(t *testing.T) {
	s := newSink(t, accept)
	e, store, c := idempotentEnv(t, s)
	_, eventID := e.enqueue(t, nicechat.TypeNewChat, nil)
	// An instance claimed the event and died before delivering it.
	if _, ok, err := store.Claim(context.Background(), eventID+"#webhook", c.Now(), 20*time.Second); err != nil || !ok {
		t.Fatalf("claim: %v, %v", ok, err)
	}

	ev, resp := e.drive(t)
	if len(resp.BatchItemFailures) != 1 || len(s.requests()) != 0 {
		t.Fatalf("while the claim holds: failures %v, %d POSTs; want the message back and nothing posted", resp.BatchItemFailures, len(s.requests()))
	}
	if got := e.rec.changes(); len(got) != 1 || got[0] < 20 || got[0] > 22 {
		t.Errorf("visibility changes %v, want one of about the claim's remaining 20 s", got)
	}
	c.Advance(21 * time.Second)
	consumertest.Release(t, e.sqs, e.queue, ev, resp)
	if _, resp := e.drive(t); len(resp.BatchItemFailures) != 0 {
		t.Fatalf("failures %v once the claim expired", resp.BatchItemFailures)
	}
	if n := len(s.requests()); n != 1 {
		t.Errorf("the endpoint got %d POSTs, want 1", n)
	}
}

func TestAnUnreachableStoreRetriesWithoutDelivering(t *testing.T) {
	s := newSink(t, accept)
	down := awsjson.New(aws.Config{
		Region: localaws.Region, Credentials: credentials.NewStaticCredentialsProvider("x", "y", ""),
		BaseEndpoint: aws.String("http://" + localaws.FreeAddr(t)), RetryMaxAttempts: 1,
	}, awsjson.DynamoDB, nil)
	e := newEnv(t, webhookTo(t, s.URL), func(cfg *consumer.Config) {
		cfg.Idempotency = idempotency.NewTable(down, "relay-idempotency")
	})
	e.enqueue(t, nicechat.TypeFirstMessage, nil)
	_, resp := e.drive(t)
	if len(resp.BatchItemFailures) != 1 || len(s.requests()) != 0 {
		t.Errorf("failures %v, %d POSTs; want the message retried and nothing posted", resp.BatchItemFailures, len(s.requests()))
	}
	if got := outcomes(t, e.logs); len(got) != 1 || got[0] != consumer.OutcomeRetried {
		t.Errorf("outcomes %v, want retried", got)
	}
	if !containsLog(t, e, "DynamoDB table relay-idempotency") {
		t.Errorf("no log line names the table: %s", e.logs)
	}
	if len(e.rec.changes()) != 1 {
		t.Errorf("visibility changes %v, want one backoff", e.rec.changes())
	}
}

func TestADeadLetterRedrivenIsDelivered(t *testing.T) {
	var refused atomic.Bool
	refused.Store(true)
	s := newSink(t, func(_ int, _ []byte, w http.ResponseWriter) {
		if refused.Load() {
			w.WriteHeader(http.StatusUnprocessableEntity)
			return
		}
		w.WriteHeader(http.StatusNoContent)
	})
	e, _, _ := idempotentEnv(t, s)
	e.enqueue(t, nicechat.TypePushForm, nil)
	if _, resp := e.drive(t); len(resp.BatchItemFailures) != 0 {
		t.Fatalf("failures %v, want the 422 dead-lettered", resp.BatchItemFailures)
	}
	refused.Store(false) // the endpoint was fixed

	moved, _, _, err := dlq.Queue{Client: e.sqs, URL: e.dlq}.Redrive(context.Background(), e.queue, func(dlq.Letter) bool { return true }, false)
	if err != nil || len(moved) != 1 {
		t.Fatalf("redrive moved %d: %v", len(moved), err)
	}
	if _, resp := e.drive(t); len(resp.BatchItemFailures) != 0 {
		t.Fatalf("failures %v after the redrive", resp.BatchItemFailures)
	}
	if n := len(s.requests()); n != 2 {
		t.Errorf("the endpoint got %d POSTs, want the refused one and the redriven one", n)
	}
	if got := outcomes(t, e.logs); len(got) != 2 || got[1] != consumer.OutcomeDelivered {
		t.Errorf("outcomes %v, want dead_lettered then delivered", got)
	}
}

func TestOnceTheWindowHasPassedTheEventIsDeliveredAgain(t *testing.T) {
	s := newSink(t, accept)
	e, _, c := idempotentEnv(t, s) // a window of an hour
	e.enqueue(t, nicechat.TypeNewVisitor, nil)
	e.drive(t)
	e.enqueue(t, nicechat.TypeNewVisitor, nil)
	e.drive(t)
	if n := len(s.requests()); n != 1 {
		t.Fatalf("within the window the endpoint got %d POSTs, want 1", n)
	}
	c.Advance(time.Hour + time.Second)
	e.enqueue(t, nicechat.TypeNewVisitor, nil)
	e.drive(t)
	if n := len(s.requests()); n != 2 {
		t.Errorf("after the window the endpoint got %d POSTs, want 2", n)
	}
}

func discardLog() *slog.Logger { return slog.New(slog.DiscardHandler) }

// containsLog reports whether a log line holds text.
func containsLog(t *testing.T, e *env, text string) bool {
	t.Helper()
	return strings.Contains(e.logs.String(), text)
}

// metricTotal sums one EMF metric over the lines written.
func metricTotal(t *testing.T, e *env, name string) float64 {
	t.Helper()
	total := 0.0
	for _, l := range jsonLines(t, e.metrics) {
		v, _ := l[name].(float64)
		total += v
	}
	return total
}

// eventually polls cond until it holds, failing after 20 s.
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(20 * time.Second); !cond(); time.Sleep(10 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting until %s", what)
		}
	}
}
