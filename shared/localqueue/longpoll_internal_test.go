package localqueue

import (
	"context"
	"errors"
	"path/filepath"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	bolt "go.etcd.io/bbolt"
)

// These tests start a long poll, wait (with a deadline) until it is
// waiting, then do what should end it. Were the wake-up missing, the poll
// would run its full 20 s and return nothing, failing the test.

type pollResult struct {
	out *sqs.ReceiveMessageOutput
	err error
}

func startPoll(t *testing.T, ctx context.Context, s *Store, url string) <-chan pollResult {
	t.Helper()
	done := make(chan pollResult, 1)
	before := s.waiting.Load()
	go func() {
		out, err := s.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: aws.String(url), WaitTimeSeconds: MaxWaitSeconds})
		done <- pollResult{out, err}
	}()
	deadline := time.Now().Add(5 * time.Second)
	for s.waiting.Load() == before {
		if time.Now().After(deadline) {
			t.Fatal("the long poll never started waiting")
		}
		time.Sleep(time.Millisecond)
	}
	return done
}

func TestLongPollReturnsAsSoonAsAMessageIsAvailable(t *testing.T) {
	send := func(s *Store, url string, delay int32) error {
		_, err := s.SendMessage(context.Background(), &sqs.SendMessageInput{QueueUrl: aws.String(url), MessageBody: aws.String("wake"), DelaySeconds: delay})
		return err
	}
	tests := []struct {
		name    string
		setup   func(s *Store, url string) error // before the poll
		trigger func(s *Store, url string) error // once it waits
		poll    string                           // the queue polled, if not q
		redrive *Redrive                         // q's
	}{
		{
			name:    "a message is sent",
			trigger: func(s *Store, url string) error { return send(s, url, 0) },
		},
		{
			name:  "a delayed message becomes visible",
			setup: func(s *Store, url string) error { return send(s, url, 1) },
		},
		{
			// No wake-up announces it: the poll must look again by itself.
			name:    "a message sent with a delay after the poll began becomes visible",
			trigger: func(s *Store, url string) error { return send(s, url, 1) },
		},
		{
			name: "a visibility change to 0 returns a message",
			setup: func(s *Store, url string) error {
				if err := send(s, url, 0); err != nil {
					return err
				}
				_, err := s.ReceiveMessage(context.Background(), &sqs.ReceiveMessageInput{QueueUrl: aws.String(url), VisibilityTimeout: 600})
				return err
			},
			trigger: func(s *Store, url string) error {
				// The message's latest handle is the one on record.
				s.mu.Lock()
				var handle string
				for seq, e := range s.queues["q"].msgs {
					handle = receiptHandle(seq, e.state.Receipt)
				}
				s.mu.Unlock()
				_, err := s.ChangeMessageVisibility(context.Background(), &sqs.ChangeMessageVisibilityInput{QueueUrl: aws.String(url), ReceiptHandle: aws.String(handle)})
				return err
			},
		},
		{
			name:    "a message is redriven to the dead-letter queue",
			poll:    "dlq",
			redrive: &Redrive{DeadLetterQueue: "dlq", MaxReceiveCount: 1},
			setup: func(s *Store, url string) error {
				if err := send(s, url, 0); err != nil {
					return err
				}
				// Receive it once, then make it visible again for the
				// receive that moves it.
				out, err := s.ReceiveMessage(context.Background(), &sqs.ReceiveMessageInput{QueueUrl: aws.String(url)})
				if err != nil {
					return err
				}
				_, err = s.ChangeMessageVisibility(context.Background(), &sqs.ChangeMessageVisibilityInput{QueueUrl: aws.String(url), ReceiptHandle: out.Messages[0].ReceiptHandle})
				return err
			},
			trigger: func(s *Store, url string) error {
				_, err := s.ReceiveMessage(context.Background(), &sqs.ReceiveMessageInput{QueueUrl: aws.String(url)})
				return err
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := openInternal(t)
			if _, err := s.CreateQueue("dlq", nil); err != nil {
				t.Fatal(err)
			}
			url, err := s.CreateQueue("q", tt.redrive)
			if err != nil {
				t.Fatal(err)
			}
			if tt.setup != nil {
				if err := tt.setup(s, url); err != nil {
					t.Fatalf("setup: %v", err)
				}
			}
			poll := url
			if tt.poll != "" {
				poll = tt.poll
			}
			done := startPoll(t, context.Background(), s, poll)
			if tt.trigger != nil {
				if err := tt.trigger(s, url); err != nil {
					t.Fatalf("trigger: %v", err)
				}
			}
			r := <-done
			if r.err != nil || len(r.out.Messages) != 1 || aws.ToString(r.out.Messages[0].Body) != "wake" {
				t.Fatalf("long poll = %+v, %v; want the message", r.out, r.err)
			}
		})
	}
}

func TestLongPollEnds(t *testing.T) {
	tests := []struct {
		name    string
		end     func(s *Store, cancel context.CancelFunc)
		wantErr error
	}{
		{"when the caller cancels", func(_ *Store, cancel context.CancelFunc) { cancel() }, context.Canceled},
		{"when the store closes", func(s *Store, _ context.CancelFunc) { _ = s.Close() }, ErrClosed},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := openInternal(t)
			url, err := s.CreateQueue("q", nil)
			if err != nil {
				t.Fatal(err)
			}
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			done := startPoll(t, ctx, s, url)
			tt.end(s, cancel)
			if r := <-done; !errors.Is(r.err, tt.wantErr) {
				t.Errorf("long poll error = %v, want %v", r.err, tt.wantErr)
			}
		})
	}
}

func openInternal(t *testing.T) *Store {
	t.Helper()
	s, err := Open(filepath.Join(t.TempDir(), "queues.db"), Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Close() })
	return s
}

// A call whose change fails must not fail the calls that shared its
// transaction: they are applied again on their own.
func TestOneFailingCallDoesNotFailTheOthersInItsCommit(t *testing.T) {
	s, err := Open(filepath.Join(t.TempDir(), "q.db"), Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	put := func(key string) func(tx *bolt.Tx) error {
		return func(tx *bolt.Tx) error {
			b, err := tx.CreateBucketIfNotExists([]byte("test"))
			if err != nil {
				return err
			}
			return b.Put([]byte(key), []byte("v"))
		}
	}
	boom := errors.New("boom")
	batch := []*op{
		{fn: put("a"), done: make(chan struct{})},
		{fn: func(*bolt.Tx) error { return boom }, done: make(chan struct{})},
		{fn: put("b"), done: make(chan struct{})},
	}
	s.commit(batch)
	if batch[0].err != nil || batch[2].err != nil || !errors.Is(batch[1].err, boom) {
		t.Fatalf("errors = %v, %v, %v; want nil, boom, nil", batch[0].err, batch[1].err, batch[2].err)
	}
	err = s.db.View(func(tx *bolt.Tx) error {
		b := tx.Bucket([]byte("test"))
		if b == nil || b.Get([]byte("a")) == nil || b.Get([]byte("b")) == nil {
			t.Error("the calls that did not fail are not in the file")
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.CreateQueue("still-works", nil); err != nil {
		t.Errorf("the store refuses calls after one failed: %v", err)
	}
}
