package telegram

import (
	"cmp"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/nicechat-relay/nicechat-relay/shared/humane"
	"github.com/nicechat-relay/nicechat-relay/shared/humanize"
	"github.com/nicechat-relay/nicechat-relay/shared/outbound"
)

// Environment variables.
const (
	EnvBotToken = "TELEGRAM_BOT_TOKEN" // required, a secret
	EnvChatID   = "TELEGRAM_CHAT_ID"   // required: a numeric id (may be negative, e.g. -1001234567890) or @channelname
	EnvAPIURL   = "TELEGRAM_API_URL"   // default https://api.telegram.org (tests point it at httptest)
	EnvTimeout  = "TELEGRAM_TIMEOUT"   // default 10s, parsed with duration.Parse
	// EnvMinInterval is the least time between two posts of one consumer
	// instance, default 2s: the event source runs at most 2 instances, so
	// the chat gets at most one message a second (Telegram's documented
	// per-chat limit).
	EnvMinInterval = "TELEGRAM_MIN_INTERVAL"
	// EnvLanguage is the language of Telegram's messages, over
	// HUMANIZE_LANGUAGE (humanize.EnvLanguage).
	EnvLanguage = "TELEGRAM_LANGUAGE"
)

const defaultAPIURL = "https://api.telegram.org"

// env names Telegram's settings of the humane kit.
var env = humane.Env{Timeout: EnvTimeout, MinInterval: EnvMinInterval, Language: EnvLanguage}

var (
	// tokenShape is a token as @BotFather hands it out: the bot's id, a
	// colon, then the secret.
	tokenShape = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^[0-9]+:[A-Za-z0-9_-]{20,}$`) })
	// chatNumber and chatUsername are the two forms sendMessage's chat_id
	// takes: a chat's id (negative for groups and channels) or a public
	// channel's @username.
	chatNumber   = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^-?[0-9]{1,19}$`) })
	chatUsername = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^@[A-Za-z0-9_]{5,32}$`) })
)

// Config is the Telegram channel's settings.
type Config struct {
	BotToken string        // secret: never logged, never in an error, a reason or a dead letter
	ChatID   string        // a numeric chat id or @channelname
	APIURL   string        // empty = default
	Timeout  time.Duration // zero = default
	Interval time.Duration // zero = default
	Humanize humanize.Options
}

// Deps are what the channel is given rather than builds.
type Deps struct {
	HTTP *http.Client // nil: outbound.NewHTTPClient(cfg.Timeout)
}

// ConfigFromEnv reads TELEGRAM_BOT_TOKEN, TELEGRAM_CHAT_ID (both
// required), TELEGRAM_API_URL, TELEGRAM_TIMEOUT, TELEGRAM_MIN_INTERVAL and
// the humanize options (DISPLAY_TIMEZONE, HUMANIZE_SHOW_IP,
// CHAT_URL_TEMPLATE, HUMANIZE_LANGUAGE, and TELEGRAM_LANGUAGE over it),
// filling in the defaults. An error names the
// variable at fault and never quotes the token.
func ConfigFromEnv(getenv func(string) string) (Config, error) {
	cfg := Config{
		BotToken: strings.TrimSpace(getenv(EnvBotToken)),
		ChatID:   strings.TrimSpace(getenv(EnvChatID)),
		APIURL:   strings.TrimSpace(getenv(EnvAPIURL)),
	}
	// The chat and the bot are what an operator sets first; say so before
	// any tuning knob.
	if err := cfg.validateTarget(); err != nil {
		return Config{}, err
	}
	if cfg.APIURL == "" {
		cfg.APIURL = defaultAPIURL
	}
	s, err := env.Read(getenv, humane.Defaults)
	if err != nil {
		return Config{}, err
	}
	cfg.Timeout, cfg.Interval, cfg.Humanize = s.Timeout, s.Interval, s.Humanize
	if err := cfg.Validate(); err != nil {
		return Config{}, err
	}
	return cfg, nil
}

// Validate checks what ConfigFromEnv checks, for a Config built in code.
// Zero values stand for the defaults and are valid.
func (cfg Config) Validate() error {
	if err := cfg.validateTarget(); err != nil {
		return err
	}
	if err := env.Check(cfg.settings()); err != nil {
		return err
	}
	if tpl := cfg.Humanize.ChatURLTemplate; tpl != "" {
		// A link too long for the message would be left out of every
		// one: better refused at start-up.
		longest := strings.ReplaceAll(tpl, humanize.ChatIDPlaceholder, strconv.FormatInt(1<<63-1, 10))
		if linkLine(longest, cfg.Humanize.Catalog()) == "" {
			return fmt.Errorf("CHAT_URL_TEMPLATE is too long for a Telegram message: the link must fit in %d characters", maxLinkUnits)
		}
	}
	return nil
}

// validateTarget checks the token, the chat and the API URL. The values
// are never quoted: a token pasted into the wrong variable must not reach
// the log either.
func (cfg Config) validateTarget() error {
	switch {
	case cfg.BotToken == "":
		return fmt.Errorf("%s is required", EnvBotToken)
	case !tokenShape().MatchString(cfg.BotToken):
		return fmt.Errorf("%s must be a bot token as @BotFather gives it: digits, a colon, then at least 20 letters, digits, _ or -", EnvBotToken)
	case cfg.ChatID == "":
		return fmt.Errorf("%s is required", EnvChatID)
	case !validChatID(cfg.ChatID):
		return fmt.Errorf("%s must be a numeric chat id such as -1001234567890 or a public @channelname of 5 to 32 letters, digits or _", EnvChatID)
	}
	if cfg.APIURL == "" {
		return nil
	}
	if err := outbound.CheckURL(EnvAPIURL, cfg.APIURL); err != nil {
		return err
	}
	// The method's path is appended to it, so a query or a fragment
	// would swallow it.
	if u, _ := url.Parse(cfg.APIURL); u.RawQuery != "" || u.ForceQuery || u.Fragment != "" || strings.Contains(cfg.APIURL, "#") {
		return fmt.Errorf("%s must not have a query or a fragment", EnvAPIURL)
	}
	return nil
}

func validChatID(id string) bool {
	if chatUsername().MatchString(id) {
		return true
	}
	n, err := strconv.ParseInt(id, 10, 64)
	return chatNumber().MatchString(id) && err == nil && n != 0
}

// chatIDValue is chat_id as sendMessage takes it: a number when the
// setting is one, else the @username string.
func chatIDValue(id string) any {
	if n, err := strconv.ParseInt(id, 10, 64); err == nil {
		return n
	}
	return id
}

func (cfg Config) settings() humane.Settings {
	return humane.Settings{Timeout: cfg.Timeout, Interval: cfg.Interval, Humanize: cfg.Humanize}
}

// withDefaults fills in what a zero value leaves to the default.
func (cfg Config) withDefaults() Config {
	cfg.APIURL = cmp.Or(cfg.APIURL, defaultAPIURL)
	s := cfg.settings().Or(humane.Defaults)
	cfg.Timeout, cfg.Interval = s.Timeout, s.Interval
	return cfg
}
