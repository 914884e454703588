package idempotency_test

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/nicechat-relay/nicechat-relay/shared/awsjson"
	"github.com/nicechat-relay/nicechat-relay/shared/idempotency"
)

// fakeDynamoDB answers each operation with answers[operation]: an error,
// or JSON decoded into the caller's out. It keeps each request as JSON.
type fakeDynamoDB struct {
	answers  map[string]any // string (JSON) or error
	requests map[string]string
}

func (f *fakeDynamoDB) Call(_ context.Context, operation string, in, out any) error {
	raw, err := json.Marshal(in)
	if err != nil {
		return err
	}
	if f.requests == nil {
		f.requests = map[string]string{}
	}
	f.requests[operation] = string(raw)
	switch a := f.answers[operation].(type) {
	case error:
		return a
	case string:
		if out != nil {
			return json.Unmarshal([]byte(a), out)
		}
	}
	return nil
}

func conditionFailed(body string) error {
	return &awsjson.Error{Service: "DynamoDB", Operation: "PutItem", StatusCode: 400, Code: "ConditionalCheckFailedException", Message: "The conditional request failed", Body: []byte(body)}
}

func TestTheTableSendsTheItemsAndConditionsTheTemplatesTableHolds(t *testing.T) {
	now := time.Unix(1_800_000_000, 5e8)
	tests := []struct {
		name      string
		do        func(s *idempotency.Table) error
		operation string
		want      string
	}{
		{
			name: "Claim puts an in_progress record unless one holds",
			do: func(s *idempotency.Table) error {
				_, _, err := s.Claim(context.Background(), "evt_a#slack", now, 15*time.Second)
				return err
			},
			operation: "PutItem",
			want: `{"TableName":"relay-idempotency","Item":{"expires_at":{"N":"1800000015"},"id":{"S":"evt_a#slack"},"owner":{"S":"1800000000500000000"},"state":{"S":"in_progress"}},` +
				`"ConditionExpression":"attribute_not_exists(#id) OR #exp \u003c= :now","ExpressionAttributeNames":{"#exp":"expires_at","#id":"id"},` +
				`"ExpressionAttributeValues":{":now":{"N":"1800000000"}},"ReturnValuesOnConditionCheckFailure":"ALL_OLD"}`,
		},
		{
			name: "Delivered sets the state, the window, the time and the status",
			do: func(s *idempotency.Table) error {
				return s.Delivered(context.Background(), "evt_a#slack", now, "", time.Hour)
			},
			operation: "UpdateItem",
			want: `{"TableName":"relay-idempotency","Key":{"id":{"S":"evt_a#slack"}},"UpdateExpression":"SET #s = :s, #exp = :exp, #at = :at, #st = :st",` +
				`"ExpressionAttributeNames":{"#at":"delivered_at","#exp":"expires_at","#s":"state","#st":"status"},` +
				`"ExpressionAttributeValues":{":at":{"S":"2027-01-15T08:00:00.5Z"},":exp":{"N":"1800003600"},":s":{"S":"delivered"},":st":{"S":""}}}`,
		},
		{
			name: "Release deletes an in_progress record only",
			do: func(s *idempotency.Table) error {
				return s.Release(context.Background(), "evt_a#slack", "1800000000000000000")
			},
			operation: "DeleteItem",
			want: `{"TableName":"relay-idempotency","Key":{"id":{"S":"evt_a#slack"}},"ConditionExpression":"#s = :s AND #o = :o",` +
				`"ExpressionAttributeNames":{"#o":"owner","#s":"state"},"ExpressionAttributeValues":{":o":{"S":"1800000000000000000"},":s":{"S":"in_progress"}}}`,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			db := &fakeDynamoDB{}
			if err := tt.do(idempotency.NewTable(db, "relay-idempotency")); err != nil {
				t.Fatal(err)
			}
			if got := db.requests[tt.operation]; got != tt.want {
				t.Errorf("%s\n got %s\nwant %s", tt.operation, got, tt.want)
			}
		})
	}
}

