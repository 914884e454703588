package email

import (
	"fmt"
	"net/mail"
	"regexp"
	"strings"
	"sync"
	"time"

	"github.com/nicechat-relay/nicechat-relay/shared/humane"
	"github.com/nicechat-relay/nicechat-relay/shared/humanize"
)

// Environment variables.
const (
	EnvFrom             = "EMAIL_FROM"
	EnvTo               = "EMAIL_TO"
	EnvConfigurationSet = "EMAIL_CONFIGURATION_SET"
	// EnvLanguage is the language of the human emails, over
	// HUMANIZE_LANGUAGE (humanize.EnvLanguage): the accountant's mail may
	// stay English while the team's chat is Ukrainian.
	EnvLanguage = "EMAIL_LANGUAGE"
)

// env names the email channel's settings of the humane kit: its language
// alone, as SES paces itself and DefaultTimeout bounds a send.
var env = humane.Env{Language: EnvLanguage}

// DefaultTimeout bounds one SendEmail call, SDK retries included.
const DefaultTimeout = 10 * time.Second

// maxRecipients is SES's limit per message.
const maxRecipients = 50

// configurationSetName is what SES accepts as a configuration set name,
// compiled on first use: a Lambda pays no start-up for it.
var configurationSetName = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^[A-Za-z0-9_-]{1,64}$`) })

// Config is the email channel's settings. Recipients come only from here,
// never from an event.
type Config struct {
	From             string   // "relay@example.com" or "Nice Chat <relay@example.com>"
	To               []string // at least one
	ConfigurationSet string   // optional
	Humanize         humanize.Options
	Timeout          time.Duration // zero means DefaultTimeout
}

// ConfigFromEnv reads EMAIL_FROM, EMAIL_TO (comma separated),
// EMAIL_CONFIGURATION_SET and the humanize options (DISPLAY_TIMEZONE,
// HUMANIZE_SHOW_IP, CHAT_URL_TEMPLATE, HUMANIZE_LANGUAGE, and
// EMAIL_LANGUAGE over it), and validates each address.
func ConfigFromEnv(getenv func(string) string) (Config, error) {
	from, err := parseAddress(EnvFrom, getenv(EnvFrom))
	if err != nil {
		return Config{}, err
	}
	cfg := Config{From: from, ConfigurationSet: strings.TrimSpace(getenv(EnvConfigurationSet)), Timeout: DefaultTimeout}
	for item := range strings.SplitSeq(getenv(EnvTo), ",") {
		if strings.TrimSpace(item) == "" {
			continue // tolerate "a@x.com," and ", "
		}
		to, err := parseAddress(EnvTo, item)
		if err != nil {
			return Config{}, err
		}
		cfg.To = append(cfg.To, to)
	}
	s, err := env.Read(getenv, humane.Settings{Timeout: DefaultTimeout})
	if err != nil {
		return Config{}, err
	}
	cfg.Humanize = s.Humanize
	// Every address was parsed above; only the rest is left to check.
	if err := cfg.validateSettings(); err != nil {
		return Config{}, err
	}
	return cfg, nil
}

// Validate checks what ConfigFromEnv checks, for a Config built in code.
func (cfg Config) Validate() error {
	if _, err := parseAddress(EnvFrom, cfg.From); err != nil {
		return err
	}
	for _, to := range cfg.To {
		if _, err := parseAddress(EnvTo, to); err != nil {
			return err
		}
	}
	return cfg.validateSettings()
}

// validateSettings checks everything but the addresses' syntax.
func (cfg Config) validateSettings() error {
	if len(cfg.To) == 0 {
		return fmt.Errorf("%s is required: at least one address", EnvTo)
	}
	if len(cfg.To) > maxRecipients {
		return fmt.Errorf("%s has %d addresses; SES accepts at most %d", EnvTo, len(cfg.To), maxRecipients)
	}
	if cfg.ConfigurationSet != "" && !configurationSetName().MatchString(cfg.ConfigurationSet) {
		return fmt.Errorf("%s must be 1 to 64 letters, digits, '_' or '-', got %q", EnvConfigurationSet, cfg.ConfigurationSet)
	}
	if cfg.Timeout < 0 {
		return fmt.Errorf("email timeout must not be negative")
	}
	return env.Check(humane.Settings{Humanize: cfg.Humanize})
}

// parseAddress accepts one RFC 5322 address and returns it in the form SES
// wants: the bare address, or a display name MIME-encoded when it is not
// ASCII.
func parseAddress(variable, raw string) (string, error) {
	raw = strings.TrimSpace(raw)
	if raw == "" {
		return "", fmt.Errorf("%s is required", variable)
	}
	addr, err := mail.ParseAddress(raw)
	if err != nil {
		return "", fmt.Errorf("%s: %q is not an email address: %w", variable, raw, err)
	}
	if addr.Name == "" {
		return addr.Address, nil
	}
	return addr.String(), nil
}
