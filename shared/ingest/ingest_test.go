package ingest_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"log/slog"
	"net"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"

	fixtures "github.com/nicechat-relay/nicechat-relay/events"
	"github.com/nicechat-relay/nicechat-relay/shared/ingest"
	"github.com/nicechat-relay/nicechat-relay/shared/localaws"
	"github.com/nicechat-relay/nicechat-relay/shared/logtest"
	"github.com/nicechat-relay/nicechat-relay/shared/nicechat"
)

func TestMain(m *testing.M) { os.Exit(localaws.Main(m)) }

const token = "test-token-0123456789-abcdefgh"

// relay is an ingest handler wired to fresh queues on the local SQS.
type relay struct {
	handler *ingest.Handler
	queues  map[string]string // route name or "quarantine" -> URL
	logs    *logtest.Buffer
	metrics *logtest.Buffer // the EMF lines
	sqs     *sqs.Client
}

// newRelay builds a relay; env overrides the default routing (every
// channel on, each with its own queue).
func newRelay(t *testing.T, env map[string]string) *relay {
	t.Helper()
	r := &relay{queues: map[string]string{}, logs: &logtest.Buffer{}, metrics: &logtest.Buffer{}, sqs: localaws.SQS(t)}
	r.queues["quarantine"] = localaws.Queue(t, "quarantine")
	r.queues["webhook"] = localaws.Queue(t, "webhook")
	r.queues["email"] = localaws.Queue(t, "email")
	r.queues["slack"] = localaws.Queue(t, "slack")
	vars := map[string]string{
		"CALLBACK_TOKEN":       token,
		"QUARANTINE_QUEUE_URL": r.queues["quarantine"],
		"WEBHOOK_EVENTS":       "*",
		"WEBHOOK_QUEUE_URL":    r.queues["webhook"],
		"EMAIL_TECH_EVENTS":    "*",
		"EMAIL_HUMAN_EVENTS":   "*",
		"EMAIL_QUEUE_URL":      r.queues["email"],
		"SLACK_EVENTS":         "*",
		"SLACK_QUEUE_URL":      r.queues["slack"],
	}
	for k, v := range env {
		vars[k] = v
	}
	cfg, err := ingest.LoadConfig(func(k string) string { return vars[k] })
	if err != nil {
		t.Fatalf("config: %v", err)
	}
	log := slog.New(slog.NewJSONHandler(r.logs, nil))
	r.handler = ingest.NewHandler(ingest.New(cfg, r.sqs, log), r.metrics)
	t.Cleanup(func() {
		if strings.Contains(r.logs.String(), token) {
			t.Errorf("the callback token appears in the logs:\n%s", r.logs.String())
		}
	})
	return r
}

func (r *relay) post(t *testing.T, tok string, body []byte, b64 bool) events.APIGatewayV2HTTPResponse {
	t.Helper()
	req := events.APIGatewayV2HTTPRequest{
		RouteKey:       "POST /callback/{token}",
		PathParameters: map[string]string{"token": tok},
		Body:           string(body),
	}
	if b64 {
		req.Body, req.IsBase64Encoded = base64.StdEncoding.EncodeToString(body), true
	}
	req.RequestContext.HTTP.Method = "POST"
	resp, err := r.handler.Handle(context.Background(), req)
	if err != nil {
		t.Fatalf("handler returned an error (Lambda would answer 502): %v", err)
	}
	return resp
}

// drain reads every message currently in a queue.
func (r *relay) drain(t *testing.T, name string) []sqstypes.Message {
	t.Helper()
	var all []sqstypes.Message
	for {
		out, err := r.sqs.ReceiveMessage(context.Background(), &sqs.ReceiveMessageInput{
			QueueUrl:              aws.String(r.queues[name]),
			MaxNumberOfMessages:   10,
			MessageAttributeNames: []string{"All"},
			VisibilityTimeout:     300,
		})
		if err != nil {
			t.Fatalf("receive from %s: %v", name, err)
		}
		if len(out.Messages) == 0 {
			return all
		}
		all = append(all, out.Messages...)
	}
}

func attr(m sqstypes.Message, name string) string {
	if a, ok := m.MessageAttributes[name]; ok && a.StringValue != nil {
		return *a.StringValue
	}
	return ""
}

