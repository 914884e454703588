package dlq

import (
	"context"
	"errors"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"
)

// inspector reads a queue the operator looks into, a DLQ or the
// quarantine, without consuming it: every message it receives is held
// invisible while it is read and made visible again afterwards, unless the
// operation took it out of the queue (sent back, deleted). L is what a
// message is read as.
type inspector[L any] struct {
	client Client
	url    string
	max    int
	what   string // the queue, in errors: "the DLQ"
	parse  func(sqstypes.Message) L
	name   func(L) string // a message, in errors: its event id
}

// held is a message received and not yet made visible again.
type held[L any] struct {
	letter    L
	messageID string
	receipt   string
}

func (q inspector[L]) limit() int {
	if q.max <= 0 {
		return DefaultMax
	}
	return q.max
}

// list returns the messages without consuming them; more is true when
// the queue held more than max.
func (q inspector[L]) list(ctx context.Context) ([]L, bool, error) {
	limit := q.limit()
	var hs []held[L]
	var err error
	more := false
	for len(hs) < limit {
		var page []held[L]
		page, err = q.receive(ctx, min(10, limit-len(hs)))
		hs = append(hs, page...)
		if err != nil || len(page) == 0 {
			break
		}
	}
	if err == nil && len(hs) >= limit {
		more = true
	}
	letters := make([]L, 0, len(hs))
	for _, h := range hs {
		letters = append(letters, h.letter)
	}
	return letters, more, errors.Join(err, q.release(ctx, hs))
}

// sweep offers each message of the queue once to take, which reports
// whether it took the message out of the queue (and so must not be made
// visible again). It stops at the first error take returns: the messages
// read after it are kept. It returns how many messages were read, and
// whether the queue held more than max messages that stay (those were not
// looked at).
//
// It works a page (one receive) at a time, so that a message taken is
// held only while its own page is worked and taking everything holds
// nothing for long, however large the queue. The messages that stay are
// held until the end and only then made visible again: released at once,
// the next receive could return them again and the sweep would never get
// past them. max bounds how many are held, which keeps the sweep well
// within the hold. A message received again because its hold ran out is
// known by its message id and not offered twice, and a page with no new
// message ends the sweep.
func (q inspector[L]) sweep(ctx context.Context, take func(L) (bool, error)) (read int, more bool, err error) {
	limit := q.limit()
	var kept []held[L]
	keptAt := map[string]int{} // message id -> index in kept
	for err == nil {
		if len(kept) >= limit {
			more = true
			break
		}
		var page []held[L]
		if page, err = q.receive(ctx, min(10, limit-len(kept))); err != nil || len(page) == 0 {
			break
		}
		fresh := false
		for _, h := range page {
			if i, seen := keptAt[h.messageID]; seen {
				kept[i].receipt = h.receipt // only the latest handle releases it
				continue
			}
			fresh = true
			read++
			if err == nil {
				var taken bool
				if taken, err = take(h.letter); taken {
					continue
				}
			}
			keptAt[h.messageID] = len(kept)
			kept = append(kept, h)
		}
		if !fresh {
			break
		}
	}
	return read, more, errors.Join(err, q.release(ctx, kept))
}

// holdSeconds keeps the messages read so far invisible, so that the next
// receive returns new ones, for longer than reading max messages takes; if
// the process dies they reappear by themselves after it.
const holdSeconds = 120

// receive reads one page of at most n messages and holds them for
// holdSeconds.
func (q inspector[L]) receive(ctx context.Context, n int) ([]held[L], error) {
	out, err := q.client.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{
		QueueUrl:            aws.String(q.url),
		MaxNumberOfMessages: int32(n),
		VisibilityTimeout:   holdSeconds,
		// Long polling asks every SQS server, so an empty answer means
		// empty rather than "none on the servers sampled".
		WaitTimeSeconds:             1,
		MessageSystemAttributeNames: []sqstypes.MessageSystemAttributeName{sqstypes.MessageSystemAttributeNameAll},
		MessageAttributeNames:       []string{"All"},
	})
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", q.what, err)
	}
	page := make([]held[L], 0, len(out.Messages))
	for _, m := range out.Messages {
		page = append(page, held[L]{letter: q.parse(m), messageID: aws.ToString(m.MessageId), receipt: aws.ToString(m.ReceiptHandle)})
	}
	return page, nil
}

// release makes held messages visible again.
func (q inspector[L]) release(ctx context.Context, hs []held[L]) error {
	var errs []error
	for _, h := range hs {
		if _, err := q.client.ChangeMessageVisibility(ctx, &sqs.ChangeMessageVisibilityInput{
			QueueUrl:          aws.String(q.url),
			ReceiptHandle:     aws.String(h.receipt),
			VisibilityTimeout: 0,
		}); err != nil {
			errs = append(errs, fmt.Errorf("make %s visible again (it reappears by itself within %ds): %w", q.name(h.letter), holdSeconds, err))
		}
	}
	return errors.Join(errs...)
}
