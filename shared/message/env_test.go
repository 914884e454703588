package message_test

import (
	"slices"
	"testing"

	"github.com/nicechat-relay/nicechat-relay/shared/message"
)

func TestEnvOfNamesEachChannelsVariables(t *testing.T) {
	tests := []struct {
		channel    string
		queue, dlq string
		events     []message.EventsEnv
	}{
		{message.ChannelWebhook, "WEBHOOK_QUEUE_URL", "WEBHOOK_DLQ_URL", []message.EventsEnv{{Name: "WEBHOOK_EVENTS"}}},
		{message.ChannelEmail, "EMAIL_QUEUE_URL", "EMAIL_DLQ_URL", []message.EventsEnv{
			{Name: "EMAIL_TECH_EVENTS", Format: message.FormatTech},
			{Name: "EMAIL_HUMAN_EVENTS", Format: message.FormatHuman},
		}},
		{message.ChannelSlack, "SLACK_QUEUE_URL", "SLACK_DLQ_URL", []message.EventsEnv{{Name: "SLACK_EVENTS"}}},
	}
	for _, tt := range tests {
		t.Run(tt.channel, func(t *testing.T) {
			env, ok := message.EnvOf(tt.channel)
			if !ok || env.Channel != tt.channel || env.QueueURL != tt.queue || env.DLQURL != tt.dlq || !slices.Equal(env.Events, tt.events) {
				t.Errorf("EnvOf(%q) = %+v, %v; want queue %s, DLQ %s, events %v", tt.channel, env, ok, tt.queue, tt.dlq, tt.events)
			}
		})
	}
}

func TestEnvOfAnUnknownChannelIsFalse(t *testing.T) {
	if env, ok := message.EnvOf("sms"); ok || env.QueueURL != "" {
		t.Errorf(`EnvOf("sms") = %+v, %v; want nothing`, env, ok)
	}
}

func TestChannelEnvsRouteInChannelOrder(t *testing.T) {
	var got []string
	for _, e := range message.ChannelEnvs {
		got = append(got, e.Channel)
	}
	if want := []string{message.ChannelWebhook, message.ChannelEmail, message.ChannelSlack}; !slices.Equal(got, want) {
		t.Errorf("channels = %v, want %v", got, want)
	}
}
