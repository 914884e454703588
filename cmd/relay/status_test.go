package main

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"

	fixtures "github.com/nicechat-relay/nicechat-relay/events"
	"github.com/nicechat-relay/nicechat-relay/shared/dlq"
	"github.com/nicechat-relay/nicechat-relay/shared/message"
	"github.com/nicechat-relay/nicechat-relay/shared/nicechat"
)

// rawStatus is GET /api/status as JSON values.
func rawStatus(t *testing.T, base string) map[string]any {
	t.Helper()
	resp, err := http.Get(base + "/api/status")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var doc map[string]any
	if err := json.NewDecoder(resp.Body).Decode(&doc); err != nil {
		t.Fatal(err)
	}
	return doc
}

// nulls lists the paths of every null in v.
func nulls(path string, v any) []string {
	switch v := v.(type) {
	case nil:
		return []string{path}
	case map[string]any:
		var found []string
		for k, child := range v {
			found = append(found, nulls(path+"."+k, child)...)
		}
		return found
	case []any:
		var found []string
		for _, child := range v {
			found = append(found, nulls(path+"[]", child)...)
		}
		return found
	}
	return nil
}

// statusPage is GET / as text.
func statusPage(t *testing.T, base string) string {
	t.Helper()
	resp, err := http.Get(base + "/")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	page, _ := io.ReadAll(resp.Body)
	return string(page)
}

// withDeadLetterAndQuarantine starts a relay whose webhook endpoint
// refuses for good, posts an event (dead-lettered by the webhook) and a
// body that is not JSON (quarantined), and waits for both to show.
func withDeadLetterAndQuarantine(t *testing.T) *testRelay {
	t.Helper()
	hook, hookURL := newRecorder(t)
	hook.answer = http.StatusUnprocessableEntity
	r := startRelay(t, map[string]string{"CALLBACK_TOKEN": testToken, "WEBHOOK_URL": hookURL})
	if status, body := r.post(t, fixtures.Body("first_message")); status != http.StatusAccepted {
		t.Fatalf("status %d %s", status, body)
	}
	if status, body := r.post(t, []byte("<not json/>")); status != http.StatusBadRequest {
		t.Fatalf("status %d %s", status, body)
	}
	eventually(t, "the dead letter and the quarantined callback show", func() bool {
		s := r.apiStatus(t)
		return s.DeadLetters() && len(s.Quarantine.Latest) == 1 && len(s.Channels[0].LatestDeadLetters) == 1
	})
	return r
}

func TestAPIStatusHasNoNullAndEveryListIsAList(t *testing.T) {
	tests := []struct {
		name  string
		relay func(t *testing.T) *testRelay
	}{
		{"a relay just started", func(t *testing.T) *testRelay { return startRelay(t, map[string]string{"CALLBACK_TOKEN": testToken}) }},
		{"a relay with dead letters and quarantined callbacks", withDeadLetterAndQuarantine},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := tt.relay(t)
			doc := rawStatus(t, r.admin)
			if found := nulls("status", doc); len(found) > 0 {
				t.Errorf("/api/status has null at %v", found)
			}
			lists := map[string]any{
				"errors": doc["errors"], "channels": doc["channels"],
				"quarantine.latest": doc["quarantine"].(map[string]any)["latest"],
				"sink.latest":       doc["sink"].(map[string]any)["latest"],
			}
			for _, c := range doc["channels"].([]any) {
				c := c.(map[string]any)
				lists["channels[].latest_dead_letters"] = c["latest_dead_letters"]
				if files, ok := c["files"].(map[string]any); ok {
					lists["channels[].files.latest"] = files["latest"]
				}
			}
			for path, v := range lists {
				if _, ok := v.([]any); !ok {
					t.Errorf("%s is %v, want a list", path, v)
				}
			}
		})
	}
}

// health is the health line: the status's and the page's.
func healthOf(t *testing.T, base string) (level, summary, page string) {
	t.Helper()
	h, _ := rawStatus(t, base)["health"].(map[string]any)
	level, _ = h["level"].(string)
	summary, _ = h["summary"].(string)
	return level, summary, statusPage(t, base)
}

var pageHealth = regexp.MustCompile(`<p class="health (\w+)"[^>]*>([^<]*)</p>`)

func TestStatusPageOpensWithOneColouredHealthLine(t *testing.T) {
	tests := []struct {
		name           string
		setup          func(t *testing.T) *testRelay
		level, summary string
	}{
		{"everything delivering", func(t *testing.T) *testRelay {
			return startRelay(t, map[string]string{"CALLBACK_TOKEN": testToken})
		}, "green", "All delivering"},
		{"a dead letter waiting and a callback in quarantine", withDeadLetterAndQuarantine,
			"amber", "1 dead letter in webhook; 1 callback in quarantine"},
		{"a paused channel", func(t *testing.T) *testRelay {
			r := startRelay(t, map[string]string{"CALLBACK_TOKEN": testToken})
			resp, err := http.Post(r.admin+"/api/channels/email/pause", "", nil)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			return r
		}, "red", "email is paused: paused by the operator"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := tt.setup(t)
			level, summary, page := healthOf(t, r.admin)
			if level != tt.level || summary != tt.summary {
				t.Errorf("health %q %q, want %q %q", level, summary, tt.level, tt.summary)
			}
			m := pageHealth.FindStringSubmatchIndex(page)
			if m == nil {
				t.Fatalf("the page has no health line:\n%s", page)
			}
			if got := page[m[2]:m[3]]; got != tt.level {
				t.Errorf("the page's health line is %s, want %s", got, tt.level)
			}
			if got := page[m[4]:m[5]]; got != tt.summary {
				t.Errorf("the page's health line says %q, want %q", got, tt.summary)
			}
			if first := strings.Index(page, "<h2"); first >= 0 && m[0] > first {
				t.Errorf("the health line comes after the first section")
			}
		})
	}
}

