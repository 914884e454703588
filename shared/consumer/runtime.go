// Package consumer is the batch runtime the channel Lambdas share: it
// delivers an SQS batch with bounded concurrency, backs off failed
// messages by changing their visibility, dead-letters the ones that will
// never go through with the reason attached, and reports only the failed
// ones back (ReportBatchItemFailures), so a delivered message is never
// repeated because a neighbour failed. It counts each outcome as a metric
// and pauses a misconfigured channel (shared/breaker). Main starts a
// channel's consumer Lambda from its channel.Spec; Setup and NewFromEnv
// build the runtime for the template's tests and the local relay.
package consumer

import (
	"context"
	"fmt"
	"log/slog"
	"math"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"

	"github.com/nicechat-relay/nicechat-relay/shared/delivery"
	"github.com/nicechat-relay/nicechat-relay/shared/dlq"
	"github.com/nicechat-relay/nicechat-relay/shared/idempotency"
	"github.com/nicechat-relay/nicechat-relay/shared/message"
	"github.com/nicechat-relay/nicechat-relay/shared/nicechat"
)

// SQS is the part of SQS the runtime uses: visibility changes on the
// source queue and sends to the dead-letter queue.
type SQS interface {
	ChangeMessageVisibility(ctx context.Context, in *sqs.ChangeMessageVisibilityInput, opts ...func(*sqs.Options)) (*sqs.ChangeMessageVisibilityOutput, error)
	SendMessage(ctx context.Context, in *sqs.SendMessageInput, opts ...func(*sqs.Options)) (*sqs.SendMessageOutput, error)
}

var _ SQS = (*sqs.Client)(nil)

// Outcomes of one record, as logged.
const (
	OutcomeDelivered        = "delivered"
	OutcomeRetried          = "retried"
	OutcomeDeadLettered     = "dead_lettered"
	OutcomeDeadLetterFailed = "dead_letter_failed" // reported failed, SQS brings it back
	OutcomeDeferred         = "deferred"           // not started: the invocation is about to time out, or another delivery of the event is under way
	OutcomeDuplicate        = "duplicate"          // already delivered within the idempotency window: not delivered again
	OutcomePaused           = "paused"             // the channel is misconfigured and paused: the message waits in the queue
)

// Runtime delivers SQS batches to one channel.
type Runtime struct {
	cfg     Config
	ch      delivery.Channel
	q       SQS
	log     *slog.Logger
	timeout time.Duration
	metrics *metricsWriter
}

// New builds a runtime; zero fields of cfg take their defaults.
func New(cfg Config, ch delivery.Channel, q SQS, log *slog.Logger) *Runtime {
	cfg = cfg.withDefaults(ch.Name())
	return &Runtime{
		cfg:     cfg,
		ch:      ch,
		q:       q,
		log:     log.With("channel", cfg.Channel),
		timeout: ch.Timeout(),
		metrics: newEMF(cfg.Metrics, cfg.Namespace, cfg.Channel, cfg.Now),
	}
}

// Handle is the Lambda handler. It never returns an error: every record's
// fate is in the response, and an error would make SQS redeliver the
// whole batch, delivered records included.
func (r *Runtime) Handle(ctx context.Context, ev events.SQSEvent) (events.SQSEventResponse, error) {
	failed := make([]bool, len(ev.Records))
	// Once a delivery of this batch has paused the channel, the rest of
	// the batch waits in the queue untried.
	paused := new(batchPause)
	slots := make(chan struct{}, r.cfg.Concurrency)
	var wg sync.WaitGroup
	for i, rec := range ev.Records {
		// Taking the slot here starts records in batch order.
		slots <- struct{}{}
		wg.Go(func() {
			defer func() { <-slots }()
			// A panicking delivery is dead-lettered with the panic as its
			// reason: crashing would make SQS redeliver the neighbours that
			// were delivered, and the panic would most likely repeat.
			defer func() {
				if p := recover(); p != nil {
					a := attempt{rec: rec, number: receiveCount(rec)}
					a.msg, _ = message.FromRecord(rec)
					failed[i] = !r.deadLetter(ctx, a, delivery.Permanent(fmt.Sprintf("delivery panicked: %v", p), nil))
				}
			}()
			failed[i] = !r.process(ctx, rec, paused)
		})
	}
	wg.Wait()
	var resp events.SQSEventResponse
	for i, rec := range ev.Records {
		if failed[i] {
			resp.BatchItemFailures = append(resp.BatchItemFailures, events.SQSBatchItemFailure{ItemIdentifier: rec.MessageId})
		}
	}
	return resp, nil
}

