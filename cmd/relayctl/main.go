// Command relayctl is the operator's tool for the relay, in AWS or local:
// its dead-letter queues (see what failed and why, and send it back once
// the fault is fixed), its quarantine (read and purge the callbacks ingest
// refused) and its channels (whether each delivers or is paused; pause and
// resume one).
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"strings"
	"syscall"
	"time"

	smithyhttp "github.com/aws/smithy-go/transport/http"

	"github.com/nicechat-relay/nicechat-relay/shared/channel"
	"github.com/nicechat-relay/nicechat-relay/shared/channels"
	"github.com/nicechat-relay/nicechat-relay/shared/dlq"
	"github.com/nicechat-relay/nicechat-relay/shared/humanize"
	"github.com/nicechat-relay/nicechat-relay/shared/ingest"
)

var usage = `relayctl operates the Nice Chat relay's dead-letter queues, quarantine and channels.

Usage:
  relayctl dlq list    --channel CHANNEL [--max N] [--json] [queue options]
  relayctl dlq show    EVENT_ID [--channel CHANNEL] [--json] [queue options]
  relayctl dlq redrive --channel CHANNEL (--id EVENT_ID ... | --all) [--dry-run] [queue options]

  list     a table of the dead letters (event id, event, failure class, last
           status, attempts, age in the DLQ, last error); they stay in the DLQ
  show     the dead letters of one event: all attributes and the body;
           without --channel every channel's DLQ is searched
  redrive  send dead letters back to the channel's queue with a fresh attempt
           count; each is deleted from the DLQ only after the send succeeded;
           an event is sent back once per run (a second letter of it stays);
           --dry-run lists what would be sent and changes nothing

  An event id is the hash of the event's body (evt_...), whatever a letter's
  event_id attribute says. Text taken from a letter is printed with its
  control characters escaped (\x1b, \r, \u202e); --json prints the letters
  exactly, as JSON.

  relayctl quarantine list  [--max N] [--json] [queue options]
  relayctl quarantine show  EVENT_ID [--json] [queue options]
  relayctl quarantine purge (--id EVENT_ID ... | --all) [--dry-run] [queue options]

  The quarantine keeps the callbacks ingest authenticated and refused (400,
  413), cut to the size limit, each with the reason it was refused.
  list     a table of them (event id, received, status, field, size,
           reason); they stay in the quarantine
  show     the callbacks of one event id: their attributes and the body
           received (decoded when it was kept as base64)
  purge    delete them; --dry-run lists what would be deleted
  Its queue: --queue-url URL, else as for the DLQs below: --relay, --stack
  (its output ` + ingest.OutputQuarantineQueueURL + `), ` + ingest.EnvQuarantineQueueURL + `, a running local relay.

  relayctl channel status [--channel CHANNEL] [--stack NAME | --relay URL]
  relayctl channel pause  --channel CHANNEL [--stack NAME | --relay URL]
  relayctl channel resume --channel CHANNEL [--stack NAME | --relay URL]

  status   whether each channel delivers or is paused (a channel pauses
           itself when its settings are wrong: its messages wait in the
           queue, none is dead-lettered)
  pause    stop a channel's deliveries; its messages wait in the queue
  resume   deliver again, once the setting the pause named is fixed
           (in AWS: redeploy with the corrected parameter first)

Channels: ` + strings.Join(channels.Names(), ", ") + `.

Queue options (the first that is set wins):
  --dlq-url URL, --queue-url URL   the queues themselves
  --relay URL                      a local relay's admin URL (make run prints it as
                                   "status"), e.g. http://127.0.0.1:8090; no AWS account needed
  environment                      RELAY_URL, when no other queue option is given
  --stack NAME                     the outputs of a deployed CloudFormation stack
                                   (` + queueNames(channel.Spec.DLQOutput, channel.Spec.QueueOutput) + `)
  environment                      ` + queueNames(channel.Spec.DLQEnv, channel.Spec.QueueEnv) + `
  a running local relay            when none of the above is set: the relay make run
                                   started in ./var (or RELAY_DATA_DIR), from its relay.json

AWS access uses the SDK's standard configuration (AWS_PROFILE, AWS_REGION,
AWS_ACCESS_KEY_ID, ...); AWS_ENDPOINT_URL points it at a local SQS.
`

