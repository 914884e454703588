package slack

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/nicechat-relay/nicechat-relay/shared/humane"
	"github.com/nicechat-relay/nicechat-relay/shared/humanize"
	"github.com/nicechat-relay/nicechat-relay/shared/idempotency"
	"github.com/nicechat-relay/nicechat-relay/shared/nicechat"
	"github.com/nicechat-relay/nicechat-relay/shared/outbound"
)

// Environment variables.
const (
	EnvWebhookURL  = "SLACK_WEBHOOK_URL"
	EnvTimeout     = "SLACK_TIMEOUT"
	EnvMinInterval = "SLACK_MIN_INTERVAL"
	// EnvLanguage is the language of Slack's messages, over
	// HUMANIZE_LANGUAGE (humanize.EnvLanguage).
	EnvLanguage = "SLACK_LANGUAGE"

	// The Web API mode: one thread per visitor.
	EnvBotToken        = "SLACK_BOT_TOKEN"
	EnvChannel         = "SLACK_CHANNEL"
	EnvAPIURL          = "SLACK_API_URL"
	EnvThreadTTL       = "SLACK_THREAD_TTL"
	EnvBroadcastEvents = "SLACK_BROADCAST_EVENTS"
)

// env names Slack's settings of the humane kit, whose defaults
// (humane.Defaults) keep a webhook or a channel at Slack's documented
// pace, about one message a second.
var env = humane.Env{Timeout: EnvTimeout, MinInterval: EnvMinInterval, Language: EnvLanguage}

const (
	// DefaultAPIURL is Slack's Web API.
	DefaultAPIURL = "https://slack.com/api"
	// DefaultThreadTTL is how long a visitor's thread is remembered after
	// their last event: a lead that comes back within it continues its
	// thread.
	DefaultThreadTTL = 30 * 24 * time.Hour
	// DefaultBroadcastEvents are the thread replies also shown in the
	// channel: they need someone now.
	DefaultBroadcastEvents = nicechat.TypeUnanswered + "," + nicechat.TypeNewOrder
)

// Thread TTL bounds: under an hour a lead's events would scatter; the
// table keeps no record longer than a year.
const (
	minThreadTTL = time.Hour
	maxThreadTTL = 365 * 24 * time.Hour
)

// Config is the Slack channel's configuration. Exactly one of WebhookURL
// (an incoming webhook: one message per event) and BotToken (the Web API:
// one thread per visitor, in ChannelID) is set.
type Config struct {
	WebhookURL string // a secret: it is never logged nor put in an error
	Timeout    time.Duration
	// Interval is the least time between two posts of one instance; zero
	// means two seconds.
	Interval time.Duration
	Humanize humanize.Options

	BotToken  string // a secret, like WebhookURL
	ChannelID string
	APIURL    string        // empty: DefaultAPIURL
	ThreadTTL time.Duration // zero: DefaultThreadTTL
	// Broadcast are the event types whose thread replies are also shown
	// in the channel; nil means DefaultBroadcastEvents, empty none.
	Broadcast []string
}

// Threaded reports whether the channel posts a thread per visitor through
// the Web API.
func (cfg Config) Threaded() bool { return cfg.BotToken != "" }

// ConfigFromEnv reads SLACK_WEBHOOK_URL, or SLACK_BOT_TOKEN with
// SLACK_CHANNEL (and SLACK_API_URL, SLACK_THREAD_TTL (default 30d),
// SLACK_BROADCAST_EVENTS (default unanswered,new_order)); SLACK_TIMEOUT
// (default 10s), SLACK_MIN_INTERVAL (default 2s) and the humanize
// options (DISPLAY_TIMEZONE, HUMANIZE_SHOW_IP, CHAT_URL_TEMPLATE,
// HUMANIZE_LANGUAGE, and SLACK_LANGUAGE over it), as humane.Env.Read
// reads them.
func ConfigFromEnv(getenv func(string) string) (Config, error) {
	cfg := Config{
		WebhookURL: strings.TrimSpace(getenv(EnvWebhookURL)),
		BotToken:   strings.TrimSpace(getenv(EnvBotToken)),
		ChannelID:  strings.TrimSpace(getenv(EnvChannel)),
		APIURL:     strings.TrimSpace(getenv(EnvAPIURL)),
	}
	s, err := env.Read(getenv, humane.Defaults)
	if err != nil {
		return Config{}, err
	}
	cfg.Timeout, cfg.Interval, cfg.Humanize = s.Timeout, s.Interval, s.Humanize
	if cfg.ThreadTTL, err = idempotency.ParseDays(EnvThreadTTL, getenv(EnvThreadTTL), DefaultThreadTTL, minThreadTTL, maxThreadTTL); err != nil {
		return Config{}, err
	}
	if cfg.Broadcast, err = parseBroadcast(getenv(EnvBroadcastEvents)); err != nil {
		return Config{}, err
	}
	return cfg, cfg.Validate()
}

