package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudformation"

	fixtures "github.com/nicechat-relay/nicechat-relay/events"
	"github.com/nicechat-relay/nicechat-relay/shared/ingest"
	"github.com/nicechat-relay/nicechat-relay/shared/localaws"
	"github.com/nicechat-relay/nicechat-relay/shared/localqueue"
	"github.com/nicechat-relay/nicechat-relay/shared/localrelay"
	"github.com/nicechat-relay/nicechat-relay/shared/nicechat"
)

const quarantineTestToken = "test-token-0123456789-abcdefgh"

// refuse posts each body to a real ingest whose quarantine is the queue
// at quarantineURL, on queue (moto's SQS or a local relay's store), and
// returns the ids ingest answered, sorted.
func refuse(t *testing.T, queue ingest.Sender, quarantineURL string, bodies ...string) []string {
	t.Helper()
	vars := map[string]string{
		"CALLBACK_TOKEN": quarantineTestToken, "QUARANTINE_QUEUE_URL": quarantineURL, "MAX_BODY_BYTES": "4096",
		"WEBHOOK_EVENTS": "*", "WEBHOOK_QUEUE_URL": quarantineURL + "-webhook",
	}
	cfg, err := ingest.LoadConfig(func(k string) string { return vars[k] })
	if err != nil {
		t.Fatal(err)
	}
	svc := ingest.New(cfg, queue, slog.New(slog.NewJSONHandler(io.Discard, nil)))
	var ids []string
	for _, body := range bodies {
		_, err := svc.Accept(context.Background(), ingest.Callback{Token: quarantineTestToken, Body: body})
		var refusal *ingest.Error
		if !errors.As(err, &refusal) || refusal.Kind == ingest.KindUnavailable {
			t.Fatalf("ingest answered %v, want a refusal it quarantined", err)
		}
		ids = append(ids, refusal.EventID)
	}
	slices.Sort(ids)
	return ids
}

// localQuarantineRelay serves an embedded queue's SQS API under /sqs, as
// make run does, with the vendor's two malformed examples in its
// quarantine, put there by the real ingest, as make demo does.
func localQuarantineRelay(t *testing.T) (base string, store *localqueue.Store, ids []string) {
	t.Helper()
	srv, _, store := localQueueServer(t)
	url, err := store.CreateQueue(localQuarantine, nil)
	if err != nil {
		t.Fatal(err)
	}
	ids = refuse(t, store, url, string(fixtures.Body("invalid_new_order")), string(fixtures.Body("invalid_push_form")))
	return srv.URL, store, ids
}

