// Command relay runs the whole relay on one machine for development: the
// ingest handler behind a local HTTP server, the channel consumers, and an
// embedded queue in place of SQS. Deployed, the same handlers run as
// Lambdas on real SQS (see template.yaml).
package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"strconv"
	"syscall"
	"time"

	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/ses"

	"github.com/nicechat-relay/nicechat-relay/shared/consumer"
	"github.com/nicechat-relay/nicechat-relay/shared/delivery"
	"github.com/nicechat-relay/nicechat-relay/shared/email"
	"github.com/nicechat-relay/nicechat-relay/shared/ingest"
	"github.com/nicechat-relay/nicechat-relay/shared/slack"
	"github.com/nicechat-relay/nicechat-relay/shared/webhook"
)

// DevToken is the callback token when CALLBACK_TOKEN is unset; the
// events/ fixtures carry it.
const DevToken = "local-dev-token-change-me-0123"

// The event lists a channel gets when its variable is unset, as in template.yaml.
var defaultEvents = map[string]string{
	"WEBHOOK_EVENTS":     "*",
	"EMAIL_TECH_EVENTS":  "",
	"EMAIL_HUMAN_EVENTS": "first_message,unanswered,new_order,push_form",
	"SLACK_EVENTS":       "first_message,unanswered,new_order,push_form",
}

func main() {
	log := slog.New(slog.NewJSONHandler(os.Stdout, nil))
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Getenv, log, nil); err != nil {
		log.Error("relay stopped", "channel", "local", "error", err.Error())
		os.Exit(1)
	}
}

// run serves until ctx ends. ready, if not nil, receives the base URL
// once the server listens.
func run(ctx context.Context, getenv func(string) string, log *slog.Logger, ready chan<- string) error {
	addr := getenv("RELAY_ADDR")
	if addr == "" {
		addr = "127.0.0.1:8080"
	}
	listener, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("listen on %s (set RELAY_ADDR to use another address): %w", addr, err)
	}
	defer listener.Close()
	base := "http://" + listener.Addr().String()

	env := map[string]string{}
	lookup := func(k string) string {
		if v, ok := env[k]; ok {
			return v
		}
		return getenv(k)
	}
	if getenv("CALLBACK_TOKEN") == "" {
		env["CALLBACK_TOKEN"] = DevToken
	}
	if getenv("WEBHOOK_URL") == "" {
		env["WEBHOOK_URL"] = base + "/_sink"
	}
	for k, v := range defaultEvents {
		if getenv(k) == "" {
			env[k] = v
		}
	}

	queues := newEmbeddedSQS()
	maxAttempts := consumer.DefaultMaxAttempts
	if n, err := strconv.Atoi(getenv("MAX_ATTEMPTS")); err == nil && n > 0 {
		maxAttempts = n
	}
	env["QUARANTINE_QUEUE_URL"] = queues.create("quarantine", "", 0)

	channels, err := buildChannels(ctx, lookup, env)
	if err != nil {
		return err
	}
	var enabled []string
	for _, ch := range channels {
		dlq := queues.create(ch.channel.Name()+"-dlq", "", 0)
		env[ch.queueVar] = queues.create(ch.channel.Name(), dlq, maxAttempts+2)
		rt := consumer.New(consumer.Config{QueueURL: env[ch.queueVar], DLQURL: dlq, MaxAttempts: maxAttempts, Concurrency: ch.concurrency},
			ch.channel, queues, log)
		invocation := 3*ch.channel.Timeout() + 5*time.Second
		go queues.poll(ctx, env[ch.queueVar], 10, invocation, rt.Handle)
		enabled = append(enabled, ch.channel.Name())
	}

	cfg, err := ingest.LoadConfig(lookup)
	if err != nil {
		return err
	}
	handler := ingest.NewHandler(ingest.New(cfg, queues, log))

	server := &http.Server{Handler: routes(handler, queues, log), ReadHeaderTimeout: 10 * time.Second}
	go func() {
		<-ctx.Done()
		shutdown, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = server.Shutdown(shutdown)
	}()
	log.Info("relay listening", "channel", "local", "callback_url", base+"/callback/<CALLBACK_TOKEN>",
		"dev_token", getenv("CALLBACK_TOKEN") == "", "channels", enabled, "status_url", base+"/_status")
	if ready != nil {
		ready <- base
	}
	if err := server.Serve(listener); !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

type localChannel struct {
	channel interface {
		delivery.Channel
		Timeout() time.Duration
	}
	queueVar    string
	concurrency int
}

// buildChannels turns on each channel whose target is configured; the
// events of the others are cleared so ingest does not route to them.
func buildChannels(ctx context.Context, lookup func(string) string, env map[string]string) ([]localChannel, error) {
	var out []localChannel

	whCfg, err := webhook.ConfigFromEnv(lookup)
	if err != nil {
		return nil, err
	}
	wh, err := webhook.New(whCfg)
	if err != nil {
		return nil, err
	}
	out = append(out, localChannel{channel: wh, queueVar: "WEBHOOK_QUEUE_URL"})

	if lookup("EMAIL_FROM") != "" || lookup("EMAIL_TO") != "" {
		emCfg, err := email.ConfigFromEnv(lookup)
		if err != nil {
			return nil, err
		}
		awsCfg, err := config.LoadDefaultConfig(ctx)
		if err != nil {
			return nil, fmt.Errorf("AWS configuration for SES: %w", err)
		}
		out = append(out, localChannel{channel: email.New(emCfg, ses.NewFromConfig(awsCfg)), queueVar: "EMAIL_QUEUE_URL"})
	} else {
		env["EMAIL_TECH_EVENTS"], env["EMAIL_HUMAN_EVENTS"] = "", ""
	}

	if lookup("SLACK_WEBHOOK_URL") != "" {
		slCfg, err := slack.ConfigFromEnv(lookup)
		if err != nil {
			return nil, err
		}
		out = append(out, localChannel{channel: slack.New(slCfg), queueVar: "SLACK_QUEUE_URL", concurrency: 1})
	} else {
		env["SLACK_EVENTS"] = ""
	}
	return out, nil
}
