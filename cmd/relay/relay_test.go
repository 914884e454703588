package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"mime"
	"net"
	"net/http"
	"net/http/httptest"
	"net/mail"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ses"
	standardwebhooks "github.com/standard-webhooks/standard-webhooks/libraries/go"

	fixtures "github.com/nicechat-relay/nicechat-relay/events"
	"github.com/nicechat-relay/nicechat-relay/shared/localaws"
	"github.com/nicechat-relay/nicechat-relay/shared/localrelay"
	"github.com/nicechat-relay/nicechat-relay/shared/logtest"
	"github.com/nicechat-relay/nicechat-relay/shared/nicechat"
)

const (
	testToken  = "a-token-of-the-users-own-choosing"
	testSecret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
)

// humanTypes are the event types the local defaults route to email and Slack.
var humanTypes = []string{"first_message", "unanswered", "new_order", "push_form"}

// testRelay is a relay running in the test's process.
type testRelay struct {
	*relay
	stop func() // graceful stop, as on SIGTERM; waits for it
	logs *logtest.Buffer
}

// startRelay runs the relay on free ports with env (plus a fresh data
// directory unless env names one); it stops with the test.
func startRelay(t *testing.T, env map[string]string) *testRelay {
	t.Helper()
	return startRelayWith(t, env, defaultLimits)
}

// startRelayWith is startRelay with the server's limits.
func startRelayWith(t *testing.T, env map[string]string, lim limits) *testRelay {
	t.Helper()
	if env["RELAY_DATA_DIR"] == "" {
		env["RELAY_DATA_DIR"] = t.TempDir()
	}
	env["RELAY_ADDR"], env["RELAY_ADMIN_ADDR"] = "127.0.0.1:0", "127.0.0.1:0"
	logs := &logtest.Buffer{}
	ctx, cancel := context.WithCancel(context.Background())
	r, err := startWith(ctx, lookupIn(env), slog.New(slog.NewJSONHandler(logs, nil)), lim)
	if err != nil {
		cancel()
		t.Fatalf("start: %v", err)
	}
	var once sync.Once
	stop := func() {
		once.Do(func() {
			cancel()
			if err := r.wait(); err != nil {
				t.Errorf("relay stopped with: %v", err)
			}
		})
	}
	t.Cleanup(stop)
	return &testRelay{relay: r, stop: stop, logs: logs}
}

// freeAddrs sets both listeners' addresses in env to free ports: no test
// may listen on, or find a relay at, the defaults (a relay of one's own
// may run there).
func freeAddrs(t testing.TB, env map[string]string) map[string]string {
	t.Helper()
	env["RELAY_ADDR"], env["RELAY_ADMIN_ADDR"] = localaws.FreeAddr(t), localaws.FreeAddr(t)
	return env
}

// lookupIn is os.LookupEnv over env: a key present with "" is set empty.
func lookupIn(env map[string]string) func(string) (string, bool) {
	return func(k string) (string, bool) { v, ok := env[k]; return v, ok }
}

