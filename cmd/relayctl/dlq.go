package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"os"
	"slices"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/cloudformation"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/smithy-go/logging"

	"github.com/nicechat-relay/nicechat-relay/shared/channels"
	"github.com/nicechat-relay/nicechat-relay/shared/dlq"
)

// client is a connected relayctl: AWS clients and where the queues are.
type client struct {
	o       options
	aws     aws.Config
	sqs     *sqs.Client
	cfn     *cloudformation.Client
	outputs map[string]string // the stack's outputs, read once
	// localQueues is the queue URL prefix of a local relay, when --relay is set.
	localQueues string
}

// connect loads the SDK's standard configuration and checks up front that
// it has a region and credentials, so that the error says so plainly.
func connect(ctx context.Context, o options) (*client, error) {
	if o.relay != "" {
		return connectLocal(o)
	}
	// The SDK's logger stays quiet while the credentials are looked for:
	// without any, the chain tries EC2 IMDS, which warns on stderr before
	// the plain error below says what to do.
	cfg, err := config.LoadDefaultConfig(ctx, config.WithLogger(logging.Nop{}))
	if err != nil {
		return nil, fmt.Errorf("load the AWS configuration: %w", err)
	}
	if cfg.Region == "" {
		return nil, &noAWSError{msg: "no AWS region: set AWS_REGION or a region in your AWS profile"}
	}
	if cfg.Credentials == nil {
		return nil, errNoCredentials(nil)
	}
	if _, err := cfg.Credentials.Retrieve(ctx); err != nil {
		return nil, errNoCredentials(err)
	}
	cfg.Logger = logging.NewStandardLogger(os.Stderr) // the SDK's default, for the calls that follow
	return &client{o: o, aws: cfg, sqs: sqs.NewFromConfig(cfg), cfn: cloudformation.NewFromConfig(cfg)}, nil
}

// connectLocal talks to the embedded queue of a local relay (make run),
// which serves the SQS API under /sqs and needs no AWS account.
func connectLocal(o options) (*client, error) {
	base := strings.TrimSuffix(o.relay, "/")
	local := sqs.New(sqs.Options{
		Region:       "local",
		BaseEndpoint: aws.String(base + localSQSPath),
		Credentials:  aws.AnonymousCredentials{},
	})
	return &client{o: o, sqs: local, localQueues: base + localSQSPath + localAccountPath}, nil
}

// Where a local relay serves its queues: cmd/relay names them after their
// channel (webhook, webhook-dlq, ...).
const (
	localSQSPath     = "/sqs"
	localAccountPath = "/000000000000/"
)

// noAWSError is a missing AWS region or credentials.
type noAWSError struct {
	msg string
	err error
}

func (e *noAWSError) Error() string {
	if e.err != nil {
		return e.msg + " (" + e.err.Error() + ")"
	}
	return e.msg
}

func (e *noAWSError) Unwrap() error { return e.err }

func errNoCredentials(err error) error {
	return &noAWSError{msg: "no AWS credentials found: set AWS_PROFILE (after 'aws sso login' if you use SSO), or AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY", err: err}
}

// queueURL finds a queue: the flag, else the local relay's queue of that
// name, else the stack output, else the environment variable.
func (c *client) queueURL(ctx context.Context, flagValue, flagName, output, env, localName string) (string, error) {
	if flagValue != "" {
		return flagValue, nil
	}
	if c.localQueues != "" {
		return c.localQueues + localName, nil
	}
	if c.o.stack != "" {
		outputs, err := c.stackOutputs(ctx)
		if err != nil {
			return "", err
		}
		if v := outputs[output]; v != "" {
			return v, nil
		}
		return "", fmt.Errorf("stack %s has no output %s", c.o.stack, output)
	}
	if v := strings.TrimSpace(os.Getenv(env)); v != "" {
		return v, nil
	}
	return "", fmt.Errorf("no queue URL: pass --%s, name the stack with --stack, or set %s", flagName, env)
}

func (c *client) stackOutputs(ctx context.Context) (map[string]string, error) {
	if c.outputs != nil {
		return c.outputs, nil
	}
	out, err := c.cfn.DescribeStacks(ctx, &cloudformation.DescribeStacksInput{StackName: aws.String(c.o.stack)})
	if err != nil {
		return nil, fmt.Errorf("read the outputs of stack %s: %w", c.o.stack, err)
	}
	c.outputs = map[string]string{}
	for _, s := range out.Stacks {
		for _, o := range s.Outputs {
			c.outputs[aws.ToString(o.OutputKey)] = aws.ToString(o.OutputValue)
		}
	}
	return c.outputs, nil
}

func (c *client) dlq(ctx context.Context, channel string) (dlq.Queue, error) {
	spec, _ := channels.Find(channel)
	url, err := c.queueURL(ctx, c.o.dlqURL, "dlq-url", spec.DLQOutput(), spec.DLQEnv(), spec.DLQName())
	if err != nil {
		return dlq.Queue{}, fmt.Errorf("the %s DLQ: %w", channel, err)
	}
	return dlq.Queue{Client: c.sqs, URL: url, Max: c.o.max}, nil
}

