package slack

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	slackapi "github.com/slack-go/slack"

	"github.com/nicechat-relay/nicechat-relay/shared/delivery"
	"github.com/nicechat-relay/nicechat-relay/shared/docstore"
	"github.com/nicechat-relay/nicechat-relay/shared/duration"
	"github.com/nicechat-relay/nicechat-relay/shared/humanize"
	"github.com/nicechat-relay/nicechat-relay/shared/nicechat"
)

// thread is a visitor's Slack thread as the store keeps it: the root's
// ts once it is posted, the claim of the delivery posting it meanwhile,
// and the steps of the lead's story, each with the ts of the message that
// told it once that is posted. It holds no visitor data beyond the steps'
// few words.
type thread struct {
	TS     string `json:"ts,omitempty"`
	Opener string `json:"opener,omitempty"`
	OpenBy int64  `json:"open_by,omitempty"` // the opener's claim ends, in Unix milliseconds
	Steps  []step `json:"steps,omitempty"`
	// Earlier counts the steps dropped from the record to keep it within
	// its bounds: the summary line still counts them.
	Earlier int `json:"earlier,omitempty"`
}

// step is one event of the visitor, in arrival order.
type step struct {
	Event  string `json:"event"`
	Type   string `json:"type"`
	At     int64  `json:"at,omitempty"` // when it happened by its own data, Unix seconds
	Label  string `json:"label"`        // plain text, in the channel's language
	Posted string `json:"posted,omitempty"`
}

// Bounds of a thread record and its summary line.
const (
	// maxSteps bounds the record: a visitor with more events in the
	// thread's lifetime has its earliest arrivals counted, no longer
	// named, in the summary.
	maxSteps = 100
	// maxRecordBytes bounds the record's JSON, which the store keeps in
	// one item: DynamoDB's item is at most 400 KB, key and version
	// included. Steps are dropped and counted as maxSteps does to stay
	// within it, which only labels far longer than usual need.
	maxRecordBytes = 64 << 10
	// recordRoom is what the record's other fields take at most: the
	// root's ts, the opener's claim, the count of earlier steps and the
	// JSON around them.
	recordRoom = 512
	// maxLabelBytes bounds a step's label, a few words of the summary
	// line (an order's totals are in as many currencies, each named as the
	// shop sent it, as the order has): a longer one is cut at a
	// character, with an ellipsis.
	maxLabelBytes = 256
	// shownSteps are the steps the summary line names; earlier ones are
	// counted.
	shownSteps = 12
	// maxSaveTries bounds the re-reads of a record changed by another
	// delivery meanwhile.
	maxSaveTries = 10
	// maxUpdates bounds the summary updates of one delivery: another
	// delivery adding a step meanwhile updates the line itself.
	maxUpdates = 3
	// afterPostTimeout bounds the store write that follows a post (and
	// is kept out of the rest of the delivery's time, see Timeout).
	afterPostTimeout = 2 * time.Second
)

// threadKey is the store key of a visitor's thread in one channel.
func threadKey(channel string, visitor int64) string {
	return "slack-thread#" + channel + "#" + strconv.FormatInt(visitor, 10)
}

func (th *thread) find(event string) *step {
	for i := range th.Steps {
		if th.Steps[i].Event == event {
			return &th.Steps[i]
		}
	}
	return nil
}

// add records s unless its event is there already. The earliest
// arrivals (never s) make room for it, counted in Earlier, when the
// record would hold more than maxSteps steps or maxRecordBytes bytes.
func (th *thread) add(s step) {
	if th.find(s.Event) != nil {
		return
	}
	th.Steps = append(th.Steps, s)
	sizes := make([]int, len(th.Steps))
	total := 0
	for i, st := range th.Steps {
		sizes[i] = stepBytes(st)
		total += sizes[i]
	}
	drop := 0
	for len(th.Steps)-drop > 1 && (len(th.Steps)-drop > maxSteps || total > maxRecordBytes-recordRoom) {
		total -= sizes[drop]
		drop++
	}
	if drop > 0 {
		th.Steps = slices.Delete(th.Steps, 0, drop)
		th.Earlier += drop
	}
}

