package main

import (
	"net"
	"net/http"
	"sync"
	"time"
)

// connLimit holds the connections a listener serves to max. A connection
// that has sent no complete request yet, or sits idle between requests,
// costs the relay a goroutine and its buffers (about 16 kB) while it
// waits: thousands of them sending their headers slowly took 150 MB. At
// the cap, a new connection takes the place of the one that has waited
// longest, once it has waited evictAfter, so that a valid callback is
// still read while slow ones are held open; a connection whose request is
// being handled is never closed. When every place is taken by a request
// in progress, or by connections too young to close, Accept waits for a
// place: the kernel keeps the newcomer in the listen queue meanwhile,
// rather than resetting it.
type connLimit struct {
	net.Listener
	max        int
	evictAfter time.Duration

	mu     sync.Mutex
	freed  *sync.Cond // a place may have come free, or the listener closed
	conns  map[*limitedConn]struct{}
	closed bool
	ripens bool // a timer wakes Accept when a waiting connection can be closed
}

func limitConns(l net.Listener, max int, evictAfter time.Duration) *connLimit {
	c := &connLimit{Listener: l, max: max, evictAfter: evictAfter, conns: map[*limitedConn]struct{}{}}
	c.freed = sync.NewCond(&c.mu)
	return c
}

// limitedConn is a connection and what the server last said of it.
type limitedConn struct {
	net.Conn
	l       *connLimit
	waiting bool      // no request in progress (guarded by l.mu)
	since   time.Time // when it began waiting
	once    sync.Once
}

func (c *limitedConn) Close() error {
	err := c.Conn.Close()
	c.once.Do(func() { c.l.release(c) })
	return err
}

func (l *connLimit) Accept() (net.Conn, error) {
	conn, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	c := &limitedConn{Conn: conn, l: l, waiting: true, since: time.Now()}
	l.mu.Lock()
	for len(l.conns) >= l.max && !l.closed {
		if old := l.longestWaitingLocked(); old != nil {
			age := time.Since(old.since)
			if age >= l.evictAfter {
				delete(l.conns, old)
				l.mu.Unlock()
				_ = old.Close()
				l.mu.Lock()
				continue
			}
			if !l.ripens {
				l.ripens = true
				time.AfterFunc(l.evictAfter-age, func() {
					l.mu.Lock()
					l.ripens = false
					l.freed.Broadcast()
					l.mu.Unlock()
				})
			}
		}
		l.freed.Wait()
	}
	if l.closed {
		l.mu.Unlock()
		_ = conn.Close()
		return nil, net.ErrClosed
	}
	l.conns[c] = struct{}{}
	l.mu.Unlock()
	return c, nil
}

// longestWaitingLocked is the connection that has waited longest without
// a request in progress; nil when every one has a request in progress.
func (l *connLimit) longestWaitingLocked() *limitedConn {
	var oldest *limitedConn
	for c := range l.conns {
		if c.waiting && (oldest == nil || c.since.Before(oldest.since)) {
			oldest = c
		}
	}
	return oldest
}

func (l *connLimit) release(c *limitedConn) {
	l.mu.Lock()
	delete(l.conns, c)
	l.freed.Broadcast()
	l.mu.Unlock()
}

func (l *connLimit) Close() error {
	l.mu.Lock()
	l.closed = true
	l.freed.Broadcast()
	l.mu.Unlock()
	return l.Listener.Close()
}

// track is the server's ConnState hook: it tells which connections wait.
func (l *connLimit) track(conn net.Conn, state http.ConnState) {
	c, ok := conn.(*limitedConn)
	if !ok {
		return
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	switch state {
	case http.StateNew, http.StateIdle:
		c.waiting, c.since = true, time.Now()
		l.freed.Broadcast() // Accept, waiting for a place, may take this one in time
	case http.StateActive:
		c.waiting = false
	}
}

// open is how many connections the listener holds.
func (l *connLimit) open() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.conns)
}