func (r *testRelay) post(t *testing.T, body []byte) (int, string) {
	t.Helper()
	resp, err := http.Post(r.base+"/callback/"+r.token, "application/json", bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

func (r *testRelay) apiStatus(t *testing.T) relayStatus {
	t.Helper()
	return statusOf(t, r.admin)
}

// recorder is an HTTP endpoint that keeps what it receives.
type recorder struct {
	mu         sync.Mutex
	got        []received
	answer     int    // status to answer; 204 when 0
	answerBody string // body to answer with
}

type received struct {
	path   string
	header http.Header
	body   []byte
}

func newRecorder(t *testing.T) (*recorder, string) {
	rec := &recorder{}
	srv := httptest.NewServer(rec)
	t.Cleanup(srv.Close)
	return rec, srv.URL
}

func (r *recorder) ServeHTTP(w http.ResponseWriter, req *http.Request) {
	body, _ := io.ReadAll(req.Body)
	r.mu.Lock()
	r.got = append(r.got, received{req.URL.Path, req.Header.Clone(), body})
	answer, answerBody := r.answer, r.answerBody
	r.mu.Unlock()
	if answer == 0 {
		answer = http.StatusNoContent
	}
	w.WriteHeader(answer)
	_, _ = io.WriteString(w, answerBody)
}

func (r *recorder) all() []received {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Clone(r.got)
}

// eventually polls cond until it holds or 20 s have passed.
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting until %s", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func TestRelayDeliversEveryFixtureOnEveryChannel(t *testing.T) {
	hook, hookURL := newRecorder(t)
	slackSink, slackURL := newRecorder(t)
	// The Bot API answers sendMessage with {"ok":true,"result":<the message>}.
	botAPI, botURL := newRecorder(t)
	botAPI.answer, botAPI.answerBody = http.StatusOK, `{"ok":true,"result":{"message_id":1}}`
	const botToken = "123456789:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw_"
	r := startRelay(t, map[string]string{
		"CALLBACK_TOKEN": testToken, "WEBHOOK_URL": hookURL, "WEBHOOK_SECRET": testSecret, "SLACK_WEBHOOK_URL": slackURL,
		"TELEGRAM_BOT_TOKEN": botToken, "TELEGRAM_CHAT_ID": "-1001234567890", "TELEGRAM_API_URL": botURL,
	})
	// A visitor who writes Slack's mention and link syntax must not ping
	// the channel nor make a link.
	hostile := []byte(`{"event":"first_message","data":{"id":99,"client_name":"<!channel> Eve <@U123> <https://evil.example|your invoice>"}}`)
	bodies := map[string][]byte{}
	for _, typ := range nicechat.KnownTypes {
		bodies[typ] = fixtures.Body(typ)
	}
	bodies["hostile"] = hostile
	for name, body := range bodies {
		if status, resp := r.post(t, body); status != http.StatusAccepted {
			t.Fatalf("%s: status %d %s", name, status, resp)
		}
	}

	eventually(t, "the webhook got every event", func() bool { return len(hook.all()) >= len(bodies) })
	verify, err := standardwebhooks.NewWebhook(testSecret)
	if err != nil {
		t.Fatal(err)
	}
	delivered := map[string]bool{}
	for _, got := range hook.all() {
		if err := verify.Verify(got.body, got.header); err != nil {
			t.Errorf("webhook %s: signature: %v", got.header.Get("X-NiceChat-Event"), err)
		}
		for name, body := range bodies {
			if bytes.Equal(got.body, body) {
				delivered[name] = true
			}
		}
	}
	for name := range bodies {
		if !delivered[name] {
			t.Errorf("the webhook never got %s's body byte for byte", name)
		}
	}

	eventually(t, "Slack got a post per human event", func() bool { return len(slackSink.all()) >= len(humanTypes)+1 })
	var hostileTexts []string
	for _, got := range slackSink.all() {
		if strings.Contains(string(got.body), "Eve") {
			hostileTexts = mrkdwnTexts(t, got.body)
		}
	}
	if len(hostileTexts) == 0 {
		t.Fatal("no Slack post for the hostile event")
	}
	escaped := false
	for _, text := range hostileTexts {
		for _, raw := range []string{"<!channel>", "<https://evil.example", "<@U123>"} {
			if strings.Contains(text, raw) {
				t.Errorf("a Slack text Slack parses carries the visitor's %q unescaped: %q", raw, text)
			}
		}
		escaped = escaped || strings.Contains(text, "&lt;!channel&gt; Eve")
	}
	if !escaped {
		t.Errorf("no Slack text shows the visitor's name escaped: %q", hostileTexts)
	}

	eventually(t, "Telegram got a message per human event", func() bool { return len(botAPI.all()) >= len(humanTypes)+1 })
	var hostileMessage string
	for _, got := range botAPI.all() {
		if got.path != "/bot"+botToken+"/sendMessage" {
			t.Errorf("the Bot API got a request for %s", got.path)
		}
		var m struct {
			ChatID    int64  `json:"chat_id"`
			Text      string `json:"text"`
			ParseMode string `json:"parse_mode"`
		}
		if err := json.Unmarshal(got.body, &m); err != nil || m.ChatID != -1001234567890 || m.ParseMode != "HTML" {
			t.Errorf("sendMessage body %s: %v", got.body, err)
		}
		if strings.Contains(m.Text, "Eve") {
			hostileMessage = m.Text
		}
	}
	if !strings.Contains(hostileMessage, "&lt;!channel&gt; Eve &lt;@U123&gt; &lt;https://evil.example|your invoice&gt;") || strings.Contains(hostileMessage, "evil.example\"") {
		t.Errorf("Telegram's message for the hostile visitor does not show the name as escaped text: %q", hostileMessage)
	}
	if secret, _, _ := strings.Cut(botToken, ":"); strings.Contains(r.logs.String(), botToken) || strings.Contains(r.logs.String(), secret+":") {
		t.Errorf("the relay logged the bot token")
	}
	for _, c := range r.apiStatus(t).Channels {
		if strings.Contains(c.Target, botToken) {
			t.Errorf("the status shows the bot token in %s's target %q", c.Channel, c.Target)
		}
	}

	outbox := filepath.Join(r.dataDir, "outbox")
	var subjects []string
	eventually(t, "the outbox has an email per human event", func() bool {
		subjects = emlSubjects(t, outbox)
		return len(subjects) >= len(humanTypes)+1
	})
	wantSubjects := []string{
		"Angry lead: Visitor #725 from Kryvyy Rih",
		"Form filled: There are no operators available now",
		"Hot lead: <!channel> Eve <@U123> <https://evil.example|your invoice>", // email has no mention syntax
		"Hot lead: Visitor #725 from Kryvyy Rih",
		"New order #23: 1,000.00 UAH",
	}
	slices.Sort(subjects)
	if !slices.Equal(subjects, wantSubjects) {
		t.Errorf("outbox subjects:\n%q\nwant\n%q", subjects, wantSubjects)
	}
}

// mrkdwnTexts are the texts of a Slack payload that Slack parses for
// mentions and links: the fallback text and every mrkdwn text object.
// plain_text objects are shown as they are.
func mrkdwnTexts(t *testing.T, payload []byte) []string {
	t.Helper()
	var texts []string
	var walk func(v any)
	walk = func(v any) {
		switch v := v.(type) {
		case map[string]any:
			if v["type"] == "mrkdwn" {
				if s, ok := v["text"].(string); ok {
					texts = append(texts, s)
				}
			}
			for _, child := range v {
				walk(child)
			}
		case []any:
			for _, child := range v {
				walk(child)
			}
		}
	}
	var doc map[string]any
	if err := json.Unmarshal(payload, &doc); err != nil {
		t.Fatalf("the Slack payload is not JSON: %v", err)
	}
	if s, ok := doc["text"].(string); ok {
		texts = append(texts, s)
	}
	walk(doc)
	return texts
}

// emlSubjects reads the Subject of every .eml file in dir, decoded.
func emlSubjects(t *testing.T, dir string) []string {
	t.Helper()
	var subjects []string
	for _, m := range outboxMessages(t, dir) {
		s, err := new(mime.WordDecoder).DecodeHeader(m.Header.Get("Subject"))
		if err != nil {
			t.Fatalf("subject: %v", err)
		}
		subjects = append(subjects, s)
	}
	return subjects
}

// outboxMessages parses every .eml file the outbox holds.
func outboxMessages(t *testing.T, dir string) []*mail.Message {
	t.Helper()
	files, _ := filepath.Glob(filepath.Join(dir, "*.eml"))
	var out []*mail.Message
	for _, f := range files {
		raw, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		m, err := mail.ReadMessage(bytes.NewReader(raw))
		if err != nil {
			t.Fatalf("%s is not a mail message: %v", f, err)
		}
		out = append(out, m)
	}
	return out
}

func TestRelayStatusShowsDeliveriesAndDeadLettersWithTheirReason(t *testing.T) {
	hook, hookURL := newRecorder(t)
	hook.answer = http.StatusUnprocessableEntity // permanent: dead-lettered on the first attempt
	r := startRelay(t, map[string]string{"CALLBACK_TOKEN": testToken, "WEBHOOK_URL": hookURL})
	if status, body := r.post(t, fixtures.Body("first_message")); status != http.StatusAccepted {
		t.Fatalf("status %d %s", status, body)
	}
	var webhook channelStatus
	eventually(t, "the webhook's dead letter shows and the message left the queue", func() bool {
		for _, c := range r.apiStatus(t).Channels {
			if c.Channel == "webhook" {
				webhook = c
			}
		}
		return len(webhook.LatestDeadLetters) == 1 && webhook.DeadLettered == 1 && webhook.Queue.InFlight == 0
	})
	l := webhook.LatestDeadLetters[0]
	if l.Event != "first_message" || l.FailureClass != "permanent" || l.LastStatus != "422" || !strings.Contains(l.LastError, "422") {
		t.Errorf("dead letter = %+v, want first_message, permanent, 422 and the reason", l)
	}
	if webhook.DeadLettered != 1 || webhook.Delivered != 0 || webhook.DLQ.Visible != 1 || webhook.Queue.Visible+webhook.Queue.InFlight != 0 {
		t.Errorf("webhook counts = %+v", webhook)
	}

	var email channelStatus
	eventually(t, "the email channel counts a delivery", func() bool {
		s := r.apiStatus(t)
		for _, c := range s.Channels {
			if c.Channel == "email" {
				email = c
			}
		}
		return email.Delivered == 1 && email.Files != nil && email.Files.Files == 1
	})

	resp, err := http.Get(r.admin + "/")
	if err != nil {
		t.Fatal(err)
	}
	page, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if ct := resp.Header.Get("Content-Type"); !strings.HasPrefix(ct, "text/html") {
		t.Errorf("GET / Content-Type = %q", ct)
	}
	for _, want := range []string{l.EventID, "permanent", "422", "outbox"} {
		if !strings.Contains(string(page), want) {
			t.Errorf("the status page does not show %q", want)
		}
	}
	for _, external := range []string{"<script", "src=\"http", "href=\"http"} {
		if strings.Contains(string(page), external) {
			t.Errorf("the status page loads an external asset: %q", external)
		}
	}
}

func TestRelayAnswersLikeAPIGateway(t *testing.T) {
	r := startRelay(t, map[string]string{"CALLBACK_TOKEN": testToken})
	tests := []struct {
		name, method, path, body string
		status                   int
	}{
		{"the configured token", "POST", "/callback/" + testToken, `{"event":"new_chat","data":{"id":1}}`, 202},
		{"a wrong token", "POST", "/callback/" + testToken + "x", `{"event":"new_chat","data":{"id":1}}`, 401},
		{"a bad body", "POST", "/callback/" + testToken, `{"event":"new_chat"}`, 400},
		{"not JSON", "POST", "/callback/" + testToken, `<xml/>`, 400},
		{"a GET on the callback route: 405, Allow: POST, as in AWS", "GET", "/callback/" + testToken, ``, 405},
		{"an unknown path", "POST", "/elsewhere", `{}`, 404},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req, _ := http.NewRequest(tt.method, r.base+tt.path, strings.NewReader(tt.body))
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode != tt.status {
				t.Errorf("status %d, want %d", resp.StatusCode, tt.status)
			}
		})
	}
}