func TestQuarantineListShowAndPurgeOnALocalRelay(t *testing.T) {
	for _, where := range []struct {
		name  string
		found bool // found from the relay's data directory, else named with --relay
	}{
		{"--relay, the admin URL", false},
		{"found from the relay's data directory", true},
	} {
		t.Run(where.name, func(t *testing.T) {
			base, store, ids := localQuarantineRelay(t)
			noAWSAccount(t) // a local relay needs none
			t.Setenv(ingest.EnvQuarantineQueueURL, "")
			var flags []string
			if where.found {
				dataDir := t.TempDir()
				if err := localrelay.Write(dataDir, localrelay.Info{PID: os.Getpid(), CallbackURL: "http://" + localaws.FreeAddr(t), AdminURL: base}); err != nil {
					t.Fatal(err)
				}
				t.Setenv("RELAY_DATA_DIR", dataDir)
			} else {
				flags = []string{"--relay", base}
			}
			quarantine := func(args ...string) result {
				return relayctl(append(append([]string{"quarantine"}, args...), flags...)...)
			}
			held := func() int {
				st, err := store.Stats(localQuarantine)
				if err != nil {
					t.Fatal(err)
				}
				if st.InFlight != 0 {
					t.Errorf("the quarantine holds %d messages in flight after relayctl returned, want every one visible", st.InFlight)
				}
				return st.Visible + st.InFlight + st.Delayed
			}

			for range 2 { // a listing loses nothing: the second shows the same
				list := quarantine("list").must(t)
				if got := listedIDs(list.stdout); !slices.Equal(got, ids) {
					t.Fatalf("list shows %v, want %v:\n%s", got, ids, list.stdout)
				}
				for _, want := range []string{"EVENT ID", "RECEIVED", "STATUS", "FIELD", "SIZE", "REASON", "400", "not valid JSON", "relayctl quarantine purge --all"} {
					if !strings.Contains(list.stdout, want) {
						t.Errorf("list does not show %q:\n%s", want, list.stdout)
					}
				}
				if n := held(); n != 2 {
					t.Fatalf("the quarantine holds %d callbacks after a listing, want both", n)
				}
			}

			show := quarantine("show", ids[0]).must(t)
			for _, want := range []string{"Quarantined callback " + ids[0], "refused with 400: ", "received_at: ", "Body:\n", "body_bytes: "} {
				if !strings.Contains(show.stdout, want) {
					t.Errorf("show does not print %q:\n%s", want, show.stdout)
				}
			}
			for _, name := range []string{"invalid_new_order", "invalid_push_form"} {
				if body := fixtures.Body(name); nicechat.EventID(body) == ids[0] {
					for _, line := range strings.Split(string(body), "\n") {
						if !strings.Contains(show.stdout, strings.TrimSpace(line)) {
							t.Errorf("show does not print the body's line %q:\n%s", line, show.stdout)
						}
					}
				}
			}

			if r := quarantine("purge"); r.code != exitUsage || !strings.Contains(r.stderr, "--id EVENT_ID (repeatable) or --all") {
				t.Errorf("purge without --all or --id: exit %d, stderr %q; want a usage error naming both", r.code, r.stderr)
			}
			dry := quarantine("purge", "--all", "--dry-run").must(t)
			if !strings.Contains(dry.stdout, "dry run: 2 of 2 quarantined callbacks would be deleted") || held() != 2 {
				t.Errorf("a dry run changed something or did not say so:\n%s", dry.stdout)
			}
			one := quarantine("purge", "--id", ids[0]).must(t)
			if !strings.Contains(one.stdout, "deleted "+ids[0]) || !strings.Contains(one.stdout, "1 of 2 quarantined callbacks deleted; 1 stay") || held() != 1 {
				t.Errorf("purge --id did not delete that one alone:\n%s", one.stdout)
			}
			if r := quarantine("purge", "--id", ids[0]); r.code != exitError || !strings.Contains(r.stderr, "not in the quarantine: "+ids[0]) {
				t.Errorf("purging it again: exit %d, stderr %q; want it said to be gone", r.code, r.stderr)
			}
			rest := quarantine("purge", "--all").must(t)
			if !strings.Contains(rest.stdout, "1 of 1 quarantined callbacks deleted; 0 stay") || held() != 0 {
				t.Errorf("purge --all did not delete the rest:\n%s", rest.stdout)
			}
			if empty := quarantine("list").must(t); empty.stdout != "the quarantine is empty\n" {
				t.Errorf("list of an empty quarantine printed %q", empty.stdout)
			}
			if r := quarantine("show", ids[1]); r.code != exitError || !strings.Contains(r.stderr, ids[1]+" is not in the quarantine") {
				t.Errorf("show of a purged callback: exit %d, stderr %q", r.code, r.stderr)
			}
		})
	}
}

func TestTheQuarantineIsFoundFromAStackTheEnvironmentOrItsURL(t *testing.T) {
	useLocalAWS(t)
	client, url := localaws.SQS(t), localaws.Queue(t, "quarantine")
	ids := refuse(t, client, url, `{"event":"new_chat","data":{"id":"109"}}`)
	name := fmt.Sprintf("relay-%d", time.Now().UnixNano())
	template := map[string]any{
		"Resources": map[string]any{"Placeholder": map[string]any{"Type": "AWS::CloudFormation::WaitConditionHandle"}},
		"Outputs":   map[string]any{ingest.OutputQuarantineQueueURL: map[string]any{"Value": url}},
	}
	body, _ := json.Marshal(template)
	if _, err := cloudformation.NewFromConfig(localaws.Config(t)).CreateStack(context.Background(), &cloudformation.CreateStackInput{StackName: aws.String(name), TemplateBody: aws.String(string(body))}); err != nil {
		t.Fatalf("create stack: %v", err)
	}
	tests := []struct {
		name string
		args []string
		env  string // QUARANTINE_QUEUE_URL
	}{
		{"the stack's output", []string{"--stack", name}, ""},
		{"the variable ingest reads", nil, url},
		{"--queue-url", []string{"--queue-url", url}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Setenv(ingest.EnvQuarantineQueueURL, tt.env)
			out := relayctl(append([]string{"quarantine", "list"}, tt.args...)...).must(t)
			if got := listedIDs(out.stdout); !slices.Equal(got, ids) || !strings.Contains(out.stdout, "data.id") {
				t.Errorf("listed %v, want %v with its field:\n%s", got, ids, out.stdout)
			}
		})
	}
	t.Setenv(ingest.EnvQuarantineQueueURL, "")
	if r := relayctl("quarantine", "list"); r.code != exitError || !strings.Contains(r.stderr, ingest.EnvQuarantineQueueURL) {
		t.Errorf("nothing says where the quarantine is: exit %d, stderr %q; want it to name %s", r.code, r.stderr, ingest.EnvQuarantineQueueURL)
	}
}

