package localqueue_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"

	"github.com/nicechat-relay/nicechat-relay/shared/dlq"
	"github.com/nicechat-relay/nicechat-relay/shared/localqueue"
	"github.com/nicechat-relay/nicechat-relay/shared/message"
)

// serve mounts the store's SQS API under /sqs as the relay does, and
// returns the server's base URL.
func serve(t *testing.T, h http.Handler) string {
	t.Helper()
	mux := http.NewServeMux()
	mux.Handle("/sqs", h)
	mux.Handle("/sqs/", h)
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return srv.URL
}

// client is a real SDK client, as relayctl builds one, with the SDK's
// default message checksum validation.
func client(base string) *sqs.Client {
	return sqs.New(sqs.Options{
		Region:           "local",
		BaseEndpoint:     aws.String(base + "/sqs"),
		Credentials:      aws.AnonymousCredentials{},
		RetryMaxAttempts: 1,
	})
}

func TestSDKClientDoesEveryOperationOverTheWire(t *testing.T) {
	s := open(t, storePath(t), nil)
	create(t, s, "webhook-dlq", nil)
	create(t, s, "webhook", &localqueue.Redrive{DeadLetterQueue: "webhook-dlq", MaxReceiveCount: 5})
	c := client(serve(t, s.Handler()))
	ctx := context.Background()

	got, err := c.GetQueueUrl(ctx, &sqs.GetQueueUrlInput{QueueName: aws.String("webhook")})
	if err != nil {
		t.Fatalf("GetQueueUrl: %v", err)
	}
	url := got.QueueUrl

	// Every character class SQS allows, JSON's escapes included.
	text := "line\n\ttab \"quoted\" back\\slash <b>&amp; é 中文 😀 \uE000\uFFFD\r"
	sent, err := c.SendMessage(ctx, &sqs.SendMessageInput{QueueUrl: url, MessageBody: aws.String(text), MessageAttributes: attrs})
	if err != nil {
		t.Fatalf("SendMessage: %v", err)
	}
	// The same message sent in process must give the same digests.
	create(t, s, "reference", nil)
	ref := send(t, s, "reference", text, 0)
	if aws.ToString(sent.MD5OfMessageAttributes) != aws.ToString(ref.MD5OfMessageAttributes) || aws.ToString(sent.MD5OfMessageBody) != md5Of(text) {
		t.Errorf("wire digests body %s attrs %s, want %s %s", aws.ToString(sent.MD5OfMessageBody), aws.ToString(sent.MD5OfMessageAttributes), md5Of(text), aws.ToString(ref.MD5OfMessageAttributes))
	}

	recv, err := c.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{
		QueueUrl: url, MaxNumberOfMessages: 10, VisibilityTimeout: 60,
		MessageSystemAttributeNames: []sqstypes.MessageSystemAttributeName{sqstypes.MessageSystemAttributeNameAll},
		MessageAttributeNames:       []string{"All"},
	})
	if err != nil {
		t.Fatalf("ReceiveMessage: %v", err)
	}
	if len(recv.Messages) != 1 {
		t.Fatalf("received %d messages, want 1", len(recv.Messages))
	}
	m := recv.Messages[0]
	if body(m) != text || aws.ToString(m.MessageId) != aws.ToString(sent.MessageId) || receiveCount(m) != "1" {
		t.Errorf("received %q id %s count %s, want the message sent", body(m), aws.ToString(m.MessageId), receiveCount(m))
	}
	if aws.ToString(m.MD5OfMessageAttributes) != aws.ToString(sent.MD5OfMessageAttributes) {
		t.Errorf("received MD5OfMessageAttributes %s, want %s", aws.ToString(m.MD5OfMessageAttributes), aws.ToString(sent.MD5OfMessageAttributes))
	}
	for name, want := range attrs {
		v := m.MessageAttributes[name]
		if aws.ToString(v.DataType) != aws.ToString(want.DataType) || aws.ToString(v.StringValue) != aws.ToString(want.StringValue) || !bytes.Equal(v.BinaryValue, want.BinaryValue) {
			t.Errorf("attribute %s = %+v, want %+v", name, v, want)
		}
	}

	attrsOut, err := c.GetQueueAttributes(ctx, &sqs.GetQueueAttributesInput{QueueUrl: url, AttributeNames: []sqstypes.QueueAttributeName{"All"}})
	if err != nil {
		t.Fatalf("GetQueueAttributes: %v", err)
	}
	if a := attrsOut.Attributes; a["ApproximateNumberOfMessagesNotVisible"] != "1" || a["QueueArn"] != "arn:aws:sqs:local:000000000000:webhook" || !strings.Contains(a["RedrivePolicy"], `"maxReceiveCount":5`) {
		t.Errorf("GetQueueAttributes = %v", a)
	}

	if _, err := c.ChangeMessageVisibility(ctx, &sqs.ChangeMessageVisibilityInput{QueueUrl: url, ReceiptHandle: m.ReceiptHandle, VisibilityTimeout: 0}); err != nil {
		t.Fatalf("ChangeMessageVisibility: %v", err)
	}
	again, err := c.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: url, WaitTimeSeconds: 1})
	if err != nil || len(again.Messages) != 1 || receiveCount(again.Messages[0]) != "2" {
		t.Fatalf("receive after a visibility change to 0 = %+v, %v; want the message, count 2", again, err)
	}
	if _, err := c.DeleteMessage(ctx, &sqs.DeleteMessageInput{QueueUrl: url, ReceiptHandle: again.Messages[0].ReceiptHandle}); err != nil {
		t.Fatalf("DeleteMessage: %v", err)
	}
	empty, err := c.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: url})
	if err != nil || len(empty.Messages) != 0 {
		t.Errorf("receive after delete = %+v, %v; want nothing", empty, err)
	}

	// Errors come back as the SDK's types with SQS's codes.
	send(t, s, "webhook", "expiring", 0)
	expiring, err := c.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: url})
	if err != nil || len(expiring.Messages) != 1 {
		t.Fatalf("receive: %+v %v", expiring, err)
	}
	if _, err := c.ChangeMessageVisibility(ctx, &sqs.ChangeMessageVisibilityInput{QueueUrl: url, ReceiptHandle: expiring.Messages[0].ReceiptHandle, VisibilityTimeout: 0}); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name     string
		call     func() error
		wantCode string
		wantType any
	}{
		{"unknown queue", func() error {
			_, err := c.SendMessage(ctx, &sqs.SendMessageInput{QueueUrl: aws.String("http://127.0.0.1:1/sqs/000000000000/nope"), MessageBody: aws.String("x")})
			return err
		}, "AWS.SimpleQueueService.NonExistentQueue", &sqstypes.QueueDoesNotExist{}},
		{"unknown queue name", func() error {
			_, err := c.GetQueueUrl(ctx, &sqs.GetQueueUrlInput{QueueName: aws.String("nope")})
			return err
		}, "AWS.SimpleQueueService.NonExistentQueue", &sqstypes.QueueDoesNotExist{}},
		{"deleted message's handle", func() error {
			_, err := c.DeleteMessage(ctx, &sqs.DeleteMessageInput{QueueUrl: url, ReceiptHandle: again.Messages[0].ReceiptHandle})
			return err
		}, "ReceiptHandleIsInvalid", &sqstypes.ReceiptHandleIsInvalid{}},
		{"visibility change of a message not in flight", func() error {
			_, err := c.ChangeMessageVisibility(ctx, &sqs.ChangeMessageVisibilityInput{QueueUrl: url, ReceiptHandle: expiring.Messages[0].ReceiptHandle, VisibilityTimeout: 10})
			return err
		}, "AWS.SimpleQueueService.MessageNotInflight", &sqstypes.MessageNotInflight{}},
		{"control character in the body", func() error {
			_, err := c.SendMessage(ctx, &sqs.SendMessageInput{QueueUrl: url, MessageBody: aws.String("a\x02b")})
			return err
		}, "InvalidMessageContents", &sqstypes.InvalidMessageContents{}},
		{"body over 1 MiB", func() error {
			_, err := c.SendMessage(ctx, &sqs.SendMessageInput{QueueUrl: url, MessageBody: aws.String(strings.Repeat(`"`, localqueue.MaxMessageBytes+1))})
			return err
		}, "InvalidParameterValue", nil},
		{"11 attributes", func() error {
			_, err := c.SendMessage(ctx, &sqs.SendMessageInput{QueueUrl: url, MessageBody: aws.String("x"), MessageAttributes: manyAttributes(11)})
			return err
		}, "InvalidParameterValue", nil},
		{"unknown queue attribute", func() error {
			_, err := c.GetQueueAttributes(ctx, &sqs.GetQueueAttributesInput{QueueUrl: url, AttributeNames: []sqstypes.QueueAttributeName{"Colour"}})
			return err
		}, "InvalidAttributeName", &sqstypes.InvalidAttributeName{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.call()
			if got := apiCode(err); got != tt.wantCode {
				t.Fatalf("error code = %s, want %s (%v)", got, tt.wantCode, err)
			}
			assertType(t, err, tt.wantType)
		})
	}
}

