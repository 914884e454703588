// Command slack is the Slack consumer Lambda: it posts each queued event
// as Block Kit to the SLACK_WEBHOOK_URL incoming webhook, or, with
// SLACK_BOT_TOKEN and SLACK_CHANNEL, in the visitor's thread of that
// channel through the Web API.
package main

import (
	"github.com/nicechat-relay/nicechat-relay/shared/consumer"
	"github.com/nicechat-relay/nicechat-relay/shared/slack"
)

func main() { consumer.Main(slack.Spec) }