// TestQuarantineShowEscapesACallbackAndItsJSONStaysExact refuses, through
// the real ingest, bodies carrying what a terminal acts on: one that is
// UTF-8 and one that is not (both kept as base64, as SQS refuses ESC).
func TestQuarantineShowEscapesACallbackAndItsJSONStaysExact(t *testing.T) {
	useLocalAWS(t)
	client, url := localaws.SQS(t), localaws.Queue(t, "quarantine")
	t.Setenv(ingest.EnvQuarantineQueueURL, url)
	hostileBody := "not json\r\nAttributes:\n  reason: none\n\x1b[2J\u009b2J \u202efdp.exe"
	tests := []struct {
		name string
		body string
	}{
		{"a UTF-8 body", hostileBody},
		{"a body that is not UTF-8", hostileBody + "\xff\xfe"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			id := refuse(t, client, url, tt.body)[0]
			out := relayctl("quarantine", "show", id).must(t).stdout
			if c, bad := unsafeForTerminal(out); bad {
				t.Errorf("show prints %U raw:\n%q", c, out)
			}
			if n := linesStarting(out, "Attributes:"); n != 1 {
				t.Errorf("%d lines start with Attributes:, want relayctl's own alone:\n%s", n, out)
			}
			if !strings.Contains(out, `\x1b[2J\u009b2J \u202efdp.exe`) || !strings.Contains(out, "kept as base64, shown decoded") {
				t.Errorf("show does not show the decoded body, escaped:\n%s", out)
			}

			js := relayctl("quarantine", "show", id, "--json").must(t).stdout
			var doc struct {
				Callbacks []struct {
					EventID      string  `json:"event_id"`
					Body         *string `json:"body"`
					BodyBase64   []byte  `json:"body_base64"`
					BodyEncoding string  `json:"body_encoding"`
					BodyBytes    int     `json:"body_bytes"`
				} `json:"callbacks"`
			}
			if err := json.Unmarshal([]byte(js), &doc); err != nil || len(doc.Callbacks) != 1 {
				t.Fatalf("show --json: %v, %d callbacks:\n%s", err, len(doc.Callbacks), js)
			}
			c := doc.Callbacks[0]
			got := string(c.BodyBase64)
			if c.Body != nil {
				got = *c.Body
			}
			if got != tt.body || c.EventID != id || c.BodyEncoding != "base64" || c.BodyBytes != len(tt.body) {
				t.Errorf("show --json: body %q, event_id %s, body_encoding %q, body_bytes %d; want the bytes received exactly", got, c.EventID, c.BodyEncoding, c.BodyBytes)
			}
			if c, bad := unsafeForTerminal(js); bad {
				t.Errorf("the JSON holds %U raw, where an escape decodes to the same", c)
			}
		})
	}
}

func TestQuarantineCommandLineMistakes(t *testing.T) {
	for _, tt := range []struct {
		args []string
		want string
	}{
		{[]string{"quarantine"}, "quarantine needs a subcommand: list, show or purge"},
		{[]string{"quarantine", "clear", "--relay", "http://127.0.0.1:1"}, `unknown command "quarantine clear"`},
		{[]string{"quarantine", "show", "--relay", "http://127.0.0.1:1"}, "quarantine show takes one event id"},
		{[]string{"quarantine", "list", "evt_x", "--relay", "http://127.0.0.1:1"}, "quarantine list takes no arguments"},
		{[]string{"quarantine", "purge", "--relay", "http://127.0.0.1:1"}, "say which quarantined callbacks to delete"},
		{[]string{"quarantine", "list", "--relay", "127.0.0.1:8090"}, "--relay wants the local relay's admin URL"},
		{[]string{"quarantine", "list", "--channel", "webhook"}, "flag provided but not defined: -channel"},
	} {
		r := relayctl(tt.args...)
		if r.code != exitUsage || !strings.Contains(r.stderr, tt.want) {
			t.Errorf("relayctl %v: exit %d, stderr %q; want exit %d and %q", tt.args, r.code, r.stderr, exitUsage, tt.want)
		}
	}
}
