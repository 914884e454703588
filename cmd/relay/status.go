package main

import (
	"html/template"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/nicechat-relay/nicechat-relay/shared/dlq"
	"github.com/nicechat-relay/nicechat-relay/shared/localqueue"
)

// latestLetters is how many dead letters per channel the status shows.
const latestLetters = 5

// relayStatus is GET /api/status: what the relay holds and has done
// since it started. Every list is [] when empty, never null.
type relayStatus struct {
	Health     health           `json:"health"`
	Channels   []channelStatus  `json:"channels"`
	Quarantine quarantineStatus `json:"quarantine"`
	Sink       sinkStatus       `json:"sink"`
	Errors     []string         `json:"errors"` // the queue file could not be read
}

// health is the status in one line, for a glance.
type health struct {
	// Level is red when a channel is paused (its deliveries have
	// stopped), amber when something waits for the operator (dead
	// letters, quarantined callbacks), else green.
	Level   string `json:"level"`
	Summary string `json:"summary"`
}

type channelStatus struct {
	Channel string      `json:"channel"`
	On      bool        `json:"on"`
	Target  string      `json:"target"`
	Queue   queueStatus `json:"queue"`
	DLQ     queueStatus `json:"dlq"`
	// Outcomes since the relay started.
	Delivered    int64 `json:"delivered"`
	Retried      int64 `json:"retried"`
	DeadLettered int64 `json:"dead_lettered"`
	Duplicates   int64 `json:"duplicates"` // not delivered again: already delivered within IDEMPOTENCY_WINDOW
	// Paused: the channel paused itself on a misconfiguration (or the
	// operator paused it); its messages wait in the queue.
	Paused            bool              `json:"paused"`
	PausedReason      string            `json:"paused_reason,omitempty"`
	PausedSince       time.Time         `json:"paused_since,omitzero"`
	LatestDeadLetters []deadLetterEntry `json:"latest_dead_letters"`
	// Files are the deliveries a channel writes to disk (the email
	// outbox), when it does.
	Files *filesStatus `json:"files,omitempty"`
}

type queueStatus struct {
	URL string `json:"url"`
	localqueue.QueueStats
}

// Total counts every message, including those relayctl holds while it
// reads them.
func (q queueStatus) Total() int { return q.Visible + q.InFlight + q.Delayed }

type deadLetterEntry struct {
	EventID      string    `json:"event_id"`
	Event        string    `json:"event"`
	FailureClass string    `json:"failure_class"`
	LastStatus   string    `json:"last_status"`
	LastError    string    `json:"last_error"`
	Attempts     int       `json:"attempts"`
	DeadLettered time.Time `json:"dead_lettered_at"`
}

// quarantineStatus is the callbacks ingest refused after authenticating
// them, with the latest ones' reasons.
type quarantineStatus struct {
	queueStatus
	Latest []quarantined `json:"latest"`
}

type quarantined struct {
	EventID    string    `json:"event_id"`
	Status     string    `json:"status"`
	Reason     string    `json:"reason"`
	Field      string    `json:"field,omitempty"`
	ReceivedAt time.Time `json:"received_at,omitzero"`
}

type sinkStatus struct {
	URL string `json:"url"`
	// Used: the webhook channel delivers here (WEBHOOK_URL is unset).
	Used     bool          `json:"used"`
	Received int           `json:"received"`
	Latest   []sinkReceipt `json:"latest"`
}

type filesStatus struct {
	Dir    string   `json:"dir"`
	Files  int      `json:"files"`
	Latest []string `json:"latest"` // newest first
}