// postedReserve stands for the ts of a step not posted yet in its size:
// longer than any Slack gives ("1503435956.000247").
const postedReserve = "0000000000.0000000000000"

// stepBytes is what s takes in the record's JSON, its ts included once
// it is posted, and its comma.
func stepBytes(s step) int {
	if s.Posted == "" {
		s.Posted = postedReserve
	}
	b, _ := json.Marshal(s)
	return len(b) + 1
}

// label is the step's words for e, at most maxLabelBytes long.
func label(e *nicechat.Event, opts humanize.Options) string {
	s := humanize.Step(e, opts)
	if len(s) <= maxLabelBytes {
		return s
	}
	cut := maxLabelBytes - len("…")
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return strings.TrimRightFunc(s[:cut], unicode.IsSpace) + "…"
}

// drop forgets the event's step unless it was posted; it reports whether
// there was one to forget.
func (th *thread) drop(event string) bool {
	i := slices.IndexFunc(th.Steps, func(s step) bool { return s.Event == event && s.Posted == "" })
	if i < 0 {
		return false
	}
	th.Steps = slices.Delete(th.Steps, i, i+1)
	return true
}

// rank is an event type's place in a lead's story, the vendor's order:
// visit, chat, first message, unanswered, order, form.
func rank(eventType string) int {
	if i := slices.Index(nicechat.KnownTypes, eventType); i >= 0 {
		return i
	}
	return len(nicechat.KnownTypes)
}

// story is the steps in the lead's order, whatever order they arrived
// in: by the place of their type in a lead's story, then by when they
// happened, then by arrival.
func (th *thread) story() []step {
	out := slices.Clone(th.Steps)
	slices.SortStableFunc(out, func(a, b step) int {
		if d := rank(a.Type) - rank(b.Type); d != 0 {
			return d
		}
		switch {
		case a.At != 0 && b.At != 0 && a.At < b.At:
			return -1
		case a.At != 0 && b.At != 0 && a.At > b.At:
			return 1
		}
		return 0
	})
	return out
}

// summaryAttachment is the root's summary line, in an attachment: Slack
// keeps a message's blocks when chat.update sends only its attachments,
// so the line changes and the root's own text, which the relay does not
// keep, stays as posted.
type summaryAttachment struct {
	Color    string           `json:"color"`
	Fallback string           `json:"fallback"`
	Blocks   []slackapi.Block `json:"blocks"`
}

// same reports whether two summaries show the same.
func (a summaryAttachment) same(b summaryAttachment) bool {
	ja, _ := json.Marshal(a)
	jb, _ := json.Marshal(b)
	return string(ja) == string(jb)
}

// Colours of the summary's bar: the lead bought or wrote in, waits for
// an answer, or is under way.
const (
	colorDone    = "#2eb67d"
	colorWaiting = "#e01e5a"
	colorOpen    = "#9e9e9e"
)

// summary is the root's summary line for the thread's steps.
func summary(th *thread, cat *humanize.Catalog) summaryAttachment {
	story := th.story()
	color := colorOpen
	for _, s := range story {
		switch s.Type {
		case nicechat.TypeUnanswered:
			if color == colorOpen {
				color = colorWaiting
			}
		case nicechat.TypeNewOrder, nicechat.TypePushForm:
			color = colorDone
		}
	}
	var parts []string
	if earlier := len(story) - shownSteps + th.Earlier; earlier > 0 {
		parts = append(parts, "_"+cat.Plural(humanize.KeyEarlierSteps, int64(earlier), escape)+"_")
		story = story[max(len(story)-shownSteps, 0):]
	}
	plain := make([]string, 0, len(story))
	for _, s := range story {
		parts = append(parts, escape(s.Label))
		plain = append(plain, s.Label)
	}
	text := truncateMrkdwn(strings.Join(parts, " → "), maxSectionText)
	return summaryAttachment{
		Color:    color,
		Fallback: truncateMrkdwn(escape(strings.Join(plain, " → ")), maxFallback),
		Blocks:   []slackapi.Block{mrkdwnSection(text)},
	}
}

