package infra_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	sesv1 "github.com/aws/aws-sdk-go-v2/service/ses"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"
	standardwebhooks "github.com/standard-webhooks/standard-webhooks/libraries/go"

	fixtures "github.com/nicechat-relay/nicechat-relay/events"
	"github.com/nicechat-relay/nicechat-relay/shared/channel"
	"github.com/nicechat-relay/nicechat-relay/shared/channels"
	"github.com/nicechat-relay/nicechat-relay/shared/consumer/consumertest"
	"github.com/nicechat-relay/nicechat-relay/shared/dlq"
	"github.com/nicechat-relay/nicechat-relay/shared/ingest"
	"github.com/nicechat-relay/nicechat-relay/shared/localaws"
	"github.com/nicechat-relay/nicechat-relay/shared/logtest"
	"github.com/nicechat-relay/nicechat-relay/shared/message"
	"github.com/nicechat-relay/nicechat-relay/shared/nicechat"
	"github.com/nicechat-relay/nicechat-relay/shared/slack/slacktest"
)

// fixtureToken is the token in the events/ fixtures' path.
const fixtureToken = "local-dev-token-change-me-0123"

func TestIngestBinaryUnderTheRuntimeEmulator(t *testing.T) {
	tpl := loadTemplate(t)
	s := newStack(t, tpl, with("CallbackToken", fixtureToken))
	ids := []string{"QuarantineQueue"}
	for _, spec := range channels.All {
		ids = append(ids, queueID(spec))
	}
	queues := localQueues(t, s, ids...)
	fn := s.function("IngestFunction")
	rie := startRIE(t, fn, buildForHost(t, fn.ID))

	// Which channel gets which event follows the template's defaults.
	routes := map[string]string{} // ingest's route name -> queue id
	sets := map[string]nicechat.EventSet{}
	for _, spec := range channels.All {
		for _, r := range spec.Routes {
			param := parameterOf(r.Env)
			set, err := nicechat.ParseEventSet(s.params[param])
			if err != nil {
				t.Fatalf("%s: %v", param, err)
			}
			name := ingest.Route{Channel: spec.Name, Format: r.Format}.Name()
			sets[name], routes[name] = set, queueID(spec)
		}
	}

	// The files themselves, byte for byte, as `sam local invoke -e` sends them.
	files, _ := filepath.Glob("../events/apigw-*.json")
	if len(files) < len(nicechat.KnownTypes)+2 {
		t.Fatalf("found %d API Gateway fixtures, want one per event type and the malformed ones", len(files))
	}
	for _, file := range files {
		name := strings.TrimSuffix(strings.TrimPrefix(filepath.Base(file), "apigw-"), ".json")
		t.Run(name, func(t *testing.T) {
			raw, err := os.ReadFile(file)
			if err != nil {
				t.Fatal(err)
			}
			var req events.APIGatewayV2HTTPRequest
			if err := json.Unmarshal(raw, &req); err != nil {
				t.Fatalf("%s: %v", file, err)
			}
			resp := invokeHTTP(t, rie, raw)
			got := drain(t, queues)

			if strings.HasPrefix(name, "invalid_") {
				if resp.StatusCode != http.StatusBadRequest || !strings.Contains(resp.Body, `"error"`) {
					t.Errorf("answer %d %s, want 400 with an error", resp.StatusCode, resp.Body)
				}
				if q := got["QuarantineQueue"]; len(q) != 1 || aws.ToString(q[0].Body) != req.Body {
					t.Errorf("quarantine holds %d messages, want the rejected body once", len(q))
				}
				if len(got) != 1 {
					t.Errorf("a rejected callback reached the queues %v", sortedKeys(got))
				}
				return
			}

			if resp.StatusCode != http.StatusAccepted {
				t.Fatalf("answer %d %s, want 202", resp.StatusCode, resp.Body)
			}
			var accepted struct {
				ID, Event string
				Channels  []string
			}
			if err := json.Unmarshal([]byte(resp.Body), &accepted); err != nil {
				t.Fatalf("202 body %s: %v", resp.Body, err)
			}
			if want := nicechat.EventID([]byte(req.Body)); accepted.ID != want || accepted.Event != name {
				t.Errorf("202 body names %s %s, want %s %s", accepted.ID, accepted.Event, want, name)
			}
			wantQueues := map[string]int{}
			var wantChannels []string
			for route, set := range sets {
				if set.Has(name) {
					wantChannels = append(wantChannels, route)
					wantQueues[routes[route]]++
				}
			}
			sort.Strings(wantChannels)
			if gotChannels := slices.Sorted(slices.Values(accepted.Channels)); !slices.Equal(gotChannels, wantChannels) {
				t.Errorf("channels %v, want %v (the template's default event lists)", gotChannels, wantChannels)
			}
			for _, id := range sortedKeys(queues) {
				msgs := got[id]
				if len(msgs) != wantQueues[id] {
					t.Errorf("%s holds %d messages, want %d", id, len(msgs), wantQueues[id])
				}
				for _, m := range msgs {
					if aws.ToString(m.Body) != req.Body {
						t.Errorf("%s: body differs from what Nice Chat sent", id)
					}
					if attr(m, message.AttrEventID) != accepted.ID || attr(m, message.AttrEvent) != name {
						t.Errorf("%s: attributes event=%q event_id=%q, want %s %s", id, attr(m, message.AttrEvent), attr(m, message.AttrEventID), name, accepted.ID)
					}
				}
			}
		})
	}

	t.Run("a GET of the callback URL", func(t *testing.T) {
		var req events.APIGatewayV2HTTPRequest
		raw, err := os.ReadFile("../events/apigw-new_chat.json")
		if err != nil {
			t.Fatal(err)
		}
		if err := json.Unmarshal(raw, &req); err != nil {
			t.Fatal(err)
		}
		req.RouteKey, req.Body = "GET /callback/{token}", ""
		req.RequestContext.HTTP.Method = http.MethodGet
		get, _ := json.Marshal(req)
		resp := invokeHTTP(t, rie, get)
		if resp.StatusCode != http.StatusMethodNotAllowed || resp.Headers["Allow"] != http.MethodPost {
			t.Errorf("answer %d %v %s, want 405 with Allow: POST", resp.StatusCode, resp.Headers, resp.Body)
		}
		if got := drain(t, queues); len(got) != 0 {
			t.Errorf("a GET reached %v", sortedKeys(got))
		}
	})

	t.Run("wrong token", func(t *testing.T) {
		raw, err := os.ReadFile("../events/apigw-new_chat.json")
		if err != nil {
			t.Fatal(err)
		}
		raw = bytes.ReplaceAll(raw, []byte(fixtureToken), []byte("not-the-token-0123456789abc"))
		resp := invokeHTTP(t, rie, raw)
		if resp.StatusCode != http.StatusUnauthorized {
			t.Errorf("answer %d, want 401", resp.StatusCode)
		}
		if got := drain(t, queues); len(got) != 0 {
			t.Errorf("an unauthenticated request reached %v", sortedKeys(got))
		}
	})
}

