// Package ingest authenticates, validates and enqueues Nice Chat callbacks.
// A callback is accepted only once it is durably in every queue it is
// routed to; a rejected one is kept in the quarantine queue.
package ingest

import (
	"bytes"
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"time"
	"unicode/utf8"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"

	"github.com/nicechat-relay/nicechat-relay/shared/message"
	"github.com/nicechat-relay/nicechat-relay/shared/nicechat"
)

// Sender is the one SQS call ingest makes. It must keep nothing of in
// once it has returned (the SDK's client does not): ingest reuses inputs.
type Sender interface {
	SendMessage(ctx context.Context, in *sqs.SendMessageInput, optFns ...func(*sqs.Options)) (*sqs.SendMessageOutput, error)
}

var _ Sender = (*sqs.Client)(nil)

// Kind says why a callback was not accepted; the handler maps it to a status.
type Kind int

const (
	KindUnauthorized Kind = iota + 1 // wrong or missing token
	KindTooLarge                     // body over the limit
	KindInvalid                      // not base64, not JSON, or envelope invalid
	KindUnavailable                  // a queue could not take it; the caller retries
)

// Error is a refused callback. Reason and Field are safe to show the caller.
type Error struct {
	Kind    Kind
	Reason  string
	Field   string
	EventID string // set once the body is known
	Err     error  // internal cause, never shown to the caller
}

func (e *Error) Error() string {
	if e.Err != nil {
		return e.Reason + ": " + e.Err.Error()
	}
	return e.Reason
}

func (e *Error) Unwrap() error { return e.Err }

// Callback is one request as the transport received it.
type Callback struct {
	Token string
	// Body is the request body as API Gateway passes it (a string in its
	// JSON): an accepted body travels on as this very string, uncopied.
	Body   string
	Base64 bool // body is base64-encoded (API Gateway does this for binary media types)
}

// Receipt is an accepted callback: where it was queued.
type Receipt struct {
	EventID string
	Event   string
	// Channels is shared by every callback of the event type: read it,
	// never change it.
	Channels []string
	// channelsJSON is Channels as JSON, for the handler's answer.
	channelsJSON string
}

// Service accepts callbacks.
type Service struct {
	cfg       Config
	tokenHash [sha256.Size]byte
	// previousHash is the previous token's, during a rotation;
	// hasPrevious is 1 then, 0 otherwise (an int, for subtle's masks).
	previousHash [sha256.Size]byte
	hasPrevious  int
	queue        Sender
	now          func() time.Time
	log          *slog.Logger
	// plans holds, per event type a route names, what does not depend on
	// the body; undocumented serves every other type.
	plans         map[string]*plan
	undocumented  *plan
	quarantineURL *string
	stamp         atomic.Pointer[stamp] // the latest second formatted
}

// stamp is a time formatted as RFC 3339 in UTC, to the second: callbacks
// within one second share the text.
type stamp struct {
	unix int64
	text string
}

func (s *Service) rfc3339(t time.Time) string {
	if st := s.stamp.Load(); st != nil && st.unix == t.Unix() {
		return st.text
	}
	st := &stamp{unix: t.Unix(), text: t.UTC().Format(time.RFC3339)}
	s.stamp.Store(st)
	return st.text
}

// New returns a Service sending to queue. log receives one line per callback.
func New(cfg Config, queue Sender, log *slog.Logger) *Service {
	s := &Service{cfg: cfg, tokenHash: sha256.Sum256([]byte(cfg.Token)), queue: queue, now: time.Now, log: log,
		plans: map[string]*plan{}, quarantineURL: aws.String(cfg.QuarantineQueueURL)}
	if cfg.PreviousToken != "" {
		s.previousHash, s.hasPrevious = sha256.Sum256([]byte(cfg.PreviousToken)), 1
	}
	types := slices.Clone(nicechat.KnownTypes)
	for _, r := range cfg.Routes {
		types = append(types, r.Events.Types...)
	}
	for _, t := range types {
		if s.plans[t] == nil {
			s.plans[t] = newPlan(cfg.Routes, t, log)
		}
	}
	// A type no route names goes where "*" sends everything.
	s.undocumented = newPlan(cfg.Routes, "", log)
	return s
}

