package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudformation"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"

	fixtures "github.com/nicechat-relay/nicechat-relay/events"
	"github.com/nicechat-relay/nicechat-relay/shared/channels"
	"github.com/nicechat-relay/nicechat-relay/shared/consumer"
	"github.com/nicechat-relay/nicechat-relay/shared/consumer/consumertest"
	"github.com/nicechat-relay/nicechat-relay/shared/dlq"
	"github.com/nicechat-relay/nicechat-relay/shared/localaws"
	"github.com/nicechat-relay/nicechat-relay/shared/localrelay"
	"github.com/nicechat-relay/nicechat-relay/shared/message"
	"github.com/nicechat-relay/nicechat-relay/shared/nicechat"
	"github.com/nicechat-relay/nicechat-relay/shared/webhook"
)

func TestMain(m *testing.M) {
	// No test may find, or depend on, a relay a developer runs beside the
	// tests (make run in another terminal): relayctl looks for one in an
	// empty data directory, and not at RELAY_URL.
	dir, err := os.MkdirTemp("", "relayctl-test-data")
	if err != nil {
		panic(err)
	}
	os.Setenv("RELAY_DATA_DIR", dir)
	os.Unsetenv("RELAY_URL")
	code := localaws.Main(m)
	os.RemoveAll(dir)
	os.Exit(code)
}

// relay is a webhook consumer on local queues whose endpoint rejects
// everything (400) until fixed.
type relay struct {
	sqs      *sqs.Client
	queue    string
	dlq      string
	handle   consumertest.Handler
	fixed    atomic.Bool
	mu       sync.Mutex
	received [][]byte
}

func newRelay(t *testing.T) *relay {
	t.Helper()
	useLocalAWS(t)
	r := &relay{sqs: localaws.SQS(t), queue: localaws.Queue(t, "src"), dlq: localaws.Queue(t, "dlq")}
	sink := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		body, _ := io.ReadAll(req.Body)
		if !r.fixed.Load() {
			http.Error(w, "unknown event schema", http.StatusBadRequest)
			return
		}
		r.mu.Lock()
		r.received = append(r.received, body)
		r.mu.Unlock()
	}))
	t.Cleanup(sink.Close)
	ch, err := webhook.New(webhook.Config{URL: sink.URL, Timeout: 5 * time.Second}, webhook.Deps{})
	if err != nil {
		t.Fatal(err)
	}
	rt := consumer.New(consumer.Config{QueueURL: r.queue, DLQURL: r.dlq, Metrics: io.Discard}, ch, r.sqs, slog.New(slog.DiscardHandler))
	r.handle = rt.Handle
	t.Setenv("WEBHOOK_QUEUE_URL", r.queue)
	t.Setenv("WEBHOOK_DLQ_URL", r.dlq)
	return r
}

// deadLetter runs fixture events through the consumer while the endpoint
// rejects them, so they land in the DLQ the real way. It returns their ids.
func (r *relay) deadLetter(t *testing.T, types ...string) []string {
	t.Helper()
	var ids []string
	for _, typ := range types {
		body := string(fixtures.Body(typ))
		id := nicechat.EventID([]byte(body))
		consumertest.Send(t, r.sqs, r.queue, body, map[string]string{
			message.AttrEvent: typ, message.AttrEventID: id, message.AttrReceivedAt: "2026-01-02T03:04:05Z",
		})
		ids = append(ids, id)
	}
	_, resp := consumertest.Drive(context.Background(), t, r.sqs, r.queue, r.handle)
	if len(resp.BatchItemFailures) != 0 {
		t.Fatalf("dead-lettering reported failures: %v", resp.BatchItemFailures)
	}
	return ids
}

// useLocalAWS points the SDK's standard configuration at the local server
// and clears what could point it elsewhere.
func useLocalAWS(t *testing.T) {
	t.Helper()
	// Start the server first: it is a child process and must not inherit
	// the settings below.
	localaws.Endpoint(t)
	for _, name := range []string{"AWS_PROFILE", "AWS_SESSION_TOKEN", "AWS_CONFIG_FILE", "AWS_SHARED_CREDENTIALS_FILE"} {
		t.Setenv(name, "")
	}
	t.Setenv("AWS_CONFIG_FILE", "/nonexistent/aws-config")
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", "/nonexistent/aws-credentials")
	for _, spec := range channels.All {
		t.Setenv(spec.QueueEnv(), "")
		t.Setenv(spec.DLQEnv(), "")
	}
	for _, kv := range localaws.Env(t) {
		k, v, _ := strings.Cut(kv, "=")
		t.Setenv(k, v)
	}
}

