package telegram

import (
	"context"
	"strings"
	"testing"

	"github.com/nicechat-relay/nicechat-relay/shared/nicechat/nicechattest"
)

func TestAPoisonFormIsPostedWithinItsMemoryBudget(t *testing.T) {
	for _, p := range nicechattest.Poisons() {
		t.Run(p.Name, func(t *testing.T) {
			s := newSink(t)
			ch, _ := newChannel(t, s.URL)
			m := msg(t, p.Body)
			var err error
			got := nicechattest.Allocated(func() { err = ch.Deliver(context.Background(), m) })
			if err != nil {
				t.Fatalf("Deliver: %v", err)
			}
			t.Logf("%d bytes allocated for a %d-byte body", got, len(p.Body))
			if budget := nicechattest.RenderBudget(len(p.Body)); got > budget {
				t.Errorf("posting %d bytes allocated %d bytes, over the budget of %d", len(p.Body), got, budget)
			}
			reqs := s.Received()
			if len(reqs) != 1 || !strings.Contains(sent(t, reqs[0])["text"].(string), "Deep") {
				t.Errorf("Telegram got %d messages, want one naming the form", len(reqs))
			}
		})
	}
}
