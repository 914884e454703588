package humane

import (
	"context"
	"net/http"
	"sync"
	"time"

	"github.com/nicechat-relay/nicechat-relay/shared/delivery"
	"github.com/nicechat-relay/nicechat-relay/shared/duration"
)

// Pacer spaces posts to one rate-limited service (a Slack webhook, a
// Telegram chat) at least Interval apart, in the order callers arrive, and
// holds them all back while the service has asked to wait (a 429 with
// Retry-After). It is safe for concurrent use.
type Pacer struct {
	Interval time.Duration
	// Now and Sleep are the clock; nil means the real one. Tests replace
	// them to check pacing without waiting.
	Now   func() time.Time
	Sleep func(ctx context.Context, d time.Duration) error

	mu        sync.Mutex
	next      time.Time // the earliest time the next post may go
	holdUntil time.Time // set by a 429 with Retry-After
}

// NewPacer paces posts interval apart.
func NewPacer(interval time.Duration) *Pacer { return &Pacer{Interval: interval} }

// Turn returns when it is the caller's turn to post. A non-nil error means
// "do not post": the service asked to back off (a retry after that long),
// or ctx ended while waiting (a retry wrapping ctx's error).
func (p *Pacer) Turn(ctx context.Context) *delivery.Error {
	backOff, err := p.wait(ctx)
	if err != nil {
		return delivery.Retry("not posted: "+err.Error(), err)
	}
	if backOff > 0 {
		de := delivery.Retry("not posted: the service asked to slow down", nil)
		de.RetryAfter = backOff
		return de
	}
	return nil
}

// Observe holds every post back for as long as a failed post's 429 asked.
func (p *Pacer) Observe(de *delivery.Error) {
	if de != nil && de.Status == http.StatusTooManyRequests && de.RetryAfter > 0 {
		p.holdOff(de.RetryAfter)
	}
}

// Clock is the pacer's current time, for reading a Retry-After date.
func (p *Pacer) Clock() time.Time {
	if p.Now != nil {
		return p.Now()
	}
	return time.Now()
}

func (p *Pacer) wait(ctx context.Context) (time.Duration, error) {
	if err := ctx.Err(); err != nil {
		return 0, err
	}
	p.mu.Lock()
	now := p.Clock()
	if now.Before(p.holdUntil) {
		p.mu.Unlock()
		return p.holdUntil.Sub(now), nil
	}
	at := p.next
	if at.Before(now) {
		at = now
	}
	p.next = at.Add(p.Interval)
	p.mu.Unlock()

	if d := at.Sub(now); d > 0 {
		if err := p.sleep(ctx, d); err != nil {
			p.mu.Lock()
			// Give the turn back if nobody queued behind it.
			if p.next.Equal(at.Add(p.Interval)) {
				p.next = at
			}
			p.mu.Unlock()
			return 0, err
		}
		// A 429 may have arrived while this caller waited its turn.
		p.mu.Lock()
		defer p.mu.Unlock()
		if now := p.Clock(); now.Before(p.holdUntil) {
			return p.holdUntil.Sub(now), nil
		}
	}
	return 0, nil
}

func (p *Pacer) holdOff(d time.Duration) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if until := p.Clock().Add(d); until.After(p.holdUntil) {
		p.holdUntil = until
	}
}

func (p *Pacer) sleep(ctx context.Context, d time.Duration) error {
	if p.Sleep != nil {
		return p.Sleep(ctx, d)
	}
	return duration.Sleep(ctx, d)
}
