package localqueue

import (
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"
	bolt "go.etcd.io/bbolt"
)

// minPollInterval keeps a long poll waiting for a hidden message from
// spinning when the clock says it is due any moment.
const minPollInterval = 50 * time.Millisecond

// maxPollInterval is the longest a long poll waits before it looks again.
const maxPollInterval = 250 * time.Millisecond

// maxMaxReceiveCount is SQS's bound on a redrive policy's maxReceiveCount.
const maxMaxReceiveCount = 1000

// CreateQueue creates the named queue, or updates its redrive policy if it
// exists, and returns its URL. A redrive's dead-letter queue must exist.
func (s *Store) CreateQueue(name string, redrive *Redrive) (string, error) {
	if err := validateQueueName(name); err != nil {
		return "", err
	}
	if redrive != nil {
		if redrive.DeadLetterQueue == name {
			return "", invalidParameter("Queue %s cannot be its own dead-letter queue.", name)
		}
		if redrive.MaxReceiveCount < 1 || redrive.MaxReceiveCount > maxMaxReceiveCount {
			return "", invalidParameter("Value %d for parameter maxReceiveCount is invalid. Reason: must be between 1 and %d.", redrive.MaxReceiveCount, maxMaxReceiveCount)
		}
		r := *redrive
		redrive = &r
	}
	now := s.nowMs()
	err := s.run(func(tx *bolt.Tx) error {
		if redrive != nil && s.queues[redrive.DeadLetterQueue] == nil {
			return invalidParameter("Value {\"deadLetterTargetArn\":%q} for parameter RedrivePolicy is invalid. Reason: Dead letter target does not exist.", queueArn(redrive.DeadLetterQueue))
		}
		q := s.queues[name]
		rec := queueRecord{CreatedAt: now, Redrive: redrive}
		if q != nil {
			if sameRedrive(q.rec.Redrive, redrive) {
				return nil
			}
			rec.CreatedAt = q.rec.CreatedAt
		}
		data, err := json.Marshal(rec)
		if err != nil {
			return err
		}
		if err := tx.Bucket(bucketQueues).Put([]byte(name), data); err != nil {
			return err
		}
		if q != nil {
			q.rec = rec
			return nil
		}
		b, err := tx.CreateBucketIfNotExists(queueBucket(name))
		if err != nil {
			return err
		}
		if _, err := b.CreateBucketIfNotExists(bucketBodies); err != nil {
			return err
		}
		if _, err := b.CreateBucketIfNotExists(bucketStates); err != nil {
			return err
		}
		s.queues[name] = newQueue(name, rec)
		return nil
	})
	if err != nil {
		return "", fmt.Errorf("create queue %s: %w", name, err)
	}
	return s.queueURL(name), nil
}

func sameRedrive(a, b *Redrive) bool {
	if a == nil || b == nil {
		return a == b
	}
	return *a == *b
}

// queueName reads the queue name out of a URL: its last path segment.
func queueName(url string) string {
	url, _, _ = strings.Cut(url, "?")
	url = strings.TrimRight(url, "/")
	return url[strings.LastIndexByte(url, '/')+1:]
}

func queueArn(name string) string { return "arn:aws:sqs:local:000000000000:" + name }

// lookup finds the queue a call names; s.mu must be held.
func (s *Store) lookup(url string) (*queue, error) {
	if q := s.queues[queueName(url)]; q != nil {
		return q, nil
	}
	return nil, queueDoesNotExist(url)
}

