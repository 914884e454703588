package localqueue_test

import (
	"context"
	"crypto/md5"
	"errors"
	"fmt"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"
	"github.com/aws/smithy-go"

	"github.com/nicechat-relay/nicechat-relay/shared/consumer"
	"github.com/nicechat-relay/nicechat-relay/shared/dlq"
	"github.com/nicechat-relay/nicechat-relay/shared/ingest"
	"github.com/nicechat-relay/nicechat-relay/shared/localqueue"
)

// The callers' interfaces. Checked here rather than in the package so
// that the queue does not import the packages that use it.
var (
	_ consumer.SQS  = (*localqueue.Store)(nil)
	_ dlq.Client    = (*localqueue.Store)(nil)
	_ ingest.Sender = (*localqueue.Store)(nil)
)

// clock is a controllable Options.Now.
type clock struct {
	mu  sync.Mutex
	now time.Time
}

func newClock() *clock { return &clock{now: time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)} }

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

func storePath(t testing.TB) string {
	return filepath.Join(t.TempDir(), "var", "queues.db")
}

func open(t testing.TB, path string, c *clock) *localqueue.Store {
	t.Helper()
	opts := localqueue.Options{URLPrefix: "http://127.0.0.1:8080/sqs/000000000000/"}
	if c != nil {
		opts.Now = c.Now
	}
	s, err := localqueue.Open(path, opts)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() { _ = s.Close() })
	return s
}

func create(t testing.TB, s *localqueue.Store, name string, redrive *localqueue.Redrive) string {
	t.Helper()
	url, err := s.CreateQueue(name, redrive)
	if err != nil {
		t.Fatalf("CreateQueue(%s): %v", name, err)
	}
	return url
}

func str(v string) sqstypes.MessageAttributeValue {
	return sqstypes.MessageAttributeValue{DataType: aws.String("String"), StringValue: aws.String(v)}
}

var attrs = map[string]sqstypes.MessageAttributeValue{
	"event":    str("new_chat"),
	"event_id": str("evt-1"),
	"count":    {DataType: aws.String("Number"), StringValue: aws.String("42")},
	"raw":      {DataType: aws.String("Binary.gzip"), BinaryValue: []byte{0, 1, 2, 0xff}},
}

func send(t testing.TB, s *localqueue.Store, url, body string, delay int32) *sqs.SendMessageOutput {
	t.Helper()
	out, err := s.SendMessage(context.Background(), &sqs.SendMessageInput{QueueUrl: aws.String(url), MessageBody: aws.String(body), DelaySeconds: delay, MessageAttributes: attrs})
	if err != nil {
		t.Fatalf("SendMessage: %v", err)
	}
	return out
}

func receive(t testing.TB, s *localqueue.Store, url string, n, visibility int32) []sqstypes.Message {
	t.Helper()
	out, err := s.ReceiveMessage(context.Background(), &sqs.ReceiveMessageInput{QueueUrl: aws.String(url), MaxNumberOfMessages: n, VisibilityTimeout: visibility})
	if err != nil {
		t.Fatalf("ReceiveMessage: %v", err)
	}
	return out.Messages
}

func stats(t testing.TB, s *localqueue.Store, name string) localqueue.QueueStats {
	t.Helper()
	st, err := s.Stats(name)
	if err != nil {
		t.Fatalf("Stats(%s): %v", name, err)
	}
	return st
}

func receiveCount(m sqstypes.Message) string {
	return m.Attributes[string(sqstypes.MessageSystemAttributeNameApproximateReceiveCount)]
}

func body(m sqstypes.Message) string { return aws.ToString(m.Body) }

