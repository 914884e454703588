package slack

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	slackapi "github.com/slack-go/slack"

	fixtures "github.com/nicechat-relay/nicechat-relay/events"
	"github.com/nicechat-relay/nicechat-relay/shared/delivery"
	"github.com/nicechat-relay/nicechat-relay/shared/delivery/deliverytest"
	"github.com/nicechat-relay/nicechat-relay/shared/humanize"
	"github.com/nicechat-relay/nicechat-relay/shared/message"
	"github.com/nicechat-relay/nicechat-relay/shared/nicechat"
)

const webhookPath = "/services/T000/B000/s3cr3tt0ken"

func newChannel(t *testing.T, url string) (*Channel, *deliverytest.Clock) {
	t.Helper()
	ch := mustNew(t, Config{WebhookURL: url, Timeout: 5 * time.Second, Interval: time.Second, Humanize: linkOpts})
	clock := deliverytest.NewClock(time.Date(2024, 7, 1, 12, 0, 0, 0, time.UTC))
	ch.pacer.Now, ch.pacer.Sleep = clock.Now, clock.Sleep
	return ch, clock
}

func mustNew(t *testing.T, cfg Config) *Channel {
	t.Helper()
	ch, err := New(cfg, Deps{})
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	return ch
}

func msg(t *testing.T, body []byte) message.Message {
	t.Helper()
	return message.Message{Body: body, Event: "first_message", EventID: nicechat.EventID(body), ReceivedAt: time.Now()}
}

func asDeliveryError(t *testing.T, err error) *delivery.Error {
	t.Helper()
	var de *delivery.Error
	if !errors.As(err, &de) {
		t.Fatalf("error %v (%T) is not a *delivery.Error", err, err)
	}
	return de
}

func TestDeliverPostsBlockKitForEveryEventType(t *testing.T) {
	s := newSink(t)
	ch, _ := newChannel(t, s.URL+webhookPath)
	for _, typ := range nicechat.KnownTypes {
		t.Run(typ, func(t *testing.T) {
			before := len(s.Received())
			body := fixtures.Body(typ)
			if err := ch.Deliver(context.Background(), msg(t, body)); err != nil {
				t.Fatalf("Deliver: %v", err)
			}
			reqs := s.Received()[before:]
			if len(reqs) != 1 {
				t.Fatalf("sink got %d requests, want 1", len(reqs))
			}
			r := reqs[0]
			if r.Method != http.MethodPost || r.Path != webhookPath {
				t.Errorf("request = %s %s, want POST %s", r.Method, r.Path, webhookPath)
			}
			if got := r.Header.Get("Content-Type"); got != "application/json" {
				t.Errorf("Content-Type = %q", got)
			}
			if got := r.Header.Get("User-Agent"); got != "nicechat-relay/1 (+slack)" {
				t.Errorf("User-Agent = %q", got)
			}
			var got slackapi.WebhookMessage
			if err := json.Unmarshal(r.Body, &got); err != nil {
				t.Fatalf("body is not a webhook message: %v", err)
			}
			want := Payload(parse(t, body), linkOpts)
			if got.Text != want.Text || got.Text == "" {
				t.Errorf("fallback text = %q, want %q", got.Text, want.Text)
			}
			if got.Blocks == nil || len(got.Blocks.BlockSet) != len(want.Blocks.BlockSet) {
				t.Errorf("blocks = %v, want %d", got.Blocks, len(want.Blocks.BlockSet))
			}
		})
	}
}

