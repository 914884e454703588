package slack

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/nicechat-relay/nicechat-relay/shared/humane/humanetest"
	"github.com/nicechat-relay/nicechat-relay/shared/humanize"
)

func TestPayloadIsTranslated(t *testing.T) {
	unescape := strings.NewReplacer("&lt;", "<", "&gt;", ">", "&amp;", "&")
	humanetest.CheckTranslations(t, func(t *testing.T, body []byte, opts humanize.Options) string {
		raw, err := json.Marshal(Payload(parse(t, body), opts))
		if err != nil {
			t.Fatal(err)
		}
		// As Slack shows it: the notification text and every block.
		fallback, _, texts := payloadTexts(t, raw)
		shown := unescape.Replace(fallback)
		for _, tx := range texts {
			shown += "\n" + unescape.Replace(tx.text)
		}
		return shown
	})
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
		{"uk", "_… не показано ще 154 частини повідомлення: для Slack воно задовге._"},
		{"pl", "_… pominięto jeszcze 154 części wiadomości: jest za długa dla Slacka._"},
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
		{"uk", 1, "_… не показано ще 1 частину повідомлення: для Slack воно задовге._"},
		{"uk", 3, "_… не показано ще 3 частини повідомлення: для Slack воно задовге._"},
		{"uk", 5, "_… не показано ще 5 частин повідомлення: для Slack воно задовге._"},
		{"uk", 21, "_… не показано ще 21 частину повідомлення: для Slack воно задовге._"},
		{"uk", 12, "_… не показано ще 12 частин повідомлення: для Slack воно задовге._"},
		{"pl", 1, "_… pominięto jeszcze 1 część wiadomości: jest za długa dla Slacka._"},
		{"pl", 22, "_… pominięto jeszcze 22 części wiadomości: jest za długa dla Slacka._"},
		{"pl", 12, "_… pominięto jeszcze 12 części wiadomości: jest za długa dla Slacka._"},
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
	humanetest.CheckRefusesUnknownLanguage(t, env, func(opts humanize.Options) error {
		_, err := New(Config{WebhookURL: "https://hooks.slack.com/services/T000/B000/XXXX", Humanize: opts}, Deps{})
		return err
	})
}
