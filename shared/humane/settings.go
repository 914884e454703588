// Package humane is the kit the humane channels (email's human messages,
// Slack, Telegram, and whatever shows a person an event next) are built
// from, so that such a channel is its own payload and its own answers and
// nothing else: the settings all of them have (a timeout, a pace, the
// humanize options with a language of its own), the event a message
// carries, a Pacer that posts to a rate-limited service through one HTTP
// client, and the reading of the HTTP answers every such service gives
// alike. Its tests' kit is humanetest.
package humane

import (
	"fmt"
	"time"

	"github.com/nicechat-relay/nicechat-relay/shared/delivery"
	"github.com/nicechat-relay/nicechat-relay/shared/duration"
	"github.com/nicechat-relay/nicechat-relay/shared/humanize"
	"github.com/nicechat-relay/nicechat-relay/shared/message"
	"github.com/nicechat-relay/nicechat-relay/shared/nicechat"
)

// Env names a channel's own variables for the settings every humane
// channel has. A name left empty is a setting the channel does not have
// (email's SES call has no pace): it is not read, and its default stands.
type Env struct {
	Timeout     string // SLACK_TIMEOUT: one post's timeout
	MinInterval string // SLACK_MIN_INTERVAL: the least time between two posts of one instance
	Language    string // SLACK_LANGUAGE: the messages' language, over HUMANIZE_LANGUAGE
}

// Settings are what every humane channel is configured with besides where
// it delivers.
type Settings struct {
	Timeout  time.Duration
	Interval time.Duration
	Humanize humanize.Options
}

// Defaults keep a chat service at its documented pace, about one message
// a second for one webhook, channel or chat, with the two instances the
// event source runs at most (channel.EventSource.MaxConcurrency), each
// posting every 2 seconds; a post that takes over 10 seconds is retried.
var Defaults = Settings{Timeout: 10 * time.Second, Interval: 2 * time.Second}

// Read reads the settings env names: the timeout and the pace with
// duration.Parse (a duration or a number of seconds, positive, at most
// duration.Max; unset, def's), and the humanize options
// (DISPLAY_TIMEZONE, HUMANIZE_SHOW_IP, CHAT_URL_TEMPLATE,
// HUMANIZE_LANGUAGE, and the channel's language over it). An error names
// the variable at fault.
func (env Env) Read(getenv func(string) string, def Settings) (Settings, error) {
	s := def
	var err error
	if env.Timeout != "" {
		if s.Timeout, err = duration.Parse(env.Timeout, getenv(env.Timeout), def.Timeout); err != nil {
			return Settings{}, err
		}
	}
	if env.MinInterval != "" {
		if s.Interval, err = duration.Parse(env.MinInterval, getenv(env.MinInterval), def.Interval); err != nil {
			return Settings{}, err
		}
	}
	if s.Humanize, err = humanize.OptionsFromEnv(getenv, env.Language); err != nil {
		return Settings{}, err
	}
	return s, nil
}

// Check checks settings built in code as Read checks them; zero durations
// stand for the defaults.
func (env Env) Check(s Settings) error {
	for _, d := range []struct {
		name  string
		value time.Duration
	}{{env.Timeout, s.Timeout}, {env.MinInterval, s.Interval}} {
		if d.name != "" && (d.value < 0 || d.value > duration.Max) {
			return fmt.Errorf("%s must be at most %s and not negative (zero takes the default), got %s", d.name, duration.Max, d.value)
		}
	}
	if err := s.Humanize.Validate(); err != nil {
		return fmt.Errorf("%s: %w", env.Language, err)
	}
	return nil
}

// Or is s with each zero duration taken from def.
func (s Settings) Or(def Settings) Settings {
	if s.Timeout == 0 {
		s.Timeout = def.Timeout
	}
	if s.Interval == 0 {
		s.Interval = def.Interval
	}
	return s
}

// Event is the Nice Chat event m carries; a body that is not one can never
// be delivered, by any channel.
func Event(m message.Message) (*nicechat.Event, *delivery.Error) {
	e, err := nicechat.Parse(m.Body)
	if err != nil {
		return nil, delivery.InvalidMessage("body is not a Nice Chat event: "+err.Error(), err)
	}
	return e, nil
}