func TestWebhookBinaryUnderTheRuntimeEmulator(t *testing.T) {
	var mu sync.Mutex
	received := map[string][]byte{} // webhook-id -> body
	var verifyErr error
	failWith := map[string]int{} // event id -> status the sink answers
	tpl := loadTemplate(t)
	params := with()
	wh, err := standardwebhooks.NewWebhook(params["WebhookSecret"])
	if err != nil {
		t.Fatal(err)
	}
	sink := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		mu.Lock()
		defer mu.Unlock()
		id := r.Header.Get("webhook-id")
		if err := wh.Verify(body, r.Header); err != nil {
			verifyErr = fmt.Errorf("signature of %s: %w", id, err)
		}
		if status := failWith[id]; status != 0 {
			w.WriteHeader(status)
			return
		}
		received[id] = body
	}))
	t.Cleanup(sink.Close)
	params["WebhookUrl"] = sink.URL + "/nicechat"

	s := newStack(t, tpl, params)
	queues := localQueues(t, s, "WebhookQueue", "WebhookDlq")
	fn := s.function("WebhookFunction")
	rie := startRIE(t, fn, buildForHost(t, fn.ID))

	bodies := map[string]string{"delivered": "new_chat", "retried": "unanswered", "dead-lettered": "new_order"}
	ids := map[string]string{}
	for outcome, event := range bodies {
		body := fixtureBody(t, event)
		ids[outcome] = nicechat.EventID([]byte(body))
		bodies[outcome] = body
		m := message.Message{Body: []byte(body), Event: event, EventID: ids[outcome], ReceivedAt: time.Now()}
		if _, err := localaws.SQS(t).SendMessage(context.Background(), &sqs.SendMessageInput{
			QueueUrl: aws.String(queues["WebhookQueue"]), MessageBody: aws.String(body), MessageAttributes: m.Attributes(),
		}); err != nil {
			t.Fatal(err)
		}
	}
	mu.Lock()
	failWith[ids["retried"]] = http.StatusServiceUnavailable
	failWith[ids["dead-lettered"]] = http.StatusUnprocessableEntity
	mu.Unlock()

	batch := receiveAsLambda(t, queues["WebhookQueue"], 3)
	var resp events.SQSEventResponse
	invoke(t, rie, batch, &resp)

	messageIDOf := map[string]string{}
	for _, r := range batch.Records {
		messageIDOf[aws.ToString(r.MessageAttributes[message.AttrEventID].StringValue)] = r.MessageId
	}
	var failed []string
	for _, f := range resp.BatchItemFailures {
		failed = append(failed, f.ItemIdentifier)
	}
	if want := []string{messageIDOf[ids["retried"]]}; !slices.Equal(failed, want) {
		t.Errorf("batch item failures %v, want only the retried message %v", failed, want)
	}

	mu.Lock()
	defer mu.Unlock()
	if verifyErr != nil {
		t.Error(verifyErr)
	}
	if got := received[ids["delivered"]]; string(got) != bodies["delivered"] {
		t.Errorf("the sink got %q for %s, want the body byte for byte", got, ids["delivered"])
	}
	letters := drain(t, map[string]string{"WebhookDlq": queues["WebhookDlq"]})["WebhookDlq"]
	if len(letters) != 1 {
		t.Fatalf("the DLQ holds %d messages, want the one the endpoint refused with 422", len(letters))
	}
	l := letters[0]
	if aws.ToString(l.Body) != bodies["dead-lettered"] || attr(l, dlq.AttrFailureClass) != "permanent" || attr(l, dlq.AttrLastStatus) != "422" || attr(l, message.AttrEventID) != ids["dead-lettered"] {
		t.Errorf("dead letter: body equal %v, failure_class=%q last_status=%q event_id=%q; want the body, permanent, 422, %s",
			aws.ToString(l.Body) == bodies["dead-lettered"], attr(l, dlq.AttrFailureClass), attr(l, dlq.AttrLastStatus), attr(l, message.AttrEventID), ids["dead-lettered"])
	}
}

