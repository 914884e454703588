// Package slack delivers events to Slack as Block Kit messages a shop
// owner reads at a glance: through an incoming webhook, one message per
// event, or through the Web API, one thread per visitor whose first
// message carries a summary line of the lead's story.
package slack

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"regexp"
	"strings"
	"sync"
	"time"

	"github.com/nicechat-relay/nicechat-relay/shared/delivery"
	"github.com/nicechat-relay/nicechat-relay/shared/docstore"
	"github.com/nicechat-relay/nicechat-relay/shared/humane"
	"github.com/nicechat-relay/nicechat-relay/shared/idempotency"
	"github.com/nicechat-relay/nicechat-relay/shared/message"
	"github.com/nicechat-relay/nicechat-relay/shared/outbound"
)

// Channel posts to one Slack incoming webhook, or through the Web API to
// one channel, a thread per visitor. It is safe for concurrent use; posts
// are paced Interval apart.
type Channel struct {
	cfg     Config
	client  *http.Client
	pacer   *humane.Pacer
	threads docstore.Store
	log     *slog.Logger
	now     func() time.Time
	// pollInterval is how often a delivery waiting for another to open
	// the visitor's thread looks again.
	pollInterval time.Duration
}

var _ delivery.Channel = (*Channel)(nil)

// Deps are what the channel uses besides its settings.
type Deps struct {
	HTTP *http.Client // nil: one client with cfg.Timeout, kept for every delivery
	// Threads keeps each visitor's thread; required with a bot token
	// (the idempotency table, or the local relay's store).
	Threads docstore.Store
	Log     *slog.Logger // nil: none
}

// New validates cfg and builds the channel. A zero Timeout or Interval
// takes its default.
func New(cfg Config, deps Deps) (*Channel, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	s := cfg.settings().Or(humane.Defaults)
	cfg.Timeout, cfg.Interval = s.Timeout, s.Interval
	if cfg.Threaded() {
		if deps.Threads == nil {
			return nil, fmt.Errorf("%s needs a store for the visitors' threads: set %s", EnvBotToken, idempotency.EnvTable)
		}
		if cfg.APIURL == "" {
			cfg.APIURL = DefaultAPIURL
		}
		if cfg.ThreadTTL == 0 {
			cfg.ThreadTTL = DefaultThreadTTL
		}
		if cfg.Broadcast == nil {
			cfg.Broadcast = strings.Split(DefaultBroadcastEvents, ",")
		}
	}
	client := deps.HTTP
	if client == nil {
		client = outbound.NewHTTPClient(cfg.Timeout)
	}
	log := deps.Log
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Channel{
		cfg: cfg, client: client, pacer: humane.NewPacer(cfg.Interval),
		threads: deps.Threads, log: log.With("channel", Name), now: time.Now, pollInterval: 200 * time.Millisecond,
	}, nil
}

// Name is the channel's name in routing, logs and dead letters.
func (c *Channel) Name() string { return Name }

// Timeout bounds one delivery: a wait of up to one interval for its turn,
// then the post; in threads, also a wait for another delivery opening the
// visitor's thread, and the update of its summary line in its own turn.
func (c *Channel) Timeout() time.Duration {
	if c.cfg.Threaded() {
		return 2*c.pacer.Interval + 3*c.cfg.Timeout + afterPostTimeout
	}
	return c.pacer.Interval + c.cfg.Timeout
}

// Deliver posts the event's message. A failure is a *delivery.Error.
func (c *Channel) Deliver(ctx context.Context, m message.Message) error {
	e, de := humane.Event(m)
	if de != nil {
		return de
	}
	msg := Payload(e, c.cfg.Humanize)
	if c.cfg.Threaded() {
		// Every step shares the delivery's time, but the store write that
		// records a post, which has its own.
		ctx, cancel := context.WithTimeout(ctx, c.Timeout()-afterPostTimeout)
		defer cancel()
		if visitor, ok := e.VisitorID(); ok {
			return c.deliverThreaded(ctx, e, visitor, msg)
		}
		// No visitor to thread by: a message of its own.
		_, de := c.post(ctx, apiMessage{Text: msg.Text, Blocks: msg.Blocks.BlockSet})
		if de != nil {
			return de
		}
		return nil
	}
	body, err := json.Marshal(msg)
	if err != nil {
		return delivery.Permanent("encode Slack payload: "+err.Error(), err)
	}
	if de := c.pacer.Post(ctx, humane.Post{
		Client: c.client, Channel: Name, URL: c.cfg.WebhookURL, Setting: EnvWebhookURL, What: "webhook URL", Body: body,
		Redact: func(de *delivery.Error) *delivery.Error {
			de.Reason = outbound.RedactURL(de.Reason, c.cfg.WebhookURL)
			return de
		},
	}, classify); de != nil {
		return de
	}
	return nil
}

// slackCode matches the error strings Slack answers with, such as
// "channel_not_found".
var slackCode = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^[a-z][a-z0-9_]{0,63}$`) })

// classify reads an incoming webhook's answer: the humane kit's, except
// that Slack reports a removed webhook or channel with 403, 404 or 410
// (the message is fine, the setting is not), so those are misconfigured
// rather than permanent.
func classify(a humane.Answer) *delivery.Error {
	e := humane.Classify(a, EnvWebhookURL, "webhook URL")
	switch a.Status {
	case http.StatusForbidden, http.StatusNotFound, http.StatusGone:
		e = delivery.Misconfigured(EnvWebhookURL, delivery.HTTPReason(a.Status, a.Body), nil)
		e.Status = a.Status
	}
	if e == nil {
		return nil
	}
	if code := strings.TrimSpace(string(a.Body)); slackCode().MatchString(code) {
		e.Code = code
	}
	return e
}

// Interval is the least time between two posts of this instance.
func (c *Channel) Interval() time.Duration { return c.pacer.Interval }
