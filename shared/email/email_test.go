package email

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"net"
	"os"
	"slices"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ses"

	fixtures "github.com/nicechat-relay/nicechat-relay/events"
	"github.com/nicechat-relay/nicechat-relay/shared/delivery"
	"github.com/nicechat-relay/nicechat-relay/shared/humanize"
	"github.com/nicechat-relay/nicechat-relay/shared/localaws"
	"github.com/nicechat-relay/nicechat-relay/shared/message"
	"github.com/nicechat-relay/nicechat-relay/shared/nicechat"
)

func TestMain(m *testing.M) { os.Exit(localaws.Main(m)) }

const sender = "relay@example.com"

// onlySentTo returns the one message sent to addr.
func onlySentTo(t *testing.T, addr string) localaws.SentEmail {
	t.Helper()
	mails := localaws.SentEmails(t, addr)
	if len(mails) != 1 {
		t.Fatalf("SES holds %d messages to %s, want 1", len(mails), addr)
	}
	return mails[0]
}

// recipient is an address no other test sends to, so tests sharing one
// moto find their own mail.
func recipient(t *testing.T) string {
	t.Helper()
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	return "owner-" + hex.EncodeToString(b) + "@example.com"
}

// verifiedClient is an SES client of moto with the sender verified, as
// SES requires before it sends anything.
func verifiedClient(t *testing.T) *ses.Client {
	t.Helper()
	client := localaws.SES(t)
	if _, err := client.VerifyEmailIdentity(context.Background(), &ses.VerifyEmailIdentityInput{EmailAddress: aws.String(sender)}); err != nil {
		t.Fatalf("verify sender: %v", err)
	}
	return client
}

func messageOf(body []byte, event string, format message.Format) message.Message {
	return message.Message{Body: body, Event: event, EventID: nicechat.EventID(body), ReceivedAt: time.Now(), Format: format}
}

func compactJSON(t *testing.T, b []byte) string {
	t.Helper()
	var out bytes.Buffer
	if err := json.Compact(&out, b); err != nil {
		t.Fatalf("not JSON: %v\n%s", err, b)
	}
	return out.String()
}

// assertSafeHeaders checks what the issue promises for every email: the
// configured sender, exactly the configured recipients and nothing else,
// and a single-line subject within the cap.
func assertSafeHeaders(t *testing.T, got localaws.SentEmail, to string) {
	t.Helper()
	if got.Source != sender {
		t.Errorf("Source = %q, want %q", got.Source, sender)
	}
	if want := map[string][]string{"ToAddresses": {to}}; !equalDestinations(got.Destinations, want) {
		t.Errorf("destinations = %v, want %v", got.Destinations, want)
	}
	if strings.ContainsAny(got.Subject, "\r\n\x00") {
		t.Errorf("subject is not a single line: %q", got.Subject)
	}
	if n := utf8.RuneCountInString(got.Subject); n > MaxSubjectChars || n == 0 {
		t.Errorf("subject has %d characters, want 1..%d", n, MaxSubjectChars)
	}
}

func equalDestinations(a, b map[string][]string) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if !slices.Equal(v, b[k]) {
			return false
		}
	}
	return true
}

func TestSendsTheTechEmailForEachFixture(t *testing.T) {
	client := verifiedClient(t)
	for _, event := range nicechat.KnownTypes {
		for _, format := range []message.Format{message.FormatTech, ""} {
			t.Run(event+"/format="+string(format), func(t *testing.T) {
				to := recipient(t)
				ch := mustNew(t, Config{From: sender, To: []string{to}}, client)
				body := fixtures.Body(event)
				e, err := nicechat.Parse(body)
				if err != nil {
					t.Fatal(err)
				}

				if err := ch.Deliver(context.Background(), messageOf(body, event, format)); err != nil {
					t.Fatalf("Deliver: %v", err)
				}

				got := onlySentTo(t, to)
				assertSafeHeaders(t, got, to)
				if want := "[Nice Chat] " + event + " #" + jsonNumber(e.DataID); got.Subject != want {
					t.Errorf("subject = %q, want %q", got.Subject, want)
				}
				var indented bytes.Buffer
				_ = json.Indent(&indented, body, "", "  ")
				if got.Body != indented.String()+"\n" {
					t.Errorf("body is not the event pretty-printed:\n%s", got.Body)
				}
				// Every field, known or not, survives.
				if compactJSON(t, []byte(got.Body)) != compactJSON(t, body) {
					t.Errorf("body lost or changed fields:\n got %s\nwant %s", compactJSON(t, []byte(got.Body)), compactJSON(t, body))
				}
			})
		}
	}
}

