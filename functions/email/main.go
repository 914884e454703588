// Command email is the email consumer Lambda: it sends each queued event
// through SES, as pretty JSON (format=tech) or readable text (format=human).
package main

import (
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ses"

	"github.com/nicechat-relay/nicechat-relay/shared/consumer"
	"github.com/nicechat-relay/nicechat-relay/shared/delivery"
	"github.com/nicechat-relay/nicechat-relay/shared/email"
	"github.com/nicechat-relay/nicechat-relay/shared/message"
)

func main() {
	consumer.Lambda[email.Config]{
		Channel: message.ChannelEmail,
		Config:  email.ConfigFromEnv,
		New: func(cfg email.Config, awsCfg aws.Config) (delivery.Channel, error) {
			return email.New(cfg, ses.NewFromConfig(awsCfg)), nil
		},
		// One at a time: SES's sandbox sends one message a second, and a
		// burst of throttled sends would spend every message's attempts.
		Concurrency: 1,
	}.Main()
}