// Send deadlines. A hung SQS call must end while there is still time to
// answer 503 with Retry-After: if Lambda's own timeout ended it, Nice Chat
// would get API Gateway's bare error instead.
const (
	answerMargin       = 1500 * time.Millisecond // kept before the invocation's deadline
	defaultSendTimeout = 8 * time.Second         // when the context has no deadline
)

// Accept authenticates, validates and enqueues a callback. It returns a
// *Error for every refusal.
//
// A body is read once, by nicechat.Scan, which checks everything
// ParseCallback (Parse and the bound on nesting, nicechat.MaxDepth) and
// SQS would and reads the type and data.id; only a body Scan refuses takes
// the full path, ParseCallback and message.Unsendable, whose errors are
// the refusals' exact reasons.
func (s *Service) Accept(ctx context.Context, cb Callback) (Receipt, error) {
	ctx, cancel := sendDeadline(ctx)
	defer cancel()
	switch s.match(cb.Token) {
	case tokenNone:
		// Unauthenticated bodies are not quarantined: anyone could fill the queue.
		s.log.WarnContext(ctx, "callback refused", "channel", "ingest", "status", 401, "reason", "wrong or missing token")
		return Receipt{}, &Error{Kind: KindUnauthorized, Reason: "unauthorized"}
	case tokenPrevious:
		// Which token, never the token: the rotation ends once no
		// callback logs this line.
		s.log.WarnContext(ctx, "callback authenticated by the previous token: put the new callback URL in Nice Chat", "channel", "ingest", "token", "previous")
	}
	receivedAt := s.now().UTC()

	body := cb.Body
	if cb.Base64 {
		decoded, err := base64.StdEncoding.DecodeString(cb.Body)
		if err != nil {
			return Receipt{}, s.reject(ctx, cb.Body, receivedAt, &Error{Kind: KindInvalid, Reason: "body is marked base64 but is not valid base64"})
		}
		body = string(decoded)
	}
	if len(body) > s.cfg.MaxBodyBytes {
		return Receipt{}, s.reject(ctx, body, receivedAt, &Error{Kind: KindTooLarge,
			Reason: fmt.Sprintf("body is %d bytes, over the %d-byte limit", len(body), s.cfg.MaxBodyBytes)})
	}
	env, ok := nicechat.Scan(body)
	if !ok {
		var refusal *Error
		if env, refusal = fullParse(body); refusal != nil {
			return Receipt{}, s.reject(ctx, body, receivedAt, refusal)
		}
	}

	id := nicechat.EventIDString(body)
	p := s.plans[env.Type]
	if p == nil {
		p = s.undocumented
	}
	if err := s.enqueue(ctx, p, body, id, env.Type, receivedAt); err != nil {
		s.log.ErrorContext(ctx, "callback not queued", "event_id", id, "event", env.Type, "channel", "ingest", "status", 503, "error", err.Error())
		return Receipt{}, &Error{Kind: KindUnavailable, Reason: "the event could not be queued; retry later", EventID: id, Err: err}
	}
	if len(p.routes) == 0 {
		s.log.WarnContext(ctx, "callback accepted but no channel takes this event type", "event_id", id, "event", env.Type, "channel", "ingest", "status", 202)
	} else {
		s.logQueued(ctx, id, env.Type, p, len(body))
	}
	return Receipt{EventID: id, Event: env.Type, Channels: p.channels, channelsJSON: p.channelsJSON}, nil
}

// logQueued writes the line of a queued callback, the one line most
// callbacks write, as Logger.LogAttrs would, but with the attributes
// that depend only on the event type rendered once, at start (the plan's
// logger), and without the caller's program counter, which the relay's
// handlers never print (AddSource is off) and which costs a tenth of the
// line.
func (s *Service) logQueued(ctx context.Context, id, event string, p *plan, bodyBytes int) {
	h := p.queuedLog.Handler()
	if !h.Enabled(ctx, slog.LevelInfo) {
		return
	}
	r := slog.NewRecord(time.Now(), slog.LevelInfo, "callback queued", 0)
	r.AddAttrs(slog.String("event_id", id), slog.String("event", event), slog.Int("body_bytes", bodyBytes))
	_ = h.Handle(ctx, r)
}

