package dlq

import (
	"context"
	"encoding/base64"
	"fmt"
	"regexp"
	"strconv"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"

	"github.com/nicechat-relay/nicechat-relay/shared/message"
	"github.com/nicechat-relay/nicechat-relay/shared/nicechat"
)

// Quarantine attribute names: what ingest sets, beside
// message.AttrEventID and message.AttrReceivedAt, on a callback it
// authenticated and refused (400, 413), which it keeps in the quarantine
// queue. A test holds them to what ingest writes.
const (
	AttrReason       = "reason"
	AttrStatus       = "status" // the HTTP status ingest answered
	AttrField        = "field"  // the envelope's field at fault, when one was
	AttrBodyBytes    = "body_bytes"
	AttrTruncated    = "truncated" // "true" when the body was cut to the size limit
	AttrBodyEncoding = "body_encoding"
)

// EncodingBase64 is body_encoding when the body is kept as base64: its
// bytes are not text SQS can carry (not UTF-8, or a character SQS
// refuses). Otherwise it is "text".
const EncodingBase64 = "base64"

// Quarantined is a refused callback read from the quarantine queue.
// Missing or unreadable attributes are left zero: it is shown as it is,
// never rejected.
type Quarantined struct {
	MessageID     string
	ReceiptHandle string
	// Body is the body as received, decoded when it was kept as base64;
	// only its first bytes when Truncated.
	Body []byte
	// EventID is what it is shown and picked by: its body's id (as
	// ingest answered it) when the body is whole; when the body was cut,
	// its event_id attribute, which the part kept cannot confirm.
	EventID string
	// IDChecked is false when EventID could not be derived from Body.
	IDChecked bool
	// ClaimedEventID is its event_id attribute, empty when it has none.
	ClaimedEventID string
	ReceivedAt     time.Time // when ingest refused it; zero if unknown
	Status         string    // the HTTP status ingest answered
	Reason         string
	Field          string
	BodyBytes      int // the size of the body received; -1 when unknown
	Truncated      bool
	Encoding       string // body_encoding: "text" or "base64"
	// Undecodable is true when body_encoding says base64 and the stored
	// body is not: Body is then the stored body.
	Undecodable bool
	Attributes  map[string]sqstypes.MessageAttributeValue // all message attributes
	System      map[string]string                         // SQS system attributes
}

// ParseQuarantined reads a message received from the quarantine queue
// with all attributes and all message attributes.
func ParseQuarantined(m sqstypes.Message) Quarantined {
	str := func(name string) string {
		if v, ok := m.MessageAttributes[name]; ok && v.StringValue != nil {
			return *v.StringValue
		}
		return ""
	}
	q := Quarantined{
		MessageID:      aws.ToString(m.MessageId),
		ReceiptHandle:  aws.ToString(m.ReceiptHandle),
		Body:           []byte(aws.ToString(m.Body)),
		ClaimedEventID: str(message.AttrEventID),
		Status:         str(AttrStatus),
		Reason:         str(AttrReason),
		Field:          str(AttrField),
		Truncated:      str(AttrTruncated) == "true",
		Encoding:       str(AttrBodyEncoding),
		BodyBytes:      -1,
		Attributes:     m.MessageAttributes,
		System:         m.Attributes,
	}
	q.ReceivedAt, _ = time.Parse(time.RFC3339, str(message.AttrReceivedAt))
	if n, err := strconv.Atoi(str(AttrBodyBytes)); err == nil && n >= 0 {
		q.BodyBytes = n
	}
	if q.Encoding == EncodingBase64 {
		if raw, err := base64.StdEncoding.DecodeString(string(q.Body)); err == nil {
			q.Body = raw
		} else {
			q.Undecodable = true
		}
	}
	if q.BodyBytes == 0 && string(q.Body) == " " {
		q.Body = nil // SQS refuses an empty body: ingest keeps an empty one as a space
	}
	whole := !q.Truncated && !q.Undecodable && (q.BodyBytes < 0 || q.BodyBytes == len(q.Body))
	switch {
	case whole:
		q.EventID, q.IDChecked = nicechat.EventID(q.Body), true
	case eventIDPattern.MatchString(q.ClaimedEventID):
		q.EventID = q.ClaimedEventID
	default:
		q.EventID = nicechat.EventID(q.Body) // of the part kept: it is known by something
	}
	return q
}

// eventIDPattern is the form of nicechat.EventID.
var eventIDPattern = regexp.MustCompile(`^evt_[a-z2-7]{26}$`)

// Quarantine is the quarantine queue.
type Quarantine struct {
	Client Client
	URL    string
	Max    int // callbacks held at most; DefaultMax when 0
}

func (q Quarantine) inspector() inspector[Quarantined] {
	return inspector[Quarantined]{client: q.Client, url: q.URL, max: q.Max, what: "the quarantine", parse: ParseQuarantined,
		name: func(c Quarantined) string { return c.EventID }}
}

// List returns the quarantined callbacks without consuming them: every
// one read is made visible again before List returns. The bool is true
// when the queue held more than Max.
func (q Quarantine) List(ctx context.Context) ([]Quarantined, bool, error) {
	return q.inspector().list(ctx)
}

// Find returns the quarantined callbacks known by eventID (more than one
// when the same body was refused twice), without consuming them.
func (q Quarantine) Find(ctx context.Context, eventID string) ([]Quarantined, error) {
	all, _, err := q.List(ctx)
	var found []Quarantined
	for _, c := range all {
		if c.EventID == eventID {
			found = append(found, c)
		}
	}
	return found, err
}

// Purge deletes the quarantined callbacks pick selects; the others are
// made visible again. With dryRun nothing is deleted. It returns the
// callbacks (to be) deleted, how many were read, and whether the queue
// held more than Max callbacks that stay (those were not looked at: run
// it again). Like Redrive, it works a page at a time, so deleting
// everything is not bounded by Max.
func (q Quarantine) Purge(ctx context.Context, pick func(Quarantined) bool, dryRun bool) (deleted []Quarantined, read int, more bool, err error) {
	read, more, err = q.inspector().sweep(ctx, func(c Quarantined) (bool, error) {
		switch {
		case !pick(c):
			return false, nil
		case dryRun:
			deleted = append(deleted, c)
			return false, nil
		}
		if _, err := q.Client.DeleteMessage(ctx, &sqs.DeleteMessageInput{QueueUrl: aws.String(q.URL), ReceiptHandle: aws.String(c.ReceiptHandle)}); err != nil {
			return false, fmt.Errorf("delete %s from the quarantine: %w", c.EventID, err)
		}
		deleted = append(deleted, c)
		return true, nil
	})
	return deleted, read, more, err
}
