package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/nicechat-relay/nicechat-relay/shared/localaws"
	"github.com/nicechat-relay/nicechat-relay/shared/logtest"
	"github.com/nicechat-relay/nicechat-relay/shared/nicechat"
	"github.com/nicechat-relay/nicechat-relay/shared/webhook"
)

// These tests run the relay as its own process, as `make run` does, and
// kill it with SIGKILL: nothing it answered 202 for may be lost.

func TestMain(m *testing.M) {
	code := localaws.Main(m)
	os.RemoveAll(binDir)
	os.Exit(code)
}

// binDir holds the relay binary the tests build.
var binDir, _ = os.MkdirTemp("", "relay-bin-")

// buildRelay builds this command once per test binary.
var buildRelay = sync.OnceValues(func() (string, error) {
	bin := filepath.Join(binDir, "relay")
	out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput()
	if err != nil {
		return "", fmt.Errorf("go build: %v\n%s", err, out)
	}
	return bin, nil
})

// relayProcess is the relay running as a child process.
type relayProcess struct {
	cmd  *exec.Cmd
	base string
	out  *logtest.Buffer
}

func startProcess(t *testing.T, env map[string]string) *relayProcess {
	t.Helper()
	bin, err := buildRelay()
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bin)
	cmd.Env = os.Environ()
	for k, v := range env {
		cmd.Env = append(cmd.Env, k+"="+v)
	}
	out := &logtest.Buffer{}
	cmd.Stdout, cmd.Stderr = out, out
	cmd.SysProcAttr = localaws.ChildProcAttr()
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	p := &relayProcess{cmd: cmd, base: "http://" + env["RELAY_ADDR"], out: out}
	t.Cleanup(func() {
		if cmd.ProcessState == nil {
			_ = cmd.Process.Kill()
			_ = cmd.Wait()
		}
	})
	eventually(t, "the relay answers", func() bool {
		resp, err := http.Get(p.base + "/api/status")
		if err == nil {
			resp.Body.Close()
		}
		return err == nil && resp.StatusCode == http.StatusOK
	})
	return p
}

func (p *relayProcess) kill(t *testing.T) {
	t.Helper()
	if err := p.cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	_ = p.cmd.Wait()
}

// post sends one event and reports whether the relay answered 202.
func (p *relayProcess) post(body []byte) bool {
	resp, err := http.Post(p.base+"/callback/"+testToken, "application/json", bytes.NewReader(body))
	if err != nil {
		return false
	}
	resp.Body.Close()
	return resp.StatusCode == http.StatusAccepted
}

// gate is a webhook endpoint that holds every request until it is opened,
// then answers 204; it counts deliveries by webhook-id.
type gate struct {
	open    chan struct{}
	once    sync.Once
	waiting atomic.Int64
	mu      sync.Mutex
	got     map[string]int
}

func newGate(t *testing.T) (*gate, string) {
	g := &gate{open: make(chan struct{}), got: map[string]int{}}
	srv := httptest.NewServer(g)
	t.Cleanup(func() { g.release(); srv.Close() })
	return g, srv.URL
}

func (g *gate) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	g.waiting.Add(1)
	select {
	case <-g.open:
	case <-r.Context().Done(): // the relay died holding this request
		g.waiting.Add(-1)
		return
	}
	g.waiting.Add(-1)
	g.mu.Lock()
	g.got[r.Header.Get(webhook.HeaderWebhookID)]++
	g.mu.Unlock()
	w.WriteHeader(http.StatusNoContent)
}

func (g *gate) release() { g.once.Do(func() { close(g.open) }) }

func (g *gate) delivered(id string) bool {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.got[id] > 0
}

// event is a distinct new_chat event: its own body, so its own event id.
func event(n int) []byte {
	return fmt.Appendf(nil, `{"event":"new_chat","data":{"id":%d,"client_name":"Guest %d"}}`, n, n)
}

func TestRelayKilledWhileDeliveringLosesNothingAccepted(t *testing.T) {
	g, url := newGate(t) // never opened: the deliveries hang there until the relay dies
	env := map[string]string{
		"RELAY_ADDR": localaws.FreeAddr(t), "RELAY_DATA_DIR": t.TempDir(), "CALLBACK_TOKEN": testToken,
		"WEBHOOK_URL": url, "RELAY_EMAIL": "outbox",
	}
	first := startProcess(t, env)
	const n = 30
	for i := range n {
		if !first.post(event(i)) {
			t.Fatalf("event %d was not accepted", i)
		}
	}
	eventually(t, "deliveries are in flight", func() bool { return g.waiting.Load() > 0 })
	first.kill(t)

	// The restarted relay delivers to another endpoint, so every event it
	// receives is one the first relay left on the queue.
	after, afterURL := newGate(t)
	after.release()
	env["WEBHOOK_URL"] = afterURL
	startProcess(t, env)
	for i := range n {
		id := nicechat.EventID(event(i))
		eventually(t, "event "+id+" is delivered after the restart", func() bool { return after.delivered(id) })
	}
}

