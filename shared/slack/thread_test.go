package slack

import (
	"context"
	"encoding/json"
	"errors"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	fixtures "github.com/nicechat-relay/nicechat-relay/events"
	"github.com/nicechat-relay/nicechat-relay/shared/awsjson"
	"github.com/nicechat-relay/nicechat-relay/shared/delivery"
	"github.com/nicechat-relay/nicechat-relay/shared/docstore"
	"github.com/nicechat-relay/nicechat-relay/shared/humane"
	"github.com/nicechat-relay/nicechat-relay/shared/idempotency"
	"github.com/nicechat-relay/nicechat-relay/shared/localaws"
	"github.com/nicechat-relay/nicechat-relay/shared/message"
	"github.com/nicechat-relay/nicechat-relay/shared/nicechat"
	"github.com/nicechat-relay/nicechat-relay/shared/slack/slacktest"
)

func TestMain(m *testing.M) { os.Exit(localaws.Main(m)) }

const (
	botToken  = "xoxb-1-2-s3cr3tb0t"
	channelID = "C0RELAY01"
)

// threadStores are where threads live: the idempotency table (moto's
// DynamoDB) and the local relay's file.
var threadStores = []struct {
	name string
	open func(t testing.TB) docstore.Store
}{
	{"table", func(t testing.TB) docstore.Store {
		return docstore.NewTable(awsjson.New(localaws.Config(t), awsjson.DynamoDB, nil), localaws.IdempotencyTable(t))
	}},
	{"local", func(t testing.TB) docstore.Store {
		l, err := idempotency.OpenLocal(filepath.Join(t.TempDir(), "idempotency.db"), time.Now())
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { l.Close() })
		d, err := docstore.NewLocal(l.File())
		if err != nil {
			t.Fatal(err)
		}
		return d
	}},
}

// threaded is one instance of the channel in Web API mode; tests make
// several over one store and one Slack, as Lambda runs several.
func threaded(t *testing.T, api *slacktest.Server, store docstore.Store, tweak ...func(*Config)) *Channel {
	t.Helper()
	cfg := Config{BotToken: botToken, ChannelID: channelID, APIURL: api.URL, Timeout: 5 * time.Second, Interval: time.Millisecond, Humanize: linkOpts}
	for _, f := range tweak {
		f(&cfg)
	}
	ch, err := New(cfg, Deps{Threads: store})
	if err != nil {
		t.Fatal(err)
	}
	ch.pollInterval = 20 * time.Millisecond
	return ch
}

// visitorMessage is the fixture of eventType about visitor.
func visitorMessage(eventType string, visitor int64) message.Message {
	body := fixtures.ForVisitor(eventType, visitor)
	return message.Message{Body: body, Event: eventType, EventID: nicechat.EventID(body), ReceivedAt: time.Now()}
}

// deliverAsSQSWould delivers m until it goes through, as the queue brings
// a message back after a retryable failure; any other failure fails the
// test.
func deliverAsSQSWould(t *testing.T, ch *Channel, m message.Message) {
	t.Helper()
	deadline := time.Now().Add(time.Minute)
	for {
		err := ch.Deliver(context.Background(), m)
		if err == nil {
			return
		}
		if de := delivery.Classify(err); de.Class != delivery.ClassRetry || time.Now().After(deadline) {
			t.Errorf("delivering %s: %v", m.Event, err)
			return
		}
		time.Sleep(50 * time.Millisecond) // SQS's visibility timeout, shortened
	}
}

// eventOf is the event id a Slack message tells, read from its context
// line.
func eventOf(t *testing.T, m slacktest.Message, events map[string]message.Message) message.Message {
	t.Helper()
	var found []message.Message
	for id, e := range events {
		for _, b := range m.Blocks {
			if strings.Contains(string(b), id) {
				found = append(found, e)
				break
			}
		}
	}
	if len(found) != 1 {
		t.Fatalf("message %s tells %d of the events", m.TS, len(found))
	}
	return found[0]
}

