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
	"github.com/nicechat-relay/nicechat-relay/shared/duration"
)

// queueAPI is the part of SQS Lambda's event source mapping uses.
type queueAPI interface {
	ReceiveMessage(ctx context.Context, in *sqs.ReceiveMessageInput, opts ...func(*sqs.Options)) (*sqs.ReceiveMessageOutput, error)
	DeleteMessage(ctx context.Context, in *sqs.DeleteMessageInput, opts ...func(*sqs.Options)) (*sqs.DeleteMessageOutput, error)
	ChangeMessageVisibility(ctx context.Context, in *sqs.ChangeMessageVisibilityInput, opts ...func(*sqs.Options)) (*sqs.ChangeMessageVisibilityOutput, error)
}

// batchHandler is a consumer Lambda's handler.
type batchHandler func(context.Context, events.SQSEvent) (events.SQSEventResponse, error)

// eventSource feeds one queue to a consumer the way Lambda's SQS event
// source mapping with ReportBatchItemFailures does: one poller per
// instance of the function (MaximumConcurrency) gathers a batch for up to
// the batching window, invokes its instance's handler with the function's
// timeout, and deletes the records it did not report failed.
// Failed records stay on the queue: they come back when the visibility the
// handler set (its backoff) or the queue's visibility timeout runs out,
// and the queue's redrive policy counts their receives.
type eventSource struct {
	Queue       queueAPI
	URL         string
	BatchSize   int
	BatchWindow time.Duration
	// Timeout is the function's timeout: each invocation's deadline.
	Timeout time.Duration
	// Visibility is the queue's visibility timeout, which Lambda's
	// receives use; the template sets 6 × Timeout.
	Visibility time.Duration
	// Instances are the handlers of the function's instances, each built
	// by its own start-up, as Lambda runs them.
	Instances []batchHandler
	// Paused, when it reports true, stops receiving, as a disabled event
	// source mapping does. It is asked again once a batch is gathered,
	// so that no invocation starts after a pause has been answered.
	Paused func() bool
	Log    *slog.Logger
}

// run polls until ctx ends, then waits for the invocations in progress: a
// graceful stop finishes them, and their records are deleted or keep the
// visibility the handler set. hard ends those invocations early; their
// records return on the queue's visibility timeout or, after a restart, at once.
func (s eventSource) run(ctx, hard context.Context) {
	var wg sync.WaitGroup
	for _, handle := range s.Instances {
		wg.Go(func() { s.poll(ctx, hard, handle) })
	}
	wg.Wait()
}

func (s eventSource) poll(ctx, hard context.Context, handle batchHandler) {
	for ctx.Err() == nil {
		if s.Paused != nil && s.Paused() {
			_ = duration.Sleep(ctx, 250*time.Millisecond)
			continue
		}
		msgs, err := s.receive(ctx, s.BatchSize)
		if err != nil {
			if ctx.Err() == nil {
				s.Log.Error("event source: receive failed", "error", err.Error())
				_ = duration.Sleep(ctx, time.Second)
			}
			continue
		}
		if len(msgs) == 0 {
			continue
		}
		// Gather up to a full batch for at most the batching window, as
		// MaximumBatchingWindowInSeconds does.
		for end := time.Now().Add(s.BatchWindow); len(msgs) < s.BatchSize && time.Now().Before(end) && ctx.Err() == nil; {
			more, err := s.receive(ctx, s.BatchSize-len(msgs))
			if err != nil {
				break
			}
			msgs = append(msgs, more...)
		}
		if s.Paused != nil && s.Paused() {
			// Paused while the batch was gathered (up to the receive's
			// second and the batching window): nothing of it may be
			// delivered now. It goes back on the queue, to wait there
			// with the rest; as in SQS, the receive has been counted.
			s.putBack(msgs)
			continue
		}
		s.invoke(hard, handle, msgs)
	}
}

// putBack makes received messages visible again at once.
func (s eventSource) putBack(msgs []sqstypes.Message) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	for _, m := range msgs {
		_, err := s.Queue.ChangeMessageVisibility(ctx, &sqs.ChangeMessageVisibilityInput{QueueUrl: aws.String(s.URL), ReceiptHandle: m.ReceiptHandle, VisibilityTimeout: 0})
		if err != nil {
			s.Log.Error("event source: could not put a message back after a pause; it returns after the visibility timeout", "message_id", aws.ToString(m.MessageId), "error", err.Error())
		}
	}
	s.Log.Info("event source: the channel was paused while a batch was gathered; the batch waits in the queue", "records", len(msgs))
}

// receive takes up to n messages, waiting at most a second for the first:
// short, so a stop is not held up by a long poll.
func (s eventSource) receive(ctx context.Context, n int) ([]sqstypes.Message, error) {
	out, err := s.Queue.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{
		QueueUrl:            aws.String(s.URL),
		MaxNumberOfMessages: int32(n),
		VisibilityTimeout:   int32(s.Visibility / time.Second),
		WaitTimeSeconds:     1,
	})
	if err != nil {
		return nil, err
	}
	return out.Messages, nil
}

// invoke runs one batch through the handler and deletes what it delivered
// or dead-lettered. It is not stopped by the poll's context: a stop lets it
// finish.
func (s eventSource) invoke(hard context.Context, handle batchHandler, msgs []sqstypes.Message) {
	ev := events.SQSEvent{Records: make([]events.SQSMessage, len(msgs))}
	for i, m := range msgs {
		ev.Records[i] = consumer.Record(m, "arn:aws:sqs:local:000000000000:"+path.Base(s.URL), "local")
	}
	ctx, cancel := context.WithTimeout(hard, s.Timeout)
	resp, err := call(ctx, handle, ev)
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
func call(ctx context.Context, handle batchHandler, ev events.SQSEvent) (resp events.SQSEventResponse, err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("handler panicked: %v", p)
		}
	}()
	return handle(ctx, ev)
}
