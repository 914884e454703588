package ingest_test

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"

	fixtures "github.com/nicechat-relay/nicechat-relay/events"
	"github.com/nicechat-relay/nicechat-relay/shared/ingest"
	"github.com/nicechat-relay/nicechat-relay/shared/message"
	"github.com/nicechat-relay/nicechat-relay/shared/nicechat"
)

// recordingQueue is an in-process enqueuer that keeps every body it was
// sent, by queue URL.
type recordingQueue struct {
	mu   sync.Mutex
	sent map[string][]string
}

func (q *recordingQueue) SendMessage(_ context.Context, in *sqs.SendMessageInput, _ ...func(*sqs.Options)) (*sqs.SendMessageOutput, error) {
	q.mu.Lock()
	defer q.mu.Unlock()
	q.sent[aws.ToString(in.QueueUrl)] = append(q.sent[aws.ToString(in.QueueUrl)], aws.ToString(in.MessageBody))
	return &sqs.SendMessageOutput{MessageId: aws.String("m")}, nil
}

const fuzzMaxBody = 2048

func FuzzHandler(f *testing.F) {
	for _, name := range append(slices.Clone(nicechat.KnownTypes), "invalid_new_order", "invalid_push_form") {
		body := fixtures.Body(name)
		f.Add(body, false)
		f.Add([]byte(base64.StdEncoding.EncodeToString(body)), true)
	}
	f.Add([]byte(`{"event":"new_chat","data":{"id":1,"x":"\u0000"}}`), false)
	f.Add([]byte("{\"event\":\"new_chat\",\"data\":{\"id\":1,\"x\":\"\x01\"}}"), false)
	f.Add([]byte("{\"event\":\"new_chat\",\"data\":{\"id\":1,\"x\":\"\uFFFE\"}}"), false) // JSON, but SQS cannot carry it
	// Nesting deeper than nicechat.MaxDepth.
	f.Add([]byte(`{"event":"push_form","data":{"id":1,"result":`+strings.Repeat(`[{"data":`, 40)+`[]`+strings.Repeat(`}]`, 40)+`}}`), false)
	env := map[string]string{
		"CALLBACK_TOKEN": token, "QUARANTINE_QUEUE_URL": "quarantine", "MAX_BODY_BYTES": "2048",
		"WEBHOOK_EVENTS": "*", "WEBHOOK_QUEUE_URL": "webhook",
		"EMAIL_TECH_EVENTS": "*", "EMAIL_HUMAN_EVENTS": "*", "EMAIL_QUEUE_URL": "email",
		"SLACK_EVENTS": "*", "SLACK_QUEUE_URL": "slack",
	}
	cfg, err := ingest.LoadConfig(func(k string) string { return env[k] })
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, body []byte, b64 bool) {
		queue := &recordingQueue{sent: map[string][]string{}}
		h := ingest.NewHandler(ingest.New(cfg, queue, slog.New(slog.DiscardHandler)), nil)
		req := events.APIGatewayV2HTTPRequest{PathParameters: map[string]string{"token": token}, Body: string(body), IsBase64Encoded: b64}
		req.RequestContext.HTTP.Method = "POST"
		resp, err := h.Handle(context.Background(), req)
		if err != nil || resp.StatusCode >= 500 {
			t.Fatalf("status %d, error %v (Lambda would answer 5xx): %s", resp.StatusCode, err, resp.Body)
		}

		decoded, decodeErr := body, error(nil)
		if b64 {
			decoded, decodeErr = base64.StdEncoding.DecodeString(string(body))
		}
		_, parseErr := nicechat.ParseCallback(decoded)
		_, unsendable := message.Unsendable(decoded)
		acceptable := decodeErr == nil && len(decoded) <= fuzzMaxBody && parseErr == nil && !unsendable
		if acceptable != (resp.StatusCode == 202) {
			t.Fatalf("status %d for a body Parse %s (decode error %v, %d bytes, unsendable %v): %s",
				resp.StatusCode, map[bool]string{true: "accepts", false: "refuses"}[parseErr == nil], decodeErr, len(decoded), unsendable, resp.Body)
		}
		want := map[string]int{"quarantine": 1}
		if acceptable {
			want = map[string]int{"webhook": 1, "email": 2, "slack": 1}
			var receipt struct{ ID string }
			if json.Unmarshal([]byte(resp.Body), &receipt) != nil || receipt.ID != nicechat.EventID(decoded) {
				t.Errorf("202 body %s does not carry the event id %s", resp.Body, nicechat.EventID(decoded))
			}
		}
		for url, bodies := range queue.sent {
			if len(bodies) != want[url] {
				t.Errorf("%d messages sent to %s, want %d", len(bodies), url, want[url])
			}
			for _, got := range bodies {
				if acceptable && got != string(decoded) {
					t.Errorf("%s got %q, the 202'd body is %q", url, got, decoded)
				}
			}
		}
		if len(queue.sent) != len(want) {
			t.Errorf("sent to %d queues, want %v", len(queue.sent), want)
		}
	})
}
