package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"math/rand/v2"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	fixtures "github.com/nicechat-relay/nicechat-relay/events"
	"github.com/nicechat-relay/nicechat-relay/shared/consumer"
	"github.com/nicechat-relay/nicechat-relay/shared/localrelay"
	"github.com/nicechat-relay/nicechat-relay/shared/nicechat"
)

// demoWait is how long make demo waits for the channels to settle the
// events it posted before it says which are still pending.
const demoWait = 30 * time.Second

// demoOptions are what one run of the demo posts and how long it waits.
type demoOptions struct {
	// visitor and chat are the lead the run's events are about: new ones
	// on each run, so that each event is new to the relay and delivered
	// (the same bodies again would be skipped as duplicates).
	visitor, chat int64
	wait          time.Duration // for the outcomes
	poll          time.Duration // between two looks at them
}

// demo posts every events/ fixture to the running relay, as Nice Chat
// would, and prints what ingest answered, then what each channel did with
// each event. The event types are posted about a new visitor and chat on
// each run; the vendor's malformed examples as they are. It finds the
// relay as relayctl does, from the relay.json the relay keeps in its data
// directory (RELAY_DATA_DIR); RELAY_ADDR, when set, names the callback
// listener instead. The relay's token is read from CALLBACK_TOKEN or the
// data directory, as the relay itself reads it.
func demo(ctx context.Context, getenv func(string) string, stdout, stderr io.Writer) int {
	return runDemo(ctx, getenv, stdout, stderr, demoOptions{
		visitor: 100000 + rand.Int64N(900000),
		chat:    100000 + rand.Int64N(900000),
		wait:    demoWait,
		poll:    200 * time.Millisecond,
	})
}

// posted is one event the demo posted and the relay accepted.
type posted struct {
	name   string
	id     string
	routes []string // as ingest's 202 names them
	// before is what the relay knew of the event before the demo posted
	// it: an outcome no later than that one is an earlier post's.
	before eventStatus
}

func runDemo(ctx context.Context, getenv func(string) string, stdout, stderr io.Writer, opts demoOptions) int {
	dataDir := localrelay.DataDir(getenv)
	base, admin := "", "http://"+defaultAdminAddr
	running, err := localrelay.Find(dataDir)
	if err == nil {
		base, admin = running.CallbackURL, running.AdminURL
	} else if getenv(envAddr) == "" {
		fmt.Fprintf(stderr, "relay demo: %v\nStart the relay first: make run (make demo needs the relay's %s, when it has one)\n", err, envDataDir)
		return 1
	}
	if v := getenv(envAddr); v != "" {
		base = "http://" + v
	}
	if v := getenv(envAdminAddr); v != "" {
		admin = "http://" + v
	}
	token := getenv("CALLBACK_TOKEN")
	if token == "" {
		var err error
		token, err = readToken(dataDir)
		switch {
		case err != nil && running.PID != 0:
			// The relay runs on this data directory, so it took its
			// token from its environment and kept none here.
			fmt.Fprintf(stderr, "relay demo: %v\nThe relay at %s was started with CALLBACK_TOKEN set: give make demo the same CALLBACK_TOKEN\n", err, base)
			return 1
		case err != nil:
			fmt.Fprintf(stderr, "relay demo: %v\nStart the relay first: make run\n", err)
			return 1
		}
	}
	client := &http.Client{Timeout: 30 * time.Second}
	fmt.Fprintf(stdout, "Posting the examples about a new lead, visitor %d and chat %d: new events, which every channel delivers again.\n\n", opts.visitor, opts.chat)
	failed := 0
	var accepted []posted
	for _, name := range storyOrder(fixtures.Names()) {
		// The vendor's malformed examples are meant to be refused.
		body, want := fixtures.Body(name), http.StatusBadRequest
		if !strings.HasPrefix(name, "invalid_") {
			body, want = fixtures.ForVisitorChat(name, opts.visitor, opts.chat), http.StatusAccepted
		}
		// What the relay knew of the event before, if anything: the same
		// body posted again (a run with the same lead) has its id, and
		// the outcome to report is the new post's.
		id := nicechat.EventID(body)
		before, err := fetchEventStatus(ctx, client, admin, id)
		if err != nil {
			fmt.Fprintf(stderr, "relay demo: %v\n", err)
			return 1
		}
		r, err := http.NewRequestWithContext(ctx, http.MethodPost, base+"/callback/"+token, bytes.NewReader(body))
		if err != nil {
			fmt.Fprintf(stderr, "relay demo: %v\n", err)
			return 1
		}
		r.Header.Set("Content-Type", "application/json")
		resp, err := client.Do(r)
		if err != nil {
			fmt.Fprintf(stderr, "relay demo: is the relay running on %s? %v\nStart it with: make run\n", base, err)
			return 1
		}
		answer, _ := io.ReadAll(io.LimitReader(resp.Body, 4096))
		resp.Body.Close()
		fmt.Fprintf(stdout, "%-18s %d %s\n", name, resp.StatusCode, compact(answer))
		if resp.StatusCode != want {
			failed++
		}
		if resp.StatusCode == http.StatusUnauthorized {
			fmt.Fprintf(stderr, "relay demo: the relay on %s refused the token: give the demo the relay's own settings (the same RELAY_DATA_DIR, or CALLBACK_TOKEN, as the relay)\n", base)
			return 1
		}
		var receipt struct {
			ID       string   `json:"id"`
			Channels []string `json:"channels"`
		}
		if resp.StatusCode == http.StatusAccepted && json.Unmarshal(answer, &receipt) == nil && receipt.ID != "" {
			accepted = append(accepted, posted{name: name, id: receipt.ID, routes: receipt.Channels, before: before})
		}
	}
	if len(accepted) > 0 {
		if err := reportOutcomes(ctx, client, admin, accepted, opts, stdout); err != nil {
			fmt.Fprintf(stderr, "relay demo: what became of the events: %v\n", err)
		}
	}
	fmt.Fprintf(stdout, "\nSee what happened: %s/ (or %s/api/status)\n", admin, admin)
	if failed > 0 {
		fmt.Fprintf(stderr, "relay demo: %d fixture(s) got an unexpected answer\n", failed)
		return 1
	}
	return 0
}

