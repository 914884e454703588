package main

import (
	"bytes"
	"context"
	"net/http"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	fixtures "github.com/nicechat-relay/nicechat-relay/events"
	"github.com/nicechat-relay/nicechat-relay/shared/nicechat"
)

// demoIn runs make demo's command against r, as the banner says to (by
// its data directory), with opts; nil opts are make demo's own. It
// returns the output.
func demoIn(t *testing.T, r *testRelay, opts *demoOptions) string {
	t.Helper()
	env := map[string]string{"RELAY_DATA_DIR": r.dataDir}
	getenv := func(k string) string { return env[k] }
	var out, errOut bytes.Buffer
	code := 0
	if opts == nil {
		code = demo(context.Background(), getenv, &out, &errOut)
	} else {
		code = runDemo(context.Background(), getenv, &out, &errOut, *opts)
	}
	if code != 0 {
		t.Fatalf("demo exited %d: %s%s", code, out.String(), errOut.String())
	}
	if errOut.Len() > 0 {
		t.Errorf("demo wrote to stderr: %s", errOut.String())
	}
	return out.String()
}

// outcomeLines are the demo's "<event> <route> <outcome>" lines, by event
// and route ("first_message email:human").
func outcomeLines(out string) map[string]string {
	lines := map[string]string{}
	_, report, _ := strings.Cut(out, "What became of them:\n")
	for line := range strings.Lines(report) {
		f := strings.Fields(line)
		if len(f) < 3 || !slices.Contains(fixtures.Names(), f[0]) {
			continue
		}
		lines[f[0]+" "+f[1]] = strings.Join(f[2:], " ")
	}
	return lines
}

// The language step: a second make demo against the same relay (after a
// restart with other settings, say) is delivered again, not skipped as
// the first run's duplicates, and each run says so per event and route.
func TestEachDemoRunPostsNewEventsThatEveryChannelDeliversAgain(t *testing.T) {
	r := startRelay(t, map[string]string{})
	const runs = 2
	for run := 1; run <= runs; run++ {
		out := demoIn(t, r, nil)
		lines := outcomeLines(out)
		for _, typ := range nicechat.KnownTypes {
			if got := lines[typ+" webhook"]; got != "delivered" {
				t.Errorf("run %d: %s on the webhook: %q, want delivered\n%s", run, typ, got, out)
			}
		}
		for _, typ := range humanTypes {
			if got := lines[typ+" email:human"]; got != "delivered" {
				t.Errorf("run %d: %s by email: %q, want delivered\n%s", run, typ, got, out)
			}
		}
	}
	s := r.apiStatus(t)
	if s.Sink.Received != runs*len(nicechat.KnownTypes) {
		t.Errorf("the sink received %d events from %d runs, want %d", s.Sink.Received, runs, runs*len(nicechat.KnownTypes))
	}
	for _, c := range s.Channels {
		if c.Duplicates != 0 {
			t.Errorf("the %s channel skipped %d duplicates, want none", c.Channel, c.Duplicates)
		}
	}
	if n := len(outboxMessages(t, filepath.Join(r.dataDir, "outbox"))); n != runs*len(humanTypes) {
		t.Errorf("the outbox holds %d emails from %d runs, want %d", n, runs, runs*len(humanTypes))
	}
}

func TestDemoSaysWhatBecameOfEachEventOnEachRoute(t *testing.T) {
	lead := demoOptions{visitor: 424242, chat: 515151, wait: demoWait, poll: 50 * time.Millisecond}
	short := lead
	short.wait = 2 * time.Second // the webhook is still failing then
	tests := []struct {
		name    string
		webhook int // what the webhook's endpoint answers; 0: the built-in sink
		opts    demoOptions
		runs    int    // of the same lead
		want    string // the webhook's line, in the last run
		email   string // the email's line, in the last run; "" when it may still be pending
		then    []string
	}{
		{"delivered", 0, lead, 1, "delivered", "delivered", nil},
		{"the same events posted again are skipped as duplicates", 0, lead, 2,
			"skipped as a duplicate", "skipped as a duplicate", nil},
		{"refused for good: dead-lettered, with the reason", http.StatusBadRequest, lead, 1,
			"dead-lettered after 1 attempt: HTTP 400", "delivered", []string{"relayctl dlq list --relay {admin} --channel webhook"}},
		{"the endpoint says stop: the channel pauses and waits", http.StatusGone, lead, 1,
			"waiting: the webhook channel is paused", "delivered", []string{"The webhook channel is paused", "channel resume --relay {admin} --channel webhook"}},
		{"still failing at the deadline: pending, and how to look", http.StatusServiceUnavailable, short, 1,
			"", "", []string{"still pending after 2s", "{admin}/"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			env := map[string]string{}
			if tt.webhook != 0 {
				hook, hookURL := newRecorder(t)
				hook.answer = tt.webhook
				env["WEBHOOK_URL"] = hookURL
			}
			r := startRelay(t, env)
			var out string
			for range tt.runs {
				out = demoIn(t, r, &tt.opts)
			}
			lines := outcomeLines(out)
			for _, typ := range nicechat.KnownTypes {
				got := lines[typ+" webhook"]
				if tt.want == "" {
					if got == "" || strings.HasPrefix(got, "delivered") || strings.HasPrefix(got, "dead-lettered") {
						t.Errorf("%s on the webhook: %q, want it pending\n%s", typ, got, out)
					}
				} else if !strings.HasPrefix(got, tt.want) {
					t.Errorf("%s on the webhook: %q, want %q\n%s", typ, got, tt.want, out)
				}
			}
			for _, typ := range humanTypes {
				if got := lines[typ+" email:human"]; tt.email != "" && !strings.HasPrefix(got, tt.email) {
					t.Errorf("%s by email: %q, want %q\n%s", typ, got, tt.email, out)
				}
			}
			for _, want := range tt.then {
				if want = strings.ReplaceAll(want, "{admin}", r.admin); !strings.Contains(out, want) {
					t.Errorf("the demo does not say %q:\n%s", want, out)
				}
			}
		})
	}
}
