package infra_test

import (
	"bytes"
	"net/http"
	"testing"
	"time"

	fixtures "github.com/nicechat-relay/nicechat-relay/events"
	"github.com/nicechat-relay/nicechat-relay/shared/slack/slacktest"
)

// make run, as the README's quick start runs it, with a Slack bot token:
// a visitor's six events, posted out of order, make one thread.
func TestMakeRunTellsAVisitorsStoryInOneSlackThread(t *testing.T) {
	api := slacktest.New(t, "xoxb-make-run", "C0MAKERUN1")
	const token = "make-run-threads-token-0123456789"
	run := startMakeRun(t, "CALLBACK_TOKEN="+token,
		"SLACK_BOT_TOKEN=xoxb-make-run", "SLACK_CHANNEL=C0MAKERUN1", "SLACK_API_URL="+api.URL,
		"SLACK_MIN_INTERVAL=50ms", "SLACK_EVENTS=*", "SLACK_WEBHOOK_URL=")
	for _, typ := range []string{"push_form", "first_message", "new_visitor", "new_order", "unanswered", "new_chat"} {
		resp, err := http.Post(run.callback+"/callback/"+token, "application/json", bytes.NewReader(fixtures.Body(typ)))
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusAccepted {
			t.Fatalf("%s: status %d", typ, resp.StatusCode)
		}
	}
	const story = "visit → new chat → first message → unanswered → order 1,000.00 UAH → form There are no operators available now"
	for deadline := time.Now().Add(time.Minute); ; time.Sleep(50 * time.Millisecond) {
		roots := api.Roots()
		if len(roots) == 1 && len(api.Replies(roots[0].TS)) == 5 && api.Summary(roots[0]) == story && len(api.Messages()) == 6 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d roots, %d messages; want one thread telling %q\n%s", len(roots), len(api.Messages()), story, run.out)
		}
	}
}