func decode(t *testing.T, resp events.APIGatewayV2HTTPResponse) map[string]any {
	t.Helper()
	var body map[string]any
	if err := json.Unmarshal([]byte(resp.Body), &body); err != nil {
		t.Fatalf("response body is not JSON: %q", resp.Body)
	}
	return body
}

func TestAcceptsEveryFixtureAndQueuesItByteExact(t *testing.T) {
	for _, eventType := range nicechat.KnownTypes {
		t.Run(eventType, func(t *testing.T) {
			r := newRelay(t, nil)
			body := fixtures.Body(eventType)
			before := time.Now().UTC().Truncate(time.Second)
			resp := r.post(t, token, body, false)
			if resp.StatusCode != 202 {
				t.Fatalf("status %d, body %s", resp.StatusCode, resp.Body)
			}
			got := decode(t, resp)
			wantID := nicechat.EventID(body)
			if got["id"] != wantID || got["event"] != eventType {
				t.Errorf("response %s, want id %s event %s", resp.Body, wantID, eventType)
			}
			if fmt.Sprint(got["channels"]) != "[webhook email:tech email:human slack]" {
				t.Errorf("channels = %v", got["channels"])
			}
			for queue, formats := range map[string][]string{"webhook": {""}, "slack": {""}, "email": {"human", "tech"}} {
				msgs := r.drain(t, queue)
				if len(msgs) != len(formats) {
					t.Fatalf("%s queue holds %d messages, want %d", queue, len(msgs), len(formats))
				}
				var gotFormats []string
				for _, m := range msgs {
					if *m.Body != string(body) {
						t.Errorf("%s body differs from what was posted", queue)
					}
					if attr(m, "event") != eventType || attr(m, "event_id") != wantID {
						t.Errorf("%s attributes event=%q event_id=%q", queue, attr(m, "event"), attr(m, "event_id"))
					}
					at, err := time.Parse(time.RFC3339, attr(m, "received_at"))
					if err != nil || at.Before(before) {
						t.Errorf("%s received_at %q is not a fresh RFC 3339 time", queue, attr(m, "received_at"))
					}
					gotFormats = append(gotFormats, attr(m, "format"))
				}
				slices.Sort(gotFormats)
				if !slices.Equal(gotFormats, formats) {
					t.Errorf("%s formats = %q, want %q", queue, gotFormats, formats)
				}
			}
			if q := r.drain(t, "quarantine"); len(q) != 0 {
				t.Errorf("an accepted event was quarantined")
			}
		})
	}
}

func TestRoutesEachEventTypeToItsChannels(t *testing.T) {
	env := map[string]string{
		"WEBHOOK_EVENTS":     "*",
		"EMAIL_TECH_EVENTS":  "new_order",
		"EMAIL_HUMAN_EVENTS": "first_message, unanswered",
		"SLACK_EVENTS":       "first_message,push_form",
	}
	tests := []struct {
		event    string
		channels []string
		webhook  int
		email    []string // formats
		slack    int
	}{
		{"new_visitor", []string{"webhook"}, 1, nil, 0},
		{"new_chat", []string{"webhook"}, 1, nil, 0},
		{"first_message", []string{"webhook", "email:human", "slack"}, 1, []string{"human"}, 1},
		{"unanswered", []string{"webhook", "email:human"}, 1, []string{"human"}, 0},
		{"new_order", []string{"webhook", "email:tech"}, 1, []string{"tech"}, 0},
		{"push_form", []string{"webhook", "slack"}, 1, nil, 1},
		{"agent_joined", []string{"webhook"}, 1, nil, 0}, // undocumented type: only "*" channels
	}
	for _, tt := range tests {
		t.Run(tt.event, func(t *testing.T) {
			r := newRelay(t, env)
			body := []byte(fmt.Sprintf(`{"event":%q,"data":{"id":1}}`, tt.event))
			resp := r.post(t, token, body, false)
			if resp.StatusCode != 202 {
				t.Fatalf("status %d: %s", resp.StatusCode, resp.Body)
			}
			var got struct{ Channels []string }
			_ = json.Unmarshal([]byte(resp.Body), &got)
			if !slices.Equal(got.Channels, tt.channels) {
				t.Errorf("channels %q, want %q", got.Channels, tt.channels)
			}
			if n := len(r.drain(t, "webhook")); n != tt.webhook {
				t.Errorf("webhook queue: %d messages, want %d", n, tt.webhook)
			}
			if n := len(r.drain(t, "slack")); n != tt.slack {
				t.Errorf("slack queue: %d messages, want %d", n, tt.slack)
			}
			var formats []string
			for _, m := range r.drain(t, "email") {
				formats = append(formats, attr(m, "format"))
			}
			if !slices.Equal(formats, tt.email) {
				t.Errorf("email formats %q, want %q", formats, tt.email)
			}
		})
	}
}

