// Command telegram is the Telegram consumer Lambda: it posts each queued
// event to TELEGRAM_CHAT_ID through the Bot API, as a message a person
// reads.
package main

import (
	"github.com/nicechat-relay/nicechat-relay/shared/consumer"
	"github.com/nicechat-relay/nicechat-relay/shared/telegram"
)

func main() { consumer.Main(telegram.Spec) }
