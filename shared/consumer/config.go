package consumer

import (
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/nicechat-relay/nicechat-relay/shared/breaker"
	"github.com/nicechat-relay/nicechat-relay/shared/emf"
	"github.com/nicechat-relay/nicechat-relay/shared/idempotency"
	"github.com/nicechat-relay/nicechat-relay/shared/localrelay"
)

// Environment variables.
const (
	EnvQueueURL    = "QUEUE_URL"
	EnvDLQURL      = "DLQ_URL"
	EnvMaxAttempts = "MAX_ATTEMPTS"
)

// Defaults.
const (
	DefaultMaxAttempts    = 8
	DefaultConcurrency    = 10
	DefaultDeadlineMargin = 3 * time.Second
	DefaultNamespace      = emf.Namespace
	DefaultPauseHold      = 30 * time.Second
	maxMaxAttempts        = 100
)

// DefaultSchedule is the wait before attempt n+1 after attempt n failed
// (the last step repeats), before jitter.
var DefaultSchedule = []time.Duration{
	10 * time.Second, 30 * time.Second, 2 * time.Minute, 10 * time.Minute,
	30 * time.Minute, time.Hour, 3 * time.Hour, 6 * time.Hour,
}

// maxDelay keeps a visibility change within SQS's limit, which counts 12
// hours from the receive, not from the change: the margin covers the
// batching window and the longest Lambda run between the two.
const maxDelay = 12*time.Hour - 30*time.Minute

// Config is the runtime's settings. New fills zero fields with defaults.
type Config struct {
	Channel     string // for logs, metrics and dead letters; the channel's Name() when empty
	QueueURL    string // source queue, for visibility changes
	DLQURL      string // where the runtime dead-letters messages itself
	MaxAttempts int
	// Concurrency bounds the deliveries in flight in one batch; the email
	// and Slack Lambdas set 1 to stay within SES's and Slack's rates.
	Concurrency int
	Schedule    []time.Duration
	// Jitter picks the actual wait for a schedule step: full jitter, a
	// uniform value in [0, step]. Tests replace it to get exact values.
	Jitter func(step time.Duration) time.Duration
	// DeadlineMargin is the time kept, beyond one delivery's timeout, for
	// the visibility change or the dead-letter send that may follow it.
	DeadlineMargin time.Duration
	Namespace      string    // CloudWatch metrics namespace
	Metrics        io.Writer // where EMF lines go; stdout when nil, which Lambda sends to CloudWatch Logs
	// OnOutcome, when set, is told each attempt's outcome as it is counted
	// in the metrics (delivered, retried, dead_lettered or duplicate); the
	// local relay shows these counts on its status page.
	OnOutcome func(outcome string)
	// OnReport, when set, is told what was done with each record, as it
	// is logged (see Report).
	OnReport func(Report)
	Now      func() time.Time

	// Idempotency, when set, makes delivery once per event and channel
	// within IdempotencyWindow; nil is at least once. Spec.Runtime builds
	// it on IdempotencyTable when it is not set otherwise.
	Idempotency       idempotency.Store
	IdempotencyTable  string
	IdempotencyWindow time.Duration

	// Pauser, when set, pauses the channel on a misconfigured failure
	// instead of dead-lettering the message (see package breaker);
	// PauseHold is how long each message waits before the queue shows it
	// again, for the pause to take hold (default 30 s).
	Pauser    breaker.Pauser
	PauseHold time.Duration
	// ResumeCommand is the command line that resumes the channel, which
	// the log line saying it paused prints whole (see ResumeCommand);
	// the local relay's when empty.
	ResumeCommand string
}