func (r *relay) status() relayStatus {
	s := relayStatus{Channels: []channelStatus{}, Errors: []string{}}
	queue := func(name string) queueStatus {
		st, err := r.store.Stats(name)
		if err != nil {
			s.Errors = append(s.Errors, err.Error())
		}
		return queueStatus{URL: r.admin + sqsPath + accountPath + name, QueueStats: st}
	}
	for _, c := range r.channels {
		cs := channelStatus{
			Channel: c.name, On: c.on, Target: c.target, Queue: queue(c.queue), DLQ: queue(c.dlq),
			Delivered: c.delivered.Load(), Retried: c.retried.Load(), DeadLettered: c.deadLettered.Load(), Duplicates: c.duplicates.Load(),
			LatestDeadLetters: []deadLetterEntry{},
		}
		if c.on && c.files != "" {
			cs.Files = readFiles(c.files)
		}
		if st := r.pauses.status(c.name); st.Paused {
			cs.Paused, cs.PausedReason, cs.PausedSince = true, st.Reason, st.Since
		}
		msgs, err := r.store.Peek(c.dlq, latestLetters)
		if err != nil {
			s.Errors = append(s.Errors, err.Error())
		}
		for _, m := range msgs {
			l := dlq.Parse(m)
			cs.LatestDeadLetters = append(cs.LatestDeadLetters, deadLetterEntry{
				EventID: l.EventID, Event: l.Event, FailureClass: string(l.Failure.Class), LastStatus: l.Failure.Status,
				LastError: l.Failure.Error, Attempts: l.Failure.Attempts, DeadLettered: l.DeadLettered,
			})
		}
		s.Channels = append(s.Channels, cs)
		s.Sink.Used = s.Sink.Used || c.on && c.usesSink
	}
	s.Quarantine = quarantineStatus{queueStatus: queue("quarantine"), Latest: []quarantined{}}
	msgs, err := r.store.Peek("quarantine", latestLetters)
	if err != nil {
		s.Errors = append(s.Errors, err.Error())
	}
	for _, m := range msgs {
		// Shown by the id relayctl quarantine show and purge --id find it
		// by: its body's, unless the body was cut.
		q := dlq.ParseQuarantined(m)
		s.Quarantine.Latest = append(s.Quarantine.Latest, quarantined{
			EventID: q.EventID, Status: q.Status, Reason: q.Reason, Field: q.Field, ReceivedAt: q.ReceivedAt,
		})
	}
	s.Sink.URL = r.admin + sinkPath
	s.Sink.Received, s.Sink.Latest = r.sink.snapshot()
	s.Health = s.health()
	return s
}

func (s relayStatus) health() health {
	var red, amber, deadIn []string
	dead := 0
	for _, c := range s.Channels {
		if c.Paused {
			red = append(red, c.Channel+" is paused: "+c.PausedReason)
		}
		if n := c.DLQ.Total(); n > 0 {
			dead += n
			deadIn = append(deadIn, c.Channel)
		}
	}
	if dead > 0 {
		amber = append(amber, count(dead, "dead letter")+" in "+strings.Join(deadIn, ", "))
	}
	if n := s.Quarantine.Total(); n > 0 {
		amber = append(amber, count(n, "callback")+" in quarantine")
	}
	switch {
	case len(red) > 0:
		return health{Level: "red", Summary: strings.Join(append(red, amber...), "; ")}
	case len(amber) > 0:
		return health{Level: "amber", Summary: strings.Join(amber, "; ")}
	}
	return health{Level: "green", Summary: "All delivering"}
}

// count is "1 dead letter", "3 dead letters".
func count(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return strconv.Itoa(n) + " " + noun + "s"
}

// DeadLetters reports whether any channel's DLQ holds a message.
func (s relayStatus) DeadLetters() bool {
	for _, c := range s.Channels {
		if c.DLQ.Total() > 0 {
			return true
		}
	}
	return false
}

