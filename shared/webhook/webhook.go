// Package webhook delivers an event's raw JSON by POST to one URL, signed
// the Standard Webhooks way (https://www.standardwebhooks.com) when a
// secret is configured.
package webhook

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/nicechat-relay/nicechat-relay/shared/delivery"
	"github.com/nicechat-relay/nicechat-relay/shared/duration"
	"github.com/nicechat-relay/nicechat-relay/shared/message"
	"github.com/nicechat-relay/nicechat-relay/shared/nicechat"
	"github.com/nicechat-relay/nicechat-relay/shared/outbound"
)

// Environment variables.
const (
	EnvURL     = "WEBHOOK_URL"
	EnvSecret  = "WEBHOOK_SECRET"
	EnvTimeout = "WEBHOOK_TIMEOUT"
)

// Request headers.
const (
	UserAgent              = "nicechat-relay/1 (+webhook)"
	HeaderEvent            = "X-NiceChat-Event"
	HeaderWebhookID        = "webhook-id"
	HeaderWebhookTimestamp = "webhook-timestamp"
	HeaderWebhookSignature = "webhook-signature"
)

// DefaultTimeout bounds one delivery when WEBHOOK_TIMEOUT is not set.
const DefaultTimeout = 10 * time.Second

const secretPrefix = "whsec_"

// Config is the webhook channel's settings.
type Config struct {
	URL     string        // absolute http(s) URL
	Secret  string        // "whsec_<base64>", or two separated by a space while rotating; empty means unsigned
	Timeout time.Duration // whole request, connect to last body byte

	// Now stamps webhook-timestamp and reads Retry-After dates; nil means
	// time.Now. Tests pin it.
	Now func() time.Time

	keys [][]byte // Secret decoded by check; none when unsigned
}

// ConfigFromEnv reads and validates WEBHOOK_URL, WEBHOOK_SECRET and
// WEBHOOK_TIMEOUT.
func ConfigFromEnv(getenv func(string) string) (Config, error) {
	timeout, err := duration.Parse(EnvTimeout, getenv(EnvTimeout), DefaultTimeout)
	if err != nil {
		return Config{}, err
	}
	cfg := Config{
		URL:     strings.TrimSpace(getenv(EnvURL)),
		Secret:  strings.TrimSpace(getenv(EnvSecret)),
		Timeout: timeout,
	}
	if err := cfg.check(); err != nil {
		return Config{}, err
	}
	return cfg, nil
}

// check validates cfg and keeps the decoded secret, so the channel built
// from it does not decode it again.
func (cfg *Config) check() error {
	if err := outbound.CheckURL(EnvURL, cfg.URL); err != nil {
		return err
	}
	keys, err := decodeSecrets(cfg.Secret)
	if err != nil {
		return err
	}
	if cfg.Timeout <= 0 {
		return fmt.Errorf("%s must be positive", EnvTimeout)
	}
	cfg.keys = keys
	return nil
}

// decodeSecrets returns the HMAC keys of a secret setting: one secret, or
// two separated by a space while a secret is rotated (the receiver is
// given the new one while it still checks the old; each request carries
// both signatures, as Standard Webhooks allows). None when signing is off.
func decodeSecrets(setting string) ([][]byte, error) {
	secrets := strings.Fields(setting)
	if len(secrets) > 2 {
		return nil, fmt.Errorf("%s holds %d secrets; at most two, separated by a space, while one is rotated", EnvSecret, len(secrets))
	}
	var keys [][]byte
	for _, secret := range secrets {
		key, err := decodeSecret(secret)
		if err != nil {
			return nil, err
		}
		keys = append(keys, key)
	}
	return keys, nil
}

// decodeSecret returns one secret's HMAC key, nil when signing is off. The error
// never contains the secret.
func decodeSecret(secret string) ([]byte, error) {
	if secret == "" {
		return nil, nil
	}
	encoded, ok := strings.CutPrefix(secret, secretPrefix)
	if !ok {
		return nil, fmt.Errorf("%s must start with %q", EnvSecret, secretPrefix)
	}
	key, err := base64.StdEncoding.DecodeString(encoded)
	if err != nil || len(key) == 0 {
		return nil, fmt.Errorf("%s must be %q followed by a non-empty standard base64 key", EnvSecret, secretPrefix)
	}
	return key, nil
}

// Channel posts events to the configured URL.
type Channel struct {
	url     string
	keys    [][]byte
	timeout time.Duration
	now     func() time.Time
	client  *http.Client
}

var _ delivery.Channel = (*Channel)(nil)

// Deps are what the channel uses besides its settings.
type Deps struct {
	HTTP *http.Client // nil: one client with cfg.Timeout, kept for every delivery
}

