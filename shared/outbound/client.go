package delivery

import (
	"bytes"
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

// maxAnswerBytes bounds how much of an error answer is read for its
// reason: far more than the reason keeps (MaxReasonBytes), so that the
// secrets are taken out of the whole text before it is cut.
const maxAnswerBytes = 16 << 10

// ReadAnswer returns the start of a response body for a failure's reason,
// with the secret parts of rawURL, the configured URL, taken out (see
// RedactBody), drains a bounded remainder and closes the body. Secrets go
// before any cut: a cut through an echoed secret would leave a part of it
// that no later scrub could find, so the part of a secret that the read
// itself cut off at its end is dropped too.
func ReadAnswer(body io.ReadCloser, rawURL string) []byte {
	defer body.Close()
	head, _ := io.ReadAll(io.LimitReader(body, maxAnswerBytes+1))
	if len(head) > maxAnswerBytes {
		head = head[:maxAnswerBytes]
		head = dropSecretPrefix(head, urlSecrets(rawURL))
	}
	_, _ = io.Copy(io.Discard, io.LimitReader(body, maxDrainBytes))
	return RedactBody(head, rawURL)
}

// dropSecretPrefix cuts off the start of a secret that text ends with.
func dropSecretPrefix(text []byte, secrets []string) []byte {
	for _, s := range secrets {
		for n := len(s) - 1; n > 0; n-- {
			if bytes.HasSuffix(text, []byte(s[:n])) {
				text = text[:len(text)-n]
				break
			}
		}
	}
	return text
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