func TestRelayGeneratesAndKeepsATokenWithoutLoggingIt(t *testing.T) {
	dir := t.TempDir()
	first := startRelay(t, map[string]string{"RELAY_DATA_DIR": dir})
	info, err := os.Stat(filepath.Join(dir, tokenFile))
	if err != nil {
		t.Fatalf("no token file: %v", err)
	}
	if info.Mode().Perm() != 0o600 {
		t.Errorf("token file mode %v, want 0600", info.Mode().Perm())
	}
	if len(first.token) < 24 {
		t.Errorf("generated token %q is shorter than ingest accepts", first.token)
	}
	if status, body := first.post(t, fixtures.Body("new_chat")); status != http.StatusAccepted {
		t.Fatalf("the generated token is refused: %d %s", status, body)
	}
	var banner bytes.Buffer
	first.banner(&banner)
	for _, want := range []string{first.base + "/callback/" + first.token, first.admin + "/", "RELAY_DATA_DIR=" + dir + " make demo"} {
		if !strings.Contains(banner.String(), want) {
			t.Errorf("the banner does not show %q:\n%s", want, banner.String())
		}
	}
	first.stop()
	if strings.Contains(first.logs.String(), first.token) {
		t.Error("the token appears in the log")
	}

	second := startRelay(t, map[string]string{"RELAY_DATA_DIR": dir})
	if second.token != first.token {
		t.Errorf("after a restart the token changed: %q, then %q", first.token, second.token)
	}
}

