package webhook

import (
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/nicechat-relay/nicechat-relay/shared/consumer"
	"github.com/nicechat-relay/nicechat-relay/shared/delivery"
)

// Name is the channel's name in routing, logs and dead letters.
const Name = "webhook"

// Spec is the webhook channel as the relay sees it; functions/webhook runs
// its Main.
var Spec = consumer.Spec{
	Name:   Name,
	Title:  "Webhook",
	Routes: []consumer.Route{{Env: "WEBHOOK_EVENTS", Default: "*"}},
	// A batch of 10 is delivered 10 at a time (DefaultConcurrency): one
	// slow endpoint costs one timeout, not ten.
	Source: consumer.EventSource{BatchSize: 10, BatchWindow: time.Second, MaxConcurrency: 5, FunctionTimeout: 30 * time.Second},
	Open: consumer.Opener(ConfigFromEnv, func(cfg Config, _ aws.Config) (delivery.Channel, error) {
		return New(cfg, Deps{})
	}),
	Local: local,
	// The URL may carry a secret too (a token in its path or query).
	Secrets: []string{EnvURL, EnvSecret},
}

// local posts to WEBHOOK_URL, else to the relay's built-in sink, so a
// first run shows deliveries end to end.
func local(env consumer.LocalEnv) (consumer.Local, error) {
	if url := env.Getenv(EnvURL); url != "" {
		return consumer.Local{On: true, Target: delivery.Origin(url)}, nil
	}
	return consumer.Local{On: true, Target: "the built-in sink " + env.SinkURL, Env: map[string]string{EnvURL: env.SinkURL}}, nil
}
