package webhook

import (
	"bytes"
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	standardwebhooks "github.com/standard-webhooks/standard-webhooks/libraries/go"

	fixtures "github.com/nicechat-relay/nicechat-relay/events"
	"github.com/nicechat-relay/nicechat-relay/shared/delivery"
	"github.com/nicechat-relay/nicechat-relay/shared/message"
	"github.com/nicechat-relay/nicechat-relay/shared/nicechat"
)

// testSecret is a whsec_ secret of 32 random-looking bytes.
var testSecret = "whsec_" + base64.StdEncoding.EncodeToString([]byte("0123456789abcdef0123456789abcdef"))

// recorded is one request as the sink saw it.
type recorded struct {
	header http.Header
	body   []byte
}

// sink is a webhook receiver on 127.0.0.1 that records every request and
// answers with respond (200 when nil).
type sink struct {
	srv  *httptest.Server
	mu   sync.Mutex
	reqs []recorded
}

func newSink(t testing.TB, respond http.HandlerFunc) *sink {
	t.Helper()
	s := &sink{}
	s.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body := new(bytes.Buffer)
		_, _ = body.ReadFrom(r.Body)
		s.mu.Lock()
		s.reqs = append(s.reqs, recorded{header: r.Header.Clone(), body: body.Bytes()})
		s.mu.Unlock()
		if respond != nil {
			respond(w, r)
		}
	}))
	t.Cleanup(s.srv.Close)
	return s
}

func (s *sink) requests() []recorded {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]recorded(nil), s.reqs...)
}

func messageFor(t testing.TB, name string) message.Message {
	body := fixtures.Body(name)
	return message.Message{Body: body, Event: name, EventID: nicechat.EventID(body), ReceivedAt: time.Now()}
}

func newChannel(t testing.TB, cfg Config) *Channel {
	t.Helper()
	if cfg.Timeout == 0 {
		cfg.Timeout = 5 * time.Second
	}
	ch, err := New(cfg, Deps{})
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	return ch
}

func verifier(t testing.TB) *standardwebhooks.Webhook {
	t.Helper()
	wh, err := standardwebhooks.NewWebhook(testSecret)
	if err != nil {
		t.Fatalf("standardwebhooks.NewWebhook: %v", err)
	}
	return wh
}

func TestDeliversEachFixtureByteIdenticalWithASignatureTheSpecLibraryAccepts(t *testing.T) {
	for _, event := range nicechat.KnownTypes {
		t.Run(event, func(t *testing.T) {
			s := newSink(t, nil)
			ch := newChannel(t, Config{URL: s.srv.URL + "/hooks/nicechat", Secret: testSecret})
			m := messageFor(t, event)

			if err := ch.Deliver(context.Background(), m); err != nil {
				t.Fatalf("Deliver: %v", err)
			}

			reqs := s.requests()
			if len(reqs) != 1 {
				t.Fatalf("sink got %d requests, want 1", len(reqs))
			}
			got := reqs[0]
			if !bytes.Equal(got.body, m.Body) {
				t.Errorf("body differs from the fixture:\n got %q\nwant %q", got.body, m.Body)
			}
			for name, want := range map[string]string{
				"Content-Type":     "application/json",
				"User-Agent":       "nicechat-relay/1 (+webhook)",
				"X-NiceChat-Event": event,
				"webhook-id":       m.EventID,
			} {
				if v := got.header.Get(name); v != want {
					t.Errorf("header %s = %q, want %q", name, v, want)
				}
			}
			if err := verifier(t).Verify(got.body, got.header); err != nil {
				t.Errorf("spec library rejects the signature: %v", err)
			}
		})
	}
}

