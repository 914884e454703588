package ingest_test

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/service/sqs"

	fixtures "github.com/nicechat-relay/nicechat-relay/events"
	"github.com/nicechat-relay/nicechat-relay/shared/ingest"
	"github.com/nicechat-relay/nicechat-relay/shared/nicechat"
)

// memoryQueue is an in-process enqueuer, so the benchmark measures ingest
// itself rather than the network.
type memoryQueue struct{}

func (memoryQueue) SendMessage(context.Context, *sqs.SendMessageInput, ...func(*sqs.Options)) (*sqs.SendMessageOutput, error) {
	return &sqs.SendMessageOutput{}, nil
}

// BenchmarkIngest runs one callback per event type through the handler
// with every channel on (four messages per callback). Next to each it
// reports json.Valid on the same body, the least any JSON-validating
// ingest must do, and the handler's time as a multiple of it.
func BenchmarkIngest(b *testing.B) {
	env := map[string]string{
		"CALLBACK_TOKEN": token, "QUARANTINE_QUEUE_URL": "q",
		"WEBHOOK_EVENTS": "*", "WEBHOOK_QUEUE_URL": "w",
		"EMAIL_TECH_EVENTS": "*", "EMAIL_HUMAN_EVENTS": "*", "EMAIL_QUEUE_URL": "e",
		"SLACK_EVENTS": "*", "SLACK_QUEUE_URL": "s",
	}
	cfg, err := ingest.LoadConfig(func(k string) string { return env[k] })
	if err != nil {
		b.Fatal(err)
	}
	queue := memoryQueue{}
	h := ingest.NewHandler(ingest.New(cfg, queue, slog.New(slog.NewJSONHandler(io.Discard, nil))), nil)
	for _, eventType := range nicechat.KnownTypes {
		body := fixtures.Body(eventType)
		req := events.APIGatewayV2HTTPRequest{PathParameters: map[string]string{"token": token}, Body: string(body)}
		b.Run(eventType, func(b *testing.B) {
			floor := nsPerOp(func() { _ = json.Valid(body) })
			b.ReportAllocs()
			b.SetBytes(int64(len(body)))
			for b.Loop() {
				resp, _ := h.Handle(context.Background(), req)
				if resp.StatusCode != 202 {
					b.Fatalf("status %d: %s", resp.StatusCode, resp.Body)
				}
			}
			perOp := float64(b.Elapsed().Nanoseconds()) / float64(b.N)
			b.ReportMetric(floor, "ns/json.Valid")
			b.ReportMetric(perOp/floor, "x-json.Valid")
		})
	}
}

// nsPerOp times f over about 300 ms. testing.Benchmark cannot be used
// inside a benchmark: it waits for the lock the running one holds.
func nsPerOp(f func()) float64 {
	n, start := 0, time.Now()
	for time.Since(start) < 300*time.Millisecond {
		for range 1000 {
			f()
		}
		n += 1000
	}
	return float64(time.Since(start).Nanoseconds()) / float64(n)
}
