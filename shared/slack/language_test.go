package slack

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/nicechat-relay/nicechat-relay/shared/humanize"
	"github.com/nicechat-relay/nicechat-relay/shared/humanize/humanizetest"
)

const chatLinks = "https://example.test/chats/"

func TestPayloadLeavesNoEnglishWordInATranslation(t *testing.T) {
	for _, lang := range humanizetest.Translations() {
		for _, ev := range humanizetest.Events() {
			t.Run(lang+"/"+ev.Name, func(t *testing.T) {
				e := parse(t, ev.Body)
				opts := humanize.Options{Language: lang, ShowIP: true, ChatURLTemplate: chatLinks + "{chat_id}", Location: time.UTC}
				raw, err := json.Marshal(Payload(e, opts))
				if err != nil {
					t.Fatal(err)
				}
				fallback, _, texts := payloadTexts(t, raw)
				all := fallback
				for _, tx := range texts {
					all += "\n" + tx.text
				}
				if words := humanizetest.EnglishWords(t, lang, all, e.Type, e.ID, chatLinks); len(words) > 0 {
					t.Errorf("English words %q in the %s payload:\n%s", words, lang, all)
				}
			})
		}
	}
}

func TestPayloadSaysWhatItLeftOutInTheOwnersLanguage(t *testing.T) {
	// 200 fields of a section each: 47 blocks fit beside the header, the
	// link and the context, so 46 are shown and 154 left out.
	var fields []string
	for range 200 {
		fields = append(fields, `{"label":"Поле","value":"`+strings.Repeat("ж", 2990)+`"}`)
	}
	body := []byte(`{"event":"push_form","data":{"id":10,"chat_id":1,"result":[` + strings.Join(fields, ",") + `]}}`)
	tests := []struct {
		lang string
		want string
	}{
		{"en", "_… 154 more blocks left out: the message is longer than Slack allows._"},
		{"uk", "_… ще 154 блоки не показано: повідомлення задовге для Slack._"},
		{"pl", "_… pominięto jeszcze 154 bloki: wiadomość jest dłuższa, niż pozwala Slack._"},
	}
	for _, tc := range tests {
		t.Run(tc.lang, func(t *testing.T) {
			opts := linkOpts
			opts.Language = tc.lang
			raw, err := json.Marshal(Payload(parse(t, body), opts))
			if err != nil {
				t.Fatal(err)
			}
			texts := checkLimits(t, raw)
			if got := texts[len(texts)-3].text; got != tc.want {
				t.Errorf("the last section reads %q, want %q", got, tc.want)
			}
		})
	}
}

func TestLeftOutCountsInTheLanguagesPluralForms(t *testing.T) {
	tests := []struct {
		lang   string
		blocks int
		want   string
	}{
		{"en", 1, "_… 1 more block left out: the message is longer than Slack allows._"},
		{"en", 2, "_… 2 more blocks left out: the message is longer than Slack allows._"},
		{"uk", 1, "_… ще 1 блок не показано: повідомлення задовге для Slack._"},
		{"uk", 3, "_… ще 3 блоки не показано: повідомлення задовге для Slack._"},
		{"uk", 5, "_… ще 5 блоків не показано: повідомлення задовге для Slack._"},
		{"pl", 1, "_… pominięto jeszcze 1 blok: wiadomość jest dłuższa, niż pozwala Slack._"},
		{"pl", 22, "_… pominięto jeszcze 22 bloki: wiadomość jest dłuższa, niż pozwala Slack._"},
		{"pl", 12, "_… pominięto jeszcze 12 bloków: wiadomość jest dłuższa, niż pozwala Slack._"},
	}
	for _, tc := range tests {
		t.Run(tc.lang+"/"+tc.want, func(t *testing.T) {
			if got := leftOut(humanize.Options{Language: tc.lang}.Catalog(), tc.blocks); got != tc.want {
				t.Errorf("leftOut(%d) = %q, want %q", tc.blocks, got, tc.want)
			}
		})
	}
}

func TestNewRefusesALanguageThatIsNotAvailable(t *testing.T) {
	_, err := New(Config{WebhookURL: "https://hooks.slack.com/services/T000/B000/XXXX", Humanize: humanize.Options{Language: "de"}}, Deps{})
	if err == nil || !strings.Contains(err.Error(), EnvLanguage) || !strings.Contains(err.Error(), "available: "+strings.Join(humanize.Languages(), ", ")) {
		t.Errorf("New = %v, want an error naming %s and listing the languages", err, EnvLanguage)
	}
}
