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
	"unicode/utf8"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/cloudformation"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"
	"github.com/aws/smithy-go/logging"

	"github.com/nicechat-relay/nicechat-relay/shared/channels"
	"github.com/nicechat-relay/nicechat-relay/shared/dlq"
	"github.com/nicechat-relay/nicechat-relay/shared/terminal"
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
	if c.o.json {
		found := make([]channelLetter, 0, len(letters))
		for _, l := range letters {
			found = append(found, channelLetter{c.o.channel, l})
		}
		return writeJSON(w, found, &more)
	}
	return printList(w, c.o.channel, letters, more, now)
}

// printList is the table of `dlq list`. Every cell but the event id (the
// body's hash) and the counts comes from the letter: each is escaped.
func printList(w io.Writer, channel string, letters []dlq.Letter, more bool, now time.Time) error {
	if len(letters) == 0 {
		fmt.Fprintf(w, "the %s DLQ is empty\n", channel)
		return nil
	}
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "EVENT ID\tEVENT\tCLASS\tSTATUS\tATTEMPTS\tAGE\tLAST ERROR")
	for _, l := range letters {
		f := l.Failure
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%d\t%s\t%s\n", l.EventID, cell(l.Event, 40), cell(string(f.Class), 40), cell(f.Status, 40), f.Attempts, ago(now, l.DeadLettered), oneLine(terminal.Line(f.Error), 80))
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	if more {
		fmt.Fprintf(w, "showing the first %d dead letters; there are more (see --max)\n", len(letters))
	}
	return nil
}

// cell is a value taken from a letter, for a table: escaped, cut to n
// characters, a dash when empty.
func cell(s string, n int) string { return orDash(oneLine(terminal.Line(s), n)) }

func (c *client) show(ctx context.Context, w io.Writer, eventID string) error {
	names := []string{c.o.channel}
	if c.o.channel == "" {
		names = channels.Names()
	}
	var searched []string
	found := []channelLetter{}
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
			found = append(found, channelLetter{ch, l})
		}
	}
	switch {
	case len(searched) == 0:
		var vars []string
		for _, spec := range channels.All {
			vars = append(vars, spec.DLQEnv())
		}
		return fmt.Errorf("no DLQ to search: pass --channel and --dlq-url, name the stack with --stack, or set one of %s", strings.Join(vars, ", "))
	case len(found) == 0:
		return fmt.Errorf("%s is not in the %s DLQ", eventID, strings.Join(searched, ", "))
	}
	if c.o.json {
		return writeJSON(w, found, nil)
	}
	for i, f := range found {
		if i > 0 {
			fmt.Fprintln(w)
		}
		printLetter(w, f.channel, f.Letter)
	}
	return nil
}

// channelLetter is a dead letter and the channel whose DLQ holds it.
type channelLetter struct {
	channel string
	dlq.Letter
}

// printLetter is one letter in `dlq show`. Everything but the event id
// (the body's hash) and the times relayctl formats comes from the letter
// and is escaped: attributes on one line each, the body with its line
// breaks.
func printLetter(w io.Writer, channel string, l dlq.Letter) {
	fmt.Fprintf(w, "Dead letter %s in the %s DLQ (message id %s)\n", l.EventID, channel, terminal.Line(l.MessageID))
	switch l.ClaimedEventID {
	case l.EventID:
	case "":
		fmt.Fprintf(w, "  the letter has no event_id attribute; %s is its body's id\n", l.EventID)
	default:
		fmt.Fprintf(w, "  its event_id attribute (%s) is not its body's id: the relay did not write it so\n", oneLine(terminal.Line(l.ClaimedEventID), 80))
	}
	if !l.DeadLettered.IsZero() {
		fmt.Fprintf(w, "  dead_lettered_at: %s\n", l.DeadLettered.Format(time.RFC3339))
	}
	printAttributes(w, l.Attributes)
	fmt.Fprintln(w, "SQS attributes (of the dead letter itself; attempts above counts deliveries):")
	printSQSAttributes(w, l.System)
	fmt.Fprintln(w, "Body:")
	printBody(w, l.Body)
}

// printAttributes prints message attributes, one a line, escaped.
func printAttributes(w io.Writer, attrs map[string]sqstypes.MessageAttributeValue) {
	fmt.Fprintln(w, "Attributes:")
	for _, name := range slices.Sorted(maps.Keys(attrs)) {
		v := attrs[name]
		value := terminal.Line(aws.ToString(v.StringValue))
		if v.StringValue == nil {
			value = fmt.Sprintf("(%s, %d bytes)", terminal.Line(aws.ToString(v.DataType)), len(v.BinaryValue))
		}
		fmt.Fprintf(w, "  %s: %s\n", terminal.Line(name), value)
	}
}

// printSQSAttributes prints SQS's own attributes, one a line, escaped,
// the timestamps also as dates.
func printSQSAttributes(w io.Writer, attrs map[string]string) {
	for _, name := range slices.Sorted(maps.Keys(attrs)) {
		v := terminal.Line(attrs[name])
		if t := dlq.MillisTime(v); strings.HasSuffix(name, "Timestamp") && !t.IsZero() {
			v += " (" + t.Format(time.RFC3339) + ")"
		}
		fmt.Fprintf(w, "  %s: %s\n", terminal.Line(name), v)
	}
}

