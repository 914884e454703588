package ingest_test

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/service/sqs"

	fixtures "github.com/nicechat-relay/nicechat-relay/events"
	"github.com/nicechat-relay/nicechat-relay/shared/faultproxy"
	"github.com/nicechat-relay/nicechat-relay/shared/ingest"
	"github.com/nicechat-relay/nicechat-relay/shared/localaws"
	"github.com/nicechat-relay/nicechat-relay/shared/nicechat"
)

// sqsThrough is an SQS client of the local server through a fault proxy
// that fails about half the SendMessage calls with answer, each call
// decided by the seed, the event and its route (an SDK retry rolls again);
// routes names the queue URLs.
//
// Ingest itself runs with the SDK's defaults: the standard retryer, 3
// attempts, backoff from 50 ms (1 s after throttling) doubling up to 20 s,
// a 500-token retry quota; and an HTTP client without an overall timeout,
// so a hung SendMessage is cut only by the Lambda's own 10 s timeout. Here
// the SDK makes at most 2 attempts so that a run stays short.
func sqsThrough(t *testing.T, dice *faultproxy.Dice, routes map[string]string, answer func() *faultproxy.Answer, timeout time.Duration) *sqs.Client {
	p := faultproxy.New(t, localaws.Endpoint(t), func(c faultproxy.Call) *faultproxy.Answer {
		if c.Action != "SendMessage" {
			return nil
		}
		_, r := dice.Roll(sendKey(t, c.Body, routes))
		if r.IntN(2) == 0 {
			return answer()
		}
		return nil
	})
	return sqs.NewFromConfig(localaws.Config(t), func(o *sqs.Options) {
		o.BaseEndpoint = aws.String(p.URL)
		o.RetryMaxAttempts = 2
		if timeout > 0 {
			o.HTTPClient = awshttp.NewBuildableClient().WithTimeout(timeout)
		}
	})
}

// sendKey names a SendMessage call by what stays the same from run to run:
// the event id and the route (queue URLs carry the local server's port).
func sendKey(t *testing.T, body []byte, routes map[string]string) string {
	var in struct {
		QueueUrl          string
		MessageAttributes map[string]struct{ StringValue string }
	}
	if err := json.Unmarshal(body, &in); err != nil {
		t.Errorf("SendMessage body is not JSON: %v", err)
	}
	return in.MessageAttributes["event_id"].StringValue + " " + routes[in.QueueUrl]
}

func TestIngestNeverAnswers2xxForAnEventItDidNotEnqueue(t *testing.T) {
	t.Parallel()
	internalError := func() *faultproxy.Answer {
		return faultproxy.SQSError(http.StatusInternalServerError, "Receiver", "InternalError", "We encountered an internal error. Please try again.")
	}
	tests := []struct {
		name  string
		queue func(t *testing.T, d *faultproxy.Dice, routes map[string]string) ingest.Sender
		// wantBoth: the faults are random, so both answers must show up
		// (all 30 alike has a chance under 1e-7).
		wantBoth bool
	}{
		{"SQS on a closed port", func(t *testing.T, _ *faultproxy.Dice, _ map[string]string) ingest.Sender { return deadEndpoint(t) }, false},
		{"half the SendMessage calls answer 500 InternalError", func(t *testing.T, d *faultproxy.Dice, routes map[string]string) ingest.Sender {
			return sqsThrough(t, d, routes, internalError, 0)
		}, true},
		{"half the SendMessage calls hang past the client timeout", func(t *testing.T, d *faultproxy.Dice, routes map[string]string) ingest.Sender {
			return sqsThrough(t, d, routes, faultproxy.Hang, 300*time.Millisecond)
		}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			start := time.Now()
			dice := faultproxy.NewDice(t)
			r := newRelay(t, nil)
			// Two channels, so that a 202 needs two sends to succeed.
			vars := map[string]string{"CALLBACK_TOKEN": token, "QUARANTINE_QUEUE_URL": r.queues["quarantine"],
				"WEBHOOK_EVENTS": "*", "WEBHOOK_QUEUE_URL": r.queues["webhook"], "SLACK_EVENTS": "*", "SLACK_QUEUE_URL": r.queues["slack"]}
			cfg, err := ingest.LoadConfig(func(k string) string { return vars[k] })
			if err != nil {
				t.Fatal(err)
			}
			r.handler = ingest.NewHandler(ingest.New(cfg, tt.queue(t, dice, map[string]string{r.queues["webhook"]: "webhook", r.queues["slack"]: "slack"}), slog.New(slog.NewJSONHandler(r.logs, nil))), nil)

			const events = 30
			bodies := make([][]byte, events)
			for i := range bodies {
				bodies[i] = fixtures.Variant(nicechat.KnownTypes[i%len(nicechat.KnownTypes)], i)
			}
			resps := postAll(r, bodies, 10)

			accepted := map[string][]byte{}
			refused := map[string]bool{}
			for i, res := range resps {
				id := nicechat.EventID(bodies[i])
				switch {
				case res.err != nil:
					t.Errorf("event %d: the handler returned an error (Lambda would answer 502): %v", i, res.err)
				case res.resp.StatusCode == http.StatusAccepted:
					var got struct{ ID string }
					if err := json.Unmarshal([]byte(res.resp.Body), &got); err != nil || got.ID != id {
						t.Errorf("event %d: 202 body %s, want id %s", i, res.resp.Body, id)
					}
					accepted[id] = bodies[i]
				case res.resp.StatusCode == http.StatusServiceUnavailable:
					if res.resp.Headers["Retry-After"] == "" {
						t.Errorf("event %d: 503 without Retry-After", i)
					}
					refused[id] = true
				default:
					t.Errorf("event %d: answered %d %s, want 202 or 503", i, res.resp.StatusCode, res.resp.Body)
				}
			}
			if len(refused) == 0 || tt.wantBoth && len(accepted) == 0 {
				t.Errorf("%d accepted, %d refused: the faults did not show", len(accepted), len(refused))
			}

			partly := 0
			for _, route := range []string{"webhook", "slack"} {
				queued := map[string][]byte{}
				for _, m := range r.drain(t, route) {
					queued[attr(m, "event_id")] = []byte(aws.ToString(m.Body))
				}
				for id, body := range accepted {
					if got, ok := queued[id]; !ok {
						t.Errorf("%s was answered 202 but is not on the %s queue", id, route)
					} else if !bytes.Equal(got, body) {
						t.Errorf("%s is on the %s queue changed", id, route)
					}
				}
				for id := range queued {
					if refused[id] {
						partly++
					}
				}
			}
			// A 503'd event may sit on a queue (its other send failed, or
			// its answer was lost): Nice Chat's retry then duplicates it,
			// which is at least once, not loss.
			t.Logf("seed %d: %d events, %d answered 202, %d answered 503 (%d copies of them queued anyway), %v",
				dice.Seed(), events, len(accepted), len(refused), partly, time.Since(start).Round(time.Millisecond))
		})
	}
}