func TestSendReceiveDelete(t *testing.T) {
	c := newClock()
	s := open(t, storePath(t), c)
	url := create(t, s, "webhook", nil)

	sent := send(t, s, url, `{"event":"new_chat"}`, 0)
	if got := stats(t, s, "webhook"); got != (localqueue.QueueStats{Visible: 1}) {
		t.Fatalf("stats after send = %+v, want 1 visible", got)
	}
	msgs := receive(t, s, url, 10, 0)
	if len(msgs) != 1 {
		t.Fatalf("received %d messages, want 1", len(msgs))
	}
	m := msgs[0]
	checks := []struct{ name, got, want string }{
		{"MessageId", aws.ToString(m.MessageId), aws.ToString(sent.MessageId)},
		{"Body", body(m), `{"event":"new_chat"}`},
		{"MD5OfBody", aws.ToString(m.MD5OfBody), aws.ToString(sent.MD5OfMessageBody)},
		{"MD5OfBody is the body's", aws.ToString(m.MD5OfBody), md5Of(`{"event":"new_chat"}`)},
		{"MD5OfMessageAttributes", aws.ToString(m.MD5OfMessageAttributes), aws.ToString(sent.MD5OfMessageAttributes)},
		{"ApproximateReceiveCount", receiveCount(m), "1"},
		{"SentTimestamp", m.Attributes["SentTimestamp"], strconv.FormatInt(c.Now().UnixMilli(), 10)},
		{"ApproximateFirstReceiveTimestamp", m.Attributes["ApproximateFirstReceiveTimestamp"], strconv.FormatInt(c.Now().UnixMilli(), 10)},
		{"event attribute", aws.ToString(m.MessageAttributes["event"].StringValue), "new_chat"},
		{"Number attribute", aws.ToString(m.MessageAttributes["count"].StringValue), "42"},
		{"Binary attribute", string(m.MessageAttributes["raw"].BinaryValue), "\x00\x01\x02\xff"},
		{"Binary attribute type", aws.ToString(m.MessageAttributes["raw"].DataType), "Binary.gzip"},
	}
	for _, ch := range checks {
		if ch.got != ch.want {
			t.Errorf("%s = %q, want %q", ch.name, ch.got, ch.want)
		}
	}
	if m.ReceiptHandle == nil || *m.ReceiptHandle == "" {
		t.Fatal("no receipt handle")
	}
	if got := stats(t, s, "webhook"); got != (localqueue.QueueStats{InFlight: 1}) {
		t.Errorf("stats after receive = %+v, want 1 in flight", got)
	}
	if _, err := s.DeleteMessage(context.Background(), &sqs.DeleteMessageInput{QueueUrl: aws.String(url), ReceiptHandle: m.ReceiptHandle}); err != nil {
		t.Fatalf("DeleteMessage: %v", err)
	}
	c.Advance(time.Hour)
	if msgs := receive(t, s, url, 10, 0); len(msgs) != 0 {
		t.Errorf("received %d messages after delete, want none", len(msgs))
	}
	if got := stats(t, s, "webhook"); got != (localqueue.QueueStats{}) {
		t.Errorf("stats after delete = %+v, want empty", got)
	}
}

func TestReceiveHonoursMaxNumberOfMessagesAndSendOrder(t *testing.T) {
	s := open(t, storePath(t), newClock())
	url := create(t, s, "webhook", nil)
	for i := range 15 {
		send(t, s, url, fmt.Sprintf("m%02d", i), 0)
	}
	tests := []struct {
		max  int32
		want []string
	}{
		{0, []string{"m00"}},
		{3, []string{"m01", "m02", "m03"}},
		{10, []string{"m04", "m05", "m06", "m07", "m08", "m09", "m10", "m11", "m12", "m13"}},
		{10, []string{"m14"}},
		{10, nil},
	}
	for _, tt := range tests {
		var got []string
		for _, m := range receive(t, s, url, tt.max, 0) {
			got = append(got, body(m))
		}
		if strings.Join(got, ",") != strings.Join(tt.want, ",") {
			t.Errorf("receive max %d = %v, want %v", tt.max, got, tt.want)
		}
	}
}

func TestVisibilityTimeoutHidesThenReturnsTheMessage(t *testing.T) {
	c := newClock()
	s := open(t, storePath(t), c)
	url := create(t, s, "webhook", nil)
	send(t, s, url, "hello", 0)
	first := receive(t, s, url, 1, 10)[0]

	steps := []struct {
		advance   time.Duration
		wantCount string // "" = nothing received
	}{
		{9 * time.Second, ""},
		{999 * time.Millisecond, ""},
		{time.Millisecond, "2"},
		{29 * time.Second, ""}, // hidden for the default 30 s
		{time.Second, "3"},
	}
	var last sqstypes.Message
	for i, st := range steps {
		c.Advance(st.advance)
		msgs := receive(t, s, url, 10, 0)
		switch {
		case st.wantCount == "" && len(msgs) != 0:
			t.Fatalf("step %d: received %q while hidden", i, body(msgs[0]))
		case st.wantCount != "" && len(msgs) != 1:
			t.Fatalf("step %d: received %d messages, want the message back", i, len(msgs))
		case st.wantCount != "":
			last = msgs[0]
			if got := receiveCount(last); got != st.wantCount {
				t.Errorf("step %d: ApproximateReceiveCount = %s, want %s", i, got, st.wantCount)
			}
			if aws.ToString(last.ReceiptHandle) == aws.ToString(first.ReceiptHandle) {
				t.Errorf("step %d: receipt handle reused", i)
			}
			if got, want := last.Attributes["ApproximateFirstReceiveTimestamp"], first.Attributes["ApproximateFirstReceiveTimestamp"]; got != want {
				t.Errorf("step %d: ApproximateFirstReceiveTimestamp = %s, want the first receive's %s", i, got, want)
			}
		}
	}
}

