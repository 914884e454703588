package webhook

import (
	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/nicechat-relay/nicechat-relay/shared/consumer"
	"github.com/nicechat-relay/nicechat-relay/shared/delivery"
	"github.com/nicechat-relay/nicechat-relay/shared/message"
)

// Lambda is the webhook consumer Lambda's start-up: functions/webhook runs
// its Main, and the template's tests run its Setup with the stack's
// environment, so both start the same way.
var Lambda = consumer.Lambda[Config]{
	Channel: message.ChannelWebhook,
	Config:  ConfigFromEnv,
	// cfg comes from ConfigFromEnv, which has checked it.
	New: func(cfg Config, _ aws.Config) (delivery.Channel, error) { return build(cfg), nil },
}
