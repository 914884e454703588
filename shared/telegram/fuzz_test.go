package telegram

import (
	"testing"

	fixtures "github.com/nicechat-relay/nicechat-relay/events"
	"github.com/nicechat-relay/nicechat-relay/shared/humanize"
	"github.com/nicechat-relay/nicechat-relay/shared/nicechat"
)

// FuzzText renders events whose every visitor string is the fuzzer's, in
// every language: the text must be one Telegram takes (within its limit,
// valid UTF-8) and shows as meant (every < one of the tags Text writes,
// balanced, every & an entity), always ending with the event id.
func FuzzText(f *testing.F) {
	hostile := []string{`<b>x</b> <a href="javascript:alert(1)">bank</a> &amp; &#60;`, "</code>\"'\n\n• Total: 0 \u202e 🙂 Київ"}
	for _, typ := range nicechat.KnownTypes {
		f.Add(fixtures.Body(typ), "", "")
		f.Add(fixtures.Body(typ), hostile[0], hostile[1])
	}
	f.Add(fixtures.Body("invalid_new_order"), "", "")
	f.Add(fixtures.Body("invalid_push_form"), "", "")
	f.Add([]byte(`{"event":"agent_joined","data":{"id":1,"chat_id":2}}`), hostile[1], hostile[0])
	langs := humanize.Languages()
	f.Fuzz(func(t *testing.T, body []byte, a, b string) {
		e, err := nicechat.Parse(fixtures.WithVisitorText(body, a, b))
		if err != nil {
			return
		}
		for _, lang := range langs {
			opts := goldenOpts
			opts.ShowIP, opts.Language = true, lang
			text := Text(e, opts)
			checkHTML(t, text)
			if want := " · <code>" + e.ID + "</code>"; len(text) < len(want) || text[len(text)-len(want):] != want {
				t.Errorf("%s: text does not end with the event id line: …%q", lang, text[max(0, len(text)-80):])
			}
		}
	})
}
