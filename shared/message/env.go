package message

// ChannelEnv names the environment variables that route events to one
// channel. Ingest, the local relay, relayctl and template.yaml all use
// these names, so they are written once, here.
type ChannelEnv struct {
	Channel  string
	QueueURL string      // the channel's queue: ingest sends to it, its consumer reads it
	DLQURL   string      // the channel's dead-letter queue
	Events   []EventsEnv // the lists of event types routed to the channel, one per format
}

// EventsEnv names a variable listing the event types a channel gets in one
// format (a comma list, * for all, empty for none).
type EventsEnv struct {
	Name   string
	Format Format // empty for a channel with a single format
}

// ChannelEnvs lists the channels' variables in routing order.
var ChannelEnvs = []ChannelEnv{
	{Channel: ChannelWebhook, QueueURL: "WEBHOOK_QUEUE_URL", DLQURL: "WEBHOOK_DLQ_URL", Events: []EventsEnv{{Name: "WEBHOOK_EVENTS"}}},
	{Channel: ChannelEmail, QueueURL: "EMAIL_QUEUE_URL", DLQURL: "EMAIL_DLQ_URL", Events: []EventsEnv{
		{Name: "EMAIL_TECH_EVENTS", Format: FormatTech},
		{Name: "EMAIL_HUMAN_EVENTS", Format: FormatHuman},
	}},
	{Channel: ChannelSlack, QueueURL: "SLACK_QUEUE_URL", DLQURL: "SLACK_DLQ_URL", Events: []EventsEnv{{Name: "SLACK_EVENTS"}}},
}

// EnvOf returns the channel's variable names; false for an unknown channel.
func EnvOf(channel string) (ChannelEnv, bool) {
	for _, e := range ChannelEnvs {
		if e.Channel == channel {
			return e, true
		}
	}
	return ChannelEnv{}, false
}
