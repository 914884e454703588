package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/nicechat-relay/nicechat-relay/shared/awsjson"
	"github.com/nicechat-relay/nicechat-relay/shared/breaker"
	"github.com/nicechat-relay/nicechat-relay/shared/channels"
	"github.com/nicechat-relay/nicechat-relay/shared/localrelay"
	"github.com/nicechat-relay/nicechat-relay/shared/terminal"
)

// runChannel is `relayctl channel status|pause|resume`.
func runChannel(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, "relayctl: channel needs a subcommand: status, pause or resume\nRun 'relayctl --help' for usage.\n")
		return exitUsage
	}
	cmd := args[0]
	var o options
	fs := flag.NewFlagSet("relayctl channel "+cmd, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.StringVar(&o.channel, "channel", "", "")
	fs.StringVar(&o.stack, "stack", "", "")
	fs.StringVar(&o.relay, "relay", "", "")
	err := fs.Parse(args[1:])
	if errors.Is(err, flag.ErrHelp) {
		fmt.Fprint(stdout, usage)
		return exitOK
	}
	if o.relay == "" && o.stack == "" {
		o.relay = relayFromEnvironment(true)
	}
	switch {
	case err != nil:
		err = fmt.Errorf("%w: %w", errUsage, err)
	case fs.NArg() > 0:
		err = fmt.Errorf("%w: channel %s takes no arguments, got %q", errUsage, cmd, fs.Args())
	case cmd != "status" && cmd != "pause" && cmd != "resume":
		err = fmt.Errorf("%w: unknown command %q: want status, pause or resume", errUsage, "channel "+cmd)
	case cmd != "status" && o.channel == "":
		err = fmt.Errorf("%w: channel %s needs --channel (%s)", errUsage, cmd, strings.Join(channels.Names(), ", "))
	case o.stack == "" && o.relay == "":
		err = fmt.Errorf("%w: say where the relay is: --stack NAME or --relay URL (no local relay runs on %s)", errUsage, localrelay.DataDir(os.Getenv))
	case o.relay != "" && !relayURL(o.relay):
		err = fmt.Errorf("%w: --relay wants the local relay's admin URL, such as http://127.0.0.1:8090, got %q", errUsage, o.relay)
	}
	if err == nil && o.channel != "" {
		if _, ok := channels.Find(o.channel); !ok {
			err = fmt.Errorf("%w: unknown channel %q: want one of %s", errUsage, o.channel, strings.Join(channels.Names(), ", "))
		}
	}
	if err != nil {
		fmt.Fprintf(stderr, "relayctl: %v\nRun 'relayctl --help' for usage.\n", err)
		return exitUsage
	}

	ctx := context.Background()
	var sw switchboard
	if o.relay != "" {
		sw = localSwitchboard{base: strings.TrimSuffix(o.relay, "/"), http: &http.Client{Timeout: 10 * time.Second}}
	} else {
		c, err := connect(ctx, o)
		if err != nil {
			fmt.Fprintf(stderr, "relayctl: %v\n", err)
			return exitError
		}
		sw = stackSwitchboard{c: c}
	}
	names := channels.Names()
	if o.channel != "" {
		names = []string{o.channel}
	}
	switch cmd {
	case "status":
		err = printStatus(ctx, stdout, sw, names)
	default:
		if err = sw.set(ctx, o.channel, cmd == "pause"); err == nil {
			err = printStatus(ctx, stdout, sw, names)
		}
	}
	if err != nil {
		fmt.Fprintf(stderr, "relayctl: %v\n", err)
		return exitError
	}
	return exitOK
}

// switchboard reads and flips channels: a deployed stack's event source
// mappings, or a local relay's pollers.
type switchboard interface {
	status(ctx context.Context, channel string) (breaker.Status, error)
	set(ctx context.Context, channel string, pause bool) error
}

func printStatus(ctx context.Context, w io.Writer, sw switchboard, names []string) error {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "CHANNEL\tSTATE\tSINCE\tREASON")
	for _, name := range names {
		st, err := sw.status(ctx, name)
		switch {
		case errors.Is(err, errNotDeployed):
			fmt.Fprintf(tw, "%s\tnot deployed\t-\t-\n", name)
			continue
		case err != nil:
			return fmt.Errorf("the %s channel: %w", name, err)
		}
		since := "-"
		if !st.Since.IsZero() {
			since = st.Since.UTC().Format(time.RFC3339)
		}
		// The state and the reason come from AWS or from a relay's answer:
		// escaped, like everything relayctl prints that it did not write.
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", name, cell(st.State, 40), since, cell(st.Reason, 100))
	}
	return tw.Flush()
}

