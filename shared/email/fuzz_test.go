package email

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"

	"github.com/aws/aws-sdk-go-v2/aws"

	fixtures "github.com/nicechat-relay/nicechat-relay/events"
	"github.com/nicechat-relay/nicechat-relay/shared/humanize"
	"github.com/nicechat-relay/nicechat-relay/shared/message"
	"github.com/nicechat-relay/nicechat-relay/shared/nicechat"
)

// FuzzHeaders drives the channel into the outbox with visitor text from
// the fuzzer, in every language: the subject it builds must be one clean
// line, and the file must hold exactly the expected headers with that
// subject and body.
func FuzzHeaders(f *testing.F) {
	hostile := []string{"Olena\r\nBcc: evil@example.com\r\n\r\nbody", "=?UTF-8?q?x?= \x00\u2028\u202e Київ 🔥"}
	for _, typ := range nicechat.KnownTypes {
		f.Add(fixtures.Body(typ), "", "", true)
		f.Add(fixtures.Body(typ), hostile[0], hostile[1], true)
		f.Add(fixtures.Body(typ), hostile[1], hostile[0], false)
	}
	f.Add(fixtures.Body("invalid_new_order"), "", "", true)
	f.Add(fixtures.Body("invalid_push_form"), "", "", false)
	dir := f.TempDir()
	langs := humanize.Languages()
	f.Fuzz(func(t *testing.T, body []byte, a, b string, human bool) {
		body = fixtures.WithVisitorText(body, a, b)
		e, err := nicechat.Parse(body)
		if err != nil {
			return
		}
		m := message.Message{Body: body, Event: e.Type, EventID: e.ID, Format: message.FormatTech}
		if human {
			m.Format = message.FormatHuman
		}
		for _, lang := range langs {
			opts := humanize.Options{ShowIP: true, ChatURLTemplate: "https://example.com/chats/{chat_id}", Language: lang}
			checkFuzzedEmail(t, filepath.Join(dir, lang), m, opts)
		}
	})
}

// checkFuzzedEmail checks what FuzzHeaders promises of one message, sent
// through an outbox in dir.
func checkFuzzedEmail(t *testing.T, dir string, m message.Message, opts humanize.Options) {
	t.Helper()
	rec := &recorder{Sender: &Outbox{Dir: dir}}
	if err := mustNew(t, Config{From: sender, To: []string{"owner@example.com"}, Humanize: opts}, rec).Deliver(context.Background(), m); err != nil {
		t.Fatalf("Deliver: %v", err)
	}
	subject := aws.ToString(rec.in.Message.Subject.Data)
	if n := utf8.RuneCountInString(subject); n == 0 || n > MaxSubjectChars || strings.IndexFunc(subject, unsafeInHeader) >= 0 {
		t.Errorf("subject %q is not one clean line of 1..%d characters", subject, MaxSubjectChars)
	}
	got := onlyFile(t, dir)
	if !slices.Equal(headerNames(got.header), baseHeaders) {
		t.Errorf("headers %v, want exactly %v", headerNames(got.header), baseHeaders)
	}
	// A subject that itself looks like an encoded word is written as
	// it is, so a reader decodes it: SES does the same.
	if got.subject != subject && !strings.Contains(subject, "=?") {
		t.Errorf("subject reads back %q, the channel sent %q", got.subject, subject)
	}
	if want := asLines(aws.ToString(rec.in.Message.Body.Text.Data)); got.bodies["text/plain"] != want {
		t.Errorf("body reads back\n%q\nthe channel sent\n%q", got.bodies["text/plain"], want)
	}
	if raw, _ := os.ReadFile(filepath.Join(dir, got.name)); strings.ContainsRune(headerBlock(raw), 0) {
		t.Errorf("the header holds a NUL")
	}
}

func unsafeInHeader(r rune) bool {
	return unicode.IsControl(r) || unicode.Is(unicode.Bidi_Control, r) || r == '\u2028' || r == '\u2029'
}

func headerBlock(raw []byte) string {
	h, _, _ := strings.Cut(string(raw), "\r\n\r\n")
	return h
}
