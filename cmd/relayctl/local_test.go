package main

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"

	"github.com/nicechat-relay/nicechat-relay/shared/channels"
	"github.com/nicechat-relay/nicechat-relay/shared/consumer"
	"github.com/nicechat-relay/nicechat-relay/shared/consumer/consumertest"
	"github.com/nicechat-relay/nicechat-relay/shared/localaws"
	"github.com/nicechat-relay/nicechat-relay/shared/localqueue"
	"github.com/nicechat-relay/nicechat-relay/shared/localrelay"
	"github.com/nicechat-relay/nicechat-relay/shared/message"
	"github.com/nicechat-relay/nicechat-relay/shared/nicechat"
	"github.com/nicechat-relay/nicechat-relay/shared/webhook"

	fixtures "github.com/nicechat-relay/nicechat-relay/events"
)

// localRelay serves an embedded queue's SQS API under /sqs, as `make run`
// does, with a webhook dead letter in it put there by the real runtime.
func localRelay(t *testing.T) (base string, store *localqueue.Store, eventID string) {
	t.Helper()
	srv, mux, store := localQueueServer(t)
	mux.HandleFunc("GET /api/status", func(w http.ResponseWriter, _ *http.Request) {
		_, _ = io.WriteString(w, `{"channels":[{"channel":"webhook","on":true}]}`)
	})
	dlqURL, err := store.CreateQueue("webhook-dlq", nil)
	if err != nil {
		t.Fatal(err)
	}
	queueURL, err := store.CreateQueue("webhook", &localqueue.Redrive{DeadLetterQueue: "webhook-dlq", MaxReceiveCount: 10})
	if err != nil {
		t.Fatal(err)
	}

	gone := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(http.StatusUnprocessableEntity) }))
	t.Cleanup(gone.Close)
	ch, err := webhook.New(webhook.Config{URL: gone.URL, Timeout: 5 * time.Second}, webhook.Deps{})
	if err != nil {
		t.Fatal(err)
	}
	rt := consumer.New(consumer.Config{QueueURL: queueURL, DLQURL: dlqURL, Metrics: io.Discard}, ch, store, slog.New(slog.DiscardHandler))
	body := string(fixtures.Body("new_order"))
	eventID = nicechat.EventID([]byte(body))
	ctx := context.Background()
	if _, err := store.SendMessage(ctx, &sqs.SendMessageInput{
		QueueUrl: aws.String(queueURL), MessageBody: aws.String(body),
		MessageAttributes: message.Message{Body: []byte(body), Event: "new_order", EventID: eventID, ReceivedAt: time.Now()}.Attributes(),
	}); err != nil {
		t.Fatal(err)
	}
	out, err := store.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: aws.String(queueURL), MaxNumberOfMessages: 10})
	if err != nil || len(out.Messages) != 1 {
		t.Fatalf("receive: %v, %d messages", err, len(out.Messages))
	}
	resp, _ := rt.Handle(ctx, events.SQSEvent{Records: []events.SQSMessage{consumertest.Record(out.Messages[0], queueURL)}})
	if len(resp.BatchItemFailures) != 0 {
		t.Fatalf("the runtime did not dead-letter the message: %v", resp)
	}
	if _, err := store.DeleteMessage(ctx, &sqs.DeleteMessageInput{QueueUrl: aws.String(queueURL), ReceiptHandle: out.Messages[0].ReceiptHandle}); err != nil {
		t.Fatal(err)
	}
	return srv.URL, store, eventID
}

func TestRelayctlOperatesALocalRelayWithoutAnAWSAccount(t *testing.T) {
	base, store, id := localRelay(t)
	noAWSAccount(t) // --relay needs none

	list := relayctl("dlq", "list", "--relay", base, "--channel", "webhook").must(t)
	if ids := listedIDs(list.stdout); len(ids) != 1 || ids[0] != id {
		t.Fatalf("list shows %q, want [%s]:\n%s", ids, id, list.stdout)
	}
	if !strings.Contains(list.stdout, "permanent") || !strings.Contains(list.stdout, "422") {
		t.Errorf("list does not show the failure:\n%s", list.stdout)
	}
	show := relayctl("dlq", "show", id, "--relay", base, "--channel", "webhook").must(t)
	if !strings.Contains(show.stdout, `"new_order"`) {
		t.Errorf("show does not print the body:\n%s", show.stdout)
	}

	t.Setenv("RELAY_URL", base) // the variable works as the flag does
	redrive := relayctl("dlq", "redrive", "--channel", "webhook", "--all").must(t)
	if !strings.Contains(redrive.stdout, "redriven "+id) {
		t.Errorf("redrive did not say it sent %s back:\n%s", id, redrive.stdout)
	}
	for name, want := range map[string]int{"webhook": 1, "webhook-dlq": 0} {
		st, err := store.Stats(name)
		if err != nil {
			t.Fatal(err)
		}
		if st.Visible+st.InFlight+st.Delayed != want {
			t.Errorf("%s holds %+v after the redrive, want %d message(s)", name, st, want)
		}
	}
}

func TestRelayctlRefusesARelayURLThatIsNotAURL(t *testing.T) {
	r := relayctl("dlq", "list", "--relay", "127.0.0.1:8090", "--channel", "webhook")
	if r.code != exitUsage || !strings.Contains(r.stderr, "--relay") {
		t.Fatalf("exit %d, stderr %q; want a usage error naming --relay", r.code, r.stderr)
	}
}

