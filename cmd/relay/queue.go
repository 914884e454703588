package main

import (
	"context"
	"crypto/md5"
	"encoding/hex"
	"fmt"
	"strconv"
	"sync"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"
)

// embeddedSQS is the local stand-in for SQS: the few calls the relay makes,
// in memory, for one process on one machine. In AWS the real SQS does this.
type embeddedSQS struct {
	mu     sync.Mutex
	queues map[string]*queue // by URL
	now    func() time.Time
	seq    int
}

type queue struct {
	name     string
	msgs     []*storedMessage
	dlq      *queue // safety-net redrive target, like a RedrivePolicy
	maxRecvs int
}

type storedMessage struct {
	id, receipt  string
	body         string
	attrs        map[string]sqstypes.MessageAttributeValue
	receiveCount int
	sentAt       time.Time
	firstRecv    time.Time
	visibleAt    time.Time
}

func newEmbeddedSQS() *embeddedSQS {
	return &embeddedSQS{queues: map[string]*queue{}, now: time.Now}
}

// create adds a queue and returns its URL. A dlq URL makes it the queue's
// dead-letter target after maxReceives receives.
func (s *embeddedSQS) create(name, dlqURL string, maxReceives int) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	url := "local://sqs/" + name
	s.queues[url] = &queue{name: name, dlq: s.queues[dlqURL], maxRecvs: maxReceives}
	return url
}

func (s *embeddedSQS) queue(url *string) (*queue, error) {
	q, ok := s.queues[aws.ToString(url)]
	if !ok {
		return nil, fmt.Errorf("embedded SQS: queue %q does not exist", aws.ToString(url))
	}
	return q, nil
}

func (s *embeddedSQS) SendMessage(_ context.Context, in *sqs.SendMessageInput, _ ...func(*sqs.Options)) (*sqs.SendMessageOutput, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	q, err := s.queue(in.QueueUrl)
	if err != nil {
		return nil, err
	}
	s.seq++
	m := &storedMessage{
		id:        fmt.Sprintf("%08d-local", s.seq),
		body:      aws.ToString(in.MessageBody),
		attrs:     in.MessageAttributes,
		sentAt:    s.now(),
		visibleAt: s.now().Add(time.Duration(in.DelaySeconds) * time.Second),
	}
	q.msgs = append(q.msgs, m)
	sum := md5.Sum([]byte(m.body))
	return &sqs.SendMessageOutput{MessageId: aws.String(m.id), MD5OfMessageBody: aws.String(hex.EncodeToString(sum[:]))}, nil
}

func (s *embeddedSQS) ReceiveMessage(_ context.Context, in *sqs.ReceiveMessageInput, _ ...func(*sqs.Options)) (*sqs.ReceiveMessageOutput, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	q, err := s.queue(in.QueueUrl)
	if err != nil {
		return nil, err
	}
	limit := max(1, int(in.MaxNumberOfMessages))
	visibility := 30 * time.Second
	if in.VisibilityTimeout > 0 {
		visibility = time.Duration(in.VisibilityTimeout) * time.Second
	}
	now := s.now()
	out := &sqs.ReceiveMessageOutput{}
	kept := q.msgs[:0]
	for _, m := range q.msgs {
		if len(out.Messages) >= limit || now.Before(m.visibleAt) {
			kept = append(kept, m)
			continue
		}
		if q.dlq != nil && q.maxRecvs > 0 && m.receiveCount >= q.maxRecvs {
			m.receiveCount = 0
			q.dlq.msgs = append(q.dlq.msgs, m)
			continue
		}
		s.seq++
		m.receiveCount++
		m.receipt = fmt.Sprintf("%s-r%d", m.id, s.seq)
		m.visibleAt = now.Add(visibility)
		if m.firstRecv.IsZero() {
			m.firstRecv = now
		}
		out.Messages = append(out.Messages, sqstypes.Message{
			MessageId:     aws.String(m.id),
			ReceiptHandle: aws.String(m.receipt),
			Body:          aws.String(m.body),
			Attributes: map[string]string{
				"ApproximateReceiveCount":          strconv.Itoa(m.receiveCount),
				"SentTimestamp":                    strconv.FormatInt(m.sentAt.UnixMilli(), 10),
				"ApproximateFirstReceiveTimestamp": strconv.FormatInt(m.firstRecv.UnixMilli(), 10),
			},
			MessageAttributes: m.attrs,
		})
		kept = append(kept, m)
	}
	q.msgs = kept
	return out, nil
}

