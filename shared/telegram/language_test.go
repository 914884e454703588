package telegram

import (
	"strings"
	"testing"

	"github.com/nicechat-relay/nicechat-relay/shared/humane/humanetest"
	"github.com/nicechat-relay/nicechat-relay/shared/humanize"
)

func TestTextIsTranslated(t *testing.T) {
	humanetest.CheckTranslations(t, func(t *testing.T, body []byte, opts humanize.Options) string {
		// As Telegram shows it: the tags, and so the link's URL, gone.
		return checkHTML(t, Text(parse(t, body), opts))
	})
}

func TestTextSaysWhatItLeftOutInTheOwnersLanguage(t *testing.T) {
	body := `{"event":"push_form","data":{"id":10,"chat_id":172,"result":[{"label":"Повідомлення","value":"` + strings.Repeat("ж", 5000) + `"}]}}`
	tests := []struct {
		lang string
		want string
	}{
		{"en", "… the rest is left out: a Telegram message holds at most 4,096 characters."},
		{"uk", "… решту не показано: повідомлення в Telegram вміщує щонайбільше 4\u00a0096 символів."},
		{"pl", "… pominięto resztę: wiadomość w Telegramie mieści najwyżej 4\u00a0096 znaków."},
	}
	for _, tc := range tests {
		t.Run(tc.lang, func(t *testing.T) {
			opts := goldenOpts
			opts.Language = tc.lang
			text := Text(parse(t, []byte(body)), opts)
			checkHTML(t, text)
			lines := strings.Split(text, "\n")
			if got := lines[len(lines)-4]; got != tc.want {
				t.Errorf("the line before the link reads %q, want %q", got, tc.want)
			}
			if link := lines[len(lines)-2]; !strings.HasSuffix(link, ">"+opts.Catalog().Text(humanize.KeyOpenChat, nil)+"</a>") {
				t.Errorf("the link reads %q", link)
			}
			if utf16Len(text) > maxTextUnits || utf16Len(text) < maxTextUnits-200 {
				t.Errorf("text is %d units, want just under %d", utf16Len(text), maxTextUnits)
			}
		})
	}
}

func TestValidateMeasuresTheLinkInTheMessagesLanguage(t *testing.T) {
	// The longest chat link that fits with English's "Open the chat"
	// does not fit with Ukrainian's "Відкрити чат" once its id is the
	// longest: both are measured as they would be sent.
	for _, lang := range humanize.Languages() {
		t.Run(lang, func(t *testing.T) {
			cat := humanize.Options{Language: lang}.Catalog()
			frame := utf16Len(linkLine("https://x.example/c/9223372036854775807?p=", cat))
			pad := strings.Repeat("p", maxLinkUnits-frame)
			c := Config{BotToken: token, ChatID: chatID, Humanize: humanize.Options{Language: lang, ChatURLTemplate: "https://x.example/c/{chat_id}?p=" + pad}}
			if err := c.Validate(); err != nil {
				t.Errorf("a link of exactly %d units is refused: %v", maxLinkUnits, err)
			}
			c.Humanize.ChatURLTemplate += "p"
			if err := c.Validate(); err == nil || !strings.Contains(err.Error(), "CHAT_URL_TEMPLATE") {
				t.Errorf("a link one unit too long: Validate = %v", err)
			}
		})
	}
}

func TestNewRefusesALanguageThatIsNotAvailable(t *testing.T) {
	humanetest.CheckRefusesUnknownLanguage(t, env, func(opts humanize.Options) error {
		_, err := New(Config{BotToken: token, ChatID: chatID, Humanize: opts}, Deps{})
		return err
	})
}