// process handles one record and reports whether it is done with (delivered
// or dead-lettered) and may be deleted from the source queue.
func (r *Runtime) process(ctx context.Context, rec events.SQSMessage, paused *batchPause) bool {
	a := attempt{rec: rec, number: receiveCount(rec)}
	m, err := message.FromRecord(rec)
	a.msg = m
	if m.EventIDMismatch() {
		r.warnEventID(ctx, a)
	}
	if err != nil {
		return r.deadLetter(ctx, a, delivery.InvalidMessage(err.Error(), err))
	}
	if paused.done.Load() {
		if a.number > r.cfg.MaxAttempts {
			return r.deadLetter(ctx, a, r.tooManyReceives(a, "while the channel was paused"))
		}
		seconds := r.hide(ctx, a, r.cfg.PauseHold)
		r.logAttempt(ctx, slog.LevelWarn, "not started: the channel is paused", a, OutcomeDeferred, slog.Int("retry_in_s", int(seconds)))
		return false
	}
	if deadline, ok := ctx.Deadline(); ok && time.Until(deadline) < r.timeout+r.cfg.DeadlineMargin {
		// A deferral still counts as a receive. Past MAX_ATTEMPTS receives
		// the queue's RedrivePolicy is near, and it would move the message
		// without a reason: dead-letter it here, with one.
		if a.number > r.cfg.MaxAttempts {
			return r.deadLetter(ctx, a, r.tooManyReceives(a, "and this invocation was about to time out"))
		}
		r.logAttempt(ctx, slog.LevelWarn, "not started: the invocation is about to time out", a, OutcomeDeferred)
		return false
	}

	key, owner := idempotency.Key(m, r.cfg.Channel), ""
	if r.cfg.Idempotency != nil {
		var done, settled bool
		if owner, done, settled = r.claim(ctx, a, key); settled {
			return done
		}
	}

	start := r.cfg.Now()
	err = r.ch.Deliver(ctx, m)
	a.duration = r.cfg.Now().Sub(start)
	if err == nil {
		a.status = "ok"
		var attrs []slog.Attr
		if r.cfg.Idempotency != nil {
			wctx, cancel := r.recordContext(ctx)
			err := r.cfg.Idempotency.Delivered(wctx, key, r.cfg.Now(), a.status, r.cfg.IdempotencyWindow)
			cancel()
			if err != nil {
				attrs = append(attrs, slog.String("idempotency_error", err.Error()+": a redelivery of this event may deliver it again"))
			}
		}
		r.logAttempt(ctx, slog.LevelInfo, "delivered", a, OutcomeDelivered, attrs...)
		r.count(OutcomeDelivered)
		return true
	}
	if r.cfg.Idempotency != nil {
		// Not delivered: a retry, or a redrive of the dead letter, must
		// be able to claim it again.
		wctx, cancel := r.recordContext(ctx)
		err := r.cfg.Idempotency.Release(wctx, key, owner)
		cancel()
		if err != nil {
			r.log.LogAttrs(ctx, slog.LevelWarn, "could not release the idempotency record; the next attempt waits for it to expire",
				slog.String("event_id", m.EventID), slog.String("error", err.Error()))
		}
	}

	de := delivery.Classify(err)
	a.status = status(de)
	switch {
	case de.Class == delivery.ClassRetry && a.number < r.cfg.MaxAttempts:
		r.retry(ctx, a, de)
		return false
	case de.Class == delivery.ClassRetry:
		return r.deadLetter(ctx, a, exhausted(de))
	case de.Class == delivery.ClassMisconfigured && r.cfg.Pauser != nil:
		return r.pause(ctx, a, de, paused)
	default:
		return r.deadLetter(ctx, a, de)
	}
}

// warnEventID says that a message's event_id attribute is missing or is
// not its body's id. The body's id is used all the same: an id taken from
// the attribute would let whoever can send to the queue, or put a letter
// in its DLQ, deliver a body under a genuine event's id (whose own
// delivery would then be skipped as a duplicate), or choose the
// webhook-id a signature covers.
func (r *Runtime) warnEventID(ctx context.Context, a attempt) {
	msg := "the message's event_id attribute is not its body's id: using the body's"
	if a.msg.ClaimedEventID == "" {
		msg = "the message has no event_id attribute: using its body's id"
	}
	r.log.LogAttrs(ctx, slog.LevelWarn, msg,
		slog.String("event_id", a.msg.EventID),
		slog.String("claimed_event_id", delivery.Truncate(a.msg.ClaimedEventID, maxClaimedIDBytes)),
		slog.String("event", a.msg.Event),
		slog.String("message_id", a.rec.MessageId))
}

