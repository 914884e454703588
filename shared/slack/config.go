package slack

import (
	"errors"
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"time"

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

// ConfigFromEnv reads SLACK_WEBHOOK_URL (required), SLACK_TIMEOUT (a Go
// duration or whole seconds, default 10s) and the humanize options
// (DISPLAY_TIMEZONE, HUMANIZE_SHOW_IP, CHAT_URL_TEMPLATE).
func ConfigFromEnv(getenv func(string) string) (Config, error) {
	cfg := Config{Timeout: defaultTimeout, Interval: defaultInterval}
	cfg.WebhookURL = strings.TrimSpace(getenv("SLACK_WEBHOOK_URL"))
	if cfg.WebhookURL == "" {
		return Config{}, errors.New("SLACK_WEBHOOK_URL is required")
	}
	// The URL is a secret, so the error says what is wrong without it.
	if u, err := url.Parse(cfg.WebhookURL); err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return Config{}, errors.New("SLACK_WEBHOOK_URL must be an http(s) URL")
	}
	if v := strings.TrimSpace(getenv("SLACK_TIMEOUT")); v != "" {
		d, err := parseDuration(v)
		if err != nil || d <= 0 {
			return Config{}, fmt.Errorf("SLACK_TIMEOUT must be a positive duration such as 10s, got %q", v)
		}
		cfg.Timeout = d
	}
	opts, err := humanize.OptionsFromEnv(getenv)
	if err != nil {
		return Config{}, err
	}
	cfg.Humanize = opts
	return cfg, nil
}

func parseDuration(v string) (time.Duration, error) {
	if secs, err := strconv.Atoi(v); err == nil {
		return time.Duration(secs) * time.Second, nil
	}
	return time.ParseDuration(v)
}
