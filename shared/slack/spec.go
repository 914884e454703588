package slack

import (
	"log/slog"
	"os"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/nicechat-relay/nicechat-relay/shared/awsjson"
	"github.com/nicechat-relay/nicechat-relay/shared/consumer"
	"github.com/nicechat-relay/nicechat-relay/shared/delivery"
	"github.com/nicechat-relay/nicechat-relay/shared/idempotency"
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
	// webhook or channel. A delivery in a thread may wait for another
	// opening it, post, and update the root: a minute holds a few.
	Source: consumer.EventSource{BatchSize: 5, BatchWindow: time.Second, MaxConcurrency: 2, FunctionTimeout: time.Minute},
	// One at a time: the pacer spaces posts anyway, so parallel
	// deliveries would only queue up behind it.
	Concurrency: 1,
	Open: func(getenv func(string) string, awsCfg aws.Config) (delivery.Channel, error) {
		cfg, err := ConfigFromEnv(getenv)
		if err != nil {
			return nil, err
		}
		deps := Deps{Log: slog.New(slog.NewJSONHandler(os.Stdout, nil))}
		if table := strings.TrimSpace(getenv(idempotency.EnvTable)); cfg.Threaded() && table != "" {
			// The threads live in the idempotency table, under keys of
			// their own.
			deps.Threads = idempotency.NewTable(awsjson.New(awsCfg, awsjson.DynamoDB, getenv), table)
		}
		return New(cfg, deps)
	},
	Local:   local,
	Secrets: []string{EnvWebhookURL, EnvBotToken},
}

// local runs the channel in the local relay: threads in the relay's own
// store when a bot token is set, else the webhook.
func local(env consumer.LocalEnv) (consumer.Local, error) {
	if strings.TrimSpace(env.Getenv(EnvBotToken)) == "" {
		if strings.TrimSpace(env.Getenv(EnvWebhookURL)) == "" {
			return consumer.Local{Target: "off: set " + EnvWebhookURL + " or " + EnvBotToken}, nil
		}
		return consumer.Local{On: true, Target: delivery.Origin(env.Getenv(EnvWebhookURL))}, nil
	}
	api := strings.TrimSpace(env.Getenv(EnvAPIURL))
	if api == "" {
		api = DefaultAPIURL
	}
	return consumer.Local{
		On:     true,
		Target: "a thread per visitor in " + strings.TrimSpace(env.Getenv(EnvChannel)) + " at " + delivery.Origin(api),
		Open: consumer.Opener(ConfigFromEnv, func(cfg Config, _ aws.Config) (delivery.Channel, error) {
			return New(cfg, Deps{Threads: env.Docs, Log: env.Log})
		}),
	}, nil
}