func TestSDKChecksumValidationIsOn(t *testing.T) {
	s := open(t, storePath(t), nil)
	create(t, s, "webhook", nil)
	// A proxy that corrupts MD5OfMessageBody proves the client checks it,
	// so the test above would catch a wrong digest.
	corrupt := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rec := httptest.NewRecorder()
		s.Handler().ServeHTTP(rec, r)
		for k, v := range rec.Header() {
			w.Header()[k] = v
		}
		w.WriteHeader(rec.Code)
		_, _ = w.Write(bytes.Replace(rec.Body.Bytes(), []byte(`"MD5OfMessageBody":"`), []byte(`"MD5OfMessageBody":"0`), 1))
	})
	c := client(serve(t, corrupt))
	_, err := c.SendMessage(context.Background(), &sqs.SendMessageInput{QueueUrl: aws.String("webhook"), MessageBody: aws.String("x")})
	if err == nil || !strings.Contains(err.Error(), "checksum") {
		t.Errorf("SendMessage through a corrupting proxy = %v, want a checksum error", err)
	}
}

func TestWireProtocolErrors(t *testing.T) {
	s := open(t, storePath(t), nil)
	create(t, s, "webhook", nil)
	base := serve(t, s.Handler())
	tests := []struct {
		name        string
		method      string
		target      string
		contentType string
		body        string
		wantStatus  int
		wantType    string
		wantInMsg   string
	}{
		{"unknown operation", "POST", "AmazonSQS.PurgeQueue", "application/x-amz-json-1.0", `{}`, 400, "UnknownOperationException", "AmazonSQS.SendMessage"},
		{"another service's target", "POST", "DynamoDB_20120810.GetItem", "application/x-amz-json-1.0", `{}`, 400, "UnknownOperationException", "DynamoDB_20120810.GetItem"},
		{"no target", "POST", "", "application/x-amz-json-1.0", `{}`, 400, "UnknownOperationException", "is not an operation"},
		{"query protocol", "POST", "", "application/x-www-form-urlencoded", `Action=SendMessage`, 400, "UnsupportedMediaType", "application/x-amz-json-1.0"},
		{"GET", "GET", "AmazonSQS.SendMessage", "", ``, 405, "MethodNotAllowed", "POST"},
		{"malformed JSON", "POST", "AmazonSQS.SendMessage", "application/x-amz-json-1.0", `{"QueueUrl":`, 400, "SerializationException", "not a valid JSON"},
		{"body over the limit", "POST", "AmazonSQS.SendMessage", "application/x-amz-json-1.0", `{"MessageBody":"` + strings.Repeat("x", 7<<20) + `"}`, 413, "RequestEntityTooLarge", "1048576"},
		{"missing queue URL", "POST", "AmazonSQS.SendMessage", "application/x-amz-json-1.0", `{"MessageBody":"x"}`, 400, "MissingParameter", "QueueUrl"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req, err := http.NewRequest(tt.method, base+"/sqs", strings.NewReader(tt.body))
			if err != nil {
				t.Fatal(err)
			}
			if tt.target != "" {
				req.Header.Set("X-Amz-Target", tt.target)
			}
			if tt.contentType != "" {
				req.Header.Set("Content-Type", tt.contentType)
			}
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			raw, _ := io.ReadAll(resp.Body)
			var e struct {
				Type    string `json:"__type"`
				Message string `json:"message"`
			}
			if err := json.Unmarshal(raw, &e); err != nil {
				t.Fatalf("error body %q is not JSON: %v", raw, err)
			}
			if resp.StatusCode != tt.wantStatus || e.Type != "com.amazonaws.sqs#"+tt.wantType || !strings.Contains(e.Message, tt.wantInMsg) {
				t.Errorf("got %d %s %q, want %d %s with %q", resp.StatusCode, e.Type, e.Message, tt.wantStatus, tt.wantType, tt.wantInMsg)
			}
			if got, want := resp.Header.Get("x-amzn-query-error"), tt.wantType+";Sender"; got != want {
				t.Errorf("x-amzn-query-error = %q, want %q", got, want)
			}
		})
	}
}

