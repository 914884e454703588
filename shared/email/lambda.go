package email

import (
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ses"

	"github.com/nicechat-relay/nicechat-relay/shared/consumer"
	"github.com/nicechat-relay/nicechat-relay/shared/delivery"
	"github.com/nicechat-relay/nicechat-relay/shared/message"
)

// Lambda is the email consumer Lambda's start-up: functions/email runs its
// Main, and the template's tests run its Setup with the stack's
// environment, so both start the same way.
var Lambda = consumer.Lambda[Config]{
	Channel: message.ChannelEmail,
	Config:  ConfigFromEnv,
	New: func(cfg Config, awsCfg aws.Config) (delivery.Channel, error) {
		return New(cfg, ses.NewFromConfig(awsCfg)), nil
	},
	// One at a time: SES's sandbox sends one message a second, and a
	// burst of throttled sends would spend every message's attempts.
	Concurrency: 1,
}
