package slack

import (
	"context"
	"testing"
	"time"

	"github.com/nicechat-relay/nicechat-relay/shared/message"
	"github.com/nicechat-relay/nicechat-relay/shared/nicechat"
	"github.com/nicechat-relay/nicechat-relay/shared/slack/slacktest"
)

// BenchmarkThreadedDelivery is what a visitor's thread costs an event
// beyond the post itself: the record's reads and writes (on moto's
// DynamoDB and on the local file) and the summary's update, against a
// Slack on this machine with no pacing. Each iteration delivers one event
// of a new visitor (a root) and one of a known visitor (a reply).
func BenchmarkThreadedDelivery(b *testing.B) {
	for _, st := range threadStores {
		b.Run(st.name, func(b *testing.B) {
			api := slacktest.New(b, botToken, channelID)
			ch, err := New(Config{BotToken: botToken, ChannelID: channelID, APIURL: api.URL, Timeout: 5 * time.Second, Interval: time.Nanosecond}, Deps{Threads: st.open(b)})
			if err != nil {
				b.Fatal(err)
			}
			ctx := context.Background()
			chat, first := make([]message.Message, b.N), make([]message.Message, b.N)
			for i := range b.N {
				chat[i], first[i] = visitorMessage(nicechat.TypeNewChat, int64(100000+i)), visitorMessage(nicechat.TypeFirstMessage, int64(100000+i))
			}
			b.ResetTimer()
			for i := range b.N {
				if err := ch.Deliver(ctx, chat[i]); err != nil {
					b.Fatal(err)
				}
				if err := ch.Deliver(ctx, first[i]); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(b.Elapsed().Microseconds())/float64(2*b.N)/1000, "ms/event")
		})
	}
}