func TestDLQOperationsWorkOverTheWire(t *testing.T) {
	s := open(t, storePath(t), nil)
	dlqURL := create(t, s, "webhook-dlq", nil)
	sourceURL := create(t, s, "webhook", &localqueue.Redrive{DeadLetterQueue: "webhook-dlq", MaxReceiveCount: 10})
	c := client(serve(t, s.Handler()))
	ctx := context.Background()

	events := []string{"evt-1", "evt-2", "evt-3"}
	for _, id := range events {
		m := message.Message{Body: []byte(`{"event":"new_chat","id":"` + id + `"}`), Event: "new_chat", EventID: id, ReceivedAt: time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)}
		failure := dlq.Failure{Channel: "webhook", Class: "permanent", Status: "410", Error: "gone", Attempts: 1}
		if _, err := c.SendMessage(ctx, &sqs.SendMessageInput{QueueUrl: aws.String(dlqURL), MessageBody: aws.String(string(m.Body)), MessageAttributes: dlq.Attributes(m.Attributes(), failure)}); err != nil {
			t.Fatalf("dead-letter %s: %v", id, err)
		}
	}
	q := dlq.Queue{Client: c, URL: dlqURL}

	letters, more, err := q.List(ctx)
	if err != nil || more || len(letters) != len(events) {
		t.Fatalf("List = %d letters, more %v, %v; want %d", len(letters), more, err, len(events))
	}
	for _, l := range letters {
		if l.Failure.Error != "gone" || l.Failure.Status != "410" || l.Event != "new_chat" || l.DeadLettered.IsZero() {
			t.Errorf("letter %s = %+v, want its failure and SentTimestamp", l.EventID, l)
		}
	}
	if got := stats(t, s, "webhook-dlq"); got != (localqueue.QueueStats{Visible: len(events)}) {
		t.Errorf("DLQ after List = %+v, want all %d visible again", got, len(events))
	}

	moved, read, more, err := q.Redrive(ctx, sourceURL, func(l dlq.Letter) bool { return l.ClaimedEventID != "evt-2" }, false)
	if err != nil || more || read != 3 || len(moved) != 2 {
		t.Fatalf("Redrive = %d moved, %d read, more %v, %v; want 2 moved of 3", len(moved), read, more, err)
	}
	if got := stats(t, s, "webhook-dlq"); got != (localqueue.QueueStats{Visible: 1}) {
		t.Errorf("DLQ after Redrive = %+v, want evt-2 visible", got)
	}
	back := receive(t, s, sourceURL, 10, 0)
	if len(back) != 2 {
		t.Fatalf("source queue has %d messages after Redrive, want 2", len(back))
	}
	for _, m := range back {
		if _, ok := m.MessageAttributes[dlq.AttrLastError]; ok {
			t.Errorf("redriven message kept the failure attribute %s", dlq.AttrLastError)
		}
		if id := aws.ToString(m.MessageAttributes[message.AttrEventID].StringValue); id == "evt-2" || id == "" {
			t.Errorf("redriven message has event id %q", id)
		}
	}
}

func TestWireErrorForAStoreThatIsClosed(t *testing.T) {
	s := open(t, storePath(t), nil)
	create(t, s, "webhook", nil)
	c := client(serve(t, s.Handler()))
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	_, err := c.SendMessage(context.Background(), &sqs.SendMessageInput{QueueUrl: aws.String("webhook"), MessageBody: aws.String("x")})
	if got := apiCode(err); got != "ServiceUnavailable" {
		t.Errorf("error code = %s, want ServiceUnavailable", got)
	}
	if errors.Is(err, localqueue.ErrClosed) {
		t.Error("the store's own error crossed the wire")
	}
}