type result struct {
	code           int
	stdout, stderr string
}

func relayctl(args ...string) result {
	var out, errOut bytes.Buffer
	code := run(args, &out, &errOut)
	return result{code, out.String(), errOut.String()}
}

func (r result) must(t *testing.T) result {
	t.Helper()
	if r.code != 0 {
		t.Fatalf("exit %d\nstdout: %s\nstderr: %s", r.code, r.stdout, r.stderr)
	}
	return r
}

// listedIDs are the event ids in the first column of a list table.
func listedIDs(out string) []string {
	var ids []string
	for _, line := range strings.Split(out, "\n") {
		if f := strings.Fields(line); len(f) > 0 && strings.HasPrefix(f[0], "evt_") {
			ids = append(ids, f[0])
		}
	}
	slices.Sort(ids)
	return ids
}

func sorted(s []string) []string { s = slices.Clone(s); slices.Sort(s); return s }

func TestListShowsTheDeadLettersWithoutConsumingThem(t *testing.T) {
	r := newRelay(t)
	ids := r.deadLetter(t, "new_chat", "first_message", "push_form")

	first := relayctl("dlq", "list", "--channel", "webhook").must(t)
	if got := listedIDs(first.stdout); !slices.Equal(got, sorted(ids)) {
		t.Fatalf("listed %v, want %v\n%s", got, sorted(ids), first.stdout)
	}
	for _, want := range []string{"EVENT ID", "CLASS", "LAST ERROR", "permanent", "400", "HTTP 400: unknown event schema", "new_chat", "push_form"} {
		if !strings.Contains(first.stdout, want) {
			t.Errorf("list output lacks %q:\n%s", want, first.stdout)
		}
	}
	// A second list sees the same letters: the first one made them
	// visible again instead of consuming or hiding them.
	second := relayctl("dlq", "list", "--channel", "webhook").must(t)
	if got := listedIDs(second.stdout); !slices.Equal(got, sorted(ids)) {
		t.Errorf("second list shows %v, want %v", got, sorted(ids))
	}
}

func TestShowPrintsTheBodyAndEveryAttribute(t *testing.T) {
	r := newRelay(t)
	ids := r.deadLetter(t, "new_order", "new_visitor")

	tests := []struct {
		name string
		args []string
	}{
		{"with --channel", []string{"dlq", "show", "--channel", "webhook", ids[0]}},
		{"searching every configured channel", []string{"dlq", "show", ids[0]}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out := relayctl(tt.args...).must(t).stdout
			var pretty bytes.Buffer
			_ = json.Indent(&pretty, fixtures.Body("new_order"), "", "  ")
			for _, want := range []string{
				"Dead letter " + ids[0] + " in the webhook DLQ",
				"event_id: " + ids[0], "event: new_order", "received_at: 2026-01-02T03:04:05Z",
				"channel: webhook", "failure_class: permanent", "last_status: 400", "last_error: HTTP 400: unknown event schema",
				"attempts: 1", "first_received_at: ", "dead_lettered_at: ", "SentTimestamp: ",
				pretty.String(),
			} {
				if !strings.Contains(out, want) {
					t.Errorf("show output lacks %q:\n%s", want, out)
				}
			}
			if strings.Contains(out, ids[1]) {
				t.Errorf("show printed another event too:\n%s", out)
			}
		})
	}

	missing := relayctl("dlq", "show", "evt_notthere")
	if missing.code != exitError || !strings.Contains(missing.stderr, "evt_notthere is not in the webhook DLQ") {
		t.Errorf("show of an unknown id: exit %d, stderr %q", missing.code, missing.stderr)
	}
}

