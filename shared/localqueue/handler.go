package localqueue

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"maps"
	"mime"
	"net/http"
	"slices"
	"strings"

	"github.com/aws/aws-sdk-go-v2/service/sqs"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"
	"github.com/aws/smithy-go"
)

// The AWS JSON 1.0 protocol as SQS speaks it.
const (
	contentType  = "application/x-amz-json-1.0"
	targetPrefix = "AmazonSQS."
	errorPrefix  = "com.amazonaws.sqs#"
)

// maxRequestBytes bounds a request body: a message at the 1 MiB limit
// grows when escaped as JSON (twice with the Go SDK, six times when every
// character is written \uXXXX, as some SDKs do for non-ASCII), and binary
// attributes by a third in base64. The message limit itself is checked
// after decoding.
const maxRequestBytes = 7 << 20

// Handler serves the six calls over SQS's AWS JSON 1.0 protocol (POST,
// X-Amz-Target: AmazonSQS.<Operation>, Content-Type
// application/x-amz-json-1.0), so that an sqs.Client with its
// BaseEndpoint set to where this is mounted (any path: it is ignored), and
// anonymous credentials, talks to the store. Errors come in SQS's shape
// (__type, message, x-amzn-query-error), so the SDK reports the same
// error types and codes as for SQS.
func (s *Store) Handler() http.Handler { return http.HandlerFunc(s.serveSQS) }

type operation func(ctx context.Context, s *Store, body []byte) (any, error)

var operations = map[string]operation{
	"SendMessage":             call((*Store).SendMessage, sendResult),
	"ReceiveMessage":          call((*Store).ReceiveMessage, receiveResult),
	"DeleteMessage":           call((*Store).DeleteMessage, func(*sqs.DeleteMessageOutput) any { return struct{}{} }),
	"ChangeMessageVisibility": call((*Store).ChangeMessageVisibility, func(*sqs.ChangeMessageVisibilityOutput) any { return struct{}{} }),
	"GetQueueAttributes":      call((*Store).GetQueueAttributes, queueAttributesResult),
	"GetQueueUrl":             call((*Store).GetQueueUrl, queueURLResult),
}

// call decodes a request into the SDK's input type (its field names are
// the wire's member names, and []byte is base64 on both sides), calls the
// method and converts its output to the wire shape.
func call[In, Out any](method func(*Store, context.Context, *In, ...func(*sqs.Options)) (*Out, error), result func(*Out) any) operation {
	return func(ctx context.Context, s *Store, body []byte) (any, error) {
		in := new(In)
		if err := json.Unmarshal(body, in); err != nil {
			return nil, &wireError{status: http.StatusBadRequest, shape: "SerializationException", message: "The request body is not a valid JSON request: " + err.Error()}
		}
		out, err := method(s, ctx, in)
		if err != nil {
			return nil, err
		}
		return result(out), nil
	}
}

func (s *Store) serveSQS(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("x-amzn-RequestId", newID())
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", http.MethodPost)
		s.writeError(w, &wireError{status: http.StatusMethodNotAllowed, shape: "MethodNotAllowed", message: "The SQS API takes POST requests."})
		return
	}
	if mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type")); mt != contentType {
		s.writeError(w, &wireError{status: http.StatusBadRequest, shape: "UnsupportedMediaType",
			message: "Content-Type must be " + contentType + " (the AWS JSON 1.0 protocol); got " + r.Header.Get("Content-Type") + "."})
		return
	}
	target := r.Header.Get("X-Amz-Target")
	name, isSQS := strings.CutPrefix(target, targetPrefix)
	run, known := operations[name]
	if !isSQS || !known {
		s.writeError(w, &wireError{status: http.StatusBadRequest, shape: "UnknownOperationException",
			message: "X-Amz-Target " + quote(target) + " is not an operation of this local SQS; it serves " + targetPrefix + strings.Join(slices.Sorted(maps.Keys(operations)), ", "+targetPrefix) + "."})
		return
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxRequestBytes))
	var tooLarge *http.MaxBytesError
	if errors.As(err, &tooLarge) {
		s.writeError(w, &wireError{status: http.StatusRequestEntityTooLarge, shape: "RequestEntityTooLarge",
			message: "The request body is over 7 MiB; a message is limited to 1048576 bytes."})
		return
	}
	if err != nil {
		s.writeError(w, &wireError{status: http.StatusBadRequest, shape: "SerializationException", message: "The request body could not be read."})
		return
	}
	if len(body) == 0 {
		body = []byte("{}")
	}
	out, err := run(r.Context(), s, body)
	if err != nil {
		s.writeError(w, err)
		return
	}
	w.Header().Set("Content-Type", contentType)
	_ = json.NewEncoder(w).Encode(out)
}

