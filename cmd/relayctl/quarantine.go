package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"maps"
	"os"
	"slices"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/nicechat-relay/nicechat-relay/shared/dlq"
	"github.com/nicechat-relay/nicechat-relay/shared/ingest"
	"github.com/nicechat-relay/nicechat-relay/shared/terminal"
)

// localQuarantine is the local relay's quarantine queue.
const localQuarantine = "quarantine"

// runQuarantine is `relayctl quarantine list|show|purge`: the callbacks
// ingest authenticated and refused, read as the DLQs are.
func runQuarantine(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, "relayctl: quarantine needs a subcommand: list, show or purge\nRun 'relayctl --help' for usage.\n")
		return exitUsage
	}
	cmd := args[0]
	o := options{max: dlq.DefaultMax}
	fs := flag.NewFlagSet("relayctl quarantine "+cmd, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.StringVar(&o.queueURL, "queue-url", "", "")
	fs.StringVar(&o.stack, "stack", "", "")
	fs.StringVar(&o.relay, "relay", "", "")
	switch cmd {
	case "list":
		fs.IntVar(&o.max, "max", dlq.DefaultMax, "")
		fs.BoolVar(&o.json, "json", false, "")
	case "show":
		fs.BoolVar(&o.json, "json", false, "")
	case "purge":
		fs.Func("id", "", func(v string) error { o.ids = append(o.ids, v); return nil })
		fs.BoolVar(&o.all, "all", false, "")
		fs.BoolVar(&o.dryRun, "dry-run", false, "")
	}
	positional, err := parseFlags(fs, args[1:])
	if errors.Is(err, flag.ErrHelp) {
		fmt.Fprint(stdout, usage)
		return exitOK
	}
	// As for the DLQs: a running local relay is looked for only when
	// nothing says where the quarantine is.
	if o.relay == "" && o.stack == "" && o.queueURL == "" {
		o.relay = relayFromEnvironment(strings.TrimSpace(os.Getenv(ingest.EnvQuarantineQueueURL)) == "" && !queueVariableSet())
	}
	if err == nil {
		err = o.checkQuarantine(cmd, positional)
	}
	if err != nil {
		fmt.Fprintf(stderr, "relayctl: %v\nRun 'relayctl --help' for usage.\n", err)
		return exitUsage
	}

	ctx := context.Background()
	c, err := connect(ctx, o)
	if err == nil {
		var q dlq.Quarantine
		if q, err = c.quarantine(ctx); err == nil {
			switch cmd {
			case "list":
				err = c.listQuarantine(ctx, stdout, q)
			case "show":
				err = c.showQuarantined(ctx, stdout, q, positional[0])
			case "purge":
				err = c.purgeQuarantine(ctx, stdout, q)
			}
		}
	}
	if err != nil {
		fmt.Fprintf(stderr, "relayctl: %v\n", err)
		hint(stderr, o, err)
		return exitError
	}
	return exitOK
}

func (o options) checkQuarantine(cmd string, positional []string) error {
	switch cmd {
	case "list", "purge":
		if len(positional) > 0 {
			return fmt.Errorf("%w: quarantine %s takes no arguments, got %q", errUsage, cmd, positional)
		}
	case "show":
		if len(positional) != 1 {
			return fmt.Errorf("%w: quarantine show takes one event id", errUsage)
		}
	default:
		return fmt.Errorf("%w: unknown command %q: want list, show or purge", errUsage, "quarantine "+cmd)
	}
	if cmd == "purge" && !o.all && len(o.ids) == 0 {
		return fmt.Errorf("%w: say which quarantined callbacks to delete: --id EVENT_ID (repeatable) or --all", errUsage)
	}
	if o.relay != "" && !relayURL(o.relay) {
		return fmt.Errorf("%w: --relay wants the local relay's admin URL, such as http://127.0.0.1:8090, got %q", errUsage, o.relay)
	}
	if o.max < 1 {
		return fmt.Errorf("%w: --max must be at least 1", errUsage)
	}
	return nil
}

func (c *client) quarantine(ctx context.Context) (dlq.Quarantine, error) {
	url, err := c.queueURL(ctx, c.o.queueURL, "queue-url", ingest.OutputQuarantineQueueURL, ingest.EnvQuarantineQueueURL, localQuarantine)
	if err != nil {
		return dlq.Quarantine{}, fmt.Errorf("the quarantine: %w", err)
	}
	return dlq.Quarantine{Client: c.sqs, URL: url, Max: c.o.max}, nil
}

