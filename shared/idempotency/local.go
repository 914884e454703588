package idempotency

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	bolt "go.etcd.io/bbolt"
)

var bucket = []byte("idempotency")

// Local is a Store in a file, for the local relay: the same records and
// the same conditions as the table, committed (fsynced) before each call
// returns, with concurrent calls sharing a commit.
type Local struct {
	db      *bolt.DB
	path    string
	inDoubt []string
}

var _ Store = (*Local)(nil)

// localRecord is a record as the file keeps it.
type localRecord struct {
	State       State     `json:"state"`
	ExpiresAt   time.Time `json:"expires_at"`
	DeliveredAt time.Time `json:"delivered_at,omitzero"`
	Status      string    `json:"status,omitempty"`
	Owner       string    `json:"owner,omitempty"`
}

// maxBatchDelay bounds how long a write waits for others to share its
// commit. Between a far end's answer and the delivered record's commit, a
// crash leaves a delivery in doubt: the wait is kept short.
const maxBatchDelay = time.Millisecond

// OpenLocal opens (or creates) the store at path and drops the items of
// the file that expired before now, as DynamoDB's TTL would: its records
// and the documents that share it (see File).
func OpenLocal(path string, now time.Time) (*Local, error) {
	db, err := bolt.Open(path, 0o600, &bolt.Options{Timeout: time.Second})
	if err != nil {
		return nil, fmt.Errorf("open the idempotency store %s: %w", path, err)
	}
	db.MaxBatchDelay = maxBatchDelay
	var inDoubt []string
	err = db.Update(func(tx *bolt.Tx) error {
		b, err := tx.CreateBucketIfNotExists(bucket)
		if err != nil {
			return err
		}
		if err := dropExpired(tx, now); err != nil {
			return err
		}
		return b.ForEach(func(k, v []byte) error {
			var r localRecord
			if json.Unmarshal(v, &r) == nil && r.State == InProgress {
				inDoubt = append(inDoubt, string(k))
			}
			return nil
		})
	})
	if err != nil {
		db.Close()
		return nil, fmt.Errorf("open the idempotency store %s: %w", path, err)
	}
	return &Local{db: db, path: path, inDoubt: inDoubt}, nil
}

// InDoubt lists the keys whose delivery was under way when the process
// that opened the store before stopped without finishing it (a crash): the
// far end may have it. Each is delivered again once its claim expires.
func (l *Local) InDoubt() []string { return l.inDoubt }

// File is the open file, which the local relay's documents share
// (docstore.NewLocal): one process opens it once.
func (l *Local) File() *bolt.DB { return l.db }

// Close closes the file.
func (l *Local) Close() error { return l.db.Close() }

func (l *Local) String() string { return "local store " + l.path }

func (l *Local) Claim(_ context.Context, key string, now time.Time, hold time.Duration) (Record, bool, error) {
	var (
		held    Record
		claimed bool
	)
	err := l.db.Batch(func(tx *bolt.Tx) error {
		b := tx.Bucket(bucket)
		if v := b.Get([]byte(key)); v != nil {
			var r localRecord
			if err := json.Unmarshal(v, &r); err == nil && r.ExpiresAt.After(now) {
				held, claimed = Record(r), false
				return nil
			}
		}
		held, claimed = Record{State: InProgress, ExpiresAt: now.Add(hold), Owner: ownerOf(now)}, true
		return put(b, key, localRecord(held))
	})
	if err != nil {
		return Record{}, false, fmt.Errorf("%s: claim %s: %w", l, key, err)
	}
	return held, claimed, nil
}

func (l *Local) Delivered(_ context.Context, key string, now time.Time, status string, window time.Duration) error {
	err := l.db.Batch(func(tx *bolt.Tx) error {
		return put(tx.Bucket(bucket), key, localRecord{State: Delivered, ExpiresAt: now.Add(window), DeliveredAt: now, Status: status})
	})
	if err != nil {
		return fmt.Errorf("%s: mark %s delivered: %w", l, key, err)
	}
	return nil
}

func (l *Local) Release(_ context.Context, key, owner string) error {
	err := l.db.Batch(func(tx *bolt.Tx) error {
		b := tx.Bucket(bucket)
		var r localRecord
		if v := b.Get([]byte(key)); v != nil && json.Unmarshal(v, &r) == nil && r.State == InProgress && r.Owner == owner {
			return b.Delete([]byte(key))
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("%s: release %s: %w", l, key, err)
	}
	return nil
}

// dropExpired deletes every item of the file that expired before now, as
// DynamoDB's TTL does in the table: the records, and the documents that
// share the file (package docstore). Every item keeps its expiry as
// expires_at; one that cannot be read is dropped too.
func dropExpired(tx *bolt.Tx, now time.Time) error {
	return tx.ForEach(func(_ []byte, b *bolt.Bucket) error {
		var expired [][]byte
		err := b.ForEach(func(k, v []byte) error {
			var it struct {
				ExpiresAt time.Time `json:"expires_at"`
			}
			if json.Unmarshal(v, &it) != nil || !it.ExpiresAt.After(now) {
				expired = append(expired, k)
			}
			return nil
		})
		if err != nil {
			return err
		}
		for _, k := range expired {
			if err := b.Delete(k); err != nil {
				return err
			}
		}
		return nil
	})
}

func put(b *bolt.Bucket, key string, r localRecord) error {
	v, err := json.Marshal(r)
	if err != nil {
		return err
	}
	return b.Put([]byte(key), v)
}
