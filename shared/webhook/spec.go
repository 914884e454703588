package webhook

import (
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/nicechat-relay/nicechat-relay/shared/channel"
	"github.com/nicechat-relay/nicechat-relay/shared/delivery"
	"github.com/nicechat-relay/nicechat-relay/shared/outbound"
)

// Name is the channel's name in routing, logs and dead letters.
const Name = "webhook"

// Spec is the webhook channel as the relay sees it; functions/webhook runs
// its Main.
var Spec = channel.Spec{
	Name:  Name,
	Title: "Webhook",
	Routes: []channel.Route{{
		Env: "WEBHOOK_EVENTS", Default: "*",
		Description: "Event types the webhook channel receives (comma list, * = all, including types Nice Chat adds later).",
		Doc:         "event types sent to the webhook",
	}},
	// A batch of 10 is delivered 10 at a time (DefaultConcurrency): one
	// slow endpoint costs one timeout, not ten.
	Source: channel.EventSource{BatchSize: 10, BatchWindow: time.Second, MaxConcurrency: 5, FunctionTimeout: 30 * time.Second},
	Open: channel.Opener(ConfigFromEnv, func(cfg Config, _ aws.Config) (delivery.Channel, error) {
		return New(cfg, Deps{})
	}),
	Local: local,
	// The URL may carry a secret too (a token in its path or query).
	Secrets: []string{EnvURL, EnvSecret},
	Deploy: channel.Deployment{
		FarEnd:      "WebhookUrl",
		Label:       "Webhook",
		Delivery:    "A webhook delivery",
		Description: "Delivers queued events to WebhookUrl as signed POSTs.",
		Delivers:    "the event JSON, signed",
		OnDoc:       "WebhookUrl",
		LocalOnDoc:  "always (built-in sink by default)",
		Ways:        []channel.Way{{Label: "Webhook", Set: "`WebhookUrl` (and `WebhookSecret` to have requests signed)"}},
		Params: []channel.Param{{
			Env:        EnvURL,
			Comment:    "The URL often carries a secret (a token in its path or query).",
			Pattern:    `^$|^https?://[^\s]+$`,
			Constraint: "empty, or an absolute http(s) URL",
			Description: "Where the webhook channel POSTs each event's JSON. Empty, with " +
				"WebhookUrlSecretArn empty too, turns the channel off.",
			Doc: "where the webhook channel POSTs each event's JSON, byte for byte", DocDefault: "empty = off",
			Example: "https://hooks.example.com/nicechat",
		}, {
			Env:        EnvSecret,
			Pattern:    `^$|^whsec_[A-Za-z0-9+/]+={0,2}( whsec_[A-Za-z0-9+/]+={0,2})?$`,
			Constraint: "empty, or whsec_ followed by a base64 key; two such, separated by a space, while rotating",
			Description: "Standard Webhooks signing secret (whsec_<base64>). Empty sends unsigned " +
				"requests. While rotating, the new and the old secret separated by a " +
				"space: each request then carries both signatures.",
			Doc: "`whsec_<base64>`: requests carry Standard Webhooks `webhook-id`, `webhook-timestamp`, `webhook-signature`", DocDefault: "empty = unsigned",
			Example: "whsec_MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY=",
		}},
		Settings: []channel.Setting{
			{Env: EnvURL, Default: "required (webhook; local: the built-in `/_sink`)", Doc: "where the event JSON is POSTed; a secret (its path or query often carries a token), so it may come from Secrets Manager like the others"},
			{Env: EnvSecret, Default: "unset: unsigned", Doc: "`whsec_…` Standard Webhooks signing secret; while rotating, the new and the old separated by a space (each request carries both signatures, so the receiver can switch at its own pace)"},
			{Env: EnvTimeout, Default: "`10s`", Doc: "timeout of one POST"},
		},
		On: channel.Set("WebhookUrl"),
	},
}

// local posts to WEBHOOK_URL, else to the relay's built-in sink, so a
// first run shows deliveries end to end.
func local(env channel.LocalEnv) (channel.Local, error) {
	if url := env.Getenv(EnvURL); url != "" {
		return channel.Local{On: true, Target: outbound.Origin(url)}, nil
	}
	return channel.Local{On: true, Target: "the built-in sink " + env.SinkURL, Env: map[string]string{EnvURL: env.SinkURL}}, nil
}