// storySummary is the English summary line of the six fixtures.
const storySummary = "visit → new chat → first message → unanswered → order 1,000.00 UAH → form There are no operators available now"

func TestTheSixEventsOfAVisitorMakeOneRootAndFiveRepliesInAnyOrder(t *testing.T) {
	for _, st := range threadStores {
		for seed := uint64(1); seed <= 3; seed++ {
			t.Run(st.name+"/seed"+string(rune('0'+seed)), func(t *testing.T) {
				api := slacktest.New(t, botToken, channelID)
				store := st.open(t)
				instances := []*Channel{threaded(t, api, store), threaded(t, api, store)}

				events := map[string]message.Message{}
				var order []message.Message
				for _, typ := range nicechat.KnownTypes {
					m := visitorMessage(typ, 725)
					events[m.EventID] = m
					order = append(order, m)
				}
				rng := rand.New(rand.NewPCG(seed, 42))
				rng.Shuffle(len(order), func(i, j int) { order[i], order[j] = order[j], order[i] })

				// Partly concurrent: the first two at once (they race to
				// open the thread), one alone, the last three at once.
				for _, group := range [][]message.Message{order[:2], order[2:3], order[3:]} {
					var wg sync.WaitGroup
					for i, m := range group {
						wg.Go(func() { deliverAsSQSWould(t, instances[i%len(instances)], m) })
					}
					wg.Wait()
				}

				roots := api.Roots()
				if len(roots) != 1 {
					t.Fatalf("%d roots; want one thread for the visitor", len(roots))
				}
				replies := api.Replies(roots[0].TS)
				if len(replies) != 5 || len(api.Messages()) != 6 {
					t.Fatalf("%d replies, %d messages in all; want 5 and 6", len(replies), len(api.Messages()))
				}
				if got := api.Summary(roots[0]); got != storySummary {
					t.Errorf("root summary = %q\nwant %q", got, storySummary)
				}
				told := map[string]bool{eventOf(t, roots[0], events).EventID: true}
				for _, r := range replies {
					e := eventOf(t, r, events)
					told[e.EventID] = true
					if want := e.Event == nicechat.TypeUnanswered || e.Event == nicechat.TypeNewOrder; r.ReplyBroadcast != want {
						t.Errorf("the %s reply is broadcast: %v, want %v", e.Event, r.ReplyBroadcast, want)
					}
				}
				if len(told) != 6 {
					t.Errorf("the thread tells %d different events; want each of the 6 once", len(told))
				}
			})
		}
	}
}

func TestTwoVisitorsInterleavedMakeTwoThreads(t *testing.T) {
	for _, st := range threadStores {
		t.Run(st.name, func(t *testing.T) {
			api := slacktest.New(t, botToken, channelID)
			store := st.open(t)
			instances := []*Channel{threaded(t, api, store), threaded(t, api, store)}
			events := map[string]message.Message{}
			var all []message.Message
			for _, typ := range nicechat.KnownTypes {
				for _, visitor := range []int64{725, 9001} {
					m := visitorMessage(typ, visitor)
					events[m.EventID] = m
					all = append(all, m)
				}
			}
			rand.New(rand.NewPCG(7, 7)).Shuffle(len(all), func(i, j int) { all[i], all[j] = all[j], all[i] })
			var wg sync.WaitGroup
			for i, m := range all {
				wg.Go(func() { deliverAsSQSWould(t, instances[i%2], m) })
				if i%3 == 2 {
					wg.Wait() // groups of three at once
				}
			}
			wg.Wait()

			roots := api.Roots()
			if len(roots) != 2 {
				t.Fatalf("%d roots; want one per visitor", len(roots))
			}
			for _, root := range roots {
				visitor, _ := mustParse(t, eventOf(t, root, events).Body).VisitorID()
				replies := api.Replies(root.TS)
				if len(replies) != 5 {
					t.Errorf("visitor %d's thread has %d replies, want 5", visitor, len(replies))
				}
				for _, r := range replies {
					if v, _ := mustParse(t, eventOf(t, r, events).Body).VisitorID(); v != visitor {
						t.Errorf("visitor %d's event is in visitor %d's thread", v, visitor)
					}
				}
				if got := api.Summary(root); got != storySummary {
					t.Errorf("visitor %d's summary = %q", visitor, got)
				}
			}
		})
	}
}

