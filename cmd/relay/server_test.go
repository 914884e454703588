package main

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"

	fixtures "github.com/nicechat-relay/nicechat-relay/events"
	"github.com/nicechat-relay/nicechat-relay/shared/ingest"
)

// rawRequest opens a connection to the relay and writes head (a request
// line and headers, perhaps part of a body); the test writes the rest.
func rawRequest(t *testing.T, base, head string) net.Conn {
	t.Helper()
	conn, err := net.Dial("tcp", strings.TrimPrefix(base, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	if _, err := io.WriteString(conn, head); err != nil {
		t.Fatal(err)
	}
	return conn
}

// callbackHead is the head of a callback declaring a body of length bytes.
func callbackHead(token string, length int) string {
	return fmt.Sprintf("POST /callback/%s HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n", token, length)
}

// answerWithin reads the relay's answer on conn, failing the test when
// none comes within d.
func answerWithin(t *testing.T, conn net.Conn, d time.Duration) (*http.Response, string) {
	t.Helper()
	_ = conn.SetReadDeadline(time.Now().Add(d))
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		t.Fatalf("no answer within %v: %v", d, err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp, string(body)
}

func TestOperatorSurfacesAreServedOnlyToARequestFromAndNamingThisMachine(t *testing.T) {
	r := &relay{log: slog.New(slog.DiscardHandler), base: "http://127.0.0.1:8080"}
	ok := http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(http.StatusOK) })
	tests := []struct {
		name, remote, host string
		header             http.Header
		want               int
	}{
		{"relayctl and the SQS client", "127.0.0.1:40000", "127.0.0.1:8080", nil, http.StatusOK},
		{"a browser on localhost", "127.0.0.1:40000", "localhost:8080", nil, http.StatusOK},
		{"localhost in capitals, another port", "127.0.0.1:40000", "LOCALHOST:9999", nil, http.StatusOK},
		{"a loopback address without a port", "127.0.0.1:40000", "127.0.0.1", nil, http.StatusOK},
		{"IPv6 loopback", "[::1]:40000", "[::1]:8080", nil, http.StatusOK},
		{"IPv6 loopback without a port", "[::1]:40000", "[::1]", nil, http.StatusOK},
		{"another machine", "192.0.2.10:40000", "127.0.0.1:8080", nil, http.StatusForbidden},
		{"another machine over IPv6", "[2001:db8::1]:40000", "127.0.0.1:8080", nil, http.StatusForbidden},
		{"a peer address that does not parse", "garbage", "127.0.0.1:8080", nil, http.StatusForbidden},
		{"a tunnel or DNS rebinding", "127.0.0.1:40000", "attacker.example", nil, http.StatusForbidden},
		{"DNS rebinding on the relay's port", "127.0.0.1:40000", "attacker.example:8080", nil, http.StatusForbidden},
		{"a name that resolves to loopback", "127.0.0.1:40000", "127.0.0.1.nip.io:8080", nil, http.StatusForbidden},
		{"a name that starts with localhost", "127.0.0.1:40000", "localhost.attacker.example", nil, http.StatusForbidden},
		{"no Host at all", "127.0.0.1:40000", "", nil, http.StatusForbidden},
		{"a tunnel that rewrites Host", "127.0.0.1:40000", "localhost:8080", http.Header{"X-Forwarded-For": {"203.0.113.7"}}, http.StatusForbidden},
		{"a proxy's Forwarded header", "127.0.0.1:40000", "127.0.0.1:8080", http.Header{"Forwarded": {"for=203.0.113.7"}}, http.StatusForbidden},
		{"Cloudflare's tunnel", "127.0.0.1:40000", "127.0.0.1:8080", http.Header{"Cf-Connecting-Ip": {"203.0.113.7"}}, http.StatusForbidden},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req := httptest.NewRequest(http.MethodGet, "/api/status", nil)
			req.RemoteAddr, req.Host = tt.remote, tt.host
			for k, v := range tt.header {
				req.Header[k] = v
			}
			rec := httptest.NewRecorder()
			r.thisMachineOnly(ok).ServeHTTP(rec, req)
			if rec.Code != tt.want {
				t.Fatalf("status %d, want %d", rec.Code, tt.want)
			}
			if tt.want == http.StatusForbidden {
				wantOneLineReason(t, rec.Body.String())
			}
		})
	}
}

