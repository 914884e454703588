// Command webhook is the webhook consumer Lambda: it POSTs each queued
// event to WEBHOOK_URL, signed when WEBHOOK_SECRET is set.
package main

import (
	"github.com/nicechat-relay/nicechat-relay/shared/consumer"
	"github.com/nicechat-relay/nicechat-relay/shared/webhook"
)

func main() { consumer.Main(webhook.Spec) }