// storyOrder puts the event types in the order a lead's story happens in
// (nicechat.KnownTypes: a visitor, a chat, its first message, ...), then
// the rest, as they were.
func storyOrder(names []string) []string {
	rank := func(name string) int {
		if i := slices.Index(nicechat.KnownTypes, name); i >= 0 {
			return i
		}
		return len(nicechat.KnownTypes)
	}
	names = slices.Clone(names)
	slices.SortStableFunc(names, func(a, b string) int { return rank(a) - rank(b) })
	return names
}

// reportOutcomes asks the relay's admin listener what each route did with
// each event until every one is settled (delivered, skipped as a
// duplicate, dead-lettered, or waiting for a paused channel) or opts.wait
// has passed, and prints one line per event and route.
func reportOutcomes(ctx context.Context, client *http.Client, admin string, events []posted, opts demoOptions, stdout io.Writer) error {
	statuses := make([]eventStatus, len(events))
	deadline := time.Now().Add(opts.wait)
	for {
		settled := true
		for i, ev := range events {
			st, err := fetchEventStatus(ctx, client, admin, ev.id)
			if err != nil {
				return err
			}
			statuses[i] = st
			for _, route := range ev.routes {
				d, known := ev.outcome(st, route)
				settled = settled && (known && d.Final || pausedFor(st, route) != nil)
			}
		}
		if settled || !time.Now().Before(deadline) {
			break
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(min(opts.poll, time.Until(deadline))):
		}
	}

	fmt.Fprintf(stdout, "\nWhat became of them:\n")
	pending, deadIn, paused := 0, []string{}, map[string]pausedChannel{}
	for i, ev := range events {
		if len(ev.routes) == 0 {
			fmt.Fprintf(stdout, "%-18s %-13s %s\n", ev.name, "-", "routed to no channel")
		}
		for _, route := range ev.routes {
			d, known := ev.outcome(statuses[i], route)
			p := pausedFor(statuses[i], route)
			fmt.Fprintf(stdout, "%-18s %-13s %s\n", ev.name, route, describeOutcome(d, known, p))
			switch {
			case known && d.Outcome == consumer.OutcomeDeadLettered:
				if ch := channelOfRoute(route); !slices.Contains(deadIn, ch) {
					deadIn = append(deadIn, ch)
				}
			case known && d.Final:
			case p != nil:
				paused[p.Channel] = *p
			default:
				pending++
			}
		}
	}
	for _, ch := range deadIn {
		fmt.Fprintf(stdout, "Dead letters of %s, with their reasons: go run ./cmd/relayctl dlq list --relay %s --channel %s\n", ch, admin, ch)
	}
	for _, ch := range slices.Sorted(maps.Keys(paused)) {
		fmt.Fprintf(stdout, "The %s channel is paused (%s); once the cause is fixed: %s\n", ch, paused[ch].Reason, paused[ch].Resume)
	}
	if pending > 0 {
		what := fmt.Sprintf("%d deliveries are", pending)
		if pending == 1 {
			what = "1 delivery is"
		}
		fmt.Fprintf(stdout, "%s still pending after %s: the relay keeps at them. Watch %s/ (or GET %s/api/events/<id>), or the relay's log by event_id.\n",
			what, opts.wait.Round(time.Second), admin, admin)
	}
	return nil
}

