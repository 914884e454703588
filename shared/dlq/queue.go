package dlq

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"
)

// Client is the part of SQS the operations use.
type Client interface {
	ReceiveMessage(ctx context.Context, in *sqs.ReceiveMessageInput, opts ...func(*sqs.Options)) (*sqs.ReceiveMessageOutput, error)
	ChangeMessageVisibility(ctx context.Context, in *sqs.ChangeMessageVisibilityInput, opts ...func(*sqs.Options)) (*sqs.ChangeMessageVisibilityOutput, error)
	SendMessage(ctx context.Context, in *sqs.SendMessageInput, opts ...func(*sqs.Options)) (*sqs.SendMessageOutput, error)
	DeleteMessage(ctx context.Context, in *sqs.DeleteMessageInput, opts ...func(*sqs.Options)) (*sqs.DeleteMessageOutput, error)
}

var _ Client = (*sqs.Client)(nil)

// DefaultMax bounds how many dead letters one operation holds: List reads
// at most that many, Redrive keeps at most that many (it sends back any
// number).
const DefaultMax = 1000

// holdSeconds keeps the letters read so far invisible, so that the next
// receive returns new ones, for longer than reading Max letters takes; if
// the process dies they reappear by themselves after it.
const holdSeconds = 120

// Queue is one dead-letter queue.
type Queue struct {
	Client Client
	URL    string
	Max    int // letters held at most; DefaultMax when 0
}

// List returns the dead letters without consuming them: every letter read
// is made visible again before List returns. The bool is true when the
// queue held more than Max letters.
func (q Queue) List(ctx context.Context) ([]Letter, bool, error) {
	letters, more, err := q.hold(ctx)
	return letters, more, errors.Join(err, q.release(ctx, letters))
}

// Find returns the dead letters of one event, known by its body's id
// (usually one; more if the same event was dead-lettered twice), without
// consuming them.
func (q Queue) Find(ctx context.Context, eventID string) ([]Letter, error) {
	letters, _, err := q.List(ctx)
	var found []Letter
	for _, l := range letters {
		if l.EventID == eventID {
			found = append(found, l)
		}
	}
	return found, err
}

// Redrive sends the letters pick selects back to the source queue: body
// byte-exact, original attributes, no failure attributes, and a fresh
// receive count (it is a new message). Each is deleted from the DLQ only
// after its send succeeded; everything else is made visible again. With
// dryRun nothing is sent or deleted. It returns the letters (to be)
// redriven, how many letters were read, and whether the queue held more
// than Max letters that stay (those were not looked at: run it again).
//
// It works a page (one receive) at a time: a page's picked letters are
// sent back and deleted before the next receive, so a letter is held only
// while its own page is worked and redriving everything holds nothing for
// long, however large the DLQ. The letters that stay are held until the
// end and only then made visible again: released at once, the next receive
// could return them again and the run would never get past them. Max
// bounds how many are held, which keeps the run well within the hold.
//
// Two guards make the run end. A letter received again because its hold
// ran out is known by its message id and not counted twice, and a page
// with no new letter ends the run. A letter whose body was already sent
// back in this run stays: it is the same event again, either a duplicate
// or a letter that failed again at once and came straight back, which
// would otherwise go round for as long as the fault lasts.
func (q Queue) Redrive(ctx context.Context, sourceURL string, pick func(Letter) bool, dryRun bool) (moved []Letter, read int, more bool, err error) {
	limit := q.limit()
	var held []Letter
	heldAt := map[string]int{} // message id -> index in held
	sent := map[[sha256.Size]byte]bool{}
	hold := func(l Letter) {
		heldAt[l.MessageID] = len(held)
		held = append(held, l)
	}
	for err == nil {
		if len(held) >= limit {
			more = true
			break
		}
		var page []Letter
		if page, err = q.receive(ctx, min(10, limit-len(held))); err != nil || len(page) == 0 {
			break
		}
		fresh := false
		for _, l := range page {
			if i, seen := heldAt[l.MessageID]; seen {
				held[i].ReceiptHandle = l.ReceiptHandle // only the latest handle releases it
				continue
			}
			fresh = true
			read++
			body := sha256.Sum256(l.Body)
			switch {
			case err != nil || !pick(l) || sent[body]: // after a failure, nothing more is sent
				hold(l)
			case dryRun:
				sent[body] = true
				moved = append(moved, l)
				hold(l)
			default:
				if err = q.redrive(ctx, sourceURL, l); err != nil {
					hold(l)
					continue
				}
				sent[body] = true
				moved = append(moved, l)
			}
		}
		if !fresh {
			break
		}
	}
	return moved, read, more, errors.Join(err, q.release(ctx, held))
}

