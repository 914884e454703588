package telegram

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	fixtures "github.com/nicechat-relay/nicechat-relay/events"
	"github.com/nicechat-relay/nicechat-relay/shared/delivery"
	"github.com/nicechat-relay/nicechat-relay/shared/humane"
	"github.com/nicechat-relay/nicechat-relay/shared/humane/humanetest"
	"github.com/nicechat-relay/nicechat-relay/shared/message"
	"github.com/nicechat-relay/nicechat-relay/shared/nicechat"
	"github.com/nicechat-relay/nicechat-relay/shared/outbound/outboundtest"
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
func newChannel(t *testing.T, apiURL string) (*Channel, *outboundtest.Clock) {
	t.Helper()
	return newChannelTo(t, apiURL, chatID)
}

func newChannelTo(t *testing.T, apiURL, chat string) (*Channel, *outboundtest.Clock) {
	t.Helper()
	ch := open(t, Config{BotToken: token, ChatID: chat, APIURL: apiURL, Timeout: 5 * time.Second, Humanize: goldenOpts})
	return ch, humanetest.OnClock(ch.pacer)
}

func open(t *testing.T, cfg Config) *Channel {
	t.Helper()
	ch, err := New(cfg, Deps{})
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	return ch
}

// service is the channel as the humane kit's checks drive it.
var service = humanetest.Service{
	Open: func(t *testing.T, url string, timeout, interval time.Duration) (delivery.Channel, *humane.Pacer) {
		ch := open(t, Config{BotToken: token, ChatID: chatID, APIURL: url, Timeout: timeout, Interval: interval, Humanize: goldenOpts})
		return ch, ch.pacer
	},
	OK:         humanetest.Answer{Status: http.StatusOK, Header: http.Header{"Content-Type": {"application/json"}}, Body: okAnswer},
	TooMany:    humanetest.Answer{Status: http.StatusTooManyRequests, Body: apiError(429, "Too Many Requests: retry after 30", `{"retry_after":30}`)},
	URLSetting: EnvAPIURL,
	Secret:     secret,
}

func msg(_ *testing.T, body []byte) message.Message { return humanetest.Message(body) }

var asDeliveryError = humanetest.AsDeliveryError