// The humane channels' binaries (each channel with a route a person reads
// by default; the webhook has its own test above), each with the
// environment a stack gives it, deliver a message to their far end: a
// local server at the channel's FarEnd, answering as farEndAnswer does,
// or for a channel that delivers through AWS the local AWS, whose count
// of deliveries awsDeliveries names. A channel with neither fails,
// naming itself.
func TestHumaneChannelBinariesDeliverABatch(t *testing.T) {
	tpl := loadTemplate(t)
	// One recipient: the local SES counts sends per recipient.
	stackParams := with("EmailTo", "ops@example.com")
	ses := localaws.SES(t)
	if _, err := ses.VerifyEmailIdentity(context.Background(), &sesv1.VerifyEmailIdentityInput{EmailAddress: aws.String(stackParams["EmailFrom"])}); err != nil {
		t.Fatalf("verify the sender on the local SES: %v", err)
	}
	sentEmails := func() float64 {
		out, err := ses.GetSendQuota(context.Background(), &sesv1.GetSendQuotaInput{})
		if err != nil {
			t.Fatalf("read the local SES send count: %v", err)
		}
		return out.SentLast24Hours
	}
	// The deliveries so far of each channel that delivers through AWS.
	awsDeliveries := map[string]func() int{
		"email": func() int { return int(sentEmails()) },
	}
	type post struct {
		path string
		body map[string]any
	}
	// What each post to a channel's far end must be, beyond one a message.
	farEndChecks := map[string]func(t *testing.T, params map[string]string, p post){
		// The Bot API gets sendMessage for the chat, in HTML.
		"telegram": func(t *testing.T, params map[string]string, p post) {
			text, _ := p.body["text"].(string)
			if p.path != "/bot"+params["TelegramBotToken"]+"/sendMessage" || fmt.Sprint(p.body["chat_id"]) != params["TelegramChatId"] ||
				p.body["parse_mode"] != "HTML" || !strings.Contains(text, "Kryvyy Rih") {
				t.Errorf("the Bot API got %s %v", p.path, p.body)
			}
		},
	}

	humane := 0
	for _, spec := range channels.All {
		route := slices.IndexFunc(spec.Routes, func(r channel.Route) bool { return r.Default == channel.HumaneEvents })
		if route < 0 {
			continue
		}
		humane++
		t.Run(functionID(spec), func(t *testing.T) {
			var mu sync.Mutex
			var posts []post
			farEnd := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				var body map[string]any
				dec := json.NewDecoder(r.Body)
				dec.UseNumber()
				_ = dec.Decode(&body)
				mu.Lock()
				posts = append(posts, post{r.URL.Path, body})
				mu.Unlock()
				farEndAnswer(w, r)
			}))
			t.Cleanup(farEnd.Close)
			params, env := maps.Clone(stackParams), map[string]string{}
			delivered := func() int { mu.Lock(); defer mu.Unlock(); return len(posts) }
			if !pointFarEnd(spec, params, env, farEnd.URL) {
				count, ok := awsDeliveries[spec.Name]
				if !ok {
					t.Fatalf("channel %s names no FarEnd, so it delivers through AWS, and this test counts none of its deliveries there: add it to awsDeliveries", spec.Name)
				}
				delivered = count
			}

			s := newStack(t, tpl, params)
			queues := localQueues(t, s, queueID(spec), dlqID(spec))
			fn := s.function(functionID(spec))
			maps.Copy(fn.Env, env) // an API URL: not a stack setting, AWS reaches the real one
			rie := startRIE(t, fn, buildForHost(t, fn.ID))

			body := fixtureBody(t, "first_message")
			m := message.Message{Body: []byte(body), Event: "first_message", EventID: nicechat.EventID([]byte(body)), ReceivedAt: time.Now(), Format: spec.Routes[route].Format}
			if _, err := localaws.SQS(t).SendMessage(context.Background(), &sqs.SendMessageInput{
				QueueUrl: aws.String(queues[queueID(spec)]), MessageBody: aws.String(body), MessageAttributes: m.Attributes(),
			}); err != nil {
				t.Fatal(err)
			}
			before := delivered()
			var resp events.SQSEventResponse
			invoke(t, rie, receiveAsLambda(t, queues[queueID(spec)], 1), &resp)
			if len(resp.BatchItemFailures) != 0 {
				t.Errorf("batch item failures %v, want none", resp.BatchItemFailures)
			}
			if got := delivered() - before; got != 1 {
				t.Errorf("%d deliveries reached the far end, want 1", got)
			}
			if letters := drain(t, map[string]string{dlqID(spec): queues[dlqID(spec)]}); len(letters) != 0 {
				t.Errorf("dead letters: %v", letters)
			}
			mu.Lock()
			defer mu.Unlock()
			if check, ok := farEndChecks[spec.Name]; ok {
				for _, p := range posts {
					check(t, params, p)
				}
			}
		})
	}
	if humane == 0 {
		t.Errorf("no channel of shared/channels has a route of channel.HumaneEvents")
	}
}