func TestDeliverClassifiesSlackAnswers(t *testing.T) {
	retryAfter := func(v string) http.Header { return http.Header{"Retry-After": {v}} }
	tests := []struct {
		name       string
		status     int
		header     http.Header
		body       string
		class      delivery.Class // empty: delivered
		retryAfter time.Duration
		code       string
		setting    string
	}{
		{name: "200 ok is delivered", status: 200, body: "ok"},
		{name: "204 is delivered", status: 204},
		{name: "429 is retried after Retry-After", status: 429, header: retryAfter("30"), body: "rate_limited", class: delivery.ClassRetry, retryAfter: 30 * time.Second, code: "rate_limited"},
		{name: "429 without Retry-After is retried", status: 429, body: "rate_limited", class: delivery.ClassRetry, code: "rate_limited"},
		{name: "400 invalid_payload is permanent", status: 400, body: "invalid_payload", class: delivery.ClassPermanent, code: "invalid_payload"},
		{name: "400 invalid_blocks is permanent", status: 400, body: "invalid_blocks\n", class: delivery.ClassPermanent, code: "invalid_blocks"},
		{name: "403 action_prohibited is misconfigured", status: 403, body: "action_prohibited", class: delivery.ClassMisconfigured, code: "action_prohibited", setting: "SLACK_WEBHOOK_URL"},
		{name: "403 invalid_token is misconfigured", status: 403, body: "invalid_token", class: delivery.ClassMisconfigured, code: "invalid_token", setting: "SLACK_WEBHOOK_URL"},
		{name: "404 channel_not_found is misconfigured", status: 404, body: "channel_not_found", class: delivery.ClassMisconfigured, code: "channel_not_found", setting: "SLACK_WEBHOOK_URL"},
		{name: "404 no_service is misconfigured", status: 404, body: "no_service", class: delivery.ClassMisconfigured, code: "no_service", setting: "SLACK_WEBHOOK_URL"},
		{name: "410 channel_is_archived is misconfigured", status: 410, body: "channel_is_archived", class: delivery.ClassMisconfigured, code: "channel_is_archived", setting: "SLACK_WEBHOOK_URL"},
		{name: "302 is misconfigured, not followed", status: 302, header: http.Header{"Location": {"https://elsewhere.example/"}}, class: delivery.ClassMisconfigured, setting: "SLACK_WEBHOOK_URL"},
		{name: "413 is permanent", status: 413, body: "<html>too large</html>", class: delivery.ClassPermanent},
		{name: "408 is retried", status: 408, class: delivery.ClassRetry},
		{name: "500 is retried", status: 500, body: "internal_error", class: delivery.ClassRetry, code: "internal_error"},
		{name: "503 is retried after Retry-After", status: 503, header: retryAfter("120"), body: "service_unavailable", class: delivery.ClassRetry, retryAfter: 2 * time.Minute, code: "service_unavailable"},
	}
	body := fixtures.Body(nicechat.TypeFirstMessage)
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := newSink(t)
			s.Answer(tc.status, tc.header, tc.body)
			ch, _ := newChannel(t, s.URL+webhookPath)
			err := ch.Deliver(context.Background(), msg(t, body))
			if n := len(s.Received()); n != 1 {
				t.Fatalf("sink got %d requests, want 1", n)
			}
			if tc.class == "" {
				if err != nil {
					t.Fatalf("Deliver = %v, want success", err)
				}
				return
			}
			de := asDeliveryError(t, err)
			if de.Class != tc.class || de.RetryAfter != tc.retryAfter || de.Code != tc.code || de.Setting != tc.setting || de.Status != tc.status {
				t.Errorf("error = %+v, want class %s, retry after %s, code %q, setting %q, status %d", de, tc.class, tc.retryAfter, tc.code, tc.setting, tc.status)
			}
			if !strings.HasPrefix(de.Reason, "HTTP ") && !strings.Contains(de.Reason, "HTTP ") {
				t.Errorf("reason %q does not give the status", de.Reason)
			}
		})
	}
}

func TestDeliverRetriesTransportFailuresWithoutLeakingTheURL(t *testing.T) {
	tests := []struct {
		name  string
		url   func(t *testing.T) string
		reach bool
	}{
		{name: "connection refused", url: func(t *testing.T) string {
			s := httptest.NewServer(http.NotFoundHandler())
			s.Close()
			return s.URL + webhookPath
		}},
		{name: "timeout", reach: true, url: func(t *testing.T) string {
			release := make(chan struct{})
			s := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				select {
				case <-r.Context().Done():
				case <-release:
				}
			}))
			t.Cleanup(s.Close)
			t.Cleanup(func() { close(release) })
			return s.URL + webhookPath
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ch := mustNew(t, Config{WebhookURL: tc.url(t), Timeout: 100 * time.Millisecond})
			de := asDeliveryError(t, ch.Deliver(context.Background(), msg(t, fixtures.Body(nicechat.TypeNewChat))))
			if de.Class != delivery.ClassRetry {
				t.Errorf("class = %s, want retry (%v)", de.Class, de)
			}
			for _, s := range []string{de.Error(), de.Reason, de.Err.Error()} {
				if strings.Contains(s, "s3cr3t") {
					t.Errorf("the webhook URL leaked into %q", s)
				}
			}
		})
	}
}

