// Package emf writes CloudWatch Embedded Metric Format lines: a log line
// shaped like this becomes metrics in CloudWatch without an agent or an
// API call. Ingest and the consumers count with it, in one namespace.
// https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/CloudWatch_Embedded_Metric_Format_Specification.html
package emf

import (
	"encoding/json"
	"io"
	"sync"
	"time"
)

// Namespace is the relay's metrics namespace, which the template's alarms
// read.
const Namespace = "NiceChatRelay"

// Metadata is a line's "_aws" member.
type Metadata struct {
	Timestamp         int64       `json:"Timestamp"`
	CloudWatchMetrics []Directive `json:"CloudWatchMetrics"`
}

// Directive says which of a line's members are metrics, and by which
// dimensions.
type Directive struct {
	Namespace  string     `json:"Namespace"`
	Dimensions [][]string `json:"Dimensions"`
	Metrics    []Metric   `json:"Metrics"`
}

// Metric is one metric a directive names.
type Metric struct {
	Name string `json:"Name"`
	Unit string `json:"Unit"`
}

// Counts is the directive of count metrics names in namespace, by one
// dimension.
func Counts(namespace, dimension string, names ...string) []Directive {
	metrics := make([]Metric, len(names))
	for i, name := range names {
		metrics[i] = Metric{Name: name, Unit: "Count"}
	}
	return []Directive{{Namespace: namespace, Dimensions: [][]string{{dimension}}, Metrics: metrics}}
}

// Writer writes whole lines to w, one at a time, as a log does.
type Writer struct {
	mu sync.Mutex
	w  io.Writer
}

// NewWriter writes lines to w.
func NewWriter(w io.Writer) *Writer { return &Writer{w: w} }

// Write prints line, a struct with the metrics' members and an "_aws"
// Metadata member, as one JSON line.
func (w *Writer) Write(line any) {
	b, err := json.Marshal(line)
	if err != nil {
		return // the lines are plain fields: this does not happen
	}
	b = append(b, '\n')
	w.mu.Lock()
	defer w.mu.Unlock()
	_, _ = w.w.Write(b)
}

// Meta is the metadata of a line written at now.
func Meta(now time.Time, directives []Directive) Metadata {
	return Metadata{Timestamp: now.UnixMilli(), CloudWatchMetrics: directives}
}
