package consumer_test

// Fault-injection tests: the real runtime and the real channels, driven
// the way Lambda's event source mapping drives them, against far ends that
// fail. Each test runs in parallel with the others: their time is mostly
// spent waiting for SQS visibility to lapse.

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ses"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"

	fixtures "github.com/nicechat-relay/nicechat-relay/events"
	"github.com/nicechat-relay/nicechat-relay/shared/consumer"
	"github.com/nicechat-relay/nicechat-relay/shared/consumer/consumertest"
	"github.com/nicechat-relay/nicechat-relay/shared/email"
	"github.com/nicechat-relay/nicechat-relay/shared/faultproxy"
	"github.com/nicechat-relay/nicechat-relay/shared/humanize"
	"github.com/nicechat-relay/nicechat-relay/shared/localaws"
	"github.com/nicechat-relay/nicechat-relay/shared/message"
	"github.com/nicechat-relay/nicechat-relay/shared/nicechat"
	"github.com/nicechat-relay/nicechat-relay/shared/slack"
	"github.com/nicechat-relay/nicechat-relay/shared/webhook"
)

// shortBackoff makes the runtime's waits short: one schedule step of 200
// ms, full jitter drawn from the test's seed. SQS visibility counts whole
// seconds and the runtime rounds up, so a retry waits 0 or 1 s.
func shortBackoff(d *faultproxy.Dice) func(*consumer.Config) {
	return func(c *consumer.Config) {
		c.Schedule = []time.Duration{200 * time.Millisecond}
		c.Jitter = d.Jitter()
	}
}

// enqueueBody sends body the way ingest does and returns its event id.
func (e *env) enqueueBody(t *testing.T, typ string, body []byte, extra map[string]string) string {
	t.Helper()
	id := nicechat.EventID(body)
	attrs := map[string]string{message.AttrEvent: typ, message.AttrEventID: id, message.AttrReceivedAt: time.Now().UTC().Format(time.RFC3339)}
	for k, v := range extra {
		attrs[k] = v
	}
	consumertest.Send(t, e.sqs, e.queue, string(body), attrs)
	return id
}

// lambdaTimeout is the consumer functions' Timeout in template.yaml: the
// deadline an invocation's context carries.
const lambdaTimeout = 30 * time.Second

// invocation is one call of the handler by the event source mapping.
type invocation struct {
	received time.Time // when the receive that made the batch returned
	ev       events.SQSEvent
	resp     events.SQSEventResponse
}

// runESM plays Lambda's event source mapping until the source queue holds
// nothing, visible or in flight: receive up to 10 visible messages, invoke
// the runtime with them, delete those it did not report failed. A message
// the runtime backed off stays invisible for the visibility it set, as in
// SQS; the loop polls every 25 ms for it. after, if not nil, runs after
// each invocation.
func (e *env) runESM(t *testing.T, within time.Duration, after func(n int, inv invocation)) []invocation {
	t.Helper()
	deadline := time.Now().Add(within)
	poll := time.NewTicker(25 * time.Millisecond)
	defer poll.Stop()
	var invs []invocation
	for {
		ev := consumertest.Receive(t, e.sqs, e.queue, 10)
		if len(ev.Records) == 0 {
			if e.queueEmpty(t) {
				return invs
			}
			if time.Now().After(deadline) {
				t.Fatalf("the source queue still holds messages after %v (%d invocations)", within, len(invs))
			}
			<-poll.C
			continue
		}
		inv := invocation{received: time.Now(), ev: ev}
		ctx, cancel := context.WithTimeout(context.Background(), lambdaTimeout)
		resp, err := e.rt.Handle(ctx, ev)
		cancel()
		if err != nil {
			t.Fatalf("handler returned an error (the whole batch would be redelivered): %v", err)
		}
		inv.resp = resp
		failed := consumertest.Failed(resp)
		for _, rec := range ev.Records {
			if slices.Contains(failed, rec.MessageId) {
				continue
			}
			if _, err := e.sqs.DeleteMessage(context.Background(), &sqs.DeleteMessageInput{QueueUrl: aws.String(e.queue), ReceiptHandle: aws.String(rec.ReceiptHandle)}); err != nil {
				t.Fatalf("delete %s: %v", rec.MessageId, err)
			}
		}
		invs = append(invs, inv)
		if after != nil {
			after(len(invs), inv)
		}
	}
}