func TestSignatureFailsVerificationWhenTampered(t *testing.T) {
	s := newSink(t, nil)
	ch := newChannel(t, Config{URL: s.srv.URL, Secret: testSecret})
	m := messageFor(t, nicechat.TypeNewOrder)
	if err := ch.Deliver(context.Background(), m); err != nil {
		t.Fatalf("Deliver: %v", err)
	}
	got := s.requests()[0]
	otherSecret := "whsec_" + base64.StdEncoding.EncodeToString([]byte("another secret of thirty-two b.."))

	tests := []struct {
		name    string
		secret  string
		body    []byte
		headers func(http.Header)
	}{
		{"body with one byte changed", testSecret, bytes.Replace(got.body, []byte(`"id"`), []byte(`"Id"`), 1), nil},
		{"body with a byte appended", testSecret, append(bytes.Clone(got.body), ' '), nil},
		{"another webhook-id", testSecret, got.body, func(h http.Header) { h.Set("webhook-id", "evt_other") }},
		{"another secret", otherSecret, got.body, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := got.header.Clone()
			if tt.headers != nil {
				tt.headers(h)
			}
			wh, err := standardwebhooks.NewWebhook(tt.secret)
			if err != nil {
				t.Fatal(err)
			}
			if err := wh.Verify(tt.body, h); !errors.Is(err, standardwebhooks.ErrNoMatchingSignature) {
				t.Errorf("Verify = %v, want %v", err, standardwebhooks.ErrNoMatchingSignature)
			}
		})
	}
}

func TestSendsTheIDButNoSignatureWithoutASecret(t *testing.T) {
	s := newSink(t, nil)
	ch := newChannel(t, Config{URL: s.srv.URL})
	m := messageFor(t, nicechat.TypeNewChat)
	if err := ch.Deliver(context.Background(), m); err != nil {
		t.Fatalf("Deliver: %v", err)
	}
	got := s.requests()[0]
	if v, ok := got.header[http.CanonicalHeaderKey("webhook-signature")]; ok {
		t.Errorf("unsigned request carries webhook-signature: %q", v)
	}
	if id := got.header.Get("webhook-id"); id != m.EventID || id == "" {
		t.Errorf("webhook-id = %q, want the event id %q even unsigned, so receivers can de-duplicate", id, m.EventID)
	}
	if got.header.Get("webhook-timestamp") == "" {
		t.Errorf("unsigned request has no webhook-timestamp")
	}
	if !bytes.Equal(got.body, m.Body) {
		t.Errorf("body differs from the fixture")
	}
	if v := got.header.Get("X-NiceChat-Event"); v != nicechat.TypeNewChat {
		t.Errorf("X-NiceChat-Event = %q", v)
	}
}

func TestKeepsWebhookIDAcrossRetriesAndStampsTheInjectedClock(t *testing.T) {
	s := newSink(t, nil)
	clock := time.Date(2017, 6, 13, 18, 21, 29, 0, time.UTC)
	ch := newChannel(t, Config{URL: s.srv.URL, Secret: testSecret, Now: func() time.Time { return clock }})
	m := messageFor(t, nicechat.TypeFirstMessage)

	for range 2 {
		if err := ch.Deliver(context.Background(), m); err != nil {
			t.Fatalf("Deliver: %v", err)
		}
		clock = clock.Add(time.Minute)
	}

	reqs := s.requests()
	if len(reqs) != 2 {
		t.Fatalf("sink got %d requests, want 2", len(reqs))
	}
	if a, b := reqs[0].header.Get("webhook-id"), reqs[1].header.Get("webhook-id"); a != m.EventID || b != m.EventID {
		t.Errorf("webhook-id = %q then %q, want %q both times", a, b, m.EventID)
	}
	for i, want := range []string{"1497378089", "1497378149"} {
		if got := reqs[i].header.Get("webhook-timestamp"); got != want {
			t.Errorf("attempt %d: webhook-timestamp = %q, want %q", i+1, got, want)
		}
		wh := verifier(t)
		if err := wh.VerifyIgnoringTimestamp(reqs[i].body, reqs[i].header); err != nil {
			t.Errorf("attempt %d: signature does not verify: %v", i+1, err)
		}
		// The spec's replay window applies to our timestamp, proving it is the one signed.
		if err := wh.Verify(reqs[i].body, reqs[i].header); !errors.Is(err, standardwebhooks.ErrMessageTooOld) {
			t.Errorf("attempt %d: Verify with a 2017 timestamp = %v, want %v", i+1, err, standardwebhooks.ErrMessageTooOld)
		}
	}
}

