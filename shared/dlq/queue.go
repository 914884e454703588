package dlq

import (
	"context"
	"crypto/sha256"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
)

// Client is the part of SQS the operations use.
type Client interface {
	ReceiveMessage(ctx context.Context, in *sqs.ReceiveMessageInput, opts ...func(*sqs.Options)) (*sqs.ReceiveMessageOutput, error)
	ChangeMessageVisibility(ctx context.Context, in *sqs.ChangeMessageVisibilityInput, opts ...func(*sqs.Options)) (*sqs.ChangeMessageVisibilityOutput, error)
	SendMessage(ctx context.Context, in *sqs.SendMessageInput, opts ...func(*sqs.Options)) (*sqs.SendMessageOutput, error)
	DeleteMessage(ctx context.Context, in *sqs.DeleteMessageInput, opts ...func(*sqs.Options)) (*sqs.DeleteMessageOutput, error)
}

var _ Client = (*sqs.Client)(nil)

// DefaultMax bounds how many messages one operation holds: List reads
// at most that many, Redrive and Purge keep at most that many (they send
// back or delete any number).
const DefaultMax = 1000

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
	return q.inspector().list(ctx)
}

func (q Queue) inspector() inspector[Letter] {
	return inspector[Letter]{client: q.Client, url: q.URL, max: q.Max, what: "the DLQ", parse: Parse,
		name: func(l Letter) string { return l.EventID }}
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
// It works a page (one receive) at a time (see inspector.sweep), so
// redriving everything holds nothing for long, however large the DLQ; Max
// bounds how many letters that stay are held. A letter whose body was
// already sent back in this run stays: it is the same event again, either
// a duplicate or a letter that failed again at once and came straight
// back, which would otherwise go round for as long as the fault lasts.
func (q Queue) Redrive(ctx context.Context, sourceURL string, pick func(Letter) bool, dryRun bool) (moved []Letter, read int, more bool, err error) {
	sent := map[[sha256.Size]byte]bool{}
	read, more, err = q.inspector().sweep(ctx, func(l Letter) (bool, error) {
		body := sha256.Sum256(l.Body)
		switch {
		case !pick(l) || sent[body]:
			return false, nil
		case dryRun:
			sent[body] = true
			moved = append(moved, l)
			return false, nil
		}
		if err := q.redrive(ctx, sourceURL, l); err != nil {
			return false, err
		}
		sent[body] = true
		moved = append(moved, l)
		return true, nil
	})
	return moved, read, more, err
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