func TestRedriveOneIDDeliversItAndLeavesTheOthers(t *testing.T) {
	r := newRelay(t)
	ids := r.deadLetter(t, "new_chat", "first_message", "unanswered")
	r.fixed.Store(true)

	dry := relayctl("dlq", "redrive", "--channel", "webhook", "--all", "--dry-run").must(t)
	if strings.Count(dry.stdout, "would redrive evt_") != 3 || !strings.Contains(dry.stdout, "nothing was changed") {
		t.Errorf("dry run output:\n%s", dry.stdout)
	}
	if ev := consumertest.Receive(t, r.sqs, r.queue, 10); len(ev.Records) != 0 {
		t.Fatalf("dry run sent %d messages to the source queue", len(ev.Records))
	}
	if got := listedIDs(relayctl("dlq", "list", "--channel", "webhook").must(t).stdout); !slices.Equal(got, sorted(ids)) {
		t.Fatalf("after the dry run the DLQ lists %v, want %v", got, sorted(ids))
	}

	out := relayctl("dlq", "redrive", "--channel", "webhook", "--id", ids[1]).must(t)
	if !strings.Contains(out.stdout, "redriven "+ids[1]+" (first_message)") || !strings.Contains(out.stdout, "1 of 3 dead letters sent back to the webhook queue; 2 stay in the DLQ") {
		t.Errorf("redrive output:\n%s", out.stdout)
	}

	ev, resp := consumertest.Drive(context.Background(), t, r.sqs, r.queue, r.handle)
	if len(ev.Records) != 1 || len(resp.BatchItemFailures) != 0 {
		t.Fatalf("after redrive: %d records, failures %v; want one delivered", len(ev.Records), resp.BatchItemFailures)
	}
	rec := ev.Records[0]
	if rec.Attributes["ApproximateReceiveCount"] != "1" {
		t.Errorf("attempt history not reset: ApproximateReceiveCount %s", rec.Attributes["ApproximateReceiveCount"])
	}
	names := slices.Sorted(func(yield func(string) bool) {
		for k := range rec.MessageAttributes {
			if !yield(k) {
				return
			}
		}
	})
	if want := []string{"event", "event_id", "received_at"}; !slices.Equal(names, want) {
		t.Errorf("redriven attributes = %v, want the originals %v", names, want)
	}
	r.mu.Lock()
	received := slices.Clone(r.received)
	r.mu.Unlock()
	if len(received) != 1 || string(received[0]) != string(fixtures.Body("first_message")) {
		t.Errorf("endpoint received %d bodies; want first_message's exact body once", len(received))
	}
	if got, want := listedIDs(relayctl("dlq", "list", "--channel", "webhook").must(t).stdout), sorted([]string{ids[0], ids[2]}); !slices.Equal(got, want) {
		t.Errorf("DLQ lists %v after redrive, want %v", got, want)
	}

	notThere := relayctl("dlq", "redrive", "--channel", "webhook", "--id", "evt_gone")
	if notThere.code != exitError || !strings.Contains(notThere.stderr, "not in the webhook DLQ: evt_gone") {
		t.Errorf("redrive of an unknown id: exit %d, stderr %q", notThere.code, notThere.stderr)
	}
}

// fillDLQ puts n dead letters with distinct bodies on the webhook DLQ of
// fresh queues and returns the queues and the letters' event ids.
func fillDLQ(t *testing.T, n int) (client *sqs.Client, queue, deadLetters string, ids []string) {
	t.Helper()
	useLocalAWS(t)
	client, queue, deadLetters = localaws.SQS(t), localaws.Queue(t, "src"), localaws.Queue(t, "dlq")
	t.Setenv("WEBHOOK_QUEUE_URL", queue)
	t.Setenv("WEBHOOK_DLQ_URL", deadLetters)
	for i := range n {
		body := fmt.Sprintf(`{"event":"new_chat","data":{"id":"chat-%d"}}`, i)
		id := nicechat.EventID([]byte(body))
		consumertest.Send(t, client, deadLetters, body, map[string]string{
			message.AttrEvent: "new_chat", message.AttrEventID: id, message.AttrReceivedAt: "2026-01-02T03:04:05Z",
			dlq.AttrChannel: "webhook", dlq.AttrFailureClass: "permanent", dlq.AttrLastStatus: "400", dlq.AttrAttempts: "1",
		})
		ids = append(ids, id)
	}
	return client, queue, deadLetters, ids
}

