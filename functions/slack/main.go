// Command slack is the Slack consumer Lambda: it posts each queued event
// to the SLACK_WEBHOOK_URL incoming webhook as Block Kit.
package main

import (
	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/nicechat-relay/nicechat-relay/shared/consumer"
	"github.com/nicechat-relay/nicechat-relay/shared/delivery"
	"github.com/nicechat-relay/nicechat-relay/shared/message"
	"github.com/nicechat-relay/nicechat-relay/shared/slack"
)

func main() {
	consumer.Lambda[slack.Config]{
		Channel: message.ChannelSlack,
		Config:  slack.ConfigFromEnv,
		New:     func(cfg slack.Config, _ aws.Config) (delivery.Channel, error) { return slack.New(cfg), nil },
		// One at a time: the channel paces posts to Slack's one per second,
		// so parallel deliveries would only queue up behind its pacer.
		Concurrency: 1,
	}.Main()
}
