package main

import (
	"html/template"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/nicechat-relay/nicechat-relay/shared/dlq"
	"github.com/nicechat-relay/nicechat-relay/shared/localqueue"
	"github.com/nicechat-relay/nicechat-relay/shared/message"
)

// latestLetters is how many dead letters per channel the status shows.
const latestLetters = 5

// relayStatus is GET /api/status: what the relay holds and has done since it started.
type relayStatus struct {
	Channels   []channelStatus  `json:"channels"`
	Quarantine quarantineStatus `json:"quarantine"`
	Sink       sinkStatus       `json:"sink"`
	Errors     []string         `json:"errors,omitempty"`
}

type channelStatus struct {
	Channel string      `json:"channel"`
	On      bool        `json:"on"`
	Target  string      `json:"target"`
	Queue   queueStatus `json:"queue"`
	DLQ     queueStatus `json:"dlq"`
	// Outcomes since the relay started.
	Delivered         int64             `json:"delivered"`
	Retried           int64             `json:"retried"`
	DeadLettered      int64             `json:"dead_lettered"`
	Duplicates        int64             `json:"duplicates"` // not delivered again: already delivered within IDEMPOTENCY_WINDOW
	// Paused: the channel paused itself on a misconfiguration (or the
	// operator paused it); its messages wait in the queue.
	Paused       bool      `json:"paused"`
	PausedReason string    `json:"paused_reason,omitempty"`
	PausedSince  time.Time `json:"paused_since,omitzero"`
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
	EventID    string `json:"event_id"`
	Status     string `json:"status"`
	Reason     string `json:"reason"`
	Field      string `json:"field,omitempty"`
	ReceivedAt string `json:"received_at"`
}

type sinkStatus struct {
	URL      string        `json:"url"`
	Received int           `json:"received"`
	Latest   []sinkReceipt `json:"latest"`
}

type filesStatus struct {
	Dir    string   `json:"dir"`
	Files  int      `json:"files"`
	Latest []string `json:"latest"` // newest first
}

func (r *relay) status() relayStatus {
	var s relayStatus
	queue := func(name string) queueStatus {
		st, err := r.store.Stats(name)
		if err != nil {
			s.Errors = append(s.Errors, err.Error())
		}
		return queueStatus{URL: r.base + sqsPath + accountPath + name, QueueStats: st}
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
	}
	s.Quarantine = quarantineStatus{queueStatus: queue("quarantine"), Latest: []quarantined{}}
	msgs, err := r.store.Peek("quarantine", latestLetters)
	if err != nil {
		s.Errors = append(s.Errors, err.Error())
	}
	for _, m := range msgs {
		attr := func(name string) string {
			if v, ok := m.MessageAttributes[name]; ok && v.StringValue != nil {
				return *v.StringValue
			}
			return ""
		}
		s.Quarantine.Latest = append(s.Quarantine.Latest, quarantined{
			EventID: attr(message.AttrEventID), Status: attr("status"), Reason: attr("reason"),
			Field: attr("field"), ReceivedAt: attr(message.AttrReceivedAt),
		})
	}
	n, latest := r.sink.snapshot()
	s.Sink = sinkStatus{URL: r.base + sinkPath, Received: n, Latest: latest}
	return s
}

// DeadLetters reports whether any channel shows a dead letter.
func (s relayStatus) DeadLetters() bool {
	for _, c := range s.Channels {
		if len(c.LatestDeadLetters) > 0 {
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
		Host string
		Base string // the relay's own URL, for the commands shown
		Now  time.Time
	}{r.status(), host, r.base, time.Now().UTC()})
}

