package consumer_test

import (
	"context"
	"fmt"
	"io"
	"maps"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ses"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"

	"github.com/nicechat-relay/nicechat-relay/shared/breaker"
	"github.com/nicechat-relay/nicechat-relay/shared/consumer"
	"github.com/nicechat-relay/nicechat-relay/shared/consumer/consumertest"
	"github.com/nicechat-relay/nicechat-relay/shared/delivery"
	"github.com/nicechat-relay/nicechat-relay/shared/docstore"
	"github.com/nicechat-relay/nicechat-relay/shared/email"
	"github.com/nicechat-relay/nicechat-relay/shared/idempotency"
	"github.com/nicechat-relay/nicechat-relay/shared/localaws"
	"github.com/nicechat-relay/nicechat-relay/shared/nicechat"
	"github.com/nicechat-relay/nicechat-relay/shared/slack"
	"github.com/nicechat-relay/nicechat-relay/shared/telegram"
)

// farEnd answers every request with a misconfiguration until fixed, then
// with success, and counts the successes per body.
type farEnd struct {
	broken    atomic.Bool
	status    int
	body      string
	okBody    string
	mu        sync.Mutex
	delivered map[string]int
}

func (f *farEnd) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	if f.broken.Load() {
		w.WriteHeader(f.status)
		_, _ = io.WriteString(w, f.body)
		return
	}
	f.mu.Lock()
	f.delivered[string(body)]++
	f.mu.Unlock()
	_, _ = io.WriteString(w, f.okBody)
}

func (f *farEnd) counts() []int {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []int
	for _, n := range f.delivered {
		out = append(out, n)
	}
	return out
}