// eventIDs are the event_id attributes of messages.
func eventIDs(ms []sqstypes.Message) []string {
	var ids []string
	for _, m := range ms {
		ids = append(ids, aws.ToString(m.MessageAttributes[message.AttrEventID].StringValue))
	}
	slices.Sort(ids)
	return ids
}

func TestRedriveWorksThroughADLQLargerThanOnePage(t *testing.T) {
	const n = 25 // two and a half receives
	tests := []struct {
		name        string
		args        func(ids []string) []string
		moved       func(ids []string) []string // what reaches the source queue
		wantLine    string
		lines       int
		wantSummary string
	}{
		{
			name:        "--all sends every letter back",
			args:        func([]string) []string { return []string{"--all"} },
			moved:       func(ids []string) []string { return ids },
			wantLine:    "redriven evt_",
			lines:       n,
			wantSummary: "25 of 25 dead letters sent back to the webhook queue; 0 stay in the DLQ",
		},
		{
			name:        "two ids send back only those two",
			args:        func(ids []string) []string { return []string{"--id", ids[3], "--id", ids[21]} },
			moved:       func(ids []string) []string { return []string{ids[3], ids[21]} },
			wantLine:    "redriven evt_",
			lines:       2,
			wantSummary: "2 of 25 dead letters sent back to the webhook queue; 23 stay in the DLQ",
		},
		{
			name:        "a dry run of --all changes nothing",
			args:        func([]string) []string { return []string{"--all", "--dry-run"} },
			moved:       func([]string) []string { return nil },
			wantLine:    "would redrive evt_",
			lines:       n,
			wantSummary: "dry run: 25 of 25 dead letters would be sent back to the webhook queue; nothing was changed",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			client, queue, _, ids := fillDLQ(t, n)
			out := relayctl(append([]string{"dlq", "redrive", "--channel", "webhook"}, tt.args(ids)...)...).must(t).stdout
			if got := strings.Count(out, tt.wantLine); got != tt.lines || !strings.Contains(out, tt.wantSummary) {
				t.Errorf("%d %q lines, want %d, and a summary %q:\n%s", got, tt.wantLine, tt.lines, tt.wantSummary, out)
			}
			moved := sorted(tt.moved(ids))
			if got := eventIDs(consumertest.Drain(t, client, queue)); !slices.Equal(got, moved) {
				t.Errorf("the source queue holds %v, want %v", got, moved)
			}
			var stay []string
			for _, id := range ids {
				if !slices.Contains(moved, id) {
					stay = append(stay, id)
				}
			}
			list := relayctl("dlq", "list", "--channel", "webhook").must(t).stdout
			if got := listedIDs(list); !slices.Equal(got, sorted(stay)) {
				t.Errorf("the DLQ lists %d letters, want %d:\n%s", len(got), len(stay), list)
			}
		})
	}
}

func TestRedriveSendsOneEventBackOncePerRun(t *testing.T) {
	// The same body twice: a duplicate, or what a letter that fails again at
	// once looks like when it comes back while the run is still going.
	client, queue, deadLetters, ids := fillDLQ(t, 2)
	body := fmt.Sprintf(`{"event":"new_chat","data":{"id":"chat-%d"}}`, 0)
	consumertest.Send(t, client, deadLetters, body, map[string]string{message.AttrEvent: "new_chat", message.AttrEventID: ids[0]})

	out := relayctl("dlq", "redrive", "--channel", "webhook", "--all").must(t).stdout
	if !strings.Contains(out, "2 of 3 dead letters sent back to the webhook queue; 1 stay in the DLQ") {
		t.Errorf("redrive output:\n%s", out)
	}
	if got := eventIDs(consumertest.Drain(t, client, queue)); !slices.Equal(got, sorted(ids)) {
		t.Errorf("the source queue holds %v, want each event once: %v", got, sorted(ids))
	}
	if got := listedIDs(relayctl("dlq", "list", "--channel", "webhook").must(t).stdout); !slices.Equal(got, ids[:1]) {
		t.Errorf("the DLQ lists %v, want the second letter of %s", got, ids[0])
	}
}

