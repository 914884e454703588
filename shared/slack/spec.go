package slack

import (
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/nicechat-relay/nicechat-relay/shared/consumer"
	"github.com/nicechat-relay/nicechat-relay/shared/delivery"
)

// Name is the channel's name in routing, logs and dead letters.
const Name = "slack"

// Spec is the Slack channel as the relay sees it; functions/slack runs its
// Main.
var Spec = consumer.Spec{
	Name:   Name,
	Title:  "Slack",
	Routes: []consumer.Route{{Env: "SLACK_EVENTS", Default: consumer.HumaneEvents}},
	// At most 2 instances (the least SQS allows), each posting at most
	// every SLACK_MIN_INTERVAL (2s): Slack's one post a second per
	// webhook. A batch of 5 plus one slow post fits the timeout.
	Source: consumer.EventSource{BatchSize: 5, BatchWindow: time.Second, MaxConcurrency: 2, FunctionTimeout: 30 * time.Second},
	// One at a time: the pacer spaces posts anyway, so parallel
	// deliveries would only queue up behind it.
	Concurrency: 1,
	Open: consumer.Opener(ConfigFromEnv, func(cfg Config, _ aws.Config) (delivery.Channel, error) {
		return New(cfg, Deps{})
	}),
	Local: consumer.OnWhenSet(EnvWebhookURL, func(getenv func(string) string) string {
		return delivery.Origin(getenv(EnvWebhookURL))
	}),
	Secrets: []string{EnvWebhookURL},
}
