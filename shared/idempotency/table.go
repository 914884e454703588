package idempotency

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	ddbtypes "github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
)

// DynamoDB is the part of the DynamoDB client a Table uses.
type DynamoDB interface {
	PutItem(ctx context.Context, in *dynamodb.PutItemInput, opts ...func(*dynamodb.Options)) (*dynamodb.PutItemOutput, error)
	GetItem(ctx context.Context, in *dynamodb.GetItemInput, opts ...func(*dynamodb.Options)) (*dynamodb.GetItemOutput, error)
	UpdateItem(ctx context.Context, in *dynamodb.UpdateItemInput, opts ...func(*dynamodb.Options)) (*dynamodb.UpdateItemOutput, error)
	DeleteItem(ctx context.Context, in *dynamodb.DeleteItemInput, opts ...func(*dynamodb.Options)) (*dynamodb.DeleteItemOutput, error)
}

var _ DynamoDB = (*dynamodb.Client)(nil)

// Attribute names, as template.yaml declares the table: partition key id,
// TTL on expires_at (epoch seconds).
const (
	attrID          = "id"
	attrState       = "state"
	attrExpiresAt   = "expires_at"
	attrDeliveredAt = "delivered_at"
	attrStatus      = "status"
)

// Table is a Store in a DynamoDB table. DynamoDB deletes expired items
// only eventually, so every condition compares expires_at itself.
type Table struct {
	client DynamoDB
	name   string
}

var _ Store = (*Table)(nil)

// NewTable is the store in the table called name.
func NewTable(client DynamoDB, name string) *Table { return &Table{client: client, name: name} }

func (t *Table) String() string { return "DynamoDB table " + t.name }

func (t *Table) key(key string) map[string]ddbtypes.AttributeValue {
	return map[string]ddbtypes.AttributeValue{attrID: &ddbtypes.AttributeValueMemberS{Value: key}}
}

// Claim is a conditional put: it succeeds when no record is there or the
// one there has expired.
func (t *Table) Claim(ctx context.Context, key string, now time.Time, hold time.Duration) (Record, bool, error) {
	item := t.key(key)
	item[attrState] = &ddbtypes.AttributeValueMemberS{Value: string(InProgress)}
	item[attrExpiresAt] = epoch(now.Add(hold))
	_, err := t.client.PutItem(ctx, &dynamodb.PutItemInput{
		TableName:                           aws.String(t.name),
		Item:                                item,
		ConditionExpression:                 aws.String("attribute_not_exists(#id) OR #exp <= :now"),
		ExpressionAttributeNames:            map[string]string{"#id": attrID, "#exp": attrExpiresAt},
		ExpressionAttributeValues:           map[string]ddbtypes.AttributeValue{":now": epoch(now)},
		ReturnValuesOnConditionCheckFailure: ddbtypes.ReturnValuesOnConditionCheckFailureAllOld,
	})
	var failed *ddbtypes.ConditionalCheckFailedException
	switch {
	case err == nil:
		return Record{State: InProgress, ExpiresAt: now.Add(hold)}, true, nil
	case !errors.As(err, &failed):
		return Record{}, false, fmt.Errorf("%s: claim %s: %w", t, key, err)
	case failed.Item != nil:
		return parseItem(failed.Item), false, nil
	}
	// Not every DynamoDB (moto among them) returns the item that failed
	// the condition: read it.
	out, err := t.client.GetItem(ctx, &dynamodb.GetItemInput{TableName: aws.String(t.name), Key: t.key(key), ConsistentRead: aws.Bool(true)})
	if err != nil {
		return Record{}, false, fmt.Errorf("%s: read %s: %w", t, key, err)
	}
	if out.Item == nil {
		// Released between the put and the read: whoever held it gave
		// up, so the next attempt may claim it.
		return Record{State: InProgress, ExpiresAt: now}, false, nil
	}
	return parseItem(out.Item), false, nil
}

// Delivered turns the record into a delivered one.
func (t *Table) Delivered(ctx context.Context, key string, now time.Time, status string, window time.Duration) error {
	_, err := t.client.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName:                aws.String(t.name),
		Key:                      t.key(key),
		UpdateExpression:         aws.String("SET #s = :s, #exp = :exp, #at = :at, #st = :st"),
		ExpressionAttributeNames: map[string]string{"#s": attrState, "#exp": attrExpiresAt, "#at": attrDeliveredAt, "#st": attrStatus},
		ExpressionAttributeValues: map[string]ddbtypes.AttributeValue{
			":s":   &ddbtypes.AttributeValueMemberS{Value: string(Delivered)},
			":exp": epoch(now.Add(window)),
			":at":  &ddbtypes.AttributeValueMemberS{Value: now.UTC().Format(time.RFC3339Nano)},
			":st":  &ddbtypes.AttributeValueMemberS{Value: status},
		},
	})
	if err != nil {
		return fmt.Errorf("%s: mark %s delivered: %w", t, key, err)
	}
	return nil
}

// Release deletes an in_progress record; a delivered one is kept.
func (t *Table) Release(ctx context.Context, key string) error {
	_, err := t.client.DeleteItem(ctx, &dynamodb.DeleteItemInput{
		TableName:                 aws.String(t.name),
		Key:                       t.key(key),
		ConditionExpression:       aws.String("#s = :s"),
		ExpressionAttributeNames:  map[string]string{"#s": attrState},
		ExpressionAttributeValues: map[string]ddbtypes.AttributeValue{":s": &ddbtypes.AttributeValueMemberS{Value: string(InProgress)}},
	})
	var failed *ddbtypes.ConditionalCheckFailedException
	if err != nil && !errors.As(err, &failed) {
		return fmt.Errorf("%s: release %s: %w", t, key, err)
	}
	return nil
}

func epoch(t time.Time) ddbtypes.AttributeValue {
	return &ddbtypes.AttributeValueMemberN{Value: strconv.FormatInt(t.Unix(), 10)}
}

func parseItem(item map[string]ddbtypes.AttributeValue) Record {
	str := func(name string) string {
		if v, ok := item[name].(*ddbtypes.AttributeValueMemberS); ok {
			return v.Value
		}
		return ""
	}
	r := Record{State: State(str(attrState)), Status: str(attrStatus)}
	if v, ok := item[attrExpiresAt].(*ddbtypes.AttributeValueMemberN); ok {
		if secs, err := strconv.ParseInt(v.Value, 10, 64); err == nil {
			r.ExpiresAt = time.Unix(secs, 0)
		}
	}
	r.DeliveredAt, _ = time.Parse(time.RFC3339Nano, str(attrDeliveredAt))
	return r
}
