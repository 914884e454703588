package consumer_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"maps"
	"net/http"
	"net/http/httptest"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/service/sqs"

	fixtures "github.com/nicechat-relay/nicechat-relay/events"
	"github.com/nicechat-relay/nicechat-relay/shared/consumer"
	"github.com/nicechat-relay/nicechat-relay/shared/consumer/consumertest"
	"github.com/nicechat-relay/nicechat-relay/shared/delivery"
	"github.com/nicechat-relay/nicechat-relay/shared/dlq"
	"github.com/nicechat-relay/nicechat-relay/shared/localaws"
	"github.com/nicechat-relay/nicechat-relay/shared/message"
	"github.com/nicechat-relay/nicechat-relay/shared/nicechat"
	"github.com/nicechat-relay/nicechat-relay/shared/webhook"
)

func TestMain(m *testing.M) { os.Exit(localaws.Main(m)) }

// sink is a webhook endpoint that answers what respond says and records
// every request.
type sink struct {
	*httptest.Server
	mu      sync.Mutex
	bodies  [][]byte
	respond func(n int, body []byte, w http.ResponseWriter)
}

func newSink(t *testing.T, respond func(n int, body []byte, w http.ResponseWriter)) *sink {
	s := &sink{respond: respond}
	s.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		s.mu.Lock()
		s.bodies = append(s.bodies, body)
		n := len(s.bodies)
		s.mu.Unlock()
		s.respond(n, body, w)
	}))
	t.Cleanup(s.Close)
	return s
}

func (s *sink) requests() [][]byte {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.bodies)
}

// eventType reads the "event" field of a body the sink received.
func eventType(body []byte) string {
	var e struct{ Event string }
	_ = json.Unmarshal(body, &e)
	return e.Event
}

// recordingSQS is the real SQS client with the visibility changes the
// runtime requests written down.
type recordingSQS struct {
	*sqs.Client
	mu         sync.Mutex
	visibility []int32
}

func (r *recordingSQS) ChangeMessageVisibility(ctx context.Context, in *sqs.ChangeMessageVisibilityInput, opts ...func(*sqs.Options)) (*sqs.ChangeMessageVisibilityOutput, error) {
	r.mu.Lock()
	r.visibility = append(r.visibility, in.VisibilityTimeout)
	r.mu.Unlock()
	return r.Client.ChangeMessageVisibility(ctx, in, opts...)
}

func (r *recordingSQS) changes() []int32 {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Clone(r.visibility)
}

type env struct {
	sqs     *sqs.Client
	rec     *recordingSQS
	queue   string
	dlq     string
	logs    *bytes.Buffer
	metrics *bytes.Buffer
	rt      *consumer.Runtime
}

// newEnv builds a runtime for ch on fresh queues; tune adjusts the config.
func newEnv(t *testing.T, ch delivery.Channel, tune func(*consumer.Config)) *env {
	t.Helper()
	e := &env{sqs: localaws.SQS(t), queue: localaws.Queue(t, "src"), dlq: localaws.Queue(t, "dlq"), logs: &bytes.Buffer{}, metrics: &bytes.Buffer{}}
	e.rec = &recordingSQS{Client: e.sqs}
	cfg := consumer.Config{
		QueueURL: e.queue,
		DLQURL:   e.dlq,
		Metrics:  e.metrics,
		Jitter:   func(step time.Duration) time.Duration { return step },
	}
	if tune != nil {
		tune(&cfg)
	}
	e.rt = consumer.New(cfg, ch, e.rec, slog.New(slog.NewJSONHandler(e.logs, nil)))
	return e
}

func webhookTo(t *testing.T, url string) *webhook.Channel {
	t.Helper()
	ch, err := webhook.New(webhook.Config{URL: url, Timeout: 5 * time.Second}, webhook.Deps{})
	if err != nil {
		t.Fatalf("webhook.New: %v", err)
	}
	return ch
}

