package consumer

import (
	"encoding/json"
	"io"
	"sync"
	"time"
)

// emf writes CloudWatch Embedded Metric Format lines: a log line shaped
// like this becomes metrics in CloudWatch without an agent or API call.
// https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/CloudWatch_Embedded_Metric_Format_Specification.html
type emf struct {
	mu        sync.Mutex
	w         io.Writer
	now       func() time.Time
	channel   string
	directive []emfDirective // the same on every line: built once
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

type emfMetric struct {
	Name string `json:"Name"`
	Unit string `json:"Unit"`
}

type emfDirective struct {
	Namespace  string      `json:"Namespace"`
	Dimensions [][]string  `json:"Dimensions"`
	Metrics    []emfMetric `json:"Metrics"`
}

type emfMeta struct {
	Timestamp         int64          `json:"Timestamp"`
	CloudWatchMetrics []emfDirective `json:"CloudWatchMetrics"`
}

// emfLine is one line. Every line carries every metric, zeros included,
// so sums and rates line up per channel.
type emfLine struct {
	ChannelPaused int     `json:"ChannelPaused"`
	DeadLettered  int     `json:"DeadLettered"`
	Delivered     int     `json:"Delivered"`
	Duplicate     int     `json:"Duplicate"`
	Retried       int     `json:"Retried"`
	AWS           emfMeta `json:"_aws"`
	Channel       string  `json:"channel"`
}

func newEMF(w io.Writer, namespace, channel string, now func() time.Time) *emf {
	metrics := make([]emfMetric, len(metricNames))
	for i, name := range metricNames {
		metrics[i] = emfMetric{Name: name, Unit: "Count"}
	}
	directive := []emfDirective{{Namespace: namespace, Dimensions: [][]string{{"channel"}}, Metrics: metrics}}
	return &emf{w: w, now: now, channel: channel, directive: directive}
}

// write prints one line counting one outcome.
func (e *emf) write(outcome string) {
	line := emfLine{AWS: emfMeta{Timestamp: e.now().UnixMilli(), CloudWatchMetrics: e.directive}, Channel: e.channel}
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
	b, _ := json.Marshal(line) // plain fields: cannot fail
	b = append(b, '\n')
	e.mu.Lock()
	defer e.mu.Unlock()
	_, _ = e.w.Write(b)
}
