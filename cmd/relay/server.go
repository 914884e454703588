package main

import (
	"encoding/json"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/nicechat-relay/nicechat-relay/shared/ingest"
	"github.com/nicechat-relay/nicechat-relay/shared/webhook"
)

// maxRequestBytes is API Gateway's own payload limit.
const maxRequestBytes = 10 << 20

const sinkPath = "/_sink"

// routes serves what API Gateway would, the SQS API of the embedded queue
// (for relayctl), the status page and the built-in webhook sink.
func (r *relay) routes(h *ingest.Handler) http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("POST /callback/{token}", func(w http.ResponseWriter, req *http.Request) {
		if r.draining.Load() {
			w.Header().Set("Retry-After", "10")
			writeJSON(w, http.StatusServiceUnavailable, map[string]string{"error": "the relay is stopping; retry later"})
			return
		}
		body, err := io.ReadAll(io.LimitReader(req.Body, maxRequestBytes+1))
		if err != nil || len(body) > maxRequestBytes {
			// API Gateway's own answer to a payload over its limit.
			writeJSON(w, http.StatusRequestEntityTooLarge, map[string]string{"message": "Request Entity Too Large"})
			return
		}
		resp, err := h.Handle(req.Context(), toAPIGateway(req, body))
		if err != nil {
			writeJSON(w, http.StatusInternalServerError, map[string]string{"message": "Internal Server Error"})
			return
		}
		for k, v := range resp.Headers {
			w.Header().Set(k, v)
		}
		w.WriteHeader(resp.StatusCode)
		_, _ = io.WriteString(w, resp.Body)
	})
	// Only the callback route checks a token: the queues (which hold
	// visitors' data and can be emptied through the SQS API) and the
	// status are for this machine alone, whatever RELAY_ADDR says.
	sqsAPI := loopbackOnly(r.store.Handler())
	mux.Handle("POST "+sqsPath, sqsAPI)
	mux.Handle("POST "+sqsPath+"/", sqsAPI)
	mux.HandleFunc("POST "+sinkPath, r.sink.ServeHTTP)
	mux.Handle("GET /api/status", loopbackOnly(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		writeJSON(w, http.StatusOK, r.status())
	})))
	mux.Handle("GET /{$}", loopbackOnly(http.HandlerFunc(r.statusPage)))
	mux.Handle("POST /api/channels/{channel}/pause", loopbackOnly(r.pauseRoute(true)))
	mux.Handle("POST /api/channels/{channel}/resume", loopbackOnly(r.pauseRoute(false)))
	mux.HandleFunc("/", func(w http.ResponseWriter, req *http.Request) {
		// API Gateway answers an unknown route so.
		writeJSON(w, http.StatusNotFound, map[string]string{"message": "Not Found"})
	})
	return mux
}

// loopbackOnly refuses requests that do not come from this machine.
func loopbackOnly(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		host, _, err := net.SplitHostPort(r.RemoteAddr)
		if ip := net.ParseIP(host); err != nil || ip == nil || !ip.IsLoopback() {
			writeJSON(w, http.StatusForbidden, map[string]string{"error": "only served to this machine"})
			return
		}
		h.ServeHTTP(w, r)
	})
}

// toAPIGateway builds the HTTP API (payload 2.0) event API Gateway would send.
func toAPIGateway(r *http.Request, body []byte) events.APIGatewayV2HTTPRequest {
	headers := map[string]string{}
	for k, v := range r.Header {
		headers[strings.ToLower(k)] = strings.Join(v, ",")
	}
	req := events.APIGatewayV2HTTPRequest{
		Version:        "2.0",
		RouteKey:       "POST /callback/{token}",
		RawPath:        r.URL.Path,
		RawQueryString: r.URL.RawQuery,
		Headers:        headers,
		PathParameters: map[string]string{"token": r.PathValue("token")},
		Body:           string(body),
	}
	req.RequestContext.HTTP = events.APIGatewayV2HTTPRequestContextHTTPDescription{
		Method: r.Method, Path: r.URL.Path, Protocol: r.Proto, SourceIP: r.RemoteAddr, UserAgent: r.UserAgent(),
	}
	return req
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
	return s.count, append([]sinkReceipt(nil), s.latest...)
}