func TestAcceptsLenientDataAndBase64Bodies(t *testing.T) {
	tests := []struct {
		name string
		body string
		b64  bool
	}{
		{"counts sent as strings", `{"event":"new_visitor","data":{"id":1,"visit_count":"5","chat_count":null}}`, false},
		{"fields of odd shapes", `{"event":"new_order","data":{"id":2,"products":{"title":"x"},"agents":"none","qty":"many"}}`, false},
		{"unknown fields kept", `{"event":"new_chat","data":{"id":3,"brand_new_field":{"a":[1,2]}},"extra":true}`, false},
		{"negative and zero ids", `{"event":"new_chat","data":{"id":0}}`, false},
		{"base64-encoded body", `{"event":"new_chat","data":{"id":4,"client_name":"Ім'я"}}`, true},
		{"base64-encoded fixture", string(fixtures.Body("new_order")), true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := newRelay(t, map[string]string{"EMAIL_TECH_EVENTS": "", "EMAIL_HUMAN_EVENTS": "", "SLACK_EVENTS": ""})
			resp := r.post(t, token, []byte(tt.body), tt.b64)
			if resp.StatusCode != 202 {
				t.Fatalf("status %d: %s", resp.StatusCode, resp.Body)
			}
			msgs := r.drain(t, "webhook")
			if len(msgs) != 1 || *msgs[0].Body != tt.body {
				t.Fatalf("webhook queue does not hold the exact decoded body: %d messages", len(msgs))
			}
		})
	}
}