// The Slack binary in threads, with the environment a stack with a bot
// token gives it and the stack's idempotency table on the local DynamoDB:
// a visitor's first message opens their thread; their next event, taken
// by a new instance (a cold start, so the thread can only come from the
// table), is a reply in it, shown in the channel too (unanswered is in
// SlackBroadcastEvents by default), and the root's summary line tells both.
func TestSlackBinaryKeepsAVisitorsThreadInTheStacksTable(t *testing.T) {
	api := slacktest.New(t, testBotToken, testSlackChannel)
	s := newStack(t, loadTemplate(t), off(only("slack"), slackThreads))
	queues := localQueues(t, s, "SlackQueue", "SlackDlq")
	fn := s.function("SlackFunction")
	fn.Env["SLACK_API_URL"] = api.URL // not a stack setting: AWS reaches the real one
	bootstrap := buildForHost(t, fn.ID)

	for _, event := range []string{"first_message", "unanswered"} {
		rie := startRIE(t, fn, bootstrap)
		body := fixtureBody(t, event)
		m := message.Message{Body: []byte(body), Event: event, EventID: nicechat.EventID([]byte(body)), ReceivedAt: time.Now()}
		if _, err := localaws.SQS(t).SendMessage(context.Background(), &sqs.SendMessageInput{
			QueueUrl: aws.String(queues["SlackQueue"]), MessageBody: aws.String(body), MessageAttributes: m.Attributes(),
		}); err != nil {
			t.Fatal(err)
		}
		var resp events.SQSEventResponse
		invoke(t, rie, receiveAsLambda(t, queues["SlackQueue"], 1), &resp)
		if len(resp.BatchItemFailures) != 0 {
			t.Fatalf("%s: batch item failures %v, want none", event, resp.BatchItemFailures)
		}
	}

	roots := api.Roots()
	if len(roots) != 1 {
		t.Fatalf("%d top-level messages, want one thread: %+v", len(roots), api.Messages())
	}
	replies := api.Replies(roots[0].TS)
	if len(replies) != 1 || !replies[0].ReplyBroadcast {
		t.Errorf("the thread has %d replies (%+v), want the unanswered event, also shown in the channel", len(replies), replies)
	}
	if got, want := api.Summary(roots[0]), "first message → unanswered"; got != want {
		t.Errorf("the root's summary line reads %q, want %q", got, want)
	}
	if letters := drain(t, map[string]string{"SlackDlq": queues["SlackDlq"]}); len(letters) != 0 {
		t.Errorf("dead letters: %v", letters)
	}
}

