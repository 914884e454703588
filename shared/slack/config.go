package slack

import (
	"strings"
	"time"

	"github.com/nicechat-relay/nicechat-relay/shared/delivery"
	"github.com/nicechat-relay/nicechat-relay/shared/humanize"
)

const (
	defaultTimeout = 10 * time.Second
	// defaultInterval is Slack's documented pace for incoming webhooks:
	// about one message per second per webhook.
	defaultInterval = time.Second
)

// Config is the Slack channel's configuration.
type Config struct {
	WebhookURL string // a secret: it is never logged nor put in an error
	Timeout    time.Duration
	// Interval is the least time between two posts to the webhook; zero
	// means one second.
	Interval time.Duration
	Humanize humanize.Options
}

// ConfigFromEnv reads SLACK_WEBHOOK_URL (required), SLACK_TIMEOUT (see
// delivery.ParseTimeout, default 10s), SLACK_MIN_INTERVAL (the least time
// between two posts of one instance, default 1s: with N instances running
// at once, N seconds keeps the webhook at one post a second) and the
// humanize options (DISPLAY_TIMEZONE, HUMANIZE_SHOW_IP, CHAT_URL_TEMPLATE).
func ConfigFromEnv(getenv func(string) string) (Config, error) {
	cfg := Config{Interval: defaultInterval}
	cfg.WebhookURL = strings.TrimSpace(getenv("SLACK_WEBHOOK_URL"))
	if err := delivery.CheckURL("SLACK_WEBHOOK_URL", cfg.WebhookURL); err != nil {
		return Config{}, err
	}
	timeout, err := delivery.ParseTimeout("SLACK_TIMEOUT", getenv("SLACK_TIMEOUT"), defaultTimeout)
	if err != nil {
		return Config{}, err
	}
	cfg.Timeout = timeout
	if cfg.Interval, err = delivery.ParseTimeout("SLACK_MIN_INTERVAL", getenv("SLACK_MIN_INTERVAL"), defaultInterval); err != nil {
		return Config{}, err
	}
	opts, err := humanize.OptionsFromEnv(getenv)
	if err != nil {
		return Config{}, err
	}
	cfg.Humanize = opts
	return cfg, nil
}