// queueCount reads one of the source queue's message counts.
func (e *env) queueCount(t *testing.T, name sqstypes.QueueAttributeName) int {
	t.Helper()
	out, err := e.sqs.GetQueueAttributes(context.Background(), &sqs.GetQueueAttributesInput{
		QueueUrl: aws.String(e.queue), AttributeNames: []sqstypes.QueueAttributeName{name},
	})
	if err != nil {
		t.Fatalf("queue attribute %s: %v", name, err)
	}
	n, err := strconv.Atoi(out.Attributes[string(name)])
	if err != nil {
		t.Fatalf("queue attribute %s = %q: %v", name, out.Attributes[string(name)], err)
	}
	return n
}

// queueEmpty reports whether the source queue holds no message, in flight
// or visible. It reads the in-flight count first, in its own call: a
// message may turn visible between two reads (and then the second read
// counts it), while only a receive, and this loop is the only receiver,
// hides it again. Read the other way round, or in one call, a message
// turning visible in between would be counted by neither.
func (e *env) queueEmpty(t *testing.T) bool {
	return e.queueCount(t, sqstypes.QueueAttributeNameApproximateNumberOfMessagesNotVisible) == 0 &&
		e.queueCount(t, sqstypes.QueueAttributeNameApproximateNumberOfMessages) == 0
}

// hit is one request a fault sink received and what it answered.
type hit struct {
	at     time.Time // when the request arrived
	key    string    // the event it carried
	body   []byte
	status int
}

// faultSink is an HTTP endpoint that answers what answer says and records
// every request; key tells which event a request carries.
type faultSink struct {
	*httptest.Server
	mu   sync.Mutex
	hits []hit
	// duplicates counts, as requests arrive, those for an event already
	// answered with a 2xx.
	duplicates int
}

func newFaultSink(t *testing.T, key func(r *http.Request, body []byte) string, answer func(key string, w http.ResponseWriter) int) *faultSink {
	s := &faultSink{}
	s.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		at := time.Now()
		body, _ := io.ReadAll(r.Body)
		k := key(r, body)
		s.mu.Lock()
		for _, h := range s.hits {
			if h.key == k && ok2xx(h.status) {
				s.duplicates++
				break
			}
		}
		s.mu.Unlock()
		status := answer(k, w)
		s.mu.Lock()
		s.hits = append(s.hits, hit{at: at, key: k, body: body, status: status})
		s.mu.Unlock()
	}))
	t.Cleanup(s.Close)
	return s
}

func (s *faultSink) recorded() ([]hit, int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.hits), s.duplicates
}

func ok2xx(status int) bool { return status >= 200 && status < 300 }

// duplicatesIn counts, from the hits alone, the requests for an event that
// came after a 2xx for it.
func duplicatesIn(hits []hit) int {
	answered := map[string]bool{}
	n := 0
	for _, h := range hits {
		if answered[h.key] {
			n++
		}
		answered[h.key] = answered[h.key] || ok2xx(h.status)
	}
	return n
}

