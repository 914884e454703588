// Package breaker pauses a channel whose settings are wrong instead of
// dead-lettering every message after the first: a revoked Slack URL or a
// webhook answering 410 fails every message the same way, and a
// five-minute typo should not become a redrive of hundreds. In AWS a
// channel pauses by disabling its consumer's SQS event source mapping, so
// its messages wait in the queue; the local relay stops the channel's
// pollers. Either way the operator fixes the setting and resumes it.
package breaker

import (
	"context"
	"errors"
	"fmt"
	"math"
	"net/http"
	"net/url"
	"path"
	"strconv"
	"strings"
	"time"

	"github.com/nicechat-relay/nicechat-relay/shared/awsjson"
)

// Pauser pauses one channel. Pausing a paused channel is not an error:
// paused reports whether this call paused it (false when it was paused
// already), so that of the deliveries that find the channel misconfigured
// at once, one says it paused the channel.
type Pauser interface {
	Pause(ctx context.Context, reason string) (paused bool, err error)
}

// Status is where a channel's consumption stands.
type Status struct {
	Paused bool
	// State is the event source mapping's own word (Enabled, Disabling,
	// Disabled, ...) or the local relay's (delivering, paused).
	State  string
	Reason string    // why it was paused, when known
	Since  time.Time // when it last changed, when known
}

// Lambda is the part of a Lambda client a Mapping uses: one REST-JSON
// call. *awsjson.Client is one; a test may pass a struct of function
// fields.
type Lambda interface {
	REST(ctx context.Context, operation, method, path string, query url.Values, in, out any) error
}

var _ Lambda = (*awsjson.Client)(nil)

// Mapping is a channel's SQS event source mapping in AWS, found by its
// function's name and its queue (the mapping's id is created with the
// function, so the function cannot be given it).
type Mapping struct {
	client   Lambda
	function string
	queue    string // the queue's name: the end of its ARN
}

var _ Pauser = (*Mapping)(nil)

// NewMapping is the mapping feeding function from the queue at queueURL;
// client is usually awsjson.New(cfg, awsjson.Lambda, getenv).
func NewMapping(client Lambda, function, queueURL string) *Mapping {
	return &Mapping{client: client, function: function, queue: path.Base(queueURL)}
}

// ErrNoMapping means the function has no event source mapping on the queue.
var ErrNoMapping = errors.New("no SQS event source mapping")

// mappingsPath is where Lambda's API keeps event source mappings.
const mappingsPath = "/2015-03-31/event-source-mappings/"

// eventSourceMapping is the part of Lambda's EventSourceMappingConfiguration
// a Mapping reads.
type eventSourceMapping struct {
	UUID                  string
	EventSourceArn        string
	State                 string
	StateTransitionReason string
	LastModified          epochSeconds
}

// epochSeconds is a REST-JSON timestamp: seconds since the epoch, with a
// fraction.
type epochSeconds struct{ time.Time }

func (t *epochSeconds) UnmarshalJSON(raw []byte) error {
	s := strings.Trim(string(raw), `"`)
	if s == "" || s == "null" {
		return nil
	}
	secs, err := strconv.ParseFloat(s, 64)
	if err != nil {
		// Not AWS's form, but a date is a date.
		if t.Time, err = time.Parse(time.RFC3339Nano, s); err != nil {
			return fmt.Errorf("LastModified %s: not a timestamp", raw)
		}
		return nil
	}
	whole, frac := math.Modf(secs)
	t.Time = time.Unix(int64(whole), int64(math.Round(frac*1e3))*int64(time.Millisecond))
	return nil
}

func (m *Mapping) find(ctx context.Context) (eventSourceMapping, error) {
	query := url.Values{"FunctionName": {m.function}}
	for {
		var out struct {
			EventSourceMappings []eventSourceMapping
			NextMarker          string
		}
		if err := m.client.REST(ctx, "ListEventSourceMappings", http.MethodGet, mappingsPath, query, nil, &out); err != nil {
			return eventSourceMapping{}, fmt.Errorf("list the event source mappings of %s: %w", m.function, err)
		}
		for _, c := range out.EventSourceMappings {
			if strings.HasSuffix(c.EventSourceArn, ":"+m.queue) {
				return c, nil
			}
		}
		if out.NextMarker == "" {
			return eventSourceMapping{}, fmt.Errorf("%w of %s on %s", ErrNoMapping, m.function, m.queue)
		}
		query.Set("Marker", out.NextMarker)
	}
}

// Pause disables the mapping: Lambda stops receiving from the queue, and
// the messages wait there. The reason goes to the caller's log; the
// mapping keeps no text. A mapping disabled or being disabled already is
// left as it is (paused is false).
func (m *Mapping) Pause(ctx context.Context, _ string) (paused bool, err error) {
	return m.set(ctx, false)
}

// Resume enables the mapping again; resumed is false when it was enabled
// or being enabled already.
func (m *Mapping) Resume(ctx context.Context) (resumed bool, err error) { return m.set(ctx, true) }

// set enables or disables the mapping and reports whether it changed it.
func (m *Mapping) set(ctx context.Context, enabled bool) (bool, error) {
	c, err := m.find(ctx)
	if err != nil {
		return false, err
	}
	if state := c.State; enabled && (state == "Enabled" || state == "Enabling") || !enabled && (state == "Disabled" || state == "Disabling") {
		return false, nil
	}
	in := struct{ Enabled bool }{enabled}
	if err := m.client.REST(ctx, "UpdateEventSourceMapping", http.MethodPut, mappingsPath+url.PathEscape(c.UUID), nil, in, nil); err != nil {
		return false, fmt.Errorf("update the event source mapping %s of %s: %w", c.UUID, m.function, err)
	}
	return true, nil
}

// Status reads the mapping's state.
func (m *Mapping) Status(ctx context.Context) (Status, error) {
	c, err := m.find(ctx)
	if err != nil {
		return Status{}, err
	}
	return Status{Paused: c.State == "Disabled" || c.State == "Disabling", State: c.State, Reason: c.StateTransitionReason, Since: c.LastModified.Time}, nil
}
