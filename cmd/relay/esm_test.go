package main

import (
	"context"
	"io"
	"log/slog"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"

	"github.com/nicechat-relay/nicechat-relay/shared/localqueue"
)

// pausedWhileGathering is the local queue with a pause answered while a
// poller holds a batch it has just received, before it invokes.
type pausedWhileGathering struct {
	*localqueue.Store
	pause func()
	once  sync.Once
}

func (q *pausedWhileGathering) ReceiveMessage(ctx context.Context, in *sqs.ReceiveMessageInput, opts ...func(*sqs.Options)) (*sqs.ReceiveMessageOutput, error) {
	out, err := q.Store.ReceiveMessage(ctx, in, opts...)
	if err == nil && len(out.Messages) > 0 {
		q.once.Do(q.pause)
	}
	return out, err
}

func TestNoBatchStartsOnceAPauseHasBeenAnswered(t *testing.T) {
	store, err := localqueue.Open(filepath.Join(t.TempDir(), "queues.db"), localqueue.Options{URLPrefix: "http://127.0.0.1/sqs/000000000000/"})
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	url, err := store.CreateQueue("webhook", nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := store.SendMessage(context.Background(), &sqs.SendMessageInput{QueueUrl: aws.String(url), MessageBody: aws.String(`{"event":"new_chat","data":{"id":1}}`)}); err != nil {
		t.Fatal(err)
	}

	var paused, pauseAnswered atomic.Bool
	var invokedWhilePaused, invoked atomic.Int32
	queue := &pausedWhileGathering{Store: store, pause: func() { paused.Store(true); pauseAnswered.Store(true) }}
	src := eventSource{
		Queue: queue, URL: url, BatchSize: 10, BatchWindow: 100 * time.Millisecond,
		Timeout: 5 * time.Second, Visibility: 30 * time.Second,
		Instances: []batchHandler{func(ctx context.Context, ev events.SQSEvent) (events.SQSEventResponse, error) {
			if paused.Load() {
				invokedWhilePaused.Add(1)
			}
			invoked.Add(int32(len(ev.Records)))
			return events.SQSEventResponse{}, nil
		}},
		Paused: paused.Load,
		Log:    slog.New(slog.NewJSONHandler(io.Discard, nil)),
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { src.run(ctx, context.Background()); close(done) }()
	defer func() { cancel(); <-done }()

	eventually(t, "the batch received before the pause waits in the queue again", func() bool {
		st, err := store.Stats("webhook")
		return err == nil && pauseAnswered.Load() && st.Visible == 1 || invoked.Load() > 0
	})
	if n := invokedWhilePaused.Load(); n > 0 {
		t.Fatalf("%d invocations started after the pause was answered", n)
	}
	if n := invoked.Load(); n > 0 {
		t.Fatalf("%d messages were delivered though the channel was paused before their batch started", n)
	}

	paused.Store(false)
	eventually(t, "the message is delivered once the channel is resumed", func() bool { return invoked.Load() == 1 })
}