func TestRelayURLDoesNotOverrideAStack(t *testing.T) {
	useLocalAWS(t)
	t.Setenv("RELAY_URL", "http://127.0.0.1:1") // a local relay that is not running
	r := relayctl("dlq", "list", "--stack", "no-such-stack", "--channel", "webhook")
	if r.code != exitError || !strings.Contains(r.stderr, "no-such-stack") {
		t.Fatalf("exit %d, stderr %q; want the stack's error, not the local relay's", r.code, r.stderr)
	}
}

func TestRelayctlSaysToStartTheLocalRelay(t *testing.T) {
	r := relayctl("dlq", "list", "--relay", "http://"+localaws.FreeAddr(t), "--channel", "webhook")
	if r.code != exitError || !strings.Contains(r.stderr, "make run") {
		t.Fatalf("exit %d, stderr %q; want a hint to start the relay", r.code, r.stderr)
	}
}

// noAWSAccount leaves the SDK nothing to find: no region, no credentials.
func noAWSAccount(t *testing.T) {
	t.Helper()
	for _, name := range []string{"AWS_PROFILE", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_REGION", "AWS_DEFAULT_REGION", "AWS_ENDPOINT_URL", "RELAY_URL"} {
		t.Setenv(name, "")
	}
	t.Setenv("AWS_CONFIG_FILE", "/nonexistent/aws-config")
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", "/nonexistent/aws-credentials")
}

// make run keeps where it listens in its data directory: relayctl, run
// without flags where the relay runs, works on it.
func TestRelayctlFindsTheRelayMakeRunStartedWithoutFlags(t *testing.T) {
	base, _, id := localRelay(t)
	noAWSAccount(t)
	for _, spec := range channels.All {
		t.Setenv(spec.DLQEnv(), "")
		t.Setenv(spec.QueueEnv(), "")
	}
	running := t.TempDir()
	if err := localrelay.Write(running, localrelay.Info{PID: os.Getpid(), CallbackURL: "http://" + localaws.FreeAddr(t), AdminURL: base}); err != nil {
		t.Fatal(err)
	}
	killed := t.TempDir() // what a relay killed with kill -9 leaves behind
	if err := localrelay.Write(killed, localrelay.Info{PID: exitedPID(t), CallbackURL: "http://" + localaws.FreeAddr(t), AdminURL: base}); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name    string
		dataDir string
		env     map[string]string
		found   bool   // relayctl works on the relay
		stderr  string // else, what it says
	}{
		{"the relay runs on the data directory", running, nil, true, ""},
		{"the relay that wrote it was killed", killed, nil, false, "no AWS region"},
		{"no relay ever ran there", t.TempDir(), nil, false, "no AWS region"},
		{"a queue URL variable says the queues are in AWS", running, map[string]string{"WEBHOOK_DLQ_URL": "http://127.0.0.1:1/q"}, false, "A local relay is running at " + base + ": add --relay " + base},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Setenv("RELAY_DATA_DIR", tt.dataDir)
			for k, v := range tt.env {
				t.Setenv(k, v)
			}
			list := relayctl("dlq", "list", "--channel", "webhook")
			ids := listedIDs(list.stdout)
			if found := list.code == exitOK && len(ids) == 1 && ids[0] == id; found != tt.found {
				t.Fatalf("found the relay: %v, want %v (exit %d, stdout %q, stderr %q)", found, tt.found, list.code, list.stdout, list.stderr)
			}
			if !strings.Contains(list.stderr, tt.stderr) {
				t.Errorf("stderr %q, want %q", list.stderr, tt.stderr)
			}
			// The channel commands have no queue to name: a running relay
			// is theirs whenever no flag names another.
			status := relayctl("channel", "status", "--channel", "webhook")
			if want := tt.dataDir == running; want != (status.code == exitOK && strings.Contains(status.stdout, "delivering")) {
				t.Errorf("channel status: exit %d, stdout %q, stderr %q; want the relay found: %v", status.code, status.stdout, status.stderr, want)
			}
		})
	}
}

func TestRelayctlSaysToGiveTheAdminURLNotTheCallbackURL(t *testing.T) {
	// The callback listener answers everything but a callback so.
	callbacks := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusNotFound)
		_, _ = io.WriteString(w, `{"message":"Not Found"}`)
	}))
	t.Cleanup(callbacks.Close)
	r := relayctl("dlq", "list", "--relay", callbacks.URL, "--channel", "webhook")
	if r.code != exitError || !strings.Contains(r.stderr, "admin URL") {
		t.Fatalf("exit %d, stderr %q; want a hint to give the admin URL", r.code, r.stderr)
	}
}

// localQueueServer serves a new embedded queue's SQS API under /sqs, as
// the local relay's admin listener does; the test adds its other routes
// to mux.
func localQueueServer(t *testing.T) (*httptest.Server, *http.ServeMux, *localqueue.Store) {
	t.Helper()
	mux := http.NewServeMux()
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	store, err := localqueue.Open(filepath.Join(t.TempDir(), "queues.db"), localqueue.Options{URLPrefix: srv.URL + localSQSPath + localAccountPath})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { store.Close() })
	mux.Handle(localSQSPath, store.Handler())
	mux.Handle(localSQSPath+"/", store.Handler())
	return srv, mux, store
}
