// Package channel is one channel as the rest of the relay sees it: its
// Spec (name, routes, event source, how it opens, how it runs locally,
// its secrets) and its Deployment, what template.yaml and the README hold
// of it. Each channel package exports one Spec and shared/channels lists
// them; the consumer runtime, ingest, the local relay, relayctl and the
// generator read them.
package channel

import (
	"log/slog"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/nicechat-relay/nicechat-relay/shared/delivery"
	"github.com/nicechat-relay/nicechat-relay/shared/docstore"
	"github.com/nicechat-relay/nicechat-relay/shared/message"
)

// Spec is one channel as the rest of the relay sees it. Each channel
// package exports one (webhook.Spec, slack.Spec, ...) and shared/channels
// lists them: ingest routes, the local relay runs, relayctl finds queues
// and the template's tests check template.yaml by looping over that list,
// so none of them names a channel.
type Spec struct {
	// Name is the channel in routing, logs, metrics, dead letters, and
	// functions/<Name>.
	Name string
	// Title is the stem of the channel's template resources, parameters
	// and stack outputs: <Title>Queue, <Title>Dlq, <Title>Function,
	// <Title>QueueUrl, Has<Title>, ...
	Title string
	// Routes are the event lists ingest reads for the channel, one per
	// format.
	Routes []Route
	// Source is the channel's SQS event source, as template.yaml declares
	// it and the local relay runs it.
	Source EventSource
	// Concurrency bounds the deliveries in flight within one batch; zero
	// means consumer.DefaultConcurrency.
	Concurrency int
	// Open reads the channel's settings and builds it once per instance,
	// outside the handler, so warm invocations reuse its clients.
	Open OpenFunc
	// Local says how the channel runs in the local relay (make run); nil
	// means off.
	Local func(LocalEnv) (Local, error)
	// Secrets are the settings that may come from Secrets Manager
	// instead of the environment (see package secrets).
	Secrets []string
	// Deploy is the channel in template.yaml and the README, which
	// `make generate` writes from it.
	Deploy Deployment
}

// OpenFunc reads a channel's settings with getenv and builds the channel;
// awsCfg is for channels that call AWS.
type OpenFunc func(getenv func(string) string, awsCfg aws.Config) (delivery.Channel, error)

// Opener makes a channel's OpenFunc from its two steps: its
// ConfigFromEnv and its constructor.
func Opener[C any](load func(getenv func(string) string) (C, error), build func(cfg C, awsCfg aws.Config) (delivery.Channel, error)) OpenFunc {
	return func(getenv func(string) string, awsCfg aws.Config) (delivery.Channel, error) {
		cfg, err := load(getenv)
		if err != nil {
			return nil, err
		}
		return build(cfg, awsCfg)
	}
}

// Route is one event list a channel is routed: the variable naming the
// event types (a comma list, * for all, empty for none) and the format
// its messages carry.
type Route struct {
	Env    string         // WEBHOOK_EVENTS
	Format message.Format // empty for a channel with a single format
	// Default is the list template.yaml's parameter and the local relay
	// use when the variable is not set.
	Default string
	// Description is its template parameter's; Doc the README's "what
	// it is".
	Description, Doc string
}

// HumaneEvents are the events a person wants to hear about by default:
// the hot and angry leads, orders and forms.
const HumaneEvents = "first_message,unanswered,new_order,push_form"

// EventSource is a channel's SQS event source mapping and the function
// behind it. template.yaml declares the same values (a test holds the two
// together) and the local relay's pollers run with them.
type EventSource struct {
	BatchSize   int
	BatchWindow time.Duration // MaximumBatchingWindowInSeconds
	// MaxConcurrency is ScalingConfig.MaximumConcurrency: the instances
	// of the function that run at once, each with its own channel (and
	// so its own pacing).
	MaxConcurrency  int
	FunctionTimeout time.Duration
}

// VisibilityTimeout is the channel queue's visibility timeout: six times
// the function's timeout, as AWS recommends for an SQS event source.
func (e EventSource) VisibilityTimeout() time.Duration { return 6 * e.FunctionTimeout }

// RedriveMaxReceiveCount is the queues' maxReceiveCount for maxAttempts:
// the runtime dead-letters a message itself after maxAttempts, with the
// reason; SQS's redrive is only the safety net for a consumer that crashes
// or times out, so it must never fire first.
func RedriveMaxReceiveCount(maxAttempts int) int { return maxAttempts + 2 }

// QueueEnv names the variable holding the channel's queue URL: ingest
// sends to it, relayctl reads it.
func (s Spec) QueueEnv() string { return strings.ToUpper(s.Name) + "_QUEUE_URL" }

// DLQEnv names the variable holding the channel's dead-letter queue URL,
// for relayctl.
func (s Spec) DLQEnv() string { return strings.ToUpper(s.Name) + "_DLQ_URL" }

// QueueOutput is the stack output with the channel's queue URL.
func (s Spec) QueueOutput() string { return s.Title + "QueueUrl" }

// DLQOutput is the stack output with the channel's dead-letter queue URL.
func (s Spec) DLQOutput() string { return s.Title + "DlqUrl" }

// FunctionOutput is the stack output with the channel's function name,
// for relayctl channel (its event source mapping is found from it).
func (s Spec) FunctionOutput() string { return s.Title + "FunctionName" }

// QueueName and DLQName are the local relay's queue names.
func (s Spec) QueueName() string { return s.Name }

// DLQName is the local relay's name of the channel's dead-letter queue.
func (s Spec) DLQName() string { return s.Name + "-dlq" }

// LocalEnv is what the local relay offers a channel.
type LocalEnv struct {
	Getenv  func(string) string
	SinkURL string // the relay's built-in endpoint that records POSTs
	DataDir string // the relay's data directory
	AWS     aws.Config
	AWSErr  error // why the SDK's configuration could not be loaded
	Log     *slog.Logger
	// Docs is the relay's store of channel documents (Slack's threads),
	// beside its delivery records, in place of the idempotency table.
	Docs docstore.Store
}

// Local is how a channel runs in the local relay.
type Local struct {
	On bool
	// Target is where it delivers, for the banner and the status page
	// (never a secret); for a channel that is off, what turns it on.
	Target string
	Env    map[string]string // settings for its consumer, over the environment
	Open   OpenFunc          // nil: the Spec's
	Files  string            // a directory of deliveries the status page lists
}

// OnWhenSet is the local start-up of a channel that is on once variable
// is set, delivering where target says.
func OnWhenSet(variable string, target func(getenv func(string) string) string) func(LocalEnv) (Local, error) {
	return func(env LocalEnv) (Local, error) {
		if strings.TrimSpace(env.Getenv(variable)) == "" {
			return Local{Target: "off: set " + variable}, nil
		}
		return Local{On: true, Target: target(env.Getenv)}, nil
	}
}
