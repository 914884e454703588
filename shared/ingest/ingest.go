// Package ingest authenticates, validates and enqueues Nice Chat callbacks.
// A callback is accepted only once it is durably in every queue it is
// routed to; a rejected one is kept in the quarantine queue.
package ingest

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"

	"github.com/nicechat-relay/nicechat-relay/shared/message"
	"github.com/nicechat-relay/nicechat-relay/shared/nicechat"
)

// Sender is the one SQS call ingest makes.
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
	Token  string
	Body   []byte
	Base64 bool // body is base64-encoded (API Gateway does this for binary media types)
}

// Receipt is an accepted callback: where it was queued.
type Receipt struct {
	EventID  string
	Event    string
	Channels []string
}

// Service accepts callbacks.
type Service struct {
	cfg       Config
	tokenHash [sha256.Size]byte
	queue     Sender
	now       func() time.Time
	log       *slog.Logger
}

// New returns a Service sending to queue. log receives one line per callback.
func New(cfg Config, queue Sender, log *slog.Logger) *Service {
	return &Service{cfg: cfg, tokenHash: sha256.Sum256([]byte(cfg.Token)), queue: queue, now: time.Now, log: log}
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
func (s *Service) Accept(ctx context.Context, cb Callback) (Receipt, error) {
	ctx, cancel := sendDeadline(ctx)
	defer cancel()
	if !s.authorized(cb.Token) {
		// Unauthenticated bodies are not quarantined: anyone could fill the queue.
		s.log.WarnContext(ctx, "callback refused", "channel", "ingest", "status", 401, "reason", "wrong or missing token")
		return Receipt{}, &Error{Kind: KindUnauthorized, Reason: "unauthorized"}
	}
	receivedAt := s.now().UTC()

	body := cb.Body
	if cb.Base64 {
		decoded, err := base64.StdEncoding.DecodeString(string(cb.Body))
		if err != nil {
			return Receipt{}, s.reject(ctx, cb.Body, receivedAt, &Error{Kind: KindInvalid, Reason: "body is marked base64 but is not valid base64"})
		}
		body = decoded
	}
	if len(body) > s.cfg.MaxBodyBytes {
		return Receipt{}, s.reject(ctx, body, receivedAt, &Error{Kind: KindTooLarge,
			Reason: fmt.Sprintf("body is %d bytes, over the %d-byte limit", len(body), s.cfg.MaxBodyBytes)})
	}
	ev, err := nicechat.Parse(body)
	if err != nil {
		var ve *nicechat.ValidationError
		if !errors.As(err, &ve) {
			ve = &nicechat.ValidationError{Reason: err.Error()}
		}
		return Receipt{}, s.reject(ctx, body, receivedAt, &Error{Kind: KindInvalid, Reason: ve.Reason, Field: ve.Field})
	}
	if r, ok := message.Unsendable(body); ok {
		return Receipt{}, s.reject(ctx, body, receivedAt, &Error{Kind: KindInvalid,
			Reason: fmt.Sprintf("body holds the character %U, which SQS cannot carry", r)})
	}

	msg := message.Message{Body: body, Event: ev.Type, EventID: ev.ID, ReceivedAt: receivedAt}
	receipt := Receipt{EventID: ev.ID, Event: ev.Type, Channels: []string{}}
	var routes []Route
	for _, r := range s.cfg.Routes {
		if r.Events.Has(ev.Type) {
			routes = append(routes, r)
			receipt.Channels = append(receipt.Channels, r.Name())
		}
	}
	log := s.log.With("event_id", ev.ID, "event", ev.Type)
	if err := s.enqueue(ctx, log, msg, routes); err != nil {
		log.ErrorContext(ctx, "callback not queued", "channel", "ingest", "status", 503, "error", err.Error())
		return Receipt{}, &Error{Kind: KindUnavailable, Reason: "the event could not be queued; retry later", EventID: ev.ID, Err: err}
	}
	if len(routes) == 0 {
		log.WarnContext(ctx, "callback accepted but no channel takes this event type", "channel", "ingest", "status", 202)
	} else {
		log.InfoContext(ctx, "callback queued", "channel", "ingest", "status", 202, "channels", receipt.Channels, "body_bytes", len(body))
	}
	return receipt, nil
}

func (s *Service) authorized(token string) bool {
	// Comparing fixed-size hashes keeps the time independent of the
	// token's length as well as its content.
	got := sha256.Sum256([]byte(token))
	return token != "" && subtle.ConstantTimeCompare(got[:], s.tokenHash[:]) == 1
}

func sendDeadline(ctx context.Context) (context.Context, context.CancelFunc) {
	if d, ok := ctx.Deadline(); ok {
		return context.WithDeadline(ctx, d.Add(-answerMargin))
	}
	return context.WithTimeout(ctx, defaultSendTimeout)
}

// enqueue sends the message to every route's queue at once and returns the
// first failure, if any (the SDK has already retried it).
func (s *Service) enqueue(ctx context.Context, log *slog.Logger, msg message.Message, routes []Route) error {
	if len(routes) == 0 {
		return nil
	}
	body := string(msg.Body)
	send := func(r Route) error {
		m := msg
		m.Format = r.Format
		_, err := s.queue.SendMessage(ctx, &sqs.SendMessageInput{
			QueueUrl:          aws.String(r.QueueURL),
			MessageBody:       aws.String(body),
			MessageAttributes: m.Attributes(),
		})
		if err != nil {
			log.ErrorContext(ctx, "send to queue failed", "channel", r.Name(), "error", err.Error())
			return fmt.Errorf("send to %s queue: %w", r.Name(), err)
		}
		return nil
	}
	if len(routes) == 1 {
		return send(routes[0])
	}
	errs := make([]error, len(routes))
	var wg sync.WaitGroup
	for i, r := range routes {
		wg.Go(func() { errs[i] = send(r) })
	}
	wg.Wait()
	return errors.Join(errs...)
}

// reject keeps a refused body in the quarantine queue and returns refusal.
// If the quarantine itself fails, the caller is asked to retry instead: a
// 4xx would tell Nice Chat to drop a payload nobody kept.
func (s *Service) reject(ctx context.Context, body []byte, receivedAt time.Time, refusal *Error) error {
	refusal.EventID = nicechat.EventID(body)
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
	if _, bad := message.Unsendable(kept); bad {
		// SQS carries only XML characters; keep the exact bytes as base64
		// within the same size budget.
		if limit := s.cfg.MaxBodyBytes / 4 * 3; len(kept) > limit {
			kept, truncated = kept[:limit], true
		}
		kept, encoding = []byte(base64.StdEncoding.EncodeToString(kept)), "base64"
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
		kept = []byte(" ") // SQS refuses an empty body
	}
	_, err := s.queue.SendMessage(ctx, &sqs.SendMessageInput{
		QueueUrl:          aws.String(s.cfg.QuarantineQueueURL),
		MessageBody:       aws.String(string(kept)),
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
func trimToRune(b []byte) []byte {
	for i := 1; i < utf8.UTFMax && i <= len(b); i++ {
		if utf8.RuneStart(b[len(b)-i]) {
			if !utf8.FullRune(b[len(b)-i:]) {
				return b[:len(b)-i]
			}
			break
		}
	}
	return b
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