func TestTechEmailKeepsUnknownFields(t *testing.T) {
	client := verifiedClient(t)
	to := recipient(t)
	ch := mustNew(t, Config{From: sender, To: []string{to}}, client)
	body := []byte(`{"event":"new_widget","data":{"id":7,"colour":"teal","nested":{"a":[1,2]}},"extra":true}`)

	if err := ch.Deliver(context.Background(), messageOf(body, "new_widget", message.FormatTech)); err != nil {
		t.Fatalf("Deliver: %v", err)
	}

	got := onlySentTo(t, to)
	want := "{\n  \"event\": \"new_widget\",\n  \"data\": {\n    \"id\": 7,\n    \"colour\": \"teal\",\n    \"nested\": {\n      \"a\": [\n        1,\n        2\n      ]\n    }\n  },\n  \"extra\": true\n}\n"
	if got.Body != want {
		t.Errorf("body =\n%s\nwant\n%s", got.Body, want)
	}
	if got.Subject != "[Nice Chat] new_widget #7" {
		t.Errorf("subject = %q", got.Subject)
	}
}

func TestSendsTheHumanEmailForEachFixture(t *testing.T) {
	client := verifiedClient(t)
	opts := humanize.Options{Location: time.UTC, ChatURLTemplate: "https://example.com/chats/{chat_id}"}
	headlineWords := map[string]string{
		nicechat.TypeNewVisitor:   "cold lead",
		nicechat.TypeNewChat:      "warm lead",
		nicechat.TypeFirstMessage: "hot lead",
		nicechat.TypeUnanswered:   "angry lead",
		nicechat.TypeNewOrder:     "order",
		nicechat.TypePushForm:     "form",
	}
	for _, event := range nicechat.KnownTypes {
		t.Run(event, func(t *testing.T) {
			to := recipient(t)
			ch := mustNew(t, Config{From: sender, To: []string{to}, Humanize: opts}, client)
			body := fixtures.Body(event)
			e, err := nicechat.Parse(body)
			if err != nil {
				t.Fatal(err)
			}
			want := humanize.Render(e, opts)

			if err := ch.Deliver(context.Background(), messageOf(body, event, message.FormatHuman)); err != nil {
				t.Fatalf("Deliver: %v", err)
			}

			got := onlySentTo(t, to)
			assertSafeHeaders(t, got, to)
			if got.Subject != want.Headline {
				t.Errorf("subject = %q, want the headline %q", got.Subject, want.Headline)
			}
			if !strings.Contains(strings.ToLower(got.Subject), headlineWords[event]) {
				t.Errorf("subject %q does not say %q", got.Subject, headlineWords[event])
			}
			if got.Body != want.Text() {
				t.Errorf("body =\n%s\nwant the humane text\n%s", got.Body, want.Text())
			}
			if strings.HasPrefix(strings.TrimSpace(got.Body), "{") {
				t.Errorf("human body is JSON:\n%s", got.Body)
			}
		})
	}
}