func TestRelayRefusesAnInvalidConfigurationNamingTheVariable(t *testing.T) {
	tests := []struct{ name, variable, value, want string }{
		{"a webhook URL that is not a URL", "WEBHOOK_URL", "not a url", "WEBHOOK_URL"},
		{"a MAX_ATTEMPTS that is not a number", "MAX_ATTEMPTS", "many", "MAX_ATTEMPTS"},
		{"a MAX_ATTEMPTS out of range", "MAX_ATTEMPTS", "5000", "MAX_ATTEMPTS"},
		{"an email recipient that is not an address", "EMAIL_TO", "nobody", "EMAIL_TO"},
		{"a typo in an event list", "WEBHOOK_EVENTS", "first_mesage", "WEBHOOK_EVENTS"},
		{"a short token", "CALLBACK_TOKEN", "short", "CALLBACK_TOKEN"},
		{"an unknown email mode", "RELAY_EMAIL", "pigeon", "RELAY_EMAIL"},
		{"a grace period that is not a duration", "RELAY_SHUTDOWN_GRACE", "soon", "RELAY_SHUTDOWN_GRACE"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			env := freeAddrs(t, map[string]string{"RELAY_DATA_DIR": t.TempDir(), tt.variable: tt.value})
			r, err := start(context.Background(), lookupIn(env), slog.New(slog.NewJSONHandler(io.Discard, nil)))
			if err == nil {
				r.store.Close()
				t.Fatalf("start(%s=%q) succeeded", tt.variable, tt.value)
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("start(%s=%q) = %v, want an error naming %s", tt.variable, tt.value, err, tt.want)
			}
		})
	}
}