type result struct {
	resp events.APIGatewayV2HTTPResponse
	err  error
}

// postAll posts every body, workers at a time, as a burst of callbacks
// would arrive, and returns the answers in the bodies' order.
func postAll(r *relay, bodies [][]byte, workers int) []result {
	out := make([]result, len(bodies))
	next := make(chan int)
	var wg sync.WaitGroup
	for range workers {
		wg.Go(func() {
			for i := range next {
				req := events.APIGatewayV2HTTPRequest{
					RouteKey:       "POST /callback/{token}",
					PathParameters: map[string]string{"token": token},
					Body:           string(bodies[i]),
				}
				req.RequestContext.HTTP.Method = http.MethodPost
				out[i].resp, out[i].err = r.handler.Handle(context.Background(), req)
			}
		})
	}
	for i := range bodies {
		next <- i
	}
	close(next)
	wg.Wait()
	return out
}

// Lambda ends an invocation at its deadline, and Nice Chat then gets API
// Gateway's bare error. Ingest must end a hung send first and answer 503
// with Retry-After while the invocation is still alive.
func TestAHungQueueIsAnswered503BeforeTheInvocationsDeadline(t *testing.T) {
	t.Parallel()
	r := newRelay(t, nil)
	hang := faultproxy.New(t, localaws.Endpoint(t), func(c faultproxy.Call) *faultproxy.Answer {
		if c.Action == "SendMessage" {
			return faultproxy.Hang()
		}
		return nil
	})
	client := sqs.NewFromConfig(localaws.Config(t), func(o *sqs.Options) { o.BaseEndpoint = aws.String(hang.URL) })
	vars := map[string]string{"CALLBACK_TOKEN": token, "QUARANTINE_QUEUE_URL": r.queues["quarantine"],
		"WEBHOOK_EVENTS": "*", "WEBHOOK_QUEUE_URL": r.queues["webhook"]}
	cfg, err := ingest.LoadConfig(func(k string) string { return vars[k] })
	if err != nil {
		t.Fatal(err)
	}
	h := ingest.NewHandler(ingest.New(cfg, client, slog.New(slog.DiscardHandler)), nil)

	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second) // as Lambda sets it
	defer cancel()
	req := events.APIGatewayV2HTTPRequest{PathParameters: map[string]string{"token": token}, Body: string(fixtures.Body("new_chat"))}
	resp, err := h.Handle(ctx, req)
	if ctx.Err() != nil {
		t.Fatal("the handler returned only after the invocation's deadline: Lambda would have cut it off")
	}
	if err != nil || resp.StatusCode != http.StatusServiceUnavailable || resp.Headers["Retry-After"] == "" {
		t.Fatalf("answer = %d %v, err %v; want 503 with Retry-After", resp.StatusCode, resp.Headers, err)
	}
}
