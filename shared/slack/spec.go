package slack

import (
	"log/slog"
	"os"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/nicechat-relay/nicechat-relay/shared/awsjson"
	"github.com/nicechat-relay/nicechat-relay/shared/channel"
	"github.com/nicechat-relay/nicechat-relay/shared/delivery"
	"github.com/nicechat-relay/nicechat-relay/shared/docstore"
	"github.com/nicechat-relay/nicechat-relay/shared/idempotency"
	"github.com/nicechat-relay/nicechat-relay/shared/outbound"
)

// Name is the channel's name in routing, logs and dead letters.
const Name = "slack"

// Spec is the Slack channel as the relay sees it; functions/slack runs its
// Main.
var Spec = channel.Spec{
	Name:  Name,
	Title: "Slack",
	Routes: []channel.Route{{
		Env: "SLACK_EVENTS", Default: channel.HumaneEvents,
		Description: "Event types posted to Slack (comma list, * = all, empty = none).",
		Doc:         "event types posted to Slack",
	}},
	// At most 2 instances (the least SQS allows), each posting at most
	// every SLACK_MIN_INTERVAL (2s): Slack's one post a second per
	// webhook or channel. A delivery in a thread may wait for another
	// opening it, post, and update the root: a minute holds a few.
	Source: channel.EventSource{BatchSize: 5, BatchWindow: time.Second, MaxConcurrency: 2, FunctionTimeout: time.Minute},
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
			deps.Threads = docstore.NewTable(awsjson.New(awsCfg, awsjson.DynamoDB, getenv), table)
		}
		return New(cfg, deps)
	},
	Local:   local,
	Secrets: []string{EnvWebhookURL, EnvBotToken},
	Deploy: channel.Deployment{
		FarEnd:      "SlackWebhookUrl",
		Label:       "Slack",
		Delivery:    "A Slack post",
		Description: "Posts queued events to Slack, through an incoming webhook (a message per event) or the Web API (a thread per visitor).",
		Delivers:    "humane Block Kit message, or a thread per visitor",
		OnDoc:       "SlackWebhookUrl, or SlackBotToken and SlackChannel",
		LocalOnDoc:  "`SLACK_WEBHOOK_URL`, or `SLACK_BOT_TOKEN` and `SLACK_CHANNEL`",
		Ways: []channel.Way{
			{Label: "Slack, a message per event", Set: "`SlackWebhookUrl`"},
			{Label: "Slack, a thread per visitor", Set: "`SlackBotToken` and `SlackChannel`"},
		},
		Params: []channel.Param{{
			Env:        EnvWebhookURL,
			Pattern:    `^$|^https?://[^\s]+$`,
			Constraint: "empty, or a Slack incoming webhook URL",
			Description: "Slack incoming webhook URL (https://hooks.slack.com/services/...): one " +
				"message per event. Empty, with SlackBotToken empty too, turns the channel off.",
			Doc: "Slack incoming webhook URL: a message per event", DocDefault: "empty = off",
			Example: "https://hooks.slack.com/services/T0000/B0000/XXXXXXXXXXXXXXXX",
		}, {
			Env:        EnvBotToken,
			EnvComment: "A thread per visitor; the threads are kept in IDEMPOTENCY_TABLE (Globals), under keys of their own.",
			Pattern:    `^$|^xoxb-\S+$`,
			Constraint: "empty, or a Slack bot token (xoxb-...), the Bot User OAuth Token of an installed Slack app",
			Description: "Instead of SlackWebhookUrl, for one thread per visitor: the Slack app's " +
				"Bot User OAuth Token (xoxb-..., under OAuth & Permissions; the app needs " +
				"the chat:write scope and must be in SlackChannel). Threads are kept in " +
				"the idempotency table.",
			Doc: "instead of `SlackWebhookUrl`, a thread per visitor: the Slack app's bot token, `xoxb-…` (not both)", DocDefault: "empty = off",
		}, {
			Env:        EnvChannel,
			Pattern:    `^$|^[CG][A-Z0-9]{6,31}$`,
			Constraint: "empty, or a Slack channel id such as C0123456789 (not its name)",
			Description: "With SlackBotToken: the id of the channel the threads go to, such as " +
				"C0123456789 (in Slack: click the channel's name, About, at the bottom). " +
				"Invite the app to it first (/invite @YourApp).",
			Doc: "with `SlackBotToken`: the channel's id, `C0123456789`; Slack in threads is on only when both are set",
		}, {
			Env:        EnvThreadTTL,
			Default:    "30d",
			Pattern:    `^((6[0-9]|[7-9][0-9]|[1-9][0-9]{2,4}|[1-4][0-9]{5}|5[01][0-9]{4}|52[0-4][0-9]{3}|525[0-5][0-9]{2}|525600)m|([1-9][0-9]{0,2}|[1-7][0-9]{3}|8[0-6][0-9]{2}|87[0-5][0-9]|8760)h|([1-9][0-9]?|[12][0-9]{2}|3[0-5][0-9]|36[0-5])d)$`,
			Constraint: "minutes (90m), hours (72h) or days (30d), from an hour to 365 days",
			Description: "With SlackBotToken: how long a visitor's thread is remembered after " +
				"their last event; a visitor who comes back within it continues their thread.",
			Doc: "with `SlackBotToken`: how long a visitor's thread is remembered after their last event (`72h`, `30d`; up to `365d`)",
		}, {
			Env:        EnvBroadcastEvents,
			Default:    "unanswered,new_order",
			Pattern:    `^ *(none|(\*|new_visitor|new_chat|first_message|unanswered|new_order|push_form)?( *, *(\*|new_visitor|new_chat|first_message|unanswered|new_order|push_form)?)*) *$`,
			Constraint: "a comma list of new_visitor, new_chat, first_message, unanswered, new_order, push_form; or * for all; none for none; empty for the default",
			Description: "With SlackBotToken: event types whose thread reply is also shown in the " +
				"channel (comma list, * = all, none = none; empty = unanswered,new_order).",
			Doc: "with `SlackBotToken`: the replies also shown in the channel (`*` all, `none` none)",
		}, {
			Env: EnvLanguage, Display: true, Values: []string{"", "en", "pl", "uk"},
			Description: "Language of the Slack messages; empty = HumanizeLanguage.",
			Doc:         "the Slack messages' language", DocDefault: "empty = `HumanizeLanguage`",
		}},
		Settings: []channel.Setting{
			{Env: EnvWebhookURL, Default: "required (slack), unless `SLACK_BOT_TOKEN` is set", Doc: "a Slack incoming-webhook URL: a message per event"},
			{Env: EnvBotToken, Also: []string{EnvChannel, EnvThreadTTL, EnvBroadcastEvents, EnvAPIURL}, Default: "unset", Doc: "instead of the webhook, a thread per visitor: see \"Slack: a message per event, or a thread per visitor\""},
			{Env: EnvTimeout, Default: "`10s`", Doc: "timeout of one Slack POST (a Web API call, in threads)"},
			{Env: EnvMinInterval, Default: "`2s`", Doc: "least time between two posts of one Slack consumer instance: with the 2 instances the event source runs at most, one post a second"},
			{Env: EnvLanguage, Default: "`HUMANIZE_LANGUAGE`", Doc: "the Slack messages' language, over `HUMANIZE_LANGUAGE`"},
		},
		// Either mode: an incoming webhook, or a bot token (threads).
		On: channel.AnyOf(channel.Set("SlackWebhookUrl"), channel.Set("SlackBotToken")),
		Rules: []channel.Rule{{
			Name: "SlackOneMode",
			Comment: "The Slack function refuses to start with both, or with a token and no " +
				"channel; refuse the deploy instead. A channel id without a token would " +
				"be ignored (an incoming webhook posts to its own channel): refused too.",
			Assertions: []channel.Assertion{{
				Description: "Set SlackWebhookUrl (one message per event) or SlackBotToken with " +
					"SlackChannel (one thread per visitor), not both.",
				Assert: channel.AnyOf(channel.Empty("SlackWebhookUrl"), channel.Empty("SlackBotToken")),
			}},
		}, {
			Name: "SlackNeedsTokenAndChannel",
			Assertions: []channel.Assertion{{
				Description: "Set both SlackBotToken (or SlackBotTokenSecretArn) and SlackChannel, or neither.",
				Assert: channel.AnyOf(
					channel.AllOf(channel.Empty("SlackBotToken"), channel.Empty("SlackChannel")),
					channel.AllOf(channel.Set("SlackBotToken"), channel.Set("SlackChannel"))),
			}},
		}},
		TimeoutComment: "Each instance posts at most once every 2 seconds (SLACK_MIN_INTERVAL's " +
			"default) and at most 2 run at once (MaximumConcurrency), so the " +
			"webhook or channel sees at most one post a second. In threads a " +
			"delivery may also wait for another opening the visitor's thread and " +
			"update the root's summary line: a batch of 5 with one slow delivery " +
			"needs about 45 s.",
		ConcurrencyComment: "The lowest SQS allows; SLACK_MIN_INTERVAL (2s) shares " +
			"Slack's one post a second between these two instances.",
		Records: []string{`!Sub "slack-thread#${SlackChannel}#*"`},
		RecordsComment: "Its own delivery records (<event id>#slack) and, with a bot " +
			"token, the visitors' threads in its channel " +
			"(slack-thread#<channel>#<visitor>): item actions, each of which " +
			"names its key.",
	},
}

// local runs the channel in the local relay: threads in the relay's own
// store when a bot token is set, else the webhook.
func local(env channel.LocalEnv) (channel.Local, error) {
	if strings.TrimSpace(env.Getenv(EnvBotToken)) == "" {
		if strings.TrimSpace(env.Getenv(EnvWebhookURL)) == "" {
			return channel.Local{Target: "off: set " + EnvWebhookURL + " or " + EnvBotToken}, nil
		}
		return channel.Local{On: true, Target: outbound.Origin(env.Getenv(EnvWebhookURL))}, nil
	}
	api := strings.TrimSpace(env.Getenv(EnvAPIURL))
	if api == "" {
		api = DefaultAPIURL
	}
	return channel.Local{
		On:     true,
		Target: "a thread per visitor in " + strings.TrimSpace(env.Getenv(EnvChannel)) + " at " + outbound.Origin(api),
		Open: channel.Opener(ConfigFromEnv, func(cfg Config, _ aws.Config) (delivery.Channel, error) {
			return New(cfg, Deps{Threads: env.Docs, Log: env.Log})
		}),
	}, nil
}
