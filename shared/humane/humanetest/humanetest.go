// Package humanetest is the tests' half of the humane kit: the checks
// every humane channel must pass the same way (the HTTP answers every
// service gives alike, pacing, failures to reach the service, the
// settings' parsing, the language, the translations, a poisonous form),
// each run by calling it from the channel's own test with what is the
// channel's own. For tests only.
package humanetest

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	fixtures "github.com/nicechat-relay/nicechat-relay/events"
	"github.com/nicechat-relay/nicechat-relay/shared/delivery"
	"github.com/nicechat-relay/nicechat-relay/shared/humane"
	"github.com/nicechat-relay/nicechat-relay/shared/message"
	"github.com/nicechat-relay/nicechat-relay/shared/nicechat"
	"github.com/nicechat-relay/nicechat-relay/shared/outbound/outboundtest"
)

// Answer is an answer a stand-in service gives.
type Answer struct {
	Status int
	Header http.Header
	Body   string
}

// Service is a humane channel that posts over HTTP, as the checks drive
// it.
type Service struct {
	// Open builds the channel posting to url, a stand-in service's base
	// URL, with the post timeout and the pace given (zero: the channel's
	// defaults). It returns the channel and its pacer, whose clock the
	// checks replace.
	Open func(t *testing.T, url string, timeout, interval time.Duration) (delivery.Channel, *humane.Pacer)
	// OK is the service's answer to a post it took.
	OK Answer
	// TooMany is its answer asking for a wait of 30 seconds.
	TooMany Answer
	// URLSetting is the variable naming where the channel posts.
	URLSetting string
	// ReasonSays is what the reason of every failed answer holds, if
	// anything ("HTTP ").
	ReasonSays string
	// Secret is what no failure may show (the credential in the URL).
	Secret string
}

// Message is the message SQS hands a consumer for body.
func Message(body []byte) message.Message {
	return message.Message{Body: body, Event: "first_message", EventID: nicechat.EventID(body), ReceivedAt: time.Now()}
}

// AsDeliveryError is err as the *delivery.Error every channel fails with.
func AsDeliveryError(t *testing.T, err error) *delivery.Error {
	t.Helper()
	var de *delivery.Error
	if !errors.As(err, &de) {
		t.Fatalf("error %v (%T) is not a *delivery.Error", err, err)
	}
	return de
}

// NewEndpoint is the stand-in service on 127.0.0.1, answering a.
func NewEndpoint(t testing.TB, a Answer) *outboundtest.Endpoint {
	return outboundtest.NewEndpoint(t, a.Status, a.Header, a.Body)
}

// OnClock puts p on a test clock: its waits are recorded, not slept.
func OnClock(p *humane.Pacer) *outboundtest.Clock {
	clock := outboundtest.NewClock(time.Date(2024, 7, 1, 12, 0, 0, 0, time.UTC))
	p.Now, p.Sleep = clock.Now, clock.Sleep
	return clock
}

// Refused is the URL of a service that refuses connections.
func Refused(t *testing.T) string {
	s := httptest.NewServer(http.NotFoundHandler())
	s.Close()
	return s.URL
}

// Hanging is the URL of a service that never answers, until the request
// gives up.
func Hanging(t *testing.T) string {
	release := make(chan struct{})
	s := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-r.Context().Done():
		case <-release:
		}
	}))
	t.Cleanup(s.Close)
	t.Cleanup(func() { close(release) })
	return s.URL
}

// AnswerCase is an answer and how the channel must take it.
type AnswerCase struct {
	Name       string
	Status     int
	Header     http.Header
	Body       string
	Class      delivery.Class // empty: delivered
	RetryAfter time.Duration
	Code       string
	Setting    string
	Reason     string // the whole reason, if checked
	Saying     string // a part of the reason, if checked
}

const nginx502 = "<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body><center><h1>502 Bad Gateway</h1></center><hr><center>nginx</center></body></html>"

// CommonAnswers are the answers every service, or a proxy before it, may
// give, which every humane channel takes the same way: 408, 429 and 5xx
// retried after the wait asked, a redirect not followed and the URL's
// setting named, a proxy's refusal permanent.
func CommonAnswers(urlSetting string) []AnswerCase {
	retryAfter := func(v string) http.Header { return http.Header{"Retry-After": {v}} }
	return []AnswerCase{
		{Name: "408 is retried", Status: 408, Class: delivery.ClassRetry},
		{Name: "429 is retried after Retry-After", Status: 429, Header: retryAfter("30"), Class: delivery.ClassRetry, RetryAfter: 30 * time.Second},
		{Name: "500 is retried", Status: 500, Class: delivery.ClassRetry},
		{Name: "502 from a proxy is retried", Status: 502, Body: nginx502, Class: delivery.ClassRetry},
		{Name: "503 is retried after Retry-After", Status: 503, Header: retryAfter("120"), Class: delivery.ClassRetry, RetryAfter: 2 * time.Minute},
		{Name: "302 is a wrong URL, not followed", Status: 302, Header: http.Header{"Location": {"https://elsewhere.example/"}},
			Class: delivery.ClassMisconfigured, Setting: urlSetting, Saying: "redirect not followed (Location: https://elsewhere.example/…)"},
		{Name: "400 from a proxy is permanent", Status: 400, Body: "<html><body>Bad Request</body></html>", Class: delivery.ClassPermanent},
		{Name: "413 from a proxy is permanent", Status: 413, Body: "<html><body>Request Entity Too Large</body></html>", Class: delivery.ClassPermanent},
	}
}

