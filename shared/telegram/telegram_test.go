package telegram

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	fixtures "github.com/nicechat-relay/nicechat-relay/events"
	"github.com/nicechat-relay/nicechat-relay/shared/delivery"
	"github.com/nicechat-relay/nicechat-relay/shared/delivery/deliverytest"
	"github.com/nicechat-relay/nicechat-relay/shared/message"
	"github.com/nicechat-relay/nicechat-relay/shared/nicechat"
)

const (
	token    = "123456789:AAH-s3cr3tT0ken_abcdefghijklmnop"
	secret   = "AAH-s3cr3tT0ken_abcdefghijklmnop"
	chatID   = "-1001234567890"
	sendPath = "/bot" + token + "/sendMessage"
)

// okAnswer is sendMessage's success, as the Bot API documents it.
const okAnswer = `{"ok":true,"result":{"message_id":42,"chat":{"id":-1001234567890,"type":"channel"},"date":1497378089,"text":"Hot lead"}}`

// apiError is a failed method's answer, as the Bot API documents it;
// params is the JSON of its "parameters", or "".
func apiError(code int, description, params string) string {
	desc, _ := json.Marshal(description)
	s := fmt.Sprintf(`{"ok":false,"error_code":%d,"description":%s`, code, desc)
	if params != "" {
		s += `,"parameters":` + params
	}
	return s + "}"
}

// newChannel is a channel posting to apiURL at the default pace, on a fake
// clock.
func newChannel(t *testing.T, apiURL string) (*Channel, *deliverytest.Clock) {
	t.Helper()
	return newChannelTo(t, apiURL, chatID)
}

func newChannelTo(t *testing.T, apiURL, chat string) (*Channel, *deliverytest.Clock) {
	t.Helper()
	ch, err := New(Config{BotToken: token, ChatID: chat, APIURL: apiURL, Timeout: 5 * time.Second, Humanize: goldenOpts}, Deps{})
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	clock := deliverytest.NewClock(time.Date(2024, 7, 1, 12, 0, 0, 0, time.UTC))
	ch.pacer.Now, ch.pacer.Sleep = clock.Now, clock.Sleep
	return ch, clock
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

// sent decodes a recorded sendMessage body, keeping numbers as they were
// written.
func sent(t *testing.T, r deliverytest.Request) map[string]any {
	t.Helper()
	dec := json.NewDecoder(bytes.NewReader(r.Body))
	dec.UseNumber()
	var got map[string]any
	if err := dec.Decode(&got); err != nil {
		t.Fatalf("body is not JSON: %v\n%s", err, r.Body)
	}
	return got
}

func TestDeliverPostsSendMessageForEveryEventType(t *testing.T) {
	s := newSink(t)
	ch, _ := newChannel(t, s.URL)
	for _, typ := range nicechat.KnownTypes {
		t.Run(typ, func(t *testing.T) {
			before := len(s.Received())
			body := fixtures.Body(typ)
			if err := ch.Deliver(context.Background(), msg(t, body)); err != nil {
				t.Fatalf("Deliver: %v", err)
			}
			reqs := s.Received()[before:]
			if len(reqs) != 1 {
				t.Fatalf("Bot API got %d requests, want 1", len(reqs))
			}
			r := reqs[0]
			if r.Method != http.MethodPost || r.Path != sendPath {
				t.Errorf("request = %s %s, want POST %s", r.Method, r.Path, sendPath)
			}
			if got := r.Header.Get("Content-Type"); got != "application/json" {
				t.Errorf("Content-Type = %q", got)
			}
			if got := r.Header.Get("User-Agent"); got != "nicechat-relay/1 (+telegram)" {
				t.Errorf("User-Agent = %q", got)
			}
			got := sent(t, r)
			if want := Text(parse(t, body), goldenOpts); got["text"] != want {
				t.Errorf("text = %q, want %q", got["text"], want)
			}
			if got["parse_mode"] != "HTML" {
				t.Errorf("parse_mode = %v, want HTML", got["parse_mode"])
			}
			if lp, _ := got["link_preview_options"].(map[string]any); lp["is_disabled"] != true {
				t.Errorf("link_preview_options = %v, want previews disabled", got["link_preview_options"])
			}
			if len(got) != 4 {
				t.Errorf("body has fields %v, want exactly chat_id, text, parse_mode, link_preview_options", got)
			}
		})
	}
}

func TestDeliverTakesTheSQSFixture(t *testing.T) {
	s := newSink(t)
	ch, _ := newChannel(t, s.URL)
	m, err := message.FromRecord(fixtures.SQS(Name).Records[0])
	if err != nil {
		t.Fatal(err)
	}
	if err := ch.Deliver(context.Background(), m); err != nil {
		t.Fatalf("Deliver: %v", err)
	}
	if got := sent(t, s.Received()[0])["text"].(string); !strings.HasSuffix(got, "<code>"+m.EventID+"</code>") {
		t.Errorf("text does not end with the message's event id %s:\n%s", m.EventID, got)
	}
}

func TestDeliverSendsTheChatIDAsTheBotAPITakesIt(t *testing.T) {
	tests := []struct {
		name   string
		chatID string
		want   any
	}{
		{"a supergroup's negative id is a number", "-1001234567890", json.Number("-1001234567890")},
		{"a user's id is a number", "987654321", json.Number("987654321")},
		{"a public channel is its @name", "@nicechat_orders", "@nicechat_orders"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := newSink(t)
			ch, _ := newChannelTo(t, s.URL, tc.chatID)
			if err := ch.Deliver(context.Background(), msg(t, fixtures.Body(nicechat.TypeNewChat))); err != nil {
				t.Fatal(err)
			}
			if got := sent(t, s.Received()[0])["chat_id"]; got != tc.want {
				t.Errorf("chat_id = %#v, want %#v", got, tc.want)
			}
		})
	}
}