func TestDerivesWebhookIDFromTheBodyWhenTheAttributeIsMissing(t *testing.T) {
	s := newSink(t, nil)
	ch := newChannel(t, Config{URL: s.srv.URL, Secret: testSecret})
	m := messageFor(t, nicechat.TypePushForm)
	m.EventID = ""
	if err := ch.Deliver(context.Background(), m); err != nil {
		t.Fatalf("Deliver: %v", err)
	}
	got := s.requests()[0]
	if id := got.header.Get("webhook-id"); id != nicechat.EventID(m.Body) {
		t.Errorf("webhook-id = %q, want %q", id, nicechat.EventID(m.Body))
	}
	if err := verifier(t).Verify(got.body, got.header); err != nil {
		t.Errorf("spec library rejects the signature: %v", err)
	}
}

func TestClassifiesEveryResponse(t *testing.T) {
	now := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	tests := []struct {
		name       string
		status     int
		header     map[string]string
		body       string
		wantClass  delivery.Class // "" means delivered
		wantAfter  time.Duration
		wantReason string
	}{
		{name: "200 is delivered", status: 200},
		{name: "201 is delivered", status: 201},
		{name: "204 is delivered", status: 204},
		{name: "408 is retried", status: 408, wantClass: delivery.ClassRetry, wantReason: "HTTP 408"},
		{name: "429 is retried", status: 429, wantClass: delivery.ClassRetry, wantReason: "HTTP 429"},
		{name: "429 with Retry-After seconds waits that long", status: 429, header: map[string]string{"Retry-After": "7"}, wantClass: delivery.ClassRetry, wantAfter: 7 * time.Second},
		{name: "429 with a Retry-After date waits until then", status: 429, header: map[string]string{"Retry-After": now.Add(7 * time.Second).Format(http.TimeFormat)}, wantClass: delivery.ClassRetry, wantAfter: 7 * time.Second},
		{name: "500 is retried with the body in the reason", status: 500, body: "database down", wantClass: delivery.ClassRetry, wantReason: "HTTP 500: database down"},
		{name: "502 is retried", status: 502, wantClass: delivery.ClassRetry, wantReason: "HTTP 502"},
		{name: "503 is retried", status: 503, wantClass: delivery.ClassRetry, wantReason: "HTTP 503"},
		{name: "503 with Retry-After seconds waits that long", status: 503, header: map[string]string{"Retry-After": "7"}, wantClass: delivery.ClassRetry, wantAfter: 7 * time.Second},
		{name: "503 with a Retry-After date waits until then", status: 503, header: map[string]string{"Retry-After": now.Add(7 * time.Second).Format(http.TimeFormat)}, wantClass: delivery.ClassRetry, wantAfter: 7 * time.Second},
		{name: "410 is misconfigured: endpoint gone, stop sending", status: 410, wantClass: delivery.ClassMisconfigured, wantReason: "endpoint gone"},
		{name: "403 is misconfigured: the endpoint refuses the relay", status: 403, wantClass: delivery.ClassMisconfigured, wantReason: "HTTP 403"},
		{name: "400 is permanent", status: 400, body: `{"error":"bad payload"}`, wantClass: delivery.ClassPermanent, wantReason: `HTTP 400: {"error":"bad payload"}`},
		{name: "401 is misconfigured: the secret or the endpoint's own authentication", status: 401, wantClass: delivery.ClassMisconfigured, wantReason: "HTTP 401"},
		{name: "404 is misconfigured: no endpoint at this URL", status: 404, wantClass: delivery.ClassMisconfigured, wantReason: "HTTP 404"},
		{name: "422 is permanent", status: 422, wantClass: delivery.ClassPermanent, wantReason: "HTTP 422"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := newSink(t, func(w http.ResponseWriter, r *http.Request) {
				for k, v := range tt.header {
					w.Header().Set(k, v)
				}
				w.WriteHeader(tt.status)
				_, _ = w.Write([]byte(tt.body))
			})
			ch := newChannel(t, Config{URL: s.srv.URL, Secret: testSecret, Now: func() time.Time { return now }})

			err := ch.Deliver(context.Background(), messageFor(t, nicechat.TypeNewVisitor))

			if n := len(s.requests()); n != 1 {
				t.Errorf("sink got %d requests, want 1", n)
			}
			if tt.wantClass == "" {
				if err != nil {
					t.Fatalf("Deliver = %v, want success", err)
				}
				return
			}
			de := asDeliveryError(t, err)
			if de.Class != tt.wantClass || de.Status != tt.status || de.RetryAfter != tt.wantAfter {
				t.Errorf("got class %s status %d retry-after %v, want %s %d %v", de.Class, de.Status, de.RetryAfter, tt.wantClass, tt.status, tt.wantAfter)
			}
			if !strings.Contains(de.Reason, tt.wantReason) {
				t.Errorf("reason %q does not contain %q", de.Reason, tt.wantReason)
			}
		})
	}
}

