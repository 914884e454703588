// Package slack delivers events to a Slack incoming webhook as Block Kit
// messages a shop owner reads at a glance.
package slack

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"regexp"
	"strings"
	"sync"
	"time"

	"github.com/nicechat-relay/nicechat-relay/shared/delivery"
	"github.com/nicechat-relay/nicechat-relay/shared/message"
	"github.com/nicechat-relay/nicechat-relay/shared/nicechat"
)

const (
	userAgent = "nicechat-relay/1 (+slack)"
)

// Channel posts to one Slack incoming webhook. It is safe for concurrent
// use; posts are paced Interval apart.
type Channel struct {
	cfg    Config
	client *http.Client
	pacer  *delivery.Pacer
}

var _ delivery.Channel = (*Channel)(nil)

// Deps are what the channel uses besides its settings.
type Deps struct {
	HTTP *http.Client // nil: one client with cfg.Timeout, kept for every delivery
}

// New validates cfg and builds the channel. A zero Timeout or Interval
// takes its default.
func New(cfg Config, deps Deps) (*Channel, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if cfg.Timeout == 0 {
		cfg.Timeout = defaultTimeout
	}
	if cfg.Interval == 0 {
		cfg.Interval = defaultInterval
	}
	client := deps.HTTP
	if client == nil {
		client = delivery.NewHTTPClient(cfg.Timeout)
	}
	return &Channel{cfg: cfg, client: client, pacer: delivery.NewPacer(cfg.Interval)}, nil
}

// Name is the channel's name in routing, logs and dead letters.
func (c *Channel) Name() string { return Name }

// Timeout bounds one delivery: a wait of up to one interval for its turn,
// then the post.
func (c *Channel) Timeout() time.Duration { return c.pacer.Interval + c.cfg.Timeout }

// Deliver posts the event's message. A failure is a *delivery.Error.
func (c *Channel) Deliver(ctx context.Context, m message.Message) error {
	e, err := nicechat.Parse(m.Body)
	if err != nil {
		return delivery.InvalidMessage("body is not a Nice Chat event: "+err.Error(), err)
	}
	body, err := json.Marshal(Payload(e, c.cfg.Humanize))
	if err != nil {
		return delivery.Permanent("encode Slack payload: "+err.Error(), err)
	}

	if de := c.pacer.Turn(ctx); de != nil {
		return de
	}

	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.cfg.WebhookURL, bytes.NewReader(body))
	if err != nil {
		// The error would quote the URL, which is a secret.
		return delivery.Misconfigured(EnvWebhookURL, "webhook URL is not usable", nil)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", userAgent)
	resp, err := c.client.Do(req)
	if err != nil {
		return delivery.FromTransportError(err)
	}
	respBody := delivery.ReadBody(resp.Body)
	if de := classify(resp.StatusCode, resp.Header, respBody, c.pacer.Clock()); de != nil {
		de.Reason = delivery.RedactURL(de.Reason, c.cfg.WebhookURL)
		c.pacer.Observe(de)
		return de
	}
	return nil
}

// slackCode matches the error strings Slack answers with, such as
// "channel_not_found".
var slackCode = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^[a-z][a-z0-9_]{0,63}$`) })

// classify reads Slack's answer: the generic HTTP table, except that Slack
// reports a removed webhook or channel with 403, 404 or 410 (the message
// is fine, the setting is not) and its webhook URLs never redirect, so
// those are misconfigured rather than permanent.
func classify(status int, header http.Header, body []byte, now time.Time) *delivery.Error {
	if status >= 200 && status < 300 {
		return nil
	}
	e := delivery.FromHTTPResponse(status, header, body, now)
	switch {
	case status == http.StatusForbidden, status == http.StatusNotFound, status == http.StatusGone:
		e = delivery.Misconfigured(EnvWebhookURL, delivery.HTTPReason(status, body), nil)
		e.Status = status
	case status >= 300 && status < 400:
		e = delivery.Misconfigured(EnvWebhookURL, "webhook URL redirects: "+delivery.HTTPReason(status, body), nil)
		e.Status = status
	}
	if code := strings.TrimSpace(string(body)); slackCode().MatchString(code) {
		e.Code = code
	}
	return e
}

// Interval is the least time between two posts of this instance.
func (c *Channel) Interval() time.Duration { return c.pacer.Interval }
