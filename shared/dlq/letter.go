// Package dlq is the dead-letter format (the attributes the consumer runtime
// adds to a message it gives up on, so every dead letter says why) and the
// operator's operations on a dead-letter queue: list without consuming,
// find, and redrive to the source queue. The quarantine, where ingest keeps
// the callbacks it refused, is read the same way (quarantine.go): list,
// find, and purge.
package dlq

import (
	"maps"
	"slices"
	"strconv"
	"strings"
	"time"

	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"

	"github.com/nicechat-relay/nicechat-relay/shared/delivery"
	"github.com/nicechat-relay/nicechat-relay/shared/message"
	"github.com/nicechat-relay/nicechat-relay/shared/nicechat"
)

// Dead-letter attribute names, added to the original message attributes.
//
// There is no dead_lettered_at attribute: SQS allows at most 10 attributes
// per message, an email message already carries 4, and the dead letter's
// own SentTimestamp (set by SQS when the runtime sends it to the DLQ) is
// exactly the dead-lettering time, so Letter.DeadLetteredAt reads that.
const (
	AttrChannel         = "channel"
	AttrFailureClass    = "failure_class"
	AttrLastStatus      = "last_status"
	AttrLastError       = "last_error"
	AttrAttempts        = "attempts"
	AttrFirstReceivedAt = "first_received_at"
)

// failureAttrs in the order they are kept when the 10-attribute limit
// bites: what went wrong first, bookkeeping last.
var failureAttrs = []string{AttrFailureClass, AttrLastError, AttrLastStatus, AttrAttempts, AttrChannel, AttrFirstReceivedAt}

// contractAttrs are the message contract's attributes; a dead letter always
// keeps them so that redrive restores a deliverable message.
var contractAttrs = []string{message.AttrEvent, message.AttrEventID, message.AttrReceivedAt, message.AttrFormat}

// MaxAttributes is SQS's limit on message attributes per message.
const MaxAttributes = 10

// Failure is why a message was dead-lettered.
type Failure struct {
	Channel         string
	Class           delivery.Class
	Status          string // AWS or Slack error code, else HTTP status; "none" when there was neither
	Error           string // at most delivery.MaxReasonBytes
	Attempts        int
	FirstReceivedAt time.Time
}

// Attributes returns the dead letter's attributes: the original ones plus
// the failure's. Within SQS's limit of 10 the contract attributes (at most
// 4) and the failure attributes (6) always fit; any other original
// attribute is kept only while there is room.
func Attributes(original map[string]sqstypes.MessageAttributeValue, f Failure) map[string]sqstypes.MessageAttributeValue {
	out := make(map[string]sqstypes.MessageAttributeValue, MaxAttributes)
	for _, name := range contractAttrs {
		if v, ok := original[name]; ok {
			out[name] = v
		}
	}
	values := map[string]string{
		AttrFailureClass: string(f.Class),
		AttrLastError:    f.Error,
		AttrLastStatus:   f.Status,
		AttrAttempts:     strconv.Itoa(f.Attempts),
		AttrChannel:      f.Channel,
	}
	if !f.FirstReceivedAt.IsZero() {
		values[AttrFirstReceivedAt] = f.FirstReceivedAt.UTC().Format(time.RFC3339)
	}
	for _, name := range failureAttrs {
		// SQS rejects empty attribute values.
		if v := values[name]; v != "" && len(out) < MaxAttributes {
			out[name] = message.String(v)
		}
	}
	for _, name := range slices.Sorted(maps.Keys(original)) {
		if _, taken := out[name]; !taken && !isFailureAttr(name) && len(out) < MaxAttributes {
			out[name] = original[name]
		}
	}
	return out
}

func isFailureAttr(name string) bool { return slices.Contains(failureAttrs, name) }

// Letter is a message read from a dead-letter queue.
type Letter struct {
	MessageID     string
	ReceiptHandle string
	Body          []byte
	Event         string
	EventID       string // the body's id (nicechat.EventID): what letters are shown and picked by
	// ClaimedEventID is the letter's event_id attribute, empty when it has
	// none. A letter the relay wrote carries its body's id there; one that
	// differs was written or altered by something else.
	ClaimedEventID string
	ReceivedAt     time.Time // when ingest accepted the callback; zero if unknown
	DeadLettered   time.Time // when it was sent to the DLQ (its SentTimestamp)
	Failure        Failure
	Attributes     map[string]sqstypes.MessageAttributeValue // all message attributes
	System         map[string]string                         // SQS system attributes
}

// Parse reads a dead letter received with all attributes and all message
// attributes. Missing or unreadable attributes are left zero: a dead
// letter is shown as it is, never rejected. Its event id is its body's,
// whatever its event_id attribute says.
func Parse(m sqstypes.Message) Letter {
	str := func(name string) string {
		if v, ok := m.MessageAttributes[name]; ok && v.StringValue != nil {
			return *v.StringValue
		}
		return ""
	}
	l := Letter{
		MessageID:      deref(m.MessageId),
		ReceiptHandle:  deref(m.ReceiptHandle),
		Body:           []byte(deref(m.Body)),
		Event:          str(message.AttrEvent),
		EventID:        nicechat.EventIDString(deref(m.Body)),
		ClaimedEventID: str(message.AttrEventID),
		Attributes:     m.MessageAttributes,
		System:         m.Attributes,
		Failure: Failure{
			Channel: str(AttrChannel),
			Class:   delivery.Class(str(AttrFailureClass)),
			Status:  str(AttrLastStatus),
			Error:   str(AttrLastError),
		},
	}
	l.Failure.Attempts, _ = strconv.Atoi(str(AttrAttempts))
	l.Failure.FirstReceivedAt, _ = time.Parse(time.RFC3339, str(AttrFirstReceivedAt))
	l.ReceivedAt, _ = time.Parse(time.RFC3339, str(message.AttrReceivedAt))
	l.DeadLettered = MillisTime(m.Attributes[string(sqstypes.MessageSystemAttributeNameSentTimestamp)])
	return l
}

// OriginalAttributes are the letter's attributes without the failure ones:
// what the message carried before it failed, and what redrive sends back.
func (l Letter) OriginalAttributes() map[string]sqstypes.MessageAttributeValue {
	out := make(map[string]sqstypes.MessageAttributeValue, len(l.Attributes))
	for name, v := range l.Attributes {
		if !isFailureAttr(name) {
			out[name] = v
		}
	}
	return out
}

// MillisTime reads an SQS timestamp attribute (epoch milliseconds); zero if
// absent or unreadable.
func MillisTime(v string) time.Time {
	ms, err := strconv.ParseInt(strings.TrimSpace(v), 10, 64)
	if err != nil || ms <= 0 {
		return time.Time{}
	}
	return time.UnixMilli(ms).UTC()
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}