func TestReportsARedirectAsPermanentWithoutFollowingIt(t *testing.T) {
	target := newSink(t, nil)
	s := newSink(t, func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, target.srv.URL+"/moved", http.StatusMovedPermanently)
	})
	ch := newChannel(t, Config{URL: s.srv.URL, Secret: testSecret})

	de := asDeliveryError(t, ch.Deliver(context.Background(), messageFor(t, nicechat.TypeNewChat)))

	if de.Class != delivery.ClassPermanent || de.Status != http.StatusMovedPermanently {
		t.Errorf("got class %s status %d, want permanent 301", de.Class, de.Status)
	}
	if !strings.Contains(de.Reason, "redirect not followed") || !strings.Contains(de.Reason, target.srv.URL) {
		t.Errorf("reason %q does not say the redirect to %s was not followed", de.Reason, target.srv.URL)
	}
	if strings.Contains(de.Reason, "/moved") {
		t.Errorf("reason %q shows the Location's path, which may repeat a secret", de.Reason)
	}
	if n := len(target.requests()); n != 0 {
		t.Errorf("redirect target got %d requests, want none", n)
	}
}

func TestRetriesTransportFailures(t *testing.T) {
	blocking := func(t *testing.T) string {
		release := make(chan struct{})
		s := newSink(t, func(w http.ResponseWriter, r *http.Request) {
			select {
			case <-r.Context().Done():
			case <-release:
			}
		})
		t.Cleanup(func() { close(release) }) // runs before the server closes
		return s.srv.URL
	}
	refused := func(t *testing.T) string {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		addr := l.Addr().String()
		l.Close()
		return "http://" + addr
	}
	untrustedTLS := func(t *testing.T) string {
		s := httptest.NewTLSServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {}))
		t.Cleanup(s.Close)
		return s.URL
	}
	unresolvable := func(*testing.T) string { return "http://relay-test.invalid/hook" }
	secretInURL := func(t *testing.T) string { return refused(t) + "/hook?token=SECRET123" }
	tests := []struct {
		name       string
		url        func(t *testing.T) string
		wantReason string
	}{
		{"a server that never answers times out", blocking, "timed out"},
		{"a refused connection", refused, "request failed"},
		{"a certificate nobody trusts", untrustedTLS, "certificate"},
		{"a host name that does not resolve", unresolvable, "relay-test.invalid"},
		{"a refused connection to a URL holding a token", secretInURL, "request failed"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ch := newChannel(t, Config{URL: tt.url(t), Secret: testSecret, Timeout: 200 * time.Millisecond})
			de := asDeliveryError(t, ch.Deliver(context.Background(), messageFor(t, nicechat.TypeUnanswered)))
			if de.Class != delivery.ClassRetry || de.Status != 0 {
				t.Errorf("got class %s status %d, want retry without status", de.Class, de.Status)
			}
			if !strings.Contains(de.Reason, tt.wantReason) {
				t.Errorf("reason %q does not contain %q", de.Reason, tt.wantReason)
			}
			if strings.Contains(de.Reason, "SECRET123") || strings.Contains(de.Reason, "/hook") {
				t.Errorf("reason %q shows the URL's path or query, which may hold a secret", de.Reason)
			}
			if de.Err == nil {
				t.Errorf("underlying error is lost")
			}
		})
	}
}