// wantOneLineReason checks a refusal's body: one line of JSON with an error.
func wantOneLineReason(t *testing.T, body string) {
	t.Helper()
	var refusal struct {
		Error string `json:"error"`
	}
	if err := json.Unmarshal([]byte(body), &refusal); err != nil || refusal.Error == "" || strings.Count(strings.TrimSpace(body), "\n") != 0 {
		t.Errorf("body %q, want one line of JSON with an error", body)
	}
}

func TestEveryOperatorRouteRefusesARequestNamingAnotherHost(t *testing.T) {
	_, hookURL := newRecorder(t) // the webhook does not use the sink: it receives only what the test posts
	r := startRelay(t, map[string]string{"CALLBACK_TOKEN": testToken, "WEBHOOK_URL": hookURL})
	routes := []struct {
		name, method, path, body string
		header                   map[string]string
		want                     int // answered to this machine
	}{
		{"the status page", "GET", "/", "", nil, http.StatusOK},
		{"the status", "GET", "/api/status", "", nil, http.StatusOK},
		{"the SQS API", "POST", "/sqs", `{"QueueName":"webhook"}`,
			map[string]string{"Content-Type": "application/x-amz-json-1.0", "X-Amz-Target": "AmazonSQS.GetQueueUrl"}, http.StatusOK},
		{"a channel's switch", "POST", "/api/channels/webhook/resume", "", nil, http.StatusOK},
		{"the built-in sink", "POST", "/_sink", `{"event":"new_chat","data":{"id":1}}`, map[string]string{"X-NiceChat-Event": "new_chat"}, http.StatusNoContent},
	}
	for _, tt := range routes {
		for _, host := range []string{"attacker.example", strings.TrimPrefix(r.base, "http://")} {
			t.Run(tt.name+" for Host "+host, func(t *testing.T) {
				req, _ := http.NewRequest(tt.method, r.base+tt.path, strings.NewReader(tt.body))
				req.Host = host
				for k, v := range tt.header {
					req.Header.Set(k, v)
				}
				resp, err := http.DefaultClient.Do(req)
				if err != nil {
					t.Fatal(err)
				}
				body, _ := io.ReadAll(resp.Body)
				resp.Body.Close()
				want := tt.want
				if host == "attacker.example" {
					want = http.StatusForbidden
				}
				if resp.StatusCode != want {
					t.Fatalf("status %d, want %d: %s", resp.StatusCode, want, body)
				}
				if want == http.StatusForbidden {
					wantOneLineReason(t, string(body))
				}
			})
		}
	}
	if got := r.apiStatus(t).Sink.Received; got != 1 {
		t.Errorf("the sink counts %d receipts, want only the one posted from this machine", got)
	}

	// Nice Chat, through the tunnel, still reaches the callback route.
	req, _ := http.NewRequest(http.MethodPost, r.base+"/callback/"+testToken, strings.NewReader(string(fixtures.Body("new_chat"))))
	req.Host = "relay.tunnel.example"
	req.Header.Set("X-Forwarded-For", "203.0.113.7")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusAccepted {
		t.Errorf("a callback through a tunnel: status %d, want 202", resp.StatusCode)
	}
}

func TestRelayAnswersAWrongTokenBeforeReadingTheBody(t *testing.T) {
	r := startRelay(t, map[string]string{"CALLBACK_TOKEN": testToken})
	// 9 MiB declared, none sent: only an answer given without the body
	// can arrive.
	conn := rawRequest(t, r.base, callbackHead(testToken+"x", 9<<20))
	resp, body := answerWithin(t, conn, 5*time.Second)
	if resp.StatusCode != http.StatusUnauthorized || !strings.Contains(body, "unauthorized") {
		t.Errorf("answer %d %s, want ingest's 401", resp.StatusCode, body)
	}
}

