package docstore

import (
	"context"
	"fmt"
	"strconv"
	"time"

	"github.com/nicechat-relay/nicechat-relay/shared/awsjson"
)

// DynamoDB is the part of a DynamoDB client a Table uses;
// *awsjson.Client is one.
type DynamoDB interface {
	Call(ctx context.Context, operation string, in, out any) error
}

// Table is a Store in the idempotency table (IDEMPOTENCY_TABLE).
type Table struct {
	client DynamoDB
	name   string
}

// NewTable is the store in the table called name; client is usually
// awsjson.New(cfg, awsjson.DynamoDB, getenv).
func NewTable(client DynamoDB, name string) *Table { return &Table{client: client, name: name} }

func (t *Table) String() string { return "DynamoDB table " + t.name }

// Attributes of a document's item. Its key is id and it expires by
// expires_at, as the template declares the table and as every
// idempotency record does.
const (
	attrID        = "id"
	attrExpiresAt = "expires_at"
	attrDoc       = "doc"
	attrVersion   = "version"
)

// item is an item in DynamoDB's JSON form: each attribute's value under
// its type, "S" or "N".
type item map[string]map[string]string

func (t *Table) key(key string) item { return item{attrID: {"S": key}} }

// LoadDoc reads the document under key; an expired one, which DynamoDB
// deletes only eventually, reads as none (but keeps its version).
func (t *Table) LoadDoc(ctx context.Context, key string, now time.Time) (Doc, error) {
	var out struct{ Item item }
	in := map[string]any{"TableName": t.name, "Key": t.key(key), "ConsistentRead": true}
	if err := t.client.Call(ctx, "GetItem", in, &out); err != nil {
		return Doc{}, fmt.Errorf("%s: read %s: %w", t, key, err)
	}
	if out.Item == nil {
		return Doc{}, nil
	}
	var d Doc
	d.Version, _ = strconv.ParseInt(out.Item[attrVersion]["N"], 10, 64)
	secs, err := strconv.ParseInt(out.Item[attrExpiresAt]["N"], 10, 64)
	if s, ok := out.Item[attrDoc]["S"]; ok && err == nil && time.Unix(secs, 0).After(now) {
		d.Data = []byte(s)
	}
	return d, nil
}

// SaveDoc is a conditional put on the version.
func (t *Table) SaveDoc(ctx context.Context, key string, d Doc, expires time.Time) error {
	put := t.key(key)
	put[attrDoc] = map[string]string{"S": string(d.Data)}
	put[attrVersion] = number(d.Version + 1)
	put[attrExpiresAt] = number(expires.Unix())
	in := map[string]any{"TableName": t.name, "Item": put}
	if d.Version == 0 {
		in["ConditionExpression"] = "attribute_not_exists(#id)"
		in["ExpressionAttributeNames"] = map[string]string{"#id": attrID}
	} else {
		in["ConditionExpression"] = "#v = :v"
		in["ExpressionAttributeNames"] = map[string]string{"#v": attrVersion}
		in["ExpressionAttributeValues"] = item{":v": number(d.Version)}
	}
	err := t.client.Call(ctx, "PutItem", in, nil)
	switch {
	case err == nil:
		return nil
	case awsjson.HasCode(err, "ConditionalCheckFailedException"):
		return fmt.Errorf("%s: save %s: %w", t, key, ErrConflict)
	default:
		return fmt.Errorf("%s: save %s: %w", t, key, err)
	}
}

func number(n int64) map[string]string { return map[string]string{"N": strconv.FormatInt(n, 10)} }
