package humanize_test

import (
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
		{nicechat.TypeUnanswered, []string{"Guest", "Kryvyy Rih, Ukraine", "Chrome 59.0.3071.86", "(direct)"}},
		{nicechat.TypeNewOrder, []string{"Примет товара", "Admin adminus <admin@example.com>"}},
		{nicechat.TypePushForm, []string{": There are no operators available now\n", "\nName: My name is Test\n", "\nEmail: test@example.com\n"}},
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
