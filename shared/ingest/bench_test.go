package ingest_test

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"slices"
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
// ingest must do, and the handler's time as a multiple of it: the median
// over rounds that time the two in turn, so that a machine busy with
// something else slows both alike.
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
		handle := func() {
			if resp, _ := h.Handle(context.Background(), req); resp.StatusCode != 202 {
				b.Fatalf("status %d: %s", resp.StatusCode, resp.Body)
			}
		}
		b.Run(eventType, func(b *testing.B) {
			b.ReportAllocs()
			b.SetBytes(int64(len(body)))
			for b.Loop() {
				handle()
			}
			floor, ratio := ratioTo(func() { _ = json.Valid(body) }, handle)
			b.ReportMetric(floor, "ns/json.Valid")
			b.ReportMetric(ratio, "x-json.Valid")
		})
	}
}

// ratioTo times floor and f in turn, 21 rounds of about 20 ms each, and
// returns floor's median time per call and the median ratio of f's to
// floor's. testing.Benchmark cannot be used inside a benchmark: it waits
// for the lock the running one holds.
func ratioTo(floor, f func()) (floorNs, ratio float64) {
	const rounds = 21
	floors, ratios := make([]float64, rounds), make([]float64, rounds)
	for i := range rounds {
		floors[i] = nsPerOp(floor, 10*time.Millisecond)
		ratios[i] = nsPerOp(f, 10*time.Millisecond) / floors[i]
	}
	return median(floors), median(ratios)
}

// nsPerOp times f over about d.
func nsPerOp(f func(), d time.Duration) float64 {
	n, start := 0, time.Now()
	for time.Since(start) < d {
		for range 100 {
			f()
		}
		n += 100
	}
	return float64(time.Since(start).Nanoseconds()) / float64(n)
}

func median(xs []float64) float64 {
	s := slices.Clone(xs)
	slices.Sort(s)
	return s[len(s)/2]
}