func TestAMisconfiguredChannelPausesAndDeliversEverythingOnceResumed(t *testing.T) {
	const telegramOK = `{"ok":true,"result":{"message_id":1}}`
	webhookCh := func(t *testing.T, url string) delivery.Channel { return webhookTo(t, url) }
	slackCh := func(t *testing.T, url string) delivery.Channel {
		ch, err := slack.New(slack.Config{WebhookURL: url + "/services/T0/B0/X", Interval: time.Millisecond}, slack.Deps{})
		if err != nil {
			t.Fatal(err)
		}
		return ch
	}
	slackAPICh := func(t *testing.T, url string) delivery.Channel {
		store, err := idempotency.OpenLocal(filepath.Join(t.TempDir(), "threads.db"), time.Now())
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { store.Close() })
		threads, err := docstore.NewLocal(store.File())
		if err != nil {
			t.Fatal(err)
		}
		ch, err := slack.New(slack.Config{BotToken: "xoxb-1-2-3", ChannelID: "C0PAUSE01", APIURL: url, Interval: time.Millisecond}, slack.Deps{Threads: threads})
		if err != nil {
			t.Fatal(err)
		}
		return ch
	}
	const slackAPIOK = `{"ok":true,"channel":"C0PAUSE01","ts":"1764500000.000001"}`
	telegramCh := func(t *testing.T, url string) delivery.Channel {
		ch, err := telegram.New(telegram.Config{BotToken: "123456789:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw_", ChatID: "-1001234567890", APIURL: url, Interval: time.Millisecond}, telegram.Deps{})
		if err != nil {
			t.Fatal(err)
		}
		return ch
	}
	tests := []struct {
		name         string
		channel      func(t *testing.T, url string) delivery.Channel
		status       int
		body, okBody string
	}{
		{"webhook 401", webhookCh, http.StatusUnauthorized, "bad signature", ""},
		{"webhook 403", webhookCh, http.StatusForbidden, "", ""},
		{"webhook 404", webhookCh, http.StatusNotFound, "Cannot POST /hook", ""},
		{"webhook 410 Gone", webhookCh, http.StatusGone, "", ""},
		{"Slack invalid_token", slackCh, http.StatusForbidden, "invalid_token", "ok"},
		{"Slack no_service", slackCh, http.StatusNotFound, "no_service", "ok"},
		{"Slack Web API token_revoked", slackAPICh, http.StatusOK, `{"ok":false,"error":"token_revoked"}`, slackAPIOK},
		{"Slack Web API not_in_channel", slackAPICh, http.StatusOK, `{"ok":false,"error":"not_in_channel"}`, slackAPIOK},
		{"Slack Web API missing_scope", slackAPICh, http.StatusOK, `{"ok":false,"error":"missing_scope","needed":"chat:write"}`, slackAPIOK},
		{"Telegram bot blocked", telegramCh, http.StatusForbidden, `{"ok":false,"error_code":403,"description":"Forbidden: bot was blocked by the user"}`, telegramOK},
		{"Telegram chat not found", telegramCh, http.StatusBadRequest, `{"ok":false,"error_code":400,"description":"Bad Request: chat not found"}`, telegramOK},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx := context.Background()
			f := &farEnd{status: tt.status, body: tt.body, okBody: tt.okBody, delivered: map[string]int{}}
			f.broken.Store(true)
			s := httptest.NewServer(f)
			t.Cleanup(s.Close)
			// The event source mapping's part is proven against moto's
			// Lambda API in package breaker; here the switch stands in for
			// it (moto cannot list its state once it holds a function).
			mapping := &pauseSwitch{}
			e := newEnv(t, tt.channel(t, s.URL), func(cfg *consumer.Config) {
				cfg.Pauser, cfg.PauseHold, cfg.Concurrency = mapping, time.Second, 1
			})
			const n = 4
			for i := range n {
				body := fmt.Sprintf(`{"event":"first_message","data":{"id":%d,"client_name":"Guest %d"}}`, i+1, i+1)
				consumertest.Send(t, e.sqs, e.queue, body, map[string]string{"event": "first_message", "event_id": nicechat.EventID([]byte(body))})
			}

			ev, resp := e.drive(t)
			if len(ev.Records) != n || len(resp.BatchItemFailures) != n {
				t.Fatalf("%d records, %d reported back; want all %d back on the queue", len(ev.Records), len(resp.BatchItemFailures), n)
			}
			if !mapping.paused.Load() || mapping.reason.Load() == nil || !strings.Contains(*mapping.reason.Load(), "fix") {
				t.Errorf("paused %v with reason %v; want the channel paused, naming the setting to fix", mapping.paused.Load(), mapping.reason.Load())
			}
			if letters := e.deadLetters(t); len(letters) != 0 {
				t.Errorf("%d dead letters, want none for a configuration error", len(letters))
			}
			if got := queued(t, e); got != n {
				t.Errorf("the queue holds %d messages, want all %d", got, n)
			}
			if got := outcomes(t, e.logs); len(got) != n || got[0] != consumer.OutcomePaused {
				t.Errorf("outcomes %v, want paused, then the rest left untried", got)
			}
			if n := metricTotal(t, e, consumer.MetricPaused); n != 1 {
				t.Errorf("ChannelPaused = %v, want 1", n)
			}

			// The operator fixes the setting and resumes the channel.
			f.broken.Store(false)
			mapping.paused.Store(false)
			eventually(t, "every message is delivered", func() bool {
				if !mapping.paused.Load() {
					consumertest.Drive(ctx, t, e.sqs, e.queue, e.rt.Handle)
				}
				return queued(t, e) == 0
			})
			if got := f.counts(); len(got) != n || sum(got) != n {
				// What became of them, for the one who reads this.
				var letters []string
				for _, l := range e.deadLetters(t) {
					letters = append(letters, fmt.Sprintf("%+v", l))
				}
				t.Errorf("deliveries per event %v, want each of the %d once; outcomes %v; dead letters %v", got, n, outcomes(t, e.logs), letters)
			}
		})
	}
}

// pauseSwitch is a breaker.Pauser that a test flips back.
type pauseSwitch struct {
	paused atomic.Bool
	reason atomic.Pointer[string]
	calls  atomic.Int32
}

func (p *pauseSwitch) Pause(_ context.Context, reason string) (bool, error) {
	p.calls.Add(1)
	p.reason.Store(&reason)
	return !p.paused.Swap(true), nil
}

var _ breaker.Pauser = (*pauseSwitch)(nil)