func TestRelayReadsAnAuthenticatedBodyOnlyUpToMaxBodyBytes(t *testing.T) {
	tests := []struct {
		name, maxBodyBytes string
		limit              int
	}{
		{"the default limit", "", ingest.DefaultMaxBodyBytes},
		{"MAX_BODY_BYTES", "4096", 4096},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			env := map[string]string{"CALLBACK_TOKEN": testToken}
			if tt.maxBodyBytes != "" {
				env["MAX_BODY_BYTES"] = tt.maxBodyBytes
			}
			r := startRelay(t, env)

			// A body of exactly the limit is read whole and accepted.
			atLimit := []byte(`{"event":"new_chat","data":{"id":1},"pad":"`)
			atLimit = append(atLimit, strings.Repeat("x", tt.limit-len(atLimit)-2)...)
			atLimit = append(atLimit, `"}`...)
			if status, body := r.post(t, atLimit); status != http.StatusAccepted {
				t.Fatalf("a body of %d bytes: %d %s, want 202", len(atLimit), status, body)
			}

			// One declaring 9 MiB gets its 413 once a little more than
			// the limit has arrived; the rest is never sent.
			conn := rawRequest(t, r.base, callbackHead(testToken, 9<<20))
			go func() { _, _ = conn.Write([]byte(strings.Repeat("y", tt.limit+64<<10))) }()
			resp, body := answerWithin(t, conn, 10*time.Second)
			if resp.StatusCode != http.StatusRequestEntityTooLarge || !strings.Contains(body, "over the") {
				t.Fatalf("answer %d %s, want ingest's 413", resp.StatusCode, body)
			}
			eventually(t, "the quarantine keeps the refused body", func() bool {
				q := r.apiStatus(t).Quarantine
				return len(q.Latest) == 1 && q.Latest[0].Status == "413"
			})
		})
	}
}

func TestRelayAnswersABodyThatEndsBeforeItsContentLengthWith400(t *testing.T) {
	r := startRelay(t, map[string]string{"CALLBACK_TOKEN": testToken})
	conn := rawRequest(t, r.base, callbackHead(testToken, 100)+`{"event":"new_chat",`) // 20 of 100 bytes
	if err := conn.(*net.TCPConn).CloseWrite(); err != nil {
		t.Fatal(err)
	}
	resp, body := answerWithin(t, conn, 5*time.Second)
	if resp.StatusCode != http.StatusBadRequest || !strings.Contains(body, "ended before its Content-Length") {
		t.Errorf("answer %d %s, want 400 saying the body ended early", resp.StatusCode, body)
	}
}

// shortLimits are the server's limits shortened for a test.
func shortLimits(change func(*limits)) limits {
	lim := defaultLimits
	change(&lim)
	return lim
}

func TestRelayCutsABodyTricklingInAtItsReadTimeout(t *testing.T) {
	r := startRelayWith(t, map[string]string{"CALLBACK_TOKEN": testToken}, shortLimits(func(l *limits) { l.read = time.Second }))
	conn := rawRequest(t, r.base, callbackHead(testToken, 100))
	// A byte every 100 ms: 10 s for the whole body, were it read.
	stop := make(chan struct{})
	defer close(stop)
	go func() {
		tick := time.NewTicker(100 * time.Millisecond)
		defer tick.Stop()
		for {
			select {
			case <-stop:
				return
			case <-tick.C:
				if _, err := conn.Write([]byte("x")); err != nil {
					return
				}
			}
		}
	}()
	resp, body := answerWithin(t, conn, 5*time.Second)
	if resp.StatusCode != http.StatusRequestTimeout {
		t.Errorf("answer %d %s, want 408", resp.StatusCode, body)
	}
}