// New validates cfg and builds the channel with its one HTTP client, so
// warm invocations reuse connections.
func New(cfg Config, deps Deps) (*Channel, error) {
	if err := cfg.check(); err != nil {
		return nil, err
	}
	now := cfg.Now
	if now == nil {
		now = time.Now
	}
	client := deps.HTTP
	if client == nil {
		client = outbound.NewHTTPClient(cfg.Timeout)
	}
	return &Channel{url: cfg.URL, keys: cfg.keys, timeout: cfg.Timeout, now: now, client: client}, nil
}

// Name is the channel name used in routing, logs and dead letters.
func (c *Channel) Name() string { return Name }

// Timeout bounds one delivery.
func (c *Channel) Timeout() time.Duration { return c.timeout }

// Deliver posts m.Body unchanged. Any non-2xx answer or transport failure
// comes back as a *delivery.Error.
func (c *Channel) Deliver(ctx context.Context, m message.Message) error {
	if !validHeaderValue(m.Event) {
		return delivery.Permanent(fmt.Sprintf("event type %q cannot be sent as a header", m.Event), nil)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.url, bytes.NewReader(m.Body))
	if err != nil {
		return delivery.Misconfigured(EnvURL, "cannot build request", err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", UserAgent)
	req.Header.Set(HeaderEvent, m.Event)
	// The id and timestamp go out signed or not, so every receiver can
	// de-duplicate; the id must not change between attempts, and the body
	// hash is as stable as the attribute.
	id := m.EventID
	if id == "" || !validHeaderValue(id) {
		id = nicechat.EventID(m.Body)
	}
	ts := c.now().Unix()
	req.Header.Set(HeaderWebhookID, id)
	req.Header.Set(HeaderWebhookTimestamp, strconv.FormatInt(ts, 10))
	if len(c.keys) > 0 {
		sigs := make([]string, len(c.keys))
		for i, key := range c.keys {
			sigs[i] = sign(key, id, ts, m.Body)
		}
		req.Header.Set(HeaderWebhookSignature, strings.Join(sigs, " "))
	}

	resp, err := c.client.Do(req)
	if err != nil {
		return delivery.FromTransportError(err)
	}
	body := outbound.ReadAnswer(resp.Body, c.url)
	if resp.StatusCode >= 200 && resp.StatusCode < 300 {
		return nil
	}
	de := classify(resp.StatusCode, resp.Header, body, c.now())
	de.Reason = outbound.RedactURL(de.Reason, c.url)
	return de
}

// classify reads a non-2xx answer: the generic HTTP table, except the
// answers that are about the endpoint or its credentials rather than the
// event, which every later event would get too: 401 and 403 (the
// signature or the endpoint's own authentication), 404 (no such endpoint)
// and 410 Gone (Standard Webhooks' "stop sending"). Those are
// misconfigured, so the channel pauses instead of dead-lettering each
// event in turn.
func classify(status int, header http.Header, body []byte, now time.Time) *delivery.Error {
	var de *delivery.Error
	switch status {
	case http.StatusUnauthorized, http.StatusForbidden:
		de = delivery.Misconfigured(EnvURL+" or "+EnvSecret, "the endpoint refuses the relay: "+delivery.HTTPReason(status, body), nil)
	case http.StatusNotFound:
		de = delivery.Misconfigured(EnvURL, "no endpoint at this URL: "+delivery.HTTPReason(status, body), nil)
	case http.StatusGone:
		de = delivery.Misconfigured(EnvURL, "endpoint gone: "+delivery.HTTPReason(status, body), nil)
	default:
		return delivery.FromHTTPResponse(status, header, body, now)
	}
	de.Status = status
	return de
}

// sign is the Standard Webhooks v1 signature: base64 of
// HMAC-SHA256(key, "<id>.<timestamp>.<body>").
func sign(key []byte, id string, ts int64, body []byte) string {
	mac := hmac.New(sha256.New, key)
	var buf [96]byte
	b := append(buf[:0], id...)
	b = append(b, '.')
	b = strconv.AppendInt(b, ts, 10)
	b = append(b, '.')
	mac.Write(b)
	mac.Write(body)
	var sum [sha256.Size]byte
	out := make([]byte, 3, 3+base64.StdEncoding.EncodedLen(sha256.Size))
	copy(out, "v1,")
	out = base64.StdEncoding.AppendEncode(out, mac.Sum(sum[:0]))
	return string(out)
}

// validHeaderValue rejects what net/http would refuse to send, so such a
// message fails as permanent instead of being retried as a transport error.
func validHeaderValue(v string) bool {
	for i := 0; i < len(v); i++ {
		if c := v[i]; c < 0x20 && c != '\t' || c == 0x7f {
			return false
		}
	}
	return true
}