func TestDelaySecondsHidesANewMessage(t *testing.T) {
	c := newClock()
	s := open(t, storePath(t), c)
	url := create(t, s, "webhook", nil)
	send(t, s, url, "later", 60)
	if got := stats(t, s, "webhook"); got != (localqueue.QueueStats{Delayed: 1}) {
		t.Errorf("stats = %+v, want 1 delayed", got)
	}
	c.Advance(59 * time.Second)
	if msgs := receive(t, s, url, 10, 0); len(msgs) != 0 {
		t.Fatalf("received a delayed message 1 s early")
	}
	c.Advance(time.Second)
	msgs := receive(t, s, url, 10, 0)
	if len(msgs) != 1 || body(msgs[0]) != "later" {
		t.Fatalf("received %d messages once the delay was over, want the message", len(msgs))
	}
}

func TestRedriveMovesTheMessageToTheDLQAfterMaxReceiveCount(t *testing.T) {
	c := newClock()
	s := open(t, storePath(t), c)
	dlqURL := create(t, s, "webhook-dlq", nil)
	url := create(t, s, "webhook", &localqueue.Redrive{DeadLetterQueue: "webhook-dlq", MaxReceiveCount: 3})
	sent := send(t, s, url, "doomed", 0)
	sentAt := c.Now()

	for i := 1; i <= 3; i++ {
		msgs := receive(t, s, url, 10, 5)
		if len(msgs) != 1 || receiveCount(msgs[0]) != strconv.Itoa(i) {
			t.Fatalf("receive %d: got %d messages, want the message with count %d", i, len(msgs), i)
		}
		c.Advance(5 * time.Second)
	}
	if msgs := receive(t, s, url, 10, 5); len(msgs) != 0 {
		t.Fatalf("received the message a 4th time with MaxReceiveCount 3")
	}
	if got := stats(t, s, "webhook"); got != (localqueue.QueueStats{}) {
		t.Errorf("source stats = %+v, want empty", got)
	}
	if got := stats(t, s, "webhook-dlq"); got != (localqueue.QueueStats{Visible: 1}) {
		t.Errorf("DLQ stats = %+v, want 1 visible", got)
	}
	msgs := receive(t, s, dlqURL, 10, 0)
	if len(msgs) != 1 {
		t.Fatalf("DLQ has %d messages, want 1", len(msgs))
	}
	m := msgs[0]
	checks := []struct{ name, got, want string }{
		{"MessageId", aws.ToString(m.MessageId), aws.ToString(sent.MessageId)},
		{"Body", body(m), "doomed"},
		{"SentTimestamp", m.Attributes["SentTimestamp"], strconv.FormatInt(sentAt.UnixMilli(), 10)},
		{"ApproximateReceiveCount", receiveCount(m), "1"},
		{"event attribute", aws.ToString(m.MessageAttributes["event"].StringValue), "new_chat"},
		{"Binary attribute", string(m.MessageAttributes["raw"].BinaryValue), "\x00\x01\x02\xff"},
		{"MD5OfMessageAttributes", aws.ToString(m.MD5OfMessageAttributes), aws.ToString(sent.MD5OfMessageAttributes)},
	}
	for _, ch := range checks {
		if ch.got != ch.want {
			t.Errorf("dead letter %s = %q, want %q", ch.name, ch.got, ch.want)
		}
	}
}

func apiCode(err error) string {
	var apiErr smithy.APIError
	if errors.As(err, &apiErr) {
		return apiErr.ErrorCode()
	}
	return fmt.Sprintf("not an API error: %v", err)
}