func TestDeliverPostsUnderTheAPIURLsPath(t *testing.T) {
	// A local Bot API server may sit under a path prefix; a trailing slash
	// must not double the separator.
	s := newSink(t)
	ch, _ := newChannel(t, s.URL+"/telegram/")
	if err := ch.Deliver(context.Background(), msg(t, fixtures.Body(nicechat.TypeNewChat))); err != nil {
		t.Fatal(err)
	}
	if got := s.Received()[0].Path; got != "/telegram"+sendPath {
		t.Errorf("path = %q, want /telegram%s", got, sendPath)
	}
}

func TestDeliverClassifiesBotAPIAnswers(t *testing.T) {
	retryAfter := func(v string) http.Header { return http.Header{"Retry-After": {v}} }
	nginx502 := "<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body><center><h1>502 Bad Gateway</h1></center><hr><center>nginx</center></body></html>"
	tests := []struct {
		name       string
		status     int
		header     http.Header
		body       string
		class      delivery.Class // empty: delivered
		retryAfter time.Duration
		code       string
		setting    string
		reason     string // the reason, or its start when it ends in "…"
	}{
		{name: "200 ok true is delivered", status: 200, body: okAnswer},
		{name: "429 is retried after parameters.retry_after", status: 429,
			body:  apiError(429, "Too Many Requests: retry after 35", `{"retry_after":35}`),
			class: delivery.ClassRetry, retryAfter: 35 * time.Second, code: "too_many_requests", reason: "Telegram 429: Too Many Requests: retry after 35"},
		{name: "429 takes a longer Retry-After header", status: 429, header: retryAfter("60"),
			body:  apiError(429, "Too Many Requests: retry after 35", `{"retry_after":35}`),
			class: delivery.ClassRetry, retryAfter: time.Minute, code: "too_many_requests"},
		{name: "429 takes a longer retry_after than its header", status: 429, header: retryAfter("10"),
			body:  apiError(429, "Too Many Requests: retry after 35", `{"retry_after":35}`),
			class: delivery.ClassRetry, retryAfter: 35 * time.Second, code: "too_many_requests"},
		{name: "400 chat not found is a wrong chat id", status: 400, body: apiError(400, "Bad Request: chat not found", ""),
			class: delivery.ClassMisconfigured, code: "chat_not_found", setting: EnvChatID, reason: "Telegram 400: Bad Request: chat not found"},
		{name: "400 from a group that became a supergroup names the new id", status: 400,
			body:  apiError(400, "Bad Request: group chat was upgraded to a supergroup chat", `{"migrate_to_chat_id":-1001557912345}`),
			class: delivery.ClassMisconfigured, code: "chat_migrated", setting: EnvChatID,
			reason: "Telegram 400: Bad Request: group chat was upgraded to a supergroup chat (the chat's new id is -1001557912345)"},
		{name: "403 bot blocked by the user is a wrong chat", status: 403, body: apiError(403, "Forbidden: bot was blocked by the user", ""),
			class: delivery.ClassMisconfigured, code: "bot_blocked", setting: EnvChatID, reason: "Telegram 403: Forbidden: bot was blocked by the user"},
		{name: "403 bot kicked from the group is a wrong chat", status: 403, body: apiError(403, "Forbidden: bot was kicked from the supergroup chat", ""),
			class: delivery.ClassMisconfigured, code: "bot_kicked", setting: EnvChatID},
		{name: "403 bot not a member of the channel is a wrong chat", status: 403, body: apiError(403, "Forbidden: bot is not a member of the channel chat", ""),
			class: delivery.ClassMisconfigured, code: "bot_not_member", setting: EnvChatID},
		{name: "403 bot cannot start the conversation is a wrong chat", status: 403, body: apiError(403, "Forbidden: bot can't initiate conversation with a user", ""),
			class: delivery.ClassMisconfigured, code: "bot_cant_initiate_conversation_with_a_user", setting: EnvChatID},
		{name: "401 Unauthorized is a wrong token", status: 401, body: apiError(401, "Unauthorized", ""),
			class: delivery.ClassMisconfigured, code: "unauthorized", setting: EnvBotToken, reason: "Telegram 401: Unauthorized"},
		{name: "404 Not Found is a wrong token", status: 404, body: apiError(404, "Not Found", ""),
			class: delivery.ClassMisconfigured, code: "not_found", setting: EnvBotToken, reason: "Telegram 404: Not Found"},
		{name: "400 can't parse entities is permanent", status: 400,
			body:  apiError(400, `Bad Request: can't parse entities: Unsupported start tag "x" at byte offset 3`, ""),
			class: delivery.ClassPermanent, code: "cant_parse_entities", reason: `Telegram 400: Bad Request: can't parse entities: Unsupported start tag "x" at byte offset 3`},
		{name: "400 message is too long is permanent", status: 400, body: apiError(400, "Bad Request: message is too long", ""),
			class: delivery.ClassPermanent, code: "message_is_too_long"},
		{name: "413 without a Bot API answer is permanent", status: 413, body: "<html><body>Request Entity Too Large</body></html>",
			class: delivery.ClassPermanent, reason: "Telegram 413: Request Entity Too Large"},
		{name: "408 is retried", status: 408, class: delivery.ClassRetry, reason: "Telegram 408"},
		{name: "500 is retried", status: 500, body: apiError(500, "Internal Server Error", ""),
			class: delivery.ClassRetry, code: "internal_server_error", reason: "Telegram 500: Internal Server Error"},
		{name: "502 from a proxy is retried, its page read as text", status: 502, body: nginx502,
			class: delivery.ClassRetry, reason: "Telegram 502: 502 Bad Gateway 502 Bad Gateway nginx"},
		{name: "503 is retried after Retry-After", status: 503, header: retryAfter("120"),
			class: delivery.ClassRetry, retryAfter: 2 * time.Minute},
		{name: "302 is a wrong API URL, not followed", status: 302, header: http.Header{"Location": {"https://elsewhere.example/bot" + token + "/sendMessage"}},
			class: delivery.ClassMisconfigured, setting: EnvAPIURL,
			reason: "Telegram API URL redirects: HTTP 302: redirect not followed (Location: https://elsewhere.example/…)"},
		{name: "200 that is not the Bot API's answer is a wrong API URL", status: 200, body: "<html><body>Welcome to nginx!</body></html>",
			class: delivery.ClassMisconfigured, setting: EnvAPIURL, reason: "not the Bot API's answer: HTTP 200: Welcome to nginx!"},
		{name: "200 with ok false is a wrong API URL", status: 200, body: apiError(400, "Bad Request: chat not found", ""),
			class: delivery.ClassMisconfigured, setting: EnvAPIURL},
	}
	body := fixtures.Body(nicechat.TypeFirstMessage)
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := newSink(t)
			s.Answer(tc.status, tc.header, tc.body)
			ch, _ := newChannel(t, s.URL)
			err := ch.Deliver(context.Background(), msg(t, body))
			if n := len(s.Received()); n != 1 {
				t.Fatalf("Bot API got %d requests, want 1", n)
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
			if tc.reason != "" && de.Reason != tc.reason {
				t.Errorf("reason = %q, want %q", de.Reason, tc.reason)
			}
			if len(de.Reason) > delivery.MaxReasonBytes {
				t.Errorf("reason is %d bytes, over %d", len(de.Reason), delivery.MaxReasonBytes)
			}
		})
	}
}