// fullParse is the path of a body Scan leaves: ParseCallback and the SQS
// characters, each refusal with its own reason.
func fullParse(body string) (nicechat.Envelope, *Error) {
	raw := []byte(body)
	ev, err := nicechat.ParseCallback(raw)
	if err != nil {
		var ve *nicechat.ValidationError
		if !errors.As(err, &ve) {
			ve = &nicechat.ValidationError{Reason: err.Error()}
		}
		reason := ve.Reason
		if looksLikeAPIGatewayEvent(raw) {
			reason += `: this is an API Gateway event (such as an events/apigw-*.json fixture), not a callback; post its "body" instead`
		}
		return nicechat.Envelope{}, &Error{Kind: KindInvalid, Reason: reason, Field: ve.Field}
	}
	if r, ok := message.Unsendable(raw); ok {
		return nicechat.Envelope{}, &Error{Kind: KindInvalid, Reason: fmt.Sprintf("body holds the character %U, which SQS cannot carry", r)}
	}
	return nicechat.Envelope{Type: ev.Type, DataID: ev.DataID}, nil
}

// Authorized reports whether token is the callback token, or the
// previous one during a rotation. The local relay asks it before reading
// a body.
func (s *Service) Authorized(token string) bool { return s.match(token) != tokenNone }

// tokenMatch is which configured token a request's token is.
type tokenMatch int

const (
	tokenNone tokenMatch = iota
	tokenCurrent
	tokenPrevious
)

// match compares token with both tokens, always both, in constant time.
func (s *Service) match(token string) tokenMatch {
	// Comparing fixed-size hashes keeps the time independent of the
	// token's length as well as its content.
	got := sha256.Sum256([]byte(token))
	current := subtle.ConstantTimeCompare(got[:], s.tokenHash[:])
	previous := subtle.ConstantTimeCompare(got[:], s.previousHash[:]) & s.hasPrevious
	switch {
	case token == "":
		return tokenNone
	case current == 1:
		return tokenCurrent
	case previous == 1:
		return tokenPrevious
	}
	return tokenNone
}

func sendDeadline(ctx context.Context) (context.Context, context.CancelFunc) {
	if d, ok := ctx.Deadline(); ok {
		return context.WithDeadline(ctx, d.Add(-answerMargin))
	}
	return context.WithTimeout(ctx, defaultSendTimeout)
}

// enqueue sends the body to every route's queue at once and returns the
// first failure, if any (the SDK has already retried it).
//
// The caller sends to the first route, then to every route no other
// goroutine has begun; one goroutine, started first, begins the others
// (each on a goroutine of its own, the last itself). Against SQS the
// sends overlap as they must (the caller's blocks for the network while
// the others start); against a queue that answers at once (the local
// relay's, the benchmark's) the caller has usually done them all before
// that goroutine runs, and pays for one goroutine, not one per route.
func (s *Service) enqueue(ctx context.Context, p *plan, body, id, event string, receivedAt time.Time) error {
	if len(p.routes) == 0 {
		return nil
	}
	c := &sends{s: s, ctx: ctx, p: p, batch: p.batch(callbackValues{body: body, id: id, event: event, receivedAt: s.rfc3339(receivedAt)})}
	defer p.release(c.batch)
	n := len(p.routes)
	if n == 1 {
		return c.send(0)
	}
	if n > maxConcurrentRoutes {
		for i := range n {
			c.errs[i] = c.send(i)
		}
		return errors.Join(c.errs...)
	}
	c.running.Add(n - 1)
	go c.fanOut()
	c.errs[0] = c.send(0)
	for i := 1; i < n; i++ {
		c.claimAndSend(i)
	}
	// Every route is claimed now: the goroutines still to run find
	// nothing to do and never touch the batch again.
	c.running.Wait()
	return errors.Join(c.errs...)
}

// maxConcurrentRoutes is how many routes one claim word tracks; no
// configuration has more (four channels, email in two formats).
const maxConcurrentRoutes = 32

// sends is one callback's sends.
type sends struct {
	s *Service
	*batch
	ctx     context.Context
	p       *plan
	claimed atomic.Uint32 // bit i: route i's send has begun
	running sync.WaitGroup
}

// fanOut begins the sends the caller has not: the last itself, the
// others each on a goroutine.
func (c *sends) fanOut() {
	last := len(c.p.routes) - 1
	for i := 1; i < last; i++ {
		if c.claimed.Load()&(1<<i) == 0 {
			go c.claimAndSend(i)
		}
	}
	c.claimAndSend(last)
}