// enqueue sends a fixture event the way ingest does and returns its
// message id and event id.
func (e *env) enqueue(t *testing.T, typ string, extra map[string]string) (string, string) {
	t.Helper()
	body := string(fixtures.Body(typ))
	id := nicechat.EventID([]byte(body))
	attrs := map[string]string{message.AttrEvent: typ, message.AttrEventID: id, message.AttrReceivedAt: "2026-01-02T03:04:05Z"}
	for k, v := range extra {
		attrs[k] = v
	}
	return consumertest.Send(t, e.sqs, e.queue, body, attrs), id
}

func (e *env) drive(t *testing.T) (events.SQSEvent, events.SQSEventResponse) {
	t.Helper()
	return consumertest.Drive(context.Background(), t, e.sqs, e.queue, e.rt.Handle)
}

func (e *env) deadLetters(t *testing.T) []dlq.Letter {
	t.Helper()
	var letters []dlq.Letter
	for _, m := range consumertest.Drain(t, e.sqs, e.dlq) {
		letters = append(letters, dlq.Parse(m))
	}
	return letters
}

func (e *env) sourceCount(t *testing.T) int {
	t.Helper()
	return len(consumertest.Drain(t, e.sqs, e.queue))
}

func jsonLines(t *testing.T, b *bytes.Buffer) []map[string]any {
	t.Helper()
	var out []map[string]any
	sc := bufio.NewScanner(bytes.NewReader(b.Bytes()))
	for sc.Scan() {
		var m map[string]any
		if err := json.Unmarshal(sc.Bytes(), &m); err != nil {
			t.Fatalf("not a JSON line: %q: %v", sc.Text(), err)
		}
		out = append(out, m)
	}
	return out
}

// outcomes are the outcomes of the attempt lines, in order.
func outcomes(t *testing.T, logs *bytes.Buffer) []string {
	var out []string
	for _, l := range jsonLines(t, logs) {
		if o, ok := l["outcome"].(string); ok {
			out = append(out, o)
		}
	}
	return out
}

func TestRetriesWithGrowingDelaysThenDeliversOnce(t *testing.T) {
	s := newSink(t, func(n int, _ []byte, w http.ResponseWriter) {
		if n <= 3 {
			http.Error(w, "upstream down", http.StatusServiceUnavailable)
		}
	})
	e := newEnv(t, webhookTo(t, s.URL), nil)
	_, eventID := e.enqueue(t, nicechat.TypeNewChat, nil)

	for attempt := 1; attempt <= 4; attempt++ {
		ev, resp := e.drive(t)
		if len(ev.Records) != 1 {
			t.Fatalf("attempt %d: received %d records, want 1", attempt, len(ev.Records))
		}
		wantFailed := attempt < 4
		if got := len(resp.BatchItemFailures) == 1; got != wantFailed {
			t.Fatalf("attempt %d: reported failed = %v, want %v", attempt, got, wantFailed)
		}
		consumertest.Release(t, e.sqs, e.queue, ev, resp)
	}

	if got, want := e.rec.changes(), []int32{10, 30, 120}; !slices.Equal(got, want) {
		t.Errorf("visibility delays = %v, want %v", got, want)
	}
	if got := len(s.requests()); got != 4 {
		t.Errorf("sink got %d requests, want 4", got)
	}
	if n := e.sourceCount(t); n != 0 {
		t.Errorf("%d messages left on the source queue", n)
	}
	if l := e.deadLetters(t); len(l) != 0 {
		t.Errorf("%d dead letters, want none", len(l))
	}
	lines := jsonLines(t, e.logs)
	if got, want := outcomes(t, e.logs), []string{"retried", "retried", "retried", "delivered"}; !slices.Equal(got, want) {
		t.Fatalf("outcomes = %v, want %v", got, want)
	}
	for i, l := range lines {
		for _, key := range []string{"event_id", "event", "channel", "attempt", "outcome", "status", "duration_ms"} {
			if _, ok := l[key]; !ok {
				t.Errorf("log line %d has no %q: %v", i, key, l)
			}
		}
		if l["event_id"] != eventID || l["event"] != "new_chat" || l["channel"] != "webhook" || l["attempt"] != float64(i+1) {
			t.Errorf("log line %d = %v", i, l)
		}
	}
	if lines[0]["status"] != "503" || lines[3]["status"] != "ok" {
		t.Errorf("statuses = %v, %v; want 503 then ok", lines[0]["status"], lines[3]["status"])
	}
}