func TestKeepsOnlyTheStartOfAHugeErrorBody(t *testing.T) {
	huge := bytes.Repeat([]byte("x"), 10<<20)
	s := newSink(t, func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusInternalServerError)
		_, _ = w.Write(huge)
	})
	ch := newChannel(t, Config{URL: s.srv.URL})

	de := asDeliveryError(t, ch.Deliver(context.Background(), messageFor(t, nicechat.TypeNewOrder)))

	if de.Class != delivery.ClassRetry || de.Status != 500 {
		t.Errorf("got class %s status %d, want retry 500", de.Class, de.Status)
	}
	if len(de.Reason) > delivery.MaxReasonBytes {
		t.Errorf("reason is %d bytes, want at most %d", len(de.Reason), delivery.MaxReasonBytes)
	}
	if !strings.HasPrefix(de.Reason, "HTTP 500: xxx") {
		t.Errorf("reason %.40q... does not start with the status and body", de.Reason)
	}
}

func TestRejectsAnEventTypeThatCannotBeAHeaderWithoutSending(t *testing.T) {
	s := newSink(t, nil)
	ch := newChannel(t, Config{URL: s.srv.URL})
	m := messageFor(t, nicechat.TypeNewChat)
	m.Event = "new_chat\r\nX-Injected: 1"

	de := asDeliveryError(t, ch.Deliver(context.Background(), m))

	if de.Class != delivery.ClassPermanent {
		t.Errorf("class = %s, want permanent", de.Class)
	}
	if n := len(s.requests()); n != 0 {
		t.Errorf("sink got %d requests, want none", n)
	}
}