func mustParse(t *testing.T, body []byte) *nicechat.Event {
	t.Helper()
	e, err := nicechat.Parse(body)
	if err != nil {
		t.Fatal(err)
	}
	return e
}

func TestAnEventThatComesBeforeItsPredecessorStillTellsTheStoryInOrder(t *testing.T) {
	api := slacktest.New(t, botToken, channelID)
	ch := threaded(t, api, threadStores[1].open(t))
	for _, typ := range []string{nicechat.TypeNewOrder, nicechat.TypeFirstMessage, nicechat.TypeNewChat} {
		deliverAsSQSWould(t, ch, visitorMessage(typ, 725))
	}
	roots := api.Roots()
	if len(roots) != 1 || len(api.Replies(roots[0].TS)) != 2 {
		t.Fatalf("%d roots; want one thread with two replies", len(roots))
	}
	if got, want := api.Summary(roots[0]), "new chat → first message → order 1,000.00 UAH"; got != want {
		t.Errorf("summary = %q, want %q", got, want)
	}
	if roots[0].Updates != 2 {
		t.Errorf("the root was updated %d times; want once per later event", roots[0].Updates)
	}
}

func TestAnEventRedeliveredAfterItWasPostedIsNotPostedAgain(t *testing.T) {
	api := slacktest.New(t, botToken, channelID)
	ch := threaded(t, api, threadStores[1].open(t))
	chat, first := visitorMessage(nicechat.TypeNewChat, 725), visitorMessage(nicechat.TypeFirstMessage, 725)
	deliverAsSQSWould(t, ch, chat)
	// The summary update fails after the reply is posted: the event comes
	// back, and only the update is made again.
	api.FailNext("chat.update", slacktest.Answer{HTTPStatus: 429, RetryAfter: 1})
	err := ch.Deliver(context.Background(), first)
	if de := delivery.Classify(err); err == nil || de.Class != delivery.ClassRetry || de.RetryAfter < time.Second {
		t.Fatalf("a 429 on the summary update = %v; want a retry after a second", err)
	}
	deliverAsSQSWould(t, ch, first)
	deliverAsSQSWould(t, ch, chat) // and the root's own event, once more
	roots := api.Roots()
	if len(roots) != 1 || len(api.Replies(roots[0].TS)) != 1 || len(api.Messages()) != 2 {
		t.Fatalf("%d messages; want the root and one reply", len(api.Messages()))
	}
	if got := api.Summary(roots[0]); got != "new chat → first message" {
		t.Errorf("summary = %q after the retried update", got)
	}
}