func TestWebhookHalfFailingSinkLosesNothing(t *testing.T) {
	t.Parallel()
	start := time.Now()
	dice := faultproxy.NewDice(t)
	// Each request fails with probability 1/2, decided by the seed, the
	// event id and the event's attempt number, so a seed replays a run
	// whatever order the runtime's concurrent deliveries arrive in.
	s := newFaultSink(t,
		func(r *http.Request, _ []byte) string { return r.Header.Get(webhook.HeaderWebhookID) },
		func(id string, w http.ResponseWriter) int {
			_, r := dice.Roll(id)
			if r.IntN(2) == 0 {
				status := []int{http.StatusInternalServerError, http.StatusServiceUnavailable}[r.IntN(2)]
				http.Error(w, "injected fault", status)
				return status
			}
			return http.StatusOK
		})
	// An event is lost only if all MaxAttempts attempts fail: 2^-30 per
	// event, under 4e-8 for the 40 events of a run.
	const events, maxAttempts = 40, 30
	e := newEnv(t, webhookTo(t, s.URL), func(c *consumer.Config) {
		shortBackoff(dice)(c)
		c.MaxAttempts = maxAttempts
	})
	sent := map[string][]byte{}
	for i := range events {
		typ := nicechat.KnownTypes[i%len(nicechat.KnownTypes)]
		body := fixtures.Variant(typ, i)
		sent[e.enqueueBody(t, typ, body, nil)] = body
	}
	if len(sent) != events {
		t.Fatalf("%d distinct event ids for %d events", len(sent), events)
	}

	invs := e.runESM(t, 25*time.Second, nil)

	hits, counted := s.recorded()
	attempts := map[string]int{}
	delivered := map[string]int{}
	failures := 0
	for _, h := range hits {
		want, known := sent[h.key]
		if !known {
			t.Errorf("the sink got an event that was never sent: webhook-id %q", h.key)
			continue
		}
		if !bytes.Equal(h.body, want) {
			t.Errorf("%s arrived changed:\n got %q\nwant %q", h.key, h.body, want)
		}
		attempts[h.key]++
		if ok2xx(h.status) {
			delivered[h.key]++
		} else {
			failures++
		}
	}
	for id := range sent {
		if delivered[id] == 0 {
			t.Errorf("%s was never delivered (%d attempts)", id, attempts[id])
		}
	}
	if failures == 0 {
		t.Error("the sink failed no request: the test injected nothing")
	}
	if letters := e.deadLetters(t); len(letters) != 0 {
		t.Errorf("%d dead letters, want none: %+v", len(letters), letters[0].Failure)
	}
	// With the event source mapping's semantics a 2xx'd message is deleted
	// at once: it could come back only if its visibility (30 s) ran out
	// before the delete, or if the runtime reported it failed.
	if computed := duplicatesIn(hits); counted != computed || counted != 0 {
		t.Errorf("duplicates: the sink counted %d, its records show %d; want 0", counted, computed)
	}
	if got := outcomes(t, e.logs); count(got, consumer.OutcomeDelivered) != len(hits)-failures || count(got, consumer.OutcomeRetried) != failures {
		t.Errorf("the runtime logged %d delivered and %d retried, the sink answered %d 2xx and %d failures",
			count(got, consumer.OutcomeDelivered), count(got, consumer.OutcomeRetried), len(hits)-failures, failures)
	}
	most := 0
	for _, n := range attempts {
		most = max(most, n)
	}
	t.Logf("seed %d: %d events, %d attempts at the sink (%d answered 500/503), most attempts for one event %d, %d duplicates, %d invocations, %v",
		dice.Seed(), events, len(hits), failures, most, counted, len(invs), time.Since(start).Round(time.Millisecond))
}

// itemFailures reports every record of ev failed.
func itemFailures(ev events.SQSEvent) []events.SQSBatchItemFailure {
	out := make([]events.SQSBatchItemFailure, len(ev.Records))
	for i, rec := range ev.Records {
		out[i].ItemIdentifier = rec.MessageId
	}
	return out
}

func count(xs []string, x string) int {
	n := 0
	for _, v := range xs {
		if v == x {
			n++
		}
	}
	return n
}

