package ingest

import (
	"time"

	"github.com/nicechat-relay/nicechat-relay/shared/emf"
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
// Metric Format, namespace emf.Namespace), for the stack's alarms.
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
	w   *emf.Writer
	now func() time.Time
}

type refusalLine struct {
	Refused int          `json:"Refused"`
	AWS     emf.Metadata `json:"_aws"`
	Reason  string       `json:"reason"`
}

var refusedDirective = emf.Counts(emf.Namespace, "reason", MetricRefused)

func (r *refusals) count(k Kind) {
	if r == nil || r.w == nil {
		return
	}
	r.w.Write(refusalLine{Refused: 1, Reason: k.reason(), AWS: emf.Meta(r.now(), refusedDirective)})
}