// sent decodes a recorded sendMessage body, keeping numbers as they were
// written.
func sent(t *testing.T, r outboundtest.Request) map[string]any {
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
	humanetest.CheckAnswers(t, service, []humanetest.AnswerCase{
		{Name: "200 ok true is delivered", Status: 200, Body: okAnswer},
		{Name: "429 is retried after parameters.retry_after", Status: 429,
			Body:  apiError(429, "Too Many Requests: retry after 35", `{"retry_after":35}`),
			Class: delivery.ClassRetry, RetryAfter: 35 * time.Second, Code: "too_many_requests", Reason: "Telegram 429: Too Many Requests: retry after 35"},
		{Name: "429 takes a longer Retry-After header", Status: 429, Header: retryAfter("60"),
			Body:  apiError(429, "Too Many Requests: retry after 35", `{"retry_after":35}`),
			Class: delivery.ClassRetry, RetryAfter: time.Minute, Code: "too_many_requests"},
		{Name: "429 takes a longer retry_after than its header", Status: 429, Header: retryAfter("10"),
			Body:  apiError(429, "Too Many Requests: retry after 35", `{"retry_after":35}`),
			Class: delivery.ClassRetry, RetryAfter: 35 * time.Second, Code: "too_many_requests"},
		{Name: "400 chat not found is a wrong chat id", Status: 400, Body: apiError(400, "Bad Request: chat not found", ""),
			Class: delivery.ClassMisconfigured, Code: "chat_not_found", Setting: EnvChatID, Reason: "Telegram 400: Bad Request: chat not found"},
		{Name: "400 from a group that became a supergroup names the new id", Status: 400,
			Body:  apiError(400, "Bad Request: group chat was upgraded to a supergroup chat", `{"migrate_to_chat_id":-1001557912345}`),
			Class: delivery.ClassMisconfigured, Code: "chat_migrated", Setting: EnvChatID,
			Reason: "Telegram 400: Bad Request: group chat was upgraded to a supergroup chat (the chat's new id is -1001557912345)"},
		{Name: "403 bot blocked by the user is a wrong chat", Status: 403, Body: apiError(403, "Forbidden: bot was blocked by the user", ""),
			Class: delivery.ClassMisconfigured, Code: "bot_blocked", Setting: EnvChatID, Reason: "Telegram 403: Forbidden: bot was blocked by the user"},
		{Name: "403 bot kicked from the group is a wrong chat", Status: 403, Body: apiError(403, "Forbidden: bot was kicked from the supergroup chat", ""),
			Class: delivery.ClassMisconfigured, Code: "bot_kicked", Setting: EnvChatID},
		{Name: "403 bot not a member of the channel is a wrong chat", Status: 403, Body: apiError(403, "Forbidden: bot is not a member of the channel chat", ""),
			Class: delivery.ClassMisconfigured, Code: "bot_not_member", Setting: EnvChatID},
		{Name: "403 bot cannot start the conversation is a wrong chat", Status: 403, Body: apiError(403, "Forbidden: bot can't initiate conversation with a user", ""),
			Class: delivery.ClassMisconfigured, Code: "bot_cant_initiate_conversation_with_a_user", Setting: EnvChatID},
		{Name: "401 Unauthorized is a wrong token", Status: 401, Body: apiError(401, "Unauthorized", ""),
			Class: delivery.ClassMisconfigured, Code: "unauthorized", Setting: EnvBotToken, Reason: "Telegram 401: Unauthorized"},
		{Name: "404 Not Found is a wrong token", Status: 404, Body: apiError(404, "Not Found", ""),
			Class: delivery.ClassMisconfigured, Code: "not_found", Setting: EnvBotToken, Reason: "Telegram 404: Not Found"},
		{Name: "400 can't parse entities is permanent", Status: 400,
			Body:  apiError(400, `Bad Request: can't parse entities: Unsupported start tag "x" at byte offset 3`, ""),
			Class: delivery.ClassPermanent, Code: "cant_parse_entities", Reason: `Telegram 400: Bad Request: can't parse entities: Unsupported start tag "x" at byte offset 3`},
		{Name: "400 message is too long is permanent", Status: 400, Body: apiError(400, "Bad Request: message is too long", ""),
			Class: delivery.ClassPermanent, Code: "message_is_too_long"},
		{Name: "413 without a Bot API answer is permanent", Status: 413, Body: "<html><body>Request Entity Too Large</body></html>",
			Class: delivery.ClassPermanent, Reason: "Telegram 413: Request Entity Too Large"},
		{Name: "408 is retried", Status: 408, Class: delivery.ClassRetry, Reason: "Telegram 408"},
		{Name: "500 is retried", Status: 500, Body: apiError(500, "Internal Server Error", ""),
			Class: delivery.ClassRetry, Code: "internal_server_error", Reason: "Telegram 500: Internal Server Error"},
		{Name: "502 from a proxy is retried, its page read as text", Status: 502, Body: nginx502,
			Class: delivery.ClassRetry, Reason: "Telegram 502: 502 Bad Gateway 502 Bad Gateway nginx"},
		{Name: "302 is a wrong API URL, not followed", Status: 302, Header: http.Header{"Location": {"https://elsewhere.example/bot" + token + "/sendMessage"}},
			Class: delivery.ClassMisconfigured, Setting: EnvAPIURL,
			Reason: "Telegram API URL redirects: HTTP 302: redirect not followed (Location: https://elsewhere.example/…)"},
		{Name: "200 that is not the Bot API's answer is a wrong API URL", Status: 200, Body: "<html><body>Welcome to nginx!</body></html>",
			Class: delivery.ClassMisconfigured, Setting: EnvAPIURL, Reason: "not the Bot API's answer: HTTP 200: Welcome to nginx!"},
		{Name: "200 with ok false is a wrong API URL", Status: 200, Body: apiError(400, "Bad Request: chat not found", ""),
			Class: delivery.ClassMisconfigured, Setting: EnvAPIURL},
	}...)
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
		"connection refused":                  func(t *testing.T) (string, time.Duration) { return humanetest.Refused(t), 5 * time.Second },
		"timeout":                             func(t *testing.T) (string, time.Duration) { return humanetest.Hanging(t), 100 * time.Millisecond },
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
	humanetest.CheckTransportFailures(t, service)
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

func TestDeliverPacesPostsOnePerIntervalAndStopsWhenTheContextEnds(t *testing.T) {
	humanetest.CheckPacing(t, service)
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
func newSink(t *testing.T) *outboundtest.Endpoint {
	return humanetest.NewEndpoint(t, service.OK)
}