// readFiles lists a channel's files; their names start with the UTC time
// they were written (the outbox's .eml files do), so the newest sort last.
func readFiles(dir string) *filesStatus {
	entries, _ := os.ReadDir(dir)
	var names []string
	for _, e := range entries {
		if e.Type().IsRegular() && !strings.HasPrefix(e.Name(), ".") {
			names = append(names, e.Name())
		}
	}
	o := &filesStatus{Dir: dir, Files: len(names), Latest: []string{}}
	for i := len(names) - 1; i >= 0 && len(o.Latest) < latestLetters; i-- {
		o.Latest = append(o.Latest, filepath.Base(names[i]))
	}
	return o
}

// statusPage is the same status as HTML, with no external assets. It
// refreshes itself every 5 seconds.
func (r *relay) statusPage(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'")
	host, _ := os.Hostname()
	_ = statusTemplate.Execute(w, struct {
		relayStatus
		Host     string
		Base     string // the admin listener's URL, for the commands shown
		Callback string // the callback listener's
		Now      time.Time
	}{r.status(), host, r.admin, r.base, time.Now().UTC()})
}

// Every time on the page reads the same: RFC 3339 in UTC, then how long ago.
var statusTemplate = template.Must(template.New("status").Funcs(template.FuncMap{
	"when": func(t time.Time) string {
		if t.IsZero() {
			return "?"
		}
		return t.UTC().Format(time.RFC3339)
	},
	"count":  count,
	"resume": resumeCommand,
	"ago": func(t time.Time) string {
		if t.IsZero() {
			return ""
		}
		return time.Since(t).Round(time.Second).String() + " ago"
	},
}).Parse(`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta http-equiv="refresh" content="5">
<title>nicechat-relay: local status</title>
<style>
body{font:14px/1.4 system-ui,sans-serif;margin:2em;color:#222;max-width:80em}
h1{margin-bottom:.3em}
.health{font-size:18px;font-weight:600;padding:.6em .9em;border-radius:6px;border:1px solid;margin:.5em 0}
.health.green{background:#e6f4ea;border-color:#1e8e3e;color:#0d652d}
.health.amber{background:#fef7e0;border-color:#f9ab00;color:#8a5300}
.health.red{background:#fce8e6;border-color:#d93025;color:#a50e0e}
.meta{color:#555}
table{border-collapse:collapse;margin:.5em 0 1.5em}td,th{border:1px solid #ccc;padding:.3em .6em;text-align:left;vertical-align:top}
th{background:#f4f4f4}.n{text-align:right}.bad{color:#a00}.off{color:#777}
code{font-size:13px;background:#f4f4f4;padding:0 .2em}pre{background:#f4f4f4;padding:.5em .7em;overflow-x:auto;font-size:13px}
.ago{color:#777;font-size:12px}.t{white-space:nowrap}
</style></head><body>
<h1>nicechat-relay (local)</h1>
<p class="health {{.Health.Level}}" id="health">{{.Health.Summary}}</p>
<p class="meta">{{.Base}} · callbacks arrive at {{.Callback}}/callback/… · refreshes every 5 s · JSON: <a href="/api/status">/api/status</a></p>
{{range .Errors}}<p class="bad">{{.}}</p>{{end}}
<h2>Channels</h2>
<table><tr><th>channel</th><th>state</th><th>delivers to</th><th>queued</th><th>in flight</th><th>waiting to retry</th><th>delivered</th><th>duplicates skipped</th><th>retried</th><th>dead-lettered</th><th>in DLQ</th></tr>
{{range .Channels}}<tr{{if not .On}} class="off"{{end}}><td>{{.Channel}}</td><td>{{if .Paused}}<b class="bad">PAUSED</b>{{else if .On}}delivering{{else}}off{{end}}</td><td>{{.Target}}</td><td class="n">{{.Queue.Visible}}</td><td class="n">{{.Queue.InFlight}}</td><td class="n">{{.Queue.Delayed}}</td>
<td class="n">{{.Delivered}}</td><td class="n">{{.Duplicates}}</td><td class="n">{{.Retried}}</td><td class="n">{{.DeadLettered}}</td><td class="n{{if .DLQ.Total}} bad{{end}}">{{.DLQ.Total}}</td></tr>
{{end}}</table>
{{range .Channels}}{{if .Paused}}<p class="bad"><b>The {{.Channel}} channel is paused</b> since {{when .PausedSince}} <span class="ago">{{ago .PausedSince}}</span>: {{.PausedReason}}. Its messages wait in the queue. Fix the setting, restart the relay with it, then:</p>
<pre>{{resume $.Base .Channel}}</pre>
{{end}}{{end}}
<h2>Dead letters</h2>
{{if not .DeadLetters}}<p>None. A channel's dead letters, when it has some: <code>go run ./cmd/relayctl dlq list --relay {{.Base}} --channel webhook</code></p>{{end}}
{{range .Channels}}{{if .DLQ.Total}}<h3>{{.Channel}}: {{.DLQ.Total}} in the DLQ{{if lt (len .LatestDeadLetters) .DLQ.Total}} (the latest {{len .LatestDeadLetters}} below){{end}}</h3>
<p>List them all, then send them back once the cause is fixed:</p>
<pre>go run ./cmd/relayctl dlq list --relay {{$.Base}} --channel {{.Channel}}
go run ./cmd/relayctl dlq redrive --relay {{$.Base}} --channel {{.Channel}} --all</pre>
<table><tr><th>dead-lettered</th><th>event id</th><th>event</th><th>class</th><th>status</th><th>attempts</th><th>reason</th></tr>
{{range .LatestDeadLetters}}<tr><td class="t">{{when .DeadLettered}} <span class="ago">{{ago .DeadLettered}}</span></td><td><code>{{.EventID}}</code></td><td>{{.Event}}</td><td>{{.FailureClass}}</td><td>{{.LastStatus}}</td><td class="n">{{.Attempts}}</td><td>{{.LastError}}</td></tr>
{{end}}</table>
{{end}}{{end}}
<h2>Quarantine</h2>
<p>{{count .Quarantine.Total "refused callback"}} kept in <code>{{.Quarantine.URL}}</code>.</p>
{{if .Quarantine.Latest}}<table><tr><th>received</th><th>event id</th><th>status</th><th>field</th><th>reason</th></tr>
{{range .Quarantine.Latest}}<tr><td class="t">{{when .ReceivedAt}} <span class="ago">{{ago .ReceivedAt}}</span></td><td><code>{{.EventID}}</code></td><td>{{.Status}}</td><td>{{.Field}}</td><td>{{.Reason}}</td></tr>
{{end}}</table>{{end}}
{{if .Quarantine.Total}}<pre>go run ./cmd/relayctl quarantine list --relay {{.Base}}
go run ./cmd/relayctl quarantine purge --relay {{.Base}} --all</pre>{{end}}
{{if or .Sink.Used .Sink.Received}}<h2>Built-in webhook sink</h2>
<p>{{.Sink.Received}} received at <code>{{.Sink.URL}}</code> since start.</p>
{{if .Sink.Latest}}<table><tr><th>received</th><th>event</th><th>event id</th><th>signed</th><th>bytes</th></tr>
{{range .Sink.Latest}}<tr><td class="t">{{when .At}} <span class="ago">{{ago .At}}</span></td><td>{{.Event}}</td><td><code>{{.EventID}}</code></td><td>{{.Signed}}</td><td class="n">{{.Bytes}}</td></tr>
{{end}}</table>{{end}}{{end}}
{{range .Channels}}{{$ch := .Channel}}{{with .Files}}<h2>Files written by the {{$ch}} channel</h2>
<p>{{count .Files "file"}} in <code>{{.Dir}}</code>{{if .Latest}}; latest:{{end}}</p>
{{if .Latest}}<ul>{{range .Latest}}<li><code>{{.}}</code></li>{{end}}</ul>{{end}}{{end}}{{end}}
<p class="meta"><small>{{.Host}}, {{when .Now}}</small></p>
</body></html>
`))
