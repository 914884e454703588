package slack

import (
	"context"
	"sync"
	"time"
)

// pacer spaces posts to one webhook at least interval apart, in the order
// callers arrive, and holds them all back while Slack has asked to wait.
type pacer struct {
	interval time.Duration
	now      func() time.Time
	sleep    func(ctx context.Context, d time.Duration) error

	mu        sync.Mutex
	next      time.Time // the earliest time the next post may go
	holdUntil time.Time // set by a 429 with Retry-After
}

func newPacer(interval time.Duration) *pacer {
	return &pacer{interval: interval, now: time.Now, sleep: sleepContext}
}

// wait returns when it is the caller's turn to post. It returns a
// positive duration instead when Slack has asked to back off for that long
// (posting now would only earn another 429), and ctx's error when ctx ends
// first.
func (p *pacer) wait(ctx context.Context) (time.Duration, error) {
	if err := ctx.Err(); err != nil {
		return 0, err
	}
	p.mu.Lock()
	now := p.now()
	if now.Before(p.holdUntil) {
		p.mu.Unlock()
		return p.holdUntil.Sub(now), nil
	}
	at := p.next
	if at.Before(now) {
		at = now
	}
	p.next = at.Add(p.interval)
	p.mu.Unlock()

	if d := at.Sub(now); d > 0 {
		if err := p.sleep(ctx, d); err != nil {
			p.mu.Lock()
			// Give the turn back if nobody queued behind it.
			if p.next.Equal(at.Add(p.interval)) {
				p.next = at
			}
			p.mu.Unlock()
			return 0, err
		}
		// A 429 may have arrived while this caller waited its turn.
		p.mu.Lock()
		defer p.mu.Unlock()
		if now := p.now(); now.Before(p.holdUntil) {
			return p.holdUntil.Sub(now), nil
		}
	}
	return 0, nil
}

// holdOff stops posts for d, as a 429's Retry-After asks.
func (p *pacer) holdOff(d time.Duration) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if until := p.now().Add(d); until.After(p.holdUntil) {
		p.holdUntil = until
	}
}

func sleepContext(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}
