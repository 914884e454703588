package email

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"

	fixtures "github.com/nicechat-relay/nicechat-relay/events"
	"github.com/nicechat-relay/nicechat-relay/shared/golden"
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

func TestHumanEmailLeavesNoEnglishWordInATranslation(t *testing.T) {
	for _, lang := range humanizetest.Translations() {
		for _, ev := range humanizetest.Events() {
			t.Run(lang+"/"+ev.Name, func(t *testing.T) {
				e := parseEvent(t, ev.Body)
				opts := humanize.Options{Language: lang, ShowIP: true, ChatURLTemplate: chatLinks + "{chat_id}", Location: time.UTC}
				subject, text := sendHuman(t, ev.Body, opts)
				if words := humanizetest.EnglishWords(t, lang, subject+"\n"+text, e.Type, e.ID, chatLinks); len(words) > 0 {
					t.Errorf("English words %q in the %s email:\nSubject: %s\n\n%s", words, lang, subject, text)
				}
			})
		}
	}
}

func TestHumanEmailSubjectKeepsTheNumbersNoBreakSpaces(t *testing.T) {
	subject, _ := sendHuman(t, fixtures.Body(nicechat.TypeNewOrder), humanize.Options{Language: "pl"})
	if want := "Nowe zamówienie nr\u00a023: 1\u00a0000,00 UAH"; subject != want {
		t.Errorf("subject = %q, want %q", subject, want)
	}
}

func TestNewRefusesALanguageThatIsNotAvailable(t *testing.T) {
	_, err := New(Config{From: sender, To: []string{"a@example.com"}, Humanize: humanize.Options{Language: "de"}}, Deps{SES: &Outbox{Dir: t.TempDir()}})
	if err == nil || !strings.Contains(err.Error(), EnvLanguage) || !strings.Contains(err.Error(), "available: "+strings.Join(humanize.Languages(), ", ")) {
		t.Errorf("New = %v, want an error naming %s and listing the languages", err, EnvLanguage)
	}
}

// TestHumanEmailShowsNoEventNameOrUntranslatedWord reads each fixture's
// email, subject and body, as the owner of a shop in Ukrainian or Polish
// would: once what came from the event is cut out, no event type's name
// and no word of Latin letters is left but the brands, currencies and UTC.
func TestHumanEmailShowsNoEventNameOrUntranslatedWord(t *testing.T) {
	for _, lang := range humanizetest.Translations() {
		for _, ev := range humanizetest.Fixtures() {
			t.Run(lang+"/"+ev.Name, func(t *testing.T) {
				e := parseEvent(t, ev.Body)
				opts := humanize.Options{Language: lang, ShowIP: true, ChatURLTemplate: chatLinks + "{chat_id}", Location: humanizetest.Location(t, lang)}
				subject, text := sendHuman(t, ev.Body, opts)
				shown := subject + "\n" + text
				if found := humanizetest.Untranslated(t, lang, shown, append(humanizetest.DataTexts(ev.Body), e.ID, chatLinks)...); len(found) > 0 {
					t.Errorf("%q in the %s email:\nSubject: %s\n\n%s", found, lang, subject, text)
				}
			})
		}
	}
}
