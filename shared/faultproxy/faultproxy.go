// Package faultproxy puts a fault-injecting reverse proxy in front of a
// real AWS API server (moto in the tests), so that a test sees the errors
// the local server cannot produce (SES throttling, an SQS 500, a call that
// never answers) in the exact wire shape the real service uses, while every
// other call reaches the real server. It also holds Dice, the seeded
// source of the tests' random faults. Test code only.
package faultproxy

import (
	"bytes"
	crand "crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"hash/fnv"
	"io"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// Call is one API call the proxy received.
type Call struct {
	Action string // the operation: the Query protocol's Action or the JSON protocol's X-Amz-Target suffix
	N      int    // this action's call number at the proxy, from 1
	Body   []byte // the request body as the client sent it
	At     time.Time
	// Faulted is true when the proxy answered (or held) the call itself and
	// the server behind it never saw it.
	Faulted bool
}

// Answer is what the proxy does with a call instead of passing it on.
type Answer struct {
	Status int
	Header http.Header
	Body   []byte
	// Hang holds the call without an answer until the client gives up
	// (its timeout closes the connection) or the proxy closes.
	Hang bool
}

// Decide picks the fate of a call: nil passes it to the server.
type Decide func(Call) *Answer

// Proxy is a running fault-injecting proxy on 127.0.0.1.
type Proxy struct {
	URL string // the base endpoint to give an SDK client

	decide Decide
	closed chan struct{}

	mu    sync.Mutex
	calls []Call
	seen  map[string]int
}

// New starts a proxy in front of target (a base URL such as
// localaws.Endpoint(t)) and stops it when the test ends.
func New(t testing.TB, target string, decide Decide) *Proxy {
	t.Helper()
	u, err := url.Parse(target)
	if err != nil || u.Host == "" {
		t.Fatalf("faultproxy: target %q is not a base URL: %v", target, err)
	}
	p := &Proxy{decide: decide, closed: make(chan struct{}), seen: map[string]int{}}
	rp := &httputil.ReverseProxy{Rewrite: func(r *httputil.ProxyRequest) {
		r.SetURL(u)
		// The client signed the request for the host it called.
		r.Out.Host = r.In.Host
	}}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, err := io.ReadAll(r.Body)
		if err != nil {
			http.Error(w, "faultproxy: read request: "+err.Error(), http.StatusBadGateway)
			return
		}
		r.Body = io.NopCloser(bytes.NewReader(body))
		i, call := p.record(action(r, body), body)
		var answer *Answer
		if p.decide != nil {
			answer = p.decide(call)
		}
		if answer == nil {
			rp.ServeHTTP(w, r)
			return
		}
		p.mu.Lock()
		p.calls[i].Faulted = true
		p.mu.Unlock()
		if answer.Hang {
			select {
			case <-r.Context().Done():
			case <-p.closed:
			}
			return
		}
		for k, v := range answer.Header {
			w.Header()[k] = v
		}
		w.WriteHeader(answer.Status)
		_, _ = w.Write(answer.Body)
	}))
	p.URL = srv.URL
	t.Cleanup(func() {
		close(p.closed)
		srv.Close()
	})
	return p
}

func (p *Proxy) record(act string, body []byte) (int, Call) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.seen[act]++
	c := Call{Action: act, N: p.seen[act], Body: body, At: time.Now()}
	p.calls = append(p.calls, c)
	return len(p.calls) - 1, c
}

// Calls returns the calls received so far, in arrival order.
func (p *Proxy) Calls() []Call {
	p.mu.Lock()
	defer p.mu.Unlock()
	out := make([]Call, len(p.calls))
	copy(out, p.calls)
	return out
}

// Count returns how many calls of action were passed to the server and
// how many the proxy faulted.
func (p *Proxy) Count(action string) (passed, faulted int) {
	for _, c := range p.Calls() {
		switch {
		case c.Action != action:
		case c.Faulted:
			faulted++
		default:
			passed++
		}
	}
	return passed, faulted
}

// action names the operation of an AWS request: the JSON protocols carry
// it in X-Amz-Target ("AmazonSQS.SendMessage"), the Query protocol (SES
// v1) in the form body ("Action=SendEmail").
func action(r *http.Request, body []byte) string {
	if target := r.Header.Get("X-Amz-Target"); target != "" {
		return target[strings.LastIndexByte(target, '.')+1:]
	}
	form, err := url.ParseQuery(string(body))
	if err != nil {
		return ""
	}
	return form.Get("Action")
}

