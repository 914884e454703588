package email

import (
	"context"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"

	fixtures "github.com/nicechat-relay/nicechat-relay/events"
	"github.com/nicechat-relay/nicechat-relay/shared/golden"
	"github.com/nicechat-relay/nicechat-relay/shared/humane/humanetest"
	"github.com/nicechat-relay/nicechat-relay/shared/humanize"
	"github.com/nicechat-relay/nicechat-relay/shared/humanize/humanizetest"
	"github.com/nicechat-relay/nicechat-relay/shared/message"
	"github.com/nicechat-relay/nicechat-relay/shared/nicechat"
)

const chatLinks = "https://example.test/chats/"

// sendHuman delivers body as a human email through the outbox and returns
// the subject and body the channel handed SES.
func sendHuman(t *testing.T, body []byte, opts humanize.Options) (subject, text string) {
	t.Helper()
	e := parseEvent(t, body)
	rec := &recorder{Sender: &Outbox{Dir: t.TempDir()}}
	ch := mustNew(t, Config{From: sender, To: []string{"owner@example.com"}, Humanize: opts}, rec)
	if err := ch.Deliver(context.Background(), messageOf(body, e.Type, message.FormatHuman)); err != nil {
		t.Fatalf("Deliver: %v", err)
	}
	return aws.ToString(rec.in.Message.Subject.Data), aws.ToString(rec.in.Message.Body.Text.Data)
}

func parseEvent(t *testing.T, body []byte) *nicechat.Event {
	t.Helper()
	e, err := nicechat.Parse(body)
	if err != nil {
		t.Fatal(err)
	}
	return e
}

// TestHumanEmailMatchesGoldenText keeps English's files at the top of
// testdata/ and every other language's in testdata/<language>/: the
// subject, a blank line, then the body.
func TestHumanEmailMatchesGoldenText(t *testing.T) {
	for _, lang := range humanize.Languages() {
		opts, dir := humanize.Options{Location: time.UTC, ChatURLTemplate: chatLinks + "{chat_id}"}, ""
		if lang != "en" {
			opts.Language, opts.Location, dir = lang, humanizetest.Location(t, lang), lang+"/"
		}
		for _, typ := range nicechat.KnownTypes {
			t.Run(lang+"/"+typ, func(t *testing.T) {
				subject, text := sendHuman(t, fixtures.Body(typ), opts)
				golden.Check(t, dir+typ+".txt", []byte("Subject: "+subject+"\n\n"+text))
			})
		}
	}
}

func TestHumanEmailIsTranslated(t *testing.T) {
	humanetest.CheckTranslations(t, func(t *testing.T, body []byte, opts humanize.Options) string {
		subject, text := sendHuman(t, body, opts)
		return subject + "\n" + text
	})
}

func TestHumanEmailSubjectKeepsTheNumbersNoBreakSpaces(t *testing.T) {
	subject, _ := sendHuman(t, fixtures.Body(nicechat.TypeNewOrder), humanize.Options{Language: "pl"})
	if want := "Nowe zamówienie nr\u00a023: 1\u00a0000,00 UAH"; subject != want {
		t.Errorf("subject = %q, want %q", subject, want)
	}
}

func TestNewRefusesALanguageThatIsNotAvailable(t *testing.T) {
	humanetest.CheckRefusesUnknownLanguage(t, env, func(opts humanize.Options) error {
		_, err := New(Config{From: sender, To: []string{"a@example.com"}, Humanize: opts}, Deps{SES: &Outbox{Dir: t.TempDir()}})
		return err
	})
}