func TestDeliverRejectsABodyThatIsNotAnEvent(t *testing.T) {
	s := newSink(t)
	ch, _ := newChannel(t, s.URL+webhookPath)
	de := asDeliveryError(t, ch.Deliver(context.Background(), msg(t, []byte(`{"event":"new_chat"}`))))
	if de.Class != delivery.ClassInvalidMessage {
		t.Errorf("class = %s, want invalid_message", de.Class)
	}
	if n := len(s.Received()); n != 0 {
		t.Errorf("sink got %d requests, want none", n)
	}
}

func TestDeliverPacesPostsOnePerInterval(t *testing.T) {
	body := fixtures.Body(nicechat.TypeNewChat)

	t.Run("one after another, each waits out the interval", func(t *testing.T) {
		s := newSink(t)
		ch, clock := newChannel(t, s.URL+webhookPath)
		for range 3 {
			if err := ch.Deliver(context.Background(), msg(t, body)); err != nil {
				t.Fatal(err)
			}
		}
		if got, want := clock.Sleeps(), []time.Duration{time.Second, time.Second}; !slices.Equal(got, want) {
			t.Errorf("waits = %v, want %v", got, want)
		}
		if n := len(s.Received()); n != 3 {
			t.Errorf("sink got %d requests, want 3", n)
		}
	})

	t.Run("no wait once the interval has passed", func(t *testing.T) {
		s := newSink(t)
		ch, clock := newChannel(t, s.URL+webhookPath)
		for range 3 {
			if err := ch.Deliver(context.Background(), msg(t, body)); err != nil {
				t.Fatal(err)
			}
			clock.Advance(time.Second)
		}
		if got := clock.Sleeps(); len(got) != 0 {
			t.Errorf("waits = %v, want none", got)
		}
	})

	t.Run("concurrent callers each take the next turn", func(t *testing.T) {
		s := newSink(t)
		ch, clock := newChannel(t, s.URL+webhookPath)
		clock.Freeze()
		var wg sync.WaitGroup
		errs := make(chan error, 5)
		for range 5 {
			wg.Go(func() { errs <- ch.Deliver(context.Background(), msg(t, body)) })
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			if err != nil {
				t.Fatal(err)
			}
		}
		got := clock.Sleeps()
		slices.Sort(got)
		if want := []time.Duration{time.Second, 2 * time.Second, 3 * time.Second, 4 * time.Second}; !slices.Equal(got, want) {
			t.Errorf("waits = %v, want %v", got, want)
		}
		if n := len(s.Received()); n != 5 {
			t.Errorf("sink got %d requests, want 5", n)
		}
	})

	t.Run("a 429 holds later posts back for Retry-After", func(t *testing.T) {
		s := newSink(t)
		ch, clock := newChannel(t, s.URL+webhookPath)
		s.Answer(429, http.Header{"Retry-After": {"30"}}, "rate_limited")
		if de := asDeliveryError(t, ch.Deliver(context.Background(), msg(t, body))); de.Status != 429 {
			t.Fatalf("first post: %v", de)
		}
		s.Answer(200, nil, "ok")
		clock.Advance(10 * time.Second)
		de := asDeliveryError(t, ch.Deliver(context.Background(), msg(t, body)))
		if de.Class != delivery.ClassRetry || de.RetryAfter != 20*time.Second {
			t.Errorf("during the hold: %+v, want retry after 20s", de)
		}
		if n := len(s.Received()); n != 1 {
			t.Errorf("sink got %d requests during the hold, want 1", n)
		}
		clock.Advance(20 * time.Second)
		if err := ch.Deliver(context.Background(), msg(t, body)); err != nil {
			t.Errorf("after the hold: %v", err)
		}
	})

	t.Run("with the real clock every message is still delivered", func(t *testing.T) {
		s := newSink(t)
		ch := mustNew(t, Config{WebhookURL: s.URL + webhookPath, Interval: time.Millisecond})
		for range 3 {
			if err := ch.Deliver(context.Background(), msg(t, body)); err != nil {
				t.Fatal(err)
			}
		}
		if n := len(s.Received()); n != 3 {
			t.Errorf("sink got %d requests, want 3", n)
		}
	})
}