func TestStatusPageShowsTheBuiltInSinkOnlyWhenTheWebhookDeliversThere(t *testing.T) {
	_, hookURL := newRecorder(t)
	tests := []struct {
		name string
		env  map[string]string
		want bool
	}{
		{"WEBHOOK_URL unset: the webhook delivers to the sink", map[string]string{}, true},
		{"WEBHOOK_URL set", map[string]string{"WEBHOOK_URL": hookURL}, false},
		{"WEBHOOK_EVENTS empty: the webhook is off", map[string]string{"WEBHOOK_EVENTS": ""}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.env["CALLBACK_TOKEN"] = testToken
			r := startRelay(t, tt.env)
			if got := strings.Contains(statusPage(t, r.admin), "Built-in webhook sink"); got != tt.want {
				t.Errorf("the page shows the sink: %v, want %v", got, tt.want)
			}
		})
	}
}

func TestStatusPageGivesRelayctlCommandsToCopyAndPaste(t *testing.T) {
	r := withDeadLetterAndQuarantine(t)
	page := statusPage(t, r.admin)
	for _, want := range []string{
		"go run ./cmd/relayctl dlq list --relay " + r.admin + " --channel webhook",
		"go run ./cmd/relayctl dlq redrive --relay " + r.admin + " --channel webhook --all",
		"go run ./cmd/relayctl quarantine list --relay " + r.admin,
		"go run ./cmd/relayctl quarantine purge --relay " + r.admin + " --all",
	} {
		if !strings.Contains(page, want) {
			t.Errorf("the page does not show %q", want)
		}
	}
	for _, placeholder := range []string{"--relay URL", "--channel NAME"} {
		if strings.Contains(page, placeholder) {
			t.Errorf("the page shows the placeholder %q", placeholder)
		}
	}
}

func TestStatusPageShowsDeadLettersAndTheQuarantineInOneTimeFormat(t *testing.T) {
	r := withDeadLetterAndQuarantine(t)
	doc := rawStatus(t, r.admin)
	letter := doc["channels"].([]any)[0].(map[string]any)["latest_dead_letters"].([]any)[0].(map[string]any)
	refused := doc["quarantine"].(map[string]any)["latest"].([]any)[0].(map[string]any)
	page := statusPage(t, r.admin)
	for what, v := range map[string]any{"the dead letter": letter["dead_lettered_at"], "the quarantined callback": refused["received_at"]} {
		at, err := time.Parse(time.RFC3339Nano, v.(string))
		if err != nil {
			t.Fatalf("%s's time %v: %v", what, v, err)
		}
		if want := at.UTC().Format(time.RFC3339); !strings.Contains(page, want) {
			t.Errorf("the page does not show %s's time as %s", what, want)
		}
	}
}

func TestStatusShowsAQuarantinedCallbackByTheIDRelayctlFindsItBy(t *testing.T) {
	body := `{"event":"new_chat","data":{"id":7}}`
	bodyID := nicechat.EventIDString(body)
	claimed := nicechat.EventIDString(`{"event":"another"}`)
	tests := []struct {
		name  string
		attrs map[string]string
		want  string
	}{
		{"a whole body by its body's id, whatever its event_id says", map[string]string{message.AttrEventID: claimed}, bodyID},
		{"a whole body without an event_id by its body's id", map[string]string{}, bodyID},
		{"a cut body by its event_id", map[string]string{message.AttrEventID: claimed, dlq.AttrTruncated: "true"}, claimed},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := startRelay(t, map[string]string{"CALLBACK_TOKEN": testToken})
			ctx := context.Background()
			url, err := r.store.GetQueueUrl(ctx, &sqs.GetQueueUrlInput{QueueName: aws.String("quarantine")})
			if err != nil {
				t.Fatal(err)
			}
			attrs := map[string]sqstypes.MessageAttributeValue{dlq.AttrStatus: {DataType: aws.String("String"), StringValue: aws.String("400")}}
			for k, v := range tt.attrs {
				attrs[k] = sqstypes.MessageAttributeValue{DataType: aws.String("String"), StringValue: aws.String(v)}
			}
			if _, err := r.store.SendMessage(ctx, &sqs.SendMessageInput{QueueUrl: url.QueueUrl, MessageBody: aws.String(body), MessageAttributes: attrs}); err != nil {
				t.Fatal(err)
			}
			latest := r.apiStatus(t).Quarantine.Latest
			if len(latest) != 1 || latest[0].EventID != tt.want {
				t.Fatalf("quarantine.latest = %+v, want one callback shown as %s", latest, tt.want)
			}
			if page := statusPage(t, r.admin); !strings.Contains(page, tt.want) {
				t.Errorf("the status page does not show %s", tt.want)
			}
		})
	}
}
