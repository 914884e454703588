package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"strconv"
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
	r := &relay{log: slog.New(slog.DiscardHandler), admin: "http://127.0.0.1:8090"}
	ok := http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(http.StatusOK) })
	tests := []struct {
		name, remote, host string
		header             http.Header
		want               int
	}{
		{"relayctl and the SQS client", "127.0.0.1:40000", "127.0.0.1:8090", nil, http.StatusOK},
		{"a browser on localhost", "127.0.0.1:40000", "localhost:8090", nil, http.StatusOK},
		{"localhost in capitals, another port", "127.0.0.1:40000", "LOCALHOST:9999", nil, http.StatusOK},
		{"a loopback address without a port", "127.0.0.1:40000", "127.0.0.1", nil, http.StatusOK},
		{"IPv6 loopback", "[::1]:40000", "[::1]:8090", nil, http.StatusOK},
		{"IPv6 loopback without a port", "[::1]:40000", "[::1]", nil, http.StatusOK},
		{"another machine", "192.0.2.10:40000", "127.0.0.1:8090", nil, http.StatusForbidden},
		{"another machine over IPv6", "[2001:db8::1]:40000", "127.0.0.1:8090", nil, http.StatusForbidden},
		{"a peer address that does not parse", "garbage", "127.0.0.1:8090", nil, http.StatusForbidden},
		{"a tunnel or DNS rebinding", "127.0.0.1:40000", "attacker.example", nil, http.StatusForbidden},
		{"DNS rebinding on the relay's port", "127.0.0.1:40000", "attacker.example:8090", nil, http.StatusForbidden},
		{"a name that resolves to loopback", "127.0.0.1:40000", "127.0.0.1.nip.io:8090", nil, http.StatusForbidden},
		{"a name that starts with localhost", "127.0.0.1:40000", "localhost.attacker.example", nil, http.StatusForbidden},
		{"no Host at all", "127.0.0.1:40000", "", nil, http.StatusForbidden},
		{"a tunnel that rewrites Host", "127.0.0.1:40000", "localhost:8090", http.Header{"X-Forwarded-For": {"203.0.113.7"}}, http.StatusForbidden},
		{"a proxy's Forwarded header", "127.0.0.1:40000", "127.0.0.1:8090", http.Header{"Forwarded": {"for=203.0.113.7"}}, http.StatusForbidden},
		{"Cloudflare's tunnel", "127.0.0.1:40000", "127.0.0.1:8090", http.Header{"Cf-Connecting-Ip": {"203.0.113.7"}}, http.StatusForbidden},
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
		{"an event's outcomes", "GET", "/api/events/evt_aaaaaaaaaaaaaaaaaaaaaaaaaa", "", nil, http.StatusOK},
		{"the SQS API", "POST", "/sqs", `{"QueueName":"webhook"}`,
			map[string]string{"Content-Type": "application/x-amz-json-1.0", "X-Amz-Target": "AmazonSQS.GetQueueUrl"}, http.StatusOK},
		{"a channel's switch", "POST", "/api/channels/webhook/resume", "", nil, http.StatusOK},
		{"the built-in sink", "POST", "/_sink", `{"event":"new_chat","data":{"id":1}}`, map[string]string{"X-NiceChat-Event": "new_chat"}, http.StatusNoContent},
	}
	for _, tt := range routes {
		for _, host := range []string{"attacker.example", strings.TrimPrefix(r.admin, "http://")} {
			t.Run(tt.name+" for Host "+host, func(t *testing.T) {
				req, _ := http.NewRequest(tt.method, r.admin+tt.path, strings.NewReader(tt.body))
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

	// Nice Chat, through a tunnel that says so, reaches the callback route.
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
	for _, listener := range []struct{ name, base, path string }{
		{"callback", r.base, "/api/status"}, // answered 404: not served here
		{"admin", r.admin, "/api/status"},
	} {
		t.Run(listener.name, func(t *testing.T) { closesIdleConnections(t, listener.base, listener.path) })
	}
}

func closesIdleConnections(t *testing.T, base, path string) {
	const n = 50
	var wg sync.WaitGroup
	errs := make(chan error, n)
	for range n {
		conn := rawRequest(t, base, "GET "+path+" HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
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
	s, a := r.server, r.adminServer
	tests := []struct {
		name string
		ok   bool
	}{
		{"the headers are read within 10 s", s.ReadHeaderTimeout > 0 && s.ReadHeaderTimeout <= 10*time.Second && a.ReadHeaderTimeout == s.ReadHeaderTimeout},
		// MAX_BODY_BYTES' ceiling, 1,000,000 bytes, at 100 kB/s.
		{"the whole request within 30 s, enough for the largest body", s.ReadTimeout >= 10*time.Second && s.ReadTimeout < 30*time.Second && a.ReadTimeout == s.ReadTimeout},
		{"an idle connection is closed within 30 s", s.IdleTimeout > 0 && s.IdleTimeout < 30*time.Second && a.IdleTimeout == s.IdleTimeout},
		{"a callback's headers are bounded at API Gateway's 10 KB", s.MaxHeaderBytes == 10<<10},
		{"the pages' headers are bounded below net/http's 1 MB", a.MaxHeaderBytes > 10<<10 && a.MaxHeaderBytes < http.DefaultMaxHeaderBytes},
		{"callbacks are capped", cap(r.callbacks) > 0},
		{"the callback listener's connections are capped, above the callbacks", r.listener.max > cap(r.callbacks) && s.ConnState != nil},
	}
	for _, tt := range tests {
		if !tt.ok {
			t.Errorf("%s: ReadHeaderTimeout %v, ReadTimeout %v, IdleTimeout %v, MaxHeaderBytes %d (admin %d), callbacks %d, connections %d",
				tt.name, s.ReadHeaderTimeout, s.ReadTimeout, s.IdleTimeout, s.MaxHeaderBytes, a.MaxHeaderBytes, cap(r.callbacks), r.listener.max)
		}
	}
}

// The read timeout is for reading a request: net/http would cancel a
// handler still running past it, such as a long poll.
func TestAnSQSLongPollOutlastsTheReadTimeout(t *testing.T) {
	r := startRelayWith(t, map[string]string{"CALLBACK_TOKEN": testToken}, shortLimits(func(l *limits) { l.read = time.Second }))
	client := sqs.New(sqs.Options{Region: "local", BaseEndpoint: aws.String(r.admin + sqsPath), Credentials: aws.AnonymousCredentials{}})
	began := time.Now()
	out, err := client.ReceiveMessage(context.Background(), &sqs.ReceiveMessageInput{
		QueueUrl: aws.String(r.admin + sqsPath + accountPath + "quarantine"), WaitTimeSeconds: 2,
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

// A page open in this machine's browser, on another site or on another
// local port, can send a simple POST to the admin listener: only the
// relay's own page, and clients that are no browser, change anything.
func TestOnlyTheRelaysOwnPageOrAClientThatIsNoBrowserWorksTheSwitches(t *testing.T) {
	_, hookURL := newRecorder(t)
	r := startRelay(t, map[string]string{"CALLBACK_TOKEN": testToken, "WEBHOOK_URL": hookURL})
	adminHost := strings.TrimPrefix(r.admin, "http://")
	_, adminPort, _ := net.SplitHostPort(adminHost)
	for _, tt := range []struct {
		name   string
		host   string // the Host the request names; the admin listener's when ""
		header map[string]string
		want   int
	}{
		{"a cross-site fetch", "", map[string]string{"Sec-Fetch-Site": "cross-site", "Origin": "https://evil.example"}, http.StatusForbidden},
		{"a form on another site (old browser: Origin only)", "", map[string]string{"Origin": "https://evil.example"}, http.StatusForbidden},
		{"a page on another local port, Origin only", "", map[string]string{"Origin": "http://localhost:3000"}, http.StatusForbidden},
		{"a page on another local port, as a browser says it", "", map[string]string{"Origin": "http://localhost:3000", "Sec-Fetch-Site": "same-site"}, http.StatusForbidden},
		{"a page on the callback listener's port", "", map[string]string{"Origin": r.base}, http.StatusForbidden},
		{"the admin port on another scheme", "", map[string]string{"Origin": "https://" + adminHost}, http.StatusForbidden},
		{"an opaque origin (sandboxed frame, data: URL)", "", map[string]string{"Origin": "null"}, http.StatusForbidden},
		{"a same-site page without Origin", "", map[string]string{"Sec-Fetch-Site": "same-site"}, http.StatusForbidden},
		{"a cross-site request without Origin", "", map[string]string{"Sec-Fetch-Site": "cross-site"}, http.StatusForbidden},
		{"relayctl, curl (no Origin, no Sec-Fetch-Site)", "", nil, http.StatusOK},
		{"the relay's own page", "", map[string]string{"Origin": r.admin, "Sec-Fetch-Site": "same-origin"}, http.StatusOK},
		{"the relay's own page, opened as localhost", "localhost:" + adminPort, map[string]string{"Origin": "http://localhost:" + adminPort, "Sec-Fetch-Site": "same-origin"}, http.StatusOK},
		{"the relay's own page, Origin only (old browser)", "", map[string]string{"Origin": r.admin}, http.StatusOK},
		{"typed into the address bar (no Origin)", "", map[string]string{"Sec-Fetch-Site": "none"}, http.StatusOK},
	} {
		t.Run(tt.name, func(t *testing.T) {
			req, _ := http.NewRequest(http.MethodPost, r.admin+"/api/channels/webhook/pause", strings.NewReader(""))
			req.Header.Set("Content-Type", "text/plain")
			if tt.host != "" {
				req.Host = tt.host
			}
			for k, v := range tt.header {
				req.Header.Set(k, v)
			}
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != tt.want {
				t.Errorf("answered %d, want %d: %s", resp.StatusCode, tt.want, body)
			}
			paused := false
			for _, c := range r.apiStatus(t).Channels {
				paused = paused || c.Channel == "webhook" && c.Paused
			}
			if paused != (tt.want == http.StatusOK) {
				t.Errorf("webhook paused: %v after a %d", paused, resp.StatusCode)
			}
			// Back to delivering for the next row, as this machine may.
			back, err := http.Post(r.admin+"/api/channels/webhook/resume", "", nil)
			if err != nil {
				t.Fatal(err)
			}
			back.Body.Close()
		})
	}
}

// A message sent through /sqs changes a queue as a pause does: a page on
// another local port cannot send one.
func TestAPageOnAnotherLocalPortCannotSendThroughTheSQSAPI(t *testing.T) {
	r := startRelay(t, map[string]string{"CALLBACK_TOKEN": testToken})
	send := func(origin string) int {
		body := `{"QueueUrl":"` + r.admin + sqsPath + accountPath + `webhook","MessageBody":"{}"}`
		req, _ := http.NewRequest(http.MethodPost, r.admin+sqsPath, strings.NewReader(body))
		req.Header.Set("Content-Type", "application/x-amz-json-1.0")
		req.Header.Set("X-Amz-Target", "AmazonSQS.SendMessage")
		if origin != "" {
			req.Header.Set("Origin", origin)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	if got := send("http://localhost:3000"); got != http.StatusForbidden {
		t.Errorf("a page on localhost:3000: %d, want 403", got)
	}
	if st, _ := r.store.Stats("webhook"); st.Visible+st.InFlight+st.Delayed != 0 {
		t.Errorf("the webhook queue holds %+v after a refused send", st)
	}
	if got := send(""); got != http.StatusOK {
		t.Errorf("the SQS SDK (no Origin): %d, want 200", got)
	}
}

// tcpForwarder is what ssh -R, socat or ngrok tcp do when someone lets
// Nice Chat reach this machine: every connection to it is copied, byte for
// byte, to target. The relay sees each request come from 127.0.0.1,
// naming whatever Host the far end chose, with no forwarding header.
func tcpForwarder(t *testing.T, target string) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var (
		conns sync.WaitGroup
		mu    sync.Mutex
		open  []net.Conn
	)
	t.Cleanup(func() {
		l.Close()
		mu.Lock()
		for _, c := range open {
			c.Close()
		}
		mu.Unlock()
		conns.Wait()
	})
	go func() {
		for {
			in, err := l.Accept()
			if err != nil {
				return
			}
			out, err := net.Dial("tcp", target)
			if err != nil {
				in.Close()
				continue
			}
			mu.Lock()
			open = append(open, in, out)
			mu.Unlock()
			conns.Go(func() {
				done := make(chan struct{})
				go func() { _, _ = io.Copy(out, in); out.(*net.TCPConn).CloseWrite(); close(done) }()
				_, _ = io.Copy(in, out)
				in.Close()
				<-done
				out.Close()
			})
		}
	}()
	return "http://" + l.Addr().String()
}

func TestThroughATCPForwarderToTheCallbackPortOnlyTheCallbackAnswers(t *testing.T) {
	r := startRelay(t, map[string]string{"CALLBACK_TOKEN": testToken}) // the webhook delivers to the built-in sink
	tunnel := tcpForwarder(t, strings.TrimPrefix(r.base, "http://"))
	sqsHeaders := map[string]string{"Content-Type": "application/x-amz-json-1.0", "X-Amz-Target": "AmazonSQS.ReceiveMessage"}
	routes := []struct {
		name, method, path, body string
		header                   map[string]string
		admin                    int // what the admin listener answers this machine
	}{
		{"the status page", "GET", "/", "", nil, http.StatusOK},
		{"the status", "GET", "/api/status", "", nil, http.StatusOK},
		{"an event's outcomes", "GET", "/api/events/evt_aaaaaaaaaaaaaaaaaaaaaaaaaa", "", nil, http.StatusOK},
		{"the SQS API (read a queue's payloads)", "POST", "/sqs", `{"QueueUrl":"` + r.admin + `/sqs/000000000000/webhook"}`, sqsHeaders, http.StatusOK},
		{"the SQS API, a queue's own path", "POST", "/sqs/000000000000/webhook", `{"QueueUrl":"` + r.admin + `/sqs/000000000000/webhook"}`, sqsHeaders, http.StatusOK},
		{"pause", "POST", "/api/channels/webhook/pause", "", nil, http.StatusOK},
		{"resume", "POST", "/api/channels/webhook/resume", "", nil, http.StatusOK},
		{"the built-in sink", "POST", "/_sink", `{"event":"new_chat","data":{"id":1}}`, map[string]string{"X-NiceChat-Event": "new_chat"}, http.StatusNoContent},
	}
	do := func(t *testing.T, base, method, path, body string, header map[string]string) (int, string) {
		t.Helper()
		req, _ := http.NewRequest(method, base+path, strings.NewReader(body))
		req.Host = "127.0.0.1" // what a forwarder's far end may well name
		for k, v := range header {
			req.Header.Set(k, v)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	for _, tt := range routes {
		t.Run(tt.name, func(t *testing.T) {
			if status, body := do(t, tunnel, tt.method, tt.path, tt.body, tt.header); status != http.StatusNotFound {
				t.Errorf("through the forwarder: %d %.200s, want 404", status, body)
			}
			if status, body := do(t, r.admin, tt.method, tt.path, tt.body, tt.header); status != tt.admin {
				t.Errorf("on the admin listener: %d %.200s, want %d", status, body, tt.admin)
			}
		})
	}
	if status, body := do(t, tunnel, "POST", "/callback/"+testToken, string(fixtures.Body("new_chat")), map[string]string{"Content-Type": "application/json"}); status != http.StatusAccepted {
		t.Errorf("a callback through the forwarder: %d %s, want 202", status, body)
	}
}

// slowHeaders opens n connections to base that send part of a request's
// headers and no more, as a client trickling them in would; they close
// with the test.
func slowHeaders(t *testing.T, base string, n int) []net.Conn {
	t.Helper()
	conns := make([]net.Conn, n)
	for i := range conns {
		conns[i] = rawRequest(t, base, "POST /callback/"+testToken+" HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ")
	}
	return conns
}

// stillOpen counts the connections the relay has not closed.
func stillOpen(conns []net.Conn) int {
	n := 0
	for _, c := range conns {
		_ = c.SetReadDeadline(time.Now().Add(time.Millisecond))
		_, err := c.Read(make([]byte, 1))
		var timeout net.Error
		if errors.As(err, &timeout) && timeout.Timeout() {
			n++
		}
	}
	return n
}

func TestSlowHeadersHoldNoMoreThanTheCallbackListenersConnectionCap(t *testing.T) {
	tests := []struct {
		name string
		slow int
	}{
		{"as many as the cap", 16},
		{"far more than the cap", 300},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			// Headers may take an hour: only the cap closes connections.
			r := startRelayWith(t, map[string]string{"CALLBACK_TOKEN": testToken}, shortLimits(func(l *limits) {
				l.connections, l.evictAfter, l.readHeader = 16, 0, time.Hour
			}))
			conns := slowHeaders(t, r.base, tt.slow)
			eventually(t, "the relay holds no more than its cap", func() bool { return r.listener.open() <= 16 })
			// A valid callback is answered meanwhile, on a connection of
			// its own: it takes the place of one that waits.
			if status, body := r.post(t, fixtures.Body("new_chat")); status != http.StatusAccepted {
				t.Fatalf("a callback beside %d slow connections: %d %s, want 202", tt.slow, status, body)
			}
			eventually(t, "no more than the cap of the slow connections stays open", func() bool { return stillOpen(conns) <= 16 })
			if open := r.listener.open(); open > 16 {
				t.Errorf("the relay holds %d connections, over its cap of 16", open)
			}
		})
	}
}

// Beyond the callbacks it handles at once, a callback is answered 503 with
// Retry-After, never with a reset, even while slow connections fill the
// listener's places.
func TestCallbacksBeyondTheLimitGet503WithRetryAfterNeverAReset(t *testing.T) {
	const callbacks, extra = 4, 40
	tests := []struct {
		name  string
		slow  int           // slow-header connections open meanwhile
		limit func(*limits) // the server's limits
	}{
		{"the default connection cap", 0, func(l *limits) { l.callbacks = callbacks }},
		// The slow ones waited longest: they give their places up first.
		{"slow connections fill the cap", 64, func(l *limits) {
			l.callbacks, l.connections, l.evictAfter, l.readHeader = callbacks, 64, 0, time.Hour
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := startRelayWith(t, map[string]string{"CALLBACK_TOKEN": testToken}, shortLimits(tt.limit))
			slowHeaders(t, r.base, tt.slow)
			// The callbacks' places, taken by bodies that have not finished
			// arriving.
			var held []net.Conn
			for range callbacks {
				held = append(held, rawRequest(t, r.base, callbackHead(testToken, 100)+"{"))
			}
			eventually(t, "every place is taken", func() bool { return len(r.callbacks) == callbacks })
			answers := concurrentCallbacks(t, r.base, extra)
			for answer, n := range answers {
				if answer != "503 Retry-After" {
					t.Errorf("%d of %d callbacks beyond the limit got %s, want 503 with Retry-After", n, extra, answer)
				}
			}
			for _, c := range held {
				c.Close()
			}
			eventually(t, "the places are free again", func() bool { return len(r.callbacks) == 0 })
			// Now as many again as the limit, at once: each is accepted or
			// asked to come back.
			for answer, n := range concurrentCallbacks(t, r.base, callbacks+extra) {
				if answer != "202" && answer != "503 Retry-After" {
					t.Errorf("%d of %d concurrent callbacks got %s, want 202 or 503 with Retry-After", n, callbacks+extra, answer)
				}
			}
		})
	}
}

// concurrentCallbacks posts n callbacks at once, each on a connection of
// its own, and counts the answers: "202", "503 Retry-After", any other
// status, or the error.
func concurrentCallbacks(t *testing.T, base string, n int) map[string]int {
	t.Helper()
	client := &http.Client{Timeout: time.Minute, Transport: &http.Transport{DisableKeepAlives: true}}
	var (
		mu      sync.Mutex
		answers = map[string]int{}
		wg      sync.WaitGroup
		ready   = make(chan struct{})
	)
	for i := range n {
		wg.Go(func() {
			<-ready
			body := fmt.Sprintf(`{"event":"new_chat","data":{"id":%d}}`, 1000+i)
			resp, err := client.Post(base+"/callback/"+testToken, "application/json", strings.NewReader(body))
			answer := ""
			switch {
			case err != nil:
				answer = "error: " + err.Error()
			case resp.StatusCode == http.StatusServiceUnavailable && resp.Header.Get("Retry-After") != "":
				answer = "503 Retry-After"
			default:
				answer = strconv.Itoa(resp.StatusCode)
			}
			if err == nil {
				_, _ = io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
			}
			mu.Lock()
			answers[answer]++
			mu.Unlock()
		})
	}
	close(ready)
	wg.Wait()
	return answers
}

// Requests answered without their body (a wrong token, another path)
// whose bodies never come must not hold the callback listener's places:
// the relay closes them once answered instead of waiting for the rest,
// so a valid callback is still answered while they keep coming.
func TestBodiesThatNeverComeDoNotHoldTheListenersPlaces(t *testing.T) {
	const places = 8
	tests := []struct {
		name string
		head string
	}{
		{"a wrong token", callbackHead("not-the-token-at-all-0123456789", 1000)},
		{"another path", "POST /elsewhere HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 1000\r\n\r\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			// Bodies may take an hour to arrive: only the relay's own
			// choice closes these connections.
			r := startRelayWith(t, map[string]string{"CALLBACK_TOKEN": testToken}, shortLimits(func(l *limits) {
				l.connections, l.read = places, time.Hour
			}))
			var held []net.Conn
			for range 4 * places {
				held = append(held, rawRequest(t, r.base, tt.head))
			}
			eventually(t, "every such request is answered and its connection closed", func() bool { return stillOpen(held) == 0 })
			conn := rawRequest(t, r.base, callbackHead(testToken, len(fixtures.Body("new_chat")))+string(fixtures.Body("new_chat")))
			if resp, body := answerWithin(t, conn, 20*time.Second); resp.StatusCode != http.StatusAccepted {
				t.Fatalf("a valid callback after %d bodies that never came: %d %s, want 202", len(held), resp.StatusCode, body)
			}
		})
	}
}
