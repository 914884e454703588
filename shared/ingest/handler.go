package ingest

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/nicechat-relay/nicechat-relay/shared/emf"
)

// retryAfterSeconds is what a 503 asks the caller to wait.
const retryAfterSeconds = "30"

// Handler adapts the Service to API Gateway HTTP API (payload 2.0) events.
type Handler struct {
	svc      *Service
	refusals *refusals
}

// NewHandler returns the Lambda handler for route POST /callback/{token}.
// metrics gets one CloudWatch embedded-metric line per refused callback
// (Lambda sends stdout to CloudWatch Logs, which makes them metrics); nil
// writes none.
func NewHandler(svc *Service, metrics io.Writer) *Handler {
	r := &refusals{now: time.Now}
	if metrics != nil {
		r.w = emf.NewWriter(metrics)
	}
	return &Handler{svc: svc, refusals: r}
}

type errorBody struct {
	Error string `json:"error"`
	Field string `json:"field,omitempty"`
	ID    string `json:"id,omitempty"`
}

// Handle translates the request into Service.Accept and its outcome into a
// status and a JSON body. Internal causes never reach the body.
func (h *Handler) Handle(ctx context.Context, req events.APIGatewayV2HTTPRequest) (events.APIGatewayV2HTTPResponse, error) {
	return h.handle(ctx, req.RequestContext.HTTP.Method, Callback{
		Token:  req.PathParameters["token"],
		Body:   req.Body,
		Base64: req.IsBase64Encoded,
	}), nil
}

// handle is Handle's work, shared with the Lambda's entry point, which
// decodes only the request's fields read here.
func (h *Handler) handle(ctx context.Context, method string, cb Callback) events.APIGatewayV2HTTPResponse {
	if method != "" && method != http.MethodPost {
		h.refusals.count(KindInvalid)
		resp := respond(http.StatusMethodNotAllowed, errorBody{Error: "method not allowed; POST the callback"})
		resp.Headers["Allow"] = http.MethodPost
		return resp
	}
	receipt, err := h.svc.Accept(ctx, cb)
	if err == nil {
		return accepted(receipt)
	}
	var refusal *Error
	if !errors.As(err, &refusal) {
		refusal = &Error{Kind: KindUnavailable, Reason: "internal error; retry later"}
	}
	h.refusals.count(refusal.Kind)
	status := statusOf(refusal.Kind)
	resp := respond(status, errorBody{Error: refusal.Reason, Field: refusal.Field, ID: refusal.EventID})
	if status == http.StatusServiceUnavailable {
		resp.Headers["Retry-After"] = retryAfterSeconds
	}
	return resp
}

// accepted answers 202 with {"id": ..., "event": ..., "channels": [...]},
// the bytes json.Marshal writes, put together from the parts: the id is
// base32, the type passed Parse's rule (letters, digits, _ . : -) and the
// channels were marshalled at start, so nothing needs escaping.
func accepted(r Receipt) events.APIGatewayV2HTTPResponse {
	return events.APIGatewayV2HTTPResponse{
		StatusCode: http.StatusAccepted,
		Headers:    headers(),
		Body:       `{"id":"` + r.EventID + `","event":"` + r.Event + `","channels":` + r.channelsJSON + `}`,
	}
}

// Authorized reports whether token is the callback token (Service.Authorized).
func (h *Handler) Authorized(token string) bool { return h.svc.Authorized(token) }

func respond(status int, body any) events.APIGatewayV2HTTPResponse {
	b, _ := json.Marshal(body)
	return events.APIGatewayV2HTTPResponse{StatusCode: status, Headers: headers(), Body: string(b)}
}

func headers() map[string]string {
	return map[string]string{"Content-Type": "application/json", "Cache-Control": "no-store"}
}