// printBody prints a body escaped: JSON indented, anything else as it is,
// and indented like the rest so that no line of it can pass for one of
// relayctl's.
func printBody(w io.Writer, body []byte) {
	var pretty bytes.Buffer
	if err := json.Indent(&pretty, body, "", "  "); err != nil {
		fmt.Fprintf(w, "%s\n", indent(terminal.Text(string(body))))
		return
	}
	fmt.Fprintf(w, "%s\n", terminal.Text(pretty.String()))
}

// indent starts every line of s with two spaces.
func indent(s string) string { return "  " + strings.ReplaceAll(s, "\n", "\n  ") }

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
		fmt.Fprintf(w, "%s %s (%s)\n", verb, l.EventID, cell(l.Event, 40))
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

// letterJSON is a dead letter in the --json output: the data exactly as
// the queue holds it (JSON's own escapes aside), for a program or for
// anyone who needs the bytes the human output escapes.
type letterJSON struct {
	Channel        string                   `json:"channel"`
	MessageID      string                   `json:"message_id"`
	EventID        string                   `json:"event_id"`
	Event          string                   `json:"event,omitempty"`
	DeadLettered   *time.Time               `json:"dead_lettered_at,omitempty"`
	FailureClass   string                   `json:"failure_class,omitempty"`
	LastStatus     string                   `json:"last_status,omitempty"`
	LastError      string                   `json:"last_error,omitempty"`
	Attempts       int                      `json:"attempts"`
	Attributes     map[string]attributeJSON `json:"attributes"`
	SQSAttributes  map[string]string        `json:"sqs_attributes"`
	Body           *string                  `json:"body,omitempty"`
	BodyBase64     []byte                   `json:"body_base64,omitempty"` // when the body is not UTF-8, which a JSON string cannot hold exactly
	ClaimedEventID string                   `json:"claimed_event_id,omitempty"`
}

type attributeJSON struct {
	DataType    string  `json:"data_type"`
	StringValue *string `json:"string_value,omitempty"`
	BinaryValue []byte  `json:"binary_value,omitempty"` // base64
}

func newLetterJSON(f channelLetter) letterJSON {
	l := f.Letter
	out := letterJSON{
		Channel: f.channel, MessageID: l.MessageID, EventID: l.EventID, Event: l.Event,
		FailureClass: string(l.Failure.Class), LastStatus: l.Failure.Status, LastError: l.Failure.Error, Attempts: l.Failure.Attempts,
		Attributes: map[string]attributeJSON{}, SQSAttributes: map[string]string{},
	}
	if l.ClaimedEventID != l.EventID {
		out.ClaimedEventID = l.ClaimedEventID
	}
	if !l.DeadLettered.IsZero() {
		out.DeadLettered = &l.DeadLettered
	}
	out.Attributes = attributesJSON(l.Attributes)
	maps.Copy(out.SQSAttributes, l.System)
	out.Body, out.BodyBase64 = bodyJSON(l.Body)
	return out
}

func attributesJSON(attrs map[string]sqstypes.MessageAttributeValue) map[string]attributeJSON {
	out := make(map[string]attributeJSON, len(attrs))
	for name, v := range attrs {
		out[name] = attributeJSON{DataType: aws.ToString(v.DataType), StringValue: v.StringValue, BinaryValue: v.BinaryValue}
	}
	return out
}

// bodyJSON is a body for the --json output: a string when it is UTF-8,
// else its bytes (base64), which a JSON string cannot hold exactly.
func bodyJSON(b []byte) (*string, []byte) {
	if utf8.Valid(b) {
		s := string(b)
		return &s, nil
	}
	return nil, b
}

// writeJSON writes letters as one JSON object; more, when not nil, says
// whether the DLQ held more than were read.
func writeJSON(w io.Writer, letters []channelLetter, more *bool) error {
	doc := struct {
		Letters []letterJSON `json:"letters"`
		More    *bool        `json:"more,omitempty"`
	}{Letters: make([]letterJSON, 0, len(letters)), More: more}
	for _, l := range letters {
		doc.Letters = append(doc.Letters, newLetterJSON(l))
	}
	return encodeJSON(w, doc)
}

// encodeJSON writes doc indented, its strings exact and harmless on a
// terminal.
func encodeJSON(w io.Writer, doc any) error {
	var out bytes.Buffer
	enc := json.NewEncoder(&out)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(doc); err != nil {
		return err
	}
	_, err := io.WriteString(w, jsonEscapeControls(out.String()))
	return err
}

// jsonEscapeControls writes as \u escapes the characters a terminal acts
// on that encoding/json leaves raw (the C1 controls, the bidirectional
// controls): the JSON decodes to the same data, and stays harmless when
// printed. Outside strings encoded JSON holds only ASCII, so every such
// character is inside a string, where the escape is valid.
func jsonEscapeControls(s string) string {
	var b strings.Builder
	for _, r := range s {
		if r >= 0x80 && terminal.Escapes(r) {
			fmt.Fprintf(&b, `\u%04x`, r)
			continue
		}
		b.WriteRune(r)
	}
	return b.String()
}