func TestRejectsBadInputWithAPrecise4xxAndQuarantinesIt(t *testing.T) {
	big := `{"event":"new_chat","data":{"id":1,"pad":"` + strings.Repeat("я", 3000) + `"}}`
	tests := []struct {
		name      string
		body      string
		b64       bool
		rawB64    string // a base64 body sent as is
		status    int
		error     string // substring of the error
		field     string
		encoding  string
		truncated bool
	}{
		{name: "empty body", body: "", status: 400, error: "body is empty"},
		{name: "not JSON", body: "event=new_chat&id=1", status: 400, error: "not valid JSON"},
		{name: "vendor's malformed new_order example", body: string(fixtures.Body("invalid_new_order")), status: 400, error: "not valid JSON"},
		{name: "vendor's malformed push_form example", body: string(fixtures.Body("invalid_push_form")), status: 400, error: "not valid JSON"},
		{name: "trailing garbage", body: `{"event":"new_chat","data":{"id":1}} x`, status: 400, error: "not valid JSON"},
		{name: "array instead of object", body: `[{"event":"new_chat"}]`, status: 400, error: "not a JSON object"},
		{name: "JSON null", body: `null`, status: 400, error: "not a JSON object"},
		{name: "event missing", body: `{"data":{"id":1}}`, status: 400, error: "is required", field: "event"},
		{name: "event a number", body: `{"event":5,"data":{"id":1}}`, status: 400, error: "must be a string, got a number", field: "event"},
		{name: "event null", body: `{"event":null,"data":{"id":1}}`, status: 400, error: "must be a string, got null", field: "event"},
		{name: "event empty", body: `{"event":"","data":{"id":1}}`, status: 400, error: "must not be empty", field: "event"},
		{name: "event holding a control character", body: `{"event":"new\u0000chat","data":{"id":1}}`, status: 400, error: "may only hold letters", field: "event"},
		{name: "event holding a line break", body: `{"event":"new_chat\r\nX-Evil: 1","data":{"id":1}}`, status: 400, error: "may only hold letters", field: "event"},
		{name: "event longer than 64 characters", body: `{"event":"` + strings.Repeat("e", 65) + `","data":{"id":1}}`, status: 400, error: "longer than 64", field: "event"},
		{name: "data missing", body: `{"event":"new_chat"}`, status: 400, error: "is required", field: "data"},
		{name: "data an array", body: `{"event":"new_chat","data":[1]}`, status: 400, error: "must be an object, got an array", field: "data"},
		{name: "data null", body: `{"event":"new_chat","data":null}`, status: 400, error: "must be an object, got null", field: "data"},
		{name: "data.id missing", body: `{"event":"new_chat","data":{"client_id":1}}`, status: 400, error: "is required", field: "data.id"},
		{name: "data.id a string", body: `{"event":"new_chat","data":{"id":"109"}}`, status: 400, error: "must be an integer, got a string", field: "data.id"},
		{name: "data.id a fraction", body: `{"event":"new_chat","data":{"id":1.5}}`, status: 400, error: "must be an integer, got 1.5", field: "data.id"},
		{name: "data.id beyond int64", body: `{"event":"new_chat","data":{"id":99999999999999999999}}`, status: 400, error: "must be an integer", field: "data.id"},
		{name: "invalid UTF-8", body: "{\"event\":\"new_chat\",\"data\":{\"id\":1,\"n\":\"\xff\xfe\"}}", status: 400, error: "not valid UTF-8", encoding: "base64"},
		{name: "a character SQS refuses", body: "{\"event\":\"new_chat\",\"data\":{\"id\":1,\"n\":\"\uffff\"}}", status: 400, error: "U+FFFF", encoding: "base64"},
		{name: "bad base64", rawB64: "not*base64!", status: 400, error: "not valid base64"},
		{name: "over the size limit", body: big, status: 413, error: "over the 4096-byte limit", truncated: true},
		{name: "over the size limit, base64", body: big, b64: true, status: 413, error: "over the 4096-byte limit", truncated: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := newRelay(t, map[string]string{"MAX_BODY_BYTES": "4096"})
			var resp events.APIGatewayV2HTTPResponse
			if tt.rawB64 != "" {
				req := events.APIGatewayV2HTTPRequest{PathParameters: map[string]string{"token": token}, Body: tt.rawB64, IsBase64Encoded: true}
				resp, _ = r.handler.Handle(context.Background(), req)
			} else {
				resp = r.post(t, token, []byte(tt.body), tt.b64)
			}
			if resp.StatusCode != tt.status {
				t.Fatalf("status %d, want %d (%s)", resp.StatusCode, tt.status, resp.Body)
			}
			got := decode(t, resp)
			if e, _ := got["error"].(string); !strings.Contains(e, tt.error) {
				t.Errorf("error %q, want it to say %q", e, tt.error)
			}
			if f, _ := got["field"].(string); f != tt.field {
				t.Errorf("field %q, want %q", f, tt.field)
			}
			for _, q := range []string{"webhook", "email", "slack"} {
				if n := len(r.drain(t, q)); n != 0 {
					t.Errorf("%s queue got %d messages from a rejected request", q, n)
				}
			}
			quarantined := r.drain(t, "quarantine")
			if len(quarantined) != 1 {
				t.Fatalf("quarantine holds %d messages, want 1", len(quarantined))
			}
			q := quarantined[0]
			if attr(q, "reason") != got["error"] || attr(q, "status") != fmt.Sprint(tt.status) || attr(q, "field") != tt.field {
				t.Errorf("quarantine attributes reason=%q status=%q field=%q", attr(q, "reason"), attr(q, "status"), attr(q, "field"))
			}
			if attr(q, "event_id") != got["id"] || got["id"] == "" {
				t.Errorf("quarantine event_id %q, response id %v", attr(q, "event_id"), got["id"])
			}
			wantEncoding := tt.encoding
			if wantEncoding == "" {
				wantEncoding = "text"
			}
			if attr(q, "body_encoding") != wantEncoding || attr(q, "truncated") != fmt.Sprint(tt.truncated) {
				t.Errorf("quarantine body_encoding=%q truncated=%q", attr(q, "body_encoding"), attr(q, "truncated"))
			}
			kept := []byte(*q.Body)
			if wantEncoding == "base64" {
				var err error
				if kept, err = base64.StdEncoding.DecodeString(*q.Body); err != nil {
					t.Fatalf("quarantined body is not base64: %v", err)
				}
			}
			sent := []byte(tt.body)
			if tt.rawB64 != "" {
				sent = []byte(tt.rawB64)
			}
			switch {
			case tt.truncated:
				if len(kept) > 4096 || !bytes.HasPrefix(sent, kept) || len(kept) < 4090 {
					t.Errorf("quarantined %d bytes, want a prefix of at most 4096 bytes cut at a character boundary", len(kept))
				}
				if attr(q, "body_bytes") != fmt.Sprint(len(sent)) {
					t.Errorf("body_bytes %q, want %d", attr(q, "body_bytes"), len(sent))
				}
			case len(sent) == 0:
				if strings.TrimSpace(string(kept)) != "" {
					t.Errorf("quarantined %q for an empty body", kept)
				}
			default:
				if !bytes.Equal(kept, sent) {
					t.Errorf("quarantined body differs from the one sent")
				}
			}
		})
	}
}