// SendMessage stores a message and returns once it is on disk.
func (s *Store) SendMessage(ctx context.Context, in *sqs.SendMessageInput, _ ...func(*sqs.Options)) (*sqs.SendMessageOutput, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if in == nil || in.QueueUrl == nil {
		return nil, missingParameter("QueueUrl")
	}
	if err := validateMessage(in.MessageBody, in.DelaySeconds, in.MessageAttributes); err != nil {
		return nil, err
	}
	now := s.nowMs()
	rec := bodyRecord{
		ID:       newID(),
		Body:     *in.MessageBody,
		MD5:      md5Hex(*in.MessageBody),
		AttrsMD5: attributesMD5(in.MessageAttributes),
		Attrs:    toAttrRecords(in.MessageAttributes),
		SentAt:   now,
	}
	// Encoded here, not in the writer, so that concurrent sends encode in
	// parallel.
	data, err := json.Marshal(rec)
	if err != nil {
		return nil, fmt.Errorf("encode message: %w", err)
	}
	st := stateRecord{Status: statusVisible, VisibleAt: now}
	if in.DelaySeconds > 0 {
		st = stateRecord{Status: statusDelayed, VisibleAt: now + int64(in.DelaySeconds)*1000}
	}
	err = s.run(func(tx *bolt.Tx) error {
		q, err := s.lookup(*in.QueueUrl)
		if err != nil {
			return err
		}
		key, seq, err := nextSeq(tx)
		if err != nil {
			return err
		}
		bodies, states := buckets(tx, q.name)
		if err := bodies.Put(key, data); err != nil {
			return err
		}
		if err := putState(states, key, st); err != nil {
			return err
		}
		q.put(seq, st)
		if st.Status == statusVisible {
			s.wakeAfterCommit(q)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	out := &sqs.SendMessageOutput{MessageId: aws.String(rec.ID), MD5OfMessageBody: aws.String(rec.MD5)}
	if rec.AttrsMD5 != "" {
		out.MD5OfMessageAttributes = aws.String(rec.AttrsMD5)
	}
	return out, nil
}

// ReceiveMessage hands out visible messages, long polling for
// WaitTimeSeconds when there are none.
func (s *Store) ReceiveMessage(ctx context.Context, in *sqs.ReceiveMessageInput, _ ...func(*sqs.Options)) (*sqs.ReceiveMessageOutput, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if in == nil || in.QueueUrl == nil {
		return nil, missingParameter("QueueUrl")
	}
	limit := int(in.MaxNumberOfMessages)
	if limit == 0 {
		limit = 1
	}
	if limit < 1 || limit > MaxReceiveBatch {
		return nil, invalidParameter("Value %d for parameter MaxNumberOfMessages is invalid. Reason: Must be between 1 and %d, if provided.", in.MaxNumberOfMessages, MaxReceiveBatch)
	}
	if in.VisibilityTimeout < 0 || in.VisibilityTimeout > MaxVisibilitySeconds {
		return nil, invalidParameter("Value %d for parameter VisibilityTimeout is invalid. Reason: Must be >= 0 and <= %d, if provided.", in.VisibilityTimeout, MaxVisibilitySeconds)
	}
	if in.WaitTimeSeconds < 0 || in.WaitTimeSeconds > MaxWaitSeconds {
		return nil, invalidParameter("Value %d for parameter WaitTimeSeconds is invalid. Reason: Must be >= 0 and <= %d.", in.WaitTimeSeconds, MaxWaitSeconds)
	}
	// The SDK does not send a zero VisibilityTimeout, so zero means the
	// queue's default here as on the wire.
	visibility := DefaultVisibilityTimeout
	if in.VisibilityTimeout > 0 {
		visibility = time.Duration(in.VisibilityTimeout) * time.Second
	}

	var waitOver <-chan time.Time
	if in.WaitTimeSeconds > 0 {
		t := time.NewTimer(time.Duration(in.WaitTimeSeconds) * time.Second)
		defer t.Stop()
		waitOver = t.C
	}
	for {
		msgs, wake, due, err := s.receive(*in.QueueUrl, limit, visibility)
		if err != nil {
			return nil, err
		}
		if len(msgs) > 0 || waitOver == nil {
			return &sqs.ReceiveMessageOutput{Messages: msgs}, nil
		}
		if err := s.waitForMessage(ctx, wake, due, waitOver); err != nil {
			if err != errWaitOver {
				return nil, err
			}
			// A last look: a message may have come due while waiting.
			msgs, _, _, err := s.receive(*in.QueueUrl, limit, visibility)
			if err != nil {
				return nil, err
			}
			return &sqs.ReceiveMessageOutput{Messages: msgs}, nil
		}
	}
}

var errWaitOver = errors.New("long poll over")

// waitForMessage waits until a message may have become visible: one was
// sent or made visible (wake), a hidden one is due, the long poll is over
// (errWaitOver), the caller gave up or the store closed.
func (s *Store) waitForMessage(ctx context.Context, wake <-chan struct{}, due int64, waitOver <-chan time.Time) error {
	// A message can come due without a wake-up (a delayed send, a
	// visibility change, another receiver's short visibility), so the
	// wait is also cut at maxPollInterval; a look that finds nothing due
	// costs no write.
	wait := maxPollInterval
	if due != 0 {
		wait = min(max(time.Duration(due-s.nowMs())*time.Millisecond, minPollInterval), maxPollInterval)
	}
	t := time.NewTimer(wait)
	defer t.Stop()
	dueC := t.C
	s.waiting.Add(1)
	defer s.waiting.Add(-1)
	select {
	case <-wake:
	case <-dueC:
	case <-waitOver:
		return errWaitOver
	case <-ctx.Done():
		return ctx.Err()
	case <-s.closed:
		return ErrClosed
	}
	return nil
}

// receive hands out up to limit visible messages. With none, it returns
// the channel closed when one may have become visible and the time the
// next hidden message is due (0 if none).
func (s *Store) receive(url string, limit int, visibility time.Duration) (msgs []sqstypes.Message, wake <-chan struct{}, due int64, err error) {
	// Nothing due: answer from the index, without a write.
	s.mu.Lock()
	q, err := s.lookup(url)
	if err != nil {
		s.mu.Unlock()
		return nil, nil, 0, err
	}
	if it, ok := q.next(); !ok || it.at > s.nowMs() {
		wake = q.wake
		if ok {
			due = it.at
		}
		s.mu.Unlock()
		return nil, wake, due, nil
	}
	s.mu.Unlock()

	err = s.run(func(tx *bolt.Tx) error {
		msgs = nil // a previous attempt's, if the batch was aborted
		q, err := s.lookup(url)
		if err != nil {
			return err
		}
		now := s.nowMs()
		bodies, states := buckets(tx, q.name)
		for len(msgs) < limit {
			seq, e, ok := q.popVisible(now)
			if !ok {
				break
			}
			if dlq := s.deadLetterQueue(q); dlq != nil && e.state.Receives >= q.rec.Redrive.MaxReceiveCount {
				if err := s.move(tx, q, dlq, seq, now); err != nil {
					return err
				}
				continue
			}
			key := seqKey(seq)
			var body bodyRecord
			if err := json.Unmarshal(bodies.Get(key), &body); err != nil {
				return fmt.Errorf("queue %s message %d: %w", q.name, seq, err)
			}
			st := e.state
			st.Status = statusInFlight
			st.VisibleAt = now + visibility.Milliseconds()
			st.Receipt = newNonce()
			st.Receives++
			if st.FirstReceive == 0 {
				st.FirstReceive = now
			}
			if err := putState(states, key, st); err != nil {
				return err
			}
			q.put(seq, st)
			m := toMessage(body, st)
			m.ReceiptHandle = aws.String(receiptHandle(seq, st.Receipt))
			msgs = append(msgs, m)
		}
		if len(msgs) == 0 {
			wake = q.wake
			if it, ok := q.next(); ok {
				due = it.at
			}
		}
		return nil
	})
	if err != nil {
		return nil, nil, 0, err
	}
	return msgs, wake, due, nil
}

// deadLetterQueue is q's redrive target, if it has one that exists.
func (s *Store) deadLetterQueue(q *queue) *queue {
	if q.rec.Redrive == nil {
		return nil
	}
	return s.queues[q.rec.Redrive.DeadLetterQueue]
}

// move redrives a message to dlq as SQS does: same id, body, attributes
// and SentTimestamp, receive count reset, visible at once.
func (s *Store) move(tx *bolt.Tx, from, dlq *queue, seq uint64, now int64) error {
	key := seqKey(seq)
	fromBodies, fromStates := buckets(tx, from.name)
	data := slices.Clone(fromBodies.Get(key))
	if err := fromBodies.Delete(key); err != nil {
		return err
	}
	if err := fromStates.Delete(key); err != nil {
		return err
	}
	delete(from.msgs, seq)

	newKey, newSeq, err := nextSeq(tx)
	if err != nil {
		return err
	}
	bodies, states := buckets(tx, dlq.name)
	if err := bodies.Put(newKey, data); err != nil {
		return err
	}
	st := stateRecord{Status: statusVisible, VisibleAt: now}
	if err := putState(states, newKey, st); err != nil {
		return err
	}
	dlq.put(newSeq, st)
	s.wakeAfterCommit(dlq)
	return nil
}

func toMessage(body bodyRecord, st stateRecord) sqstypes.Message {
	m := sqstypes.Message{
		MessageId: aws.String(body.ID),
		Body:      aws.String(body.Body),
		MD5OfBody: aws.String(body.MD5),
		Attributes: map[string]string{
			string(sqstypes.MessageSystemAttributeNameSentTimestamp):           strconv.FormatInt(body.SentAt, 10),
			string(sqstypes.MessageSystemAttributeNameApproximateReceiveCount): strconv.Itoa(st.Receives),
		},
		MessageAttributes: fromAttrRecords(body.Attrs),
	}
	if st.FirstReceive != 0 {
		m.Attributes[string(sqstypes.MessageSystemAttributeNameApproximateFirstReceiveTimestamp)] = strconv.FormatInt(st.FirstReceive, 10)
	}
	if body.AttrsMD5 != "" {
		m.MD5OfMessageAttributes = aws.String(body.AttrsMD5)
	}
	return m
}

// A receipt handle names the message (its sequence number) and the
// receive (a random nonce, replaced on every receive).
func receiptHandle(seq uint64, nonce string) string {
	return strconv.FormatUint(seq, 16) + "." + nonce
}

func parseReceiptHandle(handle *string) (uint64, string, error) {
	if handle == nil || *handle == "" {
		return 0, "", missingParameter("ReceiptHandle")
	}
	seqHex, nonce, ok := strings.Cut(*handle, ".")
	seq, err := strconv.ParseUint(seqHex, 16, 64)
	if !ok || err != nil || nonce == "" {
		return 0, "", receiptHandleIsInvalid(*handle)
	}
	return seq, nonce, nil
}

// current returns the message a receipt handle names if the handle is its
// latest; s.mu must be held.
func current(q *queue, handle string, seq uint64, nonce string) (*entry, error) {
	e := q.msgs[seq]
	if e == nil || e.state.Receipt != nonce {
		return nil, receiptHandleIsInvalid(handle)
	}
	return e, nil
}

// onReceived applies fn, in the next commit, to the message a current
// receipt handle of the queue names.
func (s *Store) onReceived(ctx context.Context, url, handle *string, fn func(tx *bolt.Tx, q *queue, seq uint64, e *entry) error) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if url == nil {
		return missingParameter("QueueUrl")
	}
	seq, nonce, err := parseReceiptHandle(handle)
	if err != nil {
		return err
	}
	return s.run(func(tx *bolt.Tx) error {
		q, err := s.lookup(*url)
		if err != nil {
			return err
		}
		e, err := current(q, *handle, seq, nonce)
		if err != nil {
			return err
		}
		return fn(tx, q, seq, e)
	})
}

// DeleteMessage deletes a received message.
func (s *Store) DeleteMessage(ctx context.Context, in *sqs.DeleteMessageInput, _ ...func(*sqs.Options)) (*sqs.DeleteMessageOutput, error) {
	if in == nil {
		return nil, missingParameter("QueueUrl")
	}
	err := s.onReceived(ctx, in.QueueUrl, in.ReceiptHandle, func(tx *bolt.Tx, q *queue, seq uint64, _ *entry) error {
		bodies, states := buckets(tx, q.name)
		if err := bodies.Delete(seqKey(seq)); err != nil {
			return err
		}
		if err := states.Delete(seqKey(seq)); err != nil {
			return err
		}
		delete(q.msgs, seq)
		return nil
	})
	if err != nil {
		return nil, err
	}
	return &sqs.DeleteMessageOutput{}, nil
}

// ChangeMessageVisibility hides a received message for VisibilityTimeout
// seconds from now; 0 makes it visible at once.
func (s *Store) ChangeMessageVisibility(ctx context.Context, in *sqs.ChangeMessageVisibilityInput, _ ...func(*sqs.Options)) (*sqs.ChangeMessageVisibilityOutput, error) {
	if in == nil {
		return nil, missingParameter("QueueUrl")
	}
	if in.VisibilityTimeout < 0 || in.VisibilityTimeout > MaxVisibilitySeconds {
		return nil, invalidParameter("Value %d for parameter VisibilityTimeout is invalid. Reason: Must be >= 0 and <= %d.", in.VisibilityTimeout, MaxVisibilitySeconds)
	}
	err := s.onReceived(ctx, in.QueueUrl, in.ReceiptHandle, func(tx *bolt.Tx, q *queue, seq uint64, e *entry) error {
		now := s.nowMs()
		if e.state.VisibleAt <= now {
			return messageNotInflight()
		}
		st := e.state
		st.Status, st.VisibleAt = statusHeld, now+int64(in.VisibilityTimeout)*1000
		if in.VisibilityTimeout == 0 {
			st.Status = statusVisible
			s.wakeAfterCommit(q)
		}
		_, states := buckets(tx, q.name)
		if err := putState(states, seqKey(seq), st); err != nil {
			return err
		}
		q.put(seq, st)
		return nil
	})
	if err != nil {
		return nil, err
	}
	return &sqs.ChangeMessageVisibilityOutput{}, nil
}

// GetQueueUrl returns the URL of a queue by name.
func (s *Store) GetQueueUrl(ctx context.Context, in *sqs.GetQueueUrlInput, _ ...func(*sqs.Options)) (*sqs.GetQueueUrlOutput, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if in == nil || in.QueueName == nil {
		return nil, missingParameter("QueueName")
	}
	s.mu.Lock()
	q := s.queues[*in.QueueName]
	s.mu.Unlock()
	if q == nil {
		return nil, queueDoesNotExist(*in.QueueName)
	}
	return &sqs.GetQueueUrlOutput{QueueUrl: aws.String(s.queueURL(q.name))}, nil
}

// queueAttributes are the attributes GetQueueAttributes answers; other
// names SQS knows are accepted and left out, as SQS leaves out unset ones.
var queueAttributes = []sqstypes.QueueAttributeName{
	sqstypes.QueueAttributeNameApproximateNumberOfMessages,
	sqstypes.QueueAttributeNameApproximateNumberOfMessagesNotVisible,
	sqstypes.QueueAttributeNameApproximateNumberOfMessagesDelayed,
	sqstypes.QueueAttributeNameQueueArn,
	sqstypes.QueueAttributeNameRedrivePolicy,
	sqstypes.QueueAttributeNameVisibilityTimeout,
	sqstypes.QueueAttributeNameDelaySeconds,
	sqstypes.QueueAttributeNameMaximumMessageSize,
	sqstypes.QueueAttributeNameReceiveMessageWaitTimeSeconds,
	sqstypes.QueueAttributeNameCreatedTimestamp,
}

// GetQueueAttributes answers the counts, ARN and redrive policy of a
// queue ("All" for every attribute).
func (s *Store) GetQueueAttributes(ctx context.Context, in *sqs.GetQueueAttributesInput, _ ...func(*sqs.Options)) (*sqs.GetQueueAttributesOutput, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if in == nil || in.QueueUrl == nil {
		return nil, missingParameter("QueueUrl")
	}
	want := map[sqstypes.QueueAttributeName]bool{}
	known := sqstypes.QueueAttributeName("").Values()
	for _, name := range in.AttributeNames {
		if !slices.Contains(known, name) {
			return nil, invalidAttributeName(string(name))
		}
		if name == sqstypes.QueueAttributeNameAll {
			for _, n := range queueAttributes {
				want[n] = true
			}
		}
		want[name] = true
	}
	s.mu.Lock()
	q, err := s.lookup(*in.QueueUrl)
	var c counts
	var rec queueRecord
	if err == nil {
		c, rec = q.count(s.nowMs()), q.rec
	}
	s.mu.Unlock()
	if err != nil {
		return nil, err
	}
	values := map[sqstypes.QueueAttributeName]string{
		sqstypes.QueueAttributeNameApproximateNumberOfMessages:           strconv.Itoa(c.visible),
		sqstypes.QueueAttributeNameApproximateNumberOfMessagesNotVisible: strconv.Itoa(c.inFlight + c.held),
		sqstypes.QueueAttributeNameApproximateNumberOfMessagesDelayed:    strconv.Itoa(c.delayed),
		sqstypes.QueueAttributeNameQueueArn:                              queueArn(q.name),
		sqstypes.QueueAttributeNameVisibilityTimeout:                     strconv.Itoa(int(DefaultVisibilityTimeout / time.Second)),
		sqstypes.QueueAttributeNameDelaySeconds:                          "0",
		sqstypes.QueueAttributeNameMaximumMessageSize:                    strconv.Itoa(MaxMessageBytes),
		sqstypes.QueueAttributeNameReceiveMessageWaitTimeSeconds:         "0",
		sqstypes.QueueAttributeNameCreatedTimestamp:                      strconv.FormatInt(rec.CreatedAt/1000, 10),
	}
	if r := rec.Redrive; r != nil {
		policy, _ := json.Marshal(struct {
			DeadLetterTargetArn string `json:"deadLetterTargetArn"`
			MaxReceiveCount     int    `json:"maxReceiveCount"`
		}{queueArn(r.DeadLetterQueue), r.MaxReceiveCount})
		values[sqstypes.QueueAttributeNameRedrivePolicy] = string(policy)
	}
	out := &sqs.GetQueueAttributesOutput{Attributes: map[string]string{}}
	for name := range want {
		if v, ok := values[name]; ok {
			out.Attributes[string(name)] = v
		}
	}
	return out, nil
}

type counts struct{ visible, delayed, inFlight, held int }

// count classifies q's messages at now; s.mu must be held.
func (q *queue) count(now int64) counts {
	var c counts
	for _, e := range q.msgs {
		switch {
		case e.state.VisibleAt <= now:
			c.visible++
		case e.state.Status == statusInFlight:
			c.inFlight++
		case e.state.Status == statusHeld:
			c.held++
		default:
			c.delayed++
		}
	}
	return c
}

// Stats returns the named queue's depth.
func (s *Store) Stats(name string) (QueueStats, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	q := s.queues[name]
	if q == nil {
		return QueueStats{}, queueDoesNotExist(name)
	}
	c := q.count(s.nowMs())
	return QueueStats{Visible: c.visible, InFlight: c.inFlight, Delayed: c.delayed + c.held}, nil
}

// Peek returns the n messages most recently sent to the named queue,
// newest first, without receiving them: no receipt handle, no count
// change.
func (s *Store) Peek(name string, n int) ([]sqstypes.Message, error) {
	s.mu.Lock()
	q := s.queues[name]
	s.mu.Unlock()
	if q == nil {
		return nil, queueDoesNotExist(name)
	}
	var msgs []sqstypes.Message
	err := s.db.View(func(tx *bolt.Tx) error {
		if tx.Bucket(queueBucket(name)) == nil {
			return nil // created by a commit still in progress
		}
		bodies, states := buckets(tx, name)
		c := bodies.Cursor()
		for k, v := c.Last(); k != nil && len(msgs) < n; k, v = c.Prev() {
			var body bodyRecord
			var st stateRecord
			if err := json.Unmarshal(v, &body); err != nil {
				return fmt.Errorf("message %d: %w", binary.BigEndian.Uint64(k), err)
			}
			if err := json.Unmarshal(states.Get(k), &st); err != nil {
				return fmt.Errorf("message %d state: %w", binary.BigEndian.Uint64(k), err)
			}
			msgs = append(msgs, toMessage(body, st))
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("peek at queue %s: %w", name, err)
	}
	return msgs, nil
}