func TestDeadLettersWithTheReason(t *testing.T) {
	tests := []struct {
		name      string
		status    int
		body      string
		wantClass delivery.Class
		wantError string
	}{
		{"a 4xx is permanent after one attempt", http.StatusBadRequest, "bad payload", "permanent", "HTTP 400: bad payload"},
		{"410 without a breaker: the endpoint is gone, and the dead letter says what to fix", http.StatusGone, "", "misconfigured", "endpoint gone: HTTP 410 (fix WEBHOOK_URL)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := newSink(t, func(_ int, _ []byte, w http.ResponseWriter) {
				w.WriteHeader(tt.status)
				_, _ = io.WriteString(w, tt.body)
			})
			e := newEnv(t, webhookTo(t, s.URL), nil)
			_, eventID := e.enqueue(t, nicechat.TypeFirstMessage, nil)

			ev, resp := e.drive(t)
			if len(resp.BatchItemFailures) != 0 {
				t.Fatalf("dead-lettered record reported failed: %v", resp.BatchItemFailures)
			}
			if n := e.sourceCount(t); n != 0 {
				t.Errorf("%d messages left on the source queue", n)
			}
			if len(e.rec.changes()) != 0 {
				t.Errorf("visibility changed for a permanent failure: %v", e.rec.changes())
			}
			letters := e.deadLetters(t)
			if len(letters) != 1 {
				t.Fatalf("%d dead letters, want 1", len(letters))
			}
			l := letters[0]
			if string(l.Body) != ev.Records[0].Body {
				t.Errorf("dead letter body differs from the original")
			}
			if l.Event != "first_message" || l.EventID != eventID || l.ReceivedAt.IsZero() {
				t.Errorf("original attributes lost: %+v", l.Attributes)
			}
			f := l.Failure
			if f.Class != tt.wantClass || f.Status != strconv.Itoa(tt.status) || f.Error != tt.wantError || f.Attempts != 1 || f.Channel != "webhook" {
				t.Errorf("failure = %+v, want class %s status %d error %q after 1 attempt", f, tt.wantClass, tt.status, tt.wantError)
			}
			if f.FirstReceivedAt.IsZero() || l.DeadLettered.IsZero() {
				t.Errorf("first_received_at %v / dead-lettered at %v missing", f.FirstReceivedAt, l.DeadLettered)
			}
			if got := outcomes(t, e.logs); !slices.Equal(got, []string{"dead_lettered"}) {
				t.Errorf("outcomes = %v", got)
			}
		})
	}
}

func TestDeadLettersAfterMaxAttempts(t *testing.T) {
	s := newSink(t, func(_ int, _ []byte, w http.ResponseWriter) { http.Error(w, "still down", http.StatusBadGateway) })
	e := newEnv(t, webhookTo(t, s.URL), func(c *consumer.Config) { c.MaxAttempts = 3 })
	e.enqueue(t, nicechat.TypeUnanswered, nil)

	for attempt := 1; attempt <= 3; attempt++ {
		ev, resp := e.drive(t)
		if len(ev.Records) != 1 {
			t.Fatalf("attempt %d: received %d records", attempt, len(ev.Records))
		}
		consumertest.Release(t, e.sqs, e.queue, ev, resp)
	}

	if got := len(s.requests()); got != 3 {
		t.Errorf("sink got %d requests, want 3", got)
	}
	if got, want := e.rec.changes(), []int32{10, 30}; !slices.Equal(got, want) {
		t.Errorf("visibility delays = %v, want %v", got, want)
	}
	if n := e.sourceCount(t); n != 0 {
		t.Errorf("%d messages left on the source queue", n)
	}
	letters := e.deadLetters(t)
	if len(letters) != 1 {
		t.Fatalf("%d dead letters, want 1", len(letters))
	}
	if f := letters[0].Failure; f.Class != delivery.ClassExhausted || f.Attempts != 3 || f.Status != "502" || f.Error != "HTTP 502: still down" {
		t.Errorf("failure = %+v", f)
	}
}

