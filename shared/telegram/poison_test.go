package telegram

import (
	"fmt"
	"testing"

	"github.com/nicechat-relay/nicechat-relay/shared/delivery"
	"github.com/nicechat-relay/nicechat-relay/shared/humane/humanetest"
)

func TestAPoisonFormIsPostedWithinItsMemoryBudget(t *testing.T) {
	humanetest.CheckPoisons(t, func(t *testing.T) (delivery.Channel, func() string) {
		s := newSink(t)
		ch, _ := newChannel(t, s.URL)
		return ch, func() string {
			if reqs := s.Received(); len(reqs) != 1 {
				return fmt.Sprintf("%d messages", len(reqs))
			}
			return sent(t, s.Received()[0])["text"].(string)
		}
	})
}
