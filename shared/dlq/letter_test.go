package dlq_test

import (
	"maps"
	"slices"
	"testing"
	"time"

	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"

	"github.com/nicechat-relay/nicechat-relay/shared/dlq"
	"github.com/nicechat-relay/nicechat-relay/shared/message"
)

func TestAttributesStayWithinSQSLimit(t *testing.T) {
	failure := dlq.Failure{Channel: "email", Class: "permanent", Status: "400", Error: "HTTP 400", Attempts: 2, FirstReceivedAt: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)}
	contract := message.Message{Event: "new_chat", EventID: "evt_a", ReceivedAt: time.Date(2026, 1, 2, 3, 4, 0, 0, time.UTC)}
	email := contract
	email.Format = message.FormatHuman
	withExtras := email.Attributes()
	withExtras["trace"] = message.String("abc")
	withExtras["zz_extra"] = message.String("x")
	stale := contract.Attributes()
	stale[dlq.AttrFailureClass] = message.String("retry")

	tests := []struct {
		name     string
		original map[string]sqstypes.MessageAttributeValue
		failure  dlq.Failure
		want     []string
	}{
		{"a webhook or slack message keeps its 3 and gains 6", contract.Attributes(), failure,
			[]string{"attempts", "channel", "event", "event_id", "failure_class", "first_received_at", "last_error", "last_status", "received_at"}},
		{"an email message fills the 10 exactly", email.Attributes(), failure,
			[]string{"attempts", "channel", "event", "event_id", "failure_class", "first_received_at", "format", "last_error", "last_status", "received_at"}},
		{"other original attributes give way to the failure's", withExtras, failure,
			[]string{"attempts", "channel", "event", "event_id", "failure_class", "first_received_at", "format", "last_error", "last_status", "received_at"}},
		{"empty values are left out (SQS rejects them)", contract.Attributes(), dlq.Failure{Class: "invalid_message", Error: "body is not valid JSON", Attempts: 1},
			[]string{"attempts", "event", "event_id", "failure_class", "last_error", "received_at"}},
		{"an earlier failure's attributes are replaced", stale, failure,
			[]string{"attempts", "channel", "event", "event_id", "failure_class", "first_received_at", "last_error", "last_status", "received_at"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := dlq.Attributes(tt.original, tt.failure)
			if names := slices.Sorted(maps.Keys(got)); !slices.Equal(names, tt.want) {
				t.Errorf("attributes = %v, want %v", names, tt.want)
			}
			if len(got) > dlq.MaxAttributes {
				t.Errorf("%d attributes, SQS allows %d", len(got), dlq.MaxAttributes)
			}
			if v := got[dlq.AttrFailureClass].StringValue; *v != string(tt.failure.Class) {
				t.Errorf("failure_class = %s, want %s", *v, tt.failure.Class)
			}
		})
	}
}

func TestOriginalAttributesDropTheFailure(t *testing.T) {
	m := message.Message{Event: "new_chat", EventID: "evt_a", Format: message.FormatTech}
	attrs := dlq.Attributes(m.Attributes(), dlq.Failure{Channel: "email", Class: "exhausted", Status: "503", Error: "HTTP 503", Attempts: 8})
	l := dlq.Letter{Attributes: attrs}
	if got, want := slices.Sorted(maps.Keys(l.OriginalAttributes())), slices.Sorted(maps.Keys(m.Attributes())); !slices.Equal(got, want) {
		t.Errorf("original attributes = %v, want %v", got, want)
	}
}