var errNotDeployed = errors.New("not deployed")

// stackSwitchboard works on a stack's event source mappings, found from
// its outputs: each consumer function's name and its queue.
type stackSwitchboard struct{ c *client }

func (s stackSwitchboard) mapping(ctx context.Context, channel string) (*breaker.Mapping, error) {
	spec, _ := channels.Find(channel)
	outputs, err := s.c.stackOutputs(ctx)
	if err != nil {
		return nil, err
	}
	fn, queue := outputs[spec.FunctionOutput()], outputs[spec.QueueOutput()]
	if fn == "" || queue == "" {
		return nil, fmt.Errorf("%w: stack %s has no outputs %s and %s", errNotDeployed, s.c.o.stack, spec.FunctionOutput(), spec.QueueOutput())
	}
	return breaker.NewMapping(awsjson.New(s.c.aws, awsjson.Lambda, nil), fn, queue), nil
}

func (s stackSwitchboard) status(ctx context.Context, channel string) (breaker.Status, error) {
	m, err := s.mapping(ctx, channel)
	if err != nil {
		return breaker.Status{}, err
	}
	return m.Status(ctx)
}

func (s stackSwitchboard) set(ctx context.Context, channel string, pause bool) error {
	m, err := s.mapping(ctx, channel)
	if errors.Is(err, errNotDeployed) {
		// A channel turned off in the stack has no function to stop.
		action := "resume"
		if pause {
			action = "pause"
		}
		spec, _ := channels.Find(channel)
		return fmt.Errorf("the %s channel is off in stack %s (it has no %s output): there is nothing to %s", channel, s.c.o.stack, spec.FunctionOutput(), action)
	}
	if err != nil {
		return err
	}
	if pause {
		_, err = m.Pause(ctx, "paused by the operator")
	} else {
		_, err = m.Resume(ctx)
	}
	return err
}

// localSwitchboard works on a local relay (make run) through its API.
type localSwitchboard struct {
	base string
	http *http.Client
}

func (l localSwitchboard) status(ctx context.Context, channel string) (breaker.Status, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, l.base+"/api/status", nil)
	if err != nil {
		return breaker.Status{}, err
	}
	resp, err := l.http.Do(req)
	if err != nil {
		return breaker.Status{}, err
	}
	defer resp.Body.Close()
	var st struct {
		Channels []struct {
			Channel      string    `json:"channel"`
			On           bool      `json:"on"`
			Paused       bool      `json:"paused"`
			PausedReason string    `json:"paused_reason"`
			PausedSince  time.Time `json:"paused_since"`
		} `json:"channels"`
	}
	if resp.StatusCode != http.StatusOK {
		return breaker.Status{}, fmt.Errorf("the relay answered %s", terminal.Line(resp.Status))
	}
	if err := json.NewDecoder(resp.Body).Decode(&st); err != nil {
		return breaker.Status{}, fmt.Errorf("read the relay's status: %w", err)
	}
	for _, c := range st.Channels {
		switch {
		case c.Channel != channel:
		case c.Paused:
			return breaker.Status{Paused: true, State: "paused", Reason: c.PausedReason, Since: c.PausedSince}, nil
		case !c.On:
			return breaker.Status{State: "off"}, nil
		default:
			return breaker.Status{State: "delivering"}, nil
		}
	}
	return breaker.Status{}, errNotDeployed
}

func (l localSwitchboard) set(ctx context.Context, channel string, pause bool) error {
	action := "resume"
	if pause {
		action = "pause"
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, l.base+"/api/channels/"+url.PathEscape(channel)+"/"+action, nil)
	if err != nil {
		return err
	}
	resp, err := l.http.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		body, _ := io.ReadAll(io.LimitReader(resp.Body, 512))
		var refusal struct {
			Error string `json:"error"`
		}
		if json.Unmarshal(body, &refusal) == nil && refusal.Error != "" {
			return fmt.Errorf("the relay refused to %s the %s channel: %s", action, channel, oneLine(terminal.Line(refusal.Error), 200))
		}
		return fmt.Errorf("the relay answered %s: %s", terminal.Line(resp.Status), oneLine(terminal.Line(string(body)), 200))
	}
	return nil
}

// relayURL reports whether raw is a usable base URL of a local relay.
func relayURL(raw string) bool {
	u, err := url.Parse(raw)
	return err == nil && (u.Scheme == "http" || u.Scheme == "https") && u.Host != ""
}
