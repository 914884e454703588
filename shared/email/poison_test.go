package email

import (
	"context"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ses"

	"github.com/nicechat-relay/nicechat-relay/shared/delivery"
	"github.com/nicechat-relay/nicechat-relay/shared/humane/humanetest"
	"github.com/nicechat-relay/nicechat-relay/shared/humanize"
)

// kept is an SES stand-in that keeps the last message it was handed.
type kept struct{ in *ses.SendEmailInput }

func (k *kept) SendEmail(_ context.Context, in *ses.SendEmailInput, _ ...func(*ses.Options)) (*ses.SendEmailOutput, error) {
	k.in = in
	return &ses.SendEmailOutput{MessageId: aws.String("0100-poison")}, nil
}

func TestAPoisonFormIsEmailedWithinItsMemoryBudget(t *testing.T) {
	humanetest.CheckPoisons(t, func(t *testing.T) (delivery.Channel, func() string) {
		sent := &kept{}
		ch := mustNew(t, Config{From: sender, To: []string{"owner@example.com"}, Humanize: humanize.Options{Location: time.UTC}}, sent)
		return ch, func() string { return aws.ToString(sent.in.Message.Subject.Data) }
	})
}
