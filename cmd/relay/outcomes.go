package main

import (
	"context"
	"log/slog"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/nicechat-relay/nicechat-relay/shared/consumer"
	"github.com/nicechat-relay/nicechat-relay/shared/message"
)

// maxTrackedEvents bounds what the relay remembers of events' outcomes:
// the oldest are forgotten first. make demo asks about the few it has
// just posted.
const maxTrackedEvents = 10000

// deliveryOutcome is what one route (a channel, and for email its
// format) last did with an event, as its consumer logged it.
type deliveryOutcome struct {
	Channel string `json:"channel"` // the route, as ingest's 202 names it: webhook, email:human
	// Seq orders the outcomes the relay has kept since it started: one
	// with a higher Seq came later. A client that looks before it posts
	// an event again tells the new outcome from the old by it.
	Seq int64 `json:"seq"`
	// Outcome is the consumer's (consumer.Outcome…): delivered,
	// duplicate, dead_lettered, retried, deferred, paused,
	// dead_letter_failed.
	Outcome string `json:"outcome"`
	// Final: delivered, skipped as a duplicate or dead-lettered; nothing
	// more happens unless the event is posted again or redriven.
	Final    bool      `json:"final"`
	Attempt  int       `json:"attempt"`
	Status   string    `json:"status,omitempty"` // the far end's answer: 500, MessageRejected, ok
	Error    string    `json:"error,omitempty"`
	RetryInS int       `json:"retry_in_s,omitempty"` // when it is tried again
	At       time.Time `json:"at"`
}

func finalOutcome(outcome string) bool {
	switch outcome {
	case consumer.OutcomeDelivered, consumer.OutcomeDuplicate, consumer.OutcomeDeadLettered:
		return true
	}
	return false
}

// eventOutcomes keeps, per event and route, the latest outcome since the
// relay started, for GET /api/events/{id}.
type eventOutcomes struct {
	mu    sync.Mutex
	by    map[string]map[string]deliveryOutcome // event id → route → latest
	order []string                              // event ids, oldest first
	limit int
	seq   int64
}

func newEventOutcomes(limit int) *eventOutcomes {
	return &eventOutcomes{by: map[string]map[string]deliveryOutcome{}, limit: limit}
}

func (o *eventOutcomes) record(eventID string, d deliveryOutcome) {
	o.mu.Lock()
	defer o.mu.Unlock()
	routes, ok := o.by[eventID]
	if !ok {
		routes = map[string]deliveryOutcome{}
		o.by[eventID] = routes
		o.order = append(o.order, eventID)
		for len(o.order) > o.limit {
			delete(o.by, o.order[0])
			o.order = o.order[1:]
		}
	}
	o.seq++
	d.Seq = o.seq
	routes[d.Channel] = d
}

// of lists an event's outcomes by route; [] when none is known.
func (o *eventOutcomes) of(eventID string) []deliveryOutcome {
	o.mu.Lock()
	defer o.mu.Unlock()
	out := []deliveryOutcome{}
	for _, d := range o.by[eventID] {
		out = append(out, d)
	}
	slices.SortFunc(out, func(a, b deliveryOutcome) int { return strings.Compare(a.Channel, b.Channel) })
	return out
}

// routesKey is the context key of a batch's routes by message id, which
// watch puts where the consumer's log lines find it.
type routesKey struct{}

// watch wraps one channel's batch handler so that what its consumer logs
// about each record is kept, under the record's route.
func (o *eventOutcomes) watch(channel string, h batchHandler) batchHandler {
	return func(ctx context.Context, ev events.SQSEvent) (events.SQSEventResponse, error) {
		routes := make(map[string]string, len(ev.Records))
		for _, rec := range ev.Records {
			routes[rec.MessageId] = routeOf(channel, rec)
		}
		return h(context.WithValue(ctx, routesKey{}, routes), ev)
	}
}

