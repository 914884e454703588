package slack

import (
	"context"
	"encoding/json"
	"testing"

	"github.com/nicechat-relay/nicechat-relay/shared/golden"
	"github.com/nicechat-relay/nicechat-relay/shared/humanize"
	"github.com/nicechat-relay/nicechat-relay/shared/humanize/humanizetest"
	"github.com/nicechat-relay/nicechat-relay/shared/nicechat"
	"github.com/nicechat-relay/nicechat-relay/shared/slack/slacktest"
)

// TestThreadsMatchGoldenJSON keeps, per language, the thread the six
// fixtures make as Slack shows it: the root with its summary line, each
// reply and whether it is broadcast (the blocks of each message are the
// webhook payload's, whose golden files are in testdata/).
func TestThreadsMatchGoldenJSON(t *testing.T) {
	for _, lang := range humanize.Languages() {
		t.Run(lang, func(t *testing.T) {
			api := slacktest.New(t, botToken, channelID)
			ch := threaded(t, api, threadStores[1].open(t), func(c *Config) {
				c.Humanize.Language, c.Humanize.Location = lang, humanizetest.Location(t, lang)
			})
			for _, typ := range nicechat.KnownTypes {
				if err := ch.Deliver(context.Background(), visitorMessage(typ, 725)); err != nil {
					t.Fatal(err)
				}
			}
			type shown struct {
				TS             string            `json:"ts"`
				ThreadTS       string            `json:"thread_ts,omitempty"`
				ReplyBroadcast bool              `json:"reply_broadcast,omitempty"`
				Text           string            `json:"text"`
				Attachments    []json.RawMessage `json:"attachments,omitempty"`
				Updates        int               `json:"updates,omitempty"`
			}
			var thread []shown
			for _, m := range api.Messages() {
				thread = append(thread, shown{m.TS, m.ThreadTS, m.ReplyBroadcast, m.Text, m.Attachments, m.Updates})
			}
			raw, err := json.MarshalIndent(thread, "", "  ")
			if err != nil {
				t.Fatal(err)
			}
			golden.Check(t, "thread/"+lang+".json", []byte(htmlUnescape.Replace(string(raw))+"\n"))
		})
	}
}