// deliverThreaded posts the event in its visitor's thread: as the root
// when the visitor has none (or its root was deleted), else as a reply,
// then brings the root's summary line up to date. The store decides which
// delivery opens a thread; the others wait for its root.
func (c *Channel) deliverThreaded(ctx context.Context, e *nicechat.Event, visitor int64, msg *slackapi.WebhookMessage) error {
	key := threadKey(c.cfg.ChannelID, visitor)
	s := step{Event: e.ID, Type: e.Type, Label: label(e, c.cfg.Humanize)}
	if at, ok := e.Occurred(); ok {
		s.At = at.Unix()
	}
	log := c.log.With("event_id", e.ID)
	waitUntil := c.now().Add(c.cfg.Timeout)
	// tries counts the records another delivery changed first; waiting for
	// a root is bounded by waitUntil instead.
	for tries := 0; tries < maxSaveTries; tries++ {
		doc, th, de := c.loadThread(ctx, key)
		if de != nil {
			return de
		}
		now := c.now()
		switch {
		case th.TS == "" && th.Opener != "" && now.UnixMilli() < th.OpenBy:
			// Another delivery is posting this visitor's root: wait for
			// it, a while, then let the queue bring the event back.
			if now.After(waitUntil) {
				de := delivery.Retry("not posted: another delivery is opening this visitor's Slack thread", nil)
				de.RetryAfter = time.UnixMilli(th.OpenBy).Sub(now) + time.Second
				return de
			}
			if err := duration.Sleep(ctx, c.pollInterval); err != nil {
				return delivery.Retry("not posted: "+err.Error(), err)
			}
			tries--
			continue
		case th.TS == "":
			done, err := c.openThread(ctx, key, doc, th, s, msg)
			if done || err != nil {
				return err
			}
			continue // the record changed meanwhile: look again
		}
		if th.find(s.Event) == nil {
			th.add(s)
			if conflict, de := c.saveThread(ctx, key, doc, th); de != nil || conflict {
				if de != nil {
					return de
				}
				continue
			}
		}
		if th.find(s.Event).Posted == "" {
			ts, de := c.post(ctx, apiMessage{
				ThreadTS: th.TS, ReplyBroadcast: slices.Contains(c.cfg.Broadcast, e.Type),
				Text: msg.Text, Blocks: msg.Blocks.BlockSet,
			})
			if de != nil && de.Code == codeThreadNotFound {
				// A person deleted the root: start a new thread.
				log.Warn("the visitor's Slack thread is gone (its first message was deleted); starting a new one", "thread_ts", th.TS)
				if de := c.forgetRoot(ctx, key, th.TS); de != nil {
					return de
				}
				continue
			}
			if de != nil && de.Class != delivery.ClassRetry {
				// It will never be shown: the summary does not name it.
				// (The pause of a misconfigured channel puts it back,
				// and it is added again.)
				wctx, cancel := c.afterPost(ctx)
				_, _ = c.changeThread(wctx, key, func(th *thread) bool { return th.drop(s.Event) })
				cancel()
			}
			if de != nil {
				return de
			}
			wctx, cancel := c.afterPost(ctx)
			_, de = c.changeThread(wctx, key, func(th *thread) bool {
				if st := th.find(s.Event); st != nil {
					st.Posted = ts
					return true
				}
				return false
			})
			cancel()
			if de != nil {
				// Unrecorded, the reply would be posted again by a retry:
				// the event counts as delivered, whatever the summary's
				// update says.
				log.Error("could not record the reply in the Slack thread record", "thread_ts", th.TS, "error", de.Reason)
				_ = c.updateSummary(ctx, key, th.TS, log)
				return nil
			}
		}
		// A failed update is retried: the reply, recorded, is not posted
		// again.
		return c.updateSummary(ctx, key, th.TS, log)
	}
	return delivery.Retry("not posted: the visitor's Slack thread record kept changing", nil)
}