// queued counts the messages on the source queue, hidden ones included.
func queued(t *testing.T, e *env) int {
	t.Helper()
	out, err := e.sqs.GetQueueAttributes(context.Background(), &sqs.GetQueueAttributesInput{
		QueueUrl: aws.String(e.queue),
		AttributeNames: []sqstypes.QueueAttributeName{
			sqstypes.QueueAttributeNameApproximateNumberOfMessages, sqstypes.QueueAttributeNameApproximateNumberOfMessagesNotVisible,
			sqstypes.QueueAttributeNameApproximateNumberOfMessagesDelayed,
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	total := 0
	for _, v := range out.Attributes {
		var n int
		fmt.Sscan(v, &n)
		total += n
	}
	return total
}

func sum(ns []int) int {
	total := 0
	for _, n := range ns {
		total += n
	}
	return total
}

func TestAnUnverifiedSenderPausesTheEmailChannelUntilItIsVerified(t *testing.T) {
	ctx := context.Background()
	sender, to := fmt.Sprintf("relay-%d@unverified.example", time.Now().UnixNano()), uniqueRecipient()
	mapping := &pauseSwitch{}
	e := newEnv(t, newEmail(t, email.Config{From: sender, To: []string{to}}, localaws.SES(t)), func(cfg *consumer.Config) {
		cfg.Pauser, cfg.PauseHold, cfg.Concurrency = mapping, time.Second, 1
	})
	const n = 3
	for i := range n {
		body := fmt.Sprintf(`{"event":"new_order","data":{"id":%d,"client":%d}}`, i+1, i+1)
		consumertest.Send(t, e.sqs, e.queue, body, map[string]string{"event": "new_order", "event_id": nicechat.EventID([]byte(body)), "format": "human"})
	}
	if _, resp := e.drive(t); len(resp.BatchItemFailures) != n || !mapping.paused.Load() {
		t.Fatalf("%d reported back, paused %v; want all %d back and the channel paused", len(resp.BatchItemFailures), mapping.paused.Load(), n)
	}
	if letters := e.deadLetters(t); len(letters) != 0 {
		t.Errorf("%d dead letters, want none", len(letters))
	}
	if sent := localaws.SentEmails(t, to); len(sent) != 0 {
		t.Errorf("SES sent %d, want none", len(sent))
	}

	// The operator verifies the sender in SES and resumes the channel.
	if _, err := localaws.SES(t).VerifyEmailIdentity(ctx, &ses.VerifyEmailIdentityInput{EmailAddress: aws.String(sender)}); err != nil {
		t.Fatal(err)
	}
	mapping.paused.Store(false)
	eventually(t, "every email is sent", func() bool {
		if !mapping.paused.Load() {
			consumertest.Drive(ctx, t, e.sqs, e.queue, e.rt.Handle)
		}
		return queued(t, e) == 0
	})
	if sent := localaws.SentEmails(t, to); len(sent) != n {
		t.Errorf("SES sent %d emails, want each of the %d once", len(sent), n)
	}
}

func TestAMessagePutBackPastItsAttemptsIsDeadLetteredWithItsReason(t *testing.T) {
	f := &farEnd{status: http.StatusGone, delivered: map[string]int{}}
	f.broken.Store(true)
	s := httptest.NewServer(f)
	t.Cleanup(s.Close)
	mapping := &pauseSwitch{}
	e := newEnv(t, webhookTo(t, s.URL), func(cfg *consumer.Config) {
		cfg.Pauser, cfg.PauseHold, cfg.MaxAttempts = mapping, time.Second, 1
	})
	e.enqueue(t, nicechat.TypeNewChat, nil)
	ev, resp := e.drive(t)
	if len(resp.BatchItemFailures) != 1 || !mapping.paused.Load() {
		t.Fatalf("first receive: %v, paused %v; want it put back and the channel paused", resp.BatchItemFailures, mapping.paused.Load())
	}
	// Resumed while still misconfigured, the message comes back a second
	// time: past MAX_ATTEMPTS (1), so SQS's redrive is near, and it goes
	// to the DLQ now, with its reason, not later without one.
	consumertest.Release(t, e.sqs, e.queue, ev, resp)
	if _, resp := e.drive(t); len(resp.BatchItemFailures) != 0 {
		t.Fatalf("second receive: %v, want it dead-lettered", resp.BatchItemFailures)
	}
	letters := e.deadLetters(t)
	if len(letters) != 1 || letters[0].Failure.Class != delivery.ClassMisconfigured || !strings.Contains(letters[0].Failure.Error, "WEBHOOK_URL") || letters[0].Failure.Attempts != 2 {
		t.Errorf("dead letters %+v, want one, misconfigured, naming WEBHOOK_URL, after 2 receives", letters)
	}
}

// pausedLines are the log lines that say a delivery paused the channel.
func pausedLines(t *testing.T, e *env, channel string) []map[string]any {
	var out []map[string]any
	for _, l := range jsonLines(t, e.logs) {
		if msg, _ := l["msg"].(string); strings.HasPrefix(msg, "paused the "+channel+" channel") {
			out = append(out, l)
		}
	}
	return out
}

func TestAChannelPausedOnceIsSaidToBePausedOnce(t *testing.T) {
	const n = 6
	tests := []struct {
		name          string
		pausedAlready bool // another instance, or the operator, paused it first
		wantLines     int
		wantMetric    float64
	}{
		{"the deliveries of one batch that fail at once pause the channel once, and one says so", false, 1, 1},
		{"an instance that finds the channel paused already does not say it paused it", true, 0, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			// The far end answers no request before two are in flight (or
			// a while has passed), so that deliveries fail together, as a
			// webhook batch's do.
			var arrived atomic.Int32
			together := make(chan struct{})
			s := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
				if arrived.Add(1) == 2 {
					close(together)
				}
				select {
				case <-together:
				case <-time.After(10 * time.Second):
				}
				w.WriteHeader(http.StatusGone)
			}))
			t.Cleanup(s.Close)
			mapping := &pauseSwitch{}
			mapping.paused.Store(tt.pausedAlready)
			e := newEnv(t, webhookTo(t, s.URL), func(cfg *consumer.Config) {
				cfg.Pauser, cfg.PauseHold, cfg.Concurrency = mapping, time.Second, n
			})
			for i := range n {
				body := fmt.Sprintf(`{"event":"new_chat","data":{"id":%d}}`, i+1)
				consumertest.Send(t, e.sqs, e.queue, body, map[string]string{"event": "new_chat", "event_id": nicechat.EventID([]byte(body))})
			}
			ev, resp := e.drive(t)
			if len(ev.Records) != n || len(resp.BatchItemFailures) != n {
				t.Fatalf("%d records, %d reported back; want all %d back on the queue", len(ev.Records), len(resp.BatchItemFailures), n)
			}
			if got := mapping.calls.Load(); got != 1 {
				t.Errorf("the batch paused the channel %d times, want once", got)
			}
			if got := pausedLines(t, e, "webhook"); len(got) != tt.wantLines {
				t.Errorf("%d lines say the webhook channel was paused, want %d:\n%s", len(got), tt.wantLines, e.logs)
			}
			if got := metricTotal(t, e, consumer.MetricPaused); got != tt.wantMetric {
				t.Errorf("ChannelPaused = %v, want %v", got, tt.wantMetric)
			}
			for _, o := range outcomes(t, e.logs) {
				if o != consumer.OutcomePaused && o != consumer.OutcomeDeferred {
					t.Errorf("outcomes %v, want each message paused or left untried", outcomes(t, e.logs))
					break
				}
			}
			if letters := e.deadLetters(t); len(letters) != 0 {
				t.Errorf("%d dead letters, want none", len(letters))
			}
		})
	}
}