func TestConfigFromEnv(t *testing.T) {
	const secret = "whsec_c2VjcmV0LWJ5dGVzLW5vdC10by1iZS1lY2hvZWQ="
	tests := []struct {
		name        string
		env         map[string]string
		wantTimeout time.Duration
		wantErr     string // the variable the error must name; "" means valid
	}{
		{name: "URL only, default timeout", env: map[string]string{"WEBHOOK_URL": "https://example.com/hook"}, wantTimeout: 10 * time.Second},
		{name: "secret and Go duration", env: map[string]string{"WEBHOOK_URL": "http://127.0.0.1:8080/h", "WEBHOOK_SECRET": secret, "WEBHOOK_TIMEOUT": "2500ms"}, wantTimeout: 2500 * time.Millisecond},
		{name: "timeout in plain seconds", env: map[string]string{"WEBHOOK_URL": "https://example.com/hook", "WEBHOOK_TIMEOUT": "3"}, wantTimeout: 3 * time.Second},
		{name: "missing URL", env: map[string]string{}, wantErr: "WEBHOOK_URL is required"},
		{name: "relative URL", env: map[string]string{"WEBHOOK_URL": "/hook"}, wantErr: "WEBHOOK_URL"},
		{name: "URL without host", env: map[string]string{"WEBHOOK_URL": "https:///hook"}, wantErr: "WEBHOOK_URL"},
		{name: "non-HTTP scheme", env: map[string]string{"WEBHOOK_URL": "ftp://example.com/hook"}, wantErr: "WEBHOOK_URL"},
		{name: "unparsable URL", env: map[string]string{"WEBHOOK_URL": "http://exa mple.com/%zz"}, wantErr: "WEBHOOK_URL"},
		{name: "secret without prefix", env: map[string]string{"WEBHOOK_URL": "https://example.com", "WEBHOOK_SECRET": strings.TrimPrefix(secret, "whsec_")}, wantErr: "WEBHOOK_SECRET"},
		{name: "secret that is not base64", env: map[string]string{"WEBHOOK_URL": "https://example.com", "WEBHOOK_SECRET": "whsec_not base64!!"}, wantErr: "WEBHOOK_SECRET"},
		{name: "empty secret key", env: map[string]string{"WEBHOOK_URL": "https://example.com", "WEBHOOK_SECRET": "whsec_"}, wantErr: "WEBHOOK_SECRET"},
		{name: "unparsable timeout", env: map[string]string{"WEBHOOK_URL": "https://example.com", "WEBHOOK_TIMEOUT": "soon"}, wantErr: "WEBHOOK_TIMEOUT"},
		{name: "zero timeout", env: map[string]string{"WEBHOOK_URL": "https://example.com", "WEBHOOK_TIMEOUT": "0"}, wantErr: "WEBHOOK_TIMEOUT"},
		{name: "negative timeout", env: map[string]string{"WEBHOOK_URL": "https://example.com", "WEBHOOK_TIMEOUT": "-1s"}, wantErr: "WEBHOOK_TIMEOUT"},
		{name: "timeout over five minutes", env: map[string]string{"WEBHOOK_URL": "https://example.com", "WEBHOOK_TIMEOUT": "10m"}, wantErr: "WEBHOOK_TIMEOUT"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg, err := ConfigFromEnv(func(k string) string { return tt.env[k] })
			if tt.wantErr != "" {
				if err == nil {
					t.Fatalf("ConfigFromEnv = %+v, want an error naming %s", cfg, tt.wantErr)
				}
				if !strings.Contains(err.Error(), tt.wantErr) {
					t.Errorf("error %q does not name %q", err, tt.wantErr)
				}
				if s := tt.env["WEBHOOK_SECRET"]; len(s) > len("whsec_") && strings.Contains(err.Error(), strings.TrimPrefix(s, "whsec_")) {
					t.Errorf("error %q echoes the secret", err)
				}
				return
			}
			if err != nil {
				t.Fatalf("ConfigFromEnv: %v", err)
			}
			if cfg.Timeout != tt.wantTimeout || cfg.URL != tt.env["WEBHOOK_URL"] || cfg.Secret != tt.env["WEBHOOK_SECRET"] {
				t.Errorf("got %+v, want URL %q secret set %v timeout %v", cfg, tt.env["WEBHOOK_URL"], tt.env["WEBHOOK_SECRET"] != "", tt.wantTimeout)
			}
			ch, err := New(cfg, Deps{})
			if err != nil {
				t.Fatalf("New: %v", err)
			}
			if ch.Name() != "webhook" || ch.Timeout() != tt.wantTimeout {
				t.Errorf("channel %q with timeout %v", ch.Name(), ch.Timeout())
			}
		})
	}
}

// The Lambda builds its channel from ConfigFromEnv's settings through its
// Spec, so the secret read there must sign.
func TestTheLambdaStartUpSignsWithTheSecretFromTheEnvironment(t *testing.T) {
	tests := []struct {
		name   string
		secret string
	}{
		{"with a secret", testSecret},
		{"without a secret", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := newSink(t, nil)
			env := map[string]string{"WEBHOOK_URL": s.srv.URL, "WEBHOOK_SECRET": tt.secret}
			ch, err := Spec.Open(func(k string) string { return env[k] }, aws.Config{})
			if err != nil {
				t.Fatalf("Open: %v", err)
			}
			if err := ch.Deliver(context.Background(), messageFor(t, nicechat.TypeNewChat)); err != nil {
				t.Fatalf("Deliver: %v", err)
			}
			got := s.requests()[0]
			signature := got.header.Get("webhook-signature")
			switch {
			case tt.secret == "" && signature != "":
				t.Errorf("unsigned channel sent webhook-signature %q", signature)
			case tt.secret != "":
				if err := verifier(t).Verify(got.body, got.header); err != nil {
					t.Errorf("spec library rejects the signature %q: %v", signature, err)
				}
			}
		})
	}
}