// openThread claims the opening of the visitor's thread and posts the
// event as its root. done is false when another delivery changed the
// record first.
func (c *Channel) openThread(ctx context.Context, key string, doc docstore.Doc, th thread, s step, msg *slackapi.WebhookMessage) (done bool, err error) {
	now := c.now()
	owner := s.Event + "@" + strconv.FormatInt(now.UnixNano(), 10)
	th.Opener, th.OpenBy = owner, now.Add(c.openHold()).UnixMilli()
	th.add(s)
	if conflict, de := c.saveThread(ctx, key, doc, th); de != nil || conflict {
		if de != nil {
			return false, de
		}
		return false, nil
	}
	sum := summary(&th, c.cfg.Humanize.Catalog())
	ts, de := c.post(ctx, apiMessage{Text: msg.Text, Blocks: msg.Blocks.BlockSet, Attachments: []summaryAttachment{sum}})
	if de != nil {
		// Give the claim up, so the next delivery of this visitor opens
		// the thread without waiting for it to run out (which it does if
		// this write fails).
		wctx, cancel := c.afterPost(ctx)
		defer cancel()
		_, _ = c.changeThread(wctx, key, func(th *thread) bool {
			if th.Opener != owner {
				return false
			}
			th.Opener, th.OpenBy = "", 0
			if de.Class != delivery.ClassRetry {
				th.drop(s.Event)
			}
			return true
		})
		return true, de
	}
	// The root is posted: its ts is recorded even if the invocation's
	// context just ended, or the visitor's next event would open a second
	// thread. Whatever happens to the record, the event is delivered: a
	// retry would post it twice.
	wctx, cancel := c.afterPost(ctx)
	defer cancel()
	var taken bool
	_, de = c.changeThread(wctx, key, func(th *thread) bool {
		if th.Opener != owner && th.TS != "" {
			// The claim ran out and another delivery opened a thread
			// meanwhile: it stays the visitor's.
			taken = true
			return false
		}
		th.TS, th.Opener, th.OpenBy = ts, "", 0
		th.add(s)
		th.find(s.Event).Posted = ts
		return true
	})
	switch {
	case de != nil:
		c.log.Error("could not record the new Slack thread: the visitor's next event opens another", "event_id", s.Event, "thread_ts", ts, "error", de.Reason)
	case taken:
		c.log.Warn("another delivery opened the visitor's Slack thread while this one posted its root: this root stays on its own", "event_id", s.Event, "thread_ts", ts)
	}
	return true, nil
}

// updateSummary sets the root's summary line to the thread's steps, and
// again while other deliveries add steps meanwhile: the last one to
// update sees every step. A root deleted meanwhile is forgotten, so the
// visitor's next event opens a new thread; the event itself is posted.
func (c *Channel) updateSummary(ctx context.Context, key, rootTS string, log *slog.Logger) error {
	var shown summaryAttachment
	for range maxUpdates {
		_, th, de := c.loadThread(ctx, key)
		if de != nil {
			return de
		}
		if th.TS != rootTS {
			return nil // a new thread: its root has its own summary
		}
		sum := summary(&th, c.cfg.Humanize.Catalog())
		if sum.same(shown) {
			return nil
		}
		// Paced like the posts: with the two instances, Slack gets about
		// one call a second, within chat.update's own limit.
		if de := c.pacer.Turn(ctx); de != nil {
			return de
		}
		_, de = c.call(ctx, methodUpdate, apiMessage{Channel: c.cfg.ChannelID, TS: rootTS, Attachments: []summaryAttachment{sum}})
		switch {
		case de != nil && de.Code == codeMessageNotFound:
			log.Warn("the visitor's Slack thread is gone (its first message was deleted); their next event starts a new one", "thread_ts", rootTS)
			if de := c.forgetRoot(ctx, key, rootTS); de != nil {
				return de
			}
			return nil
		case de != nil && de.Class == delivery.ClassPermanent:
			// The event is posted; only the line is stale, until the
			// visitor's next event.
			log.Warn("the Slack thread's summary line could not be updated", "thread_ts", rootTS, "status", de.Code, "error", de.Reason)
			return nil
		case de != nil:
			return de
		}
		shown = sum
	}
	return nil
}

