// Package localqueue is the local relay's durable embedded queue: SQS's
// semantics on one machine, persisted in one bbolt file, so that stopping
// or killing the process loses nothing a SendMessage call returned for. In
// AWS the real SQS does this; this package is only the local default.
//
// *Store has the aws-sdk-go-v2 sqs.Client method signatures for the calls
// the relay makes (SendMessage, ReceiveMessage, DeleteMessage,
// ChangeMessageVisibility, GetQueueAttributes, GetQueueUrl), returns the
// errors the SDK would return for the same SQS answer, and serves the same
// six calls over SQS's AWS JSON 1.0 wire protocol (Handler), so that an
// sqs.Client and relayctl can talk to the local relay.
//
// The semantics are SQS's standard queue:
//   - SendMessage validates as SQS does (body 1 byte to 1 MiB with
//     attributes, XML characters only, at most 10 attributes each with a
//     String, Number or Binary type, DelaySeconds 0..900) and returns only
//     once the message is committed to the file (fsync). Concurrent calls
//     share one commit, so throughput grows with concurrency.
//   - ReceiveMessage hands out up to 10 visible messages, oldest visible
//     first, each with a fresh receipt handle (older handles stop working)
//     and hidden for the visibility timeout (30 s unless given). It long
//     polls up to 20 s, returning as soon as a message is sent or a hidden
//     one becomes visible. Messages carry the system attributes
//     ApproximateReceiveCount, SentTimestamp and
//     ApproximateFirstReceiveTimestamp and all their message attributes,
//     whatever the request asks for.
//   - A queue created with a Redrive moves a message to its dead-letter
//     queue instead of handing it out a (MaxReceiveCount+1)th time, in the
//     same transaction: message id, body, attributes and SentTimestamp are
//     kept, the receive count starts again at 0.
//   - DeleteMessage and ChangeMessageVisibility need the latest receipt
//     handle (ReceiptHandleIsInvalid otherwise; SQS silently ignores a
//     stale handle on delete, this queue says so). ChangeMessageVisibility
//     needs the message to be still hidden (MessageNotInflight otherwise).
//   - Receive counts, first-receive times and visibility are persisted.
//     On Open, messages that were in flight become visible at once (the
//     process that held them is gone); messages hidden on purpose (a delay
//     or a visibility change) keep their time.
//
// Not implemented: FIFO queues, batch calls, message retention (messages
// stay until deleted), attribute filtering on receive, queue deletion.
package localqueue

import (
	"container/heap"
	"crypto/rand"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"time"

	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"
	bolt "go.etcd.io/bbolt"
	berrors "go.etcd.io/bbolt/errors"
)

// DefaultURLPrefix is the queue URL prefix when Options.URLPrefix is empty.
const DefaultURLPrefix = "http://127.0.0.1/sqs/000000000000/"

// DefaultVisibilityTimeout hides a received message when the receive does
// not say for how long, as SQS's queue default does.
const DefaultVisibilityTimeout = 30 * time.Second

// lockTimeout bounds the wait for the file lock: another process holding
// it is a relay already running, not one about to finish.
const lockTimeout = time.Second

// maxBatch bounds how many calls share one commit.
const maxBatch = 512

// Options configures a Store.
type Options struct {
	// URLPrefix is prepended to a queue name to make its URL, e.g.
	// "http://127.0.0.1:8080/sqs/000000000000/". Any URL whose last path
	// segment names a queue is accepted, so URLs survive a port change.
	URLPrefix string
	// Now is the clock for visibility and timestamps; time.Now when nil.
	Now func() time.Time
	// Log receives storage failures answered with a 500 by Handler;
	// nothing is logged when nil.
	Log *slog.Logger
}

// Redrive is a queue's redrive policy.
type Redrive struct {
	DeadLetterQueue string `json:"dead_letter_queue"` // a queue name
	MaxReceiveCount int    `json:"max_receive_count"` // 1..1000
}

// QueueStats is a queue's depth by visibility.
type QueueStats struct {
	Visible  int `json:"visible"`
	InFlight int `json:"in_flight"` // received, not yet deleted, changed or timed out
	Delayed  int `json:"delayed"`   // hidden on purpose: DelaySeconds or ChangeMessageVisibility
}

// Store is a set of durable queues in one file.
type Store struct {
	db     *bolt.DB
	path   string
	prefix string
	now    func() time.Time
	log    *slog.Logger

	mu     sync.Mutex // guards queues and pending
	queues map[string]*queue
	// pending are the queues whose waiters to wake once the current
	// commit is done.
	pending map[*queue]bool

	ops        chan *op
	broken     error        // set by the writer when the index cannot follow the file
	closeMu    sync.RWMutex // guards isClosed and sends on ops
	isClosed   bool
	closed     chan struct{}
	writerDone chan struct{}

	waiting atomic.Int64 // long polls waiting, for tests
}