func TestDeliverStopsWhenTheContextEnds(t *testing.T) {
	body := fixtures.Body(nicechat.TypeUnanswered)

	t.Run("an ended context posts nothing", func(t *testing.T) {
		s := newSink(t)
		ch, _ := newChannel(t, s.URL+webhookPath)
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		de := asDeliveryError(t, ch.Deliver(ctx, msg(t, body)))
		if de.Class != delivery.ClassRetry || !errors.Is(de, context.Canceled) {
			t.Errorf("error = %+v, want a retry wrapping context.Canceled", de)
		}
		if n := len(s.Received()); n != 0 {
			t.Errorf("sink got %d requests, want none", n)
		}
	})

	t.Run("a context ending while waiting its turn posts nothing and gives the turn back", func(t *testing.T) {
		s := newSink(t)
		ch, clock := newChannel(t, s.URL+webhookPath)
		clock.Freeze()
		if err := ch.Deliver(context.Background(), msg(t, body)); err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithCancel(context.Background())
		ch.pacer.Sleep = func(ctx context.Context, d time.Duration) error {
			cancel()
			<-ctx.Done()
			return ctx.Err()
		}
		de := asDeliveryError(t, ch.Deliver(ctx, msg(t, body)))
		if de.Class != delivery.ClassRetry || !errors.Is(de, context.Canceled) {
			t.Errorf("error = %+v, want a retry wrapping context.Canceled", de)
		}
		if n := len(s.Received()); n != 1 {
			t.Errorf("sink got %d requests, want only the first", n)
		}
		ch.pacer.Sleep = clock.Sleep
		if err := ch.Deliver(context.Background(), msg(t, body)); err != nil {
			t.Fatal(err)
		}
		if got := clock.Sleeps(); !slices.Equal(got, []time.Duration{time.Second}) {
			t.Errorf("next caller waited %v, want one interval", got)
		}
	})
}

func TestChannelIdentity(t *testing.T) {
	ch := mustNew(t, Config{WebhookURL: "https://hooks.slack.com/services/x"})
	if ch.Name() != "slack" {
		t.Errorf("Name = %q", ch.Name())
	}
	// A delivery may wait one interval for its turn, then post for up to
	// the post timeout: the runtime's deadline check must count both.
	if ch.Timeout() != 12*time.Second {
		t.Errorf("default Timeout = %s, want 12s (2s turn + 10s post)", ch.Timeout())
	}
	if ch.pacer.Interval != 2*time.Second {
		t.Errorf("default interval = %s, want 2s", ch.pacer.Interval)
	}
}

