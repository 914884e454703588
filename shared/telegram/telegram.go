// Package telegram delivers events to a Telegram chat through the Bot
// API's sendMessage, as HTML messages a shop owner reads at a glance.
package telegram

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"strings"
	"time"

	"github.com/nicechat-relay/nicechat-relay/shared/delivery"
	"github.com/nicechat-relay/nicechat-relay/shared/humane"
	"github.com/nicechat-relay/nicechat-relay/shared/message"
	"github.com/nicechat-relay/nicechat-relay/shared/outbound"
)

// Name is the channel's name in routing, logs, metrics and dead letters.
const Name = "telegram"

// Channel posts to one Telegram chat as one bot. It is safe for concurrent
// use; posts are paced to stay within Telegram's per-chat limit.
type Channel struct {
	cfg    Config
	client *http.Client
	pacer  *humane.Pacer
	// endpoint holds the token in its path, so neither it nor an error
	// quoting it is ever shown.
	endpoint string
	chatID   any
}

var _ delivery.Channel = (*Channel)(nil)

// New checks cfg, fills in its defaults and builds the channel, keeping one
// HTTP client for all deliveries.
func New(cfg Config, deps Deps) (*Channel, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	cfg = cfg.withDefaults()
	client := deps.HTTP
	if client == nil {
		client = outbound.NewHTTPClient(cfg.Timeout)
	}
	return &Channel{
		cfg:      cfg,
		client:   client,
		pacer:    humane.NewPacer(cfg.Interval),
		endpoint: strings.TrimRight(cfg.APIURL, "/") + "/bot" + cfg.BotToken + "/sendMessage",
		chatID:   chatIDValue(cfg.ChatID),
	}, nil
}

// Name is the channel's name in routing, logs and dead letters.
func (c *Channel) Name() string { return Name }

// Timeout bounds one delivery: a wait of up to one interval for its turn,
// then the post.
func (c *Channel) Timeout() time.Duration { return c.cfg.Interval + c.cfg.Timeout }

// sendMessage is the request body; the fields are the Bot API's.
type sendMessage struct {
	ChatID             any                `json:"chat_id"`
	Text               string             `json:"text"`
	ParseMode          string             `json:"parse_mode"`
	LinkPreviewOptions linkPreviewOptions `json:"link_preview_options"`
}

// linkPreviewOptions turns previews off: a preview would fetch and show a
// link of the visitor's choosing under a message the owner trusts.
type linkPreviewOptions struct {
	IsDisabled bool `json:"is_disabled"`
}

// Deliver posts the event's message to the chat. A failure is a
// *delivery.Error, and none carries the bot token.
func (c *Channel) Deliver(ctx context.Context, m message.Message) error {
	e, de := humane.Event(m)
	if de != nil {
		return de
	}
	body, err := json.Marshal(sendMessage{
		ChatID:             c.chatID,
		Text:               Text(e, c.cfg.Humanize),
		ParseMode:          "HTML",
		LinkPreviewOptions: linkPreviewOptions{IsDisabled: true},
	})
	if err != nil {
		return delivery.Permanent("encode sendMessage: "+err.Error(), err)
	}
	if de := c.pacer.Post(ctx, humane.Post{
		Client: c.client, Channel: Name, URL: c.endpoint, Setting: EnvAPIURL, What: "Telegram API URL", Body: body,
		Limit: maxAnswerBytes,
		// The far end may echo the request's path (a proxy's or a wrong
		// API URL's error page): the token goes before the answer is
		// read.
		Scrub: c.scrub, Redact: c.redact,
	}, classify); de != nil {
		return de
	}
	return nil
}

// maxAnswerBytes bounds the answer read. A success echoes the message
// sent (at most 4096 characters, JSON-escaped, with its entities), well
// within it; the answer must be whole to be read as JSON.
const maxAnswerBytes = 256 << 10

// redacted stands for the token wherever it would show.
const redacted = "(token)"

// scrub removes the token from text taken from the far end or an error.
// The secret after the colon goes too: it survives URL-escaping, which
// turns the colon into %3A.
func (c *Channel) scrub(b []byte) []byte {
	if secret := c.secret(); secret != "" && bytes.Contains(b, []byte(secret)) {
		b = bytes.ReplaceAll(b, []byte(c.cfg.BotToken), []byte(redacted))
		b = bytes.ReplaceAll(b, []byte(secret), []byte(redacted))
	}
	return b
}

func (c *Channel) secret() string {
	_, secret, _ := strings.Cut(c.cfg.BotToken, ":")
	return secret
}

// redact is the last guard: no failure leaves the channel with the token
// in its reason, its code or its error's text.
func (c *Channel) redact(de *delivery.Error) *delivery.Error {
	de.Reason = string(c.scrub([]byte(de.Reason)))
	de.Code = string(c.scrub([]byte(de.Code)))
	if de.Err != nil && strings.Contains(de.Err.Error(), c.secret()) {
		// FromTransportError already cuts the URL to its host, so this
		// is for an error that quotes the token some other way; it
		// loses the chain, which only tells a cancellation apart.
		de.Err = errors.New(string(c.scrub([]byte(de.Err.Error()))))
	}
	return de
}
