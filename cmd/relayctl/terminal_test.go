package main

import (
	"bytes"
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/aws/aws-sdk-go-v2/aws"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"

	"github.com/nicechat-relay/nicechat-relay/shared/breaker"
	"github.com/nicechat-relay/nicechat-relay/shared/consumer/consumertest"
	"github.com/nicechat-relay/nicechat-relay/shared/delivery"
	"github.com/nicechat-relay/nicechat-relay/shared/dlq"
	"github.com/nicechat-relay/nicechat-relay/shared/localaws"
	"github.com/nicechat-relay/nicechat-relay/shared/message"
	"github.com/nicechat-relay/nicechat-relay/shared/nicechat"
)

// unsafeForTerminal returns the first character of s, other than a line
// feed, that a terminal could act on, written down independently of
// shared/terminal.
func unsafeForTerminal(s string) (rune, bool) {
	if !utf8.ValidString(s) {
		return utf8.RuneError, true
	}
	for _, r := range s {
		switch {
		case r == '\n':
		case r < 0x20, r >= 0x7f && r <= 0x9f,
			r == 0x061c, r == 0x200e, r == 0x200f, r >= 0x202a && r <= 0x202e, r >= 0x2066 && r <= 0x2069,
			r == 0x2028, r == 0x2029:
			return r, true
		}
	}
	return 0, false
}

// hostile are values a letter may carry (a body, an attribute, a far end's
// answer quoted in last_error), each with how it must show.
var hostile = []struct {
	name, value, shown string
}{
	{"a CSI that clears the screen", "\x1b[2J\x1b[Hall delivered", `\x1b[2J\x1b[Hall`},
	{"an OSC 8 hyperlink", "\x1b]8;;https://evil.example/\x07click here\x1b]8;;\x07", `\x1b]8;;https://evil.example/\x07click`},
	{"an OSC that sets the title", "\x1b]0;relayctl: nothing to do\x07", `\x1b]0;relayctl:`},
	{"a carriage return over the line", "permanent\rdelivered", `permanent\rdelivered`},
	{"a fake Attributes block", "x\nAttributes:\n  event_id: evt_genuine\n  failure_class: retry", `x\nAttributes:\n`},
	{"the 8-bit CSI and OSC (C1)", "\u009b2J\u009d8;;https://evil.example/\u009cclick", `\u009b2J\u009d8;;https://evil.example/\u009cclick`},
	{"a bidirectional override", "invoice\u202efdp.exe", `invoice\u202efdp.exe`},
	{"a backspace and a bell", "ok\b\b\x07", `ok\x08\x08\x07`},
}

func hostileLetter(v string, body string) dlq.Letter {
	str := func(s string) sqstypes.MessageAttributeValue {
		return sqstypes.MessageAttributeValue{DataType: aws.String("String"), StringValue: aws.String(s)}
	}
	return dlq.Letter{
		MessageID: "m-" + v, Body: []byte(body), Event: v, EventID: nicechat.EventIDString(body), ClaimedEventID: v,
		DeadLettered: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC),
		Failure:      dlq.Failure{Channel: "webhook", Class: delivery.Class(v), Status: v, Error: v, Attempts: 1},
		Attributes: map[string]sqstypes.MessageAttributeValue{
			message.AttrEvent: str(v), message.AttrEventID: str(v), dlq.AttrLastError: str(v), "x" + v: str(v),
		},
		System: map[string]string{"AWSTraceHeader": v, "SentTimestamp": "1767323045000"},
	}
}

func hostileQuarantined(v string, body string) dlq.Quarantined {
	str := func(s string) sqstypes.MessageAttributeValue {
		return sqstypes.MessageAttributeValue{DataType: aws.String("String"), StringValue: aws.String(s)}
	}
	return dlq.Quarantined{
		MessageID: "m-" + v, Body: []byte(body), EventID: nicechat.EventIDString(body), IDChecked: true, ClaimedEventID: v,
		ReceivedAt: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC), Status: v, Reason: v, Field: v, BodyBytes: len(body), Encoding: "text",
		Attributes: map[string]sqstypes.MessageAttributeValue{
			dlq.AttrReason: str(v), dlq.AttrStatus: str(v), dlq.AttrField: str(v), message.AttrEventID: str(v), "x" + v: str(v),
		},
		System: map[string]string{"AWSTraceHeader": v, "SentTimestamp": "1767323045000"},
	}
}

