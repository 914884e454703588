package dlq

import "github.com/nicechat-relay/nicechat-relay/shared/message"

// CloudFormation stack output names: the template declares these outputs,
// relayctl --stack reads them. Keep the two in step.
const (
	OutputWebhookQueueURL    = "WebhookQueueUrl"
	OutputWebhookDLQURL      = "WebhookDlqUrl"
	OutputEmailQueueURL      = "EmailQueueUrl"
	OutputEmailDLQURL        = "EmailDlqUrl"
	OutputSlackQueueURL      = "SlackQueueUrl"
	OutputSlackDLQURL        = "SlackDlqUrl"
	OutputQuarantineQueueURL = "QuarantineQueueUrl"
)

// Source names where a channel's queues are found: the stack outputs and
// the environment variables (message.ChannelEnvs, which ingest reads too).
type Source struct {
	Channel     string
	QueueOutput string
	DLQOutput   string
	QueueEnv    string
	DLQEnv      string
}

// Sources of the three channels, in the order they are searched.
var Sources = []Source{
	source(message.ChannelWebhook, OutputWebhookQueueURL, OutputWebhookDLQURL),
	source(message.ChannelEmail, OutputEmailQueueURL, OutputEmailDLQURL),
	source(message.ChannelSlack, OutputSlackQueueURL, OutputSlackDLQURL),
}

func source(channel, queueOutput, dlqOutput string) Source {
	env, _ := message.EnvOf(channel)
	return Source{Channel: channel, QueueOutput: queueOutput, DLQOutput: dlqOutput, QueueEnv: env.QueueURL, DLQEnv: env.DLQURL}
}

// SourceOf returns the channel's source names; false for an unknown channel.
func SourceOf(channel string) (Source, bool) {
	for _, s := range Sources {
		if s.Channel == channel {
			return s, true
		}
	}
	return Source{}, false
}
