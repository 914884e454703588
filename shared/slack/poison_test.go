package slack

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/nicechat-relay/nicechat-relay/shared/delivery"
	"github.com/nicechat-relay/nicechat-relay/shared/humane/humanetest"
	"github.com/nicechat-relay/nicechat-relay/shared/nicechat/nicechattest"
	"github.com/nicechat-relay/nicechat-relay/shared/slack/slacktest"
)

func TestAPoisonFormIsPostedThroughTheWebhookWithinItsMemoryBudget(t *testing.T) {
	humanetest.CheckPoisons(t, func(t *testing.T) (delivery.Channel, func() string) {
		s := newSink(t)
		ch, _ := newChannel(t, s.URL+webhookPath)
		return ch, func() string {
			if reqs := s.Received(); len(reqs) != 1 {
				return fmt.Sprintf("%d messages", len(reqs))
			}
			return string(s.Received()[0].Body)
		}
	})
}

func TestAPoisonFormOpensAThreadWithinItsMemoryBudget(t *testing.T) {
	for _, st := range threadStores {
		for _, p := range nicechattest.Poisons() {
			t.Run(st.name+"/"+p.Name, func(t *testing.T) {
				api := slacktest.New(t, botToken, channelID)
				// A busy machine's moto may be slow: the measure is of
				// memory, not time.
				ch := threaded(t, api, st.open(t), func(c *Config) { c.Timeout = time.Minute })
				// Another visitor's event first, so that what is measured
				// is the poison's cost, not the first use of the store's
				// client and the catalogs.
				deliverAsSQSWould(t, ch, visitorMessage("first_message", 1))
				m := visitorMessage("push_form", 725)
				m.Body, m.EventID = p.Body, msg(t, p.Body).EventID
				var err error
				got := nicechattest.Allocated(func() { err = ch.Deliver(context.Background(), m) })
				if err != nil {
					t.Fatalf("Deliver: %v", err)
				}
				t.Logf("%d bytes allocated for a %d-byte body", got, len(p.Body))
				if budget := nicechattest.RenderBudget(len(p.Body)); got > budget {
					t.Errorf("posting %d bytes in a thread allocated %d bytes, over the budget of %d", len(p.Body), got, budget)
				}
				if msgs := api.Roots(); len(msgs) != 2 || !strings.Contains(msgs[1].Text, "Deep") {
					t.Errorf("Slack got %d messages, want the thread's root naming the form", len(msgs))
				}
			})
		}
	}
}