// linesStarting counts the lines of out that start with prefix.
func linesStarting(out, prefix string) int {
	n := 0
	for _, l := range strings.Split(out, "\n") {
		if strings.HasPrefix(l, prefix) {
			n++
		}
	}
	return n
}

// fakeSwitchboard answers one status for every channel.
type fakeSwitchboard struct{ st breaker.Status }

func (f fakeSwitchboard) status(context.Context, string) (breaker.Status, error) { return f.st, nil }
func (f fakeSwitchboard) set(context.Context, string, bool) error                { return nil }

func TestHumanOutputEscapesWhatALetterCarries(t *testing.T) {
	now := time.Date(2026, 1, 2, 4, 0, 0, 0, time.UTC)
	for _, h := range hostile {
		for _, body := range []struct{ name, body string }{
			{"as the body", h.value},
			{"inside a JSON body", func() string { b, _ := json.Marshal(map[string]string{"note": h.value}); return string(b) }()},
			{"raw inside a JSON body's string", `{"note":"` + strings.Map(func(r rune) rune {
				if r < 0x20 { // JSON holds no raw C0 control: what a valid body can carry raw is C1, bidi and the rest
					return '.'
				}
				return r
			}, h.value) + `"}`},
		} {
			t.Run(h.name+"/"+body.name, func(t *testing.T) {
				l := hostileLetter(h.value, body.body)
				q := hostileQuarantined(h.value, body.body)
				renders := []struct {
					name      string
					out       func(w *bytes.Buffer) error
					wantLines map[string]int
				}{
					{"dlq list", func(w *bytes.Buffer) error { return printList(w, "webhook", []dlq.Letter{l, l}, false, now) }, map[string]int{"EVENT ID": 1, l.EventID: 2}},
					{"dlq show", func(w *bytes.Buffer) error { printLetter(w, "webhook", l); return nil }, map[string]int{"Dead letter ": 1, "Attributes:": 1, "SQS attributes": 1, "Body:": 1, "  ": -1, "{": -1, "}": -1}},
					{"quarantine list", func(w *bytes.Buffer) error { return printQuarantineList(w, []dlq.Quarantined{q, q}, false) }, map[string]int{"EVENT ID": 1, q.EventID: 2, "relayctl quarantine show": 1}},
					{"quarantine show", func(w *bytes.Buffer) error { printQuarantined(w, q); return nil }, map[string]int{"Quarantined callback ": 1, "Attributes:": 1, "SQS attributes": 1, "Body:": 1, "  ": -1, "{": -1, "}": -1}},
					{"channel status", func(w *bytes.Buffer) error {
						return printStatus(context.Background(), w, fakeSwitchboard{breaker.Status{Paused: true, State: h.value, Reason: h.value}}, []string{"webhook", "slack"})
					}, map[string]int{"CHANNEL": 1, "webhook ": 1, "slack ": 1}},
				}
				for _, r := range renders {
					var w bytes.Buffer
					if err := r.out(&w); err != nil {
						t.Fatalf("%s: %v", r.name, err)
					}
					out := w.String()
					if c, bad := unsafeForTerminal(out); bad {
						t.Errorf("%s prints %U raw:\n%q", r.name, c, out)
					}
					if !strings.Contains(out, h.shown) && !strings.Contains(out, strings.ReplaceAll(h.shown, "  ", " ")) {
						t.Errorf("%s does not show %s, escaped:\n%s", r.name, h.shown, out)
					}
					total := strings.Count(strings.TrimSuffix(out, "\n"), "\n") + 1
					counted := 0
					for prefix, n := range r.wantLines {
						got := linesStarting(out, prefix)
						if n >= 0 && got != n {
							t.Errorf("%s: %d lines start with %q, want %d:\n%s", r.name, got, prefix, n, out)
						}
						counted += got
					}
					if counted != total {
						t.Errorf("%s: %d lines, of which %d are relayctl's own: a value made lines of its own:\n%s", r.name, total, counted, out)
					}
				}
			})
		}
	}
}