func TestARootDeletedByAPersonStartsANewThreadWithoutFailing(t *testing.T) {
	t.Run("found on the next reply", func(t *testing.T) {
		api := slacktest.New(t, botToken, channelID)
		ch := threaded(t, api, threadStores[0].open(t))
		deliverAsSQSWould(t, ch, visitorMessage(nicechat.TypeNewChat, 725))
		deliverAsSQSWould(t, ch, visitorMessage(nicechat.TypeFirstMessage, 725))
		api.Delete(api.Roots()[0].TS)

		if err := ch.Deliver(context.Background(), visitorMessage(nicechat.TypeUnanswered, 725)); err != nil {
			t.Fatalf("the event after the root was deleted: %v; want it posted in a new thread", err)
		}
		deliverAsSQSWould(t, ch, visitorMessage(nicechat.TypeNewOrder, 725))
		roots := api.Roots()
		if len(roots) != 1 || !strings.Contains(roots[0].Text, "Angry lead") {
			t.Fatalf("roots %+v; want one, the unanswered event", roots)
		}
		if n := len(api.Replies(roots[0].TS)); n != 1 {
			t.Errorf("the new thread has %d replies, want the order", n)
		}
		if got, want := api.Summary(roots[0]), "new chat → first message → unanswered → order 1,000.00 UAH"; got != want {
			t.Errorf("the new root's summary = %q, want the whole story %q", got, want)
		}
	})
	t.Run("found on the summary update", func(t *testing.T) {
		api := slacktest.New(t, botToken, channelID)
		ch := threaded(t, api, threadStores[1].open(t))
		deliverAsSQSWould(t, ch, visitorMessage(nicechat.TypeNewChat, 725))
		api.FailNext("chat.update", slacktest.Answer{Error: "message_not_found"})
		if err := ch.Deliver(context.Background(), visitorMessage(nicechat.TypeFirstMessage, 725)); err != nil {
			t.Fatalf("message_not_found on the summary update: %v; want the event counted as posted", err)
		}
		deliverAsSQSWould(t, ch, visitorMessage(nicechat.TypeUnanswered, 725))
		if roots := api.Roots(); len(roots) != 2 || !strings.Contains(roots[1].Text, "Angry lead") {
			t.Errorf("%d roots; want the old one and a new one for the next event", len(roots))
		}
	})
}

func TestSlackWebAPIAnswersSpeakTheSharedFailureVocabulary(t *testing.T) {
	tests := []struct {
		name       string
		answer     slacktest.Answer
		class      delivery.Class
		setting    string
		code       string
		retryAfter time.Duration
		saying     string
	}{
		{"HTTP 429 with Retry-After", slacktest.Answer{HTTPStatus: 429, RetryAfter: 30}, delivery.ClassRetry, "", "ratelimited", 30 * time.Second, ""},
		{"ratelimited in the body", slacktest.Answer{Error: "ratelimited", RetryAfter: 45}, delivery.ClassRetry, "", "ratelimited", 45 * time.Second, ""},
		{"an outage", slacktest.Answer{HTTPStatus: 503}, delivery.ClassRetry, "", "", 0, "503"},
		{"internal_error", slacktest.Answer{Error: "internal_error"}, delivery.ClassRetry, "", "internal_error", 0, ""},
		{"invalid_auth", slacktest.Answer{Error: "invalid_auth"}, delivery.ClassMisconfigured, EnvBotToken, "invalid_auth", 0, "Bot User OAuth Token"},
		{"token_revoked", slacktest.Answer{Error: "token_revoked"}, delivery.ClassMisconfigured, EnvBotToken, "token_revoked", 0, ""},
		{"account_inactive", slacktest.Answer{Error: "account_inactive"}, delivery.ClassMisconfigured, EnvBotToken, "account_inactive", 0, ""},
		{"missing_scope", slacktest.Answer{Error: "missing_scope", Needed: "chat:write"}, delivery.ClassMisconfigured, EnvBotToken, "missing_scope", 0, "lacks the chat:write scope"},
		{"channel_not_found", slacktest.Answer{Error: "channel_not_found"}, delivery.ClassMisconfigured, EnvChannel, "channel_not_found", 0, "/invite"},
		{"not_in_channel", slacktest.Answer{Error: "not_in_channel"}, delivery.ClassMisconfigured, EnvChannel, "not_in_channel", 0, "/invite"},
		{"msg_too_long", slacktest.Answer{Error: "msg_too_long"}, delivery.ClassPermanent, "", "msg_too_long", 0, ""},
	}
	for _, tc := range tests {
		for _, stage := range []string{"root", "reply"} {
			t.Run(tc.name+"/"+stage, func(t *testing.T) {
				api := slacktest.New(t, botToken, channelID)
				ch := threaded(t, api, threadStores[1].open(t))
				if stage == "reply" {
					deliverAsSQSWould(t, ch, visitorMessage(nicechat.TypeNewChat, 725))
				}
				m := visitorMessage(nicechat.TypeUnanswered, 725)
				api.FailNext("chat.postMessage", tc.answer)
				de := asDeliveryError(t, ch.Deliver(context.Background(), m))
				if de.Class != tc.class || de.Setting != tc.setting || de.Code != tc.code || de.RetryAfter != tc.retryAfter || !strings.Contains(de.Reason, tc.saying) {
					t.Errorf("got %s setting %q code %q retry after %s: %q\nwant %s setting %q code %q retry after %s saying %q",
						de.Class, de.Setting, de.Code, de.RetryAfter, de.Reason, tc.class, tc.setting, tc.code, tc.retryAfter, tc.saying)
				}
				if strings.Contains(de.Error(), "s3cr3t") {
					t.Errorf("the reason carries the token: %q", de.Error())
				}
				if tc.retryAfter > 0 {
					// The pacer holds every post back meanwhile, across
					// the instance's deliveries.
					calls := api.Calls("chat.postMessage")
					if err := ch.Deliver(context.Background(), m); delivery.Classify(err).Class != delivery.ClassRetry || api.Calls("chat.postMessage") != calls {
						t.Errorf("a delivery right after the 429 = %v with %d posts; want a retry and no post", err, api.Calls("chat.postMessage")-calls)
					}
					ch.pacer = humane.NewPacer(time.Millisecond) // the wait has passed
				}
				// Fixed (or passed), the event goes through, once.
				deliverAsSQSWould(t, ch, m)
				if n := len(api.Messages()); n != map[string]int{"root": 1, "reply": 2}[stage] {
					t.Errorf("%d messages after the retry; want each event once", n)
				}
			})
		}
	}
}

