package main

import (
	"context"
	"fmt"
	"log/slog"
	"path"
	"slices"
	"sync"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"

	"github.com/nicechat-relay/nicechat-relay/shared/consumer"
)

// queueAPI is the part of SQS Lambda's event source mapping uses.
type queueAPI interface {
	ReceiveMessage(ctx context.Context, in *sqs.ReceiveMessageInput, opts ...func(*sqs.Options)) (*sqs.ReceiveMessageOutput, error)
	DeleteMessage(ctx context.Context, in *sqs.DeleteMessageInput, opts ...func(*sqs.Options)) (*sqs.DeleteMessageOutput, error)
}

// batchHandler is a consumer Lambda's handler.
type batchHandler func(context.Context, events.SQSEvent) (events.SQSEventResponse, error)

// eventSource feeds one queue to one consumer handler the way Lambda's SQS
// event source mapping with ReportBatchItemFailures does: up to
// Concurrency pollers each receive a batch, invoke the handler with the
// function's timeout, and delete the records it did not report failed.
// Failed records stay on the queue: they come back when the visibility the
// handler set (its backoff) or the queue's visibility timeout runs out,
// and the queue's redrive policy counts their receives.
type eventSource struct {
	Queue       queueAPI
	URL         string
	BatchSize   int
	Concurrency int
	// Timeout is the function's timeout: each invocation's deadline.
	Timeout time.Duration
	// Visibility is the queue's visibility timeout, which Lambda's
	// receives use; the template sets 6 × Timeout.
	Visibility time.Duration
	Handle     batchHandler
	Log        *slog.Logger
}

// run polls until ctx ends, then waits for the invocations in progress: a
// graceful stop finishes them, and their records are deleted or keep the
// visibility the handler set. hard ends those invocations early; their
// records return on the queue's visibility timeout or, after a restart, at once.
func (s eventSource) run(ctx, hard context.Context) {
	var wg sync.WaitGroup
	for range max(1, s.Concurrency) {
		wg.Go(func() { s.poll(ctx, hard) })
	}
	wg.Wait()
}

func (s eventSource) poll(ctx, hard context.Context) {
	for ctx.Err() == nil {
		out, err := s.Queue.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{
			QueueUrl:            aws.String(s.URL),
			MaxNumberOfMessages: int32(s.BatchSize),
			VisibilityTimeout:   int32(s.Visibility / time.Second),
			WaitTimeSeconds:     1, // short, so a stop is not held up by a long poll
		})
		if err != nil {
			if ctx.Err() == nil {
				s.Log.Error("event source: receive failed", "error", err.Error())
				sleep(ctx, time.Second)
			}
			continue
		}
		if len(out.Messages) > 0 {
			s.invoke(hard, out.Messages)
		}
	}
}

// invoke runs one batch through the handler and deletes what it delivered
// or dead-lettered. It is not stopped by the poll's context: a stop lets it
// finish.
func (s eventSource) invoke(hard context.Context, msgs []sqstypes.Message) {
	ev := events.SQSEvent{Records: make([]events.SQSMessage, len(msgs))}
	for i, m := range msgs {
		ev.Records[i] = consumer.Record(m, "arn:aws:sqs:local:000000000000:"+path.Base(s.URL), "local")
	}
	ctx, cancel := context.WithTimeout(hard, s.Timeout)
	resp, err := s.call(ctx, ev)
	cancel()
	if err != nil {
		// As in Lambda, a failed invocation fails the whole batch: the
		// records return after the visibility timeout.
		s.Log.Error("event source: the handler failed, the batch will be retried", "error", err.Error(), "records", len(msgs))
		return
	}
	failed := make(map[string]bool, len(resp.BatchItemFailures))
	for _, f := range resp.BatchItemFailures {
		failed[f.ItemIdentifier] = true
	}
	for id := range failed {
		if !slices.ContainsFunc(msgs, func(m sqstypes.Message) bool { return aws.ToString(m.MessageId) == id }) {
			// Lambda treats a response naming an unknown record as a
			// failure of the whole batch.
			s.Log.Error("event source: the handler reported a record that is not in the batch; the whole batch will be retried", "message_id", id)
			return
		}
	}
	// Deleted together, so the queue commits them in one write. Not under
	// hard: the deliveries happened, so their deletions must too.
	var deletes sync.WaitGroup
	for _, m := range msgs {
		if failed[aws.ToString(m.MessageId)] {
			continue
		}
		deletes.Go(func() {
			del, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			_, err := s.Queue.DeleteMessage(del, &sqs.DeleteMessageInput{QueueUrl: aws.String(s.URL), ReceiptHandle: m.ReceiptHandle})
			if err != nil {
				s.Log.Error("event source: delete failed, the message will be delivered again", "message_id", aws.ToString(m.MessageId), "error", err.Error())
			}
		})
	}
	deletes.Wait()
}

// call invokes the handler; a panic fails the invocation, as a crashed
// Lambda runtime would.
func (s eventSource) call(ctx context.Context, ev events.SQSEvent) (resp events.SQSEventResponse, err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("handler panicked: %v", p)
		}
	}()
	return s.Handle(ctx, ev)
}

func sleep(ctx context.Context, d time.Duration) {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
	case <-t.C:
	}
}
