package email

import (
	"cmp"
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ses"

	"github.com/nicechat-relay/nicechat-relay/shared/channel"
	"github.com/nicechat-relay/nicechat-relay/shared/delivery"
	"github.com/nicechat-relay/nicechat-relay/shared/message"
)

// Name is the channel's name in routing, logs and dead letters.
const Name = "email"

// Spec is the email channel as the relay sees it; functions/email runs its
// Main.
var Spec = channel.Spec{
	Name:  Name,
	Title: "Email",
	Routes: []channel.Route{
		{
			Env: "EMAIL_TECH_EVENTS", Format: message.FormatTech,
			Description: "Event types emailed as pretty-printed JSON (comma list, * = all, empty = none).",
			Doc:         "event types emailed as pretty-printed JSON",
		},
		{
			Env: "EMAIL_HUMAN_EVENTS", Format: message.FormatHuman, Default: channel.HumaneEvents,
			Description: "Event types emailed as readable text (comma list, * = all, empty = none).",
			Doc:         "event types emailed as a message a person reads",
		},
	},
	// At most 2 instances sending one at a time: SES's sandbox sends one
	// message a second, and a burst of throttled sends would spend every
	// message's attempts.
	Source:      channel.EventSource{BatchSize: 10, BatchWindow: time.Second, MaxConcurrency: 2, FunctionTimeout: 30 * time.Second},
	Concurrency: 1,
	Open: channel.Opener(ConfigFromEnv, func(cfg Config, awsCfg aws.Config) (delivery.Channel, error) {
		return New(cfg, Deps{SES: ses.NewFromConfig(awsCfg)})
	}),
	Local: local,
	Deploy: channel.Deployment{
		Label:       "Email",
		Delivery:    "An email",
		Description: "Sends queued events as email through SES.",
		Delivers:    "tech JSON and/or humane text, by SES",
		OnDoc:       "EmailFrom and EmailTo",
		LocalOnDoc:  "always (outbox by default)",
		Params: []channel.Param{{
			Env:        EnvFrom,
			Pattern:    `^$|^[^@\s<>,]+@[^@\s<>,]+\.[^@\s<>,]+$`,
			Constraint: "empty, or a bare address such as relay@example.com (no display name)",
			Description: "Sender address, an SES identity verified in this region (the address or " +
				"its domain). The function may send only as this identity.",
			Doc: "sender, a bare address (`relay@example.com`) whose address or domain is a verified SES identity; the Lambda may send only as it", DocDefault: "empty = off",
			Example: "relay@example.com",
		}, {
			Env:         EnvTo,
			Pattern:     `^$|^[^@\s<>,]+@[^@\s<>,]+( *, *[^@\s<>,]+@[^@\s<>,]+)*$`,
			Constraint:  "empty, or a comma list of addresses",
			Description: "Recipients, comma separated. The email channel is off unless both EmailFrom and EmailTo are set.",
			Doc:         "recipients, comma separated; email is on only when both `EmailFrom` and `EmailTo` are set", DocDefault: "empty = off",
			Example: "ops@example.com, sales@example.com",
		}, {
			Env:         EnvConfigurationSet,
			Pattern:     "^[A-Za-z0-9_-]{0,64}$",
			Description: "Optional SES configuration set to send through (for bounce and delivery tracking).",
			Doc:         "optional SES configuration set (bounce and delivery tracking)",
		}, {
			Env: EnvLanguage, Display: true, Values: []string{"", "en", "pl", "uk"},
			Description: "Language of the human emails; empty = HumanizeLanguage (say, en for the accountant while the chats are uk).",
			Doc:         "the human emails' language", DocDefault: "empty = `HumanizeLanguage`",
		}},
		Settings: []channel.Setting{
			{Env: EnvFrom, Also: []string{EnvTo}, Default: "required (email; local: `nicechat-relay@localhost`, `you@localhost`)", Doc: "a verified SES identity; a comma list of recipients"},
			{Env: EnvConfigurationSet, Default: "unset", Doc: "SES configuration set"},
			{Env: EnvLanguage, Default: "`HUMANIZE_LANGUAGE`", Doc: "the human emails' language, over `HUMANIZE_LANGUAGE` (the accountant's email in English while the team's chats are in Ukrainian)"},
		},
		On: channel.AllOf(channel.Set("EmailFrom"), channel.Set("EmailTo")),
		Rules: []channel.Rule{{
			Name: "EmailNeedsBothAddresses",
			Assertions: []channel.Assertion{{
				Description: "Set both EmailFrom and EmailTo, or neither.",
				Assert: channel.AnyOf(
					channel.AllOf(channel.Empty("EmailFrom"), channel.Empty("EmailTo")),
					channel.AllOf(channel.Set("EmailFrom"), channel.Set("EmailTo"))),
			}},
		}},
		Conditions:         []channel.NamedCond{{Name: "HasEmailConfigurationSet", If: channel.Set("EmailConfigurationSet")}},
		ConcurrencyComment: "SES's sandbox sends one message per second.",
		Statements: []channel.Statement{{
			Comment: "SendEmail (SES v1), the one call the channel makes, as " +
				"EmailFrom only: SES authorizes against whichever identity is " +
				"verified, the address itself or its domain, and the condition " +
				"keeps a verified domain's other addresses out.",
			Actions: []string{"ses:SendEmail"},
			Resources: []string{
				"!Sub arn:${AWS::Partition}:ses:${AWS::Region}:${AWS::AccountId}:identity/${EmailFrom}",
				`!Sub ["arn:${AWS::Partition}:ses:${AWS::Region}:${AWS::AccountId}:identity/${Domain}", {Domain: !Select [1, !Split ["@", !Ref EmailFrom]]}]`,
				"!If [HasEmailConfigurationSet, !Sub \"arn:${AWS::Partition}:ses:${AWS::Region}:${AWS::AccountId}:configuration-set/${EmailConfigurationSet}\", !Ref AWS::NoValue]",
			},
			Condition: `{StringEquals: {"ses:FromAddress": !Ref EmailFrom}}`,
		}},
	},
}

