package telegram

import (
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/nicechat-relay/nicechat-relay/shared/channel"
	"github.com/nicechat-relay/nicechat-relay/shared/delivery"
)

// Spec is the Telegram channel as the relay sees it; functions/telegram
// runs its Main.
var Spec = channel.Spec{
	Name:  Name,
	Title: "Telegram",
	Routes: []channel.Route{{
		Env: "TELEGRAM_EVENTS", Default: channel.HumaneEvents,
		Description: "Event types posted to Telegram (comma list, * = all, empty = none).",
		Doc:         "event types posted to Telegram",
	}},
	// At most 2 instances (the least SQS allows), each posting at most
	// every TELEGRAM_MIN_INTERVAL (2s): one message a second, Telegram's
	// limit for one chat. A batch of 5 plus one slow post fits the
	// timeout.
	Source: channel.EventSource{BatchSize: 5, BatchWindow: time.Second, MaxConcurrency: 2, FunctionTimeout: 30 * time.Second},
	// One at a time: the pacer spaces posts anyway.
	Concurrency: 1,
	Open: channel.Opener(ConfigFromEnv, func(cfg Config, _ aws.Config) (delivery.Channel, error) {
		return New(cfg, Deps{})
	}),
	Local: channel.OnWhenSet(EnvBotToken, func(getenv func(string) string) string {
		return "Telegram chat " + getenv(EnvChatID)
	}),
	Secrets: []string{EnvBotToken},
	Deploy: channel.Deployment{
		FarEnd:      EnvAPIURL,
		Label:       "Telegram",
		Delivery:    "A Telegram message",
		Description: "Posts queued events to a Telegram chat through the Bot API.",
		Delivers:    "humane HTML message via the Bot API",
		OnDoc:       "TelegramBotToken and TelegramChatId",
		LocalOnDoc:  "`TELEGRAM_BOT_TOKEN`",
		Params: []channel.Param{{
			Env:         EnvBotToken,
			Pattern:     `^$|^[0-9]+:[A-Za-z0-9_-]{20,}$`,
			Constraint:  "empty, or a bot token as @BotFather gives it (123456789:AA...)",
			Description: "Telegram bot token from @BotFather. Empty turns the channel off.",
			Doc:         "the bot's token from @BotFather", DocDefault: "empty = off",
			Example: "123456789:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw_",
		}, {
			Env:         EnvChatID,
			Pattern:     `^$|^-?[1-9][0-9]{0,18}$|^@[A-Za-z0-9_]{5,32}$`,
			Constraint:  "empty, a numeric chat id (groups are negative, e.g. -1001234567890) or @channelname",
			Description: "The chat the bot posts to; add the bot to it first. Empty turns the channel off.",
			Doc:         "the chat to post to: a numeric id or `@channelname`; Telegram is on only when both are set", DocDefault: "empty = off",
			Example: "-1001234567890",
		}, {
			Env: EnvLanguage, Display: true, Values: []string{"", "en", "pl", "uk"},
			Description: "Language of the Telegram messages; empty = HumanizeLanguage.",
			Doc:         "the Telegram messages' language", DocDefault: "empty = `HumanizeLanguage`",
		}},
		Settings: []channel.Setting{
			{Env: EnvBotToken, Default: "required (telegram)", Doc: "the bot's token from [@BotFather](https://t.me/BotFather); a secret, never logged nor put in a dead letter"},
			{Env: EnvChatID, Default: "required (telegram)", Doc: "the chat the bot posts to: a numeric id (groups are negative, `-100…`) or `@channelname`; add the bot to the chat first"},
			{Env: EnvAPIURL, Default: "`" + defaultAPIURL + "`", Doc: "the Bot API (tests point it at a local server)"},
			{Env: EnvTimeout, Default: "`10s`", Doc: "timeout of one `sendMessage`"},
			{Env: EnvMinInterval, Default: "`2s`", Doc: "least time between two messages of one Telegram consumer instance: with 2 instances, one a second, Telegram's limit for one chat"},
			{Env: EnvLanguage, Default: "`HUMANIZE_LANGUAGE`", Doc: "the Telegram messages' language, over `HUMANIZE_LANGUAGE`"},
		},
		On: channel.AllOf(channel.Set("TelegramBotToken"), channel.Set("TelegramChatId")),
		Rules: []channel.Rule{{
			Name: "TelegramNeedsTokenAndChat",
			Assertions: []channel.Assertion{{
				Description: "Set both TelegramBotToken (or TelegramBotTokenSecretArn) and TelegramChatId, or neither.",
				Assert: channel.AnyOf(
					channel.AllOf(channel.Empty("TelegramBotToken"), channel.Empty("TelegramChatId")),
					channel.AllOf(channel.Set("TelegramBotToken"), channel.Set("TelegramChatId"))),
			}},
		}},
		TimeoutComment: "Each instance posts at most once every 2 seconds " +
			"(TELEGRAM_MIN_INTERVAL's default) and at most 2 run at once, so the " +
			"chat gets at most one message a second, Telegram's limit for one " +
			"chat.",
		ConcurrencyComment: "The lowest SQS allows; TELEGRAM_MIN_INTERVAL (2s) shares " +
			"the chat's one message a second between these two instances.",
	},
}

// Interval is the least time between two posts of this instance.
func (c *Channel) Interval() time.Duration { return c.pacer.Interval }