func TestSlackRefusingTheTokenOrTheChannelNamesTheSetting(t *testing.T) {
	for _, tc := range []struct {
		name    string
		tweak   func(*Config)
		setting string
	}{
		{"another token", func(c *Config) { c.BotToken = "xoxb-9-9-0ther" }, EnvBotToken},
		{"another channel", func(c *Config) { c.ChannelID = "C0THER0001" }, EnvChannel},
	} {
		t.Run(tc.name, func(t *testing.T) {
			api := slacktest.New(t, botToken, channelID)
			ch := threaded(t, api, threadStores[1].open(t), tc.tweak)
			de := asDeliveryError(t, ch.Deliver(context.Background(), visitorMessage(nicechat.TypeNewChat, 725)))
			if de.Class != delivery.ClassMisconfigured || de.Setting != tc.setting {
				t.Errorf("got %v; want misconfigured, naming %s", de, tc.setting)
			}
		})
	}
}

func TestAnEventWithoutAVisitorIsAMessageOfItsOwn(t *testing.T) {
	api := slacktest.New(t, botToken, channelID)
	ch := threaded(t, api, threadStores[1].open(t))
	body := []byte(`{"event":"shop_closed","data":{"id":5}}`)
	for range 2 {
		if err := ch.Deliver(context.Background(), message.Message{Body: body, Event: "shop_closed", EventID: nicechat.EventID(body)}); err != nil {
			t.Fatal(err)
		}
	}
	roots := api.Roots()
	if len(roots) != 2 || len(roots[0].Attachments) != 0 || len(api.Replies(roots[0].TS)) != 0 {
		t.Errorf("roots %+v; want two messages of their own, without a summary line", roots)
	}
}

func TestTheThreadRecordHoldsNoVisitorData(t *testing.T) {
	api := slacktest.New(t, botToken, channelID)
	store := threadStores[1].open(t)
	ch := threaded(t, api, store)
	for _, typ := range nicechat.KnownTypes {
		deliverAsSQSWould(t, ch, visitorMessage(typ, 725))
	}
	doc, err := store.LoadDoc(context.Background(), threadKey(channelID, 725), time.Now())
	if err != nil || doc.Data == nil {
		t.Fatalf("no thread record: %v", err)
	}
	for _, personal := range []string{"Guest", "193.151.12.99", "Kryvyy Rih", "test@example", "My name is Test"} {
		if strings.Contains(string(doc.Data), personal) {
			t.Errorf("the thread record keeps %q: %s", personal, doc.Data)
		}
	}
	var th thread
	if err := json.Unmarshal(doc.Data, &th); err != nil || len(th.Steps) != 6 || th.TS == "" {
		t.Errorf("thread record = %s", doc.Data)
	}
}