func quote(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}

// wireError is an error of the protocol itself, before any SQS call.
type wireError struct {
	status  int
	shape   string
	message string
}

func (e *wireError) Error() string { return e.shape + ": " + e.message }

// writeError answers as SQS does: the shape in __type, the code the SDK
// reports in x-amzn-query-error (SQS is "awsQueryCompatible"), 400 for
// the caller's mistakes. Storage failures are logged and answered with a
// generic 500, which the SDK retries.
func (s *Store) writeError(w http.ResponseWriter, err error) {
	status, shape, code, message, fault := http.StatusBadRequest, "", "", "", "Sender"
	var we *wireError
	var apiErr smithy.APIError
	switch {
	case errors.As(err, &we):
		status, shape, code, message = we.status, we.shape, we.shape, we.message
	case errors.As(err, &apiErr):
		code, message = apiErr.ErrorCode(), apiErr.ErrorMessage()
		shape = wireShapes[code]
		if shape == "" {
			shape = code
		}
	case errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded):
		// The caller has gone; the answer is for the log of a proxy, if any.
		status, shape, code, message = http.StatusBadRequest, "RequestCanceled", "RequestCanceled", "The request was canceled."
	case errors.Is(err, ErrClosed):
		status, shape, code, message, fault = http.StatusServiceUnavailable, "ServiceUnavailable", "ServiceUnavailable", "The local relay is shutting down.", "Receiver"
	default:
		s.log.Error("local SQS call failed", "error", err.Error())
		status, shape, code, message, fault = http.StatusInternalServerError, "InternalError", "InternalError", "We encountered an internal error. Please try again.", "Receiver"
	}
	w.Header().Set("Content-Type", contentType)
	w.Header().Set("x-amzn-query-error", code+";"+fault)
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(struct {
		Type    string `json:"__type"`
		Message string `json:"message"`
	}{errorPrefix + shape, message})
}

// The response shapes. The SDK's output types carry middleware metadata
// and nil pointers, so the wire gets its own structs.

type wireAttribute struct {
	DataType    string  `json:"DataType"`
	StringValue *string `json:"StringValue,omitempty"`
	BinaryValue []byte  `json:"BinaryValue,omitempty"`
}

type wireMessage struct {
	MessageId              string                   `json:"MessageId"`
	ReceiptHandle          string                   `json:"ReceiptHandle,omitempty"`
	MD5OfBody              string                   `json:"MD5OfBody"`
	Body                   string                   `json:"Body"`
	Attributes             map[string]string        `json:"Attributes,omitempty"`
	MD5OfMessageAttributes string                   `json:"MD5OfMessageAttributes,omitempty"`
	MessageAttributes      map[string]wireAttribute `json:"MessageAttributes,omitempty"`
}

func sendResult(out *sqs.SendMessageOutput) any {
	return struct {
		MessageId              string `json:"MessageId"`
		MD5OfMessageBody       string `json:"MD5OfMessageBody"`
		MD5OfMessageAttributes string `json:"MD5OfMessageAttributes,omitempty"`
	}{deref(out.MessageId), deref(out.MD5OfMessageBody), deref(out.MD5OfMessageAttributes)}
}

func receiveResult(out *sqs.ReceiveMessageOutput) any {
	msgs := make([]wireMessage, 0, len(out.Messages))
	for _, m := range out.Messages {
		msgs = append(msgs, toWireMessage(m))
	}
	return struct {
		Messages []wireMessage `json:"Messages,omitempty"`
	}{msgs}
}

func toWireMessage(m sqstypes.Message) wireMessage {
	wm := wireMessage{
		MessageId:              deref(m.MessageId),
		ReceiptHandle:          deref(m.ReceiptHandle),
		MD5OfBody:              deref(m.MD5OfBody),
		Body:                   deref(m.Body),
		Attributes:             m.Attributes,
		MD5OfMessageAttributes: deref(m.MD5OfMessageAttributes),
	}
	if len(m.MessageAttributes) > 0 {
		wm.MessageAttributes = make(map[string]wireAttribute, len(m.MessageAttributes))
		for name, v := range m.MessageAttributes {
			wm.MessageAttributes[name] = wireAttribute{DataType: deref(v.DataType), StringValue: v.StringValue, BinaryValue: v.BinaryValue}
		}
	}
	return wm
}

func queueAttributesResult(out *sqs.GetQueueAttributesOutput) any {
	return struct {
		Attributes map[string]string `json:"Attributes,omitempty"`
	}{out.Attributes}
}

func queueURLResult(out *sqs.GetQueueUrlOutput) any {
	return struct {
		QueueUrl string `json:"QueueUrl"`
	}{deref(out.QueueUrl)}
}