// SESError is an SES v1 error in the AWS Query protocol's XML shape; typ
// is "Sender" (the caller's fault) or "Receiver".
func SESError(status int, typ, code, message string) *Answer {
	var b bytes.Buffer
	b.WriteString(`<ErrorResponse xmlns="http://ses.amazonaws.com/doc/2010-12-01/"><Error><Type>`)
	for _, s := range []struct{ v, after string }{{typ, `</Type><Code>`}, {code, `</Code><Message>`}, {message, `</Message></Error><RequestId>`}} {
		xmlEscape(&b, s.v)
		b.WriteString(s.after)
	}
	id := requestID()
	b.WriteString(id + `</RequestId></ErrorResponse>`)
	return &Answer{
		Status: status,
		Header: http.Header{"Content-Type": {"text/xml"}, "X-Amzn-Requestid": {id}},
		Body:   b.Bytes(),
	}
}

// SQSError is an SQS error in the AWS JSON 1.0 protocol's shape: the type
// in the body and, because SQS moved from the Query protocol, the Query
// error code and its fault ("Sender" or "Receiver") in x-amzn-query-error.
func SQSError(status int, typ, code, message string) *Answer {
	body, _ := json.Marshal(map[string]string{"__type": "com.amazonaws.sqs#" + code, "message": message})
	return &Answer{
		Status: status,
		Header: http.Header{
			"Content-Type":       {"application/x-amz-json-1.0"},
			"X-Amzn-Requestid":   {requestID()},
			"X-Amzn-Query-Error": {code + ";" + typ},
		},
		Body: body,
	}
}

// Hang holds a call until the client gives up.
func Hang() *Answer { return &Answer{Hang: true} }

func xmlEscape(b *bytes.Buffer, s string) {
	r := strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;", `"`, "&quot;", "'", "&apos;")
	b.WriteString(r.Replace(s))
}

// requestID is shaped like AWS's request ids (a UUID).
func requestID() string {
	var b [16]byte
	_, _ = crand.Read(b[:])
	h := hex.EncodeToString(b[:])
	return h[:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:]
}

// EnvSeed, when set, replays the faults of an earlier run: every test
// logs the seed it used.
const EnvSeed = "RELAY_FAULT_SEED"

// Dice makes random fault decisions that depend only on the seed, what is
// decided on (a key such as an event id) and how many times that key was
// rolled, never on the order in which concurrent requests arrive: one seed
// replays one run's faults exactly.
type Dice struct {
	seed uint64
	mu   sync.Mutex
	n    map[string]int
}

// NewDice takes its seed from RELAY_FAULT_SEED, or a random one, and logs
// it so that a failing run can be replayed.
func NewDice(t testing.TB) *Dice {
	t.Helper()
	seed := rand.Uint64()
	if v := os.Getenv(EnvSeed); v != "" {
		s, err := strconv.ParseUint(v, 10, 64)
		if err != nil {
			t.Fatalf("%s=%q is not an unsigned integer", EnvSeed, v)
		}
		seed = s
	}
	t.Logf("fault seed %d (replay with %s=%d)", seed, EnvSeed, seed)
	return &Dice{seed: seed, n: map[string]int{}}
}

// Seed is the seed the dice roll with.
func (d *Dice) Seed() uint64 { return d.seed }

// Roll returns how many times key has been rolled, this time included, and
// a source seeded by the seed, key and that count.
func (d *Dice) Roll(key string) (n int, r *rand.Rand) {
	d.mu.Lock()
	d.n[key]++
	n = d.n[key]
	d.mu.Unlock()
	h := fnv.New64a()
	_, _ = fmt.Fprintf(h, "%s\x00%d", key, n)
	return n, rand.New(rand.NewPCG(d.seed, h.Sum64()))
}

// Jitter is a consumer.Config Jitter drawing full jitter from the seed;
// it is safe for concurrent use.
func (d *Dice) Jitter() func(step time.Duration) time.Duration {
	var mu sync.Mutex
	r := rand.New(rand.NewPCG(d.seed, 0x6a6974746572))
	return func(step time.Duration) time.Duration {
		if step <= 0 {
			return 0
		}
		mu.Lock()
		defer mu.Unlock()
		return time.Duration(r.Int64N(int64(step) + 1))
	}
}