// localQueues creates the stack's queues on the local SQS, and its
// idempotency table on the local DynamoDB, and points the stack's Refs at
// them.
func localQueues(t testing.TB, s *stack, ids ...string) map[string]string {
	t.Helper()
	table := localaws.IdempotencyTable(t)
	s.tableName = func(string) string { return table }
	urls := map[string]string{}
	for _, id := range ids {
		urls[id] = localaws.Queue(t, id)
	}
	s.queueURL = func(id string) string {
		if u, ok := urls[id]; ok {
			return u
		}
		return "http://127.0.0.1:1/not-created-by-this-test/" + id // any use fails loudly
	}
	return urls
}

// buildForHost builds the function with its sam build target, as sam
// would, but for the host so the emulator can run it.
func buildForHost(t testing.TB, logicalID string) string {
	t.Helper()
	return samBuild(t, logicalID, t.TempDir(), "LAMBDA_ENV=CGO_ENABLED=0 GOOS="+runtime.GOOS+" GOARCH="+runtime.GOARCH)
}

// samBuild runs make build-<logicalID> into dir with the make variables
// vars (none: the deployed linux/arm64 build) and returns the bootstrap.
func samBuild(t testing.TB, logicalID, dir string, vars ...string) string {
	t.Helper()
	cmd := exec.Command("make", append([]string{"-C", "..", "build-" + logicalID, "ARTIFACTS_DIR=" + dir}, vars...)...)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("make build-%s: %v\n%s", logicalID, err, out)
	}
	return filepath.Join(dir, "bootstrap")
}