func (s *embeddedSQS) find(url, receipt *string) (*queue, int, error) {
	q, err := s.queue(url)
	if err != nil {
		return nil, 0, err
	}
	for i, m := range q.msgs {
		if m.receipt != "" && m.receipt == aws.ToString(receipt) {
			return q, i, nil
		}
	}
	return nil, 0, fmt.Errorf("embedded SQS: receipt handle %q is not current", aws.ToString(receipt))
}

func (s *embeddedSQS) ChangeMessageVisibility(_ context.Context, in *sqs.ChangeMessageVisibilityInput, _ ...func(*sqs.Options)) (*sqs.ChangeMessageVisibilityOutput, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	q, i, err := s.find(in.QueueUrl, in.ReceiptHandle)
	if err != nil {
		return nil, err
	}
	q.msgs[i].visibleAt = s.now().Add(time.Duration(in.VisibilityTimeout) * time.Second)
	return &sqs.ChangeMessageVisibilityOutput{}, nil
}

func (s *embeddedSQS) DeleteMessage(_ context.Context, in *sqs.DeleteMessageInput, _ ...func(*sqs.Options)) (*sqs.DeleteMessageOutput, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	q, i, err := s.find(in.QueueUrl, in.ReceiptHandle)
	if err != nil {
		return nil, err
	}
	q.msgs = append(q.msgs[:i], q.msgs[i+1:]...)
	return &sqs.DeleteMessageOutput{}, nil
}

// depths counts each queue's messages, visible or in flight, by name.
func (s *embeddedSQS) depths() map[string]int {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make(map[string]int, len(s.queues))
	for _, q := range s.queues {
		out[q.name] = len(q.msgs)
	}
	return out
}

// batchHandler is a consumer Lambda's handler.
type batchHandler func(context.Context, events.SQSEvent) (events.SQSEventResponse, error)

// poll feeds a queue to a handler the way Lambda's event source mapping
// does: receive a batch, invoke, delete what the handler did not report
// failed. It returns when ctx ends.
func (s *embeddedSQS) poll(ctx context.Context, url string, batchSize int, timeout time.Duration, handle batchHandler) {
	tick := time.NewTicker(250 * time.Millisecond)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
		out, err := s.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: aws.String(url), MaxNumberOfMessages: int32(batchSize), VisibilityTimeout: int32(6 * timeout / time.Second)})
		if err != nil || len(out.Messages) == 0 {
			continue
		}
		event := events.SQSEvent{}
		for _, m := range out.Messages {
			event.Records = append(event.Records, toRecord(url, m))
		}
		invokeCtx, cancel := context.WithTimeout(ctx, timeout)
		resp, err := handle(invokeCtx, event)
		cancel()
		if err != nil {
			continue // the whole batch becomes visible again, as in Lambda
		}
		failed := map[string]bool{}
		for _, f := range resp.BatchItemFailures {
			failed[f.ItemIdentifier] = true
		}
		for _, m := range out.Messages {
			if !failed[aws.ToString(m.MessageId)] {
				_, _ = s.DeleteMessage(ctx, &sqs.DeleteMessageInput{QueueUrl: aws.String(url), ReceiptHandle: m.ReceiptHandle})
			}
		}
	}
}

func toRecord(url string, m sqstypes.Message) events.SQSMessage {
	r := events.SQSMessage{
		MessageId:         aws.ToString(m.MessageId),
		ReceiptHandle:     aws.ToString(m.ReceiptHandle),
		Body:              aws.ToString(m.Body),
		Attributes:        m.Attributes,
		MessageAttributes: map[string]events.SQSMessageAttribute{},
		EventSource:       "aws:sqs",
		EventSourceARN:    "arn:aws:sqs:local:000000000000:" + url[len("local://sqs/"):],
		AWSRegion:         "local",
	}
	for k, v := range m.MessageAttributes {
		r.MessageAttributes[k] = events.SQSMessageAttribute{DataType: aws.ToString(v.DataType), StringValue: v.StringValue}
	}
	return r
}
