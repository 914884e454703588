package main

import (
	"errors"
	"io"
	"net/http"
	"os"
	"strings"

	"github.com/aws/aws-lambda-go/events"

	"github.com/nicechat-relay/nicechat-relay/shared/ingest"
)

// callbackRoute is POST /callback/{token}: API Gateway and the ingest
// Lambda, with what a server of one's own needs in front of them once a
// tunnel puts it on the internet. The token is checked before the body is
// read, so anyone without it costs the relay nothing; a callback's body is
// read only just past MAX_BODY_BYTES, since ingest refuses a longer one
// anyway; and only so many callbacks are read at once.
func (r *relay) callbackRoute(h *ingest.Handler, maxBodyBytes int) http.HandlerFunc {
	return func(w http.ResponseWriter, req *http.Request) {
		if r.draining.Load() {
			w.Header().Set("Retry-After", "10")
			writeJSON(w, http.StatusServiceUnavailable, map[string]string{"error": "the relay is stopping; retry later"})
			return
		}
		if req.ContentLength > maxRequestBytes {
			// API Gateway's own answer to a payload over its limit, given
			// before the Lambda runs.
			writeJSON(w, http.StatusRequestEntityTooLarge, map[string]string{"message": "Request Entity Too Large"})
			return
		}
		if !h.Authorized(req.PathValue("token")) {
			// Ingest refuses a wrong token before it looks at the body,
			// so it gets none: its own 401, its own log line.
			r.handle(w, req, h, nil)
			return
		}
		// Over the cap the answer is 503 with Retry-After rather than the
		// 429 API Gateway's throttling gives: the README promises Nice
		// Chat sends a 503 again (ingest and a stopping relay answer so),
		// and says nothing of what it does with a 429.
		select {
		case r.callbacks <- struct{}{}:
			defer func() { <-r.callbacks }()
		default:
			r.log.Warn("callback refused: the relay is busy", "channel", "local", "status", http.StatusServiceUnavailable, "limit", cap(r.callbacks))
			w.Header().Set("Retry-After", "5")
			writeJSON(w, http.StatusServiceUnavailable, map[string]string{"error": "the relay is busy; retry later"})
			return
		}
		// One byte past the limit is enough for ingest to answer 413 and
		// quarantine the first MAX_BODY_BYTES, as it does in AWS.
		body, err := io.ReadAll(io.LimitReader(req.Body, int64(maxBodyBytes)+1))
		if err != nil {
			status, reason := unreadBody(err)
			r.log.Warn("callback refused: its body could not be read", "channel", "local", "status", status, "reason", reason)
			writeJSON(w, status, map[string]string{"error": reason})
			return
		}
		r.handle(w, req, h, body)
	}
}

// unreadBody is the answer to a body that could not be read.
func unreadBody(err error) (status int, reason string) {
	switch {
	case errors.Is(err, io.ErrUnexpectedEOF):
		return http.StatusBadRequest, "the body ended before its Content-Length"
	case errors.Is(err, os.ErrDeadlineExceeded):
		return http.StatusRequestTimeout, "the body did not arrive in time; send it again"
	default:
		return http.StatusBadRequest, "the body could not be read"
	}
}

// handle runs ingest on the request and writes its answer.
func (r *relay) handle(w http.ResponseWriter, req *http.Request, h *ingest.Handler, body []byte) {
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