func TestThePauseLineNamesTheWholeCommandThatResumes(t *testing.T) {
	tests := []struct {
		name string
		env  map[string]string
		want string
	}{
		{"deployed: the stack the template names", map[string]string{"AWS_LAMBDA_FUNCTION_NAME": "my-relay-prod-WebhookFunction-AbC123", "STACK_NAME": "my-relay-prod"},
			"go run ./cmd/relayctl channel resume --stack my-relay-prod --channel webhook"},
		{"deployed by a template that does not name its stack", map[string]string{"AWS_LAMBDA_FUNCTION_NAME": "my-relay-WebhookFunction-AbC123"},
			"go run ./cmd/relayctl channel resume --stack <stack name> --channel webhook"},
		{"the local relay on its default data directory, which relayctl finds", nil,
			"go run ./cmd/relayctl channel resume --channel webhook"},
		{"a local relay on another data directory", map[string]string{"RELAY_DATA_DIR": "var2"},
			"RELAY_DATA_DIR=var2 go run ./cmd/relayctl channel resume --channel webhook"},
		{"a local relay on a directory a shell splits", map[string]string{"RELAY_DATA_DIR": "/tmp/my relay"},
			"RELAY_DATA_DIR='/tmp/my relay' go run ./cmd/relayctl channel resume --channel webhook"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			env := map[string]string{"QUEUE_URL": "q", "DLQ_URL": "d"}
			maps.Copy(env, tt.env)
			cfg, err := consumer.ConfigFromEnv("webhook", func(k string) string { return env[k] })
			if err != nil {
				t.Fatal(err)
			}
			s := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(http.StatusGone) }))
			t.Cleanup(s.Close)
			e := newEnv(t, webhookTo(t, s.URL), func(c *consumer.Config) {
				c.Pauser, c.PauseHold, c.ResumeCommand = &pauseSwitch{}, time.Second, cfg.ResumeCommand
			})
			e.enqueue(t, nicechat.TypeNewChat, nil)
			e.drive(t)
			lines := pausedLines(t, e, "webhook")
			if len(lines) != 1 {
				t.Fatalf("%d lines say the channel paused, want 1:\n%s", len(lines), e.logs)
			}
			if msg := lines[0]["msg"].(string); !strings.HasSuffix(msg, "then run "+tt.want) || lines[0]["resume"] != tt.want {
				t.Errorf("the line says %q (resume %q), want it to end with the command %q", msg, lines[0]["resume"], tt.want)
			}
		})
	}
}
