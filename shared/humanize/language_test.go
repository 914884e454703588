package humanize_test

import (
	"slices"
	"strings"
	"testing"
	"time"

	fixtures "github.com/nicechat-relay/nicechat-relay/events"
	"github.com/nicechat-relay/nicechat-relay/shared/humanize"
	"github.com/nicechat-relay/nicechat-relay/shared/humanize/humanizetest"
	"github.com/nicechat-relay/nicechat-relay/shared/nicechat"
)

const chatLinks = "https://example.test/chats/"

func TestRenderLeavesNoEnglishWordInATranslation(t *testing.T) {
	for _, lang := range humanizetest.Translations() {
		for _, ev := range humanizetest.Events() {
			t.Run(lang+"/"+ev.Name, func(t *testing.T) {
				e, err := nicechat.Parse(ev.Body)
				if err != nil {
					t.Fatal(err)
				}
				opts := humanize.Options{Language: lang, ShowIP: true, ChatURLTemplate: chatLinks + "{chat_id}", Location: time.UTC}
				text := humanize.Render(e, opts).Text()
				if words := humanizetest.EnglishWords(t, lang, text, e.Type, e.ID, chatLinks); len(words) > 0 {
					t.Errorf("English words %q in the %s message:\n%s", words, lang, text)
				}
			})
		}
	}
}

// TestEnglishWordsFindsEnglish keeps the check above from passing by
// finding nothing anywhere.
func TestEnglishWordsFindsEnglish(t *testing.T) {
	for _, lang := range humanizetest.Translations() {
		e, err := nicechat.Parse(fixtures.Body(nicechat.TypeNewOrder))
		if err != nil {
			t.Fatal(err)
		}
		text := humanize.Render(e, humanize.Options{}).Text()
		if words := humanizetest.EnglishWords(t, lang, text, e.Type, e.ID); len(words) < 5 {
			t.Errorf("%s: only %q found in an English message:\n%s", lang, words, text)
		}
	}
}

func TestRenderKeepsVisitorTextAsSentInEveryLanguage(t *testing.T) {
	tests := []struct {
		typ  string
		want []string
	}{
		{nicechat.TypeUnanswered, []string{"Kryvyy Rih, Ukraine", "Chrome 59.0.3071.86", "MacOS Macintosh X 10.12.5"}},
		{nicechat.TypeNewOrder, []string{"Примет товара", "Admin adminus <admin@example.com>"}},
		{nicechat.TypePushForm, []string{"There are no operators available now", "\nName: My name is Test\n", "\nEmail: test@example.com\n"}},
	}
	for _, lang := range humanize.Languages() {
		for _, tc := range tests {
			t.Run(lang+"/"+tc.typ, func(t *testing.T) {
				e, err := nicechat.Parse(fixtures.Body(tc.typ))
				if err != nil {
					t.Fatal(err)
				}
				text := humanize.Render(e, humanize.Options{Language: lang}).Text()
				for _, want := range tc.want {
					if !strings.Contains(text, want) {
						t.Errorf("%q is not shown as sent:\n%s", want, text)
					}
				}
			})
		}
	}
}

// TestRenderShowsNoEventNameOrUntranslatedWord reads each fixture as the
// owner of a shop in Ukrainian or Polish would: once what the visitor and
// the shop wrote is cut out, no event type's name and no word of Latin
// letters is left but the brands, currencies and UTC.
func TestRenderShowsNoEventNameOrUntranslatedWord(t *testing.T) {
	for _, lang := range humanizetest.Translations() {
		for _, ev := range humanizetest.Fixtures() {
			t.Run(lang+"/"+ev.Name, func(t *testing.T) {
				e, err := nicechat.Parse(ev.Body)
				if err != nil {
					t.Fatal(err)
				}
				opts := humanize.Options{Language: lang, ShowIP: true, ChatURLTemplate: chatLinks + "{chat_id}", Location: humanizetest.Location(t, lang)}
				text := humanize.Render(e, opts).Text()
				if found := humanizetest.Untranslated(t, lang, text, append(humanizetest.DataTexts(ev.Body), e.ID, chatLinks)...); len(found) > 0 {
					t.Errorf("%q in the %s message:\n%s", found, lang, text)
				}
			})
		}
	}
}

// TestUntranslatedFindsEnglishAndEventNames keeps the check above from
// passing by finding nothing: an English message, its vendor's words and a
// footer naming the event type are all found.
func TestUntranslatedFindsEnglishAndEventNames(t *testing.T) {
	e, err := nicechat.Parse(fixtures.Body(nicechat.TypeUnanswered))
	if err != nil {
		t.Fatal(err)
	}
	strip := append(humanizetest.DataTexts(fixtures.Body(nicechat.TypeUnanswered)), e.ID)
	text := humanize.Render(e, humanize.Options{}).Text() + "\nGuest (direct)\nNice Chat · unanswered"
	for _, lang := range humanizetest.Translations() {
		found := humanizetest.Untranslated(t, lang, text, strip...)
		for _, want := range []string{"unanswered", "angry", "lead", "visitor", "browser", "language", "ukrainian", "guest", "direct"} {
			if !slices.Contains(found, want) {
				t.Errorf("%s: %q not found in %q", lang, want, found)
			}
		}
		for _, allowed := range []string{"nice", "chat", "chrome", "kryvyy", "macos"} {
			if slices.Contains(found, allowed) {
				t.Errorf("%s: %q found", lang, allowed)
			}
		}
	}
}