func TestDeliverBoundsALongDescriptionButKeepsTheNewChatID(t *testing.T) {
	s := newSink(t)
	s.Answer(400, nil, apiError(400, "Bad Request: group chat was upgraded to a supergroup chat "+strings.Repeat("и", 600), `{"migrate_to_chat_id":-1001557912345}`))
	ch, _ := newChannel(t, s.URL)
	de := asDeliveryError(t, ch.Deliver(context.Background(), msg(t, fixtures.Body(nicechat.TypeNewChat))))
	if len(de.Reason) > delivery.MaxReasonBytes || !strings.HasSuffix(de.Reason, "… (the chat's new id is -1001557912345)") {
		t.Errorf("reason (%d bytes) = %q, want at most %d bytes ending with the new id", len(de.Reason), de.Reason, delivery.MaxReasonBytes)
	}
}

// failures reaches every way a post can fail, each against its own
// server, for the token check below.
func failures(t *testing.T) map[string]func(t *testing.T) (apiURL string, timeout time.Duration) {
	answering := func(status int, header http.Header, body string) func(t *testing.T) (string, time.Duration) {
		return func(t *testing.T) (string, time.Duration) {
			s := newSink(t)
			s.Answer(status, header, body)
			return s.URL, 5 * time.Second
		}
	}
	cases := map[string]func(t *testing.T) (string, time.Duration){
		"connection refused": func(t *testing.T) (string, time.Duration) {
			s := httptest.NewServer(http.NotFoundHandler())
			s.Close()
			return s.URL, 5 * time.Second
		},
		"timeout": func(t *testing.T) (string, time.Duration) {
			release := make(chan struct{})
			s := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				select {
				case <-r.Context().Done():
				case <-release:
				}
			}))
			t.Cleanup(s.Close)
			t.Cleanup(func() { close(release) })
			return s.URL, 100 * time.Millisecond
		},
		"redirect to a URL holding the token": answering(307, http.Header{"Location": {"https://api.example/bot" + token + "/sendMessage?token=" + token}}, ""),
		"a 404 page quoting the path":         answering(404, nil, "Cannot POST /bot"+token+"/sendMessage"),
		"a 404 page quoting the escaped path": answering(404, nil, "no route for /bot"+url.QueryEscape(token)+"/sendMessage"),
		"a 200 page quoting the token":        answering(200, nil, "<html><body>hello "+token+"</body></html>"),
		"a Bot API answer quoting the token": answering(400, nil,
			apiError(400, "Bad Request: token "+token+" is odd", "")),
		"429": answering(429, nil, apiError(429, "Too Many Requests: retry after 5", `{"retry_after":5}`)),
	}
	// A reason is cut to MaxReasonBytes: wherever the cut falls in a
	// quoted token, no part of it may be left.
	for pad := delivery.MaxReasonBytes - 80; pad <= delivery.MaxReasonBytes; pad += 10 {
		cases[fmt.Sprintf("a page quoting the token after %d bytes", pad)] = answering(500, nil, strings.Repeat("x", pad)+" /bot"+token+"/sendMessage")
	}
	for _, status := range []int{400, 401, 403, 404, 408, 500, 502, 503} {
		cases[fmt.Sprintf("HTTP %d", status)] = answering(status, nil, apiError(status, "Something: "+http.StatusText(status), ""))
	}
	return cases
}

