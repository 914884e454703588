package slack

import (
	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/nicechat-relay/nicechat-relay/shared/consumer"
	"github.com/nicechat-relay/nicechat-relay/shared/delivery"
	"github.com/nicechat-relay/nicechat-relay/shared/message"
)

// Lambda is the Slack consumer Lambda's start-up: functions/slack runs its
// Main, and the template's tests run its Setup with the stack's
// environment, so both start the same way.
var Lambda = consumer.Lambda[Config]{
	Channel: message.ChannelSlack,
	Config:  ConfigFromEnv,
	New:     func(cfg Config, _ aws.Config) (delivery.Channel, error) { return New(cfg), nil },
	// One at a time: the channel paces posts to Slack's one per second,
	// so parallel deliveries would only queue up behind its pacer.
	Concurrency: 1,
}