// startRIE runs bootstrap under aws-lambda-rie with the function's
// environment and the local AWS endpoint, and returns the invoke URL once
// the emulator listens.
func startRIE(t testing.TB, fn function, bootstrap string) string {
	t.Helper()
	p := newRIE(t, fn, bootstrap)
	p.start(t)
	t.Cleanup(func() {
		p.stop()
		if t.Failed() {
			t.Logf("%s under aws-lambda-rie logged:\n%s", fn.ID, p.logs.String())
		}
	})
	return p.waitListening(t)
}

// rieProcess is one aws-lambda-rie child. It is prepared, started and
// waited for in separate steps so that the cold-start benchmark can time
// exactly the steps from start to first answer.
type rieProcess struct {
	cmd    *exec.Cmd
	addr   string
	logs   *logtest.Buffer
	exited chan struct{}
}

// newRIE prepares, without starting it, the emulator running bootstrap.
func newRIE(t testing.TB, fn function, bootstrap string) *rieProcess {
	t.Helper()
	if runtime.GOOS != "linux" {
		t.Skip("aws-lambda-rie runs only on Linux")
	}
	rie, err := filepath.Abs("../.bin/aws-lambda-rie")
	if err == nil {
		_, err = os.Stat(rie)
	}
	if err != nil {
		if rie, err = exec.LookPath("aws-lambda-rie"); err != nil {
			t.Fatalf("aws-lambda-rie is not installed: run `make tools` (it installs it into .bin/)")
		}
	}
	addr, apiAddr := localaws.FreeAddr(t), localaws.FreeAddr(t)
	cmd := exec.Command(rie, "--log-level", "warn",
		"--runtime-interface-emulator-address", addr,
		"--runtime-api-address", apiAddr,
		bootstrap)
	cmd.Dir = filepath.Dir(bootstrap)
	// Only what Lambda would set: the function's variables, its limits and
	// credentials (the emulator forwards its own environment).
	cmd.Env = append(localaws.Env(t),
		"PATH="+os.Getenv("PATH"),
		"AWS_LAMBDA_FUNCTION_NAME="+fn.ID,
		"AWS_LAMBDA_FUNCTION_TIMEOUT="+strconv.Itoa(fn.Timeout),
		"AWS_LAMBDA_FUNCTION_MEMORY_SIZE=128",
	)
	for _, k := range sortedKeys(fn.Env) {
		cmd.Env = append(cmd.Env, k+"="+fn.Env[k])
	}
	logs := &logtest.Buffer{}
	cmd.Stdout, cmd.Stderr = logs, logs
	cmd.SysProcAttr = localaws.ChildProcAttr()
	return &rieProcess{cmd: cmd, addr: addr, logs: logs, exited: make(chan struct{})}
}

func (p *rieProcess) start(t testing.TB) {
	t.Helper()
	if err := p.cmd.Start(); err != nil {
		t.Fatalf("start %s: %v", p.cmd.Path, err)
	}
	go func() { _ = p.cmd.Wait(); close(p.exited) }()
}