func TestDeliverNeverShowsTheToken(t *testing.T) {
	for name, server := range failures(t) {
		t.Run(name, func(t *testing.T) {
			apiURL, timeout := server(t)
			ch, err := New(Config{BotToken: token, ChatID: chatID, APIURL: apiURL, Timeout: timeout, Interval: time.Millisecond}, Deps{})
			if err != nil {
				t.Fatal(err)
			}
			de := asDeliveryError(t, ch.Deliver(context.Background(), msg(t, fixtures.Body(nicechat.TypeNewChat))))
			shown := []string{de.Error(), de.Reason, de.Code, fmt.Sprintf("%+v", *de)}
			if de.Err != nil {
				shown = append(shown, de.Err.Error())
			}
			for _, s := range shown {
				// Any 8 characters of the secret would be a leak.
				for i := 0; i+8 <= len(secret); i++ {
					if strings.Contains(s, secret[i:i+8]) {
						t.Fatalf("the token shows in %q", s)
					}
				}
			}
		})
	}
}

func TestDeliverRetriesTransportFailures(t *testing.T) {
	for _, name := range []string{"connection refused", "timeout"} {
		t.Run(name, func(t *testing.T) {
			apiURL, timeout := failures(t)[name](t)
			ch, err := New(Config{BotToken: token, ChatID: chatID, APIURL: apiURL, Timeout: timeout}, Deps{})
			if err != nil {
				t.Fatal(err)
			}
			de := asDeliveryError(t, ch.Deliver(context.Background(), msg(t, fixtures.Body(nicechat.TypeNewChat))))
			if de.Class != delivery.ClassRetry || de.Status != 0 {
				t.Errorf("error = %+v, want a retry without a status", de)
			}
			if !strings.Contains(de.Reason, "http://127.0.0.1:") {
				t.Errorf("reason %q does not name the host it could not reach", de.Reason)
			}
		})
	}
}