// CheckAnswers delivers an event against each of CommonAnswers and the
// channel's own answers, checking each is taken as it says.
func CheckAnswers(t *testing.T, svc Service, own ...AnswerCase) {
	body := fixtures.Body(nicechat.TypeFirstMessage)
	for _, tc := range append(CommonAnswers(svc.URLSetting), own...) {
		t.Run(tc.Name, func(t *testing.T) {
			s := NewEndpoint(t, Answer{tc.Status, tc.Header, tc.Body})
			ch, pacer := svc.Open(t, s.URL, 5*time.Second, 0)
			OnClock(pacer)
			err := ch.Deliver(context.Background(), Message(body))
			if n := len(s.Received()); n != 1 {
				t.Fatalf("the service got %d requests, want 1", n)
			}
			if tc.Class == "" {
				if err != nil {
					t.Fatalf("Deliver = %v, want success", err)
				}
				return
			}
			de := AsDeliveryError(t, err)
			if de.Class != tc.Class || de.RetryAfter != tc.RetryAfter || de.Code != tc.Code || de.Setting != tc.Setting || de.Status != tc.Status {
				t.Errorf("error = %+v, want class %s, retry after %s, code %q, setting %q, status %d", de, tc.Class, tc.RetryAfter, tc.Code, tc.Setting, tc.Status)
			}
			if tc.Reason != "" && de.Reason != tc.Reason {
				t.Errorf("reason = %q, want %q", de.Reason, tc.Reason)
			}
			for _, part := range []string{tc.Saying, svc.ReasonSays, strconv.Itoa(tc.Status)} {
				if !strings.Contains(de.Reason, part) {
					t.Errorf("reason %q does not say %q", de.Reason, part)
				}
			}
			if len(de.Reason) > delivery.MaxReasonBytes {
				t.Errorf("reason is %d bytes, over %d", len(de.Reason), delivery.MaxReasonBytes)
			}
		})
	}
}

