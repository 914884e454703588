// Package message is the SQS message contract between ingest and the
// channel consumers: the body is the raw event JSON exactly as received,
// and a few string attributes say what it is. The event id is not taken
// from them: it is defined as a hash of the body, and anyone who can send
// to a queue (or put a letter in a DLQ) can write any attribute.
package message

import (
	"encoding/json"
	"fmt"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"

	"github.com/nicechat-relay/nicechat-relay/shared/nicechat"
)

// Message attribute names.
const (
	AttrEvent      = "event"
	AttrEventID    = "event_id"
	AttrReceivedAt = "received_at"
	AttrFormat     = "format" // email messages only
)

// Format is how an email renders an event.
type Format string

const (
	FormatTech  Format = "tech"  // the event's JSON, pretty-printed
	FormatHuman Format = "human" // a plain-text message a person reads
)

// Message is one event on its way to one channel.
type Message struct {
	Body       []byte
	Event      string
	EventID    string // the body's id (nicechat.EventID); what the attribute says is ClaimedEventID
	ReceivedAt time.Time
	Format     Format // set on email messages only

	// ClaimedEventID is the message's event_id attribute as received,
	// empty when it had none. It is never used as the id: it is kept to
	// tell a message whose attribute disagrees with its body (see
	// EventIDMismatch).
	ClaimedEventID string
}

// EventIDMismatch reports whether the message's event_id attribute is
// missing or is not the id of its body.
func (m Message) EventIDMismatch() bool { return m.ClaimedEventID != m.EventID }

// Attributes renders the message attributes for SendMessage.
func (m Message) Attributes() map[string]sqstypes.MessageAttributeValue {
	attrs := map[string]sqstypes.MessageAttributeValue{
		AttrEvent:      String(m.Event),
		AttrEventID:    String(m.EventID),
		AttrReceivedAt: String(m.ReceivedAt.UTC().Format(time.RFC3339)),
	}
	if m.Format != "" {
		attrs[AttrFormat] = String(string(m.Format))
	}
	return attrs
}

// String builds a string message attribute. Characters SQS refuses are
// replaced, so a value taken from a body or a response can never make the
// whole send fail.
func String(v string) sqstypes.MessageAttributeValue {
	return sqstypes.MessageAttributeValue{DataType: aws.String("String"), StringValue: aws.String(SQSSafe(v))}
}

// FromRecord reads a message from an SQS record as Lambda delivers it. An
// error means the record can never be delivered (a missing attribute, a
// body that is not JSON): retrying it would not help. The event id is
// derived from the body, even when an error is returned; the event_id
// attribute is only kept as ClaimedEventID, and may be missing.
func FromRecord(r events.SQSMessage) (Message, error) {
	get := func(name string) string {
		if a, ok := r.MessageAttributes[name]; ok && a.StringValue != nil {
			return *a.StringValue
		}
		return ""
	}
	m := Message{
		Body:           []byte(r.Body),
		Event:          get(AttrEvent),
		EventID:        nicechat.EventIDString(r.Body),
		ClaimedEventID: get(AttrEventID),
		Format:         Format(get(AttrFormat)),
	}
	if m.Event == "" {
		return m, fmt.Errorf("message attribute %q is missing", AttrEvent)
	}
	if at := get(AttrReceivedAt); at != "" {
		t, err := time.Parse(time.RFC3339, at)
		if err != nil {
			return m, fmt.Errorf("message attribute %q is not RFC 3339: %q", AttrReceivedAt, at)
		}
		m.ReceivedAt = t
	}
	if m.Format != "" && m.Format != FormatTech && m.Format != FormatHuman {
		return m, fmt.Errorf("message attribute %q is %q, want %q or %q", AttrFormat, m.Format, FormatTech, FormatHuman)
	}
	if !json.Valid(m.Body) {
		return m, fmt.Errorf("body is not valid JSON")
	}
	return m, nil
}