func (q Queue) redrive(ctx context.Context, sourceURL string, l Letter) error {
	if _, err := q.Client.SendMessage(ctx, &sqs.SendMessageInput{
		QueueUrl:          aws.String(sourceURL),
		MessageBody:       aws.String(string(l.Body)),
		MessageAttributes: l.OriginalAttributes(),
	}); err != nil {
		return fmt.Errorf("send %s back to the source queue: %w", l.EventID, err)
	}
	if _, err := q.Client.DeleteMessage(ctx, &sqs.DeleteMessageInput{QueueUrl: aws.String(q.URL), ReceiptHandle: aws.String(l.ReceiptHandle)}); err != nil {
		// The safe side: a duplicate, never a loss.
		return fmt.Errorf("delete %s from the DLQ after redriving it (it is now on the source queue and still in the DLQ): %w", l.EventID, err)
	}
	return nil
}

func (q Queue) limit() int {
	if q.Max <= 0 {
		return DefaultMax
	}
	return q.Max
}

// hold receives until the queue answers empty or Max letters are read,
// keeping each letter invisible so that no receive returns it twice.
func (q Queue) hold(ctx context.Context) ([]Letter, bool, error) {
	limit := q.limit()
	var letters []Letter
	for len(letters) < limit {
		page, err := q.receive(ctx, min(10, limit-len(letters)))
		letters = append(letters, page...)
		if err != nil || len(page) == 0 {
			return letters, false, err
		}
	}
	return letters, true, nil
}

// receive reads one page of at most n letters and holds them for
// holdSeconds.
func (q Queue) receive(ctx context.Context, n int) ([]Letter, error) {
	out, err := q.Client.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{
		QueueUrl:            aws.String(q.URL),
		MaxNumberOfMessages: int32(n),
		VisibilityTimeout:   holdSeconds,
		// Long polling asks every SQS server, so an empty answer means
		// empty rather than "none on the servers sampled".
		WaitTimeSeconds:             1,
		MessageSystemAttributeNames: []sqstypes.MessageSystemAttributeName{sqstypes.MessageSystemAttributeNameAll},
		MessageAttributeNames:       []string{"All"},
	})
	if err != nil {
		return nil, fmt.Errorf("read the DLQ: %w", err)
	}
	letters := make([]Letter, 0, len(out.Messages))
	for _, m := range out.Messages {
		letters = append(letters, Parse(m))
	}
	return letters, nil
}

// release makes held letters visible again.
func (q Queue) release(ctx context.Context, letters []Letter) error {
	var errs []error
	for _, l := range letters {
		if _, err := q.Client.ChangeMessageVisibility(ctx, &sqs.ChangeMessageVisibilityInput{
			QueueUrl:          aws.String(q.URL),
			ReceiptHandle:     aws.String(l.ReceiptHandle),
			VisibilityTimeout: 0,
		}); err != nil {
			errs = append(errs, fmt.Errorf("make %s visible again (it reappears by itself within %ds): %w", l.EventID, holdSeconds, err))
		}
	}
	return errors.Join(errs...)
}
