package main

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"slices"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/nicechat-relay/nicechat-relay/shared/nicechat"
	"github.com/nicechat-relay/nicechat-relay/shared/webhook"
)

// BenchmarkLocalRelayLoad drives the whole local relay (ingest, the
// durable queue, the webhook consumer) with an open-loop load generator:
// one distinct new_chat event every 1/rate seconds for 20 s (set
// RELAY_LOAD_SECONDS to change it), each posted on its own schedule
// whether or not earlier ones were answered. A webhook endpoint in this
// process records when each event id arrives. It reports the accepted
// throughput, the latency from POST to receipt (p50, p99) and the events
// answered 202 that never arrived within 30 s after the load (lost; the
// relay promises 0). The relay, the generator and the endpoint share
// this machine's cores, as they do under `make run`.
func BenchmarkLocalRelayLoad(b *testing.B) {
	seconds := 20
	if v, err := strconv.Atoi(os.Getenv("RELAY_LOAD_SECONDS")); err == nil && v > 0 {
		seconds = v
	}
	for _, rate := range []int{200, 500} {
		b.Run(strconv.Itoa(rate)+"/s", func(b *testing.B) {
			for b.Loop() {
				res := runLoad(b, rate, time.Duration(seconds)*time.Second)
				b.ReportMetric(res.throughput, "events/s")
				b.ReportMetric(res.p50.Seconds()*1000, "p50-ms")
				b.ReportMetric(res.p99.Seconds()*1000, "p99-ms")
				b.ReportMetric(float64(res.accepted), "accepted")
				b.ReportMetric(float64(res.refused), "not-accepted")
				b.ReportMetric(float64(res.lost), "lost")
				b.ReportMetric(float64(res.duplicates), "duplicates")
				if res.lost > 0 {
					b.Errorf("%d events answered 202 never reached the endpoint", res.lost)
				}
			}
		})
	}
}

type loadResult struct {
	throughput                          float64
	p50, p99                            time.Duration
	accepted, refused, lost, duplicates int
}

// arrivals records when each event id first reached the endpoint.
type arrivals struct {
	mu    sync.Mutex
	first map[string]time.Time
	dups  int
}

func (a *arrivals) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	now := time.Now()
	_, _ = io.Copy(io.Discard, r.Body)
	id := r.Header.Get(webhook.HeaderWebhookID)
	a.mu.Lock()
	if _, seen := a.first[id]; seen {
		a.dups++
	} else {
		a.first[id] = now
	}
	a.mu.Unlock()
	w.WriteHeader(http.StatusNoContent)
}

func (a *arrivals) at(id string) (time.Time, bool) {
	a.mu.Lock()
	defer a.mu.Unlock()
	t, ok := a.first[id]
	return t, ok
}

func runLoad(b *testing.B, rate int, d time.Duration) loadResult {
	endpoint := &arrivals{first: map[string]time.Time{}}
	srv := httptest.NewServer(endpoint)
	defer srv.Close()
	env := freeAddrs(b, map[string]string{
		"RELAY_DATA_DIR": b.TempDir(), "CALLBACK_TOKEN": testToken,
		"WEBHOOK_URL": srv.URL, "RELAY_EMAIL": "outbox",
	})
	ctx, cancel := context.WithCancel(context.Background())
	r, err := start(ctx, lookupIn(env), slog.New(slog.NewJSONHandler(io.Discard, nil)))
	if err != nil {
		b.Fatal(err)
	}
	defer func() { cancel(); _ = r.wait() }()

	client := &http.Client{
		Timeout:   30 * time.Second,
		Transport: &http.Transport{MaxIdleConnsPerHost: 512, MaxConnsPerHost: 512},
	}
	type sent struct {
		id string
		at time.Time
	}
	var (
		mu       sync.Mutex
		accepted []sent
		refused  int
		posts    sync.WaitGroup
	)
	tick := time.NewTicker(time.Second / time.Duration(rate))
	defer tick.Stop()
	total := rate * int(d/time.Second)
	for i := range total {
		<-tick.C
		posts.Go(func() {
			body := event(i)
			at := time.Now()
			resp, err := client.Post(r.base+"/callback/"+testToken, "application/json", bytes.NewReader(body))
			ok := err == nil && resp.StatusCode == http.StatusAccepted
			if err == nil {
				_, _ = io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
			}
			mu.Lock()
			defer mu.Unlock()
			if ok {
				accepted = append(accepted, sent{nicechat.EventID(body), at})
			} else {
				refused++
			}
		})
	}
	posts.Wait()

	deadline := time.Now().Add(30 * time.Second)
	res := loadResult{accepted: len(accepted), refused: refused}
	var latencies []time.Duration
	var first, last time.Time
	for _, s := range accepted {
		got, ok := endpoint.at(s.id)
		for !ok && time.Now().Before(deadline) {
			time.Sleep(10 * time.Millisecond)
			got, ok = endpoint.at(s.id)
		}
		if !ok {
			res.lost++
			continue
		}
		latencies = append(latencies, got.Sub(s.at))
		if first.IsZero() || s.at.Before(first) {
			first = s.at
		}
		if got.After(last) {
			last = got
		}
	}
	endpoint.mu.Lock()
	res.duplicates = endpoint.dups
	endpoint.mu.Unlock()
	if len(latencies) > 0 {
		slices.Sort(latencies)
		res.p50 = latencies[len(latencies)/2]
		res.p99 = latencies[len(latencies)*99/100]
		res.throughput = float64(len(latencies)) / last.Sub(first).Seconds()
	}
	return res
}