func TestAnEmptyDLQSaysSo(t *testing.T) {
	useLocalAWS(t)
	empty := localaws.Queue(t, "dlq")
	t.Setenv("SLACK_DLQ_URL", empty)
	t.Setenv("SLACK_QUEUE_URL", localaws.Queue(t, "src"))
	for _, args := range [][]string{
		{"dlq", "list", "--channel", "slack"},
		{"dlq", "redrive", "--channel", "slack", "--all"},
	} {
		if out := relayctl(args...).must(t).stdout; out != "the slack DLQ is empty\n" {
			t.Errorf("%v printed %q", args, out)
		}
	}
}

func TestQueueURLsComeFromAStacksOutputs(t *testing.T) {
	r := newRelay(t)
	ids := r.deadLetter(t, "new_chat")
	t.Setenv("WEBHOOK_DLQ_URL", "")
	t.Setenv("WEBHOOK_QUEUE_URL", "")

	name := fmt.Sprintf("relay-%d", time.Now().UnixNano())
	template := map[string]any{
		"Resources": map[string]any{"Placeholder": map[string]any{"Type": "AWS::CloudFormation::WaitConditionHandle"}},
		"Outputs": map[string]any{
			"WebhookDlqUrl":   map[string]any{"Value": r.dlq},
			"WebhookQueueUrl": map[string]any{"Value": r.queue},
		},
	}
	body, _ := json.Marshal(template)
	cfn := cloudformation.NewFromConfig(localaws.Config(t))
	if _, err := cfn.CreateStack(context.Background(), &cloudformation.CreateStackInput{StackName: aws.String(name), TemplateBody: aws.String(string(body))}); err != nil {
		t.Fatalf("create stack: %v", err)
	}

	out := relayctl("dlq", "list", "--channel", "webhook", "--stack", name).must(t)
	if got := listedIDs(out.stdout); !slices.Equal(got, ids) {
		t.Errorf("listed %v via the stack, want %v", got, ids)
	}
	noOutput := relayctl("dlq", "list", "--channel", "slack", "--stack", name)
	if noOutput.code != exitError || !strings.Contains(noOutput.stderr, "stack "+name+" has no output SlackDlqUrl") {
		t.Errorf("missing output: exit %d, stderr %q", noOutput.code, noOutput.stderr)
	}
}

func TestCommonMistakesGetClearMessages(t *testing.T) {
	useLocalAWS(t)
	// An EC2 metadata service that refuses, as outside EC2 behind a proxy:
	// the SDK's credential chain asks it last and would log its fallback.
	imds := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		http.Error(w, "forbidden", http.StatusForbidden)
	}))
	t.Cleanup(imds.Close)
	tests := []struct {
		name     string
		args     []string
		env      map[string]string
		wantCode int
		wantErr  string
	}{
		{"unknown channel", []string{"dlq", "list", "--channel", "sms"}, nil, exitUsage, `unknown channel "sms": want one of webhook, email, slack`},
		{"list without a channel", []string{"dlq", "list"}, nil, exitUsage, "dlq list needs --channel"},
		{"redrive without a selection", []string{"dlq", "redrive", "--channel", "slack"}, nil, exitUsage, "--id EVENT_ID (repeatable) or --all"},
		{"unknown command", []string{"dlq", "purge"}, nil, exitUsage, `unknown command "dlq purge"`},
		{"not a dlq command", []string{"deploy"}, nil, exitUsage, `unknown command "deploy": the commands are dlq, quarantine and channel`},
		{"dlq without a subcommand", []string{"dlq"}, nil, exitUsage, "dlq needs a subcommand: list, show or redrive"},
		{"no arguments", nil, nil, exitUsage, "Usage:"},
		{"show without an id", []string{"dlq", "show"}, nil, exitUsage, "dlq show takes one event id"},
		{"no queue configured", []string{"dlq", "list", "--channel", "slack"}, nil, exitError, "the slack DLQ: no queue URL: pass --dlq-url, name the stack with --stack, or set SLACK_DLQ_URL"},
		{"no credentials", []string{"dlq", "list", "--channel", "slack", "--dlq-url", "http://127.0.0.1:1/q"},
			map[string]string{"AWS_ACCESS_KEY_ID": "", "AWS_SECRET_ACCESS_KEY": "", "AWS_EC2_METADATA_DISABLED": "", "AWS_EC2_METADATA_SERVICE_ENDPOINT": imds.URL},
			exitError, "no AWS credentials found"},
		{"no region", []string{"dlq", "list", "--channel", "slack", "--dlq-url", "http://127.0.0.1:1/q"},
			map[string]string{"AWS_REGION": "", "AWS_DEFAULT_REGION": ""}, exitError, "no AWS region"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for k, v := range tt.env {
				t.Setenv(k, v)
			}
			var got result
			other := processStderr(t, func() { got = relayctl(tt.args...) })
			if got.code != tt.wantCode || !strings.Contains(got.stderr, tt.wantErr) {
				t.Errorf("exit %d, stderr %q; want exit %d and %q", got.code, got.stderr, tt.wantCode, tt.wantErr)
			}
			if other != "" {
				t.Errorf("the process's stderr got more than relayctl's message: %q", other)
			}
			if tt.wantCode == exitError && strings.Count(got.stderr, "\n") != 1 {
				t.Errorf("stderr = %q, want relayctl's one line", got.stderr)
			}
		})
	}
}

