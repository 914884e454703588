// Command relay runs the whole relay on one machine: the ingest handler
// behind a local HTTP server, every channel's consumer (shared/channels) fed by pollers
// that behave like Lambda's SQS event source mapping, and a durable
// embedded queue (shared/localqueue, a file under ./var/) in place of SQS.
// Deployed, the same handlers run as Lambdas on real SQS (template.yaml).
//
//	relay         serve (make run)
//	relay demo    post every events/ fixture, about a new lead, to a running
//	              relay and say what became of each (make demo)
package main

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"syscall"

	"github.com/nicechat-relay/nicechat-relay/shared/settings"
)

const usage = `Usage:
  relay          run the relay: callbacks on RELAY_ADDR (default 127.0.0.1:8080),
                 the status page and relayctl's API on RELAY_ADMIN_ADDR (default 127.0.0.1:8090)
  relay demo     post every events/ fixture, about a new lead, to the running relay
                 and say what became of each
`

func main() {
	args := os.Args[1:]
	switch {
	case len(args) == 0:
		os.Exit(serve())
	case args[0] == "demo" && len(args) == 1:
		os.Exit(demo(context.Background(), os.Getenv, os.Stdout, os.Stderr))
	case args[0] == "-h" || args[0] == "--help" || args[0] == "help":
		fmt.Print(usage)
	default:
		fmt.Fprintf(os.Stderr, "relay: unknown arguments %q\n%s", args, usage)
		os.Exit(2)
	}
}

func serve() int {
	log := slog.New(slog.NewJSONHandler(os.Stdout, nil))
	// The first SIGINT or SIGTERM stops gracefully; after it the signal's
	// default applies again, so a second Ctrl-C stops at once (whatever is
	// unfinished comes back on the next start).
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	go func() { <-ctx.Done(); stop() }()
	// A variable that looks like a mistyped setting (HUMANIZE_LANGAUGE) is
	// named before anything else: the relay would start without it.
	settings.Warn(log.With("channel", "local"), os.Environ())
	r, err := start(ctx, os.LookupEnv, log)
	if err != nil {
		log.Error("relay cannot start", "channel", "local", "error", err.Error())
		return 1
	}
	r.banner(os.Stderr)
	if err := r.wait(); err != nil {
		log.Error("relay stopped", "channel", "local", "error", err.Error())
		return 1
	}
	return 0
}
