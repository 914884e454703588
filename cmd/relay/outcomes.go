package main

import (
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/nicechat-relay/nicechat-relay/shared/consumer"
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

// reporter keeps what one channel's consumer reports doing with each
// record, under the record's route.
func (o *eventOutcomes) reporter(channel string) func(consumer.Report) {
	return func(rep consumer.Report) {
		route := channel
		if rep.Format != "" {
			route += ":" + string(rep.Format)
		}
		o.record(rep.EventID, deliveryOutcome{
			Channel: route, Outcome: rep.Outcome, Final: finalOutcome(rep.Outcome), Attempt: rep.Attempt,
			Status: rep.Status, Error: rep.Error, RetryInS: int(rep.RetryIn / time.Second), At: rep.At,
		})
	}
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
