package main

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"

	fixtures "github.com/nicechat-relay/nicechat-relay/events"
	"github.com/nicechat-relay/nicechat-relay/shared/nicechat"
)

// startRelay runs the local relay on a free port with env and returns its
// base URL; it stops with the test.
func startRelay(t *testing.T, env map[string]string) string {
	t.Helper()
	env["RELAY_ADDR"] = "127.0.0.1:0"
	ctx, cancel := context.WithCancel(context.Background())
	ready := make(chan string, 1)
	done := make(chan error, 1)
	log := slog.New(slog.NewJSONHandler(io.Discard, nil))
	go func() { done <- run(ctx, func(k string) string { return env[k] }, log, ready) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("relay: %v", err)
		}
	})
	select {
	case base := <-ready:
		return base
	case err := <-done:
		t.Fatalf("relay did not start: %v", err)
	case <-time.After(10 * time.Second):
		t.Fatal("relay did not start within 10s")
	}
	return ""
}

type recorder struct {
	mu     sync.Mutex
	bodies map[string][]byte // by X-NiceChat-Event
}

func (r *recorder) ServeHTTP(w http.ResponseWriter, req *http.Request) {
	body, _ := io.ReadAll(req.Body)
	r.mu.Lock()
	r.bodies[req.Header.Get("X-NiceChat-Event")] = body
	r.mu.Unlock()
}

func (r *recorder) get(event string) ([]byte, bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	b, ok := r.bodies[event]
	return b, ok
}

func TestRelayDeliversEveryFixtureToTheWebhookLocally(t *testing.T) {
	sink := &recorder{bodies: map[string][]byte{}}
	target := httptest.NewServer(sink)
	defer target.Close()
	base := startRelay(t, map[string]string{"WEBHOOK_URL": target.URL})

	for _, eventType := range nicechat.KnownTypes {
		body := fixtures.Body(eventType)
		resp, err := http.Post(base+"/callback/"+DevToken, "application/json", bytes.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusAccepted {
			t.Fatalf("%s: status %d", eventType, resp.StatusCode)
		}
	}
	deadline := time.Now().Add(15 * time.Second)
	for _, eventType := range nicechat.KnownTypes {
		for {
			got, ok := sink.get(eventType)
			if ok {
				if !bytes.Equal(got, fixtures.Body(eventType)) {
					t.Errorf("%s: the webhook got a different body", eventType)
				}
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("%s was not delivered to the webhook", eventType)
			}
			time.Sleep(50 * time.Millisecond)
		}
	}
}

func TestRelayAnswersLikeAPIGateway(t *testing.T) {
	base := startRelay(t, map[string]string{"CALLBACK_TOKEN": "a-token-of-the-users-own-choosing"})
	tests := []struct {
		name, path, body string
		status           int
	}{
		{"the development token is off once a token is set", "/callback/" + DevToken, `{"event":"new_chat","data":{"id":1}}`, 401},
		{"the configured token", "/callback/a-token-of-the-users-own-choosing", `{"event":"new_chat","data":{"id":1}}`, 202},
		{"a bad body", "/callback/a-token-of-the-users-own-choosing", `{"event":"new_chat"}`, 400},
		{"an unknown path", "/elsewhere", `{}`, 404},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp, err := http.Post(base+tt.path, "application/json", bytes.NewBufferString(tt.body))
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode != tt.status {
				t.Errorf("status %d, want %d", resp.StatusCode, tt.status)
			}
		})
	}
}

func TestRelayRefusesAnInvalidConfigurationNamingTheVariable(t *testing.T) {
	tests := []struct{ name, variable, value string }{
		{"a webhook URL that is not a URL", "WEBHOOK_URL", "not a url"},
		{"a MAX_ATTEMPTS that is not a number", "MAX_ATTEMPTS", "many"},
		{"half an email configuration", "EMAIL_FROM", "relay@example.com"},
		{"a typo in an event list", "WEBHOOK_EVENTS", "first_mesage"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			env := map[string]string{"RELAY_ADDR": "127.0.0.1:0", tt.variable: tt.value}
			// Bounded, so that a configuration run accepts ends the test.
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			err := run(ctx, func(k string) string { return env[k] }, slog.New(slog.NewJSONHandler(io.Discard, nil)), nil)
			want := tt.variable
			if tt.variable == "EMAIL_FROM" {
				want = "EMAIL_TO"
			}
			if err == nil || !strings.Contains(err.Error(), want) {
				t.Fatalf("run(%s=%q) = %v, want an error naming %s", tt.variable, tt.value, err, want)
			}
		})
	}
}

func TestEmbeddedQueueHidesReceivedMessagesAndRedrivesAfterMaxReceives(t *testing.T) {
	ctx := context.Background()
	now := time.Unix(1000, 0)
	s := newEmbeddedSQS()
	s.now = func() time.Time { return now }
	dlq := s.create("dlq", "", 0)
	q := s.create("q", dlq, 2)
	if _, err := s.SendMessage(ctx, &sqs.SendMessageInput{QueueUrl: aws.String(q), MessageBody: aws.String("m")}); err != nil {
		t.Fatal(err)
	}
	receive := func() int {
		out, err := s.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: aws.String(q), MaxNumberOfMessages: 10, VisibilityTimeout: 30})
		if err != nil {
			t.Fatal(err)
		}
		return len(out.Messages)
	}
	if receive() != 1 || receive() != 0 {
		t.Fatal("a received message must stay hidden for its visibility timeout")
	}
	now = now.Add(31 * time.Second)
	if receive() != 1 {
		t.Fatal("the message must come back after its visibility timeout")
	}
	now = now.Add(31 * time.Second)
	if receive() != 0 || s.depths()["dlq"] != 1 || s.depths()["q"] != 0 {
		t.Fatalf("after 2 receives the message must move to the DLQ: %v", s.depths())
	}
}
