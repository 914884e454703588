package localqueue_test

import (
	"context"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"

	"github.com/nicechat-relay/nicechat-relay/shared/localaws"
)

// The SDK checks only MD5OfMessageBody, but other SQS clients check
// MD5OfMessageAttributes too: the digests must be SQS's, byte for byte.
// They are compared with another SQS implementation's (moto's) for the
// same messages.
func TestAttributeDigestsMatchAnotherSQSImplementation(t *testing.T) {
	s := open(t, storePath(t), nil)
	create(t, s, "digests", nil)
	remote := localaws.SQS(t)
	remoteURL := localaws.Queue(t, "digests")

	tests := []struct {
		name  string
		attrs map[string]sqstypes.MessageAttributeValue
	}{
		{"no attributes", nil},
		{"one string", map[string]sqstypes.MessageAttributeValue{"event": str("new_chat")}},
		{"names sorted by byte", map[string]sqstypes.MessageAttributeValue{"b": str("2"), "A": str("1"), "a": str("3"), "_": str("4")}},
		{"number", map[string]sqstypes.MessageAttributeValue{"n": {DataType: aws.String("Number"), StringValue: aws.String("-12.5e3")}}},
		{"binary", map[string]sqstypes.MessageAttributeValue{"raw": {DataType: aws.String("Binary"), BinaryValue: []byte{0, 1, 2, 0xfe, 0xff}}}},
		{"custom types", map[string]sqstypes.MessageAttributeValue{
			"s": {DataType: aws.String("String.json"), StringValue: aws.String(`{"a":1}`)},
			"b": {DataType: aws.String("Binary.gzip"), BinaryValue: []byte("gz")},
		}},
		{"non-ASCII values", map[string]sqstypes.MessageAttributeValue{"v": str("é 中文 😀")}},
		{"the relay's dead letter", attrs},
		{"ten attributes", manyAttributes(10)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := &sqs.SendMessageInput{MessageBody: aws.String("body é"), MessageAttributes: tt.attrs}
			in.QueueUrl = aws.String("digests")
			local, err := s.SendMessage(context.Background(), in)
			if err != nil {
				t.Fatal(err)
			}
			in.QueueUrl = aws.String(remoteURL)
			want, err := remote.SendMessage(context.Background(), in)
			if err != nil {
				t.Fatal(err)
			}
			if got, want := aws.ToString(local.MD5OfMessageAttributes), aws.ToString(want.MD5OfMessageAttributes); got != want {
				t.Errorf("MD5OfMessageAttributes = %q, want %q", got, want)
			}
			if got, want := aws.ToString(local.MD5OfMessageBody), aws.ToString(want.MD5OfMessageBody); got != want {
				t.Errorf("MD5OfMessageBody = %q, want %q", got, want)
			}
		})
	}
}
