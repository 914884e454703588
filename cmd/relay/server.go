package main

import (
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/netip"
	"strings"
	"sync"
	"time"

	"github.com/nicechat-relay/nicechat-relay/shared/ingest"
	"github.com/nicechat-relay/nicechat-relay/shared/webhook"
)

// maxRequestBytes is API Gateway's own payload limit.
const maxRequestBytes = 10 << 20

const sinkPath = "/_sink"

// limits bound what a client can hold of the relay's callback listener,
// which a tunnel (ngrok, cloudflared, ssh -R) puts on the internet. The
// admin listener, on this machine only, gets the same timeouts.
type limits struct {
	readHeader time.Duration // the request line and headers
	// read is for the whole request, body included: at MAX_BODY_BYTES'
	// ceiling (1,000,000 bytes) 20 s still lets a callback arrive at
	// 50 kB/s, while a body trickling in holds a connection no longer.
	read           time.Duration
	idle           time.Duration // a keep-alive connection between requests
	maxHeaderBytes int
	callbacks      int // callbacks read and handled at once
	// connections the callback listener holds; past it, one that has
	// waited evictAfter without a request in progress gives its place up
	// (see connLimit).
	connections int
	evictAfter  time.Duration
}

var defaultLimits = limits{
	readHeader: 10 * time.Second,
	read:       20 * time.Second,
	idle:       15 * time.Second,
	// API Gateway's own limit: a callback AWS takes fits.
	maxHeaderBytes: 10 << 10,
	// Each holds at most MAX_BODY_BYTES: 64 MB at the largest setting.
	callbacks: 64,
	// At about 16 kB each while they wait: 8 MB. Nice Chat needs a few.
	connections: 512,
	evictAfter:  time.Second,
}

// adminMaxHeaderBytes is the admin listener's: a browser on localhost
// also sends the cookies of every other local app.
const adminMaxHeaderBytes = 32 << 10

func (r *relay) newServer(h http.Handler, lim limits) *http.Server {
	return &http.Server{
		Handler:           liftReadDeadlineAtEOF(h),
		ReadHeaderTimeout: lim.readHeader,
		ReadTimeout:       lim.read,
		IdleTimeout:       lim.idle,
		MaxHeaderBytes:    lim.maxHeaderBytes,
		ErrorLog:          slog.NewLogLogger(r.log.With("channel", "local").Handler(), slog.LevelWarn),
	}
}

// liftReadDeadlineAtEOF ends ReadTimeout once the request's body is read.
// It is meant for reading the request, but net/http also cancels the
// request's context when it passes while the handler still runs, which
// would cut short an SQS long poll (up to 20 s) through /sqs.
func liftReadDeadlineAtEOF(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rc := http.NewResponseController(w)
		if r.Body == nil || r.Body == http.NoBody {
			_ = rc.SetReadDeadline(time.Time{})
			h.ServeHTTP(w, r)
			return
		}
		// On a copy: net/http looks at the request's own body, once the
		// handler returns, to decide whether to read what is left of it
		// or close the connection.
		r2 := new(http.Request)
		*r2 = *r
		hook := &eofHook{ReadCloser: r.Body, atEOF: func() { _ = rc.SetReadDeadline(time.Time{}) }}
		r2.Body = hook
		h.ServeHTTP(w, r2)
		if hook.atEOF != nil {
			// Answered without the whole body (a wrong token, a busy
			// relay, no such route): net/http would wait up to
			// ReadTimeout for the rest, to reuse the connection, and a
			// connection with a request in progress is never evicted, so
			// a few hundred bodies that never come would hold every
			// place. The rest is not waited for: the connection closes.
			_ = rc.SetReadDeadline(time.Now())
		}
	})
}

type eofHook struct {
	io.ReadCloser
	atEOF func()
}

func (b *eofHook) Read(p []byte) (int, error) {
	n, err := b.ReadCloser.Read(p)
	if err == io.EOF && b.atEOF != nil {
		b.atEOF()
		b.atEOF = nil
	}
	return n, err
}

// callbackRoutes is the callback listener's: what API Gateway serves, and
// nothing else. Whatever reaches this listener may come from anywhere (a
// TCP forwarder such as ssh -R or ngrok tcp connects from 127.0.0.1 and
// leaves no trace in the request), so the operator's surfaces are not on it.
func (r *relay) callbackRoutes(h *ingest.Handler, maxBodyBytes int) http.Handler {
	mux := http.NewServeMux()
	mux.Handle("POST /callback/{token}", r.callbackRoute(h, maxBodyBytes))
	// As in the template: a GET reaches ingest, which answers 405 with
	// Allow: POST (a browser pasting the URL learns it is right).
	mux.Handle("GET /callback/{token}", r.callbackRoute(h, maxBodyBytes))
	mux.HandleFunc("/", notFound)
	return mux
}

// adminRoutes is the admin listener's: the SQS API of the embedded queue
// (for relayctl), the status page, the channels' switches and the
// built-in webhook sink, for this machine alone, whatever
// RELAY_ADMIN_ADDR says.
func (r *relay) adminRoutes() http.Handler {
	mux := http.NewServeMux()
	sqsAPI := r.store.Handler()
	mux.Handle("POST "+sqsPath, sqsAPI)
	mux.Handle("POST "+sqsPath+"/", sqsAPI)
	mux.Handle("POST "+sinkPath, r.sink)
	mux.HandleFunc("GET /api/status", func(w http.ResponseWriter, req *http.Request) {
		writeJSON(w, http.StatusOK, r.status())
	})
	mux.HandleFunc("GET /api/events/{id}", r.eventRoute)
	mux.HandleFunc("GET /{$}", r.statusPage)
	mux.Handle("POST /api/channels/{channel}/pause", r.pauseRoute(true))
	mux.Handle("POST /api/channels/{channel}/resume", r.pauseRoute(false))
	mux.HandleFunc("/", notFound)
	return r.thisMachineOnly(mux)
}