func TestRefusesAWrongOrMissingTokenAndKeepsNothing(t *testing.T) {
	tests := []struct{ name, token string }{
		{"wrong token", "wrong-token-0123456789-abcdefgh"},
		{"token prefix", token[:len(token)-1]},
		{"token with a suffix", token + "x"},
		{"missing token", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := newRelay(t, nil)
			resp := r.post(t, tt.token, fixtures.Body("new_chat"), false)
			if resp.StatusCode != 401 || resp.Body != `{"error":"unauthorized"}` {
				t.Fatalf("got %d %s, want 401 with a generic body", resp.StatusCode, resp.Body)
			}
			for _, q := range []string{"webhook", "email", "slack", "quarantine"} {
				if n := len(r.drain(t, q)); n != 0 {
					t.Errorf("%s queue got %d messages from an unauthenticated request", q, n)
				}
			}
		})
	}
}

func TestRefusesOtherMethods(t *testing.T) {
	r := newRelay(t, nil)
	req := events.APIGatewayV2HTTPRequest{PathParameters: map[string]string{"token": token}}
	req.RequestContext.HTTP.Method = "GET"
	resp, err := r.handler.Handle(context.Background(), req)
	if err != nil || resp.StatusCode != 405 || resp.Headers["Allow"] != "POST" {
		t.Fatalf("got %d %v %v, want 405 with Allow: POST", resp.StatusCode, resp.Headers, err)
	}
}

// deadEndpoint is an SQS client whose endpoint refuses connections, with
// the SDK's retries kept short.
func deadEndpoint(t *testing.T) *sqs.Client {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	cfg := localaws.Config(t)
	cfg.BaseEndpoint = aws.String("http://" + addr)
	return sqs.NewFromConfig(cfg, func(o *sqs.Options) { o.RetryMaxAttempts = 2 })
}

func TestAnswers503WhenAQueueCannotTakeTheEvent(t *testing.T) {
	tests := []struct {
		name  string
		env   map[string]string
		queue func(t *testing.T, r *relay) ingest.Sender
		body  string
	}{
		{"one queue does not exist", map[string]string{"SLACK_QUEUE_URL": "http://127.0.0.1:1/000000000000/no-such-queue"}, nil, ""},
		{"SQS unreachable", nil, func(t *testing.T, r *relay) ingest.Sender { return deadEndpoint(t) }, ""},
		{"quarantine unreachable for a bad body", nil, func(t *testing.T, r *relay) ingest.Sender { return deadEndpoint(t) }, "not json"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := newRelay(t, tt.env)
			if tt.queue != nil {
				vars := map[string]string{"CALLBACK_TOKEN": token, "QUARANTINE_QUEUE_URL": r.queues["quarantine"],
					"WEBHOOK_EVENTS": "*", "WEBHOOK_QUEUE_URL": r.queues["webhook"]}
				cfg, err := ingest.LoadConfig(func(k string) string { return vars[k] })
				if err != nil {
					t.Fatal(err)
				}
				r.handler = ingest.NewHandler(ingest.New(cfg, tt.queue(t, r), slog.New(slog.NewJSONHandler(r.logs, nil))), nil)
			}
			body := []byte(tt.body)
			if tt.body == "" {
				body = fixtures.Body("first_message")
			}
			resp := r.post(t, token, body, false)
			if resp.StatusCode != 503 || resp.Headers["Retry-After"] == "" {
				t.Fatalf("got %d (Retry-After %q), want 503 with Retry-After", resp.StatusCode, resp.Headers["Retry-After"])
			}
			got := decode(t, resp)
			if _, claimed := got["channels"]; claimed || !strings.Contains(fmt.Sprint(got["error"]), "retry later") {
				t.Errorf("503 body %s must not claim success and must ask for a retry", resp.Body)
			}
			if strings.Contains(resp.Body, "127.0.0.1") || strings.Contains(resp.Body, "no-such-queue") {
				t.Errorf("503 body leaks internals: %s", resp.Body)
			}
		})
	}
}