func TestWebAPIConfig(t *testing.T) {
	base := map[string]string{EnvBotToken: botToken, EnvChannel: channelID}
	with := func(kv ...string) map[string]string {
		out := map[string]string{}
		for k, v := range base {
			out[k] = v
		}
		for i := 0; i < len(kv); i += 2 {
			out[kv[i]] = kv[i+1]
		}
		return out
	}
	tests := []struct {
		name    string
		env     map[string]string
		wantErr string
		check   func(*testing.T, Config)
	}{
		{"reads the defaults", base, "", func(t *testing.T, c Config) {
			if !c.Threaded() || c.ThreadTTL != 30*24*time.Hour || !slices.Equal(c.Broadcast, []string{"unanswered", "new_order"}) {
				t.Errorf("config = %+v", c)
			}
		}},
		{"reads a thread TTL in days", with(EnvThreadTTL, "7d"), "", func(t *testing.T, c Config) {
			if c.ThreadTTL != 7*24*time.Hour {
				t.Errorf("TTL = %s", c.ThreadTTL)
			}
		}},
		{"broadcasts nothing with none", with(EnvBroadcastEvents, "none"), "", func(t *testing.T, c Config) {
			if len(c.Broadcast) != 0 {
				t.Errorf("broadcast = %v", c.Broadcast)
			}
		}},
		{"broadcasts every event with *", with(EnvBroadcastEvents, "*"), "", func(t *testing.T, c Config) {
			if len(c.Broadcast) != len(nicechat.KnownTypes) {
				t.Errorf("broadcast = %v", c.Broadcast)
			}
		}},
		{"refuses both modes at once", with(EnvWebhookURL, "https://hooks.slack.com/services/T/B/s3cr3t"), "not both", nil},
		{"requires the channel", with(EnvChannel, ""), "SLACK_CHANNEL is required", nil},
		{"refuses a channel name", with(EnvChannel, "#sales"), "channel id such as C0123456789", nil},
		{"refuses a user token, without quoting it", with(EnvBotToken, "xoxp-s3cr3t"), "SLACK_BOT_TOKEN must be a bot token", nil},
		{"refuses an unknown broadcast event", with(EnvBroadcastEvents, "unanswered,lunch"), `SLACK_BROADCAST_EVENTS: unknown event type "lunch"`, nil},
		{"refuses a TTL of a minute", with(EnvThreadTTL, "1m"), "SLACK_THREAD_TTL must be from 1h0m0s to 365 days", nil},
		{"refuses an API URL that is not one", with(EnvAPIURL, "slack.com/api"), "SLACK_API_URL", nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c, err := ConfigFromEnv(func(k string) string { return tc.env[k] })
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) || strings.Contains(err.Error(), "s3cr3t") {
					t.Fatalf("err = %v, want one saying %q without a secret", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			tc.check(t, c)
		})
	}
	if _, err := New(Config{BotToken: botToken, ChannelID: channelID}, Deps{}); err == nil || !strings.Contains(err.Error(), idempotency.EnvTable) {
		t.Errorf("New without a thread store = %v; want an error naming %s", err, idempotency.EnvTable)
	}
}