// Bucket names. Each queue has a bucket of its own holding two: bodies
// (written once) and states (rewritten on every receive, so kept small).
var (
	bucketQueues = []byte("queues")
	bucketBodies = []byte("bodies")
	bucketStates = []byte("states")
)

func queueBucket(name string) []byte { return []byte("queue:" + name) }

type queueRecord struct {
	CreatedAt int64    `json:"created_at"` // unix ms
	Redrive   *Redrive `json:"redrive,omitempty"`
}

type bodyRecord struct {
	ID       string                `json:"id"`
	Body     string                `json:"body"`
	MD5      string                `json:"md5"`
	AttrsMD5 string                `json:"attrs_md5,omitempty"`
	Attrs    map[string]attrRecord `json:"attrs,omitempty"`
	SentAt   int64                 `json:"sent_at"` // unix ms
}

type attrRecord struct {
	DataType string  `json:"type"`
	String   *string `json:"string,omitempty"`
	Binary   []byte  `json:"binary,omitempty"`
}

type status string

const (
	statusVisible  status = "visible"
	statusDelayed  status = "delayed"   // DelaySeconds
	statusInFlight status = "in_flight" // received
	statusHeld     status = "held"      // received, then ChangeMessageVisibility
)

type stateRecord struct {
	Status       status `json:"status"`
	VisibleAt    int64  `json:"visible_at"` // unix ms
	Receipt      string `json:"receipt,omitempty"`
	Receives     int    `json:"receives,omitempty"`
	FirstReceive int64  `json:"first_receive,omitempty"` // unix ms
}

// queue is the in-memory index of one queue: every message's state, and
// a heap by visibility time to find the next visible ones without a scan.
// bbolt is the source of truth; the index is rebuilt from it on Open and
// after a failed commit.
type queue struct {
	name string
	rec  queueRecord
	msgs map[uint64]*entry
	due  dueHeap
	wake chan struct{} // closed when a message may have become visible
}

type entry struct {
	state stateRecord
	gen   uint64 // heap items of older generations are stale
}

type dueItem struct {
	at  int64
	seq uint64
	gen uint64
}

// dueHeap orders messages by the time they become visible, then by send
// order. Items are never removed from the middle: a message whose state
// changes gets a new item and the old one is dropped when it surfaces.
type dueHeap []dueItem

func (h dueHeap) Len() int { return len(h) }
func (h dueHeap) Less(i, j int) bool {
	if h[i].at != h[j].at {
		return h[i].at < h[j].at
	}
	return h[i].seq < h[j].seq
}
func (h dueHeap) Swap(i, j int) { h[i], h[j] = h[j], h[i] }
func (h *dueHeap) Push(x any)   { *h = append(*h, x.(dueItem)) }
func (h *dueHeap) Pop() any {
	old := *h
	it := old[len(old)-1]
	*h = old[:len(old)-1]
	return it
}

func newQueue(name string, rec queueRecord) *queue {
	return &queue{name: name, rec: rec, msgs: map[uint64]*entry{}, wake: make(chan struct{})}
}

// put records a message's new state and schedules it.
func (q *queue) put(seq uint64, st stateRecord) {
	e := q.msgs[seq]
	if e == nil {
		e = &entry{}
		q.msgs[seq] = e
	}
	e.state = st
	e.gen++
	heap.Push(&q.due, dueItem{at: st.VisibleAt, seq: seq, gen: e.gen})
	if len(q.due) > 2*len(q.msgs)+64 {
		q.compact()
	}
}

// compact drops the stale heap items.
func (q *queue) compact() {
	live := q.due[:0]
	for _, it := range q.due {
		if e := q.msgs[it.seq]; e != nil && e.gen == it.gen {
			live = append(live, it)
		}
	}
	clear(q.due[len(live):])
	q.due = live
	heap.Init(&q.due)
}

// next returns the earliest live item, dropping stale ones on the way.
func (q *queue) next() (dueItem, bool) {
	for len(q.due) > 0 {
		it := q.due[0]
		if e := q.msgs[it.seq]; e != nil && e.gen == it.gen {
			return it, true
		}
		heap.Pop(&q.due)
	}
	return dueItem{}, false
}

// popVisible takes the next message visible at now out of the heap; the
// caller gives it a new state with put (or removes it).
func (q *queue) popVisible(now int64) (uint64, *entry, bool) {
	it, ok := q.next()
	if !ok || it.at > now {
		return 0, nil, false
	}
	heap.Pop(&q.due)
	return it.seq, q.msgs[it.seq], true
}

