package consumer_test

import (
	"bytes"
	"context"
	"crypto/md5"
	"encoding/hex"
	"slices"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"

	fixtures "github.com/nicechat-relay/nicechat-relay/events"
	"github.com/nicechat-relay/nicechat-relay/shared/channel"
	"github.com/nicechat-relay/nicechat-relay/shared/channels"
	"github.com/nicechat-relay/nicechat-relay/shared/localaws"
	"github.com/nicechat-relay/nicechat-relay/shared/message"
	"github.com/nicechat-relay/nicechat-relay/shared/nicechat"
)

func TestSQSFixturesAreReadableMessages(t *testing.T) {
	for _, spec := range channels.All {
		t.Run("events/sqs-"+spec.Name+".json", func(t *testing.T) {
			ev := fixtures.SQS(spec.Name)
			if len(ev.Records) != 1 {
				t.Fatalf("%d records, want 1", len(ev.Records))
			}
			rec := ev.Records[0]
			m, err := message.FromRecord(rec)
			if err != nil {
				t.Fatalf("FromRecord: %v", err)
			}
			if !bytes.Equal(m.Body, fixtures.Body("new_chat")) {
				t.Errorf("body is not the new_chat fixture's body")
			}
			if m.Event != nicechat.TypeNewChat || m.EventID != nicechat.EventID(m.Body) || m.ReceivedAt.IsZero() || !slices.ContainsFunc(spec.Routes, func(r channel.Route) bool { return r.Format == m.Format }) {
				t.Errorf("message = %+v", m)
			}
			if sum := md5.Sum([]byte(rec.Body)); rec.Md5OfBody != hex.EncodeToString(sum[:]) {
				t.Errorf("md5OfBody %s is not the body's MD5", rec.Md5OfBody)
			}
			// SQS computes the attributes' digest; sending the same
			// attributes to the local SQS gives the value a real record has.
			out, err := localaws.SQS(t).SendMessage(context.Background(), &sqs.SendMessageInput{
				QueueUrl:          aws.String(localaws.Queue(t, "fixture")),
				MessageBody:       aws.String(rec.Body),
				MessageAttributes: m.Attributes(),
			})
			if err != nil {
				t.Fatal(err)
			}
			if got := aws.ToString(out.MD5OfMessageAttributes); rec.Md5OfMessageAttributes != got {
				t.Errorf("md5OfMessageAttributes = %s, SQS says %s", rec.Md5OfMessageAttributes, got)
			}
		})
	}
}