func TestALongStoryNamesItsLastStepsAndCountsTheEarlierOnes(t *testing.T) {
	var th thread
	for i := range maxSteps + 5 {
		th.add(step{Event: "e" + string(rune('A'+i%26)) + string(rune('a'+i/26)), Type: nicechat.TypeNewOrder, At: int64(i), Label: "order " + string(rune('A'+i%26))})
	}
	if len(th.Steps) != maxSteps {
		t.Fatalf("the record keeps %d steps; want at most %d", len(th.Steps), maxSteps)
	}
	th.add(th.Steps[3]) // an event seen before is not a step again
	if len(th.Steps) != maxSteps {
		t.Errorf("a repeated event added a step")
	}
	cat := linkOpts.Catalog()
	sum := summary(&th, cat)
	text := sum.Fallback
	if !strings.HasPrefix(api(sum), "_93 earlier steps_ → order") || strings.Count(text, "→") != shownSteps-1 {
		t.Errorf("summary = %q / %q; want the 93 earlier steps (5 of them dropped from the record) counted and the last %d named", api(sum), text, shownSteps)
	}
}

// api is the summary line's text as Slack shows it.
func api(sum summaryAttachment) string {
	raw, _ := json.Marshal(sum.Blocks[0])
	var b struct{ Text struct{ Text string } }
	_ = json.Unmarshal(raw, &b)
	return b.Text.Text
}

func TestADeliveryWaitsForAnotherOpeningTheThreadThenForItsClaimToRunOut(t *testing.T) {
	store := threadStores[1].open(t)
	claimed := func(t *testing.T, until time.Time) {
		t.Helper()
		data, _ := json.Marshal(thread{Opener: "another@1", OpenBy: until.UnixMilli(), Steps: []step{{Event: "another", Type: nicechat.TypeNewChat, Label: "new chat"}}})
		key := threadKey(channelID, 725)
		doc, err := store.LoadDoc(context.Background(), key, time.Now())
		if err != nil {
			t.Fatal(err)
		}
		doc.Data = data
		if err := store.SaveDoc(context.Background(), key, doc, time.Now().Add(time.Hour)); err != nil {
			t.Fatal(err)
		}
	}

	t.Run("a claim that outlasts the wait: retried after it", func(t *testing.T) {
		api := slacktest.New(t, botToken, channelID)
		ch := threaded(t, api, store, func(c *Config) { c.Timeout = 300 * time.Millisecond })
		claimed(t, time.Now().Add(time.Minute))
		de := asDeliveryError(t, ch.Deliver(context.Background(), visitorMessage(nicechat.TypeFirstMessage, 725)))
		if de.Class != delivery.ClassRetry || de.RetryAfter < 50*time.Second || !strings.Contains(de.Reason, "opening this visitor's Slack thread") {
			t.Errorf("got %v (retry after %s); want a retry once the claim has run out", de, de.RetryAfter)
		}
		if n := api.Calls("chat.postMessage"); n != 0 {
			t.Errorf("%d posts while another delivery held the thread", n)
		}
	})
	t.Run("a claim that runs out meanwhile (its delivery crashed): opened", func(t *testing.T) {
		api := slacktest.New(t, botToken, channelID)
		ch := threaded(t, api, store, func(c *Config) { c.Timeout = 10 * time.Second })
		claimed(t, time.Now().Add(time.Second))
		if err := ch.Deliver(context.Background(), visitorMessage(nicechat.TypeFirstMessage, 725)); err != nil {
			t.Fatal(err)
		}
		roots := api.Roots()
		if len(roots) != 1 || api.Summary(roots[0]) != "new chat → first message" {
			t.Errorf("roots %+v; want one, telling the crashed delivery's step too", roots)
		}
	})
}

// scriptedDocs is a thread store whose n-th SaveDoc first runs a script:
// an error fails that save (the store is down), and the script may
// change the record itself (another delivery got there first).
type scriptedDocs struct {
	docstore.Store
	mu    sync.Mutex
	saves int
	on    map[int]func() error
}

func (s *scriptedDocs) SaveDoc(ctx context.Context, key string, d docstore.Doc, expires time.Time) error {
	s.mu.Lock()
	s.saves++
	script := s.on[s.saves]
	s.mu.Unlock()
	if script != nil {
		if err := script(); err != nil {
			return err
		}
	}
	return s.Store.SaveDoc(ctx, key, d, expires)
}