// ConfigFromEnv reads QUEUE_URL, DLQ_URL, MAX_ATTEMPTS (default 8),
// IDEMPOTENCY_TABLE (unset: no store) and IDEMPOTENCY_WINDOW (default 24h),
// and makes the command that resumes the channel (see ResumeCommand).
func ConfigFromEnv(channel string, getenv func(string) string) (Config, error) {
	cfg := Config{
		Channel:          channel,
		QueueURL:         strings.TrimSpace(getenv(EnvQueueURL)),
		DLQURL:           strings.TrimSpace(getenv(EnvDLQURL)),
		MaxAttempts:      DefaultMaxAttempts,
		IdempotencyTable: strings.TrimSpace(getenv(idempotency.EnvTable)),
		ResumeCommand:    ResumeCommand(channel, getenv),
	}
	if cfg.QueueURL == "" {
		return Config{}, fmt.Errorf("%s is required", EnvQueueURL)
	}
	if cfg.DLQURL == "" {
		return Config{}, fmt.Errorf("%s is required", EnvDLQURL)
	}
	if v := strings.TrimSpace(getenv(EnvMaxAttempts)); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > maxMaxAttempts {
			return Config{}, fmt.Errorf("%s must be a whole number from 1 to %d, got %q", EnvMaxAttempts, maxMaxAttempts, v)
		}
		cfg.MaxAttempts = n
	}
	window, err := idempotency.ParseWindow(getenv(idempotency.EnvWindow))
	if err != nil {
		return Config{}, err
	}
	cfg.IdempotencyWindow = window
	return cfg, nil
}

func (cfg Config) withDefaults(channelName string) Config {
	if cfg.Channel == "" {
		cfg.Channel = channelName
	}
	if cfg.MaxAttempts <= 0 {
		cfg.MaxAttempts = DefaultMaxAttempts
	}
	if cfg.Concurrency <= 0 {
		cfg.Concurrency = DefaultConcurrency
	}
	if len(cfg.Schedule) == 0 {
		cfg.Schedule = DefaultSchedule
	}
	if cfg.Jitter == nil {
		cfg.Jitter = fullJitter
	}
	if cfg.DeadlineMargin <= 0 {
		cfg.DeadlineMargin = DefaultDeadlineMargin
	}
	if cfg.Namespace == "" {
		cfg.Namespace = DefaultNamespace
	}
	if cfg.Metrics == nil {
		cfg.Metrics = os.Stdout
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.PauseHold <= 0 {
		cfg.PauseHold = DefaultPauseHold
	}
	if cfg.IdempotencyWindow <= 0 {
		cfg.IdempotencyWindow = idempotency.DefaultWindow
	}
	if cfg.ResumeCommand == "" {
		cfg.ResumeCommand = ResumeCommand(cfg.Channel, func(string) string { return "" })
	}
	return cfg
}

// EnvStackName is the stack's name, which the template gives every
// function (Lambda gives only the function's own, and a stack's name may
// hold the dashes CloudFormation joins it with).
const EnvStackName = "STACK_NAME"

// ResumeCommand is the command line that resumes channel, whole, as an
// operator copies it from the log: deployed (the template sets
// STACK_NAME, Lambda AWS_LAMBDA_FUNCTION_NAME), relayctl on the stack
// STACK_NAME names; else on the local relay, which relayctl finds from
// its data directory (RELAY_DATA_DIR, when it is not the default).
func ResumeCommand(channel string, getenv func(string) string) string {
	const relayctl = "go run ./cmd/relayctl channel resume"
	stack := shellWord(strings.TrimSpace(getenv(EnvStackName)))
	if stack != "" || strings.TrimSpace(getenv(EnvFunctionName)) != "" {
		if stack == "" {
			stack = "<stack name>" // a stack deployed before the template named it
		}
		return relayctl + " --stack " + stack + " --channel " + channel
	}
	if dir := strings.TrimSpace(getenv(localrelay.EnvDataDir)); dir != "" && dir != localrelay.DefaultDataDir {
		return localrelay.EnvDataDir + "=" + shellWord(dir) + " " + relayctl + " --channel " + channel
	}
	return relayctl + " --channel " + channel
}

// shellWord quotes s for a shell when it holds more than a path's usual
// characters.
func shellWord(s string) string {
	if strings.IndexFunc(s, func(r rune) bool {
		return !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune("-_./:=@+,", r))
	}) < 0 {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

func fullJitter(step time.Duration) time.Duration {
	if step <= 0 {
		return 0
	}
	return rand.N(step + 1)
}

// delay is how long a message waits after failed attempt n: the jittered
// schedule step, but never less than the far end's Retry-After.
func (cfg Config) delay(attempt int, retryAfter time.Duration) time.Duration {
	step := cfg.Schedule[min(max(attempt, 1), len(cfg.Schedule))-1]
	return min(max(cfg.Jitter(step), retryAfter), maxDelay)
}