func TestASecondRelayOnTheSameDataIsRefused(t *testing.T) {
	dir := t.TempDir()
	first := startRelay(t, map[string]string{"RELAY_DATA_DIR": dir, "CALLBACK_TOKEN": testToken})
	env := freeAddrs(t, map[string]string{"RELAY_DATA_DIR": dir, "CALLBACK_TOKEN": testToken})
	_, err := start(context.Background(), lookupIn(env), slog.New(slog.NewJSONHandler(io.Discard, nil)))
	if err == nil || !strings.Contains(err.Error(), dir) {
		t.Fatalf("a second relay on %s: %v, want an error naming the directory", dir, err)
	}
	// make demo and relayctl still find the first.
	if found, err := localrelay.Find(dir); err != nil || found.AdminURL != first.admin || found.CallbackURL != first.base {
		t.Errorf("the data directory names %+v (%v), want the first relay's %s and %s", found, err, first.base, first.admin)
	}
}

// make demo and relayctl find a running relay from its data directory;
// a relay that stopped, cleanly or killed, is found by neither.
func TestRelaySaysWhereItListensInItsDataDirectoryWhileItRuns(t *testing.T) {
	dir := t.TempDir()
	r := startRelay(t, map[string]string{"RELAY_DATA_DIR": dir, "CALLBACK_TOKEN": testToken})
	found, err := localrelay.Find(dir)
	if err != nil {
		t.Fatal(err)
	}
	if found.CallbackURL != r.base || found.AdminURL != r.admin || found.PID != os.Getpid() {
		t.Errorf("found %+v, want %s, %s and this process", found, r.base, r.admin)
	}
	r.stop()
	if _, err := localrelay.Find(dir); !errors.Is(err, localrelay.ErrNotRunning) {
		t.Errorf("after a clean stop: %v, want ErrNotRunning", err)
	}
}

func TestDemoPostsEveryFixture(t *testing.T) {
	r := startRelay(t, map[string]string{})
	env := map[string]string{"RELAY_DATA_DIR": r.dataDir} // as the banner says: the relay is found from its data directory
	var out, errOut bytes.Buffer
	if code := demo(context.Background(), func(k string) string { return env[k] }, &out, &errOut); code != 0 {
		t.Fatalf("demo exited %d: %s%s", code, out.String(), errOut.String())
	}
	for _, name := range fixtures.Names() {
		want := " 202 "
		if strings.HasPrefix(name, "invalid_") {
			want = " 400 "
		}
		if !strings.Contains(out.String(), name) || !strings.Contains(lineOf(out.String(), name), want) {
			t.Errorf("demo output has no %q line for %s:\n%s", want, name, out.String())
		}
	}
	if !strings.Contains(out.String(), "See what happened: "+r.admin+"/") {
		t.Errorf("demo does not point at the status page on %s:\n%s", r.admin, out.String())
	}
	eventually(t, "the built-in sink got the six events", func() bool {
		return r.apiStatus(t).Sink.Received >= len(nicechat.KnownTypes)
	})
	s := r.apiStatus(t)
	if s.Quarantine.Visible != 2 || len(s.Quarantine.Latest) != 2 {
		t.Fatalf("quarantine = %+v, want the 2 malformed vendor examples", s.Quarantine)
	}
	for _, q := range s.Quarantine.Latest {
		if q.Status != "400" || !strings.Contains(q.Reason, "not valid JSON") || q.EventID == "" {
			t.Errorf("quarantined = %+v, want 400 with the reason", q)
		}
	}
}