func TestAPostedMessageIsNeverPostedAgainWhateverHappensToTheRecord(t *testing.T) {
	down := func() error { return errors.New("the store is down") }
	t.Run("the root's ts cannot be recorded", func(t *testing.T) {
		api := slacktest.New(t, botToken, channelID)
		store := &scriptedDocs{Store: threadStores[1].open(t), on: map[int]func() error{2: down}}
		ch := threaded(t, api, store)
		if err := ch.Deliver(context.Background(), visitorMessage(nicechat.TypeNewChat, 725)); err != nil {
			t.Errorf("Deliver = %v; want the posted root counted as delivered (a retry would post it again)", err)
		}
		if n := len(api.Messages()); n != 1 {
			t.Errorf("%d messages, want the root", n)
		}
	})
	t.Run("the reply cannot be recorded and the summary update is rate limited", func(t *testing.T) {
		api := slacktest.New(t, botToken, channelID)
		store := &scriptedDocs{Store: threadStores[1].open(t), on: map[int]func() error{4: down}}
		ch := threaded(t, api, store)
		deliverAsSQSWould(t, ch, visitorMessage(nicechat.TypeNewChat, 725))
		api.FailNext("chat.update", slacktest.Answer{HTTPStatus: 429, RetryAfter: 30})
		if err := ch.Deliver(context.Background(), visitorMessage(nicechat.TypeFirstMessage, 725)); err != nil {
			t.Errorf("Deliver = %v; want the unrecorded reply counted as delivered", err)
		}
		if n := len(api.Messages()); n != 2 {
			t.Errorf("%d messages, want the root and the reply", n)
		}
	})
	t.Run("another delivery opened the thread while this one posted its root", func(t *testing.T) {
		api := slacktest.New(t, botToken, channelID)
		inner := threadStores[1].open(t)
		key := threadKey(channelID, 725)
		other := func() error {
			doc, err := inner.LoadDoc(context.Background(), key, time.Now())
			if err != nil {
				return err
			}
			doc.Data, _ = json.Marshal(thread{TS: "1764400000.000009", Steps: []step{{Event: "other", Type: nicechat.TypeNewChat, Label: "new chat", Posted: "1764400000.000009"}}})
			return inner.SaveDoc(context.Background(), key, doc, time.Now().Add(time.Hour))
		}
		ch := threaded(t, api, &scriptedDocs{Store: inner, on: map[int]func() error{2: other}})
		if err := ch.Deliver(context.Background(), visitorMessage(nicechat.TypeFirstMessage, 725)); err != nil {
			t.Fatal(err)
		}
		doc, _ := inner.LoadDoc(context.Background(), key, time.Now())
		var th thread
		_ = json.Unmarshal(doc.Data, &th)
		if th.TS != "1764400000.000009" {
			t.Errorf("the thread is now %q; want the other delivery's kept", th.TS)
		}
	})
}

func TestAnEventSlackRefusesForGoodIsLeftOutOfTheSummary(t *testing.T) {
	api := slacktest.New(t, botToken, channelID)
	ch := threaded(t, api, threadStores[1].open(t))
	deliverAsSQSWould(t, ch, visitorMessage(nicechat.TypeNewChat, 725))
	api.FailNext("chat.postMessage", slacktest.Answer{Error: "msg_too_long"})
	if de := asDeliveryError(t, ch.Deliver(context.Background(), visitorMessage(nicechat.TypeFirstMessage, 725))); de.Class != delivery.ClassPermanent {
		t.Fatalf("msg_too_long = %v; want permanent", de)
	}
	deliverAsSQSWould(t, ch, visitorMessage(nicechat.TypeUnanswered, 725))
	if got := api.Summary(api.Roots()[0]); got != "new chat → unanswered" {
		t.Errorf("summary = %q; want the dead-lettered first message left out", got)
	}
}