// stop kills the emulator and the bootstrap it started (one process group).
func (p *rieProcess) stop() {
	_ = syscall.Kill(-p.cmd.Process.Pid, syscall.SIGKILL)
	<-p.exited
}

// waitListening polls until the emulator accepts connections and returns
// its invoke URL. It polls every millisecond: the benchmark's resolution.
func (p *rieProcess) waitListening(t testing.TB) string {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for {
		conn, err := net.DialTimeout("tcp", p.addr, time.Second)
		if err == nil {
			conn.Close()
			return "http://" + p.addr + "/2015-03-31/functions/function/invocations"
		}
		select {
		case <-p.exited:
			t.Fatalf("aws-lambda-rie exited before listening:\n%s", p.logs.String())
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("aws-lambda-rie did not listen on %s within 15s:\n%s", p.addr, p.logs.String())
		}
		time.Sleep(time.Millisecond)
	}
}

// invoke posts payload to the emulator and decodes the function's answer
// into out.
func invoke(t testing.TB, url string, payload, out any) {
	t.Helper()
	raw, ok := payload.([]byte)
	if !ok {
		var err error
		if raw, err = json.Marshal(payload); err != nil {
			t.Fatal(err)
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(raw))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("invoke: %v", err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("invoke: emulator answered %d: %s", resp.StatusCode, body)
	}
	if err := json.Unmarshal(body, out); err != nil {
		t.Fatalf("invoke: the function answered %s, not the expected JSON: %v", body, err)
	}
}

func invokeHTTP(t testing.TB, url string, request []byte) events.APIGatewayV2HTTPResponse {
	t.Helper()
	var resp events.APIGatewayV2HTTPResponse
	invoke(t, url, request, &resp)
	return resp
}

// drain reads and deletes every message on the queues and returns them by
// queue id; queues with none are left out. Ingest answers only after its
// sends returned, so whatever it sent is already visible.
func drain(t *testing.T, queues map[string]string) map[string][]sqstypes.Message {
	t.Helper()
	client := localaws.SQS(t)
	got := map[string][]sqstypes.Message{}
	for id, url := range queues {
		msgs := consumertest.Drain(t, client, url)
		for _, m := range msgs {
			if _, err := client.DeleteMessage(context.Background(), &sqs.DeleteMessageInput{QueueUrl: aws.String(url), ReceiptHandle: m.ReceiptHandle}); err != nil {
				t.Fatalf("delete from %s: %v", id, err)
			}
		}
		if len(msgs) > 0 {
			got[id] = msgs
		}
	}
	return got
}

// receiveAsLambda receives n messages the way the SQS event source does
// and builds the event it would pass to the function.
func receiveAsLambda(t *testing.T, queueURL string, n int) events.SQSEvent {
	t.Helper()
	var ev events.SQSEvent
	deadline := time.Now().Add(10 * time.Second)
	for len(ev.Records) < n {
		if time.Now().After(deadline) {
			t.Fatalf("received %d of %d messages", len(ev.Records), n)
		}
		out, err := localaws.SQS(t).ReceiveMessage(context.Background(), &sqs.ReceiveMessageInput{
			QueueUrl: aws.String(queueURL), MaxNumberOfMessages: int32(n - len(ev.Records)), WaitTimeSeconds: 1, VisibilityTimeout: 180,
			MessageAttributeNames: []string{"All"}, MessageSystemAttributeNames: []sqstypes.MessageSystemAttributeName{"All"},
		})
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range out.Messages {
			ev.Records = append(ev.Records, consumertest.Record(m, queueURL))
		}
	}
	return ev
}

func attr(m sqstypes.Message, name string) string {
	if a, ok := m.MessageAttributes[name]; ok {
		return aws.ToString(a.StringValue)
	}
	return ""
}

func fixtureBody(_ *testing.T, event string) string { return string(fixtures.Body(event)) }