func TestDemoSaysToStartTheRelayFirst(t *testing.T) {
	killed := t.TempDir() // what a relay killed with kill -9 leaves
	if err := localrelay.Write(killed, localrelay.Info{PID: exitedPID(t), CallbackURL: "http://" + localaws.FreeAddr(t), AdminURL: "http://" + localaws.FreeAddr(t)}); err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		name string
		env  map[string]string
		want string
	}{
		{"no relay ever ran on the data directory", map[string]string{"RELAY_DATA_DIR": t.TempDir()}, "make run"},
		{"the relay was killed", map[string]string{"RELAY_DATA_DIR": killed}, "has stopped"},
		{"nothing listens on RELAY_ADDR", map[string]string{"RELAY_ADDR": localaws.FreeAddr(t), "RELAY_DATA_DIR": t.TempDir()}, "make run"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			var out, errOut bytes.Buffer
			if code := demo(context.Background(), func(k string) string { return tt.env[k] }, &out, &errOut); code != 1 {
				t.Fatalf("demo exited %d, want 1", code)
			}
			if !strings.Contains(errOut.String(), tt.want) || !strings.Contains(errOut.String(), "make run") {
				t.Errorf("demo's error does not say %q and to start the relay: %s", tt.want, errOut.String())
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

func lineOf(text, prefix string) string {
	for line := range strings.Lines(text) {
		if strings.HasPrefix(line, prefix+" ") {
			return line
		}
	}
	return ""
}

// relayctl dlq show, without --channel, searches every channel's DLQ.
func TestEveryChannelsQueuesExistEvenWhenTheChannelIsOff(t *testing.T) {
	r := startRelay(t, map[string]string{"CALLBACK_TOKEN": testToken}) // no SLACK_WEBHOOK_URL
	for _, c := range r.apiStatus(t).Channels {
		if c.Channel == "slack" && (c.On || !strings.Contains(c.Target, "SLACK_WEBHOOK_URL")) {
			t.Errorf("slack without SLACK_WEBHOOK_URL = %+v, want off, naming the variable", c)
		}
	}
	for _, name := range []string{"webhook", "webhook-dlq", "email", "email-dlq", "slack", "slack-dlq", "quarantine"} {
		if _, err := r.store.Stats(name); err != nil {
			t.Errorf("queue %s: %v", name, err)
		}
	}
}

func TestRelaySendsEmailWithSESWhenItIsSetUp(t *testing.T) {
	for _, kv := range localaws.Env(t) { // starts the local SES first: it must not inherit these
		k, v, _ := strings.Cut(kv, "=")
		t.Setenv(k, v)
	}
	t.Setenv("AWS_PROFILE", "")
	t.Setenv("AWS_CONFIG_FILE", "/nonexistent/aws-config")
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", "/nonexistent/aws-credentials")
	const from, to = "relay@example.com", "ops-ses@example.com"
	if _, err := localaws.SES(t).VerifyEmailIdentity(context.Background(), &ses.VerifyEmailIdentityInput{EmailAddress: aws.String(from)}); err != nil {
		t.Fatal(err)
	}
	r := startRelay(t, map[string]string{"CALLBACK_TOKEN": testToken, "EMAIL_FROM": from, "EMAIL_TO": to})
	if status, body := r.post(t, fixtures.Body("first_message")); status != http.StatusAccepted {
		t.Fatalf("status %d %s", status, body)
	}
	eventually(t, "SES sent the email", func() bool { return len(localaws.SentEmails(t, to)) == 1 })
	if files := emlSubjects(t, filepath.Join(r.dataDir, "outbox")); len(files) != 0 {
		t.Errorf("the email was also written to the outbox: %q", files)
	}
	for _, c := range r.apiStatus(t).Channels {
		if c.Channel == "email" && !strings.Contains(c.Target, "SES") {
			t.Errorf("email target = %q, want SES", c.Target)
		}
	}
}

func TestRelayDeliversACallbackSentTwiceOncePerChannel(t *testing.T) {
	hook, hookURL := newRecorder(t)
	slackSink, slackURL := newRecorder(t)
	r := startRelay(t, map[string]string{"CALLBACK_TOKEN": testToken, "WEBHOOK_URL": hookURL, "SLACK_WEBHOOK_URL": slackURL, "RELAY_EMAIL": "outbox"})
	body := fixtures.Body("first_message")
	if status, resp := r.post(t, body); status != http.StatusAccepted {
		t.Fatalf("status %d %s", status, resp)
	}
	eventually(t, "the webhook and Slack have it", func() bool { return len(hook.all()) == 1 && len(slackSink.all()) == 1 })
	// Nice Chat sends it again.
	if status, resp := r.post(t, body); status != http.StatusAccepted {
		t.Fatalf("status %d %s", status, resp)
	}
	var st relayStatus
	eventually(t, "every channel skips the second as a duplicate", func() bool {
		st = r.apiStatus(t)
		for _, c := range st.Channels {
			if c.On && c.Duplicates != 1 {
				return false
			}
		}
		return true
	})
	for _, c := range st.Channels {
		if c.On && c.Delivered != 1 {
			t.Errorf("%s delivered %d, want 1", c.Channel, c.Delivered)
		}
	}
	if n, m := len(hook.all()), len(slackSink.all()); n != 1 || m != 1 {
		t.Errorf("the webhook got %d, Slack %d; want 1 each", n, m)
	}
	if files := emlSubjects(t, filepath.Join(r.dataDir, "outbox")); len(files) != 1 {
		t.Errorf("the outbox holds %d emails, want 1", len(files))
	}
}

func TestRelayPausesAMisconfiguredChannelAndResumesIt(t *testing.T) {
	hook, hookURL := newRecorder(t)
	hook.mu.Lock()
	hook.answer = http.StatusGone // the endpoint says: stop sending
	hook.mu.Unlock()
	dataDir := t.TempDir()
	env := map[string]string{"CALLBACK_TOKEN": testToken, "WEBHOOK_URL": hookURL, "RELAY_EMAIL": "outbox", "RELAY_DATA_DIR": dataDir}
	r := startRelay(t, env)
	for _, typ := range nicechat.KnownTypes {
		if status, resp := r.post(t, fixtures.Body(typ)); status != http.StatusAccepted {
			t.Fatalf("status %d %s", status, resp)
		}
	}
	webhookOf := func(s relayStatus) channelStatus {
		for _, c := range s.Channels {
			if c.Channel == "webhook" {
				return c
			}
		}
		t.Fatal("no webhook channel in the status")
		return channelStatus{}
	}
	var w channelStatus
	eventually(t, "the webhook channel pauses", func() bool { w = webhookOf(r.apiStatus(t)); return w.Paused })
	if !strings.Contains(w.PausedReason, "WEBHOOK_URL") || w.DLQ.Total() != 0 || w.DeadLettered != 0 {
		t.Errorf("paused webhook = %+v, want the setting named in the reason and nothing dead-lettered", w)
	}
	eventually(t, "every event waits in the queue", func() bool {
		w = webhookOf(r.apiStatus(t))
		return w.Queue.Total() == len(nicechat.KnownTypes)
	})
	resp, err := http.Get(r.admin + "/")
	if err != nil {
		t.Fatal(err)
	}
	page, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	for _, want := range []string{"PAUSED", "channel resume --relay " + r.admin + " --channel webhook"} {
		if !strings.Contains(string(page), want) {
			t.Errorf("the status page does not show %q", want)
		}
	}

	// A restart keeps it paused, as a disabled event source mapping stays.
	r.stop()
	hook.mu.Lock()
	hook.answer = 0 // fixed
	hook.mu.Unlock()
	r = startRelay(t, env)
	if w := webhookOf(r.apiStatus(t)); !w.Paused {
		t.Fatalf("after a restart the webhook is %+v, want still paused", w)
	}
	post, err := http.Post(r.admin+"/api/channels/webhook/resume", "", nil)
	if err != nil {
		t.Fatal(err)
	}
	post.Body.Close()
	if post.StatusCode != http.StatusOK {
		t.Fatalf("resume answered %d", post.StatusCode)
	}
	eventually(t, "every event is delivered once resumed", func() bool {
		w = webhookOf(r.apiStatus(t))
		return !w.Paused && w.Delivered == int64(len(nicechat.KnownTypes)) && w.Queue.Total() == 0
	})
	delivered := map[string]int{}
	for _, got := range hook.all() {
		if got.header.Get("webhook-id") != "" && len(got.body) > 0 {
			delivered[string(got.body)]++
		}
	}
	if len(delivered) != len(nicechat.KnownTypes) {
		t.Errorf("the endpoint has %d distinct events, want %d", len(delivered), len(nicechat.KnownTypes))
	}
}

func TestAFailedStartLeavesNoDataFolderBehind(t *testing.T) {
	taken, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer taken.Close()
	tests := []struct {
		name, addr, variable, value string
		nested                      bool
	}{
		{"an invalid setting", "", "WEBHOOK_URL", "not a url", false},
		{"an invalid setting, in folders that did not exist", "", "WEBHOOK_URL", "not a url", true},
		{"an address in use", taken.Addr().String(), "", "", false},
		{"an admin address in use", "", "RELAY_ADMIN_ADDR", taken.Addr().String(), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			parent := t.TempDir()
			dir, first := filepath.Join(parent, "var2"), filepath.Join(parent, "var2")
			if tt.nested {
				first = filepath.Join(parent, "a")
				dir = filepath.Join(first, "b", "var2")
			}
			env := freeAddrs(t, map[string]string{"RELAY_DATA_DIR": dir})
			if tt.addr != "" {
				env["RELAY_ADDR"] = tt.addr
			}
			if tt.variable != "" {
				env[tt.variable] = tt.value
			}
			if r, err := start(context.Background(), lookupIn(env), slog.New(slog.DiscardHandler)); err == nil {
				r.store.Close()
				t.Fatal("the start succeeded")
			}
			if _, err := os.Stat(first); !errors.Is(err, os.ErrNotExist) {
				t.Errorf("after the failed start %s exists (%v)", first, err)
			}
		})
	}
}

func TestAFailedStartKeepsADataFolderThatWasThere(t *testing.T) {
	dir := t.TempDir()
	keep := filepath.Join(dir, "mine.txt")
	if err := os.WriteFile(keep, []byte("x"), 0o600); err != nil {
		t.Fatal(err)
	}
	env := freeAddrs(t, map[string]string{"RELAY_DATA_DIR": dir, "WEBHOOK_URL": "not a url"})
	if r, err := start(context.Background(), lookupIn(env), slog.New(slog.DiscardHandler)); err == nil {
		r.store.Close()
		t.Fatal("the start succeeded")
	}
	if _, err := os.Stat(keep); err != nil {
		t.Errorf("the failed start removed what was in %s: %v", dir, err)
	}
}

func TestAnEventListSetEmptyTurnsItsChannelOff(t *testing.T) {
	tests := []struct {
		name    string
		env     map[string]string
		off     []string // channels off, naming the variable
		routed  string   // where a first_message goes
		wantErr string
	}{
		{"WEBHOOK_EVENTS empty", map[string]string{"WEBHOOK_EVENTS": ""}, []string{"webhook"}, `"channels":["email:human"]`, ""},
		{"EMAIL_HUMAN_EVENTS empty", map[string]string{"EMAIL_HUMAN_EVENTS": ""}, []string{"email"}, `"channels":["webhook"]`, ""},
		{"every list empty", map[string]string{"WEBHOOK_EVENTS": "", "EMAIL_HUMAN_EVENTS": ""}, nil, "", "no channel is enabled"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.env["CALLBACK_TOKEN"] = testToken
			tt.env["RELAY_EMAIL"] = "outbox"
			if tt.wantErr != "" {
				freeAddrs(t, tt.env)["RELAY_DATA_DIR"] = t.TempDir()
				r, err := start(context.Background(), lookupIn(tt.env), slog.New(slog.DiscardHandler))
				if err == nil {
					r.store.Close()
					t.Fatal("the start succeeded")
				}
				if !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("start: %v, want %q", err, tt.wantErr)
				}
				return
			}
			r := startRelay(t, tt.env)
			for _, c := range r.apiStatus(t).Channels {
				if slices.Contains(tt.off, c.Channel) && (c.On || !strings.Contains(c.Target, "EVENTS")) {
					t.Errorf("%s = on %v, target %q; want off, naming its event list", c.Channel, c.On, c.Target)
				}
			}
			if status, body := r.post(t, fixtures.Body("first_message")); status != http.StatusAccepted || !strings.Contains(body, tt.routed) {
				t.Errorf("first_message: %d %s, want 202 routed %s", status, body, tt.routed)
			}
		})
	}
}
