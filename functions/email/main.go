// Command email is the email consumer Lambda: it sends each queued event
// through SES, as pretty JSON (format=tech) or readable text (format=human).
package main

import (
	"github.com/nicechat-relay/nicechat-relay/shared/consumer"
	"github.com/nicechat-relay/nicechat-relay/shared/email"
)

func main() { consumer.Main(email.Spec) }