// TestRelayctlEscapesALetterAndItsJSONStaysExact runs relayctl on a letter
// in a real (local) DLQ carrying what SQS lets through: line breaks,
// carriage returns, C1 controls and bidirectional overrides (SQS refuses
// the C0 controls but these three).
func TestRelayctlEscapesALetterAndItsJSONStaysExact(t *testing.T) {
	useLocalAWS(t)
	client, queue, deadLetters := localaws.SQS(t), localaws.Queue(t, "src"), localaws.Queue(t, "dlq")
	t.Setenv("WEBHOOK_QUEUE_URL", queue)
	t.Setenv("WEBHOOK_DLQ_URL", deadLetters)
	value := "gone\r\nAttributes:\n  event_id: evt_genuine\n\u009b2J\u009d8;;https://evil.example/\u009cclick \u202efdp.exe"
	body := "not json\r\n" + value
	attrs := map[string]string{
		message.AttrEvent: value, message.AttrEventID: value, message.AttrReceivedAt: value,
		dlq.AttrChannel: "webhook", dlq.AttrFailureClass: value, dlq.AttrLastStatus: value, dlq.AttrLastError: value, dlq.AttrAttempts: "1",
	}
	consumertest.Send(t, client, deadLetters, body, attrs)
	id := nicechat.EventIDString(body)

	for _, args := range [][]string{
		{"dlq", "list", "--channel", "webhook"},
		{"dlq", "show", id},
		{"dlq", "redrive", "--channel", "webhook", "--all", "--dry-run"},
	} {
		out := relayctl(args...).must(t).stdout
		if c, bad := unsafeForTerminal(out); bad {
			t.Errorf("relayctl %v prints %U raw:\n%q", args, c, out)
		}
		if n := linesStarting(out, "Attributes:"); n > 1 || n == 1 && args[1] != "show" {
			t.Errorf("relayctl %v: %d lines start with Attributes:\n%s", args, n, out)
		}
		if !strings.Contains(out, `gone\r\nAttributes:\n`) || args[1] != "redrive" && !strings.Contains(out, `\u009b2J`) {
			t.Errorf("relayctl %v does not show the line breaks and the C1 CSI escaped:\n%s", args, out)
		}
	}

	for _, args := range [][]string{
		{"dlq", "show", id, "--json"},
		{"dlq", "list", "--channel", "webhook", "--json"},
	} {
		out := relayctl(args...).must(t).stdout
		var doc struct {
			Letters []struct {
				EventID    string `json:"event_id"`
				Event      string `json:"event"`
				LastError  string `json:"last_error"`
				Body       string `json:"body"`
				Attributes map[string]struct {
					DataType    string `json:"data_type"`
					StringValue string `json:"string_value"`
				} `json:"attributes"`
			} `json:"letters"`
		}
		if err := json.Unmarshal([]byte(out), &doc); err != nil {
			t.Fatalf("relayctl %v: not JSON: %v\n%s", args, err, out)
		}
		if len(doc.Letters) != 1 {
			t.Fatalf("relayctl %v: %d letters, want 1", args, len(doc.Letters))
		}
		l := doc.Letters[0]
		if l.Body != body || l.EventID != id || l.Event != value || l.LastError != value {
			t.Errorf("relayctl %v: body %q, event_id %s, event %q, last_error %q; want them exact", args, l.Body, l.EventID, l.Event, l.LastError)
		}
		for name, v := range attrs {
			if got := l.Attributes[name]; got.StringValue != v || got.DataType != "String" {
				t.Errorf("relayctl %v: attribute %s = %+v, want %q exactly", args, name, got, v)
			}
		}
		if c, bad := unsafeForTerminal(out); bad {
			t.Errorf("relayctl %v: the JSON holds %U raw, where an escape decodes to the same", args, c)
		}
	}
}