// routeOf is a record's route as ingest names it: the channel, and the
// format for a channel with several.
func routeOf(channel string, rec events.SQSMessage) string {
	if a, ok := rec.MessageAttributes[message.AttrFormat]; ok && a.StringValue != nil && *a.StringValue != "" {
		return channel + ":" + *a.StringValue
	}
	return channel
}

// logger is the log a channel's consumer writes to: the relay's, through
// a handler that also keeps each record's outcome. The consumer tells
// what it did with a record, by event id, only in its log line (its
// OnOutcome hook gets the outcome alone), so that line is read here.
func (o *eventOutcomes) logger(channel string, log *slog.Logger) *slog.Logger {
	return slog.New(outcomeTap{next: log.Handler(), channel: channel, outcomes: o})
}

type outcomeTap struct {
	next     slog.Handler
	channel  string
	outcomes *eventOutcomes
}

// Enabled is true at every level: an outcome is kept even when its line
// is below the log's level.
func (h outcomeTap) Enabled(context.Context, slog.Level) bool { return true }

func (h outcomeTap) Handle(ctx context.Context, rec slog.Record) error {
	var eventID, messageID string
	d := deliveryOutcome{At: rec.Time}
	rec.Attrs(func(a slog.Attr) bool {
		switch a.Key {
		case "event_id":
			eventID = a.Value.String()
		case "message_id":
			messageID = a.Value.String()
		case "outcome":
			d.Outcome = a.Value.String()
		case "attempt":
			d.Attempt = int(a.Value.Int64())
		case "status":
			d.Status = a.Value.String()
		case "error":
			d.Error = a.Value.String()
		case "retry_in_s":
			d.RetryInS = int(a.Value.Int64())
		}
		return true
	})
	if eventID != "" && d.Outcome != "" {
		d.Channel = h.channel
		if routes, ok := ctx.Value(routesKey{}).(map[string]string); ok && routes[messageID] != "" {
			d.Channel = routes[messageID]
		}
		d.Final = finalOutcome(d.Outcome)
		h.outcomes.record(eventID, d)
	}
	if !h.next.Enabled(ctx, rec.Level) {
		return nil
	}
	return h.next.Handle(ctx, rec)
}

func (h outcomeTap) WithAttrs(attrs []slog.Attr) slog.Handler {
	h.next = h.next.WithAttrs(attrs)
	return h
}

func (h outcomeTap) WithGroup(name string) slog.Handler {
	h.next = h.next.WithGroup(name)
	return h
}

// eventStatus is GET /api/events/{id}: what each route has done with the
// event since the relay started. A route that is not listed has not
// handled it yet, or was not routed it (ingest's 202 names the routes).
type eventStatus struct {
	EventID    string            `json:"event_id"`
	Deliveries []deliveryOutcome `json:"deliveries"`
	// Paused are the channels that are paused: what waits for them is
	// delivered once they are resumed.
	Paused []pausedChannel `json:"paused"`
}

type pausedChannel struct {
	Channel string    `json:"channel"`
	Reason  string    `json:"reason"`
	Since   time.Time `json:"since"`
	Resume  string    `json:"resume"` // the command that resumes it
}

func (r *relay) eventRoute(w http.ResponseWriter, req *http.Request) {
	writeJSON(w, http.StatusOK, eventStatus{
		EventID:    req.PathValue("id"),
		Deliveries: r.outcomes.of(req.PathValue("id")),
		Paused:     r.pausedChannels(),
	})
}

func (r *relay) pausedChannels() []pausedChannel {
	out := []pausedChannel{}
	for _, c := range r.channels {
		if st := r.pauses.status(c.name); st.Paused {
			out = append(out, pausedChannel{Channel: c.name, Reason: st.Reason, Since: st.Since, Resume: resumeCommand(r.admin, c.name)})
		}
	}
	return out
}

// resumeCommand is the whole command that resumes a paused channel of the
// relay whose admin listener is admin.
func resumeCommand(admin, channel string) string {
	return "go run ./cmd/relayctl channel resume --relay " + admin + " --channel " + channel
}