func TestSameBodyGetsTheSameIDAcrossRequests(t *testing.T) {
	r := newRelay(t, map[string]string{"EMAIL_TECH_EVENTS": "", "EMAIL_HUMAN_EVENTS": "", "SLACK_EVENTS": ""})
	body := fixtures.Body("new_chat")
	first, second := decode(t, r.post(t, token, body, false)), decode(t, r.post(t, token, body, true))
	if first["id"] != second["id"] {
		t.Errorf("ids differ for the same body: %v vs %v", first["id"], second["id"])
	}
	other := decode(t, r.post(t, token, append(bytes.Clone(body), ' '), false))
	if other["id"] == first["id"] {
		t.Errorf("a different body got the same id %v", first["id"])
	}
}

func TestEveryRefusalIsCountedByReasonForTheAlarms(t *testing.T) {
	tests := []struct {
		name   string
		tok    string
		body   []byte
		method string
		reason string // "" for an accepted callback: no line
	}{
		{"accepted", token, fixtures.Body("new_chat"), "POST", ""},
		{"wrong token", "not-the-token-0123456789abcdef", fixtures.Body("new_chat"), "POST", ingest.ReasonUnauthorized},
		{"not JSON", token, fixtures.Body("invalid_new_order"), "POST", ingest.ReasonInvalid},
		{"too large", token, []byte(`{"event":"new_chat","data":{"id":1,"pad":"` + strings.Repeat("x", 300000) + `"}}`), "POST", ingest.ReasonTooLarge},
		{"a GET", token, nil, "GET", ingest.ReasonInvalid},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := newRelay(t, nil)
			req := events.APIGatewayV2HTTPRequest{PathParameters: map[string]string{"token": tt.tok}, Body: string(tt.body)}
			req.RequestContext.HTTP.Method = tt.method
			if _, err := r.handler.Handle(context.Background(), req); err != nil {
				t.Fatal(err)
			}
			if tt.reason == "" {
				if r.metrics.String() != "" {
					t.Errorf("an accepted callback wrote %q", r.metrics.String())
				}
				return
			}
			lines := strings.Split(strings.TrimSpace(r.metrics.String()), "\n")
			var line struct {
				Refused int
				Reason  string `json:"reason"`
				AWS     struct {
					CloudWatchMetrics []struct {
						Namespace  string
						Dimensions [][]string
						Metrics    []struct{ Name, Unit string }
					}
				} `json:"_aws"`
			}
			if len(lines) != 1 || json.Unmarshal([]byte(lines[0]), &line) != nil {
				t.Fatalf("metrics %q, want one EMF line", r.metrics.String())
			}
			d := line.AWS.CloudWatchMetrics
			if line.Refused != 1 || line.Reason != tt.reason || len(d) != 1 || d[0].Namespace != "NiceChatRelay" || fmt.Sprint(d[0].Dimensions) != "[[reason]]" || len(d[0].Metrics) != 1 || d[0].Metrics[0].Name != ingest.MetricRefused {
				t.Errorf("EMF line %s, want Refused 1 with reason %s", lines[0], tt.reason)
			}
		})
	}
}

func TestAnAPIGatewayEventPostedAsTheBodySaysSo(t *testing.T) {
	r := newRelay(t, nil)
	raw, err := os.ReadFile("../../events/apigw-new_chat.json")
	if err != nil {
		t.Fatal(err)
	}
	resp := r.post(t, token, raw, false)
	if resp.StatusCode != 400 || !strings.Contains(resp.Body, `post its \"body\" instead`) {
		t.Errorf("answer %d %s, want 400 saying to post the fixture's body", resp.StatusCode, resp.Body)
	}
	// A plain invalid callback gets no such hint.
	if resp := r.post(t, token, []byte(`{"data":{"id":1}}`), false); strings.Contains(resp.Body, "API Gateway") {
		t.Errorf("answer %s hints at API Gateway for a plain callback", resp.Body)
	}
}