func fetchEventStatus(ctx context.Context, client *http.Client, admin, id string) (eventStatus, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, admin+"/api/events/"+url.PathEscape(id), nil)
	if err != nil {
		return eventStatus{}, err
	}
	resp, err := client.Do(req)
	if err != nil {
		return eventStatus{}, fmt.Errorf("is the relay's admin listener on %s? %w", admin, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode == http.StatusNotFound {
		return eventStatus{}, fmt.Errorf("the relay on %s does not say what became of an event: restart it (make run) to get one that does", admin)
	}
	if resp.StatusCode != http.StatusOK {
		b, _ := io.ReadAll(io.LimitReader(resp.Body, 4096))
		return eventStatus{}, fmt.Errorf("%s/api/events/%s answered %d %s", admin, id, resp.StatusCode, compact(b))
	}
	var st eventStatus
	if err := json.NewDecoder(io.LimitReader(resp.Body, 1<<20)).Decode(&st); err != nil {
		return eventStatus{}, fmt.Errorf("%s/api/events/%s: %w", admin, id, err)
	}
	return st, nil
}

// outcome is what route did with the event since the demo posted it.
func (p posted) outcome(st eventStatus, route string) (deliveryOutcome, bool) {
	var seen int64
	for _, d := range p.before.Deliveries {
		if d.Channel == route {
			seen = d.Seq
		}
	}
	for _, d := range st.Deliveries {
		if d.Channel == route && d.Seq > seen {
			return d, true
		}
	}
	return deliveryOutcome{}, false
}

// pausedFor is the paused channel a route belongs to, nil when it is not
// paused.
func pausedFor(st eventStatus, route string) *pausedChannel {
	for i, p := range st.Paused {
		if p.Channel == channelOfRoute(route) {
			return &st.Paused[i]
		}
	}
	return nil
}

// channelOfRoute is email for email:human.
func channelOfRoute(route string) string {
	channel, _, _ := strings.Cut(route, ":")
	return channel
}

// describeOutcome says in a few words what a route did with an event.
func describeOutcome(d deliveryOutcome, known bool, paused *pausedChannel) string {
	switch {
	case known && d.Outcome == consumer.OutcomeDelivered:
		return "delivered"
	case known && d.Outcome == consumer.OutcomeDuplicate:
		return "skipped as a duplicate: delivered before, within IDEMPOTENCY_WINDOW"
	case known && d.Outcome == consumer.OutcomeDeadLettered:
		return fmt.Sprintf("dead-lettered after %s: %s", count(d.Attempt, "attempt"), failure(d))
	case paused != nil:
		return fmt.Sprintf("waiting: the %s channel is paused", paused.Channel)
	case !known:
		return "pending: not attempted yet"
	case d.Outcome == consumer.OutcomeRetried:
		return fmt.Sprintf("still retrying: attempt %d failed (%s), next in %ds", d.Attempt, failure(d), d.RetryInS)
	}
	return fmt.Sprintf("pending: %s at attempt %d, to be tried again", d.Outcome, d.Attempt)
}

// failure is a failed attempt's status and reason.
func failure(d deliveryOutcome) string {
	switch {
	case d.Status == "" || d.Status == "none" || strings.Contains(d.Error, d.Status):
		return d.Error
	case d.Error == "":
		return d.Status
	}
	return d.Status + ": " + d.Error
}

func readToken(dataDir string) (string, error) {
	b, err := os.ReadFile(filepath.Join(dataDir, tokenFile))
	if err != nil {
		return "", fmt.Errorf("no callback token in %s (%w)", dataDir, err)
	}
	return strings.TrimSpace(string(b)), nil
}

func compact(b []byte) string {
	var out bytes.Buffer
	if json.Compact(&out, b) != nil {
		return strings.TrimSpace(string(b))
	}
	return out.String()
}
