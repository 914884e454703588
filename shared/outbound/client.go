// Package outbound is how a channel talks to the far end over HTTP: the
// one client it shares, the start of an answer read for a failure's
// reason, an HTML answer reduced to its text, and the configured URL
// checked, shown and kept out of everything the far end says back: a
// webhook URL often carries its credential in its path or query.
package outbound

import (
	"errors"
	"net/http"
	"net/url"
	"time"
)

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

// RedactError cuts the URL in an error from http.Client.Do to scheme and
// host: webhook URLs often carry a secret in their path or query. Other
// errors are returned as they are.
func RedactError(err error) error {
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
