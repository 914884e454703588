package telegram

import (
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/nicechat-relay/nicechat-relay/shared/consumer"
	"github.com/nicechat-relay/nicechat-relay/shared/delivery"
)

// Spec is the Telegram channel as the relay sees it; functions/telegram
// runs its Main.
var Spec = consumer.Spec{
	Name:   Name,
	Title:  "Telegram",
	Routes: []consumer.Route{{Env: "TELEGRAM_EVENTS", Default: consumer.HumaneEvents}},
	// At most 2 instances (the least SQS allows), each posting at most
	// every TELEGRAM_MIN_INTERVAL (2s): one message a second, Telegram's
	// limit for one chat. A batch of 5 plus one slow post fits the
	// timeout.
	Source: consumer.EventSource{BatchSize: 5, BatchWindow: time.Second, MaxConcurrency: 2, FunctionTimeout: 30 * time.Second},
	// One at a time: the pacer spaces posts anyway.
	Concurrency: 1,
	Open: consumer.Opener(ConfigFromEnv, func(cfg Config, _ aws.Config) (delivery.Channel, error) {
		return New(cfg, Deps{})
	}),
	Local: consumer.OnWhenSet(EnvBotToken, func(getenv func(string) string) string {
		return "Telegram chat " + getenv(EnvChatID)
	}),
	Secrets: []string{EnvBotToken},
}

// Interval is the least time between two posts of this instance.
func (c *Channel) Interval() time.Duration { return c.pacer.Interval }
