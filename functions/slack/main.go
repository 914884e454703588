// Command slack is the Slack consumer Lambda: it posts each queued event
// to the SLACK_WEBHOOK_URL incoming webhook as Block Kit.
package main

import "github.com/nicechat-relay/nicechat-relay/shared/slack"

func main() { slack.Spec.Main() }