func TestRelayKilledUnderLoadDeliversEveryAcceptedEvent(t *testing.T) {
	g, url := newGate(t)
	g.release() // a quick endpoint: the relay is busy, not blocked
	env := map[string]string{
		"RELAY_ADDR": localaws.FreeAddr(t), "RELAY_DATA_DIR": t.TempDir(), "CALLBACK_TOKEN": testToken,
		"WEBHOOK_URL": url, "RELAY_EMAIL": "outbox",
	}
	p := startProcess(t, env)

	// Load: 4 posters, each posting its own events back to back, until
	// stopped; each keeps the events the relay answered 202.
	var (
		mu       sync.Mutex
		accepted []int
		next     atomic.Int64
		stop     atomic.Bool
		posters  sync.WaitGroup
		current  atomic.Pointer[relayProcess]
		refusals atomic.Int64
	)
	current.Store(p)
	for range 4 {
		posters.Go(func() {
			for !stop.Load() {
				i := int(next.Add(1))
				if current.Load().post(event(i)) {
					mu.Lock()
					accepted = append(accepted, i)
					mu.Unlock()
				} else {
					refusals.Add(1)
					time.Sleep(10 * time.Millisecond) // the relay is down
				}
			}
		})
	}
	countAccepted := func() int { mu.Lock(); defer mu.Unlock(); return len(accepted) }
	eventually(t, "200 events are accepted", func() bool { return countAccepted() >= 200 })
	p.kill(t)
	killedAt := countAccepted()
	current.Store(startProcess(t, env))
	eventually(t, "200 more events are accepted after the restart", func() bool { return countAccepted() >= killedAt+200 })
	stop.Store(true)
	posters.Wait()

	mu.Lock()
	defer mu.Unlock()
	for _, i := range accepted {
		id := nicechat.EventID(event(i))
		eventually(t, "event "+id+" is delivered", func() bool { return g.delivered(id) })
	}
	t.Logf("%d events accepted (%d before the kill), %d posts refused or failed while the relay was down; all accepted ones delivered", len(accepted), killedAt, refusals.Load())
}

func TestRelayStopsGracefullyOnSIGTERM(t *testing.T) {
	tests := []struct {
		name string
		// finish: the endpoint answers within the grace period, so the
		// delivery completes and is not repeated after a restart.
		finish bool
	}{
		{"a delivery that ends within the grace period is completed", true},
		{"a delivery that hangs past it is cut short and delivered after the next start", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g, url := newGate(t)
			env := map[string]string{
				"RELAY_ADDR": localaws.FreeAddr(t), "RELAY_DATA_DIR": t.TempDir(), "CALLBACK_TOKEN": testToken,
				"WEBHOOK_URL": url, "RELAY_EMAIL": "outbox", "RELAY_SHUTDOWN_GRACE": "2s",
			}
			p := startProcess(t, env)
			if !p.post(event(1)) {
				t.Fatal("the event was not accepted")
			}
			eventually(t, "the delivery is in flight", func() bool { return g.waiting.Load() > 0 })
			if err := p.cmd.Process.Signal(syscall.SIGTERM); err != nil {
				t.Fatal(err)
			}
			// While it stops, callbacks are refused with a retry, not lost.
			// One posted before the signal is handled may still be
			// accepted: then it must be delivered, now or after the
			// restart.
			var secondAccepted bool
			eventually(t, "callbacks are answered 503", func() bool {
				resp, err := http.Post(p.base+"/callback/"+testToken, "application/json", bytes.NewReader(event(2)))
				if err != nil {
					return false
				}
				resp.Body.Close()
				secondAccepted = secondAccepted || resp.StatusCode == http.StatusAccepted
				return resp.StatusCode == http.StatusServiceUnavailable && resp.Header.Get("Retry-After") != ""
			})
			if tt.finish {
				g.release()
			}
			if err := p.cmd.Wait(); err != nil {
				t.Fatalf("the relay exited with %v after SIGTERM:\n%s", err, p.out.String())
			}
			id := nicechat.EventID(event(1))
			if tt.finish != g.delivered(id) {
				t.Fatalf("delivered before the stop = %v, want %v", g.delivered(id), tt.finish)
			}

			after, afterURL := newGate(t)
			after.release()
			env["WEBHOOK_URL"] = afterURL
			q := startProcess(t, env)
			if second := nicechat.EventID(event(2)); secondAccepted && !g.delivered(second) {
				eventually(t, "the event accepted while the relay was stopping is delivered after the restart", func() bool { return after.delivered(second) })
			}
			if tt.finish {
				// Had the completed delivery stayed on the queue, the
				// restarted relay would deliver it again before emptying it.
				eventually(t, "the queues are empty after the restart", func() bool {
					for _, c := range statusOf(t, q.base).Channels {
						if c.Queue.Visible+c.Queue.InFlight+c.Queue.Delayed != 0 {
							return false
						}
					}
					return true
				})
				if after.delivered(id) {
					t.Errorf("the delivery completed before the stop was repeated after the restart")
				}
				return
			}
			eventually(t, "the event is delivered after the restart", func() bool { return after.delivered(id) })
		})
	}
}

func statusOf(t *testing.T, base string) relayStatus {
	t.Helper()
	resp, err := http.Get(base + "/api/status")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var s relayStatus
	if err := json.NewDecoder(resp.Body).Decode(&s); err != nil {
		t.Fatal(err)
	}
	return s
}