func TestDeliverUsesTheGivenHTTPClient(t *testing.T) {
	s := newSink(t)
	var used bool
	client := &http.Client{Transport: roundTripFunc(func(r *http.Request) (*http.Response, error) {
		used = true
		return http.DefaultTransport.RoundTrip(r)
	})}
	ch, err := New(Config{BotToken: token, ChatID: chatID, APIURL: s.URL}, Deps{HTTP: client})
	if err != nil {
		t.Fatal(err)
	}
	if err := ch.Deliver(context.Background(), msg(t, fixtures.Body(nicechat.TypeNewChat))); err != nil || !used {
		t.Errorf("Deliver = %v, client used: %v", err, used)
	}
}

type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

func TestDeliverRejectsABodyThatIsNotAnEvent(t *testing.T) {
	s := newSink(t)
	ch, _ := newChannel(t, s.URL)
	de := asDeliveryError(t, ch.Deliver(context.Background(), msg(t, []byte(`{"event":"new_chat"}`))))
	if de.Class != delivery.ClassInvalidMessage {
		t.Errorf("class = %s, want invalid_message", de.Class)
	}
	if n := len(s.Received()); n != 0 {
		t.Errorf("Bot API got %d requests, want none", n)
	}
}

func TestDeliverPacesPostsOnePerInterval(t *testing.T) {
	body := fixtures.Body(nicechat.TypeNewChat)

	t.Run("one after another, each waits out the interval", func(t *testing.T) {
		s := newSink(t)
		ch, clock := newChannel(t, s.URL)
		for range 3 {
			if err := ch.Deliver(context.Background(), msg(t, body)); err != nil {
				t.Fatal(err)
			}
		}
		if got, want := clock.Sleeps(), []time.Duration{2 * time.Second, 2 * time.Second}; !slices.Equal(got, want) {
			t.Errorf("waits = %v, want %v", got, want)
		}
		if n := len(s.Received()); n != 3 {
			t.Errorf("Bot API got %d requests, want 3", n)
		}
	})

	t.Run("concurrent callers each take the next turn", func(t *testing.T) {
		s := newSink(t)
		ch, clock := newChannel(t, s.URL)
		clock.Freeze()
		var wg sync.WaitGroup
		errs := make(chan error, 4)
		for range 4 {
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
		if want := []time.Duration{2 * time.Second, 4 * time.Second, 6 * time.Second}; !slices.Equal(got, want) {
			t.Errorf("waits = %v, want %v", got, want)
		}
	})

	t.Run("a 429 holds later posts back for retry_after", func(t *testing.T) {
		s := newSink(t)
		ch, clock := newChannel(t, s.URL)
		s.Answer(429, nil, apiError(429, "Too Many Requests: retry after 30", `{"retry_after":30}`))
		if de := asDeliveryError(t, ch.Deliver(context.Background(), msg(t, body))); de.Status != 429 || de.RetryAfter != 30*time.Second {
			t.Fatalf("first post: %+v", de)
		}
		s.Answer(200, nil, okAnswer)
		clock.Advance(10 * time.Second)
		de := asDeliveryError(t, ch.Deliver(context.Background(), msg(t, body)))
		if de.Class != delivery.ClassRetry || de.RetryAfter != 20*time.Second {
			t.Errorf("during the hold: %+v, want retry after 20s", de)
		}
		if n := len(s.Received()); n != 1 {
			t.Errorf("Bot API got %d requests during the hold, want 1", n)
		}
		clock.Advance(20 * time.Second)
		if err := ch.Deliver(context.Background(), msg(t, body)); err != nil {
			t.Errorf("after the hold: %v", err)
		}
		if n := len(s.Received()); n != 2 {
			t.Errorf("Bot API got %d requests, want 2", n)
		}
	})

	t.Run("a failure other than 429 holds nothing back", func(t *testing.T) {
		s := newSink(t)
		ch, clock := newChannel(t, s.URL)
		s.Answer(503, http.Header{"Retry-After": {"30"}}, apiError(503, "Service Unavailable", ""))
		_ = ch.Deliver(context.Background(), msg(t, body))
		s.Answer(200, nil, okAnswer)
		clock.Advance(2 * time.Second)
		if err := ch.Deliver(context.Background(), msg(t, body)); err != nil {
			t.Errorf("next post: %v", err)
		}
	})
}

func TestDeliverStopsWhenTheContextEnds(t *testing.T) {
	body := fixtures.Body(nicechat.TypeUnanswered)

	t.Run("an ended context posts nothing", func(t *testing.T) {
		s := newSink(t)
		ch, _ := newChannel(t, s.URL)
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		de := asDeliveryError(t, ch.Deliver(ctx, msg(t, body)))
		if de.Class != delivery.ClassRetry || !errors.Is(de, context.Canceled) {
			t.Errorf("error = %+v, want a retry wrapping context.Canceled", de)
		}
		if n := len(s.Received()); n != 0 {
			t.Errorf("Bot API got %d requests, want none", n)
		}
	})

	t.Run("a context ending while waiting its turn posts nothing", func(t *testing.T) {
		s := newSink(t)
		ch, clock := newChannel(t, s.URL)
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
			t.Errorf("Bot API got %d requests, want only the first", n)
		}
	})
}