func TestAFailedClaimReturnsTheRecordThatHolds(t *testing.T) {
	now := time.Unix(1_800_000_000, 0)
	const delivered = `{"id":{"S":"evt_a#slack"},"state":{"S":"delivered"},"expires_at":{"N":"1800086400"},"delivered_at":{"S":"2027-01-15T07:59:00Z"},"status":{"S":"HTTP 204"}}`
	deliveredRecord := idempotency.Record{State: idempotency.Delivered, ExpiresAt: time.Unix(1_800_086_400, 0), DeliveredAt: time.Unix(1_799_999_940, 0), Status: "HTTP 204"}
	tests := []struct {
		name     string
		answers  map[string]any
		want     idempotency.Record
		readBack bool // GetItem called
	}{
		{"from the failed condition", map[string]any{"PutItem": conditionFailed(`{"__type":"x#ConditionalCheckFailedException","Item":` + delivered + `}`)}, deliveredRecord, false},
		{"read back when the failure does not carry it", map[string]any{
			"PutItem": conditionFailed(`{"__type":"x#ConditionalCheckFailedException","message":"The conditional request failed"}`),
			"GetItem": `{"Item":` + delivered + `}`,
		}, deliveredRecord, true},
		{"released before the read: in progress until now", map[string]any{
			"PutItem": conditionFailed(`{"__type":"x#ConditionalCheckFailedException"}`),
			"GetItem": `{}`,
		}, idempotency.Record{State: idempotency.InProgress, ExpiresAt: now}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			db := &fakeDynamoDB{answers: tt.answers}
			r, ok, err := idempotency.NewTable(db, "relay-idempotency").Claim(context.Background(), "evt_a#slack", now, 15*time.Second)
			if err != nil || ok {
				t.Fatalf("Claim = %v, %v; want refused without an error", ok, err)
			}
			if !r.ExpiresAt.Equal(tt.want.ExpiresAt) || !r.DeliveredAt.Equal(tt.want.DeliveredAt) || r.State != tt.want.State || r.Status != tt.want.Status {
				t.Errorf("record %+v, want %+v", r, tt.want)
			}
			read, called := db.requests["GetItem"]
			if called != tt.readBack {
				t.Errorf("GetItem called: %v, want %v", called, tt.readBack)
			}
			if called && read != `{"TableName":"relay-idempotency","Key":{"id":{"S":"evt_a#slack"}},"ConsistentRead":true}` {
				t.Errorf("GetItem %s, want a consistent read of the key", read)
			}
		})
	}
}

func TestTableErrorsNameTheTableAndAFailedReleaseConditionIsNone(t *testing.T) {
	throttled := &awsjson.Error{Service: "DynamoDB", StatusCode: 400, Code: "ProvisionedThroughputExceededException"}
	db := &fakeDynamoDB{answers: map[string]any{"PutItem": throttled, "UpdateItem": throttled, "DeleteItem": conditionFailed("{}")}}
	s := idempotency.NewTable(db, "relay-idempotency")
	ctx := context.Background()
	if _, _, err := s.Claim(ctx, "k", time.Now(), time.Second); !errors.Is(err, throttled) || !strings.Contains(err.Error(), "DynamoDB table relay-idempotency: claim k") {
		t.Errorf("Claim = %v", err)
	}
	if err := s.Delivered(ctx, "k", time.Now(), "ok", time.Hour); !errors.Is(err, throttled) || !strings.Contains(err.Error(), "DynamoDB table relay-idempotency: mark k delivered") {
		t.Errorf("Delivered = %v", err)
	}
	if err := s.Release(ctx, "k", "1"); err != nil {
		t.Errorf("Release of a delivered record = %v, want nil", err)
	}
	db.answers["DeleteItem"] = throttled
	if err := s.Release(ctx, "k", "1"); !errors.Is(err, throttled) {
		t.Errorf("Release = %v, want the error", err)
	}
}
