package message_test

import (
	"strings"
	"testing"

	"github.com/aws/aws-lambda-go/events"

	"github.com/nicechat-relay/nicechat-relay/shared/message"
	"github.com/nicechat-relay/nicechat-relay/shared/nicechat"
)

func TestFromRecordTakesTheEventIDFromTheBody(t *testing.T) {
	body := `{"event":"new_chat","data":{"id":1}}`
	other := `{"event":"new_chat","data":{"id":2}}`
	str := func(v string) events.SQSMessageAttribute {
		return events.SQSMessageAttribute{DataType: "String", StringValue: &v}
	}
	tests := []struct {
		name         string
		body         string
		attrs        map[string]events.SQSMessageAttribute
		wantMismatch bool
		wantError    string
	}{
		{"an attribute that is the body's id", body, map[string]events.SQSMessageAttribute{"event": str("new_chat"), "event_id": str(nicechat.EventIDString(body))}, false, ""},
		{"an attribute naming another body's id", body, map[string]events.SQSMessageAttribute{"event": str("new_chat"), "event_id": str(nicechat.EventIDString(other))}, true, ""},
		{"an attribute that is no id at all", body, map[string]events.SQSMessageAttribute{"event": str("new_chat"), "event_id": str("evt_chosen\r\nby the sender")}, true, ""},
		{"no event_id attribute: readable all the same", body, map[string]events.SQSMessageAttribute{"event": str("new_chat")}, true, ""},
		{"a body that is not JSON still has an id", "not json {", map[string]events.SQSMessageAttribute{"event": str("new_chat"), "event_id": str("evt_a")}, true, "body is not valid JSON"},
		{"no event attribute", body, map[string]events.SQSMessageAttribute{"event_id": str(nicechat.EventIDString(body))}, false, `message attribute "event" is missing`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m, err := message.FromRecord(events.SQSMessage{Body: tt.body, MessageAttributes: tt.attrs})
			switch {
			case tt.wantError == "" && err != nil:
				t.Fatalf("FromRecord: %v", err)
			case tt.wantError != "" && (err == nil || !strings.Contains(err.Error(), tt.wantError)):
				t.Fatalf("FromRecord error %v, want %q", err, tt.wantError)
			}
			if want := nicechat.EventIDString(tt.body); m.EventID != want {
				t.Errorf("EventID = %q, want the body's id %s", m.EventID, want)
			}
			var claimed string
			if a, ok := tt.attrs["event_id"]; ok {
				claimed = *a.StringValue
			}
			if m.ClaimedEventID != claimed {
				t.Errorf("ClaimedEventID = %q, want the attribute %q", m.ClaimedEventID, claimed)
			}
			if m.EventIDMismatch() != tt.wantMismatch {
				t.Errorf("EventIDMismatch() = %v, want %v", m.EventIDMismatch(), tt.wantMismatch)
			}
		})
	}
}
