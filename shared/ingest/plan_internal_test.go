package ingest

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"log/slog"
	"os"
	"path/filepath"
	"reflect"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"

	"github.com/nicechat-relay/nicechat-relay/shared/message"
	"github.com/nicechat-relay/nicechat-relay/shared/nicechat"
)

const testToken = "test-token-0123456789-abcdefgh"

func everyRoute(t *testing.T, extra map[string]string) Config {
	t.Helper()
	env := map[string]string{
		"CALLBACK_TOKEN": testToken, "QUARANTINE_QUEUE_URL": "quarantine",
		"WEBHOOK_EVENTS": "*", "WEBHOOK_QUEUE_URL": "webhook",
		"EMAIL_TECH_EVENTS": "new_order", "EMAIL_HUMAN_EVENTS": "*", "EMAIL_QUEUE_URL": "email",
		"SLACK_EVENTS": "first_message,new_order", "SLACK_QUEUE_URL": "slack",
	}
	for k, v := range extra {
		env[k] = v
	}
	cfg, err := LoadConfig(func(k string) string { return env[k] })
	if err != nil {
		t.Fatal(err)
	}
	return cfg
}

// plain turns attributes into comparable values.
func plain(attrs map[string]sqstypes.MessageAttributeValue) map[string][2]string {
	out := map[string][2]string{}
	for k, v := range attrs {
		out[k] = [2]string{aws.ToString(v.DataType), aws.ToString(v.StringValue)}
	}
	return out
}

func TestEveryPlanSendsWhatTheRoutesAndTheMessageContractSay(t *testing.T) {
	cfg := everyRoute(t, nil)
	svc := New(cfg, nil, slog.New(slog.DiscardHandler))
	at := time.Date(2026, 11, 25, 10, 11, 12, 0, time.UTC)
	for _, eventType := range append(nicechat.KnownTypes, "agent.joined") {
		p := svc.plans[eventType]
		if p == nil {
			p = svc.undocumented
		}
		var wantChannels []string
		var wantRoutes []Route
		for _, r := range cfg.Routes {
			if r.Events.Has(eventType) {
				wantRoutes = append(wantRoutes, r)
				wantChannels = append(wantChannels, r.Name())
			}
		}
		if !reflect.DeepEqual(p.channels, append([]string{}, wantChannels...)) {
			t.Errorf("%s: channels %q, want %q", eventType, p.channels, wantChannels)
		}
		if b, _ := json.Marshal(append([]string{}, wantChannels...)); p.channelsJSON != string(b) {
			t.Errorf("%s: channels JSON %s, want %s", eventType, p.channelsJSON, b)
		}
		// Twice: a batch back from the pool carries the new callback's values.
		for round, id := range []string{"evt_first", "evt_second"} {
			body := `{"event":"` + eventType + `","data":{"id":` + string(rune('1'+round)) + `}}`
			b := p.batch(callbackValues{body: body, id: id, event: eventType, receivedAt: svc.rfc3339(at)})
			for i, r := range wantRoutes {
				in := b.in[i]
				want := message.Message{Event: eventType, EventID: id, ReceivedAt: at, Format: r.Format}.Attributes()
				if aws.ToString(in.QueueUrl) != r.QueueURL || aws.ToString(in.MessageBody) != body ||
					!reflect.DeepEqual(plain(in.MessageAttributes), plain(want)) {
					t.Errorf("%s, %s: sends %s %q %v; want %s %q %v", eventType, r.Name(), aws.ToString(in.QueueUrl), aws.ToString(in.MessageBody),
						plain(in.MessageAttributes), r.QueueURL, body, plain(want))
				}
			}
			p.release(b)
		}
	}
}

func TestTheAcceptedBodyIsWhatJSONMarshalWrites(t *testing.T) {
	for _, r := range []Receipt{
		{EventID: "evt_sk5n5xiwcotkahxfmbqezd4knb", Event: "new_order", Channels: []string{"webhook", "email:tech"}},
		{EventID: "evt_aaaaaaaaaaaaaaaaaaaaaaaaaa", Event: "agent.joined:v2-x", Channels: []string{}},
	} {
		b, _ := json.Marshal(r.Channels)
		r.channelsJSON = string(b)
		want, _ := json.Marshal(struct {
			ID       string   `json:"id"`
			Event    string   `json:"event"`
			Channels []string `json:"channels"`
		}{r.EventID, r.Event, r.Channels})
		if got := accepted(r); got.Body != string(want) || got.StatusCode != 202 || got.Headers["Content-Type"] != "application/json" {
			t.Errorf("accepted = %d %v %s, want 202 %s", got.StatusCode, got.Headers, got.Body, want)
		}
	}
}

// recorder is a Sender that keeps what it was sent.
type recorder struct {
	mu   sync.Mutex
	sent []string
}

func (q *recorder) SendMessage(_ context.Context, in *sqs.SendMessageInput, _ ...func(*sqs.Options)) (*sqs.SendMessageOutput, error) {
	q.mu.Lock()
	defer q.mu.Unlock()
	q.sent = append(q.sent, aws.ToString(in.QueueUrl)+" "+aws.ToString(in.MessageBody))
	return &sqs.SendMessageOutput{}, nil
}

// The Lambda decodes an invocation into apiRequest, not the whole
// events.APIGatewayV2HTTPRequest: on every fixture, as the files are and
// base64-encoded, it reads the same fields and answers the same.
func TestTheLambdaAnswersAsHandleOnEveryFixture(t *testing.T) {
	files, _ := filepath.Glob("../../events/apigw-*.json")
	if len(files) == 0 {
		t.Fatal("no API Gateway fixtures")
	}
	for _, file := range files {
		raw, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		var full events.APIGatewayV2HTTPRequest
		if err := json.Unmarshal(raw, &full); err != nil {
			t.Fatal(err)
		}
		encoded := full
		encoded.Body, encoded.IsBase64Encoded = base64.StdEncoding.EncodeToString([]byte(full.Body)), true
		rawEncoded, _ := json.Marshal(encoded)
		for name, in := range map[string][]byte{filepath.Base(file): raw, filepath.Base(file) + " in base64": rawEncoded} {
			t.Run(name, func(t *testing.T) {
				var want events.APIGatewayV2HTTPRequest
				var got apiRequest
				if err := json.Unmarshal(in, &want); err != nil {
					t.Fatal(err)
				}
				if err := json.Unmarshal(in, &got); err != nil {
					t.Fatal(err)
				}
				if got.Body != want.Body || got.IsBase64Encoded != want.IsBase64Encoded ||
					got.PathParameters.Token != want.PathParameters["token"] || got.RequestContext.HTTP.Method != want.RequestContext.HTTP.Method {
					t.Errorf("apiRequest reads %+v", got)
				}
				cfg := everyRoute(t, map[string]string{"CALLBACK_TOKEN": want.PathParameters["token"]})
				viaHandle, viaLambda := &recorder{}, &recorder{}
				wantResp, _ := NewHandler(New(cfg, viaHandle, slog.New(slog.DiscardHandler)), nil).Handle(context.Background(), want)
				gotResp, _ := NewHandler(New(cfg, viaLambda, slog.New(slog.DiscardHandler)), nil).invoke(context.Background(), got)
				if !reflect.DeepEqual(gotResp, wantResp) || len(viaLambda.sent) != len(viaHandle.sent) {
					t.Errorf("the Lambda answers %d %s after %d sends, Handle %d %s after %d", gotResp.StatusCode, gotResp.Body, len(viaLambda.sent),
						wantResp.StatusCode, wantResp.Body, len(viaHandle.sent))
				}
			})
		}
	}
}
