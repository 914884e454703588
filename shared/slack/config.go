package slack

import (
	"fmt"
	"strings"
	"time"

	"github.com/nicechat-relay/nicechat-relay/shared/delivery"
	"github.com/nicechat-relay/nicechat-relay/shared/humanize"
)

// Environment variables.
const (
	EnvWebhookURL  = "SLACK_WEBHOOK_URL"
	EnvTimeout     = "SLACK_TIMEOUT"
	EnvMinInterval = "SLACK_MIN_INTERVAL"
	// EnvLanguage is the language of Slack's messages, over
	// HUMANIZE_LANGUAGE (humanize.EnvLanguage).
	EnvLanguage = "SLACK_LANGUAGE"
)

const (
	defaultTimeout = 10 * time.Second
	// defaultInterval keeps a webhook at Slack's documented pace, about
	// one message a second, with the two instances the event source runs
	// at most (Spec.Source.MaxConcurrency), each posting every 2 seconds.
	defaultInterval = 2 * time.Second
)

// Config is the Slack channel's configuration.
type Config struct {
	WebhookURL string // a secret: it is never logged nor put in an error
	Timeout    time.Duration
	// Interval is the least time between two posts of one instance; zero
	// means two seconds.
	Interval time.Duration
	Humanize humanize.Options
}

// ConfigFromEnv reads SLACK_WEBHOOK_URL (required), SLACK_TIMEOUT (see
// delivery.ParseTimeout, default 10s), SLACK_MIN_INTERVAL (default 2s) and
// the humanize options (DISPLAY_TIMEZONE, HUMANIZE_SHOW_IP,
// CHAT_URL_TEMPLATE, HUMANIZE_LANGUAGE, and SLACK_LANGUAGE over it).
func ConfigFromEnv(getenv func(string) string) (Config, error) {
	cfg := Config{WebhookURL: strings.TrimSpace(getenv(EnvWebhookURL))}
	var err error
	if cfg.Timeout, err = delivery.ParseTimeout(EnvTimeout, getenv(EnvTimeout), defaultTimeout); err != nil {
		return Config{}, err
	}
	if cfg.Interval, err = delivery.ParseTimeout(EnvMinInterval, getenv(EnvMinInterval), defaultInterval); err != nil {
		return Config{}, err
	}
	if cfg.Humanize, err = humanize.OptionsFromEnv(getenv, EnvLanguage); err != nil {
		return Config{}, err
	}
	return cfg, cfg.Validate()
}

// Validate checks a Config however it was built: from the environment or
// in code. Zero durations take their defaults.
func (cfg Config) Validate() error {
	if err := delivery.CheckURL(EnvWebhookURL, cfg.WebhookURL); err != nil {
		return err
	}
	if cfg.Timeout < 0 || cfg.Timeout > delivery.MaxTimeout {
		return fmt.Errorf("%s must be positive and at most %s", EnvTimeout, delivery.MaxTimeout)
	}
	if cfg.Interval < 0 || cfg.Interval > delivery.MaxTimeout {
		return fmt.Errorf("%s must be positive and at most %s", EnvMinInterval, delivery.MaxTimeout)
	}
	if err := cfg.Humanize.Validate(); err != nil {
		return fmt.Errorf("%s: %w", EnvLanguage, err)
	}
	return nil
}