func TestStaleOrUnknownReceiptHandlesAreRefused(t *testing.T) {
	c := newClock()
	s := open(t, storePath(t), c)
	url := create(t, s, "webhook", nil)
	ctx := context.Background()

	send(t, s, url, "a", 0)
	stale := receive(t, s, url, 1, 5)[0].ReceiptHandle
	c.Advance(5 * time.Second)
	latest := receive(t, s, url, 1, 5)[0].ReceiptHandle

	send(t, s, url, "b", 0)
	deleted := receive(t, s, url, 1, 5)[0].ReceiptHandle
	if _, err := s.DeleteMessage(ctx, &sqs.DeleteMessageInput{QueueUrl: aws.String(url), ReceiptHandle: deleted}); err != nil {
		t.Fatal(err)
	}
	send(t, s, url, "c", 0)
	expired := receive(t, s, url, 1, 5)[0].ReceiptHandle
	c.Advance(5 * time.Second) // also expires latest

	tests := []struct {
		name     string
		call     func() error
		wantCode string
		wantType any
	}{
		{"delete with a handle from an earlier receive", func() error {
			_, err := s.DeleteMessage(ctx, &sqs.DeleteMessageInput{QueueUrl: aws.String(url), ReceiptHandle: stale})
			return err
		}, "ReceiptHandleIsInvalid", &sqstypes.ReceiptHandleIsInvalid{}},
		{"delete of a deleted message", func() error {
			_, err := s.DeleteMessage(ctx, &sqs.DeleteMessageInput{QueueUrl: aws.String(url), ReceiptHandle: deleted})
			return err
		}, "ReceiptHandleIsInvalid", &sqstypes.ReceiptHandleIsInvalid{}},
		{"delete with a made-up handle", func() error {
			_, err := s.DeleteMessage(ctx, &sqs.DeleteMessageInput{QueueUrl: aws.String(url), ReceiptHandle: aws.String("not-a-handle")})
			return err
		}, "ReceiptHandleIsInvalid", &sqstypes.ReceiptHandleIsInvalid{}},
		{"visibility change with a handle from an earlier receive", func() error {
			_, err := s.ChangeMessageVisibility(ctx, &sqs.ChangeMessageVisibilityInput{QueueUrl: aws.String(url), ReceiptHandle: stale, VisibilityTimeout: 10})
			return err
		}, "ReceiptHandleIsInvalid", &sqstypes.ReceiptHandleIsInvalid{}},
		{"visibility change once the visibility timeout is over", func() error {
			_, err := s.ChangeMessageVisibility(ctx, &sqs.ChangeMessageVisibilityInput{QueueUrl: aws.String(url), ReceiptHandle: expired, VisibilityTimeout: 10})
			return err
		}, "AWS.SimpleQueueService.MessageNotInflight", &sqstypes.MessageNotInflight{}},
		{"visibility change over 12 hours", func() error {
			_, err := s.ChangeMessageVisibility(ctx, &sqs.ChangeMessageVisibilityInput{QueueUrl: aws.String(url), ReceiptHandle: expired, VisibilityTimeout: 43201})
			return err
		}, "InvalidParameterValue", nil},
		{"delete on an unknown queue", func() error {
			_, err := s.DeleteMessage(ctx, &sqs.DeleteMessageInput{QueueUrl: aws.String(url + "-nope"), ReceiptHandle: latest})
			return err
		}, "AWS.SimpleQueueService.NonExistentQueue", &sqstypes.QueueDoesNotExist{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.call()
			if got := apiCode(err); got != tt.wantCode {
				t.Fatalf("error code = %s, want %s", got, tt.wantCode)
			}
			assertType(t, err, tt.wantType)
		})
	}
	// The latest handle still deletes a message whose visibility ran out
	// and that nobody received since, as in SQS.
	if _, err := s.DeleteMessage(ctx, &sqs.DeleteMessageInput{QueueUrl: aws.String(url), ReceiptHandle: latest}); err != nil {
		t.Errorf("delete with the latest handle: %v", err)
	}
}

// assertType checks that err is (wraps) the SDK's modeled error type of
// want, as the SDK returns for the same SQS answer.
func assertType(t *testing.T, err error, want any) {
	t.Helper()
	var ok bool
	switch want.(type) {
	case nil:
		var generic *smithy.GenericAPIError
		ok = errors.As(err, &generic)
	case *sqstypes.ReceiptHandleIsInvalid:
		var e *sqstypes.ReceiptHandleIsInvalid
		ok = errors.As(err, &e)
	case *sqstypes.MessageNotInflight:
		var e *sqstypes.MessageNotInflight
		ok = errors.As(err, &e)
	case *sqstypes.QueueDoesNotExist:
		var e *sqstypes.QueueDoesNotExist
		ok = errors.As(err, &e)
	case *sqstypes.InvalidMessageContents:
		var e *sqstypes.InvalidMessageContents
		ok = errors.As(err, &e)
	case *sqstypes.InvalidAttributeName:
		var e *sqstypes.InvalidAttributeName
		ok = errors.As(err, &e)
	}
	if !ok {
		t.Errorf("error %T (%v) is not a %T", err, err, want)
	}
}

func manyAttributes(n int) map[string]sqstypes.MessageAttributeValue {
	out := map[string]sqstypes.MessageAttributeValue{}
	for i := range n {
		out[fmt.Sprintf("a%d", i)] = str("v")
	}
	return out
}