// Exit codes.
const (
	exitOK    = 0
	exitError = 1 // the operation failed or found nothing
	exitUsage = 2
)

func main() { os.Exit(run(os.Args[1:], os.Stdout, os.Stderr)) }

// errUsage marks mistakes in the command line: they get exit code 2.
var errUsage = errors.New("usage")

type options struct {
	channel  string
	queueURL string
	dlqURL   string
	stack    string
	relay    string
	max      int
	ids      []string
	all      bool
	dryRun   bool
	json     bool
}

func run(args []string, stdout, stderr io.Writer) int {
	if len(args) == 1 && isHelp(args[0]) || len(args) == 2 && (args[0] == "dlq" || args[0] == "quarantine" || args[0] == "channel") && isHelp(args[1]) {
		fmt.Fprint(stdout, usage)
		return exitOK
	}
	switch {
	case len(args) == 0:
		fmt.Fprint(stderr, usage)
		return exitUsage
	case args[0] == "channel":
		return runChannel(args[1:], stdout, stderr)
	case args[0] == "quarantine":
		return runQuarantine(args[1:], stdout, stderr)
	case args[0] != "dlq":
		fmt.Fprintf(stderr, "relayctl: unknown command %q: the commands are dlq, quarantine and channel\nRun 'relayctl --help' for usage.\n", args[0])
		return exitUsage
	case len(args) < 2:
		fmt.Fprint(stderr, "relayctl: dlq needs a subcommand: list, show or redrive\nRun 'relayctl --help' for usage.\n")
		return exitUsage
	}
	cmd := args[1]
	o, positional, err := parse(cmd, args[2:])
	// RELAY_URL, or a running local relay, stands in for --relay only
	// when nothing else says where the queues are: an exported RELAY_URL
	// must not turn a command aimed at a stack onto the local relay, nor a
	// relay running beside queue URL variables.
	if o.relay == "" && o.stack == "" && o.dlqURL == "" && o.queueURL == "" {
		o.relay = relayFromEnvironment(!queueVariableSet())
	}
	if errors.Is(err, flag.ErrHelp) {
		fmt.Fprint(stdout, usage)
		return exitOK
	}
	if err == nil {
		err = o.check(cmd, positional)
	}
	if err != nil {
		fmt.Fprintf(stderr, "relayctl: %v\n", err)
		if errors.Is(err, errUsage) {
			fmt.Fprintln(stderr, "Run 'relayctl --help' for usage.")
			return exitUsage
		}
		return exitError
	}

	ctx := context.Background()
	c, err := connect(ctx, o)
	if err == nil {
		switch cmd {
		case "list":
			err = c.list(ctx, stdout, time.Now())
		case "show":
			err = c.show(ctx, stdout, positional[0])
		case "redrive":
			err = c.redrive(ctx, stdout)
		}
	}
	if err != nil {
		fmt.Fprintf(stderr, "relayctl: %v\n", err)
		hint(stderr, o, err)
		return exitError
	}
	return exitOK
}

// hint follows a failed queue operation's error with what to do about it,
// when relayctl can tell.
func hint(w io.Writer, o options, err error) {
	var notFound *smithyhttp.ResponseError
	switch {
	case o.relay != "" && errors.Is(err, syscall.ECONNREFUSED):
		fmt.Fprintf(w, "Is the relay running at %s? Start it with: make run\n", o.relay)
	case o.relay != "" && errors.As(err, &notFound) && notFound.HTTPStatusCode() == http.StatusNotFound:
		fmt.Fprintf(w, "%s serves no queues: --relay wants the relay's admin URL (make run prints it as \"status\"), not its callback URL\n", o.relay)
	}
	hintLocalRelay(w, o, err)
}

func isHelp(s string) bool { return s == "-h" || s == "--help" || s == "help" }

