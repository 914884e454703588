// Package outboundtest holds what the channels' tests share of the far
// end: a stand-in HTTP service that records what it got and answers as
// the test says, answers that echo a secret and a check that none of it
// leaks, and a fake clock for humane.Pacer. For tests only.
package outboundtest

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
)

// Endpoint is a stand-in service on 127.0.0.1 (a Slack webhook, the
// Telegram Bot API) that records each request and answers with whatever
// the test sets.
type Endpoint struct {
	*httptest.Server
	mu       sync.Mutex
	requests []Request
	status   int
	header   http.Header
	body     string
}

// Request is one request an Endpoint got.
type Request struct {
	Method, Path string
	Header       http.Header
	Body         []byte
}

// NewEndpoint starts an endpoint answering status, header and body until
// told otherwise; it stops with the test.
func NewEndpoint(t testing.TB, status int, header http.Header, body string) *Endpoint {
	e := &Endpoint{status: status, header: header, body: body}
	e.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		reqBody, _ := io.ReadAll(r.Body)
		e.mu.Lock()
		e.requests = append(e.requests, Request{r.Method, r.URL.Path, r.Header.Clone(), reqBody})
		status, header, body := e.status, e.header, e.body
		e.mu.Unlock()
		for k, v := range header {
			w.Header()[k] = v
		}
		w.WriteHeader(status)
		_, _ = io.WriteString(w, body)
	}))
	t.Cleanup(e.Close)
	return e
}

// Answer sets the answer to the next requests.
func (e *Endpoint) Answer(status int, header http.Header, body string) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.status, e.header, e.body = status, header, body
}

// Received is every request so far, in order.
func (e *Endpoint) Received() []Request {
	e.mu.Lock()
	defer e.mu.Unlock()
	return slices.Clone(e.requests)
}

// Clock stands in for a humane.Pacer's clock (its Now and Sleep):
// sleeping records the wait and moves time on at once, so pacing is
// checked without waiting.
type Clock struct {
	mu     sync.Mutex
	now    time.Time
	sleeps []time.Duration
	frozen bool
}

// NewClock is a clock showing now.
func NewClock(now time.Time) *Clock { return &Clock{now: now} }

// Now is the clock's time.
func (c *Clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

// Sleep records d and moves the clock on by it, unless it is frozen.
func (c *Clock) Sleep(ctx context.Context, d time.Duration) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.sleeps = append(c.sleeps, d)
	if !c.frozen {
		c.now = c.now.Add(d)
	}
	return ctx.Err()
}

// Freeze stops the clock moving when slept on.
func (c *Clock) Freeze() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.frozen = true
}

// Advance moves the clock on by d.
func (c *Clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

// Sleeps is every wait so far, in order.
func (c *Clock) Sleeps() []time.Duration {
	c.mu.Lock()
	defer c.mu.Unlock()
	return slices.Clone(c.sleeps)
}

// EchoPaddings are answers a far end may give that quote the request's
// URL (an error page of a proxy or a framework) after enough padding
// that the quote straddles the reason's cut, as Echo writes them.
var EchoPaddings = map[string]string{
	"after 440 bytes of text":           strings.Repeat("x", 440) + " Cannot POST %s",
	"inside an HTML page":               "<html><body><p>" + strings.Repeat("y", 430) + "</p><p>Cannot POST %s</p></body></html>",
	"across the end of what is read":    strings.Repeat(" ", 16<<10-40) + "%s",
	"after a long line of white space":  strings.Repeat("\n", 2000) + "%s",
	"twice, the second past the reason": "%s " + strings.Repeat("z", 470) + " %s",
}

// EchoForms are the ways a far end may write the request's URI (its
// escaped path and raw query) when it quotes it, each turning uri into
// what it echoes: whole or in parts, escaped, decoded or recased. Each
// form is echoed inside each of EchoPaddings.
var EchoForms = map[string]func(uri string) string{
	"as sent":                   func(uri string) string { return uri },
	"JSON with escaped slashes": func(uri string) string { return `{"path":"` + strings.ReplaceAll(uri, "/", `\/`) + `"}` },
	"JSON with Go's escapes": func(uri string) string {
		r := strings.NewReplacer("&", `\u0026`, "<", `\u003c`, ">", `\u003e`)
		return `{"error":"no hook","url":"` + r.Replace(uri) + `"}`
	},
	"each query value alone": func(uri string) string {
		_, q, _ := strings.Cut(uri, "?")
		var vs []string
		for _, kv := range strings.Split(q, "&") {
			_, v, _ := strings.Cut(kv, "=")
			vs = append(vs, v)
		}
		return "invalid token " + strings.Join(vs, ", invalid token ")
	},
	"the last path segment alone": func(uri string) string {
		p, _, _ := strings.Cut(uri, "?")
		return "unknown webhook " + p[strings.LastIndexByte(p, '/')+1:]
	},
	"decoded": func(uri string) string {
		if d, err := url.PathUnescape(uri); err == nil {
			return d
		}
		return uri
	},
	"upper-cased": strings.ToUpper,
	"lower-cased": strings.ToLower,
	"a stray invalid byte in the last segment": func(uri string) string {
		p, q, _ := strings.Cut(uri, "?")
		i := strings.LastIndexByte(p, '/') + 4
		if i > len(p) {
			return uri
		}
		if q != "" {
			q = "?" + q
		}
		return p[:i] + "\xff" + p[i:] + q
	},
}

// Echo writes padding (one of EchoPaddings) with every %s replaced by
// what.
func Echo(padding, what string) string {
	return strings.ReplaceAll(padding, "%s", what)
}

// LeakedPart returns the longest part of secret, at least min bytes long,
// that text carries in any case, or "" when it carries none.
func LeakedPart(text, secret string, min int) string {
	text = strings.ToLower(text)
	for n := len(secret); n >= min; n-- {
		for i := 0; i+n <= len(secret); i++ {
			if strings.Contains(text, strings.ToLower(secret[i:i+n])) {
				return secret[i : i+n]
			}
		}
	}
	return ""
}
