// Package idempotency keeps one record per event and channel so that the
// consumers deliver each event once per channel: SQS and Lambda deliver
// at least once, and Nice Chat may send a callback twice, but a person
// reading Slack, Telegram or email cannot de-duplicate.
//
// The semantics are Powertools' idempotency utility's:
//   - before delivering, Claim writes an in_progress record, only if there
//     is none or the one there has expired; it holds a little longer than
//     the delivery may take, so a crashed attempt blocks the next one only
//     briefly;
//   - after a successful delivery, Delivered turns it into a delivered
//     record that expires after the idempotency window;
//   - a failed attempt Releases its in_progress record, so a retry, or a
//     redrive from the dead-letter queue, delivers again.
//
// What is left: a process that dies after the far end accepted a delivery
// and before Delivered is written leaves an in_progress record; once it
// has expired the next attempt delivers again.
//
// The same table and file also hold package docstore's documents, under
// keys of their own.
package idempotency

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/nicechat-relay/nicechat-relay/shared/message"
)

// State is where a record stands.
type State string

const (
	InProgress State = "in_progress"
	Delivered  State = "delivered"
)

// Record is what a Store holds for one key.
type Record struct {
	State       State
	ExpiresAt   time.Time
	DeliveredAt time.Time // delivered records only
	Status      string    // delivered records only: how the far end answered
	// Owner tells one claim from the next: the claim's own time, in
	// nanoseconds. Release takes only the claim it is given.
	Owner string
}

// Store keeps the records. Implementations: Table (DynamoDB) and Local
// (a file, for the local relay).
type Store interface {
	// Claim writes an in_progress record for key, expiring at now+hold,
	// unless a record that has not expired is there: then it returns that
	// record and false.
	Claim(ctx context.Context, key string, now time.Time, hold time.Duration) (Record, bool, error)
	// Delivered marks key delivered at now, with status, until now+window.
	Delivered(ctx context.Context, key string, now time.Time, status string, window time.Duration) error
	// Release deletes key's in_progress record if it is still the claim
	// owner made (a claim that ran out may have been taken over since);
	// a delivered one stays.
	Release(ctx context.Context, key, owner string) error
	// String names the store for logs: the table or the file.
	String() string
}

// ownerOf is the owner of a claim made at now.
func ownerOf(now time.Time) string { return strconv.FormatInt(now.UnixNano(), 10) }

// Key is the record's key for one message: <event id>#<channel>, and
// #<format> for a channel with several (email's tech and human messages
// are two deliveries).
func Key(m message.Message, channel string) string {
	k := m.EventID + "#" + channel
	if m.Format != "" {
		k += "#" + string(m.Format)
	}
	return k
}

// Environment variables.
const (
	EnvTable  = "IDEMPOTENCY_TABLE"
	EnvWindow = "IDEMPOTENCY_WINDOW"
)

// DefaultWindow is how long a delivery is remembered when
// IDEMPOTENCY_WINDOW is unset.
const DefaultWindow = 24 * time.Hour

// Window bounds: shorter than a minute would not even cover SQS's own
// redeliveries; DynamoDB's TTL and the queues' retention make more than
// 30 days pointless.
const (
	MinWindow = time.Minute
	MaxWindow = 30 * 24 * time.Hour
)

// ParseWindow reads IDEMPOTENCY_WINDOW: a Go duration ("24h", "90m") or a
// number of days with "d" ("7d"), from a minute to 30 days. Empty means
// DefaultWindow.
func ParseWindow(v string) (time.Duration, error) {
	return ParseDays(EnvWindow, v, DefaultWindow, MinWindow, MaxWindow)
}

// ParseDays reads the setting name: a Go duration ("24h", "90m") or a
// number of days with "d" ("7d"), from least to most. Empty means def.
func ParseDays(name, v string, def, least, most time.Duration) (time.Duration, error) {
	v = strings.TrimSpace(v)
	if v == "" {
		return def, nil
	}
	d, err := time.ParseDuration(v)
	if days, ok := strings.CutSuffix(v, "d"); ok && err != nil {
		var n int
		if _, serr := fmt.Sscanf(days, "%d", &n); serr == nil && fmt.Sprint(n) == days {
			d, err = time.Duration(n)*24*time.Hour, nil
		}
	}
	if err != nil {
		return 0, fmt.Errorf("%s must be a duration such as 24h, 90m or 7d, got %q", name, v)
	}
	if d < least || d > most {
		return 0, fmt.Errorf("%s must be from %s to %s, got %q", name, days(least), days(most), v)
	}
	return d, nil
}

// days writes a bound as a person would: "30 days", "1m0s".
func days(d time.Duration) string {
	if d >= 24*time.Hour && d%(24*time.Hour) == 0 {
		return fmt.Sprintf("%d days", d/(24*time.Hour))
	}
	return d.String()
}