// parse reads flags placed before, between or after positional arguments.
func parse(cmd string, args []string) (options, []string, error) {
	o := options{max: dlq.DefaultMax}
	fs := flag.NewFlagSet("relayctl dlq "+cmd, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.StringVar(&o.channel, "channel", "", "")
	fs.StringVar(&o.queueURL, "queue-url", "", "")
	fs.StringVar(&o.dlqURL, "dlq-url", "", "")
	fs.StringVar(&o.stack, "stack", "", "")
	fs.StringVar(&o.relay, "relay", "", "")
	if cmd == "list" {
		fs.IntVar(&o.max, "max", dlq.DefaultMax, "")
	}
	if cmd == "list" || cmd == "show" {
		fs.BoolVar(&o.json, "json", false, "")
	}
	if cmd == "redrive" {
		fs.Func("id", "", func(v string) error { o.ids = append(o.ids, v); return nil })
		fs.BoolVar(&o.all, "all", false, "")
		fs.BoolVar(&o.dryRun, "dry-run", false, "")
	}
	positional, err := parseFlags(fs, args)
	return o, positional, err
}

// parseFlags parses args with fs, flags placed before, between or after
// the positional arguments it returns. A mistake is an errUsage.
func parseFlags(fs *flag.FlagSet, args []string) ([]string, error) {
	var positional []string
	for {
		if err := fs.Parse(args); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				return nil, err
			}
			return nil, fmt.Errorf("%w: %w", errUsage, err)
		}
		if fs.NArg() == 0 {
			return positional, nil
		}
		positional = append(positional, fs.Arg(0))
		args = fs.Args()[1:]
	}
}

func (o options) check(cmd string, positional []string) error {
	switch cmd {
	case "list", "redrive":
		if len(positional) > 0 {
			return fmt.Errorf("%w: dlq %s takes no arguments, got %q", errUsage, cmd, positional)
		}
		if o.channel == "" {
			return fmt.Errorf("%w: dlq %s needs --channel (%s)", errUsage, cmd, strings.Join(channels.Names(), ", "))
		}
	case "show":
		if len(positional) != 1 {
			return fmt.Errorf("%w: dlq show takes one event id", errUsage)
		}
	default:
		return fmt.Errorf("%w: unknown command %q: want list, show or redrive", errUsage, "dlq "+cmd)
	}
	if o.channel != "" {
		if _, ok := channels.Find(o.channel); !ok {
			return fmt.Errorf("%w: unknown channel %q: want one of %s", errUsage, o.channel, strings.Join(channels.Names(), ", "))
		}
	}
	if o.dlqURL != "" && o.channel == "" {
		return fmt.Errorf("%w: --dlq-url needs --channel", errUsage)
	}
	if cmd == "redrive" && !o.all && len(o.ids) == 0 {
		return fmt.Errorf("%w: say which dead letters to redrive: --id EVENT_ID (repeatable) or --all", errUsage)
	}
	if o.relay != "" {
		if !relayURL(o.relay) {
			return fmt.Errorf("%w: --relay wants the local relay's admin URL, such as http://127.0.0.1:8090, got %q", errUsage, o.relay)
		}
	}
	if o.max < 1 {
		return fmt.Errorf("%w: --max must be at least 1", errUsage)
	}
	return nil
}

// queueNames lists, for the usage, each channel's DLQ and queue names as
// dlqName and queueName give them, comma separated and wrapped.
func queueNames(dlqName, queueName func(channel.Spec) string) string {
	var b strings.Builder
	line := 0
	for i, spec := range channels.All {
		for j, name := range []string{dlqName(spec), queueName(spec)} {
			if i+j > 0 {
				b.WriteString(",")
				line++
				if line+len(name) > 40 {
					b.WriteString("\n" + strings.Repeat(" ", 35))
					line = 0
				} else {
					b.WriteString(" ")
					line++
				}
			}
			b.WriteString(name)
			line += len(name)
		}
	}
	return b.String()
}

// ago is a rough age for a table: 45s, 12m, 5h, 3d.
func ago(now, t time.Time) string {
	if t.IsZero() {
		return "?"
	}
	d := now.Sub(t)
	switch {
	case d < time.Minute:
		return fmt.Sprintf("%ds", max(0, int(d.Seconds())))
	case d < time.Hour:
		return fmt.Sprintf("%dm", int(d.Minutes()))
	case d < 48*time.Hour:
		return fmt.Sprintf("%dh", int(d.Hours()))
	default:
		return fmt.Sprintf("%dd", int(d.Hours()/24))
	}
}

// oneLine fits text in a table cell. A dead letter's error may quote a
// remote server's answer, so humanize.Line also keeps its control
// characters (a terminal escape, say) and bidirectional overrides off the
// operator's screen.
func oneLine(s string, n int) string {
	return humanize.Truncate(humanize.Line(s), n)
}
