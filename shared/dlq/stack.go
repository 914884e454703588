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
// the environment variables (WEBHOOK_QUEUE_URL is also what ingest reads).
type Source struct {
	Channel     string
	QueueOutput string
	DLQOutput   string
	QueueEnv    string
	DLQEnv      string
}

// Sources of the three channels, in the order they are searched.
var Sources = []Source{
	{message.ChannelWebhook, OutputWebhookQueueURL, OutputWebhookDLQURL, "WEBHOOK_QUEUE_URL", "WEBHOOK_DLQ_URL"},
	{message.ChannelEmail, OutputEmailQueueURL, OutputEmailDLQURL, "EMAIL_QUEUE_URL", "EMAIL_DLQ_URL"},
	{message.ChannelSlack, OutputSlackQueueURL, OutputSlackDLQURL, "SLACK_QUEUE_URL", "SLACK_DLQ_URL"},
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