func TestSendValidatesLikeSQS(t *testing.T) {
	s := open(t, storePath(t), newClock())
	url := create(t, s, "webhook", nil)
	big := strings.Repeat("x", localqueue.MaxMessageBytes)
	tests := []struct {
		name     string
		in       sqs.SendMessageInput
		wantCode string // "" = accepted
		wantType any
	}{
		{"accepts a body of exactly 1 MiB", sqs.SendMessageInput{MessageBody: aws.String(big)}, "", nil},
		{"accepts tab, newline, CR and astral characters", sqs.SendMessageInput{MessageBody: aws.String("a\tb\nc\rd 😀 \uE000 \uFFFD")}, "", nil},
		{"accepts 10 attributes", sqs.SendMessageInput{MessageBody: aws.String("x"), MessageAttributes: manyAttributes(10)}, "", nil},
		{"accepts a custom type suffix", sqs.SendMessageInput{MessageBody: aws.String("x"), MessageAttributes: map[string]sqstypes.MessageAttributeValue{"n": {DataType: aws.String("Number.float"), StringValue: aws.String("-1.5e3")}}}, "", nil},
		{"refuses a body over 1 MiB", sqs.SendMessageInput{MessageBody: aws.String(big + "x")}, "InvalidParameterValue", nil},
		{"counts attributes towards 1 MiB", sqs.SendMessageInput{MessageBody: aws.String(big[10:]), MessageAttributes: map[string]sqstypes.MessageAttributeValue{"k": str("0123456789")}}, "InvalidParameterValue", nil},
		{"refuses an empty body", sqs.SendMessageInput{MessageBody: aws.String("")}, "MissingParameter", nil},
		{"refuses a missing body", sqs.SendMessageInput{}, "MissingParameter", nil},
		{"refuses a control character", sqs.SendMessageInput{MessageBody: aws.String("a\x01b")}, "InvalidMessageContents", &sqstypes.InvalidMessageContents{}},
		{"refuses U+FFFE", sqs.SendMessageInput{MessageBody: aws.String("a\uFFFEb")}, "InvalidMessageContents", &sqstypes.InvalidMessageContents{}},
		{"refuses bytes that are not UTF-8", sqs.SendMessageInput{MessageBody: aws.String("a\xffb")}, "InvalidMessageContents", &sqstypes.InvalidMessageContents{}},
		{"refuses 11 attributes", sqs.SendMessageInput{MessageBody: aws.String("x"), MessageAttributes: manyAttributes(11)}, "InvalidParameterValue", nil},
		{"refuses an attribute without a data type", sqs.SendMessageInput{MessageBody: aws.String("x"), MessageAttributes: map[string]sqstypes.MessageAttributeValue{"k": {StringValue: aws.String("v")}}}, "InvalidParameterValue", nil},
		{"refuses an unknown data type", sqs.SendMessageInput{MessageBody: aws.String("x"), MessageAttributes: map[string]sqstypes.MessageAttributeValue{"k": {DataType: aws.String("Text"), StringValue: aws.String("v")}}}, "InvalidParameterValue", nil},
		{"refuses an empty string value", sqs.SendMessageInput{MessageBody: aws.String("x"), MessageAttributes: map[string]sqstypes.MessageAttributeValue{"k": str("")}}, "InvalidParameterValue", nil},
		{"refuses a Number that is not one", sqs.SendMessageInput{MessageBody: aws.String("x"), MessageAttributes: map[string]sqstypes.MessageAttributeValue{"k": {DataType: aws.String("Number"), StringValue: aws.String("12a")}}}, "InvalidParameterValue", nil},
		{"refuses a Binary without bytes", sqs.SendMessageInput{MessageBody: aws.String("x"), MessageAttributes: map[string]sqstypes.MessageAttributeValue{"k": {DataType: aws.String("Binary"), StringValue: aws.String("v")}}}, "InvalidParameterValue", nil},
		{"refuses an AWS. attribute name", sqs.SendMessageInput{MessageBody: aws.String("x"), MessageAttributes: map[string]sqstypes.MessageAttributeValue{"AWS.trace": str("v")}}, "InvalidParameterValue", nil},
		{"refuses a control character in an attribute", sqs.SendMessageInput{MessageBody: aws.String("x"), MessageAttributes: map[string]sqstypes.MessageAttributeValue{"k": str("a\x00")}}, "InvalidParameterValue", nil},
		{"refuses a delay over 900 s", sqs.SendMessageInput{MessageBody: aws.String("x"), DelaySeconds: 901}, "InvalidParameterValue", nil},
		{"refuses an unknown queue", sqs.SendMessageInput{QueueUrl: aws.String("http://127.0.0.1:8080/sqs/000000000000/nope"), MessageBody: aws.String("x")}, "AWS.SimpleQueueService.NonExistentQueue", &sqstypes.QueueDoesNotExist{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := tt.in
			if in.QueueUrl == nil {
				in.QueueUrl = aws.String(url)
			}
			_, err := s.SendMessage(context.Background(), &in)
			if tt.wantCode == "" {
				if err != nil {
					t.Fatalf("SendMessage: %v", err)
				}
				return
			}
			if got := apiCode(err); got != tt.wantCode {
				t.Fatalf("error code = %s, want %s", got, tt.wantCode)
			}
			assertType(t, err, tt.wantType)
		})
	}
}

