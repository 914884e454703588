// Package consumertest drives a consumer handler the way Lambda's SQS event
// source mapping does, against a real (local) SQS: receive, build the
// SQSEvent from the real messages, call the handler, delete what it did not
// report failed. Test code only.
package consumertest

import (
	"context"
	"path"
	"slices"
	"testing"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"

	"github.com/nicechat-relay/nicechat-relay/shared/consumer"
)

// Handler is a consumer Lambda handler.
type Handler func(context.Context, events.SQSEvent) (events.SQSEventResponse, error)

// Receive takes up to max visible messages from the queue as one SQS event,
// with the system and message attributes the event source mapping passes.
func Receive(t testing.TB, client *sqs.Client, queueURL string, max int) events.SQSEvent {
	t.Helper()
	out, err := client.ReceiveMessage(context.Background(), &sqs.ReceiveMessageInput{
		QueueUrl:                    aws.String(queueURL),
		MaxNumberOfMessages:         int32(max),
		MessageSystemAttributeNames: []sqstypes.MessageSystemAttributeName{sqstypes.MessageSystemAttributeNameAll},
		MessageAttributeNames:       []string{"All"},
	})
	if err != nil {
		t.Fatalf("receive from %s: %v", queueURL, err)
	}
	var ev events.SQSEvent
	for _, m := range out.Messages {
		ev.Records = append(ev.Records, Record(m, queueURL))
	}
	return ev
}

// Record converts a received message into the record Lambda passes.
func Record(m sqstypes.Message, queueURL string) events.SQSMessage {
	return consumer.Record(m, "arn:aws:sqs:us-east-1:123456789012:"+queueName(queueURL), "us-east-1")
}

// Drive receives one batch (up to 10), hands it to h and deletes the
// records h did not report failed. It returns the batch and h's response.
func Drive(ctx context.Context, t testing.TB, client *sqs.Client, queueURL string, h Handler) (events.SQSEvent, events.SQSEventResponse) {
	t.Helper()
	ev := Receive(t, client, queueURL, 10)
	resp, err := h(ctx, ev)
	if err != nil {
		t.Fatalf("handler returned an error (the whole batch would be redelivered): %v", err)
	}
	failed := Failed(resp)
	for _, rec := range ev.Records {
		if slices.Contains(failed, rec.MessageId) {
			continue
		}
		if _, err := client.DeleteMessage(context.Background(), &sqs.DeleteMessageInput{QueueUrl: aws.String(queueURL), ReceiptHandle: aws.String(rec.ReceiptHandle)}); err != nil {
			t.Fatalf("delete %s: %v", rec.MessageId, err)
		}
	}
	return ev, resp
}

// Failed returns the message ids a response reports failed.
func Failed(resp events.SQSEventResponse) []string {
	ids := make([]string, 0, len(resp.BatchItemFailures))
	for _, f := range resp.BatchItemFailures {
		ids = append(ids, f.ItemIdentifier)
	}
	return ids
}

// Release makes the batch's failed records visible again at once: what
// the passing of their backoff time would do.
func Release(t testing.TB, client *sqs.Client, queueURL string, ev events.SQSEvent, resp events.SQSEventResponse) {
	t.Helper()
	failed := Failed(resp)
	for _, rec := range ev.Records {
		if !slices.Contains(failed, rec.MessageId) {
			continue
		}
		if _, err := client.ChangeMessageVisibility(context.Background(), &sqs.ChangeMessageVisibilityInput{
			QueueUrl: aws.String(queueURL), ReceiptHandle: aws.String(rec.ReceiptHandle), VisibilityTimeout: 0,
		}); err != nil {
			t.Fatalf("release %s: %v", rec.MessageId, err)
		}
	}
}

// Send enqueues a message with string attributes, as ingest does.
func Send(t testing.TB, client *sqs.Client, queueURL, body string, attrs map[string]string) string {
	t.Helper()
	in := &sqs.SendMessageInput{QueueUrl: aws.String(queueURL), MessageBody: aws.String(body), MessageAttributes: map[string]sqstypes.MessageAttributeValue{}}
	for name, v := range attrs {
		in.MessageAttributes[name] = sqstypes.MessageAttributeValue{DataType: aws.String("String"), StringValue: aws.String(v)}
	}
	out, err := client.SendMessage(context.Background(), in)
	if err != nil {
		t.Fatalf("send to %s: %v", queueURL, err)
	}
	return aws.ToString(out.MessageId)
}

// Drain receives everything visible on a queue (deleting nothing, holding
// it invisible for a minute) and returns the raw messages.
func Drain(t testing.TB, client *sqs.Client, queueURL string) []sqstypes.Message {
	t.Helper()
	var all []sqstypes.Message
	for range 100 {
		out, err := client.ReceiveMessage(context.Background(), &sqs.ReceiveMessageInput{
			QueueUrl:                    aws.String(queueURL),
			MaxNumberOfMessages:         10,
			VisibilityTimeout:           60,
			MessageSystemAttributeNames: []sqstypes.MessageSystemAttributeName{sqstypes.MessageSystemAttributeNameAll},
			MessageAttributeNames:       []string{"All"},
		})
		if err != nil {
			t.Fatalf("receive from %s: %v", queueURL, err)
		}
		if len(out.Messages) == 0 {
			return all
		}
		all = append(all, out.Messages...)
	}
	t.Fatalf("%s did not run empty", queueURL)
	return nil
}

func queueName(url string) string { return path.Base(url) }