func (c *client) listQuarantine(ctx context.Context, w io.Writer, q dlq.Quarantine) error {
	found, more, err := q.List(ctx)
	if err != nil {
		return err
	}
	if c.o.json {
		return writeQuarantinedJSON(w, found, &more)
	}
	return printQuarantineList(w, found, more)
}

// printQuarantineList is the table of `quarantine list`. Every cell but
// the event id, the time and the size comes from the callback: each is
// escaped.
func printQuarantineList(w io.Writer, found []dlq.Quarantined, more bool) error {
	if len(found) == 0 {
		fmt.Fprintln(w, "the quarantine is empty")
		return nil
	}
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "EVENT ID\tRECEIVED\tSTATUS\tFIELD\tSIZE\tREASON")
	for _, q := range found {
		received := "-"
		if !q.ReceivedAt.IsZero() {
			received = q.ReceivedAt.UTC().Format(time.RFC3339)
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", terminal.Line(q.EventID), received, cell(q.Status, 10), cell(q.Field, 40), size(q), oneLine(terminal.Line(q.Reason), 80))
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	if more {
		fmt.Fprintf(w, "showing the first %d quarantined callbacks; there are more (see --max)\n", len(found))
	}
	fmt.Fprintln(w, "relayctl quarantine show EVENT_ID prints one with its body; relayctl quarantine purge --all deletes them")
	return nil
}

// size is a callback's size for the table: the bytes received, and
// whether the body kept is cut.
func size(q dlq.Quarantined) string {
	switch {
	case q.BodyBytes < 0:
		return "?"
	case q.Truncated:
		return fmt.Sprintf("%d B, cut", q.BodyBytes)
	default:
		return fmt.Sprintf("%d B", q.BodyBytes)
	}
}

func (c *client) showQuarantined(ctx context.Context, w io.Writer, q dlq.Quarantine, eventID string) error {
	found, err := q.Find(ctx, eventID)
	if err != nil {
		return err
	}
	if len(found) == 0 {
		return fmt.Errorf("%s is not in the quarantine", oneLine(terminal.Line(eventID), 80))
	}
	if c.o.json {
		return writeQuarantinedJSON(w, found, nil)
	}
	for i, f := range found {
		if i > 0 {
			fmt.Fprintln(w)
		}
		printQuarantined(w, f)
	}
	return nil
}

// printQuarantined is one callback in `quarantine show`. Everything but
// its event id when derived from its body and the times and sizes relayctl
// formats comes from the message, and is escaped.
func printQuarantined(w io.Writer, q dlq.Quarantined) {
	fmt.Fprintf(w, "Quarantined callback %s (message id %s)\n", terminal.Line(q.EventID), terminal.Line(q.MessageID))
	switch {
	case !q.IDChecked:
		fmt.Fprintln(w, "  its body was cut, so its id is its event_id attribute's, which the part kept cannot confirm")
	case q.ClaimedEventID == q.EventID:
	case q.ClaimedEventID == "":
		fmt.Fprintf(w, "  it has no event_id attribute; %s is its body's id\n", q.EventID)
	default:
		fmt.Fprintf(w, "  its event_id attribute (%s) is not its body's id: the relay did not write it so\n", oneLine(terminal.Line(q.ClaimedEventID), 80))
	}
	fmt.Fprintf(w, "  refused with %s: %s\n", orDash(terminal.Line(q.Status)), terminal.Line(q.Reason))
	if q.Field != "" {
		fmt.Fprintf(w, "  field: %s\n", terminal.Line(q.Field))
	}
	if !q.ReceivedAt.IsZero() {
		fmt.Fprintf(w, "  received_at: %s\n", q.ReceivedAt.UTC().Format(time.RFC3339))
	}
	printAttributes(w, q.Attributes)
	fmt.Fprintln(w, "SQS attributes:")
	printSQSAttributes(w, q.System)
	switch {
	case q.Undecodable:
		fmt.Fprintln(w, "Body (as stored: its body_encoding says base64, and it is not):")
	case q.Truncated:
		fmt.Fprintf(w, "Body (its first %d of %s bytes: the rest was cut):\n", len(q.Body), bytesReceived(q))
	case q.Encoding == dlq.EncodingBase64:
		fmt.Fprintln(w, "Body (kept as base64, shown decoded):")
	default:
		fmt.Fprintln(w, "Body:")
	}
	printBody(w, q.Body)
}

func bytesReceived(q dlq.Quarantined) string {
	if q.BodyBytes < 0 {
		return "?"
	}
	return fmt.Sprint(q.BodyBytes)
}

func (c *client) purgeQuarantine(ctx context.Context, w io.Writer, q dlq.Quarantine) error {
	pick := func(f dlq.Quarantined) bool { return c.o.all || slices.Contains(c.o.ids, f.EventID) }
	deleted, read, more, err := q.Purge(ctx, pick, c.o.dryRun)
	verb := "deleted"
	if c.o.dryRun {
		verb = "would delete"
	}
	for _, f := range deleted {
		fmt.Fprintf(w, "%s %s (%s)\n", verb, terminal.Line(f.EventID), oneLine(terminal.Line(f.Reason), 80))
	}
	if err != nil {
		return err
	}
	if read == 0 {
		fmt.Fprintln(w, "the quarantine is empty")
		return nil
	}
	if c.o.dryRun {
		fmt.Fprintf(w, "dry run: %d of %d quarantined callbacks would be deleted; nothing was changed\n", len(deleted), read)
	} else {
		fmt.Fprintf(w, "%d of %d quarantined callbacks deleted; %d stay in the quarantine\n", len(deleted), read, read-len(deleted))
	}
	if more {
		fmt.Fprintf(w, "the quarantine holds more than the %d callbacks read: run purge again for the rest\n", read)
	}
	var missing []string
	for _, id := range c.o.ids {
		if !slices.ContainsFunc(deleted, func(f dlq.Quarantined) bool { return f.EventID == id }) {
			missing = append(missing, oneLine(terminal.Line(id), 80))
		}
	}
	if len(missing) > 0 && !more {
		return fmt.Errorf("not in the quarantine: %s", strings.Join(missing, ", "))
	}
	return nil
}

// quarantinedJSON is a quarantined callback in the --json output: the data
// exactly as the queue holds it, the body decoded when it was kept as
// base64.
type quarantinedJSON struct {
	MessageID string `json:"message_id"`
	EventID   string `json:"event_id"`
	// EventIDUnchecked: the body was cut, and event_id is its attribute's.
	EventIDUnchecked bool                     `json:"event_id_unchecked,omitempty"`
	ClaimedEventID   string                   `json:"claimed_event_id,omitempty"`
	ReceivedAt       *time.Time               `json:"received_at,omitempty"`
	Status           string                   `json:"status,omitempty"`
	Reason           string                   `json:"reason,omitempty"`
	Field            string                   `json:"field,omitempty"`
	BodyBytes        *int                     `json:"body_bytes,omitempty"`
	Truncated        bool                     `json:"truncated"`
	BodyEncoding     string                   `json:"body_encoding,omitempty"`
	Attributes       map[string]attributeJSON `json:"attributes"`
	SQSAttributes    map[string]string        `json:"sqs_attributes"`
	Body             *string                  `json:"body,omitempty"`
	BodyBase64       []byte                   `json:"body_base64,omitempty"` // when the body is not UTF-8
}

func writeQuarantinedJSON(w io.Writer, found []dlq.Quarantined, more *bool) error {
	doc := struct {
		Callbacks []quarantinedJSON `json:"callbacks"`
		More      *bool             `json:"more,omitempty"`
	}{Callbacks: make([]quarantinedJSON, 0, len(found)), More: more}
	for _, q := range found {
		out := quarantinedJSON{
			MessageID: q.MessageID, EventID: q.EventID, EventIDUnchecked: !q.IDChecked,
			Status: q.Status, Reason: q.Reason, Field: q.Field, Truncated: q.Truncated, BodyEncoding: q.Encoding,
			Attributes: attributesJSON(q.Attributes), SQSAttributes: map[string]string{},
		}
		if q.ClaimedEventID != q.EventID {
			out.ClaimedEventID = q.ClaimedEventID
		}
		if !q.ReceivedAt.IsZero() {
			out.ReceivedAt = &q.ReceivedAt
		}
		if q.BodyBytes >= 0 {
			out.BodyBytes = &q.BodyBytes
		}
		maps.Copy(out.SQSAttributes, q.System)
		out.Body, out.BodyBase64 = bodyJSON(q.Body)
		doc.Callbacks = append(doc.Callbacks, out)
	}
	return encodeJSON(w, doc)
}