func TestConfigFromEnv(t *testing.T) {
	const hook = "https://hooks.slack.com/services/T000/B000/XXXX"
	tests := []struct {
		name       string
		env        map[string]string
		check      func(t *testing.T, c Config)
		wantErr    string
		wantErrToo string
	}{
		{name: "takes the defaults", env: map[string]string{"SLACK_WEBHOOK_URL": hook}, check: func(t *testing.T, c Config) {
			if c.WebhookURL != hook || c.Timeout != 10*time.Second || c.Interval != 2*time.Second || c.Humanize.Location != time.UTC {
				t.Errorf("config = %+v", c)
			}
		}},
		{name: "reads the timeout and humanize options", env: map[string]string{"SLACK_WEBHOOK_URL": hook, "SLACK_TIMEOUT": "3s",
			"DISPLAY_TIMEZONE": "Europe/Kyiv", "HUMANIZE_SHOW_IP": "true", "CHAT_URL_TEMPLATE": "https://x.example/c/{chat_id}"},
			check: func(t *testing.T, c Config) {
				if c.Timeout != 3*time.Second || c.Humanize.Location.String() != "Europe/Kyiv" || !c.Humanize.ShowIP || c.Humanize.ChatURLTemplate == "" {
					t.Errorf("config = %+v", c)
				}
			}},
		{name: "reads whole seconds", env: map[string]string{"SLACK_WEBHOOK_URL": hook, "SLACK_TIMEOUT": "7"}, check: func(t *testing.T, c Config) {
			if c.Timeout != 7*time.Second {
				t.Errorf("timeout = %s", c.Timeout)
			}
		}},
		{name: "reads the pace of one instance", env: map[string]string{"SLACK_WEBHOOK_URL": hook, "SLACK_MIN_INTERVAL": "1s"}, check: func(t *testing.T, c Config) {
			if c.Interval != time.Second {
				t.Errorf("interval = %s", c.Interval)
			}
		}},
		{name: "rejects a bad pace", env: map[string]string{"SLACK_WEBHOOK_URL": hook, "SLACK_MIN_INTERVAL": "fast"}, wantErr: "SLACK_MIN_INTERVAL"},
		{name: "requires the webhook URL", env: nil, wantErr: "SLACK_WEBHOOK_URL is required"},
		{name: "rejects a webhook URL that is not http(s), without quoting it", env: map[string]string{"SLACK_WEBHOOK_URL": "hooks.slack.com/services/s3cr3t"}, wantErr: "SLACK_WEBHOOK_URL"},
		{name: "rejects a bad timeout", env: map[string]string{"SLACK_WEBHOOK_URL": hook, "SLACK_TIMEOUT": "soon"}, wantErr: "SLACK_TIMEOUT"},
		{name: "rejects a zero timeout", env: map[string]string{"SLACK_WEBHOOK_URL": hook, "SLACK_TIMEOUT": "0s"}, wantErr: "SLACK_TIMEOUT"},
		{name: "rejects a timeout over five minutes", env: map[string]string{"SLACK_WEBHOOK_URL": hook, "SLACK_TIMEOUT": "10m"}, wantErr: "SLACK_TIMEOUT"},
		{name: "passes on a humanize error", env: map[string]string{"SLACK_WEBHOOK_URL": hook, "DISPLAY_TIMEZONE": "Nowhere/Else"}, wantErr: "DISPLAY_TIMEZONE"},
		{name: "writes English by default", env: map[string]string{"SLACK_WEBHOOK_URL": hook}, check: func(t *testing.T, c Config) {
			if c.Humanize.Language != "en" {
				t.Errorf("language = %q, want en", c.Humanize.Language)
			}
		}},
		{name: "reads HUMANIZE_LANGUAGE", env: map[string]string{"SLACK_WEBHOOK_URL": hook, "HUMANIZE_LANGUAGE": "uk"}, check: func(t *testing.T, c Config) {
			if c.Humanize.Language != "uk" {
				t.Errorf("language = %q, want uk", c.Humanize.Language)
			}
		}},
		{name: "SLACK_LANGUAGE wins over HUMANIZE_LANGUAGE", env: map[string]string{"SLACK_WEBHOOK_URL": hook, "HUMANIZE_LANGUAGE": "en", "SLACK_LANGUAGE": "pl"},
			check: func(t *testing.T, c Config) {
				if c.Humanize.Language != "pl" {
					t.Errorf("language = %q, want pl", c.Humanize.Language)
				}
			}},
		{name: "another channel's language is not Slack's", env: map[string]string{"SLACK_WEBHOOK_URL": hook, "HUMANIZE_LANGUAGE": "uk", "EMAIL_LANGUAGE": "en", "TELEGRAM_LANGUAGE": "pl"},
			check: func(t *testing.T, c Config) {
				if c.Humanize.Language != "uk" {
					t.Errorf("language = %q, want uk", c.Humanize.Language)
				}
			}},
		{name: "rejects an unknown SLACK_LANGUAGE, listing the languages", env: map[string]string{"SLACK_WEBHOOK_URL": hook, "SLACK_LANGUAGE": "ua"}, wantErr: `SLACK_LANGUAGE: "ua" is not a language`, wantErrToo: "available: " + strings.Join(humanize.Languages(), ", ")},
		{name: "rejects an unknown HUMANIZE_LANGUAGE, listing the languages", env: map[string]string{"SLACK_WEBHOOK_URL": hook, "HUMANIZE_LANGUAGE": "de"}, wantErr: "HUMANIZE_LANGUAGE", wantErrToo: "available: " + strings.Join(humanize.Languages(), ", ")},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c, err := ConfigFromEnv(func(k string) string { return tc.env[k] })
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) || !strings.Contains(err.Error(), tc.wantErrToo) || strings.Contains(err.Error(), "s3cr3t") {
					t.Fatalf("err = %v, want one naming %s, saying %q and not quoting the URL", err, tc.wantErr, tc.wantErrToo)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			tc.check(t, c)
		})
	}
}

// newSink is a stand-in for the service on 127.0.0.1, answering success.
func newSink(t *testing.T) *deliverytest.Endpoint {
	return deliverytest.NewEndpoint(t, http.StatusOK, http.Header{}, "ok")
}

func TestAnEchoedWebhookURLStaysOutOfTheReason(t *testing.T) {
	s := newSink(t)
	s.Answer(http.StatusNotFound, nil, "no_service for "+webhookPath)
	ch := mustNew(t, Config{WebhookURL: s.URL + webhookPath, Interval: time.Millisecond})
	de := asDeliveryError(t, ch.Deliver(context.Background(), msg(t, fixtures.Body(nicechat.TypeNewChat))))
	if strings.Contains(de.Reason, "s3cr3t") || strings.Contains(de.Error(), "s3cr3t") {
		t.Errorf("the reason %q carries the webhook URL's secret path", de.Reason)
	}
}
