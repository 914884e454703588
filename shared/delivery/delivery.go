// Package delivery is the failure vocabulary every channel speaks, so the
// consumer loop that chooses between retrying, pausing and dead-lettering
// is written once: what a channel is (Channel), its classified failures
// (Error, Retry, Permanent, Misconfigured, InvalidMessage), and how an
// HTTP answer or a transport error is classified. The HTTP client and the
// URL's redaction are in package outbound.
package delivery

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
	"unicode"

	"github.com/nicechat-relay/nicechat-relay/shared/message"
	"github.com/nicechat-relay/nicechat-relay/shared/outbound"
)

// Class tells the runtime what to do with a failed delivery.
type Class string

const (
	// ClassRetry: a transient failure; try again later (after RetryAfter if set).
	ClassRetry Class = "retry"
	// ClassPermanent: this message will never be accepted; dead-letter it.
	ClassPermanent Class = "permanent"
	// ClassMisconfigured: the channel's settings are wrong, so no message
	// of it can be delivered until they are fixed: the runtime pauses the
	// channel, keeping its messages queued, and tells the operator which
	// setting to fix (it dead-letters only where nothing can pause).
	ClassMisconfigured Class = "misconfigured"
	// ClassInvalidMessage: the SQS record itself cannot be understood.
	ClassInvalidMessage Class = "invalid_message"
	// ClassExhausted: a retryable failure that outlasted the attempt
	// budget (MAX_ATTEMPTS); only the runtime decides it, never a channel.
	ClassExhausted Class = "exhausted"
)

// MaxReasonBytes bounds the reason kept for logs and dead letters.
const MaxReasonBytes = 512

// Channel delivers one message.
type Channel interface {
	Name() string
	Deliver(ctx context.Context, m message.Message) error
	// Timeout is the longest one Deliver may take: the runtime starts no
	// delivery it could not finish before the invocation's deadline.
	Timeout() time.Duration
}

// Error is a classified delivery failure.
type Error struct {
	Class      Class
	RetryAfter time.Duration // for ClassRetry, when the far end asked for a delay
	Status     int           // HTTP status, 0 when there was none
	Code       string        // AWS error code or Slack error string, when known
	Reason     string        // short and human: "HTTP 503: upstream down"
	Setting    string        // for ClassMisconfigured: the variable to fix
	Err        error         // the underlying error, if any
}

func (e *Error) Error() string {
	s := string(e.Class) + ": " + e.Reason
	if e.Setting != "" {
		s += " (check " + e.Setting + ")"
	}
	return s
}

func (e *Error) Unwrap() error { return e.Err }

// Retry is a transient failure worth another attempt.
func Retry(reason string, err error) *Error {
	return &Error{Class: ClassRetry, Reason: Truncate(reason, MaxReasonBytes), Err: err}
}

// Permanent is a failure no retry will fix.
func Permanent(reason string, err error) *Error {
	return &Error{Class: ClassPermanent, Reason: Truncate(reason, MaxReasonBytes), Err: err}
}

// Misconfigured is a failure the operator fixes by changing setting.
func Misconfigured(setting, reason string, err error) *Error {
	return &Error{Class: ClassMisconfigured, Setting: setting, Reason: Truncate(reason, MaxReasonBytes), Err: err}
}

// InvalidMessage is a message no channel could ever deliver: its body is
// not an event, or its attributes make no sense.
func InvalidMessage(reason string, err error) *Error {
	return &Error{Class: ClassInvalidMessage, Reason: Truncate(reason, MaxReasonBytes), Err: err}
}

// Classify returns the classified form of err. Errors that carry no class
// are treated as transient: an unknown failure is retried, and the retry
// budget still bounds it.
func Classify(err error) *Error {
	if err == nil {
		return nil
	}
	var de *Error
	if errors.As(err, &de) {
		return de
	}
	return Retry(err.Error(), err)
}

// FromHTTPResponse classifies a non-2xx response of a generic HTTP endpoint:
// 408, 429 and 5xx are retried (honouring Retry-After), a 3xx is a
// redirect not followed, 410 means the endpoint is gone, any other status
// is permanent. body is the start of the
// response body, kept in the reason.
func FromHTTPResponse(status int, header http.Header, body []byte, now time.Time) *Error {
	reason := HTTPReason(status, body)
	switch {
	case status == http.StatusRequestTimeout, status == http.StatusTooManyRequests, status >= 500:
		e := Retry(reason, nil)
		e.Status = status
		e.RetryAfter = ParseRetryAfter(header.Get("Retry-After"), now)
		return e
	case status >= 300 && status < 400:
		// outbound.NewHTTPClient follows no redirect: re-posting an event
		// wherever we are sent is for the operator to decide, by changing
		// the URL.
		e := Permanent(HTTPReason(status, nil)+": redirect not followed"+redirectTarget(header), nil)
		e.Status = status
		return e
	case status == http.StatusGone:
		e := Permanent("endpoint gone: "+reason, nil)
		e.Status = status
		return e
	default:
		e := Permanent(reason, nil)
		e.Status = status
		return e
	}
}

// FromTransportError classifies an error from http.Client.Do: timeouts,
// refused connections, DNS and TLS failures are all worth a retry. A
// cancelled context is retried too: the message was not delivered. The
// URL in the error is cut to scheme and host (outbound.RedactError),
// because webhook URLs often carry a secret in their path or query.
func FromTransportError(err error) *Error {
	err = outbound.RedactError(err)
	reason := "request failed: " + err.Error()
	if errors.Is(err, context.DeadlineExceeded) {
		reason = "request timed out: " + err.Error()
	}
	return Retry(reason, err)
}

// redirectTarget names where a redirect points, cut to scheme and host:
// an http-to-https redirect repeats our URL's path and query, which may
// hold a secret.
func redirectTarget(header http.Header) string {
	u, err := url.Parse(header.Get("Location"))
	if err != nil || u.Host == "" {
		return ""
	}
	return " (Location: " + u.Scheme + "://" + u.Host + "/…)"
}

// HTTPReason is "HTTP <status>: <start of body>", on one line. The body
// is the far end's text: control characters (escape sequences meant for
// an operator's terminal among them) become spaces, and an HTML error
// page is reduced to its text.
func HTTPReason(status int, body []byte) string {
	s := "HTTP " + strconv.Itoa(status)
	printable := strings.Map(func(r rune) rune {
		if unicode.IsControl(r) {
			return ' '
		}
		return r
	}, outbound.PageText(strings.ToValidUTF8(string(body), "")))
	if b := strings.Join(strings.Fields(printable), " "); b != "" {
		s += ": " + b
	}
	return Truncate(s, MaxReasonBytes)
}

// ParseRetryAfter reads a Retry-After header: delay-seconds or an HTTP
// date. Zero means absent or unreadable.
func ParseRetryAfter(v string, now time.Time) time.Duration {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0
	}
	if secs, err := strconv.ParseInt(v, 10, 64); err == nil {
		if secs <= 0 {
			return 0
		}
		return time.Duration(min(secs, 12*3600)) * time.Second
	}
	if at, err := http.ParseTime(v); err == nil && at.After(now) {
		return min(at.Sub(now), 12*time.Hour)
	}
	return 0
}

// Truncate cuts s to at most n bytes without splitting a UTF-8 sequence,
// marking the cut with an ellipsis.
func Truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	const ellipsis = "…"
	cut := n - len(ellipsis)
	for cut > 0 && !isRuneStart(s[cut]) {
		cut--
	}
	if cut <= 0 {
		return ""
	}
	return s[:cut] + ellipsis
}

func isRuneStart(b byte) bool { return b&0xC0 != 0x80 }