// CheckPacing checks that the channel posts at most once an interval, in
// turn, holds every post back while the service asked to wait, and posts
// nothing once its context has ended.
func CheckPacing(t *testing.T, svc Service) {
	body := fixtures.Body(nicechat.TypeNewChat)
	open := func(t *testing.T) (*outboundtest.Endpoint, delivery.Channel, *humane.Pacer, *outboundtest.Clock) {
		s := NewEndpoint(t, svc.OK)
		ch, pacer := svc.Open(t, s.URL, 5*time.Second, 0)
		return s, ch, pacer, OnClock(pacer)
	}
	deliver := func(t *testing.T, ch delivery.Channel) {
		t.Helper()
		if err := ch.Deliver(context.Background(), Message(body)); err != nil {
			t.Fatal(err)
		}
	}

	t.Run("one after another, each waits out the interval", func(t *testing.T) {
		s, ch, pacer, clock := open(t)
		for range 3 {
			deliver(t, ch)
		}
		if got, want := clock.Sleeps(), []time.Duration{pacer.Interval, pacer.Interval}; !slices.Equal(got, want) {
			t.Errorf("waits = %v, want %v", got, want)
		}
		if n := len(s.Received()); n != 3 {
			t.Errorf("the service got %d requests, want 3", n)
		}
	})

	t.Run("no wait once the interval has passed", func(t *testing.T) {
		_, ch, pacer, clock := open(t)
		for range 3 {
			deliver(t, ch)
			clock.Advance(pacer.Interval)
		}
		if got := clock.Sleeps(); len(got) != 0 {
			t.Errorf("waits = %v, want none", got)
		}
	})

	t.Run("concurrent callers each take the next turn", func(t *testing.T) {
		s, ch, pacer, clock := open(t)
		clock.Freeze()
		var wg sync.WaitGroup
		errs := make(chan error, 5)
		for range 5 {
			wg.Go(func() { errs <- ch.Deliver(context.Background(), Message(body)) })
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			if err != nil {
				t.Fatal(err)
			}
		}
		got := clock.Sleeps()
		slices.Sort(got)
		if i := pacer.Interval; !slices.Equal(got, []time.Duration{i, 2 * i, 3 * i, 4 * i}) {
			t.Errorf("waits = %v, want 1 to 4 intervals of %s", got, i)
		}
		if n := len(s.Received()); n != 5 {
			t.Errorf("the service got %d requests, want 5", n)
		}
	})

	t.Run("a 429 holds later posts back for the wait it asks", func(t *testing.T) {
		s, ch, _, clock := open(t)
		s.Answer(svc.TooMany.Status, svc.TooMany.Header, svc.TooMany.Body)
		if de := AsDeliveryError(t, ch.Deliver(context.Background(), Message(body))); de.Status != 429 || de.RetryAfter != 30*time.Second {
			t.Fatalf("first post: %+v, want a 429 retried after 30s", de)
		}
		s.Answer(svc.OK.Status, svc.OK.Header, svc.OK.Body)
		clock.Advance(10 * time.Second)
		de := AsDeliveryError(t, ch.Deliver(context.Background(), Message(body)))
		if de.Class != delivery.ClassRetry || de.RetryAfter != 20*time.Second {
			t.Errorf("during the hold: %+v, want retry after 20s", de)
		}
		if n := len(s.Received()); n != 1 {
			t.Errorf("the service got %d requests during the hold, want 1", n)
		}
		clock.Advance(20 * time.Second)
		deliver(t, ch)
		if n := len(s.Received()); n != 2 {
			t.Errorf("the service got %d requests, want 2", n)
		}
	})

	t.Run("a failure other than 429 holds nothing back", func(t *testing.T) {
		s, ch, pacer, clock := open(t)
		s.Answer(503, http.Header{"Retry-After": {"30"}}, "")
		_ = ch.Deliver(context.Background(), Message(body))
		s.Answer(svc.OK.Status, svc.OK.Header, svc.OK.Body)
		clock.Advance(pacer.Interval)
		deliver(t, ch)
	})

	t.Run("with the real clock every message is still delivered", func(t *testing.T) {
		s := NewEndpoint(t, svc.OK)
		ch, _ := svc.Open(t, s.URL, 0, time.Millisecond)
		for range 3 {
			deliver(t, ch)
		}
		if n := len(s.Received()); n != 3 {
			t.Errorf("the service got %d requests, want 3", n)
		}
	})

	t.Run("an ended context posts nothing", func(t *testing.T) {
		s, ch, _, _ := open(t)
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		de := AsDeliveryError(t, ch.Deliver(ctx, Message(body)))
		if de.Class != delivery.ClassRetry || !errors.Is(de, context.Canceled) {
			t.Errorf("error = %+v, want a retry wrapping context.Canceled", de)
		}
		if n := len(s.Received()); n != 0 {
			t.Errorf("the service got %d requests, want none", n)
		}
	})

	t.Run("a context ending while waiting its turn posts nothing and gives the turn back", func(t *testing.T) {
		s, ch, pacer, clock := open(t)
		clock.Freeze()
		deliver(t, ch)
		ctx, cancel := context.WithCancel(context.Background())
		pacer.Sleep = func(ctx context.Context, d time.Duration) error {
			cancel()
			<-ctx.Done()
			return ctx.Err()
		}
		de := AsDeliveryError(t, ch.Deliver(ctx, Message(body)))
		if de.Class != delivery.ClassRetry || !errors.Is(de, context.Canceled) {
			t.Errorf("error = %+v, want a retry wrapping context.Canceled", de)
		}
		if n := len(s.Received()); n != 1 {
			t.Errorf("the service got %d requests, want only the first", n)
		}
		pacer.Sleep = clock.Sleep
		deliver(t, ch)
		if got := clock.Sleeps(); !slices.Equal(got, []time.Duration{pacer.Interval}) {
			t.Errorf("next caller waited %v, want one interval", got)
		}
	})
}

// CheckTransportFailures checks that a service the channel cannot reach,
// or that does not answer in time, is retried later, naming the host and
// never showing the secret.
func CheckTransportFailures(t *testing.T, svc Service) {
	for name, url := range map[string]func(t *testing.T) string{"connection refused": Refused, "timeout": Hanging} {
		t.Run(name, func(t *testing.T) {
			ch, pacer := svc.Open(t, url(t), 100*time.Millisecond, 0)
			OnClock(pacer)
			de := AsDeliveryError(t, ch.Deliver(context.Background(), Message(fixtures.Body(nicechat.TypeNewChat))))
			if de.Class != delivery.ClassRetry || de.Status != 0 {
				t.Errorf("error = %+v, want a retry without a status", de)
			}
			if !strings.Contains(de.Reason, "http://127.0.0.1:") {
				t.Errorf("reason %q does not name the host it could not reach", de.Reason)
			}
			for _, s := range []string{de.Error(), de.Reason, de.Err.Error()} {
				if strings.Contains(s, svc.Secret) {
					t.Errorf("the secret leaked into %q", s)
				}
			}
		})
	}
}
