package ingest

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/nicechat-relay/nicechat-relay/shared/message"
	"github.com/nicechat-relay/nicechat-relay/shared/nicechat"
)

// DefaultMaxBodyBytes is the body limit when MAX_BODY_BYTES is unset.
const DefaultMaxBodyBytes = 262144

// maxMaxBodyBytes leaves room for the message attributes inside SQS's
// 1 MiB message limit.
const maxMaxBodyBytes = 1000000

// Environment variables, and the stack output naming the quarantine.
const (
	EnvCallbackToken = "CALLBACK_TOKEN"
	// EnvCallbackTokenPrevious is the token being replaced, also accepted
	// while Nice Chat still calls the old URL (see "Rotating the callback
	// token" in the README).
	EnvCallbackTokenPrevious = "CALLBACK_TOKEN_PREVIOUS"
	EnvQuarantineQueueURL    = "QUARANTINE_QUEUE_URL"
	OutputQuarantineQueueURL = "QuarantineQueueUrl"
)

// SecretSettings are ingest's settings that may come from Secrets Manager
// (NAME_SECRET_ARN).
var SecretSettings = []string{EnvCallbackToken, EnvCallbackTokenPrevious}

// minTokenLength matches the template's CallbackToken constraint.
const minTokenLength = 24

// Config is the ingest Lambda's configuration, read once at init.
type Config struct {
	Token string
	// PreviousToken, when set, is accepted too, during a rotation.
	PreviousToken      string
	MaxBodyBytes       int
	QuarantineQueueURL string
	Routes             []Route
}

// channelRoute is one channel as routing sees it; routes.go lists them,
// generated from shared/channels.
type channelRoute struct {
	name     string
	queueEnv string
	routes   []routeVar
}

// routeVar is one of a channel's event lists and the format it carries.
type routeVar struct {
	env    string
	format message.Format
}

// Route sends the events it selects to one channel's queue.
type Route struct {
	Channel  string
	Format   message.Format // email routes only
	Events   nicechat.EventSet
	QueueURL string
}

// Name is how the route appears in responses and logs: "webhook",
// "email:tech", "email:human", "slack", "telegram": the channel's name,
// and the format for a channel that delivers several.
func (r Route) Name() string {
	if r.Format != "" {
		return r.Channel + ":" + string(r.Format)
	}
	return r.Channel
}

// LoadConfig reads and validates the configuration. Every error names the
// variable at fault.
func LoadConfig(getenv func(string) string) (Config, error) {
	cfg := Config{MaxBodyBytes: DefaultMaxBodyBytes}

	cfg.Token = getenv(EnvCallbackToken)
	if err := checkToken(cfg.Token); err != nil {
		return Config{}, fmt.Errorf("%s %w", EnvCallbackToken, err)
	}
	if cfg.PreviousToken = getenv(EnvCallbackTokenPrevious); cfg.PreviousToken != "" {
		if err := checkToken(cfg.PreviousToken); err != nil {
			return Config{}, fmt.Errorf("%s %w", EnvCallbackTokenPrevious, err)
		}
	}
	if v := strings.TrimSpace(getenv("MAX_BODY_BYTES")); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1024 || n > maxMaxBodyBytes {
			return Config{}, fmt.Errorf("MAX_BODY_BYTES must be a whole number of bytes from 1024 to %d, got %q", maxMaxBodyBytes, v)
		}
		cfg.MaxBodyBytes = n
	}
	cfg.QuarantineQueueURL = strings.TrimSpace(getenv(EnvQuarantineQueueURL))
	if cfg.QuarantineQueueURL == "" {
		return Config{}, fmt.Errorf("%s is required: rejected payloads are kept there", EnvQuarantineQueueURL)
	}

	var eventsVars []string
	for _, ch := range channelRoutes {
		for _, r := range ch.routes {
			eventsVars = append(eventsVars, r.env)
			events, err := nicechat.ParseEventSet(getenv(r.env))
			if err != nil {
				return Config{}, fmt.Errorf("%s: %w", r.env, err)
			}
			if events.Empty() {
				continue
			}
			queueURL := strings.TrimSpace(getenv(ch.queueEnv))
			if queueURL == "" {
				return Config{}, fmt.Errorf("%s is required because %s enables the %s channel", ch.queueEnv, r.env, ch.name)
			}
			cfg.Routes = append(cfg.Routes, Route{Channel: ch.name, Format: r.format, Events: events, QueueURL: queueURL})
		}
	}
	if len(cfg.Routes) == 0 {
		return Config{}, fmt.Errorf("no channel is enabled: set at least one of %s (a comma list of event types, or *)", strings.Join(eventsVars, ", "))
	}
	return cfg, nil
}

// checkToken requires a long token of URL path characters, so it can sit
// in the callback URL unescaped and cannot be guessed.
func checkToken(token string) error {
	if token == "" {
		return fmt.Errorf("is required")
	}
	if len(token) < minTokenLength {
		return fmt.Errorf("must be at least %d characters, got %d", minTokenLength, len(token))
	}
	for _, r := range token {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune("-._~", r)) {
			return fmt.Errorf("may only hold letters, digits and - . _ ~ (it is part of the callback URL)")
		}
	}
	return nil
}