// parseBroadcast reads SLACK_BROADCAST_EVENTS: an event list as ingest
// reads one, "none" for none, empty for DefaultBroadcastEvents.
func parseBroadcast(v string) ([]string, error) {
	switch v = strings.TrimSpace(v); v {
	case "":
		v = DefaultBroadcastEvents
	case "none":
		return []string{}, nil
	}
	set, err := nicechat.ParseEventSet(v)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", EnvBroadcastEvents, err)
	}
	if set.All {
		return slices.Clone(nicechat.KnownTypes), nil
	}
	return set.Types, nil
}

// isChannelID reports whether id is a Slack conversation id: C… for a
// channel, G… for an older private one.
func isChannelID(id string) bool {
	if len(id) < 7 || len(id) > 32 || id[0] != 'C' && id[0] != 'G' {
		return false
	}
	for _, c := range []byte(id) {
		if (c < 'A' || c > 'Z') && (c < '0' || c > '9') {
			return false
		}
	}
	return true
}

// Validate checks a Config however it was built: from the environment or
// in code. Zero durations take their defaults.
func (cfg Config) Validate() error {
	switch {
	case cfg.WebhookURL != "" && cfg.BotToken != "":
		return fmt.Errorf("set %s (one message per event) or %s with %s (one thread per visitor), not both", EnvWebhookURL, EnvBotToken, EnvChannel)
	case cfg.WebhookURL == "" && cfg.BotToken == "":
		return fmt.Errorf("%s is required (or %s with %s for one thread per visitor)", EnvWebhookURL, EnvBotToken, EnvChannel)
	case cfg.BotToken != "":
		if err := cfg.validateWebAPI(); err != nil {
			return err
		}
	default:
		if err := outbound.CheckURL(EnvWebhookURL, cfg.WebhookURL); err != nil {
			return err
		}
	}
	return env.Check(cfg.settings())
}

func (cfg Config) settings() humane.Settings {
	return humane.Settings{Timeout: cfg.Timeout, Interval: cfg.Interval, Humanize: cfg.Humanize}
}

func (cfg Config) validateWebAPI() error {
	// The token itself is never quoted: it is a secret.
	if !strings.HasPrefix(cfg.BotToken, "xoxb-") || strings.ContainsAny(cfg.BotToken, " \t\r\n") {
		return fmt.Errorf("%s must be a bot token (xoxb-…, under OAuth & Permissions in the Slack app's settings)", EnvBotToken)
	}
	if cfg.ChannelID == "" {
		return fmt.Errorf("%s is required with %s: the id of the channel to post in, such as C0123456789 (in Slack: the channel's details, About, at the bottom)", EnvChannel, EnvBotToken)
	}
	if !isChannelID(cfg.ChannelID) {
		return fmt.Errorf("%s must be a channel id such as C0123456789, not a name (in Slack: the channel's details, About, at the bottom), got %q", EnvChannel, cfg.ChannelID)
	}
	if cfg.APIURL != "" {
		if err := outbound.CheckURL(EnvAPIURL, cfg.APIURL); err != nil {
			return err
		}
	}
	if cfg.ThreadTTL != 0 && (cfg.ThreadTTL < minThreadTTL || cfg.ThreadTTL > maxThreadTTL) {
		return fmt.Errorf("%s must be from 1 hour to 365 days", EnvThreadTTL)
	}
	for _, t := range cfg.Broadcast {
		if !nicechat.IsKnownType(t) {
			return fmt.Errorf("%s: %q is not an event type", EnvBroadcastEvents, t)
		}
	}
	return nil
}
