package delivery

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/url"
	"time"
)

// maxDrainBytes bounds how much of a response body is read (and thrown
// away) so the connection can be reused; a larger body closes it instead.
const maxDrainBytes = 64 << 10

// NewHTTPClient is the one client a channel shares across deliveries: a
// whole-request timeout and no redirects followed (a redirect is reported
// as the 3xx it is, never silently re-posted elsewhere).
func NewHTTPClient(timeout time.Duration) *http.Client {
	transport := http.DefaultTransport.(*http.Transport).Clone()
	transport.MaxIdleConnsPerHost = 16
	transport.ResponseHeaderTimeout = timeout
	return &http.Client{
		Timeout:   timeout,
		Transport: transport,
		CheckRedirect: func(*http.Request, []*http.Request) error {
			return http.ErrUseLastResponse
		},
	}
}

// ReadBody returns the first MaxReasonBytes of a response body for the
// failure reason, drains a bounded remainder and closes it.
func ReadBody(body io.ReadCloser) []byte {
	defer body.Close()
	head, _ := io.ReadAll(io.LimitReader(body, MaxReasonBytes))
	_, _ = io.Copy(io.Discard, io.LimitReader(body, maxDrainBytes))
	return head
}

// FromTransportError classifies an error from http.Client.Do: timeouts,
// refused connections, DNS and TLS failures are all worth a retry. A
// cancelled context is retried too: the message was not delivered. The
// URL in the error is cut to scheme and host, because webhook URLs often
// carry a secret in their path or query.
func FromTransportError(err error) *Error {
	err = redactURL(err)
	reason := "request failed: " + err.Error()
	if errors.Is(err, context.DeadlineExceeded) {
		reason = "request timed out: " + err.Error()
	}
	return Retry(reason, err)
}

func redactURL(err error) error {
	var ue *url.Error
	if !errors.As(err, &ue) {
		return err
	}
	redacted := *ue
	redacted.URL = "(url)"
	if u, perr := url.Parse(ue.URL); perr == nil {
		redacted.URL = u.Scheme + "://" + u.Host + "/…"
	}
	return &redacted
}
