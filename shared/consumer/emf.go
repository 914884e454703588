package consumer

import (
	"io"
	"time"

	"github.com/nicechat-relay/nicechat-relay/shared/emf"
)

// metricsWriter counts each attempt's outcome in an EMF line (package
// emf), by channel.
type metricsWriter struct {
	w         *emf.Writer
	now       func() time.Time
	channel   string
	directive []emf.Directive // the same on every line: built once
}

// Metric names, one count per attempt.
const (
	MetricDelivered    = "Delivered"
	MetricRetried      = "Retried"
	MetricDeadLettered = "DeadLettered"
	MetricDuplicate    = "Duplicate"     // not delivered again: already delivered within the idempotency window
	MetricPaused       = "ChannelPaused" // the channel paused itself on a misconfiguration
)

var metricNames = []string{MetricDelivered, MetricRetried, MetricDeadLettered, MetricDuplicate, MetricPaused}

// emfLine is one line. Every line carries every metric, zeros included,
// so sums and rates line up per channel.
type emfLine struct {
	ChannelPaused int          `json:"ChannelPaused"`
	DeadLettered  int          `json:"DeadLettered"`
	Delivered     int          `json:"Delivered"`
	Duplicate     int          `json:"Duplicate"`
	Retried       int          `json:"Retried"`
	AWS           emf.Metadata `json:"_aws"`
	Channel       string       `json:"channel"`
}

func newEMF(w io.Writer, namespace, channel string, now func() time.Time) *metricsWriter {
	return &metricsWriter{w: emf.NewWriter(w), now: now, channel: channel, directive: emf.Counts(namespace, "channel", metricNames...)}
}

// write prints one line counting one outcome.
func (e *metricsWriter) write(outcome string) {
	line := emfLine{AWS: emf.Meta(e.now(), e.directive), Channel: e.channel}
	switch outcome {
	case OutcomeDelivered:
		line.Delivered = 1
	case OutcomeRetried:
		line.Retried = 1
	case OutcomeDeadLettered:
		line.DeadLettered = 1
	case OutcomeDuplicate:
		line.Duplicate = 1
	case OutcomePaused:
		line.ChannelPaused = 1
	}
	e.w.Write(line)
}
