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
	namespace string
	channel   string
	now       func() time.Time
}

// Metric names, one count per attempt.
const (
	MetricDelivered    = "Delivered"
	MetricRetried      = "Retried"
	MetricDeadLettered = "DeadLettered"
)

var metricNames = []string{MetricDelivered, MetricRetried, MetricDeadLettered}

var outcomeMetric = map[string]string{
	OutcomeDelivered:    MetricDelivered,
	OutcomeRetried:      MetricRetried,
	OutcomeDeadLettered: MetricDeadLettered,
}

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

// write prints one line counting one outcome; every line carries all
// three metrics (zeros included) so sums and rates line up per channel.
func (e *emf) write(outcome string) {
	metrics := make([]emfMetric, len(metricNames))
	line := map[string]any{"channel": e.channel}
	for i, name := range metricNames {
		metrics[i] = emfMetric{Name: name, Unit: "Count"}
		line[name] = 0
	}
	line[outcomeMetric[outcome]] = 1
	line["_aws"] = emfMeta{
		Timestamp: e.now().UnixMilli(),
		CloudWatchMetrics: []emfDirective{{
			Namespace:  e.namespace,
			Dimensions: [][]string{{"channel"}},
			Metrics:    metrics,
		}},
	}
	b, _ := json.Marshal(line)
	b = append(b, '\n')
	e.mu.Lock()
	defer e.mu.Unlock()
	_, _ = e.w.Write(b)
}
