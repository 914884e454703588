package slack

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	slackapi "github.com/slack-go/slack"

	fixtures "github.com/nicechat-relay/nicechat-relay/events"
	"github.com/nicechat-relay/nicechat-relay/shared/delivery"
	"github.com/nicechat-relay/nicechat-relay/shared/humane"
	"github.com/nicechat-relay/nicechat-relay/shared/humane/humanetest"
	"github.com/nicechat-relay/nicechat-relay/shared/message"
	"github.com/nicechat-relay/nicechat-relay/shared/nicechat"
	"github.com/nicechat-relay/nicechat-relay/shared/outbound/outboundtest"
)

const webhookPath = "/services/T000/B000/s3cr3tt0ken"

func newChannel(t *testing.T, url string) (*Channel, *outboundtest.Clock) {
	t.Helper()
	ch := mustNew(t, Config{WebhookURL: url, Timeout: 5 * time.Second, Interval: time.Second, Humanize: linkOpts})
	return ch, humanetest.OnClock(ch.pacer)
}

// service is the channel as the humane kit's checks drive it.
var service = humanetest.Service{
	Open: func(t *testing.T, url string, timeout, interval time.Duration) (delivery.Channel, *humane.Pacer) {
		ch := mustNew(t, Config{WebhookURL: url + webhookPath, Timeout: timeout, Interval: interval, Humanize: linkOpts})
		return ch, ch.pacer
	},
	OK:         humanetest.Answer{Status: http.StatusOK, Body: "ok"},
	TooMany:    humanetest.Answer{Status: http.StatusTooManyRequests, Header: http.Header{"Retry-After": {"30"}}, Body: "rate_limited"},
	URLSetting: EnvWebhookURL,
	ReasonSays: "HTTP ",
	Secret:     "s3cr3t",
}

func mustNew(t *testing.T, cfg Config) *Channel {
	t.Helper()
	ch, err := New(cfg, Deps{})
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	return ch
}

func msg(_ *testing.T, body []byte) message.Message { return humanetest.Message(body) }

var asDeliveryError = humanetest.AsDeliveryError

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
	humanetest.CheckAnswers(t, service, []humanetest.AnswerCase{
		{Name: "200 ok is delivered", Status: 200, Body: "ok"},
		{Name: "204 is delivered", Status: 204},
		{Name: "429 is retried after Retry-After", Status: 429, Header: retryAfter("30"), Body: "rate_limited", Class: delivery.ClassRetry, RetryAfter: 30 * time.Second, Code: "rate_limited"},
		{Name: "429 without Retry-After is retried", Status: 429, Body: "rate_limited", Class: delivery.ClassRetry, Code: "rate_limited"},
		{Name: "400 invalid_payload is permanent", Status: 400, Body: "invalid_payload", Class: delivery.ClassPermanent, Code: "invalid_payload"},
		{Name: "400 invalid_blocks is permanent", Status: 400, Body: "invalid_blocks\n", Class: delivery.ClassPermanent, Code: "invalid_blocks"},
		{Name: "403 action_prohibited is misconfigured", Status: 403, Body: "action_prohibited", Class: delivery.ClassMisconfigured, Code: "action_prohibited", Setting: "SLACK_WEBHOOK_URL"},
		{Name: "403 invalid_token is misconfigured", Status: 403, Body: "invalid_token", Class: delivery.ClassMisconfigured, Code: "invalid_token", Setting: "SLACK_WEBHOOK_URL"},
		{Name: "404 channel_not_found is misconfigured", Status: 404, Body: "channel_not_found", Class: delivery.ClassMisconfigured, Code: "channel_not_found", Setting: "SLACK_WEBHOOK_URL"},
		{Name: "404 no_service is misconfigured", Status: 404, Body: "no_service", Class: delivery.ClassMisconfigured, Code: "no_service", Setting: "SLACK_WEBHOOK_URL"},
		{Name: "410 channel_is_archived is misconfigured", Status: 410, Body: "channel_is_archived", Class: delivery.ClassMisconfigured, Code: "channel_is_archived", Setting: "SLACK_WEBHOOK_URL"},
		{Name: "500 is retried", Status: 500, Body: "internal_error", Class: delivery.ClassRetry, Code: "internal_error"},
		{Name: "503 is retried after Retry-After", Status: 503, Header: retryAfter("120"), Body: "service_unavailable", Class: delivery.ClassRetry, RetryAfter: 2 * time.Minute, Code: "service_unavailable"},
	}...)
}

func TestDeliverRetriesTransportFailuresWithoutLeakingTheURL(t *testing.T) {
	humanetest.CheckTransportFailures(t, service)
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

func TestDeliverPacesPostsOnePerIntervalAndStopsWhenTheContextEnds(t *testing.T) {
	humanetest.CheckPacing(t, service)
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
		name    string
		env     map[string]string
		check   func(t *testing.T, c Config)
		wantErr string
	}{
		{name: "takes the webhook URL", env: map[string]string{"SLACK_WEBHOOK_URL": hook}, check: func(t *testing.T, c Config) {
			if c.WebhookURL != hook {
				t.Errorf("config = %+v", c)
			}
		}},
		{name: "requires the webhook URL", env: nil, wantErr: "SLACK_WEBHOOK_URL is required"},
		{name: "rejects a webhook URL that is not http(s), without quoting it", env: map[string]string{"SLACK_WEBHOOK_URL": "hooks.slack.com/services/s3cr3t"}, wantErr: "SLACK_WEBHOOK_URL"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c, err := ConfigFromEnv(func(k string) string { return tc.env[k] })
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) || strings.Contains(err.Error(), "s3cr3t") {
					t.Fatalf("err = %v, want one naming %s and not quoting the URL", err, tc.wantErr)
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

func TestConfigFromEnvReadsTheHumaneSettings(t *testing.T) {
	humanetest.CheckSettings(t, humanetest.Settings{
		Env: env, Defaults: humane.Defaults, Required: map[string]string{EnvWebhookURL: "https://hooks.slack.com/services/T000/B000/s3cr3t"}, Secret: "s3cr3t",
		Read: func(getenv func(string) string) (humane.Settings, error) {
			c, err := ConfigFromEnv(getenv)
			return c.settings(), err
		},
	})
}

// newSink is a stand-in for the service on 127.0.0.1, answering success.
func newSink(t *testing.T) *outboundtest.Endpoint {
	return humanetest.NewEndpoint(t, service.OK)
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