// processStderr runs f with the process's stderr sent to a file and
// returns what f wrote there: the SDK logs to os.Stderr, not to run's
// stderr.
func processStderr(t *testing.T, f func()) string {
	t.Helper()
	file, err := os.Create(filepath.Join(t.TempDir(), "stderr"))
	if err != nil {
		t.Fatal(err)
	}
	defer file.Close()
	orig := os.Stderr
	os.Stderr = file
	defer func() { os.Stderr = orig }()
	f()
	written, err := os.ReadFile(file.Name())
	if err != nil {
		t.Fatal(err)
	}
	return string(written)
}

func TestHelpPrintsUsage(t *testing.T) {
	for _, args := range [][]string{{"--help"}, {"dlq", "-h"}, {"dlq", "list", "--help"}} {
		got := relayctl(args...)
		if got.code != exitOK || !strings.Contains(got.stdout, "relayctl dlq redrive --channel CHANNEL") {
			t.Errorf("%v: exit %d, stdout %q", args, got.code, got.stdout)
		}
	}
}

func TestWithoutAnAWSAccountRelayctlPointsAtALocalRelay(t *testing.T) {
	useLocalAWS(t)
	t.Setenv("AWS_REGION", "")
	t.Setenv("AWS_DEFAULT_REGION", "")
	t.Setenv("RELAY_URL", "")
	admin := "http://" + localaws.FreeAddr(t)
	for _, tt := range []struct {
		name     string
		relay    *localrelay.Info // the data directory's relay.json
		wantHint bool
	}{
		{"a local relay runs on the data directory", &localrelay.Info{PID: os.Getpid(), CallbackURL: "http://" + localaws.FreeAddr(t), AdminURL: admin}, true},
		{"the relay that ran there was killed", &localrelay.Info{PID: exitedPID(t), CallbackURL: "http://" + localaws.FreeAddr(t), AdminURL: admin}, false},
		{"none ever ran there", nil, false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			dataDir := t.TempDir()
			t.Setenv("RELAY_DATA_DIR", dataDir)
			if tt.relay != nil {
				if err := localrelay.Write(dataDir, *tt.relay); err != nil {
					t.Fatal(err)
				}
			}
			r := relayctl("dlq", "list", "--channel", "webhook", "--dlq-url", "http://127.0.0.1:1/q")
			hint := "add --relay " + admin
			if r.code != exitError || !strings.Contains(r.stderr, "no AWS region") || strings.Contains(r.stderr, hint) != tt.wantHint {
				t.Errorf("exit %d, stderr %q; want the region error and the hint %v", r.code, r.stderr, tt.wantHint)
			}
		})
	}
}

// exitedPID is the process id of a process that has exited.
func exitedPID(t *testing.T) int {
	t.Helper()
	cmd := exec.Command("go", "version")
	if err := cmd.Run(); err != nil {
		t.Fatal(err)
	}
	return cmd.Process.Pid
}