// withClientName returns the first_message fixture with data.client_name
// replaced.
func withClientName(t *testing.T, name string) []byte {
	t.Helper()
	var ev map[string]any
	if err := json.Unmarshal(fixtures.Body(nicechat.TypeFirstMessage), &ev); err != nil {
		t.Fatal(err)
	}
	ev["data"].(map[string]any)["client_name"] = name
	b, err := json.Marshal(ev)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestVisitorTextCannotAddAHeaderOrARecipient(t *testing.T) {
	client := verifiedClient(t)
	long := strings.Repeat("Василь ", 100)
	tests := []struct {
		name   string
		body   func(t *testing.T) []byte
		event  string
		format message.Format
		want   func(t *testing.T, subject string) // extra checks on the subject
	}{
		{
			name: "CRLF and Bcc in the client name", event: nicechat.TypeFirstMessage, format: message.FormatHuman,
			body: func(t *testing.T) []byte { return withClientName(t, "Guest\r\nBcc: evil@example.com") },
			want: func(t *testing.T, s string) {
				if !strings.Contains(s, "Guest Bcc: evil@example.com") {
					t.Errorf("subject %q does not keep the name as inert text on one line", s)
				}
			},
		},
		{
			name: "bare LF and To in the client name", event: nicechat.TypeFirstMessage, format: message.FormatHuman,
			body: func(t *testing.T) []byte { return withClientName(t, "Guest\nTo: evil@example.com\n\nbody") },
		},
		{
			name: "NUL in the client name", event: nicechat.TypeFirstMessage, format: message.FormatHuman,
			body: func(t *testing.T) []byte { return withClientName(t, "Guest\x00Bcc: evil@example.com") },
		},
		{
			name: "Unicode line separators in the client name", event: nicechat.TypeFirstMessage, format: message.FormatHuman,
			body: func(t *testing.T) []byte {
				return withClientName(t, "Guest\u2028Bcc: evil@example.com\u0085Cc: evil@example.com")
			},
		},
		{
			name: "a very long client name is cut with an ellipsis", event: nicechat.TypeFirstMessage, format: message.FormatHuman,
			body: func(t *testing.T) []byte { return withClientName(t, long) },
			want: func(t *testing.T, s string) {
				n := utf8.RuneCountInString(s)
				if n < MaxSubjectChars-1 || n > MaxSubjectChars || !strings.HasSuffix(s, "Василь…") {
					t.Errorf("subject has %d characters ending %q, want %d (less a trimmed space) ending with an ellipsis", n, s[len(s)-12:], MaxSubjectChars)
				}
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			to := recipient(t)
			ch := mustNew(t, Config{From: sender, To: []string{to}}, client)

			if err := ch.Deliver(context.Background(), messageOf(tt.body(t), tt.event, tt.format)); err != nil {
				t.Fatalf("Deliver: %v", err)
			}

			got := onlySentTo(t, to)
			assertSafeHeaders(t, got, to)
			if tt.want != nil {
				tt.want(t, got.Subject)
			}
			if strings.ContainsRune(got.Body, 0) {
				t.Errorf("body carries a NUL")
			}
		})
	}
}

func TestSendsToEveryConfiguredRecipient(t *testing.T) {
	client := verifiedClient(t)
	cfg, err := ConfigFromEnv(func(k string) string {
		return map[string]string{
			"EMAIL_FROM": "Nice Chat Relay <" + sender + ">",
			"EMAIL_TO":   "a-" + recipient(t) + ", Shop Owner <b-" + recipient(t) + ">,",
		}[k]
	})
	if err != nil {
		t.Fatalf("ConfigFromEnv: %v", err)
	}
	ch := mustNew(t, cfg, client)
	body := fixtures.Body(nicechat.TypeNewOrder)

	if err := ch.Deliver(context.Background(), messageOf(body, nicechat.TypeNewOrder, message.FormatHuman)); err != nil {
		t.Fatalf("Deliver: %v", err)
	}

	got := onlySentTo(t, cfg.To[0])
	if !slices.Equal(got.Destinations["ToAddresses"], cfg.To) || len(got.Destinations) != 1 {
		t.Errorf("destinations = %v, want To %v only", got.Destinations, cfg.To)
	}
	if got.Source != `"Nice Chat Relay" <`+sender+`>` {
		t.Errorf("Source = %q", got.Source)
	}
}

func TestDeadLettersAMessageThatCanNeverBeSentAsInvalid(t *testing.T) {
	client := verifiedClient(t)
	tests := []struct {
		name string
		m    message.Message
	}{
		{"a body that does not parse", messageOf([]byte(`{"event":"new_chat","data":{}}`), nicechat.TypeNewChat, message.FormatTech)},
		{"a body that is not JSON", messageOf([]byte(`not json`), nicechat.TypeNewChat, message.FormatHuman)},
		{"an unknown format", messageOf([]byte(`{"event":"new_chat","data":{"id":1}}`), nicechat.TypeNewChat, "html")},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			to := recipient(t)
			ch := mustNew(t, Config{From: sender, To: []string{to}}, client)

			de := asDeliveryError(t, ch.Deliver(context.Background(), tt.m))

			if de.Class != delivery.ClassInvalidMessage {
				t.Errorf("class = %s (%v), want invalid_message", de.Class, de)
			}
			if n := len(localaws.SentEmails(t, to)); n != 0 {
				t.Errorf("SES holds %d messages, want none", n)
			}
		})
	}
}