func TestRetryAfterIsHonoured(t *testing.T) {
	tests := []struct {
		name       string
		retryAfter string
		jitter     func(time.Duration) time.Duration
		min, max   int32
	}{
		{"Retry-After: 7 holds even when jitter picks 0", "7", func(time.Duration) time.Duration { return 0 }, 7, 7},
		{"Retry-After: 7 holds under the real jitter", "7", nil, 7, 10},
		{"a Retry-After longer than the step wins", "3600", nil, 3600, 3600},
		{"Retry-After is capped half an hour below SQS's 12 hours", "86400", nil, 41400, 41400},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := newSink(t, func(_ int, _ []byte, w http.ResponseWriter) {
				w.Header().Set("Retry-After", tt.retryAfter)
				w.WriteHeader(http.StatusTooManyRequests)
			})
			e := newEnv(t, webhookTo(t, s.URL), func(c *consumer.Config) { c.Jitter = tt.jitter })
			e.enqueue(t, nicechat.TypeNewOrder, nil)

			_, resp := e.drive(t)
			if len(resp.BatchItemFailures) != 1 {
				t.Fatalf("429 not reported failed: %+v", resp)
			}
			got := e.rec.changes()
			if len(got) != 1 || got[0] < tt.min || got[0] > tt.max {
				t.Errorf("visibility changes = %v, want one in [%d, %d]", got, tt.min, tt.max)
			}
			if again, _ := e.drive(t); len(again.Records) != 0 {
				t.Errorf("the message came back at once; it must stay hidden for at least %ds", tt.min)
			}
		})
	}
}

func TestMixedBatchReportsOnlyTheFailedIDs(t *testing.T) {
	var fixed bool
	var mu sync.Mutex
	s := newSink(t, func(_ int, body []byte, w http.ResponseWriter) {
		mu.Lock()
		defer mu.Unlock()
		switch eventType(body) {
		case "first_message":
			if !fixed {
				http.Error(w, "try later", http.StatusServiceUnavailable)
			}
		case "unanswered":
			http.Error(w, "no thanks", http.StatusUnprocessableEntity)
		}
	})
	outcomes := map[string]int{}
	reports := map[string][]consumer.Report{} // by message id
	e := newEnv(t, webhookTo(t, s.URL), func(cfg *consumer.Config) {
		cfg.OnOutcome = func(o string) { mu.Lock(); outcomes[o]++; mu.Unlock() }
		cfg.OnReport = func(r consumer.Report) {
			mu.Lock()
			reports[r.MessageID] = append(reports[r.MessageID], r)
			mu.Unlock()
		}
	})
	ids := map[string]string{}
	for _, typ := range []string{"new_chat", "first_message", "unanswered", "new_order", "push_form"} {
		ids[typ], _ = e.enqueue(t, typ, nil)
	}

	ev, resp := e.drive(t)
	if len(ev.Records) != 5 {
		t.Fatalf("received %d of 5 messages in one batch", len(ev.Records))
	}
	if got := consumertest.Failed(resp); !slices.Equal(got, []string{ids["first_message"]}) {
		t.Fatalf("failed ids = %v, want only first_message's %s", got, ids["first_message"])
	}
	consumertest.Release(t, e.sqs, e.queue, ev, resp)

	mu.Lock()
	fixed = true
	mu.Unlock()
	ev2, resp2 := e.drive(t)
	if len(ev2.Records) != 1 || ev2.Records[0].MessageId != ids["first_message"] || len(resp2.BatchItemFailures) != 0 {
		t.Fatalf("second batch = %d records, failures %v; want first_message delivered", len(ev2.Records), resp2.BatchItemFailures)
	}

	delivered := map[string]int{}
	for _, b := range s.requests() {
		delivered[eventType(b)]++
	}
	want := map[string]int{"new_chat": 1, "first_message": 2, "unanswered": 1, "new_order": 1, "push_form": 1}
	for typ, n := range want {
		if delivered[typ] != n {
			t.Errorf("%s reached the sink %d times, want %d", typ, delivered[typ], n)
		}
	}
	letters := e.deadLetters(t)
	if len(letters) != 1 || letters[0].Event != "unanswered" {
		t.Errorf("dead letters = %+v, want only unanswered", letters)
	}
	wantOutcomes := map[string]int{consumer.OutcomeDelivered: 4, consumer.OutcomeRetried: 1, consumer.OutcomeDeadLettered: 1}
	if !maps.Equal(outcomes, wantOutcomes) {
		t.Errorf("OnOutcome was told %v, want %v", outcomes, wantOutcomes)
	}
	// OnReport follows each record by its message and event: the retried
	// one twice, with the far end's answer and when it comes back.
	mu.Lock()
	defer mu.Unlock()
	retried := reports[ids["first_message"]]
	if len(retried) != 2 || retried[0].Outcome != consumer.OutcomeRetried || retried[0].Status != "503" || !strings.Contains(retried[0].Error, "try later") ||
		retried[0].RetryIn <= 0 || retried[1].Outcome != consumer.OutcomeDelivered || retried[1].Attempt != 2 || retried[1].EventID != nicechat.EventIDString(string(ev2.Records[0].Body)) {
		t.Errorf("reports of the retried record = %+v, want retried (503, try later, a wait) then delivered at attempt 2 under its body's id", retried)
	}
	if got := reports[ids["unanswered"]]; len(got) != 1 || got[0].Outcome != consumer.OutcomeDeadLettered || got[0].Event != "unanswered" {
		t.Errorf("reports of the refused record = %+v, want one dead_lettered", got)
	}
}