func TestSlack429RetryAfterHoldsEveryPostAndDropsNothing(t *testing.T) {
	t.Parallel()
	start := time.Now()
	dice := faultproxy.NewDice(t)
	const retryAfter = 2 * time.Second // longer than any backoff the schedule gives (1 s)
	opts := humanize.Options{Location: time.UTC}

	// The sink tells events apart by their payload, which the test
	// renders the way the channel does.
	payloads := map[string]string{} // payload -> event id
	bodies := map[string][]byte{}
	for i, typ := range nicechat.KnownTypes {
		body := fixtures.Variant(typ, i)
		ev, err := nicechat.Parse(body)
		if err != nil {
			t.Fatal(err)
		}
		p, err := json.Marshal(slack.Payload(ev, opts))
		if err != nil {
			t.Fatal(err)
		}
		payloads[string(p)] = ev.ID
		bodies[ev.ID] = body
	}
	if len(payloads) != len(nicechat.KnownTypes) {
		t.Fatalf("payloads are not distinct")
	}
	var mu sync.Mutex
	posts := 0
	s := newFaultSink(t,
		func(_ *http.Request, body []byte) string { return payloads[string(body)] },
		func(_ string, w http.ResponseWriter) int {
			mu.Lock()
			posts++
			first := posts == 1
			mu.Unlock()
			if first {
				w.Header().Set("Retry-After", fmt.Sprint(retryAfter.Seconds()))
				http.Error(w, "rate_limited", http.StatusTooManyRequests)
				return http.StatusTooManyRequests
			}
			_, _ = io.WriteString(w, "ok")
			return http.StatusOK
		})
	ch, err := slack.New(slack.Config{WebhookURL: s.URL, Timeout: 5 * time.Second, Interval: 10 * time.Millisecond, Humanize: opts}, slack.Deps{})
	if err != nil {
		t.Fatal(err)
	}
	e := newEnv(t, ch, func(c *consumer.Config) {
		shortBackoff(dice)(c)
		c.Concurrency = 1 // as the Slack Lambda runs
	})
	for i, typ := range nicechat.KnownTypes {
		e.enqueueBody(t, typ, fixtures.Variant(typ, i), nil)
	}

	// Right after the batch that met the 429, the queue holds every
	// message in flight and a receive finds none.
	var hiddenAfter429 int
	invs := e.runESM(t, 20*time.Second, func(n int, _ invocation) {
		if n != 1 {
			return
		}
		hiddenAfter429 = e.queueCount(t, sqstypes.QueueAttributeNameApproximateNumberOfMessagesNotVisible)
		if ev := consumertest.Receive(t, e.sqs, e.queue, 10); len(ev.Records) != 0 {
			t.Errorf("right after the 429 a receive found %d messages, want none", len(ev.Records))
			consumertest.Release(t, e.sqs, e.queue, ev, events.SQSEventResponse{BatchItemFailures: itemFailures(ev)})
		}
	})

	hits, _ := s.recorded()
	if len(hits) == 0 || hits[0].status != http.StatusTooManyRequests {
		t.Fatalf("the first post was not the 429: %d posts", len(hits))
	}
	t429 := hits[0].at
	// These lower bounds are guaranteed by the code, not timings: the
	// channel holds every post until Retry-After has passed since it read
	// the 429, and the runtime hides each message for at least that long
	// from when it changes the visibility, which is after the 429 arrived.
	for _, h := range hits[1:] {
		if gap := h.at.Sub(t429); gap < retryAfter {
			t.Errorf("a post came %v after the 429, before its Retry-After of %v", gap, retryAfter)
		}
	}
	if len(invs) < 2 {
		t.Fatalf("%d invocations, want the 429's batch and a later one", len(invs))
	}
	if gap := invs[1].received.Sub(t429); gap < retryAfter {
		t.Errorf("messages came back %v after the 429, before its Retry-After of %v", gap, retryAfter)
	}
	if hiddenAfter429 != len(bodies) {
		t.Errorf("right after the 429, %d messages in flight, want %d", hiddenAfter429, len(bodies))
	}
	// The others are hidden for what is left of the hold, which the
	// reappearance above covers.
	if c := e.rec.changes(); len(c) == 0 || time.Duration(c[0])*time.Second < retryAfter {
		t.Errorf("visibility changes %v: the message that met the 429 must be hidden for its Retry-After of %v", c, retryAfter)
	}
	delivered := map[string]int{}
	for _, h := range hits {
		if h.key == "" {
			t.Errorf("the sink got a payload the test did not render: %s", h.body)
		}
		if ok2xx(h.status) {
			delivered[h.key]++
		}
	}
	for id := range bodies {
		if delivered[id] != 1 {
			t.Errorf("%s reached Slack %d times, want exactly once", id, delivered[id])
		}
	}
	if letters := e.deadLetters(t); len(letters) != 0 {
		t.Errorf("%d dead letters, want none", len(letters))
	}
	t.Logf("seed %d: %d events, %d posts at the sink (1 answered 429), last post %v after the 429, %d invocations, %v",
		dice.Seed(), len(bodies), len(hits), hits[len(hits)-1].at.Sub(t429).Round(time.Millisecond), len(invs), time.Since(start).Round(time.Millisecond))
}