// notFound is API Gateway's answer to an unknown route.
func notFound(w http.ResponseWriter, _ *http.Request) {
	writeJSON(w, http.StatusNotFound, map[string]string{"message": "Not Found"})
}

// thisMachineOnly serves h only to a request that comes from this machine,
// names it, and, when it changes something, comes from no other web page.
// The peer alone proves nothing: a page on another site reaches 127.0.0.1
// by DNS rebinding and names another host in Host, and an HTTP proxy that
// rewrites Host to localhost still adds its forwarding headers. A plain
// TCP forwarder pointed at this listener (ssh -R, ngrok tcp) passes
// through unmarked, its client writing whatever Host it likes: nothing in
// a request tells it apart, which is why the operator's surfaces have a
// listener of their own that the README says never to tunnel, and the
// callback listener serves the callback alone.
func (r *relay) thisMachineOnly(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		why := notThisMachine(req)
		if why == "" && req.Method != http.MethodGet && req.Method != http.MethodHead {
			why = notSameOrigin(req)
		}
		if why != "" {
			r.log.Warn("refused a request from outside this machine", "channel", "local", "path", req.URL.Path, "reason", why)
			writeJSON(w, http.StatusForbidden, map[string]string{"error": "served only to this machine: " + why + "; open " + r.admin + "/ on it"})
			return
		}
		h.ServeHTTP(w, req)
	})
}

// forwardingHeaders are added by proxies and tunnels (ngrok, cloudflared).
var forwardingHeaders = []string{"Forwarded", "X-Forwarded-For", "X-Forwarded-Host", "X-Real-Ip", "Cf-Connecting-Ip"}

// notThisMachine says why req may come from elsewhere; "" when it comes
// from this machine and names it.
func notThisMachine(req *http.Request) string {
	host, _, err := net.SplitHostPort(req.RemoteAddr)
	if ip := net.ParseIP(host); err != nil || ip == nil || !ip.IsLoopback() {
		return "the connection comes from another machine"
	}
	if !loopbackHost(req.Host) {
		return fmt.Sprintf("the Host header %q names another machine", req.Host)
	}
	for _, name := range forwardingHeaders {
		if req.Header.Get(name) != "" {
			return "the request came through a proxy or tunnel (" + name + " is set)"
		}
	}
	return ""
}

// notSameOrigin says why a request that changes something (a pause, a
// resume, a message sent through /sqs, a receipt for the sink) may come
// from a web page other than the relay's own; "" when it may not. A page
// on another site or port, open in this machine's browser, can send a
// simple POST here (from this machine, naming it); the browser says whose
// page it is in Origin (every browser, on a POST) or, failing that, in
// Sec-Fetch-Site. Origin must be the relay's own: the Host the request
// names, which notThisMachine found to be this machine. A request with
// neither header comes from no browser (relayctl, the SQS SDK, curl, the
// relay's own webhook consumer) and is served.
func notSameOrigin(req *http.Request) string {
	if origin := req.Header.Get("Origin"); origin != "" {
		if !strings.EqualFold(origin, "http://"+req.Host) {
			return fmt.Sprintf("a web page on %q sent it, not the relay's own", origin)
		}
		return ""
	}
	switch site := req.Header.Get("Sec-Fetch-Site"); site {
	case "", "same-origin", "none":
		return ""
	default:
		return "a web page on another site sent it (Sec-Fetch-Site: " + site + ")"
	}
}

// loopbackHost reports whether a Host header names this machine:
// localhost or a loopback address (127.0.0.1, [::1]), on any port.
func loopbackHost(hostport string) bool {
	host := hostport
	if h, _, err := net.SplitHostPort(hostport); err == nil {
		host = h
	} else if strings.HasPrefix(host, "[") && strings.HasSuffix(host, "]") {
		host = host[1 : len(host)-1]
	}
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip, err := netip.ParseAddr(host)
	return err == nil && ip.IsLoopback()
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

// sink is the default webhook target, so a first run shows deliveries end
// to end without a receiver of one's own.
type sink struct {
	log    *slog.Logger
	mu     sync.Mutex
	count  int
	latest []sinkReceipt // newest first
}

type sinkReceipt struct {
	At      time.Time `json:"at"`
	EventID string    `json:"event_id"`
	Event   string    `json:"event"`
	Signed  bool      `json:"signed"`
	Bytes   int       `json:"bytes"`
}

const sinkKeeps = 10

func newSink(log *slog.Logger) *sink { return &sink{log: log} }

func (s *sink) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(io.LimitReader(r.Body, maxRequestBytes))
	rec := sinkReceipt{
		At: time.Now().UTC(), EventID: r.Header.Get(webhook.HeaderWebhookID), Event: r.Header.Get(webhook.HeaderEvent),
		Signed: r.Header.Get(webhook.HeaderWebhookSignature) != "", Bytes: len(body),
	}
	s.mu.Lock()
	s.count++
	s.latest = append([]sinkReceipt{rec}, s.latest[:min(len(s.latest), sinkKeeps-1)]...)
	s.mu.Unlock()
	s.log.Info("sink received a webhook", "channel", "webhook", "event_id", rec.EventID, "event", rec.Event, "signed", rec.Signed, "body_bytes", rec.Bytes)
	w.WriteHeader(http.StatusNoContent)
}

func (s *sink) snapshot() (int, []sinkReceipt) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.count, append([]sinkReceipt{}, s.latest...)
}