func TestUnreadableRecordsAreDeadLetteredOnTheFirstAttempt(t *testing.T) {
	body := `{"event":"new_chat","data":{"id":1}}`
	tests := []struct {
		name      string
		body      string
		attrs     map[string]string
		wantError string
	}{
		{"a body that is not JSON", "not json {", map[string]string{"event": "new_chat", "event_id": "evt_a"}, "body is not valid JSON"},
		{"no attributes at all", body, nil, `message attribute "event" is missing`},
		{"an unknown format", body, map[string]string{"event": "new_chat", "event_id": "evt_b", "format": "html"}, `message attribute "format" is "html"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := newSink(t, func(int, []byte, http.ResponseWriter) {})
			e := newEnv(t, webhookTo(t, s.URL), nil)
			consumertest.Send(t, e.sqs, e.queue, tt.body, tt.attrs)

			_, resp := e.drive(t)
			if len(resp.BatchItemFailures) != 0 {
				t.Errorf("reported failed: %v", resp.BatchItemFailures)
			}
			if n := len(s.requests()); n != 0 {
				t.Errorf("sink got %d requests", n)
			}
			letters := e.deadLetters(t)
			if len(letters) != 1 {
				t.Fatalf("%d dead letters, want 1", len(letters))
			}
			l := letters[0]
			if l.Failure.Class != "invalid_message" || l.Failure.Attempts != 1 || !strings.Contains(l.Failure.Error, tt.wantError) || string(l.Body) != tt.body {
				t.Errorf("dead letter = %+v body %q, want invalid_message containing %q", l.Failure, l.Body, tt.wantError)
			}
		})
	}
}

func TestNoDeliveryStartsTooCloseToTheDeadline(t *testing.T) {
	s := newSink(t, func(int, []byte, http.ResponseWriter) {})
	e := newEnv(t, webhookTo(t, s.URL), nil) // channel timeout 5s
	e.enqueue(t, nicechat.TypeNewChat, nil)
	e.enqueue(t, nicechat.TypeNewVisitor, nil)

	ctx, cancel := context.WithTimeout(context.Background(), 6*time.Second) // < 5s + 3s margin
	defer cancel()
	ev, resp := consumertest.Drive(ctx, t, e.sqs, e.queue, e.rt.Handle)

	if len(ev.Records) != 2 || len(resp.BatchItemFailures) != 2 {
		t.Errorf("%d records, %d reported failed; want all reported failed", len(ev.Records), len(resp.BatchItemFailures))
	}
	if n := len(s.requests()); n != 0 {
		t.Errorf("sink got %d requests", n)
	}
	if c := e.rec.changes(); len(c) != 0 {
		t.Errorf("visibility changed (a backoff) for deferred records: %v", c)
	}
	if got := outcomes(t, e.logs); !slices.Equal(got, []string{"deferred", "deferred"}) {
		t.Errorf("outcomes = %v", got)
	}
}

func TestADeferredMessagePastMaxAttemptsIsDeadLetteredWithAReason(t *testing.T) {
	s := newSink(t, func(int, []byte, http.ResponseWriter) {})
	e := newEnv(t, webhookTo(t, s.URL), func(c *consumer.Config) { c.MaxAttempts = 1 })
	e.enqueue(t, nicechat.TypeNewChat, nil)

	short := func() (events.SQSEvent, events.SQSEventResponse) {
		ctx, cancel := context.WithTimeout(context.Background(), 6*time.Second) // < 5s + 3s margin
		defer cancel()
		return consumertest.Drive(ctx, t, e.sqs, e.queue, e.rt.Handle)
	}
	ev, resp := short() // receive 1 of MAX_ATTEMPTS 1: deferred
	if len(resp.BatchItemFailures) != 1 {
		t.Fatalf("first receive: %+v, want deferred (reported failed)", resp)
	}
	consumertest.Release(t, e.sqs, e.queue, ev, resp)
	if _, resp = short(); len(resp.BatchItemFailures) != 0 { // receive 2: past MAX_ATTEMPTS
		t.Fatalf("second receive reported failed: %+v, want it dead-lettered", resp)
	}
	letters := e.deadLetters(t)
	if len(letters) != 1 || letters[0].Failure.Class != delivery.ClassExhausted || !strings.Contains(letters[0].Failure.Error, "about to time out") {
		t.Fatalf("dead letters = %+v", letters)
	}
	if n := len(s.requests()); n != 0 {
		t.Errorf("sink got %d requests", n)
	}
}

func TestAFailedDeadLetterSendKeepsTheMessage(t *testing.T) {
	s := newSink(t, func(_ int, _ []byte, w http.ResponseWriter) { w.WriteHeader(http.StatusForbidden) })
	e := newEnv(t, webhookTo(t, s.URL), func(c *consumer.Config) {
		c.DLQURL = strings.TrimSuffix(c.DLQURL, "/") + "-does-not-exist"
	})
	msgID, _ := e.enqueue(t, nicechat.TypeNewChat, nil)

	ev, resp := e.drive(t)
	if got := consumertest.Failed(resp); !slices.Equal(got, []string{msgID}) {
		t.Fatalf("failed ids = %v, want %s", got, msgID)
	}
	consumertest.Release(t, e.sqs, e.queue, ev, resp)
	if n := e.sourceCount(t); n != 1 {
		t.Errorf("%d messages on the source queue, want the one that could not be dead-lettered", n)
	}
	lines := jsonLines(t, e.logs)
	if len(lines) != 1 || lines[0]["outcome"] != "dead_letter_failed" || lines[0]["level"] != "ERROR" {
		t.Errorf("log = %v", lines)
	}
}

// channelFunc is a channel whose delivery is a function.
type channelFunc func(context.Context, message.Message) error

func (channelFunc) Name() string                                           { return "email" }
func (f channelFunc) Deliver(ctx context.Context, m message.Message) error { return f(ctx, m) }
func (channelFunc) Timeout() time.Duration                                 { return 10 * time.Second }

func TestMisconfiguredDeadLettersAndNamesTheSetting(t *testing.T) {
	ch := channelFunc(func(context.Context, message.Message) error {
		err := delivery.Misconfigured("EMAIL_FROM", "MailFromDomainNotVerified: domain not verified", nil)
		err.Code = "MailFromDomainNotVerified"
		return err
	})
	e := newEnv(t, ch, nil)
	// An email message carries the most attributes (format too): 4 + 6 is
	// exactly SQS's limit of 10, which moto enforces like SQS.
	e.enqueue(t, nicechat.TypePushForm, map[string]string{message.AttrFormat: "human"})

	_, resp := e.drive(t)
	if len(resp.BatchItemFailures) != 0 {
		t.Fatalf("reported failed: %v", resp.BatchItemFailures)
	}
	lines := jsonLines(t, e.logs)
	if len(lines) != 1 || lines[0]["level"] != "ERROR" || lines[0]["setting"] != "EMAIL_FROM" || !strings.Contains(lines[0]["msg"].(string), "fix EMAIL_FROM") {
		t.Errorf("log = %v, want one ERROR naming EMAIL_FROM", lines)
	}
	letters := e.deadLetters(t)
	if len(letters) != 1 {
		t.Fatalf("%d dead letters", len(letters))
	}
	l := letters[0]
	if len(l.Attributes) != dlq.MaxAttributes {
		t.Errorf("%d attributes, want %d: %v", len(l.Attributes), dlq.MaxAttributes, l.Attributes)
	}
	if l.Failure.Class != "misconfigured" || l.Failure.Status != "MailFromDomainNotVerified" || l.Failure.Channel != "email" ||
		l.Failure.Error != "MailFromDomainNotVerified: domain not verified (fix EMAIL_FROM)" || *l.Attributes[message.AttrFormat].StringValue != "human" {
		t.Errorf("dead letter = %+v", l.Failure)
	}
}

func TestAPanickingDeliveryIsDeadLetteredAloneWithThePanicAsReason(t *testing.T) {
	ch := channelFunc(func(_ context.Context, m message.Message) error {
		if m.Event == "new_order" {
			panic("renderer bug")
		}
		return nil
	})
	e := newEnv(t, ch, nil)
	e.enqueue(t, "new_chat", nil)
	orderID, _ := e.enqueue(t, "new_order", nil)

	ev, resp := e.drive(t)
	if len(ev.Records) != 2 {
		t.Fatalf("%d records", len(ev.Records))
	}
	if got := consumertest.Failed(resp); len(got) != 0 {
		t.Errorf("failed ids = %v, want none: the panicking %s is dead-lettered", got, orderID)
	}
	if !strings.Contains(e.logs.String(), "renderer bug") {
		t.Errorf("the panic was not logged: %s", e.logs)
	}
	letters := e.deadLetters(t)
	if len(letters) != 1 || letters[0].Failure.Class != "permanent" || letters[0].Failure.Error != "delivery panicked: renderer bug" ||
		*letters[0].Attributes[message.AttrEvent].StringValue != "new_order" {
		t.Fatalf("dead letters = %+v, want the order with the panic as its reason", letters)
	}
}

func TestConcurrencyIsBounded(t *testing.T) {
	for _, limit := range []int{1, 3} {
		t.Run("at most "+strconv.Itoa(limit)+" in flight", func(t *testing.T) {
			var mu sync.Mutex
			inFlight, peak := 0, 0
			// Each delivery waits until the bound is reached (or a second
			// passed), so an unbounded runtime would exceed it.
			ch := channelFunc(func(context.Context, message.Message) error {
				mu.Lock()
				inFlight++
				peak = max(peak, inFlight)
				mu.Unlock()
				deadline := time.Now().Add(time.Second)
				for time.Now().Before(deadline) {
					mu.Lock()
					n := inFlight
					mu.Unlock()
					if n >= limit {
						break
					}
					time.Sleep(5 * time.Millisecond)
				}
				mu.Lock()
				inFlight--
				mu.Unlock()
				return nil
			})
			e := newEnv(t, ch, func(c *consumer.Config) { c.Concurrency = limit })
			var ev events.SQSEvent
			body := string(fixtures.Body("new_chat"))
			for i := range 10 {
				ev.Records = append(ev.Records, events.SQSMessage{
					MessageId: "m" + strconv.Itoa(i), Body: body,
					MessageAttributes: map[string]events.SQSMessageAttribute{
						"event": {DataType: "String", StringValue: ptr("new_chat")}, "event_id": {DataType: "String", StringValue: ptr("evt_" + strconv.Itoa(i))},
					},
				})
			}
			resp, _ := e.rt.Handle(context.Background(), ev)
			if len(resp.BatchItemFailures) != 0 {
				t.Fatalf("failures: %v", resp.BatchItemFailures)
			}
			if peak != limit {
				t.Errorf("peak in flight = %d, want %d", peak, limit)
			}
		})
	}
}

func ptr(s string) *string { return &s }

func TestEveryAttemptPrintsAnEMFLine(t *testing.T) {
	s := newSink(t, func(_ int, body []byte, w http.ResponseWriter) {
		switch eventType(body) {
		case "first_message":
			w.WriteHeader(http.StatusServiceUnavailable)
		case "unanswered":
			w.WriteHeader(http.StatusBadRequest)
		}
	})
	e := newEnv(t, webhookTo(t, s.URL), func(c *consumer.Config) { c.Namespace = "TestRelay" })
	for _, typ := range []string{"new_chat", "first_message", "unanswered"} {
		e.enqueue(t, typ, nil)
	}
	e.drive(t)

	totals := map[string]float64{}
	for _, line := range jsonLines(t, e.metrics) {
		var meta struct {
			AWS struct {
				Timestamp         int64
				CloudWatchMetrics []struct {
					Namespace  string
					Dimensions [][]string
					Metrics    []struct{ Name, Unit string }
				}
			} `json:"_aws"`
		}
		b, _ := json.Marshal(line)
		if err := json.Unmarshal(b, &meta); err != nil {
			t.Fatal(err)
		}
		d := meta.AWS.CloudWatchMetrics
		if meta.AWS.Timestamp == 0 || len(d) != 1 || d[0].Namespace != "TestRelay" || len(d[0].Dimensions) != 1 || !slices.Equal(d[0].Dimensions[0], []string{"channel"}) || len(d[0].Metrics) != 5 {
			t.Fatalf("not an EMF line: %s", b)
		}
		if line["channel"] != "webhook" {
			t.Errorf("channel = %v", line["channel"])
		}
		for _, m := range d[0].Metrics {
			v, ok := line[m.Name].(float64)
			if !ok || m.Unit != "Count" {
				t.Fatalf("metric %s has no value: %s", m.Name, b)
			}
			totals[m.Name] += v
		}
	}
	if want := map[string]float64{"Delivered": 1, "Retried": 1, "DeadLettered": 1, "Duplicate": 0, "ChannelPaused": 0}; !mapsEqual(totals, want) {
		t.Errorf("metric totals = %v, want %v", totals, want)
	}
}

func mapsEqual(a, b map[string]float64) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if b[k] != v {
			return false
		}
	}
	return true
}

func TestConfigFromEnv(t *testing.T) {
	full := map[string]string{"QUEUE_URL": "http://q/src", "DLQ_URL": "http://q/dlq"}
	tests := []struct {
		name    string
		env     map[string]string
		wantErr string
		wantMax int
	}{
		{"defaults MAX_ATTEMPTS to 8", full, "", 8},
		{"reads MAX_ATTEMPTS", with(full, "MAX_ATTEMPTS", "3"), "", 3},
		{"requires QUEUE_URL", with(full, "QUEUE_URL", ""), "QUEUE_URL is required", 0},
		{"requires DLQ_URL", with(full, "DLQ_URL", ""), "DLQ_URL is required", 0},
		{"rejects a MAX_ATTEMPTS that is not a number", with(full, "MAX_ATTEMPTS", "many"), "MAX_ATTEMPTS must be a whole number", 0},
		{"rejects MAX_ATTEMPTS 0", with(full, "MAX_ATTEMPTS", "0"), "MAX_ATTEMPTS must be a whole number", 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg, err := consumer.ConfigFromEnv("slack", func(k string) string { return tt.env[k] })
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if cfg.MaxAttempts != tt.wantMax || cfg.Channel != "slack" || cfg.QueueURL != full["QUEUE_URL"] || cfg.DLQURL != full["DLQ_URL"] {
				t.Errorf("cfg = %+v", cfg)
			}
		})
	}
}

func with(m map[string]string, k, v string) map[string]string {
	out := map[string]string{k: v}
	for key, val := range m {
		if key != k {
			out[key] = val
		}
	}
	return out
}