func TestReceiveValidatesItsParameters(t *testing.T) {
	s := open(t, storePath(t), newClock())
	url := create(t, s, "webhook", nil)
	tests := []struct {
		name string
		in   sqs.ReceiveMessageInput
	}{
		{"MaxNumberOfMessages over 10", sqs.ReceiveMessageInput{MaxNumberOfMessages: 11}},
		{"negative MaxNumberOfMessages", sqs.ReceiveMessageInput{MaxNumberOfMessages: -1}},
		{"VisibilityTimeout over 12 hours", sqs.ReceiveMessageInput{VisibilityTimeout: 43201}},
		{"WaitTimeSeconds over 20", sqs.ReceiveMessageInput{WaitTimeSeconds: 21}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := tt.in
			in.QueueUrl = aws.String(url)
			_, err := s.ReceiveMessage(context.Background(), &in)
			if got := apiCode(err); got != "InvalidParameterValue" {
				t.Errorf("error code = %s, want InvalidParameterValue", got)
			}
		})
	}
}

func TestQueueURLsAreAcceptedWhateverTheirPrefix(t *testing.T) {
	s := open(t, storePath(t), newClock())
	create(t, s, "webhook", nil)
	for _, url := range []string{
		"http://127.0.0.1:8080/sqs/000000000000/webhook",
		"http://127.0.0.1:9999/sqs/000000000000/webhook",
		"http://localhost:4566/000000000000/webhook/",
		"webhook",
	} {
		if _, err := s.SendMessage(context.Background(), &sqs.SendMessageInput{QueueUrl: aws.String(url), MessageBody: aws.String("x")}); err != nil {
			t.Errorf("send to %s: %v", url, err)
		}
	}
	if got := stats(t, s, "webhook"); got.Visible != 4 {
		t.Errorf("visible = %d, want 4", got.Visible)
	}
}

func TestCreateQueue(t *testing.T) {
	path := storePath(t)
	s := open(t, path, newClock())
	create(t, s, "dlq-a", nil)
	create(t, s, "dlq-b", nil)
	first := create(t, s, "webhook", &localqueue.Redrive{DeadLetterQueue: "dlq-a", MaxReceiveCount: 5})
	if want := "http://127.0.0.1:8080/sqs/000000000000/webhook"; first != want {
		t.Errorf("URL = %s, want %s", first, want)
	}
	send(t, s, first, "kept", 0)
	if again := create(t, s, "webhook", &localqueue.Redrive{DeadLetterQueue: "dlq-b", MaxReceiveCount: 2}); again != first {
		t.Errorf("second CreateQueue URL = %s, want %s", again, first)
	}

	tests := []struct {
		name    string
		queue   string
		redrive *localqueue.Redrive
	}{
		{"refuses a dead-letter queue that does not exist", "q", &localqueue.Redrive{DeadLetterQueue: "missing", MaxReceiveCount: 3}},
		{"refuses a queue as its own dead-letter queue", "q", &localqueue.Redrive{DeadLetterQueue: "q", MaxReceiveCount: 3}},
		{"refuses MaxReceiveCount 0", "q", &localqueue.Redrive{DeadLetterQueue: "dlq-a", MaxReceiveCount: 0}},
		{"refuses a name with a slash", "a/b", nil},
		{"refuses an empty name", "", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := s.CreateQueue(tt.queue, tt.redrive); apiCode(err) != "InvalidParameterValue" {
				t.Errorf("CreateQueue error = %v, want InvalidParameterValue", err)
			}
		})
	}

	// Idempotent and persisted: after a restart the message is there and
	// the updated redrive policy applies.
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	s = open(t, path, newClock())
	out, err := s.GetQueueAttributes(context.Background(), &sqs.GetQueueAttributesInput{QueueUrl: aws.String(first), AttributeNames: []sqstypes.QueueAttributeName{"RedrivePolicy"}})
	if err != nil {
		t.Fatal(err)
	}
	if got, want := out.Attributes["RedrivePolicy"], `{"deadLetterTargetArn":"arn:aws:sqs:local:000000000000:dlq-b","maxReceiveCount":2}`; got != want {
		t.Errorf("RedrivePolicy = %s, want %s", got, want)
	}
	if got := stats(t, s, "webhook"); got.Visible != 1 {
		t.Errorf("visible after restart = %d, want 1", got.Visible)
	}
}