var statusTemplate = template.Must(template.New("status").Funcs(template.FuncMap{
	"ago": func(t time.Time) string {
		if t.IsZero() {
			return "?"
		}
		return time.Since(t).Round(time.Second).String() + " ago"
	},
}).Parse(`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta http-equiv="refresh" content="5">
<title>nicechat-relay: local status</title>
<style>
body{font:14px/1.4 system-ui,sans-serif;margin:2em;color:#222}
table{border-collapse:collapse;margin:.5em 0 1.5em}td,th{border:1px solid #ccc;padding:.3em .6em;text-align:left;vertical-align:top}
th{background:#f4f4f4}.n{text-align:right}.bad{color:#a00}code{font-size:13px}
</style></head><body>
<h1>nicechat-relay (local)</h1>
<p>Refreshes every 5 s. JSON: <a href="/api/status">/api/status</a>. Dead letters: <code>relayctl dlq list --relay URL --channel NAME</code>.</p>
{{range .Errors}}<p class="bad">{{.}}</p>{{end}}
<h2>Channels</h2>
<table><tr><th>channel</th><th>delivers to</th><th>queued</th><th>in flight</th><th>waiting to retry</th><th>delivered</th><th>duplicates skipped</th><th>retried</th><th>dead-lettered</th><th>in DLQ</th></tr>
{{range .Channels}}<tr><td>{{.Channel}}{{if .Paused}} <b class="bad">PAUSED</b>{{end}}</td><td>{{.Target}}</td><td class="n">{{.Queue.Visible}}</td><td class="n">{{.Queue.InFlight}}</td><td class="n">{{.Queue.Delayed}}</td>
<td class="n">{{.Delivered}}</td><td class="n">{{.Duplicates}}</td><td class="n">{{.Retried}}</td><td class="n">{{.DeadLettered}}</td><td class="n{{if .DLQ.Total}} bad{{end}}">{{.DLQ.Total}}</td></tr>
{{end}}</table>
{{range .Channels}}{{if .Paused}}<p class="bad"><b>The {{.Channel}} channel is paused</b> since {{.PausedSince.Format "2006-01-02 15:04:05"}} UTC: {{.PausedReason}}. Its messages wait in the queue. Fix the setting, restart the relay with it, then: <code>go run ./cmd/relayctl channel resume --relay {{$.Base}} --channel {{.Channel}}</code></p>
{{end}}{{end}}
<h2>Latest dead letters</h2>
{{if not .DeadLetters}}<p>none</p>{{end}}
{{range .Channels}}{{if .LatestDeadLetters}}<h3>{{.Channel}}</h3>
<table><tr><th>event id</th><th>event</th><th>class</th><th>status</th><th>attempts</th><th>when</th><th>reason</th></tr>
{{range .LatestDeadLetters}}<tr><td><code>{{.EventID}}</code></td><td>{{.Event}}</td><td>{{.FailureClass}}</td><td>{{.LastStatus}}</td><td class="n">{{.Attempts}}</td><td>{{ago .DeadLettered}}</td><td>{{.LastError}}</td></tr>
{{end}}</table>{{end}}{{end}}
<h2>Built-in webhook sink</h2>
<p>{{.Sink.Received}} received at <code>{{.Sink.URL}}</code> since start.</p>
{{if .Sink.Latest}}<table><tr><th>when</th><th>event</th><th>event id</th><th>signed</th><th>bytes</th></tr>
{{range .Sink.Latest}}<tr><td>{{ago .At}}</td><td>{{.Event}}</td><td><code>{{.EventID}}</code></td><td>{{.Signed}}</td><td class="n">{{.Bytes}}</td></tr>
{{end}}</table>{{end}}
{{range .Channels}}{{$ch := .Channel}}{{with .Files}}<h2>Files written by the {{$ch}} channel</h2>
<p>{{.Files}} file(s) in <code>{{.Dir}}</code>{{if .Latest}}; latest:{{end}}</p>
{{if .Latest}}<ul>{{range .Latest}}<li><code>{{.}}</code></li>{{end}}</ul>{{end}}{{end}}{{end}}
<h2>Quarantine</h2>
<p>{{.Quarantine.Total}} rejected callback(s) kept in <code>{{.Quarantine.URL}}</code>.</p>
{{if .Quarantine.Latest}}<table><tr><th>received</th><th>event id</th><th>status</th><th>field</th><th>reason</th></tr>
{{range .Quarantine.Latest}}<tr><td>{{.ReceivedAt}}</td><td><code>{{.EventID}}</code></td><td>{{.Status}}</td><td>{{.Field}}</td><td>{{.Reason}}</td></tr>
{{end}}</table>{{end}}
<p><small>{{.Host}}, {{.Now.Format "2006-01-02 15:04:05"}} UTC</small></p>
</body></html>
`))