// maxClaimedIDBytes bounds a claimed id in the log: an attribute may be
// as long as the message.
const maxClaimedIDBytes = 128

// batchPause is one invocation's pause of its channel. The deliveries of
// a batch run at once, and several may find the channel misconfigured:
// the first pauses it, the others wait for that and follow it.
type batchPause struct {
	once    sync.Once
	changed bool  // this invocation paused the channel (it was not paused already)
	err     error // the channel could not be paused
	// done is set once the channel is paused: the records not started
	// yet wait in the queue untried.
	done atomic.Bool
}

// pause stops the channel, whose settings are wrong, and puts the message
// back: it and the ones after it wait in the queue, none dead-lettered
// for a configuration error, until the operator fixes the setting and
// resumes the channel. If the channel cannot be paused, the message is
// dead-lettered with the reason, as without a breaker.
//
// One invocation pauses the channel once, and only the delivery that
// paused it says so, at ERROR, with the command that resumes it: the
// others of the batch, and those of an instance that finds the channel
// paused already, say they were put back, at WARN.
func (r *Runtime) pause(ctx context.Context, a attempt, de *delivery.Error, paused *batchPause) bool {
	if a.number > r.cfg.MaxAttempts {
		// Put back once more, SQS's redrive would move it without a
		// reason: it goes with this one.
		return r.deadLetter(ctx, a, de)
	}
	first := false
	paused.once.Do(func() {
		first = true
		if paused.changed, paused.err = r.cfg.Pauser.Pause(ctx, reason(de)); paused.err != nil {
			r.log.LogAttrs(ctx, slog.LevelError, "could not pause the channel; dead-lettering instead", slog.String("event_id", a.msg.EventID), slog.String("pause_error", paused.err.Error()))
			return
		}
		paused.done.Store(true)
	})
	if paused.err != nil {
		return r.deadLetter(ctx, a, de)
	}
	seconds := r.hide(ctx, a, r.cfg.PauseHold)
	attrs := []slog.Attr{slog.String("failure_class", string(de.Class)), slog.String("error", reason(de)), slog.String("setting", de.Setting), slog.Int("retry_in_s", int(seconds))}
	if !first || !paused.changed {
		r.logAttempt(ctx, slog.LevelWarn, fmt.Sprintf("not delivered: the %s channel is paused (it is misconfigured); the message waits in the queue", r.cfg.Channel), a, OutcomePaused, attrs...)
		return false
	}
	r.logAttempt(ctx, slog.LevelError, fmt.Sprintf("paused the %s channel: it is misconfigured; fix %s, then run %s", r.cfg.Channel, de.Setting, r.cfg.ResumeCommand),
		a, OutcomePaused, append(attrs, slog.String("resume", r.cfg.ResumeCommand))...)
	r.count(OutcomePaused)
	return false
}

// tooManyReceives is the reason a message deferred too often goes to the
// DLQ before SQS's redrive policy (MAX_ATTEMPTS + 2 receives) would move
// it there without one.
func (r *Runtime) tooManyReceives(a attempt, why string) *delivery.Error {
	return exhausted(delivery.Retry(fmt.Sprintf("not attempted: received %d times (MAX_ATTEMPTS %d) %s", a.number, r.cfg.MaxAttempts, why), nil))
}

// recordContext bounds a write to the idempotency store after a delivery:
// it must happen even if the invocation's context just ended (the
// delivery did), but within the margin kept for it, never past the
// Lambda's deadline, where the whole batch would come back.
func (r *Runtime) recordContext(ctx context.Context) (context.Context, context.CancelFunc) {
	return context.WithTimeout(context.WithoutCancel(ctx), r.cfg.DeadlineMargin)
}

