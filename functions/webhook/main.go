// Command webhook is the webhook consumer Lambda: it POSTs each queued
// event to WEBHOOK_URL, signed when WEBHOOK_SECRET is set.
package main

import (
	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/nicechat-relay/nicechat-relay/shared/consumer"
	"github.com/nicechat-relay/nicechat-relay/shared/delivery"
	"github.com/nicechat-relay/nicechat-relay/shared/message"
	"github.com/nicechat-relay/nicechat-relay/shared/webhook"
)

func main() {
	consumer.Lambda[webhook.Config]{
		Channel: message.ChannelWebhook,
		Config:  webhook.ConfigFromEnv,
		New:     func(cfg webhook.Config, _ aws.Config) (delivery.Channel, error) { return webhook.New(cfg) },
	}.Main()
}
