package ingest

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"time"

	"github.com/aws/aws-lambda-go/events"
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
	return &Handler{svc: svc, refusals: &refusals{w: metrics, now: time.Now}}
}

type acceptedBody struct {
	ID       string   `json:"id"`
	Event    string   `json:"event"`
	Channels []string `json:"channels"`
}

type errorBody struct {
	Error string `json:"error"`
	Field string `json:"field,omitempty"`
	ID    string `json:"id,omitempty"`
}

// Handle translates the request into Service.Accept and its outcome into a
// status and a JSON body. Internal causes never reach the body.
func (h *Handler) Handle(ctx context.Context, req events.APIGatewayV2HTTPRequest) (events.APIGatewayV2HTTPResponse, error) {
	if m := req.RequestContext.HTTP.Method; m != "" && m != http.MethodPost {
		h.refusals.count(KindInvalid)
		resp := respond(http.StatusMethodNotAllowed, errorBody{Error: "method not allowed; POST the callback"})
		resp.Headers["Allow"] = http.MethodPost
		return resp, nil
	}
	receipt, err := h.svc.Accept(ctx, Callback{
		Token:  req.PathParameters["token"],
		Body:   []byte(req.Body),
		Base64: req.IsBase64Encoded,
	})
	if err == nil {
		return respond(http.StatusAccepted, acceptedBody{ID: receipt.EventID, Event: receipt.Event, Channels: receipt.Channels}), nil
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
	return resp, nil
}

func respond(status int, body any) events.APIGatewayV2HTTPResponse {
	b, _ := json.Marshal(body)
	return events.APIGatewayV2HTTPResponse{
		StatusCode: status,
		Headers:    map[string]string{"Content-Type": "application/json", "Cache-Control": "no-store"},
		Body:       string(b),
	}
}
