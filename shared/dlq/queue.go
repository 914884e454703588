package dlq

import (
	"context"
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

// DefaultMax bounds how many dead letters one operation reads.
const DefaultMax = 1000

// holdSeconds keeps the letters read so far invisible, so that the next
// receive returns new ones, for longer than reading a full DLQ takes; if
// the process dies they reappear by themselves after it.
const holdSeconds = 120

// Queue is one dead-letter queue.
type Queue struct {
	Client Client
	URL    string
	Max    int // letters read at most; DefaultMax when 0
}

// List returns the dead letters without consuming them: every letter read
// is made visible again before List returns. The bool is true when the
// queue held more than Max letters.
func (q Queue) List(ctx context.Context) ([]Letter, bool, error) {
	letters, more, err := q.hold(ctx)
	return letters, more, errors.Join(err, q.release(ctx, letters))
}

// Find returns the dead letters of one event (usually one; more if the
// same event was dead-lettered twice), without consuming them.
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
// than Max (those were not looked at: run it again).
func (q Queue) Redrive(ctx context.Context, sourceURL string, pick func(Letter) bool, dryRun bool) (moved []Letter, read int, more bool, err error) {
	letters, more, err := q.hold(ctx)
	if err != nil {
		return nil, len(letters), more, errors.Join(err, q.release(ctx, letters))
	}
	var keep []Letter
	for _, l := range letters {
		switch {
		case !pick(l):
			keep = append(keep, l)
		case dryRun:
			moved = append(moved, l)
			keep = append(keep, l)
		case err != nil: // stop sending after the first failure
			keep = append(keep, l)
		default:
			if err = q.redrive(ctx, sourceURL, l); err != nil {
				keep = append(keep, l)
				continue
			}
			moved = append(moved, l)
		}
	}
	return moved, len(letters), more, errors.Join(err, q.release(ctx, keep))
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

// hold receives until the queue answers empty or Max letters are read,
// keeping each letter invisible so that no receive returns it twice.
func (q Queue) hold(ctx context.Context) ([]Letter, bool, error) {
	limit := q.Max
	if limit <= 0 {
		limit = DefaultMax
	}
	var letters []Letter
	for len(letters) < limit {
		out, err := q.Client.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{
			QueueUrl:            aws.String(q.URL),
			MaxNumberOfMessages: int32(min(10, limit-len(letters))),
			VisibilityTimeout:   holdSeconds,
			// Long polling asks every SQS server, so an empty answer means
			// empty rather than "none on the servers sampled".
			WaitTimeSeconds:             1,
			MessageSystemAttributeNames: []sqstypes.MessageSystemAttributeName{sqstypes.MessageSystemAttributeNameAll},
			MessageAttributeNames:       []string{"All"},
		})
		if err != nil {
			return letters, false, fmt.Errorf("read the DLQ: %w", err)
		}
		if len(out.Messages) == 0 {
			return letters, false, nil
		}
		for _, m := range out.Messages {
			letters = append(letters, Parse(m))
		}
	}
	return letters, true, nil
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