func TestGetQueueAttributesCountsMessagesBySQSsDefinitions(t *testing.T) {
	c := newClock()
	s := open(t, storePath(t), c)
	create(t, s, "webhook-dlq", nil)
	url := create(t, s, "webhook", &localqueue.Redrive{DeadLetterQueue: "webhook-dlq", MaxReceiveCount: 4})
	for range 5 {
		send(t, s, url, "visible", 0)
	}
	send(t, s, url, "delayed", 30)
	msgs := receive(t, s, url, 2, 60) // 2 in flight
	if _, err := s.ChangeMessageVisibility(context.Background(), &sqs.ChangeMessageVisibilityInput{QueueUrl: aws.String(url), ReceiptHandle: msgs[0].ReceiptHandle, VisibilityTimeout: 300}); err != nil {
		t.Fatal(err)
	}

	tests := []struct {
		name  string
		names []sqstypes.QueueAttributeName
		want  map[string]string
	}{
		{"counts", []sqstypes.QueueAttributeName{"ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible", "ApproximateNumberOfMessagesDelayed"},
			map[string]string{"ApproximateNumberOfMessages": "3", "ApproximateNumberOfMessagesNotVisible": "2", "ApproximateNumberOfMessagesDelayed": "1"}},
		{"ARN and redrive policy", []sqstypes.QueueAttributeName{"QueueArn", "RedrivePolicy"},
			map[string]string{"QueueArn": "arn:aws:sqs:local:000000000000:webhook", "RedrivePolicy": `{"deadLetterTargetArn":"arn:aws:sqs:local:000000000000:webhook-dlq","maxReceiveCount":4}`}},
		{"known but unset attributes are left out", []sqstypes.QueueAttributeName{"Policy"}, map[string]string{}},
		{"All", []sqstypes.QueueAttributeName{"All"}, map[string]string{
			"ApproximateNumberOfMessages": "3", "ApproximateNumberOfMessagesNotVisible": "2", "ApproximateNumberOfMessagesDelayed": "1",
			"QueueArn": "arn:aws:sqs:local:000000000000:webhook", "RedrivePolicy": `{"deadLetterTargetArn":"arn:aws:sqs:local:000000000000:webhook-dlq","maxReceiveCount":4}`,
			"VisibilityTimeout": "30", "DelaySeconds": "0", "MaximumMessageSize": "1048576", "ReceiveMessageWaitTimeSeconds": "0",
			"CreatedTimestamp": strconv.FormatInt(c.Now().Unix(), 10),
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, err := s.GetQueueAttributes(context.Background(), &sqs.GetQueueAttributesInput{QueueUrl: aws.String(url), AttributeNames: tt.names})
			if err != nil {
				t.Fatal(err)
			}
			if fmt.Sprint(out.Attributes) != fmt.Sprint(tt.want) {
				t.Errorf("attributes = %v\nwant %v", out.Attributes, tt.want)
			}
		})
	}
	if got := stats(t, s, "webhook"); got != (localqueue.QueueStats{Visible: 3, InFlight: 1, Delayed: 2}) {
		t.Errorf("stats = %+v, want 3 visible, 1 in flight, 2 delayed (one by DelaySeconds, one by a visibility change)", got)
	}
	_, err := s.GetQueueAttributes(context.Background(), &sqs.GetQueueAttributesInput{QueueUrl: aws.String(url), AttributeNames: []sqstypes.QueueAttributeName{"Colour"}})
	if apiCode(err) != "InvalidAttributeName" {
		t.Errorf("unknown attribute name: error = %v, want InvalidAttributeName", err)
	}
	assertType(t, err, &sqstypes.InvalidAttributeName{})
}

func TestGetQueueUrl(t *testing.T) {
	s := open(t, storePath(t), newClock())
	url := create(t, s, "webhook", nil)
	out, err := s.GetQueueUrl(context.Background(), &sqs.GetQueueUrlInput{QueueName: aws.String("webhook")})
	if err != nil || aws.ToString(out.QueueUrl) != url {
		t.Errorf("GetQueueUrl = %v, %v; want %s", out, err, url)
	}
	_, err = s.GetQueueUrl(context.Background(), &sqs.GetQueueUrlInput{QueueName: aws.String("nope")})
	assertType(t, err, &sqstypes.QueueDoesNotExist{})
}