// claimAndSend sends to route i unless another goroutine already has.
func (c *sends) claimAndSend(i int) {
	if bit := uint32(1) << i; c.claimed.Or(bit)&bit == 0 {
		c.errs[i] = c.send(i)
		c.running.Done()
	}
}

func (c *sends) send(i int) error {
	if _, err := c.s.queue.SendMessage(c.ctx, &c.in[i]); err != nil {
		r := c.p.routes[i]
		c.s.log.ErrorContext(c.ctx, "send to queue failed", "event_id", c.values.id, "event", c.values.event, "channel", r.name, "error", err.Error())
		return fmt.Errorf("send to %s queue: %w", r.name, err)
	}
	return nil
}

// reject keeps a refused body in the quarantine queue and returns refusal.
// If the quarantine itself fails, the caller is asked to retry instead: a
// 4xx would tell Nice Chat to drop a payload nobody kept.
func (s *Service) reject(ctx context.Context, body string, receivedAt time.Time, refusal *Error) error {
	refusal.EventID = nicechat.EventIDString(body)
	status := statusOf(refusal.Kind)
	log := s.log.With("event_id", refusal.EventID, "channel", "quarantine")

	kept, truncated := body, false
	if len(kept) > s.cfg.MaxBodyBytes {
		kept, truncated = kept[:s.cfg.MaxBodyBytes], true
	}
	if truncated {
		kept = trimToRune(kept)
	}
	encoding := "text"
	if _, bad := message.Unsendable([]byte(kept)); bad {
		// SQS carries only XML characters; keep the exact bytes as base64
		// within the same size budget.
		if limit := s.cfg.MaxBodyBytes / 4 * 3; len(kept) > limit {
			kept, truncated = kept[:limit], true
		}
		kept, encoding = base64.StdEncoding.EncodeToString([]byte(kept)), "base64"
	}
	attrs := map[string]sqstypes.MessageAttributeValue{
		"reason":               message.String(refusal.Reason),
		"status":               message.String(strconv.Itoa(status)),
		message.AttrEventID:    message.String(refusal.EventID),
		message.AttrReceivedAt: message.String(receivedAt.Format(time.RFC3339)),
		"body_bytes":           message.String(strconv.Itoa(len(body))),
		"truncated":            message.String(strconv.FormatBool(truncated)),
		"body_encoding":        message.String(encoding),
	}
	if refusal.Field != "" {
		attrs["field"] = message.String(refusal.Field)
	}
	if len(kept) == 0 {
		kept = " " // SQS refuses an empty body
	}
	_, err := s.queue.SendMessage(ctx, &sqs.SendMessageInput{
		QueueUrl:          s.quarantineURL,
		MessageBody:       aws.String(kept),
		MessageAttributes: attrs,
	})
	if err != nil {
		log.ErrorContext(ctx, "rejected callback could not be quarantined", "status", 503, "reason", refusal.Reason, "error", err.Error())
		return &Error{Kind: KindUnavailable, Reason: "the request could not be recorded; retry later", EventID: refusal.EventID,
			Err: fmt.Errorf("quarantine %q: %w", refusal.Reason, err)}
	}
	log.WarnContext(ctx, "callback rejected and quarantined", "status", status, "reason", refusal.Reason, "field", refusal.Field, "body_bytes", len(body))
	return refusal
}

// trimToRune drops a UTF-8 sequence cut in half at the end, if any.
func trimToRune(b string) string {
	for i := 1; i < utf8.UTFMax && i <= len(b); i++ {
		if utf8.RuneStart(b[len(b)-i]) {
			if !utf8.FullRuneInString(b[len(b)-i:]) {
				return b[:len(b)-i]
			}
			break
		}
	}
	return b
}

// looksLikeAPIGatewayEvent tells a refused body that is a whole API
// Gateway event: the first thing people try is to post a fixture file.
func looksLikeAPIGatewayEvent(body []byte) bool {
	return bytes.Contains(body, []byte(`"requestContext"`)) && bytes.Contains(body, []byte(`"routeKey"`))
}

func statusOf(k Kind) int {
	switch k {
	case KindUnauthorized:
		return 401
	case KindTooLarge:
		return 413
	case KindInvalid:
		return 400
	default:
		return 503
	}
}
