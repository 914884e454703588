package email

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ses"

	"github.com/nicechat-relay/nicechat-relay/shared/humanize"
	"github.com/nicechat-relay/nicechat-relay/shared/message"
	"github.com/nicechat-relay/nicechat-relay/shared/nicechat/nicechattest"
)

// kept is an SES stand-in that keeps the last message it was handed.
type kept struct{ in *ses.SendEmailInput }

func (k *kept) SendEmail(_ context.Context, in *ses.SendEmailInput, _ ...func(*ses.Options)) (*ses.SendEmailOutput, error) {
	k.in = in
	return &ses.SendEmailOutput{MessageId: aws.String("0100-poison")}, nil
}

func TestAPoisonFormIsEmailedWithinItsMemoryBudget(t *testing.T) {
	for _, p := range nicechattest.Poisons() {
		t.Run(p.Name, func(t *testing.T) {
			sent := &kept{}
			ch := mustNew(t, Config{From: sender, To: []string{"owner@example.com"}, Humanize: humanize.Options{Location: time.UTC}}, sent)
			m := messageOf(p.Body, "push_form", message.FormatHuman)
			var err error
			got := nicechattest.Allocated(func() { err = ch.Deliver(context.Background(), m) })
			if err != nil {
				t.Fatalf("Deliver: %v", err)
			}
			t.Logf("%d bytes allocated for a %d-byte body", got, len(p.Body))
			if budget := nicechattest.RenderBudget(len(p.Body)); got > budget {
				t.Errorf("emailing %d bytes allocated %d bytes, over the budget of %d", len(p.Body), got, budget)
			}
			if subject := aws.ToString(sent.in.Message.Subject.Data); !strings.Contains(subject, "Deep") {
				t.Errorf("subject %q does not name the form", subject)
			}
		})
	}
}