// Open opens (creating it and its directory if needed) the store at path.
// A second process opening the same file fails after about a second.
func Open(path string, opts Options) (*Store, error) {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return nil, fmt.Errorf("open queue store: %w", err)
	}
	db, err := bolt.Open(path, 0o600, &bolt.Options{Timeout: lockTimeout})
	if errors.Is(err, berrors.ErrTimeout) {
		return nil, fmt.Errorf("open queue store: %s is in use by another relay process (a second relay needs its own RELAY_DATA_DIR)", path)
	}
	if err != nil {
		return nil, fmt.Errorf("open queue store %s: %w", path, err)
	}
	s := &Store{
		db:         db,
		path:       path,
		prefix:     opts.URLPrefix,
		now:        opts.Now,
		log:        opts.Log,
		pending:    map[*queue]bool{},
		ops:        make(chan *op, maxBatch),
		closed:     make(chan struct{}),
		writerDone: make(chan struct{}),
	}
	if s.prefix == "" {
		s.prefix = DefaultURLPrefix
	}
	if s.now == nil {
		s.now = time.Now
	}
	if s.log == nil {
		s.log = slog.New(slog.NewJSONHandler(io.Discard, nil))
	}
	if err := db.Update(s.recoverInFlight); err != nil {
		db.Close()
		return nil, fmt.Errorf("open queue store %s: %w", path, err)
	}
	if err := s.load(); err != nil {
		db.Close()
		return nil, fmt.Errorf("open queue store %s: %w", path, err)
	}
	go s.writer()
	return s, nil
}

// recoverInFlight makes the messages a previous process had received
// visible: it is gone, and SQS would return them after their visibility
// timeout anyway. Their receive counts stay.
func (s *Store) recoverInFlight(tx *bolt.Tx) error {
	queues, err := tx.CreateBucketIfNotExists(bucketQueues)
	if err != nil {
		return err
	}
	now := s.nowMs()
	return queues.ForEach(func(name, _ []byte) error {
		states := tx.Bucket(queueBucket(string(name))).Bucket(bucketStates)
		var recovered [][2][]byte
		err := states.ForEach(func(k, v []byte) error {
			var st stateRecord
			if err := json.Unmarshal(v, &st); err != nil {
				return fmt.Errorf("queue %s message %x: %w", name, k, err)
			}
			if st.Status != statusInFlight || st.VisibleAt <= now {
				return nil
			}
			st.Status, st.VisibleAt = statusVisible, now
			data, err := json.Marshal(st)
			recovered = append(recovered, [2][]byte{k, data})
			return err
		})
		for _, kv := range recovered {
			if err == nil {
				err = states.Put(kv[0], kv[1])
			}
		}
		return err
	})
}

// load rebuilds the index from the file. Waiters on the old index are
// woken to look again.
func (s *Store) load() error {
	loaded := map[string]*queue{}
	err := s.db.View(func(tx *bolt.Tx) error {
		return tx.Bucket(bucketQueues).ForEach(func(name, v []byte) error {
			var rec queueRecord
			if err := json.Unmarshal(v, &rec); err != nil {
				return fmt.Errorf("queue %s: %w", name, err)
			}
			q := newQueue(string(name), rec)
			loaded[q.name] = q
			return tx.Bucket(queueBucket(q.name)).Bucket(bucketStates).ForEach(func(k, v []byte) error {
				var st stateRecord
				if err := json.Unmarshal(v, &st); err != nil {
					return fmt.Errorf("queue %s message %x: %w", name, k, err)
				}
				q.put(binary.BigEndian.Uint64(k), st)
				return nil
			})
		})
	})
	if err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, q := range s.queues {
		close(q.wake)
	}
	s.queues = loaded
	clear(s.pending)
	return nil
}

// Close stops the store: calls in progress finish, later ones fail with
// ErrClosed, long polls return at once.
func (s *Store) Close() error {
	s.closeMu.Lock()
	if s.isClosed {
		s.closeMu.Unlock()
		return nil
	}
	s.isClosed = true
	close(s.ops)
	close(s.closed)
	s.closeMu.Unlock()
	<-s.writerDone
	if err := s.db.Close(); err != nil {
		return fmt.Errorf("close queue store %s: %w", s.path, err)
	}
	return nil
}

// op is one call's change, applied by the writer in a shared transaction.
// fn runs with s.mu held and changes the file and the index together. An
// SQS error (a rejection) must be returned before anything is changed;
// any other error aborts the whole transaction.
type op struct {
	fn   func(tx *bolt.Tx) error
	err  error
	done chan struct{}
}

// run applies fn in the next commit and returns once it is durable.
func (s *Store) run(fn func(tx *bolt.Tx) error) error {
	o := &op{fn: fn, done: make(chan struct{})}
	s.closeMu.RLock()
	if s.isClosed {
		s.closeMu.RUnlock()
		return ErrClosed
	}
	s.ops <- o
	s.closeMu.RUnlock()
	<-o.done
	return o.err
}