const emailSender = "relay@example.com"

// sesThrough is an SES client of moto through proxy p with the SDK's own
// retries off (RetryMaxAttempts 1): the deployed email Lambda keeps the
// SDK's 3 attempts, which would hide a short throttling from the runtime.
func sesThrough(t *testing.T, p *faultproxy.Proxy) *ses.Client {
	return ses.NewFromConfig(localaws.Config(t), func(o *ses.Options) {
		o.BaseEndpoint = aws.String(p.URL)
		o.RetryMaxAttempts = 1
	})
}

var recipients atomic.Int64

// uniqueRecipient is an address no other test sends to, as tests share
// one moto.
func uniqueRecipient() string {
	return fmt.Sprintf("owner-%d-%d@example.com", time.Now().UnixNano(), recipients.Add(1))
}

func TestEmailThrottledBySESIsRetriedUntilSent(t *testing.T) {
	t.Parallel()
	start := time.Now()
	dice := faultproxy.NewDice(t)
	if _, err := localaws.SES(t).VerifyEmailIdentity(context.Background(), &ses.VerifyEmailIdentityInput{EmailAddress: aws.String(emailSender)}); err != nil {
		t.Fatalf("verify sender: %v", err)
	}
	const throttled = 2
	p := faultproxy.New(t, localaws.Endpoint(t), func(c faultproxy.Call) *faultproxy.Answer {
		if c.Action == "SendEmail" && c.N <= throttled {
			return faultproxy.SESError(http.StatusBadRequest, "Sender", "Throttling", "Maximum sending rate exceeded.")
		}
		return nil
	})
	to := uniqueRecipient()
	e := newEnv(t, newEmail(t, email.Config{From: emailSender, To: []string{to}}, sesThrough(t, p)), func(c *consumer.Config) {
		shortBackoff(dice)(c)
		c.Concurrency = 1 // as the email Lambda runs
	})
	body := fixtures.Variant(nicechat.TypeNewOrder, 0)
	e.enqueueBody(t, nicechat.TypeNewOrder, body, map[string]string{message.AttrFormat: string(message.FormatTech)})

	invs := e.runESM(t, 20*time.Second, nil)

	passed, faulted := p.Count("SendEmail")
	if passed != 1 || faulted != throttled {
		t.Errorf("SendEmail reached SES %d times after %d throttles, want 1 after %d", passed, faulted, throttled)
	}
	mails := localaws.SentEmails(t, to)
	if len(mails) != 1 {
		t.Fatalf("SES sent %d messages to %s, want 1", len(mails), to)
	}
	if compactJSON(t, []byte(mails[0].Body)) != compactJSON(t, body) {
		t.Errorf("the email is not the event:\n%s", mails[0].Body)
	}
	want := slices.Repeat([]string{consumer.OutcomeRetried}, throttled)
	if got := outcomes(t, e.logs); !slices.Equal(got, append(want, consumer.OutcomeDelivered)) {
		t.Errorf("outcomes = %v, want %d retried then delivered", got, throttled)
	}
	for _, l := range jsonLines(t, e.logs) {
		if l["outcome"] == consumer.OutcomeRetried && (l["status"] != "Throttling" || l["error"] != "SES Throttling: Maximum sending rate exceeded.") {
			t.Errorf("a retry logged status %v error %v, want SES's throttling", l["status"], l["error"])
		}
	}
	if letters := e.deadLetters(t); len(letters) != 0 {
		t.Errorf("%d dead letters, want none: %+v", len(letters), letters[0].Failure)
	}
	t.Logf("seed %d: 1 event, %d SendEmail calls (%d throttled), %d invocations, %v",
		dice.Seed(), passed+faulted, faulted, len(invs), time.Since(start).Round(time.Millisecond))
}

