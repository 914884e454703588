package ingest

import (
	"encoding/json"
	"io"
	"sync"
	"time"
)

// Refusal reasons, the dimension of the Refused metric: a flood of
// unauthorized refusals means Nice Chat's callback URL carries a wrong or
// old token, and nothing reaches any queue.
const (
	ReasonUnauthorized = "unauthorized"
	ReasonInvalid      = "invalid"
	ReasonTooLarge     = "too_large"
	ReasonUnavailable  = "unavailable"
)

// MetricRefused counts refused callbacks per reason (CloudWatch Embedded
// Metric Format, namespace NiceChatRelay), for the stack's alarms.
const MetricRefused = "Refused"

func (k Kind) reason() string {
	switch k {
	case KindUnauthorized:
		return ReasonUnauthorized
	case KindTooLarge:
		return ReasonTooLarge
	case KindInvalid:
		return ReasonInvalid
	default:
		return ReasonUnavailable
	}
}

// refusals writes one EMF line per refused callback.
type refusals struct {
	mu  sync.Mutex
	w   io.Writer
	now func() time.Time
}

type refusalLine struct {
	Refused int    `json:"Refused"`
	AWS     emfAWS `json:"_aws"`
	Reason  string `json:"reason"`
}

type emfAWS struct {
	Timestamp         int64          `json:"Timestamp"`
	CloudWatchMetrics []emfDirective `json:"CloudWatchMetrics"`
}

type emfDirective struct {
	Namespace  string      `json:"Namespace"`
	Dimensions [][]string  `json:"Dimensions"`
	Metrics    []emfMetric `json:"Metrics"`
}

type emfMetric struct {
	Name string `json:"Name"`
	Unit string `json:"Unit"`
}

var refusedDirective = []emfDirective{{Namespace: "NiceChatRelay", Dimensions: [][]string{{"reason"}}, Metrics: []emfMetric{{Name: MetricRefused, Unit: "Count"}}}}

func (r *refusals) count(k Kind) {
	if r == nil || r.w == nil {
		return
	}
	b, _ := json.Marshal(refusalLine{Refused: 1, Reason: k.reason(), AWS: emfAWS{Timestamp: r.now().UnixMilli(), CloudWatchMetrics: refusedDirective}})
	b = append(b, '\n')
	r.mu.Lock()
	defer r.mu.Unlock()
	_, _ = r.w.Write(b)
}