func TestAnEchoedURLSecretStaysOutOfTheReason(t *testing.T) {
	s := newSink(t, func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusNotFound)
		fmt.Fprintf(w, "<html><body>Cannot POST %s</body></html>", r.URL.RequestURI())
	})
	ch, err := New(Config{URL: s.srv.URL + "/hook/s3cr3t-path?key=s3cr3t-key", Timeout: 5 * time.Second}, Deps{})
	if err != nil {
		t.Fatal(err)
	}
	de := asDeliveryError(t, ch.Deliver(context.Background(), messageFor(t, nicechat.TypeNewChat)))
	for _, secret := range []string{"s3cr3t-path", "s3cr3t-key"} {
		if strings.Contains(de.Reason, secret) || strings.Contains(de.Error(), secret) {
			t.Errorf("the reason %q carries %s from the echoed URL", de.Reason, secret)
		}
	}
	if !strings.Contains(de.Reason, "Cannot POST") {
		t.Errorf("reason %q lost the rest of the answer", de.Reason)
	}
}

func TestDuringARotationEachRequestCarriesBothSignatures(t *testing.T) {
	newSecret := "whsec_" + base64.StdEncoding.EncodeToString([]byte("fedcba9876543210fedcba9876543210"))
	s := newSink(t, nil)
	ch := newChannel(t, Config{URL: s.srv.URL, Secret: testSecret + " " + newSecret})
	if err := ch.Deliver(context.Background(), messageFor(t, nicechat.TypeNewChat)); err != nil {
		t.Fatal(err)
	}
	got := s.requests()[0]
	if sigs := strings.Fields(got.header.Get("webhook-signature")); len(sigs) != 2 {
		t.Fatalf("webhook-signature %q, want two signatures", got.header.Get("webhook-signature"))
	}
	// A receiver that knows only the old secret, and one that knows only
	// the new one, both accept it (the spec's own library checks).
	for _, secret := range []string{testSecret, newSecret} {
		wh, err := standardwebhooks.NewWebhook(secret)
		if err != nil {
			t.Fatal(err)
		}
		if err := wh.Verify(got.body, got.header); err != nil {
			t.Errorf("a receiver with %s… rejects it: %v", secret[:12], err)
		}
	}
	// And a third secret is refused at start.
	if _, err := New(Config{URL: s.srv.URL, Secret: testSecret + " " + newSecret + " " + testSecret, Timeout: time.Second}, Deps{}); err == nil || !strings.Contains(err.Error(), "at most two") {
		t.Errorf("three secrets: %v, want an error", err)
	}
}

func TestNewRejectsAnInvalidConfig(t *testing.T) {
	tests := []struct {
		name    string
		cfg     Config
		wantErr string
	}{
		{"no URL", Config{Timeout: time.Second}, "WEBHOOK_URL"},
		{"bad secret", Config{URL: "https://example.com", Secret: "whsec_%%%", Timeout: time.Second}, "WEBHOOK_SECRET"},
		{"no timeout", Config{URL: "https://example.com"}, "WEBHOOK_TIMEOUT"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := New(tt.cfg, Deps{}); err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("New = %v, want an error naming %s", err, tt.wantErr)
			}
		})
	}
}

func asDeliveryError(t testing.TB, err error) *delivery.Error {
	t.Helper()
	var de *delivery.Error
	if !errors.As(err, &de) {
		t.Fatalf("Deliver = %v (%T), want a *delivery.Error", err, err)
	}
	return de
}

func BenchmarkDeliver(b *testing.B) {
	// A sink that keeps nothing, so the figures are the delivery's (plus
	// the in-process server's) and do not grow with b.N.
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
	}))
	b.Cleanup(srv.Close)
	ch := newChannel(b, Config{URL: srv.URL, Secret: testSecret})
	m := messageFor(b, nicechat.TypeNewOrder)
	ctx := context.Background()
	b.ReportAllocs()
	b.SetBytes(int64(len(m.Body)))
	for b.Loop() {
		if err := ch.Deliver(ctx, m); err != nil {
			b.Fatal(err)
		}
	}
}
