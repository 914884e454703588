package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime/quotedprintable"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/nicechat-relay/nicechat-relay/shared/localaws"
	"github.com/nicechat-relay/nicechat-relay/shared/localrelay"
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
	cmd   *exec.Cmd
	base  string // the callback listener
	admin string
	out   *logtest.Buffer
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
	p := &relayProcess{cmd: cmd, base: "http://" + env["RELAY_ADDR"], admin: "http://" + env["RELAY_ADMIN_ADDR"], out: out}
	t.Cleanup(func() {
		if cmd.ProcessState == nil {
			_ = cmd.Process.Kill()
			_ = cmd.Wait()
		}
	})
	eventually(t, "the relay answers", func() bool {
		resp, err := http.Get(p.admin + "/api/status")
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

func (g *gate) delivered(id string) bool { return g.count(id) > 0 }

func (g *gate) count(id string) int {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.got[id]
}

// event is a distinct new_chat event: its own body, so its own event id.
func event(n int) []byte {
	return fmt.Appendf(nil, `{"event":"new_chat","data":{"id":%d,"client_name":"Guest %d"}}`, n, n)
}

func TestRelayKilledWhileDeliveringLosesNothingAccepted(t *testing.T) {
	g, url := newGate(t) // never opened: the deliveries hang there until the relay dies
	dataDir := t.TempDir()
	env := freeAddrs(t, map[string]string{
		"RELAY_DATA_DIR": dataDir, "CALLBACK_TOKEN": testToken,
		"WEBHOOK_URL": url, "RELAY_EMAIL": "outbox",
	})
	first := startProcess(t, env)
	const n = 30
	for i := range n {
		if !first.post(event(i)) {
			t.Fatalf("event %d was not accepted", i)
		}
	}
	eventually(t, "deliveries are in flight", func() bool { return g.waiting.Load() > 0 })
	first.kill(t)
	// Its relay.json is left behind, and names a process that is gone:
	// make demo and relayctl find no relay.
	if _, err := localrelay.Find(dataDir); !errors.Is(err, localrelay.ErrNotRunning) {
		t.Errorf("after kill -9 the data directory's relay is found: %v", err)
	}

	// The restarted relay delivers to another endpoint, so every event it
	// receives is one the first relay left on the queue.
	after, afterURL := newGate(t)
	after.release()
	env["WEBHOOK_URL"] = afterURL
	second := startProcess(t, env)
	if found, err := localrelay.Find(dataDir); err != nil || found.PID != second.cmd.Process.Pid || found.AdminURL != second.admin {
		t.Errorf("after the restart the data directory names %+v (%v), want the new process", found, err)
	}
	for i := range n {
		id := nicechat.EventID(event(i))
		eventually(t, "event "+id+" is delivered after the restart", func() bool { return after.delivered(id) })
	}
}

// TestRelayKilledUnderLoadDeliversEveryAcceptedEventOncePerChannel kills
// the relay three times while callbacks keep coming at 50 a second, and
// counts from the far ends' own records: every event answered 202 reaches
// the webhook, the email outbox and Slack, and none twice, except a
// delivery the kill cut between the far end's answer and its record,
// which the restarted relay names as in doubt.
func TestRelayKilledUnderLoadDeliversEveryAcceptedEventOncePerChannel(t *testing.T) {
	g, url := newGate(t)
	g.release() // quick endpoints: the relay is busy, not blocked
	slack := &idCounter{}
	slackSrv := httptest.NewServer(slack)
	t.Cleanup(slackSrv.Close)
	dataDir := t.TempDir()
	env := freeAddrs(t, map[string]string{
		"RELAY_DATA_DIR": dataDir, "CALLBACK_TOKEN": testToken,
		"WEBHOOK_URL": url, "RELAY_EMAIL": "outbox",
		"SLACK_WEBHOOK_URL": slackSrv.URL + "/services/T0/B0/X", "SLACK_MIN_INTERVAL": "5ms",
	})
	processes := []*relayProcess{startProcess(t, env)}

	// Load: 4 posters, together 50 callbacks a second, until stopped;
	// each keeps the events the relay answered 202.
	var (
		mu       sync.Mutex
		accepted []int
		next     atomic.Int64
		stop     atomic.Bool
		posters  sync.WaitGroup
		current  atomic.Pointer[relayProcess]
		refusals atomic.Int64
	)
	current.Store(processes[0])
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	for range 4 {
		posters.Go(func() {
			for !stop.Load() {
				<-tick.C
				i := int(next.Add(1))
				if current.Load().post(humaneEvent(i)) {
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
	const kills, perRun = 3, 100
	var killedAt []int
	for range kills {
		start := countAccepted()
		eventually(t, "more events are accepted", func() bool { return countAccepted() >= start+perRun })
		current.Load().kill(t)
		killedAt = append(killedAt, countAccepted())
		processes = append(processes, startProcess(t, env))
		current.Store(processes[len(processes)-1])
	}
	start := countAccepted()
	eventually(t, "more events are accepted after the last restart", func() bool { return countAccepted() >= start+perRun })
	stop.Store(true)
	posters.Wait()

	// Every queue empty means every message is settled, the ones whose
	// claim a kill left behind included (they wait for it to expire).
	eventually(t, "every queue is empty", func() bool {
		for _, c := range statusOf(t, current.Load().admin).Channels {
			if c.Queue.Visible+c.Queue.InFlight+c.Queue.Delayed != 0 {
				return false
			}
		}
		return true
	})
	inDoubt := map[string]bool{}
	for _, p := range processes {
		for _, key := range loggedInDoubt(t, p.out.String()) {
			inDoubt[key] = true
		}
	}
	mu.Lock()
	defer mu.Unlock()
	emails := outboxEventIDs(t, filepath.Join(dataDir, "outbox"))
	twiceInAll := 0
	for _, ch := range []struct {
		name, keySuffix string
		count           func(id string) int
	}{
		{"webhook", "#webhook", g.count},
		{"email", "#email#human", func(id string) int { return emails[id] }},
		{"slack", "#slack", slack.count},
	} {
		lost, twice := 0, 0
		for _, i := range accepted {
			id := nicechat.EventID(humaneEvent(i))
			switch n := ch.count(id); {
			case n == 0:
				lost++
			case n > 1:
				twice++
				if !inDoubt[id+ch.keySuffix] {
					t.Errorf("%s got %s %d times, and no restart named it in doubt", ch.name, id, n)
				}
			}
		}
		if lost > 0 {
			t.Errorf("%s: of %d accepted events, %d never arrived", ch.name, len(accepted), lost)
		}
		twiceInAll += twice
		t.Logf("%s: %d accepted events, %d arrived twice (in doubt after a kill)", ch.name, len(accepted), twice)
	}
	t.Logf("%d events accepted (killed after %v), %d posts refused or failed while the relay was down, %d deliveries in doubt after the kills, %d duplicates", len(accepted), killedAt, refusals.Load(), len(inDoubt), twiceInAll)
}

// loggedInDoubt reads the keys a relay's start named in doubt.
func loggedInDoubt(t *testing.T, logs string) []string {
	t.Helper()
	var keys []string
	for _, line := range strings.Split(logs, "\n") {
		var l struct {
			InDoubt []string `json:"in_doubt"`
		}
		if json.Unmarshal([]byte(line), &l) == nil {
			keys = append(keys, l.InDoubt...)
		}
	}
	return keys
}

// humaneEvent is a distinct first_message, which the local defaults route
// to every channel.
func humaneEvent(n int) []byte {
	return fmt.Appendf(nil, `{"event":"first_message","data":{"id":%d,"client_id":%d,"client_name":"Guest %d","message":"Hello %d"}}`, n, n, n, n)
}

var eventIDPattern = regexp.MustCompile(`evt_[a-z2-7]{26}`)

// idCounter is a Slack webhook that counts the posts naming each event.
type idCounter struct {
	mu  sync.Mutex
	got map[string]int
}

func (c *idCounter) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	c.mu.Lock()
	if c.got == nil {
		c.got = map[string]int{}
	}
	for _, id := range slices.Compact(eventIDPattern.FindAllString(string(body), -1)) {
		c.got[id]++
	}
	c.mu.Unlock()
	_, _ = io.WriteString(w, "ok")
}

func (c *idCounter) count(id string) int { c.mu.Lock(); defer c.mu.Unlock(); return c.got[id] }

// outboxEventIDs counts the emails naming each event.
func outboxEventIDs(t *testing.T, dir string) map[string]int {
	t.Helper()
	counts := map[string]int{}
	for _, m := range outboxMessages(t, dir) {
		body, err := io.ReadAll(quotedprintable.NewReader(m.Body))
		if err != nil {
			t.Fatalf("body: %v", err)
		}
		for _, id := range slices.Compact(eventIDPattern.FindAllString(string(body), -1)) {
			counts[id]++
		}
	}
	return counts
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
			env := freeAddrs(t, map[string]string{
				"RELAY_DATA_DIR": t.TempDir(), "CALLBACK_TOKEN": testToken,
				"WEBHOOK_URL": url, "RELAY_EMAIL": "outbox", "RELAY_SHUTDOWN_GRACE": "2s",
			})
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
					for _, c := range statusOf(t, q.admin).Channels {
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
