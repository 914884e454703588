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
	"path"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	lambdatypes "github.com/aws/aws-sdk-go-v2/service/lambda/types"
)

// Pauser pauses one channel. Pausing a paused channel is not an error.
type Pauser interface {
	Pause(ctx context.Context, reason string) error
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

// Lambda is the part of the Lambda API a Mapping uses.
type Lambda interface {
	ListEventSourceMappings(ctx context.Context, in *lambda.ListEventSourceMappingsInput, opts ...func(*lambda.Options)) (*lambda.ListEventSourceMappingsOutput, error)
	UpdateEventSourceMapping(ctx context.Context, in *lambda.UpdateEventSourceMappingInput, opts ...func(*lambda.Options)) (*lambda.UpdateEventSourceMappingOutput, error)
}

var _ Lambda = (*lambda.Client)(nil)

// Mapping is a channel's SQS event source mapping in AWS, found by its
// function's name and its queue (the mapping's id is created with the
// function, so the function cannot be given it).
type Mapping struct {
	client   Lambda
	function string
	queue    string // the queue's name: the end of its ARN
}

var _ Pauser = (*Mapping)(nil)

// NewMapping is the mapping feeding function from the queue at queueURL.
func NewMapping(client Lambda, function, queueURL string) *Mapping {
	return &Mapping{client: client, function: function, queue: path.Base(queueURL)}
}

// ErrNoMapping means the function has no event source mapping on the queue.
var ErrNoMapping = errors.New("no SQS event source mapping")

func (m *Mapping) find(ctx context.Context) (lambdatypes.EventSourceMappingConfiguration, error) {
	in := &lambda.ListEventSourceMappingsInput{FunctionName: aws.String(m.function)}
	for {
		out, err := m.client.ListEventSourceMappings(ctx, in)
		if err != nil {
			return lambdatypes.EventSourceMappingConfiguration{}, fmt.Errorf("list the event source mappings of %s: %w", m.function, err)
		}
		for _, c := range out.EventSourceMappings {
			if strings.HasSuffix(aws.ToString(c.EventSourceArn), ":"+m.queue) {
				return c, nil
			}
		}
		if out.NextMarker == nil {
			return lambdatypes.EventSourceMappingConfiguration{}, fmt.Errorf("%w of %s on %s", ErrNoMapping, m.function, m.queue)
		}
		in.Marker = out.NextMarker
	}
}

// Pause disables the mapping: Lambda stops receiving from the queue, and
// the messages wait there. The reason goes to the caller's log; the
// mapping keeps no text.
func (m *Mapping) Pause(ctx context.Context, _ string) error { return m.set(ctx, false) }

// Resume enables the mapping again.
func (m *Mapping) Resume(ctx context.Context) error { return m.set(ctx, true) }

func (m *Mapping) set(ctx context.Context, enabled bool) error {
	c, err := m.find(ctx)
	if err != nil {
		return err
	}
	if state := aws.ToString(c.State); enabled && (state == "Enabled" || state == "Enabling") || !enabled && (state == "Disabled" || state == "Disabling") {
		return nil
	}
	if _, err := m.client.UpdateEventSourceMapping(ctx, &lambda.UpdateEventSourceMappingInput{UUID: c.UUID, Enabled: aws.Bool(enabled)}); err != nil {
		return fmt.Errorf("update the event source mapping %s of %s: %w", aws.ToString(c.UUID), m.function, err)
	}
	return nil
}

// Status reads the mapping's state.
func (m *Mapping) Status(ctx context.Context) (Status, error) {
	c, err := m.find(ctx)
	if err != nil {
		return Status{}, err
	}
	state := aws.ToString(c.State)
	return Status{Paused: state == "Disabled" || state == "Disabling", State: state, Reason: aws.ToString(c.StateTransitionReason), Since: aws.ToTime(c.LastModified)}, nil
}