func TestClassifiesWhatTheSESAPIAnswers(t *testing.T) {
	verified := verifiedClient(t)
	refused := func() string {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		defer l.Close()
		return "http://" + l.Addr().String()
	}()
	unreachable := ses.NewFromConfig(localaws.Config(t), func(o *ses.Options) {
		o.BaseEndpoint = aws.String(refused)
		o.RetryMaxAttempts = 1
	})

	tests := []struct {
		name       string
		from       string
		to         string
		client     *ses.Client
		wantClass  delivery.Class
		wantCode   string
		wantStatus int
	}{
		{"an unverified sender is misconfigured", "stranger@unverified.example", recipient(t), verified, delivery.ClassMisconfigured, "MessageRejected", 400},
		{"an address SES refuses is a permanent 4xx", sender, "no-domain", verified, delivery.ClassPermanent, "InvalidParameterValue", 400},
		{"an unreachable SES is retried", sender, recipient(t), unreachable, delivery.ClassRetry, "", 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			// Built directly: SES's own answer to an address is under test,
			// and Validate would refuse "no-domain" first.
			ch := &Channel{cfg: Config{From: tt.from, To: []string{tt.to}, Timeout: DefaultTimeout}, client: tt.client}
			body := fixtures.Body(nicechat.TypeNewChat)

			de := asDeliveryError(t, ch.Deliver(context.Background(), messageOf(body, nicechat.TypeNewChat, message.FormatTech)))

			if de.Class != tt.wantClass || de.Code != tt.wantCode || de.Status != tt.wantStatus {
				t.Errorf("got class %s code %q status %d, want %s %q %d (%v)", de.Class, de.Code, de.Status, tt.wantClass, tt.wantCode, tt.wantStatus, de)
			}
			if n := len(localaws.SentEmails(t, tt.to)); n != 0 {
				t.Errorf("SES holds %d messages, want none", n)
			}
		})
	}
}

func TestNameAndTimeout(t *testing.T) {
	ch := mustNew(t, Config{From: sender, To: []string{"a@example.com"}}, &Outbox{Dir: t.TempDir()})
	if ch.Name() != "email" || ch.Timeout() != DefaultTimeout {
		t.Errorf("Name() = %q, Timeout() = %v", ch.Name(), ch.Timeout())
	}
}

func mustNew(t testing.TB, cfg Config, client Sender) *Channel {
	t.Helper()
	ch, err := New(cfg, Deps{SES: client})
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	return ch
}

func TestNewRejectsAnInvalidConfigOrNoClient(t *testing.T) {
	tests := []struct {
		name    string
		cfg     Config
		client  Sender
		wantErr string
	}{
		{"no sender", Config{To: []string{"a@example.com"}}, &Outbox{Dir: t.TempDir()}, "EMAIL_FROM is required"},
		{"no recipient", Config{From: sender}, &Outbox{Dir: t.TempDir()}, "EMAIL_TO is required"},
		{"no SES client", Config{From: sender, To: []string{"a@example.com"}}, nil, "SES client"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := New(tt.cfg, Deps{SES: tt.client}); err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("New = %v, want an error with %q", err, tt.wantErr)
			}
		})
	}
}

func asDeliveryError(t *testing.T, err error) *delivery.Error {
	t.Helper()
	var de *delivery.Error
	if !errors.As(err, &de) {
		t.Fatalf("Deliver = %v (%T), want a *delivery.Error", err, err)
	}
	return de
}

func jsonNumber(n int64) string { b, _ := json.Marshal(n); return string(b) }
