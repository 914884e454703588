package main

import (
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"strings"

	"github.com/aws/aws-lambda-go/events"

	"github.com/nicechat-relay/nicechat-relay/shared/ingest"
	"github.com/nicechat-relay/nicechat-relay/shared/webhook"
)

// maxRequestBytes is API Gateway's own payload limit.
const maxRequestBytes = 10 << 20

// routes serves what API Gateway and the built-in test endpoint would.
func routes(h *ingest.Handler, queues *embeddedSQS, log *slog.Logger) http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("/callback/{token}", func(w http.ResponseWriter, r *http.Request) {
		body, err := io.ReadAll(io.LimitReader(r.Body, maxRequestBytes+1))
		if err != nil || len(body) > maxRequestBytes {
			writeJSON(w, http.StatusRequestEntityTooLarge, map[string]string{"error": "request too large"})
			return
		}
		resp, err := h.Handle(r.Context(), toAPIGateway(r, body))
		if err != nil {
			writeJSON(w, http.StatusInternalServerError, map[string]string{"error": "internal error"})
			return
		}
		for k, v := range resp.Headers {
			w.Header().Set(k, v)
		}
		w.WriteHeader(resp.StatusCode)
		_, _ = io.WriteString(w, resp.Body)
	})
	// The default webhook target, so a first run shows a delivery end to end.
	mux.HandleFunc("POST /_sink", func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(io.LimitReader(r.Body, maxRequestBytes))
		log.Info("sink received a webhook", "channel", "webhook", "event_id", r.Header.Get(webhook.HeaderWebhookID),
			"event", r.Header.Get(webhook.HeaderEvent), "signed", r.Header.Get(webhook.HeaderWebhookSignature) != "", "body_bytes", len(body))
		w.WriteHeader(http.StatusNoContent)
	})
	mux.HandleFunc("GET /_status", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusOK, map[string]any{"queues": queues.depths()})
	})
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusNotFound, map[string]string{"error": "not found; POST callbacks to /callback/<token>"})
	})
	return mux
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