// writer is the only goroutine that writes: it takes every call waiting
// and commits them in one transaction, one fsync for the lot (group
// commit). Being alone, it changes the index in commit order.
func (s *Store) writer() {
	defer close(s.writerDone)
	for o := range s.ops {
		batch := []*op{o}
	drain:
		for len(batch) < maxBatch {
			select {
			case o, ok := <-s.ops:
				if !ok {
					break drain
				}
				batch = append(batch, o)
			default:
				break drain
			}
		}
		s.commit(batch)
	}
}

func (s *Store) commit(batch []*op) {
	err := s.apply(batch)
	if err != nil && len(batch) > 1 && s.broken == nil {
		// One call's failure must not fail the calls it shared the
		// transaction with: each is applied again on its own.
		for _, o := range batch {
			if o.err != nil && isRejection(o.err) {
				continue
			}
			o.err = nil
			_ = s.apply([]*op{o})
		}
	}
	for _, o := range batch {
		close(o.done)
	}
}

// apply commits the batch's changes in one transaction. On failure none of
// them is in the file, so the index is reloaded from it; if that fails
// too, the store is broken and refuses every later call rather than work
// from an index that differs from the file.
func (s *Store) apply(batch []*op) error {
	if s.broken != nil {
		for _, o := range batch {
			o.err = s.broken
		}
		return s.broken
	}
	err := s.db.Update(func(tx *bolt.Tx) error {
		s.mu.Lock()
		defer s.mu.Unlock()
		for _, o := range batch {
			o.err = o.fn(tx)
			if o.err != nil && !isRejection(o.err) {
				return o.err
			}
		}
		return nil
	})
	s.mu.Lock()
	defer s.mu.Unlock()
	if err == nil {
		for q := range s.pending {
			close(q.wake)
			q.wake = make(chan struct{})
		}
		clear(s.pending)
		return nil
	}
	clear(s.pending)
	err = fmt.Errorf("write queue store %s: %w", s.path, err)
	s.mu.Unlock()
	lerr := s.load()
	s.mu.Lock()
	if lerr != nil {
		s.broken = errors.Join(err, fmt.Errorf("reload queue store: %w; restart the relay", lerr))
		err = s.broken
	}
	for _, o := range batch {
		if o.err == nil || !isRejection(o.err) {
			o.err = err
		}
	}
	return err
}

// wakeAfterCommit wakes q's long polls once the current commit is done;
// called by an op.
func (s *Store) wakeAfterCommit(q *queue) { s.pending[q] = true }

func (s *Store) nowMs() int64 { return s.now().UnixMilli() }

// queueURL is the URL of the named queue.
func (s *Store) queueURL(name string) string { return s.prefix + name }

// nextSeq numbers messages across all queues in send order; keys sort as
// they are numbered.
func nextSeq(tx *bolt.Tx) ([]byte, uint64, error) {
	seq, err := tx.Bucket(bucketQueues).NextSequence()
	if err != nil {
		return nil, 0, err
	}
	return seqKey(seq), seq, nil
}

func seqKey(seq uint64) []byte {
	k := make([]byte, 8)
	binary.BigEndian.PutUint64(k, seq)
	return k
}

func buckets(tx *bolt.Tx, name string) (bodies, states *bolt.Bucket) {
	b := tx.Bucket(queueBucket(name))
	return b.Bucket(bucketBodies), b.Bucket(bucketStates)
}

func putState(states *bolt.Bucket, key []byte, st stateRecord) error {
	data, err := json.Marshal(st)
	if err != nil {
		return err
	}
	return states.Put(key, data)
}

// newID is a random (version 4) UUID, the shape of an SQS message id.
func newID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	h := hex.EncodeToString(b[:])
	return h[0:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:32]
}

func newNonce() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

func toAttrRecords(attrs map[string]sqstypes.MessageAttributeValue) map[string]attrRecord {
	if len(attrs) == 0 {
		return nil
	}
	out := make(map[string]attrRecord, len(attrs))
	for name, v := range attrs {
		r := attrRecord{DataType: deref(v.DataType)}
		if baseType(r.DataType) == "Binary" {
			r.Binary = v.BinaryValue
		} else {
			r.String = v.StringValue
		}
		out[name] = r
	}
	return out
}

func fromAttrRecords(attrs map[string]attrRecord) map[string]sqstypes.MessageAttributeValue {
	if len(attrs) == 0 {
		return nil
	}
	out := make(map[string]sqstypes.MessageAttributeValue, len(attrs))
	for name, r := range attrs {
		dataType := r.DataType
		out[name] = sqstypes.MessageAttributeValue{DataType: &dataType, StringValue: r.String, BinaryValue: r.Binary}
	}
	return out
}
