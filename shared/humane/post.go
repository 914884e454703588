package humane

import (
	"bytes"
	"cmp"
	"context"
	"io"
	"net/http"
	"time"

	"github.com/nicechat-relay/nicechat-relay/shared/delivery"
	"github.com/nicechat-relay/nicechat-relay/shared/outbound"
)

// Post is one request of a channel to its service.
type Post struct {
	Client  *http.Client // the channel's one client (outbound.NewHTTPClient)
	Channel string       // the channel's name, in the User-Agent
	URL     string       // a secret more often than not: never quoted
	// Setting is the variable URL comes from, and What says what the URL
	// is ("Telegram API URL"): an unusable or redirecting URL names both.
	Setting, What string
	Body          []byte
	ContentType   string      // empty: application/json
	Header        http.Header // more headers (Authorization), or nil
	// Limit is how much of the answer is read, whole, for a service whose
	// answer is JSON to be read. Zero reads only the head a failure's
	// reason keeps, with URL's path and query taken out
	// (outbound.ReadAnswer).
	Limit int64
	// Scrub takes the channel's secrets out of the answer before it is
	// read (before a reason is cut from it, which could cut a secret in
	// two that no later scrub would find); nil takes nothing out.
	Scrub func([]byte) []byte
	// Redact is the last guard: every failure passes through it; nil
	// leaves them as they are.
	Redact func(*delivery.Error) *delivery.Error
}

// Answer is the service's answer to a Post, as a channel reads it.
type Answer struct {
	Status int
	Header http.Header
	Body   []byte    // scrubbed, and cut at the Post's Limit
	At     time.Time // the pacer's clock, for reading a Retry-After date
}

// OK reports a 2xx status.
func (a Answer) OK() bool { return a.Status >= 200 && a.Status < 300 }

// Classifier is a channel's reading of its service's answers: nil when the
// message was taken, else the failure in the shared vocabulary.
type Classifier func(Answer) *delivery.Error

// Post waits for the caller's turn, then posts and classifies the answer
// (see Send).
func (p *Pacer) Post(ctx context.Context, post Post, classify Classifier) *delivery.Error {
	if de := p.Turn(ctx); de != nil {
		return de
	}
	return p.Send(ctx, post, classify)
}

// Send posts now, in a turn the caller has taken, and classifies the
// answer; a failure to reach the service is retried, and a 429's wait
// holds back every later post of the pacer.
func (p *Pacer) Send(ctx context.Context, post Post, classify Classifier) *delivery.Error {
	a, de := p.exchange(ctx, post)
	if de == nil {
		de = classify(a)
	}
	if de == nil {
		return nil
	}
	if post.Redact != nil {
		de = post.Redact(de)
	}
	p.Observe(de)
	return de
}

func (p *Pacer) exchange(ctx context.Context, post Post) (Answer, *delivery.Error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, post.URL, bytes.NewReader(post.Body))
	if err != nil {
		// Its error would quote the URL, which may hold a secret.
		return Answer{}, delivery.Misconfigured(post.Setting, post.What+" is not usable", nil)
	}
	for k, v := range post.Header {
		req.Header[k] = v
	}
	req.Header.Set("Content-Type", cmp.Or(post.ContentType, "application/json"))
	req.Header.Set("User-Agent", UserAgent(post.Channel))
	resp, err := post.Client.Do(req)
	if err != nil {
		return Answer{}, delivery.FromTransportError(err)
	}
	a := Answer{Status: resp.StatusCode, Header: resp.Header, At: p.Clock()}
	if post.Limit == 0 {
		a.Body = outbound.ReadAnswer(resp.Body, post.URL)
	} else if a.Body, err = readWhole(resp.Body, post.Limit); err != nil && a.OK() {
		// The service may have taken the message; at least once means
		// posting it again.
		return Answer{}, delivery.FromTransportError(err)
	}
	if post.Scrub != nil {
		a.Body = post.Scrub(a.Body)
	}
	return a, nil
}

// readWhole reads up to limit bytes of an answer and closes it, draining
// a bounded remainder so the connection can be reused.
func readWhole(body io.ReadCloser, limit int64) ([]byte, error) {
	defer body.Close()
	answer, err := io.ReadAll(io.LimitReader(body, limit))
	_, _ = io.Copy(io.Discard, io.LimitReader(body, 64<<10))
	return answer, err
}

// UserAgent is how the relay's channel introduces itself to its service.
func UserAgent(channel string) string { return "nicechat-relay/1 (+" + channel + ")" }

// Retryable reports the statuses every service means as "later": 408,
// 429 and 5xx.
func Retryable(status int) bool {
	return status == http.StatusRequestTimeout || status == http.StatusTooManyRequests || status >= 500
}

// Classify reads an answer as every humane channel reads one before its
// own answers: nil for a 2xx; a redirect means the URL is not the
// service's, whose APIs never redirect, so it is misconfigured (setting
// named, the redirect not followed, its target cut to the host); 408, 429
// and 5xx are retried after the Retry-After asked; any other status is
// permanent (delivery.FromHTTPResponse).
func Classify(a Answer, setting, what string) *delivery.Error {
	switch {
	case a.OK():
		return nil
	case a.Status >= 300 && a.Status < 400:
		de := delivery.Misconfigured(setting, what+" redirects: "+delivery.FromHTTPResponse(a.Status, a.Header, nil, a.At).Reason, nil)
		de.Status = a.Status
		return de
	default:
		return delivery.FromHTTPResponse(a.Status, a.Header, a.Body, a.At)
	}
}
