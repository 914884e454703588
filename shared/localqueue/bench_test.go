package localqueue_test

import (
	"context"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
)

// benchBody is about the size of a Nice Chat event.
var benchBody = `{"event":"first_message","data":{"chat_id":"c-1","message":"` + strings.Repeat("hello ", 100) + `"}}`

// BenchmarkSend is one sender: every send waits for its own fsync.
func BenchmarkSend(b *testing.B) {
	s := open(b, storePath(b), nil)
	url := create(b, s, "webhook", nil)
	in := &sqs.SendMessageInput{QueueUrl: aws.String(url), MessageBody: aws.String(benchBody), MessageAttributes: attrs}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := s.SendMessage(context.Background(), in); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkSendParallel is many senders (as ingest under load): their
// sends share commits.
func BenchmarkSendParallel(b *testing.B) {
	s := open(b, storePath(b), nil)
	url := create(b, s, "webhook", nil)
	b.SetParallelism(32)
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		in := &sqs.SendMessageInput{QueueUrl: aws.String(url), MessageBody: aws.String(benchBody), MessageAttributes: attrs}
		for pb.Next() {
			if _, err := s.SendMessage(context.Background(), in); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// BenchmarkReceiveDelete is a consumer's loop: receive a batch of 10,
// delete each; ns/op is per message.
func BenchmarkReceiveDelete(b *testing.B) {
	s := open(b, storePath(b), nil)
	url := create(b, s, "webhook", nil)
	ctx := context.Background()
	fill := func(n int) {
		errs := make(chan error, n)
		for range n {
			go func() {
				_, err := s.SendMessage(ctx, &sqs.SendMessageInput{QueueUrl: aws.String(url), MessageBody: aws.String(benchBody), MessageAttributes: attrs})
				errs <- err
			}()
		}
		for range n {
			if err := <-errs; err != nil {
				b.Fatal(err)
			}
		}
	}
	b.ReportAllocs()
	b.StopTimer()
	fill(b.N)
	b.StartTimer()
	for done := 0; done < b.N; {
		out, err := s.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: aws.String(url), MaxNumberOfMessages: 10})
		if err != nil || len(out.Messages) == 0 {
			b.Fatalf("receive: %d messages, %v", len(out.Messages), err)
		}
		for _, m := range out.Messages {
			if _, err := s.DeleteMessage(ctx, &sqs.DeleteMessageInput{QueueUrl: aws.String(url), ReceiptHandle: m.ReceiptHandle}); err != nil {
				b.Fatal(err)
			}
		}
		done += len(out.Messages)
	}
}
