package main

import (
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"

	fixtures "github.com/nicechat-relay/nicechat-relay/events"
	"github.com/nicechat-relay/nicechat-relay/shared/nicechat"
	"github.com/nicechat-relay/nicechat-relay/shared/slack/slacktest"
)

// The local relay keeps Slack's threads in its own store, across a
// restart: the six events of a visitor, posted out of order and partly at
// once, make one thread, and the visitor's next event after a restart
// replies in it.
func TestRelayTellsEachVisitorsStoryInOneSlackThread(t *testing.T) {
	api := slacktest.New(t, "xoxb-local-test", "C0LOCAL001")
	env := map[string]string{
		"CALLBACK_TOKEN": testToken, "SLACK_BOT_TOKEN": "xoxb-local-test", "SLACK_CHANNEL": "C0LOCAL001",
		"SLACK_API_URL": api.URL, "SLACK_MIN_INTERVAL": "50ms", "SLACK_EVENTS": "*", "RELAY_DATA_DIR": t.TempDir(),
	}
	r := startRelay(t, env)
	for _, c := range r.apiStatus(t).Channels {
		if c.Channel == "slack" && (!c.On || !strings.Contains(c.Target, "C0LOCAL001")) {
			t.Errorf("slack = %+v; want on, in the channel C0LOCAL001", c)
		}
	}

	order := []string{nicechat.TypeUnanswered, nicechat.TypeNewChat, nicechat.TypePushForm, nicechat.TypeNewVisitor, nicechat.TypeNewOrder, nicechat.TypeFirstMessage}
	for _, group := range [][]string{order[:3], order[3:]} {
		var wg sync.WaitGroup
		for _, typ := range group {
			for _, visitor := range []int64{725, 726} {
				wg.Go(func() {
					if status, resp := r.post(t, fixtures.ForVisitor(typ, visitor)); status != http.StatusAccepted {
						t.Errorf("%s: status %d %s", typ, status, resp)
					}
				})
			}
		}
		wg.Wait()
	}
	const story = "visit → new chat → first message → unanswered → order 1,000.00 UAH → form There are no operators available now"
	eventually(t, "both visitors' stories are told", func() bool {
		roots := api.Roots()
		return len(roots) == 2 && len(api.Messages()) == 12 && api.Summary(roots[0]) == story && api.Summary(roots[1]) == story
	})
	for _, root := range api.Roots() {
		if n := len(api.Replies(root.TS)); n != 5 {
			t.Errorf("thread %s has %d replies, want 5", root.TS, n)
		}
	}

	r.stop()
	r = startRelay(t, env)
	again := fixtures.Variant(nicechat.TypeNewOrder, 2) // a second order of visitor 725
	if status, resp := r.post(t, again); status != http.StatusAccepted {
		t.Fatalf("status %d %s", status, resp)
	}
	eventually(t, "the second order is in the visitor's thread", func() bool { return len(api.Messages()) == 13 })
	if roots := api.Roots(); len(roots) != 2 {
		t.Errorf("%d roots after a restart; want the visitor's thread kept", len(roots))
	}
	var sizes []int
	for _, root := range api.Roots() {
		replies := api.Replies(root.TS)
		sizes = append(sizes, len(replies))
		if len(replies) == 6 && !replies[5].ReplyBroadcast {
			t.Error("the second order is not shown in the channel too")
		}
	}
	if !slices.Contains(sizes, 6) || !slices.Contains(sizes, 5) {
		t.Errorf("the threads have %v replies; want the second order as the sixth reply of one", sizes)
	}
}
