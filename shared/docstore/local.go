package docstore

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	bolt "go.etcd.io/bbolt"
)

// Local is a Store in the local relay's file, the one its idempotency
// records are in (idempotency.Local.File), committed before each call
// returns. Opening that file drops the documents that expired, as it
// drops the records.
type Local struct{ db *bolt.DB }

// NewLocal keeps documents in db, the file open for the idempotency
// records.
func NewLocal(db *bolt.DB) (*Local, error) {
	err := db.Update(func(tx *bolt.Tx) error {
		_, err := tx.CreateBucketIfNotExists(bucket)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("open the document store %s: %w", db.Path(), err)
	}
	return &Local{db: db}, nil
}

func (l *Local) String() string { return "local store " + l.db.Path() }

// bucket holds the documents in the local relay's file, apart from the
// idempotency records.
var bucket = []byte("docs")

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
		v := tx.Bucket(bucket).Get([]byte(key))
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
		b := tx.Bucket(bucket)
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