// forgetRoot clears the root ts, if it is still rootTS, keeping the steps:
// the next thread's summary tells the whole story.
func (c *Channel) forgetRoot(ctx context.Context, key, rootTS string) *delivery.Error {
	_, de := c.changeThread(ctx, key, func(th *thread) bool {
		if th.TS != rootTS {
			return false
		}
		th.TS = ""
		for i := range th.Steps {
			th.Steps[i].Posted = ""
		}
		return true
	})
	return de
}

// post is chat.postMessage in the channel, in its turn.
func (c *Channel) post(ctx context.Context, m apiMessage) (string, *delivery.Error) {
	if de := c.pacer.Turn(ctx); de != nil {
		return "", de
	}
	m.Channel = c.cfg.ChannelID
	no := false
	m.UnfurlLinks, m.UnfurlMedia = &no, &no
	return c.call(ctx, methodPost, m)
}

// afterPost is the context of the store write that records a post: it
// must happen even if ctx just ended, within a bound.
func (c *Channel) afterPost(ctx context.Context) (context.Context, context.CancelFunc) {
	return context.WithTimeout(context.WithoutCancel(ctx), afterPostTimeout)
}

// openHold is how long a delivery may take to post a root: its turn, the
// post, and a margin for the store.
func (c *Channel) openHold() time.Duration { return c.pacer.Interval + c.cfg.Timeout + 5*time.Second }

func (c *Channel) loadThread(ctx context.Context, key string) (docstore.Doc, thread, *delivery.Error) {
	doc, err := c.threads.LoadDoc(ctx, key, c.now())
	if err != nil {
		return doc, thread{}, storeError(err)
	}
	var th thread
	if doc.Data != nil {
		if err := json.Unmarshal(doc.Data, &th); err != nil {
			// Not a thread the relay wrote: start afresh over it.
			th = thread{}
		}
	}
	return doc, th, nil
}

// saveThread writes th over the version read; conflict reports that
// another delivery wrote it first.
func (c *Channel) saveThread(ctx context.Context, key string, doc docstore.Doc, th thread) (conflict bool, de *delivery.Error) {
	data, err := json.Marshal(th)
	if err != nil {
		return false, delivery.Permanent("encode the Slack thread record: "+err.Error(), err)
	}
	doc.Data = data
	err = c.threads.SaveDoc(ctx, key, doc, c.now().Add(c.cfg.ThreadTTL))
	switch {
	case errors.Is(err, docstore.ErrConflict):
		return true, nil
	case err != nil:
		return false, storeError(err)
	}
	return false, nil
}

// changeThread applies f to the stored thread and saves it, reading it
// again when another delivery wrote it meanwhile; f returns false to
// leave it as it is.
func (c *Channel) changeThread(ctx context.Context, key string, f func(*thread) bool) (thread, *delivery.Error) {
	for range maxSaveTries {
		doc, th, de := c.loadThread(ctx, key)
		if de != nil {
			return th, de
		}
		if !f(&th) {
			return th, nil
		}
		conflict, de := c.saveThread(ctx, key, doc, th)
		if de != nil || !conflict {
			return th, de
		}
	}
	return thread{}, delivery.Retry("the visitor's Slack thread record kept changing", nil)
}

func storeError(err error) *delivery.Error {
	return delivery.Retry("the Slack thread store could not be used: "+err.Error(), err)
}
