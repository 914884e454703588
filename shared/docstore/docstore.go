// Package docstore keeps the small versioned documents a channel needs
// across deliveries, such as the Slack thread of each visitor. They live
// beside the idempotency records, in the same DynamoDB table and the same
// local file, under keys of their own (slack-thread#…): a deployment
// needs no second table, and the local relay no second file.
package docstore

import (
	"context"
	"errors"
	"time"
)

// Doc is a document as read. It is written over the version that was read
// and no other, so two deliveries changing one document at once cannot
// both win: the loser reads it again and redoes its change.
type Doc struct {
	Data []byte // nil: there is none (or it has expired)
	// Version is the version read; 0 when no document was ever written
	// under the key.
	Version int64
}

// ErrConflict is SaveDoc's answer when the document was written since it
// was read.
var ErrConflict = errors.New("the document was written since it was read")

// Store keeps documents: LoadDoc reads one, SaveDoc writes it as version
// d.Version+1 only if the stored version is still d.Version. Table and
// Local are Stores.
type Store interface {
	LoadDoc(ctx context.Context, key string, now time.Time) (Doc, error)
	SaveDoc(ctx context.Context, key string, d Doc, expires time.Time) error
	String() string
}

var (
	_ Store = (*Table)(nil)
	_ Store = (*Local)(nil)
)