// claim checks the idempotency store before a delivery. settled reports
// that the message needs no delivery now, and done whether it may be
// deleted: it was delivered already (a duplicate), or it waits for another
// delivery of the event under way, or the store could not be asked
// (retried: never delivered without the check).
func (r *Runtime) claim(ctx context.Context, a attempt, key string) (owner string, done, settled bool) {
	now := r.cfg.Now()
	held, claimed, err := r.cfg.Idempotency.Claim(ctx, key, now, r.timeout+r.cfg.DeadlineMargin)
	switch {
	case err != nil:
		de := delivery.Retry("not attempted: the idempotency store could not be asked: "+err.Error(), err)
		a.status = "idempotency_store"
		if a.number >= r.cfg.MaxAttempts {
			return "", r.deadLetter(ctx, a, exhausted(de)), true
		}
		r.retry(ctx, a, de)
		return "", false, true
	case claimed:
		return held.Owner, false, false
	case held.State == idempotency.Delivered:
		a.status = "duplicate"
		r.logAttempt(ctx, slog.LevelInfo, "not delivered again: already delivered", a, OutcomeDuplicate,
			slog.Time("delivered_at", held.DeliveredAt), slog.String("idempotency_key", key))
		r.count(OutcomeDuplicate)
		return "", true, true
	default:
		// Another delivery of the event is under way (or crashed): look
		// again once its claim has expired.
		if a.number > r.cfg.MaxAttempts {
			return "", r.deadLetter(ctx, a, r.tooManyReceives(a, "while another delivery of the event held it")), true
		}
		wait := max(held.ExpiresAt.Sub(now)+time.Second, time.Second)
		seconds := r.hide(ctx, a, wait)
		r.logAttempt(ctx, slog.LevelInfo, "not started: another delivery of this event is in progress", a, OutcomeDeferred,
			slog.Int("retry_in_s", int(seconds)), slog.String("idempotency_key", key))
		return "", false, true
	}
}

// retry hides the message from the source queue until its next attempt is
// due. If the change fails, the queue's own visibility timeout applies:
// the message comes back sooner, never later and never lost.
func (r *Runtime) retry(ctx context.Context, a attempt, de *delivery.Error) {
	seconds, err := r.setVisibility(ctx, a, r.cfg.delay(a.number, de.RetryAfter))
	attrs := []slog.Attr{slog.String("error", de.Reason), slog.Int("retry_in_s", int(seconds))}
	if err != nil {
		attrs = append(attrs, slog.String("visibility_error", err.Error()))
	}
	r.logAttempt(ctx, slog.LevelWarn, "delivery failed, will retry", a, OutcomeRetried, attrs...)
	r.count(OutcomeRetried)
}

// hide is setVisibility for a wait that is no failure: an error is logged
// and the queue's visibility timeout applies.
func (r *Runtime) hide(ctx context.Context, a attempt, wait time.Duration) int32 {
	seconds, err := r.setVisibility(ctx, a, wait)
	if err != nil {
		r.log.LogAttrs(ctx, slog.LevelWarn, "could not change the message's visibility", slog.String("event_id", a.msg.EventID), slog.String("visibility_error", err.Error()))
	}
	return seconds
}

func (r *Runtime) setVisibility(ctx context.Context, a attempt, wait time.Duration) (int32, error) {
	seconds := int32(math.Ceil(wait.Seconds()))
	_, err := r.q.ChangeMessageVisibility(ctx, &sqs.ChangeMessageVisibilityInput{
		QueueUrl:          aws.String(r.cfg.QueueURL),
		ReceiptHandle:     aws.String(a.rec.ReceiptHandle),
		VisibilityTimeout: seconds,
	})
	return seconds, err
}

// deadLetter sends the message to the DLQ with the reason and reports
// whether that worked; if not, the record is reported failed so that SQS
// brings it back (and, as a last resort, its redrive policy moves it).
func (r *Runtime) deadLetter(ctx context.Context, a attempt, de *delivery.Error) bool {
	failure := dlq.Failure{
		Channel:         r.cfg.Channel,
		Class:           de.Class,
		Status:          a.status,
		Error:           reason(de),
		Attempts:        a.number,
		FirstReceivedAt: dlq.MillisTime(a.rec.Attributes[string(sqstypes.MessageSystemAttributeNameApproximateFirstReceiveTimestamp)]),
	}
	if failure.Status == "" {
		failure.Status = "none"
	}
	// The letter carries the body's id, whatever the message claimed.
	original := recordAttributes(a.rec)
	original[message.AttrEventID] = message.String(nicechat.EventIDString(a.rec.Body))
	_, err := r.q.SendMessage(ctx, &sqs.SendMessageInput{
		QueueUrl:          aws.String(r.cfg.DLQURL),
		MessageBody:       aws.String(a.rec.Body),
		MessageAttributes: dlq.Attributes(original, failure),
	})
	attrs := []slog.Attr{slog.String("failure_class", string(de.Class)), slog.String("error", failure.Error)}
	if err != nil {
		attrs = append(attrs, slog.String("dead_letter_error", err.Error()))
		r.logAttempt(ctx, slog.LevelError, "dead-lettering failed, the message stays on the queue", a, OutcomeDeadLetterFailed, attrs...)
		r.count(OutcomeRetried)
		return false
	}
	level, msg := slog.LevelWarn, "dead-lettered"
	if de.Class == delivery.ClassMisconfigured {
		level, msg = slog.LevelError, fmt.Sprintf("dead-lettered: the %s channel is misconfigured, fix %s", r.cfg.Channel, de.Setting)
		attrs = append(attrs, slog.String("setting", de.Setting))
	}
	r.logAttempt(ctx, level, msg, a, OutcomeDeadLettered, attrs...)
	r.count(OutcomeDeadLettered)
	return true
}