func TestEmailRefusedBySESWithoutABreakerIsDeadLetteredOnceAndNeverSent(t *testing.T) {
	t.Parallel()
	dice := faultproxy.NewDice(t)
	// moto, like SES, rejects a Source that is not verified with
	// MessageRejected; the proxy only counts the calls.
	p := faultproxy.New(t, localaws.Endpoint(t), nil)
	to := uniqueRecipient()
	e := newEnv(t, newEmail(t, email.Config{From: "stranger@unverified.example", To: []string{to}}, sesThrough(t, p)), func(c *consumer.Config) {
		shortBackoff(dice)(c)
		c.Concurrency = 1
	})
	body := fixtures.Variant(nicechat.TypeFirstMessage, 0)
	id := e.enqueueBody(t, nicechat.TypeFirstMessage, body, map[string]string{message.AttrFormat: string(message.FormatHuman)})

	e.runESM(t, 20*time.Second, nil)

	if passed, _ := p.Count("SendEmail"); passed != 1 {
		t.Errorf("SendEmail called %d times, want 1: a rejected message is not retried", passed)
	}
	if mails := localaws.SentEmails(t, to); len(mails) != 0 {
		t.Errorf("SES sent %d messages, want none", len(mails))
	}
	letters := e.deadLetters(t)
	if len(letters) != 1 {
		t.Fatalf("%d dead letters, want exactly 1", len(letters))
	}
	l := letters[0]
	// last_status is SES's code rather than the 400 it came with.
	if f := l.Failure; f.Class != "misconfigured" || f.Status != "MessageRejected" || f.Error != "SES MessageRejected: Email address not verified stranger@unverified.example (fix EMAIL_FROM (or EMAIL_TO, while SES is in the sandbox))" || f.Attempts != 1 || f.Channel != "email" {
		t.Errorf("failure = %+v, want misconfigured, MessageRejected, after 1 attempt", f)
	}
	if l.EventID != id || !bytes.Equal(l.Body, body) || aws.ToString(l.Attributes[message.AttrFormat].StringValue) != "human" {
		t.Errorf("dead letter lost the message: id %s format %v body %q", l.EventID, l.Attributes[message.AttrFormat].StringValue, l.Body)
	}
}

func compactJSON(t *testing.T, b []byte) string {
	t.Helper()
	var out bytes.Buffer
	if err := json.Compact(&out, b); err != nil {
		t.Fatalf("not JSON: %v\n%s", err, b)
	}
	return out.String()
}

func newEmail(t *testing.T, cfg email.Config, client email.Sender) *email.Channel {
	t.Helper()
	ch, err := email.New(cfg, email.Deps{SES: client})
	if err != nil {
		t.Fatal(err)
	}
	return ch
}