// Local settings of the email channel.
const (
	// EnvLocalMode chooses where the local relay's email goes: auto, outbox
	// or ses.
	EnvLocalMode = "RELAY_EMAIL"
	// EnvDataDir is the local relay's data directory, the outbox's parent.
	EnvDataDir = "RELAY_DATA_DIR"
	outboxDir  = "outbox"
	localFrom  = "nicechat-relay@localhost"
	localTo    = "you@localhost"
)

// local sends through SES when it is set up (EMAIL_FROM, EMAIL_TO and AWS
// credentials, or RELAY_EMAIL=ses) and otherwise writes .eml files to the
// data directory's outbox.
func local(env channel.LocalEnv) (channel.Local, error) {
	ses, err := useSES(env)
	if err != nil {
		return channel.Local{}, err
	}
	if ses {
		return channel.Local{On: true, Target: "Amazon SES (" + cmp.Or(env.AWS.Region, "default region") + ")"}, nil
	}
	outbox := filepath.Join(env.DataDir, outboxDir)
	return channel.Local{
		On:     true,
		Target: "outbox " + outbox,
		Env:    map[string]string{EnvFrom: cmp.Or(env.Getenv(EnvFrom), localFrom), EnvTo: cmp.Or(env.Getenv(EnvTo), localTo)},
		Open: channel.Opener(ConfigFromEnv, func(cfg Config, _ aws.Config) (delivery.Channel, error) {
			return New(cfg, Deps{SES: &Outbox{Dir: outbox, Setting: EnvDataDir}})
		}),
		Files: outbox,
	}, nil
}

func useSES(env channel.LocalEnv) (bool, error) {
	switch mode := strings.ToLower(strings.TrimSpace(env.Getenv(EnvLocalMode))); mode {
	case "ses":
		return true, env.AWSErr
	case "outbox":
		return false, nil
	case "", "auto":
	default:
		return false, fmt.Errorf("%s must be auto, outbox or ses, got %q", EnvLocalMode, mode)
	}
	if env.Getenv(EnvFrom) == "" || env.Getenv(EnvTo) == "" || env.AWSErr != nil {
		return false, nil
	}
	check, cancel := context.WithTimeout(context.Background(), 3*time.Second)
	defer cancel()
	_, err := env.AWS.Credentials.Retrieve(check)
	if err != nil {
		env.Log.Warn("email goes to the outbox: EMAIL_FROM and EMAIL_TO are set but no AWS credentials were found", "channel", Name)
	}
	return err == nil, nil
}