func TestChannelIdentity(t *testing.T) {
	ch, err := New(Config{BotToken: token, ChatID: chatID}, Deps{})
	if err != nil {
		t.Fatal(err)
	}
	if ch.Name() != "telegram" || Name != "telegram" {
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
	if want := "https://api.telegram.org/bot" + token + "/sendMessage"; ch.endpoint != want {
		t.Errorf("endpoint = %q, want the public Bot API", ch.endpoint)
	}
	if ch.client.Timeout != 10*time.Second {
		t.Errorf("client timeout = %s, want 10s", ch.client.Timeout)
	}
}

func TestNewRejectsAnInvalidConfigWithoutQuotingTheToken(t *testing.T) {
	_, err := New(Config{BotToken: token + "!", ChatID: chatID}, Deps{})
	if err == nil || !strings.Contains(err.Error(), EnvBotToken) || strings.Contains(err.Error(), secret) {
		t.Errorf("New = %v, want an error naming %s without the token", err, EnvBotToken)
	}
}

// newSink is a stand-in for the service on 127.0.0.1, answering success.
func newSink(t *testing.T) *deliverytest.Endpoint {
	return deliverytest.NewEndpoint(t, http.StatusOK, http.Header{"Content-Type": {"application/json"}}, okAnswer)
}
