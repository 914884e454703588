package idempotency

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/nicechat-relay/nicechat-relay/shared/awsjson"
)

// DynamoDB is the part of a DynamoDB client a Table uses: one call in
// DynamoDB's JSON protocol. *awsjson.Client is one; a test may pass a
// struct of function fields.
type DynamoDB interface {
	Call(ctx context.Context, operation string, in, out any) error
}

var _ DynamoDB = (*awsjson.Client)(nil)

// Attribute names, as template.yaml declares the table: partition key id,
// TTL on expires_at (epoch seconds).
const (
	attrID          = "id"
	attrState       = "state"
	attrOwner       = "owner"
	attrExpiresAt   = "expires_at"
	attrDeliveredAt = "delivered_at"
	attrStatus      = "status"
)

// conditionFailed is DynamoDB's error when a condition does not hold.
const conditionFailed = "ConditionalCheckFailedException"

// Table is a Store in a DynamoDB table. DynamoDB deletes expired items
// only eventually, so every condition compares expires_at itself.
type Table struct {
	client DynamoDB
	name   string
}

var _ Store = (*Table)(nil)

// NewTable is the store in the table called name; client is usually
// awsjson.New(cfg, awsjson.DynamoDB, getenv).
func NewTable(client DynamoDB, name string) *Table { return &Table{client: client, name: name} }

func (t *Table) String() string { return "DynamoDB table " + t.name }

// attribute is a DynamoDB attribute value in its JSON form; the table
// holds strings and numbers only.
type attribute struct {
	S *string `json:",omitempty"`
	N *string `json:",omitempty"`
}

type item map[string]attribute

func str(s string) attribute { return attribute{S: &s} }

func epoch(t time.Time) attribute {
	n := strconv.FormatInt(t.Unix(), 10)
	return attribute{N: &n}
}

// request holds the parameters of the four operations the table makes,
// named as DynamoDB names them.
type request struct {
	TableName                           string
	Key                                 item              `json:",omitempty"`
	Item                                item              `json:",omitempty"`
	ConditionExpression                 string            `json:",omitempty"`
	UpdateExpression                    string            `json:",omitempty"`
	ExpressionAttributeNames            map[string]string `json:",omitempty"`
	ExpressionAttributeValues           item              `json:",omitempty"`
	ReturnValuesOnConditionCheckFailure string            `json:",omitempty"`
	ConsistentRead                      bool              `json:",omitempty"`
}

// answer is what GetItem returns, and a ConditionalCheckFailedException
// with ReturnValuesOnConditionCheckFailure ALL_OLD.
type answer struct{ Item item }

func (t *Table) key(key string) item { return item{attrID: str(key)} }

// Claim is a conditional put: it succeeds when no record is there or the
// one there has expired.
func (t *Table) Claim(ctx context.Context, key string, now time.Time, hold time.Duration) (Record, bool, error) {
	put := t.key(key)
	put[attrState] = str(string(InProgress))
	put[attrExpiresAt] = epoch(now.Add(hold))
	put[attrOwner] = str(ownerOf(now))
	err := t.client.Call(ctx, "PutItem", request{
		TableName:                           t.name,
		Item:                                put,
		ConditionExpression:                 "attribute_not_exists(#id) OR #exp <= :now",
		ExpressionAttributeNames:            map[string]string{"#id": attrID, "#exp": attrExpiresAt},
		ExpressionAttributeValues:           item{":now": epoch(now)},
		ReturnValuesOnConditionCheckFailure: "ALL_OLD",
	}, nil)
	switch {
	case err == nil:
		return Record{State: InProgress, ExpiresAt: now.Add(hold), Owner: ownerOf(now)}, true, nil
	case !awsjson.HasCode(err, conditionFailed):
		return Record{}, false, fmt.Errorf("%s: claim %s: %w", t, key, err)
	}
	if old := failedItem(err); old != nil {
		return parseItem(old), false, nil
	}
	// Not every DynamoDB (moto among them) returns the item that failed
	// the condition: read it.
	var out answer
	if err := t.client.Call(ctx, "GetItem", request{TableName: t.name, Key: t.key(key), ConsistentRead: true}, &out); err != nil {
		return Record{}, false, fmt.Errorf("%s: read %s: %w", t, key, err)
	}
	if out.Item == nil {
		// Released between the put and the read: whoever held it gave
		// up, so the next attempt may claim it.
		return Record{State: InProgress, ExpiresAt: now}, false, nil
	}
	return parseItem(out.Item), false, nil
}

// failedItem is the item a ConditionalCheckFailedException carries, if
// any.
func failedItem(err error) item {
	var e *awsjson.Error
	if !errors.As(err, &e) {
		return nil
	}
	var out answer
	if json.Unmarshal(e.Body, &out) != nil {
		return nil
	}
	return out.Item
}

// Delivered turns the record into a delivered one.
func (t *Table) Delivered(ctx context.Context, key string, now time.Time, status string, window time.Duration) error {
	err := t.client.Call(ctx, "UpdateItem", request{
		TableName:                t.name,
		Key:                      t.key(key),
		UpdateExpression:         "SET #s = :s, #exp = :exp, #at = :at, #st = :st",
		ExpressionAttributeNames: map[string]string{"#s": attrState, "#exp": attrExpiresAt, "#at": attrDeliveredAt, "#st": attrStatus},
		ExpressionAttributeValues: item{
			":s":   str(string(Delivered)),
			":exp": epoch(now.Add(window)),
			":at":  str(now.UTC().Format(time.RFC3339Nano)),
			":st":  str(status),
		},
	}, nil)
	if err != nil {
		return fmt.Errorf("%s: mark %s delivered: %w", t, key, err)
	}
	return nil
}

// Release deletes the in_progress record of owner's claim; a delivered
// one, or a claim another attempt took over, is kept.
func (t *Table) Release(ctx context.Context, key, owner string) error {
	err := t.client.Call(ctx, "DeleteItem", request{
		TableName:                 t.name,
		Key:                       t.key(key),
		ConditionExpression:       "#s = :s AND #o = :o",
		ExpressionAttributeNames:  map[string]string{"#s": attrState, "#o": attrOwner},
		ExpressionAttributeValues: item{":s": str(string(InProgress)), ":o": str(owner)},
	}, nil)
	if err != nil && !awsjson.HasCode(err, conditionFailed) {
		return fmt.Errorf("%s: release %s: %w", t, key, err)
	}
	return nil
}

func parseItem(it item) Record {
	text := func(name string) string {
		if v := it[name].S; v != nil {
			return *v
		}
		return ""
	}
	r := Record{State: State(text(attrState)), Status: text(attrStatus), Owner: text(attrOwner)}
	if v := it[attrExpiresAt].N; v != nil {
		if secs, err := strconv.ParseInt(*v, 10, 64); err == nil {
			r.ExpiresAt = time.Unix(secs, 0)
		}
	}
	r.DeliveredAt, _ = time.Parse(time.RFC3339Nano, text(attrDeliveredAt))
	return r
}