func (c *client) list(ctx context.Context, w io.Writer, now time.Time) error {
	q, err := c.dlq(ctx, c.o.channel)
	if err != nil {
		return err
	}
	letters, more, err := q.List(ctx)
	if err != nil {
		return err
	}
	if len(letters) == 0 {
		fmt.Fprintf(w, "the %s DLQ is empty\n", c.o.channel)
		return nil
	}
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "EVENT ID\tEVENT\tCLASS\tSTATUS\tATTEMPTS\tAGE\tLAST ERROR")
	for _, l := range letters {
		f := l.Failure
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%d\t%s\t%s\n", orDash(l.EventID), orDash(l.Event), orDash(string(f.Class)), orDash(f.Status), f.Attempts, ago(now, l.DeadLettered), oneLine(f.Error, 80))
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	if more {
		fmt.Fprintf(w, "showing the first %d dead letters; there are more (see --max)\n", len(letters))
	}
	return nil
}

func (c *client) show(ctx context.Context, w io.Writer, eventID string) error {
	names := []string{c.o.channel}
	if c.o.channel == "" {
		names = channels.Names()
	}
	var searched []string
	found := 0
	for _, ch := range names {
		q, err := c.dlq(ctx, ch)
		if err != nil {
			if len(names) == 1 {
				return err
			}
			continue // a channel that is not set up here is not searched
		}
		searched = append(searched, ch)
		letters, err := q.Find(ctx, eventID)
		if err != nil {
			return err
		}
		for _, l := range letters {
			if found > 0 {
				fmt.Fprintln(w)
			}
			found++
			printLetter(w, ch, l)
		}
	}
	switch {
	case len(searched) == 0:
		var vars []string
		for _, spec := range channels.All {
			vars = append(vars, spec.DLQEnv())
		}
		return fmt.Errorf("no DLQ to search: pass --channel and --dlq-url, name the stack with --stack, or set one of %s", strings.Join(vars, ", "))
	case found == 0:
		return fmt.Errorf("%s is not in the %s DLQ", eventID, strings.Join(searched, ", "))
	}
	return nil
}

func printLetter(w io.Writer, channel string, l dlq.Letter) {
	fmt.Fprintf(w, "Dead letter %s in the %s DLQ (message id %s)\n", l.EventID, channel, l.MessageID)
	if !l.DeadLettered.IsZero() {
		fmt.Fprintf(w, "  dead_lettered_at: %s\n", l.DeadLettered.Format(time.RFC3339))
	}
	fmt.Fprintln(w, "Attributes:")
	for _, name := range slices.Sorted(maps.Keys(l.Attributes)) {
		v := l.Attributes[name]
		value := aws.ToString(v.StringValue)
		if v.StringValue == nil {
			value = fmt.Sprintf("(%s, %d bytes)", aws.ToString(v.DataType), len(v.BinaryValue))
		}
		fmt.Fprintf(w, "  %s: %s\n", name, value)
	}
	fmt.Fprintln(w, "SQS attributes (of the dead letter itself; attempts above counts deliveries):")
	for _, name := range slices.Sorted(maps.Keys(l.System)) {
		v := l.System[name]
		if t := dlq.MillisTime(v); strings.HasSuffix(name, "Timestamp") && !t.IsZero() {
			v += " (" + t.Format(time.RFC3339) + ")"
		}
		fmt.Fprintf(w, "  %s: %s\n", name, v)
	}
	fmt.Fprintln(w, "Body:")
	var pretty bytes.Buffer
	if err := json.Indent(&pretty, l.Body, "", "  "); err != nil {
		fmt.Fprintf(w, "%s\n", l.Body) // not JSON: shown as it is
		return
	}
	fmt.Fprintf(w, "%s\n", pretty.Bytes())
}

func (c *client) redrive(ctx context.Context, w io.Writer) error {
	q, err := c.dlq(ctx, c.o.channel)
	if err != nil {
		return err
	}
	spec, _ := channels.Find(c.o.channel)
	target, err := c.queueURL(ctx, c.o.queueURL, "queue-url", spec.QueueOutput(), spec.QueueEnv(), spec.QueueName())
	if err != nil {
		return fmt.Errorf("the %s queue: %w", c.o.channel, err)
	}
	pick := func(l dlq.Letter) bool { return c.o.all || slices.Contains(c.o.ids, l.EventID) }
	moved, read, more, err := q.Redrive(ctx, target, pick, c.o.dryRun)
	verb := "redriven"
	if c.o.dryRun {
		verb = "would redrive"
	}
	for _, l := range moved {
		fmt.Fprintf(w, "%s %s (%s)\n", verb, l.EventID, orDash(l.Event))
	}
	if err != nil {
		return err
	}
	if read == 0 {
		fmt.Fprintf(w, "the %s DLQ is empty\n", c.o.channel)
		return nil
	}
	var missing []string
	for _, id := range c.o.ids {
		if !slices.ContainsFunc(moved, func(l dlq.Letter) bool { return l.EventID == id }) {
			missing = append(missing, id)
		}
	}
	if c.o.dryRun {
		fmt.Fprintf(w, "dry run: %d of %d dead letters would be sent back to the %s queue; nothing was changed\n", len(moved), read, c.o.channel)
	} else {
		fmt.Fprintf(w, "%d of %d dead letters sent back to the %s queue; %d stay in the DLQ\n", len(moved), read, c.o.channel, read-len(moved))
	}
	if more {
		fmt.Fprintf(w, "the DLQ holds more than the %d letters read: run redrive again for the rest\n", read)
	}
	if len(missing) > 0 && !more {
		return fmt.Errorf("not in the %s DLQ: %s", c.o.channel, strings.Join(missing, ", "))
	}
	return nil
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}
