package idempotency

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/nicechat-relay/nicechat-relay/shared/awsjson"
)

// Doc is a small document a channel keeps beside its delivery records,
// such as the Slack thread of each visitor. It is written over the version
// that was read and no other, so two deliveries changing one document at
// once cannot both win: the loser reads it again and redoes its change.
type Doc struct {
	Data []byte // nil: there is none (or it has expired)
	// Version is the version read; 0 when no document was ever written
	// under the key.
	Version int64
}

// ErrConflict is SaveDoc's answer when the document was written since it
// was read.
var ErrConflict = errors.New("the document was written since it was read")

// Docs keeps documents: LoadDoc reads one, SaveDoc writes it as version
// d.Version+1 only if the stored version is still d.Version. Table and
// Local are Docs, in the same table or file as their records.
type Docs interface {
	LoadDoc(ctx context.Context, key string, now time.Time) (Doc, error)
	SaveDoc(ctx context.Context, key string, d Doc, expires time.Time) error
	String() string
}

var (
	_ Docs = (*Table)(nil)
	_ Docs = (*Local)(nil)
)

// Attributes of a document item; its key is id and it expires by
// expires_at, as every record does.
const (
	attrDoc     = "doc"
	attrVersion = "version"
)

// LoadDoc reads the document under key; an expired one, which DynamoDB
// deletes only eventually, reads as none (but keeps its version).
func (t *Table) LoadDoc(ctx context.Context, key string, now time.Time) (Doc, error) {
	var out answer
	if err := t.client.Call(ctx, "GetItem", request{TableName: t.name, Key: t.key(key), ConsistentRead: true}, &out); err != nil {
		return Doc{}, fmt.Errorf("%s: read %s: %w", t, key, err)
	}
	if out.Item == nil {
		return Doc{}, nil
	}
	var d Doc
	if v := out.Item[attrVersion].N; v != nil {
		d.Version, _ = strconv.ParseInt(*v, 10, 64)
	}
	r := parseItem(out.Item)
	if s := out.Item[attrDoc].S; s != nil && r.ExpiresAt.After(now) {
		d.Data = []byte(*s)
	}
	return d, nil
}

// SaveDoc is a conditional put on the version.
func (t *Table) SaveDoc(ctx context.Context, key string, d Doc, expires time.Time) error {
	put := t.key(key)
	put[attrDoc] = str(string(d.Data))
	put[attrVersion] = number(d.Version + 1)
	put[attrExpiresAt] = epoch(expires)
	req := request{TableName: t.name, Item: put, ExpressionAttributeNames: map[string]string{"#id": attrID}}
	if d.Version == 0 {
		req.ConditionExpression = "attribute_not_exists(#id)"
	} else {
		req.ConditionExpression = "#v = :v"
		req.ExpressionAttributeNames = map[string]string{"#v": attrVersion}
		req.ExpressionAttributeValues = item{":v": number(d.Version)}
	}
	err := t.client.Call(ctx, "PutItem", req, nil)
	switch {
	case err == nil:
		return nil
	case awsjson.HasCode(err, conditionFailed):
		return fmt.Errorf("%s: save %s: %w", t, key, ErrConflict)
	default:
		return fmt.Errorf("%s: save %s: %w", t, key, err)
	}
}

func number(n int64) attribute {
	s := strconv.FormatInt(n, 10)
	return attribute{N: &s}
}

// docBucket holds the local store's documents, apart from its records.
var docBucket = []byte("docs")

// localDoc is a document as the file keeps it.
type localDoc struct {
	Data      json.RawMessage `json:"data,omitempty"`
	Raw       []byte          `json:"raw,omitempty"` // data that is not JSON
	Version   int64           `json:"version"`
	ExpiresAt time.Time       `json:"expires_at"`
}

func (l *Local) LoadDoc(_ context.Context, key string, now time.Time) (Doc, error) {
	var d Doc
	err := l.db.View(func(tx *bolt.Tx) error {
		v := tx.Bucket(docBucket).Get([]byte(key))
		if v == nil {
			return nil
		}
		var r localDoc
		if err := json.Unmarshal(v, &r); err != nil {
			return err
		}
		d.Version = r.Version
		if r.ExpiresAt.After(now) {
			d.Data = r.Raw
			if r.Data != nil {
				d.Data = []byte(r.Data)
			}
		}
		return nil
	})
	if err != nil {
		return Doc{}, fmt.Errorf("%s: read %s: %w", l, key, err)
	}
	return d, nil
}

func (l *Local) SaveDoc(_ context.Context, key string, d Doc, expires time.Time) error {
	var conflict bool
	err := l.db.Batch(func(tx *bolt.Tx) error {
		// Not an error: that would roll back the writes sharing the commit.
		conflict = false
		b := tx.Bucket(docBucket)
		var stored localDoc
		if v := b.Get([]byte(key)); v != nil {
			if err := json.Unmarshal(v, &stored); err != nil {
				return err
			}
		}
		if stored.Version != d.Version {
			conflict = true
			return nil
		}
		r := localDoc{Version: d.Version + 1, ExpiresAt: expires}
		if json.Valid(d.Data) {
			r.Data = d.Data
		} else {
			r.Raw = d.Data
		}
		v, err := json.Marshal(r)
		if err != nil {
			return err
		}
		return b.Put([]byte(key), v)
	})
	if err == nil && conflict {
		err = ErrConflict
	}
	if err != nil {
		return fmt.Errorf("%s: save %s: %w", l, key, err)
	}
	return nil
}