// exhausted is a retryable failure that has used up its attempts.
func exhausted(de *delivery.Error) *delivery.Error {
	out := *de
	out.Class = delivery.ClassExhausted
	return &out
}

// count records an outcome in the metrics and tells OnOutcome.
func (r *Runtime) count(outcome string) {
	r.metrics.write(outcome)
	if r.cfg.OnOutcome != nil {
		r.cfg.OnOutcome(outcome)
	}
}

// attempt is what is known about one record's processing, for the log.
type attempt struct {
	rec      events.SQSMessage
	msg      message.Message
	number   int
	status   string
	duration time.Duration
}

func (r *Runtime) logAttempt(ctx context.Context, level slog.Level, msg string, a attempt, outcome string, extra ...slog.Attr) {
	attrs := append([]slog.Attr{
		slog.String("event_id", a.msg.EventID),
		slog.String("event", a.msg.Event),
		slog.Int("attempt", a.number),
		slog.String("outcome", outcome),
		slog.String("status", a.status),
		slog.Int64("duration_ms", a.duration.Milliseconds()),
		slog.String("message_id", a.rec.MessageId),
	}, extra...)
	r.log.LogAttrs(ctx, level, msg, attrs...)
	if r.cfg.OnReport != nil {
		r.cfg.OnReport(r.report(a, outcome, extra))
	}
}

// Report is what the runtime did with one record, as its log line tells
// it: for a program that runs the runtime and follows events through it
// (the local relay answers GET /api/events/{id} from these).
type Report struct {
	EventID   string
	Event     string
	Format    message.Format // email's tech or human; empty for other channels
	MessageID string
	Outcome   string // one of the Outcome constants
	Attempt   int
	Status    string // the far end's answer: 500, MessageRejected, ok
	Error     string
	RetryIn   time.Duration // when the record is tried again, if it is
	At        time.Time
}

func (r *Runtime) report(a attempt, outcome string, extra []slog.Attr) Report {
	rep := Report{
		EventID: a.msg.EventID, Event: a.msg.Event, Format: a.msg.Format, MessageID: a.rec.MessageId,
		Outcome: outcome, Attempt: a.number, Status: a.status, At: r.cfg.Now(),
	}
	for _, attr := range extra {
		switch attr.Key {
		case "error":
			rep.Error = attr.Value.String()
		case "retry_in_s":
			rep.RetryIn = time.Duration(attr.Value.Int64()) * time.Second
		}
	}
	return rep
}

// reason is what a person reads in the dead letter: the failure's reason
// and, for a misconfiguration, the setting to fix.
func reason(de *delivery.Error) string {
	s := de.Reason
	if de.Setting != "" {
		s += " (fix " + de.Setting + ")"
	}
	if s == "" {
		s = "unknown failure"
	}
	return delivery.Truncate(s, delivery.MaxReasonBytes)
}

// status is the AWS or Slack error code, else the HTTP status: the code
// says more ("MessageRejected", "channel_not_found") than the 400 or 404
// it came with.
func status(de *delivery.Error) string {
	if de.Code != "" {
		return de.Code
	}
	if de.Status != 0 {
		return strconv.Itoa(de.Status)
	}
	return ""
}

// receiveCount is the attempt number: how many times SQS has handed the
// message out, this time included.
func receiveCount(rec events.SQSMessage) int {
	n, err := strconv.Atoi(rec.Attributes[string(sqstypes.MessageSystemAttributeNameApproximateReceiveCount)])
	if err != nil || n < 1 {
		return 1
	}
	return n
}

// recordAttributes converts the record's attributes back to what
// SendMessage takes; list values are not supported by SQS and are dropped.
func recordAttributes(rec events.SQSMessage) map[string]sqstypes.MessageAttributeValue {
	out := make(map[string]sqstypes.MessageAttributeValue, len(rec.MessageAttributes))
	for name, v := range rec.MessageAttributes {
		if v.StringValue == nil && v.BinaryValue == nil {
			continue
		}
		out[name] = sqstypes.MessageAttributeValue{DataType: aws.String(v.DataType), StringValue: v.StringValue, BinaryValue: v.BinaryValue}
	}
	return out
}