func TestRelayClosesIdleKeepAliveConnectionsAtItsIdleTimeout(t *testing.T) {
	r := startRelayWith(t, map[string]string{"CALLBACK_TOKEN": testToken}, shortLimits(func(l *limits) { l.idle = 300 * time.Millisecond }))
	const n = 50
	var wg sync.WaitGroup
	errs := make(chan error, n)
	for range n {
		conn := rawRequest(t, r.base, "GET /api/status HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
		wg.Go(func() {
			_ = conn.SetReadDeadline(time.Now().Add(5 * time.Second))
			br := bufio.NewReader(conn)
			resp, err := http.ReadResponse(br, nil)
			if err != nil {
				errs <- fmt.Errorf("no answer: %w", err)
				return
			}
			_, _ = io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			// Kept alive, then idle: the relay must close it.
			if _, err := br.ReadByte(); err != io.EOF {
				errs <- fmt.Errorf("an idle connection is still open 5 s after its answer (read: %v)", err)
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}

func TestRelayRefusesCallbacksOverItsCapWith503AndRetryAfter(t *testing.T) {
	r := startRelayWith(t, map[string]string{"CALLBACK_TOKEN": testToken}, shortLimits(func(l *limits) { l.callbacks = 2 }))
	// Two callbacks whose bodies have not finished arriving.
	var held []net.Conn
	for range 2 {
		held = append(held, rawRequest(t, r.base, callbackHead(testToken, 100)+"{"))
	}
	eventually(t, "both callbacks are being read", func() bool { return len(r.callbacks) == 2 })
	resp, err := http.Post(r.base+"/callback/"+testToken, "application/json", strings.NewReader(string(fixtures.Body("new_chat"))))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusServiceUnavailable || resp.Header.Get("Retry-After") == "" {
		t.Errorf("a third callback: %d (Retry-After %q), want 503 with Retry-After", resp.StatusCode, resp.Header.Get("Retry-After"))
	}
	// Wrong tokens take no place: they are answered before their body.
	if status, _ := r.postTo(t, testToken+"x"); status != http.StatusUnauthorized {
		t.Errorf("a wrong token while the relay is busy: %d, want 401", status)
	}
	for _, conn := range held {
		conn.Close()
	}
	eventually(t, "the places are free again", func() bool { return len(r.callbacks) == 0 })
	if status, body := r.post(t, fixtures.Body("new_chat")); status != http.StatusAccepted {
		t.Errorf("a callback once the others ended: %d %s, want 202", status, body)
	}
}

func (r *testRelay) postTo(t *testing.T, token string) (int, string) {
	t.Helper()
	resp, err := http.Post(r.base+"/callback/"+token, "application/json", strings.NewReader(string(fixtures.Body("new_chat"))))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

func TestRelayServerLimitsEveryConnectionByDefault(t *testing.T) {
	r := startRelay(t, map[string]string{"CALLBACK_TOKEN": testToken})
	s := r.server
	tests := []struct {
		name string
		ok   bool
	}{
		{"the headers are read within 10 s", s.ReadHeaderTimeout > 0 && s.ReadHeaderTimeout <= 10*time.Second},
		// MAX_BODY_BYTES' ceiling, 1,000,000 bytes, at 100 kB/s.
		{"the whole request within 30 s, enough for the largest body", s.ReadTimeout >= 10*time.Second && s.ReadTimeout < 30*time.Second},
		{"an idle connection is closed within 30 s", s.IdleTimeout > 0 && s.IdleTimeout < 30*time.Second},
		{"headers are bounded below net/http's 1 MB", s.MaxHeaderBytes > 10<<10 && s.MaxHeaderBytes < http.DefaultMaxHeaderBytes},
		{"callbacks are capped", cap(r.callbacks) > 0},
	}
	for _, tt := range tests {
		if !tt.ok {
			t.Errorf("%s: ReadHeaderTimeout %v, ReadTimeout %v, IdleTimeout %v, MaxHeaderBytes %d, callbacks %d",
				tt.name, s.ReadHeaderTimeout, s.ReadTimeout, s.IdleTimeout, s.MaxHeaderBytes, cap(r.callbacks))
		}
	}
}

// The read timeout is for reading a request: net/http would cancel a
// handler still running past it, such as a long poll.
func TestAnSQSLongPollOutlastsTheReadTimeout(t *testing.T) {
	r := startRelayWith(t, map[string]string{"CALLBACK_TOKEN": testToken}, shortLimits(func(l *limits) { l.read = time.Second }))
	client := sqs.New(sqs.Options{Region: "local", BaseEndpoint: aws.String(r.base + sqsPath), Credentials: aws.AnonymousCredentials{}})
	began := time.Now()
	out, err := client.ReceiveMessage(context.Background(), &sqs.ReceiveMessageInput{
		QueueUrl: aws.String(r.base + sqsPath + accountPath + "quarantine"), WaitTimeSeconds: 2,
	})
	if err != nil {
		t.Fatalf("a 2 s long poll with a 1 s read timeout: %v", err)
	}
	if len(out.Messages) != 0 || time.Since(began) < 2*time.Second {
		t.Errorf("the long poll ended after %v with %d messages, want 2 s and none", time.Since(began), len(out.Messages))
	}
}

func TestBaseURLReachesARelayListeningEverywhereOnLoopback(t *testing.T) {
	tests := []struct {
		addr *net.TCPAddr
		want string
	}{
		{&net.TCPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 8080}, "http://127.0.0.1:8080"},
		{&net.TCPAddr{IP: net.IPv4zero, Port: 8080}, "http://127.0.0.1:8080"},
		{&net.TCPAddr{IP: net.IPv6unspecified, Port: 8081}, "http://127.0.0.1:8081"},
		{&net.TCPAddr{IP: net.IPv6loopback, Port: 8080}, "http://[::1]:8080"},
	}
	for _, tt := range tests {
		if got := baseURL(tt.addr); got != tt.want {
			t.Errorf("baseURL(%v) = %q, want %q", tt.addr, got, tt.want)
		}
	}
}

func TestAPageOnAnotherSiteCannotWorkTheRelaysSwitchesOrSink(t *testing.T) {
	_, hookURL := newRecorder(t)
	r := startRelay(t, map[string]string{"CALLBACK_TOKEN": testToken, "WEBHOOK_URL": hookURL})
	for _, tt := range []struct {
		name   string
		header map[string]string
		want   int
	}{
		{"a cross-site fetch", map[string]string{"Sec-Fetch-Site": "cross-site", "Origin": "https://evil.example"}, http.StatusForbidden},
		{"a form on another site (old browser: Origin only)", map[string]string{"Origin": "https://evil.example"}, http.StatusForbidden},
		{"a same-site page on another port's host", map[string]string{"Sec-Fetch-Site": "same-site"}, http.StatusForbidden},
		{"relayctl (no Origin)", nil, http.StatusOK},
		{"the relay's own page", map[string]string{"Origin": r.base, "Sec-Fetch-Site": "same-origin"}, http.StatusOK},
	} {
		t.Run(tt.name, func(t *testing.T) {
			req, _ := http.NewRequest(http.MethodPost, r.base+"/api/channels/webhook/pause", strings.NewReader(""))
			req.Header.Set("Content-Type", "text/plain")
			for k, v := range tt.header {
				req.Header.Set(k, v)
			}
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode != tt.want {
				t.Errorf("answered %d, want %d", resp.StatusCode, tt.want)
			}
			paused := false
			for _, c := range r.apiStatus(t).Channels {
				paused = paused || c.Channel == "webhook" && c.Paused
			}
			if paused != (tt.want == http.StatusOK) {
				t.Errorf("webhook paused: %v after a %d", paused, resp.StatusCode)
			}
			// Back to delivering for the next row, as this machine may.
			back, _ := http.Post(r.base+"/api/channels/webhook/resume", "", nil)
			back.Body.Close()
		})
	}
}
