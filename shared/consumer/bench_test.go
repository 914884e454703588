package consumer_test

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strconv"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"

	fixtures "github.com/nicechat-relay/nicechat-relay/events"
	"github.com/nicechat-relay/nicechat-relay/shared/consumer"
	"github.com/nicechat-relay/nicechat-relay/shared/localaws"
	"github.com/nicechat-relay/nicechat-relay/shared/webhook"
)

// BenchmarkBatch10Sink200ms is the figure: the wall time of a
// 10-message batch against an endpoint that takes 200 ms per request,
// next to one delivery and to the same batch delivered one at a time.
func BenchmarkBatch10Sink200ms(b *testing.B) {
	sink := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		time.Sleep(200 * time.Millisecond) // the endpoint's latency
	}))
	defer sink.Close()
	ch, err := webhook.New(webhook.Config{URL: sink.URL, Timeout: 5 * time.Second}, webhook.Deps{})
	if err != nil {
		b.Fatal(err)
	}
	body := string(fixtures.Body("new_chat"))
	batch := func(n int) events.SQSEvent {
		var ev events.SQSEvent
		for i := range n {
			ev.Records = append(ev.Records, events.SQSMessage{
				MessageId: "m" + strconv.Itoa(i),
				Body:      body,
				MessageAttributes: map[string]events.SQSMessageAttribute{
					"event":    {DataType: "String", StringValue: ptr("new_chat")},
					"event_id": {DataType: "String", StringValue: ptr("evt_" + strconv.Itoa(i))},
				},
			})
		}
		return ev
	}
	for _, bc := range []struct {
		name        string
		records     int
		concurrency int
	}{
		{"one delivery", 1, 10},
		{"10 messages, concurrency 10", 10, 10},
		{"10 messages, concurrency 1", 10, 1},
	} {
		b.Run(bc.name, func(b *testing.B) {
			rt := consumer.New(consumer.Config{
				QueueURL: localaws.Queue(b, "src"), DLQURL: localaws.Queue(b, "dlq"),
				Concurrency: bc.concurrency, Metrics: io.Discard,
			}, ch, localaws.SQS(b), slog.New(slog.DiscardHandler))
			ev := batch(bc.records)
			for b.Loop() {
				resp, _ := rt.Handle(context.Background(), ev)
				if len(resp.BatchItemFailures) != 0 {
					b.Fatalf("failures: %v", resp.BatchItemFailures)
				}
			}
		})
	}
}