func TestPeekShowsTheNewestMessagesWithoutReceivingThem(t *testing.T) {
	c := newClock()
	s := open(t, storePath(t), c)
	url := create(t, s, "webhook-dlq", nil)
	for i := range 5 {
		send(t, s, url, fmt.Sprintf("m%d", i), 0)
		c.Advance(time.Second)
	}
	receive(t, s, url, 1, 60) // m0, in flight: still peeked

	for range 2 { // peeking twice changes nothing
		msgs, err := s.Peek("webhook-dlq", 3)
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, m := range msgs {
			got = append(got, body(m)+"@"+receiveCount(m))
			if m.ReceiptHandle != nil {
				t.Errorf("peeked %s has a receipt handle", body(m))
			}
			if aws.ToString(m.MessageAttributes["event"].StringValue) != "new_chat" || m.Attributes["SentTimestamp"] == "" {
				t.Errorf("peeked %s lacks its attributes: %v %v", body(m), m.Attributes, m.MessageAttributes)
			}
		}
		if want := "m4@0,m3@0,m2@0"; strings.Join(got, ",") != want {
			t.Errorf("Peek = %v, want %s", got, want)
		}
	}
	all, err := s.Peek("webhook-dlq", 100)
	if err != nil || len(all) != 5 || receiveCount(all[4]) != "1" {
		t.Errorf("Peek all = %d messages (oldest count %s), %v; want 5, the oldest received once", len(all), receiveCount(all[len(all)-1]), err)
	}
	if got := stats(t, s, "webhook-dlq"); got != (localqueue.QueueStats{Visible: 4, InFlight: 1}) {
		t.Errorf("stats after Peek = %+v, want 4 visible, 1 in flight", got)
	}
	if _, err := s.Peek("nope", 1); apiCode(err) != "AWS.SimpleQueueService.NonExistentQueue" {
		t.Errorf("Peek unknown queue: %v", err)
	}
}

func TestMessagesSurviveARestartWithTheirCounts(t *testing.T) {
	path := storePath(t)
	c := newClock()
	s := open(t, path, c)
	url := create(t, s, "webhook", nil)
	const n = 100
	ids := map[string]bool{}
	for i := range n {
		ids[aws.ToString(send(t, s, url, fmt.Sprintf("m%03d", i), 0).MessageId)] = true
	}
	// 10 are in flight for 10 minutes when the store closes: they come
	// back at once, their receive counted.
	receive(t, s, url, 10, 600)
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := s.SendMessage(context.Background(), &sqs.SendMessageInput{QueueUrl: aws.String(url), MessageBody: aws.String("x")}); !errors.Is(err, localqueue.ErrClosed) {
		t.Errorf("send after Close: %v, want ErrClosed", err)
	}

	s = open(t, path, c)
	counts := map[string]int{}
	for {
		msgs := receive(t, s, url, 10, 600)
		if len(msgs) == 0 {
			break
		}
		for _, m := range msgs {
			if !ids[aws.ToString(m.MessageId)] {
				t.Errorf("unknown message %s", aws.ToString(m.MessageId))
			}
			delete(ids, aws.ToString(m.MessageId))
			counts[receiveCount(m)]++
		}
	}
	if len(ids) != 0 {
		t.Errorf("%d messages lost in the restart", len(ids))
	}
	if counts["2"] != 10 || counts["1"] != n-10 {
		t.Errorf("receive counts after restart = %v, want 10 at 2 and %d at 1", counts, n-10)
	}
}

func TestOpenFailsFastWhenAnotherStoreHoldsTheFile(t *testing.T) {
	path := storePath(t)
	open(t, path, nil)
	s, err := localqueue.Open(path, localqueue.Options{})
	if err == nil {
		s.Close()
		t.Fatal("second Open succeeded")
	}
	if want := path + " is in use by another relay process"; !strings.Contains(err.Error(), want) {
		t.Errorf("error = %q, want it to say %q", err, want)
	}
}

func TestConcurrentSendsAreAllPersisted(t *testing.T) {
	path := storePath(t)
	s := open(t, path, nil)
	url := create(t, s, "webhook", nil)
	const goroutines, each = 50, 20
	var wg sync.WaitGroup
	errs := make(chan error, goroutines*each)
	for g := range goroutines {
		wg.Go(func() {
			for i := range each {
				_, err := s.SendMessage(context.Background(), &sqs.SendMessageInput{QueueUrl: aws.String(url), MessageBody: aws.String(fmt.Sprintf("g%d-%d", g, i)), MessageAttributes: attrs})
				if err != nil {
					errs <- err
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatalf("SendMessage: %v", err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	s = open(t, path, nil)
	seen := map[string]bool{}
	for {
		msgs := receive(t, s, url, 10, 600)
		if len(msgs) == 0 {
			break
		}
		for _, m := range msgs {
			seen[body(m)] = true
		}
	}
	if len(seen) != goroutines*each {
		t.Errorf("%d distinct messages after reopening, want %d", len(seen), goroutines*each)
	}
}

func md5Of(s string) string {
	return fmt.Sprintf("%x", md5.Sum([]byte(s)))
}
