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

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"

	"github.com/nicechat-relay/nicechat-relay/shared/consumer"
	"github.com/nicechat-relay/nicechat-relay/shared/email"
	"github.com/nicechat-relay/nicechat-relay/shared/ingest"
	"github.com/nicechat-relay/nicechat-relay/shared/message"
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
	env["QUARANTINE_QUEUE_URL"] = queues.create("quarantine", "", 0)
	awsCfg, err := config.LoadDefaultConfig(ctx)
	if err != nil {
		return fmt.Errorf("AWS configuration (for SES): %w", err)
	}

	var enabled []string
	for _, c := range localConsumers(lookup, queues, awsCfg, log) {
		if !c.on {
			for _, v := range c.vars.Events {
				env[v.Name] = "" // so ingest does not route to it
			}
			continue
		}
		// The consumer reads QUEUE_URL, DLQ_URL and MAX_ATTEMPTS as in
		// AWS; the embedded queues stand in for the stack's.
		dlq := queues.create(c.vars.Channel+"-dlq", "", 0)
		queue := queues.create(c.vars.Channel, dlq, maxReceives(lookup))
		env[c.vars.QueueURL] = queue
		rt, err := c.runtime(func(k string) string {
			switch k {
			case "QUEUE_URL":
				return queue
			case "DLQ_URL":
				return dlq
			}
			return lookup(k)
		})
		if err != nil {
			return err
		}
		go queues.poll(ctx, queue, 10, 3*rt.Timeout()+5*time.Second, rt.Handle)
		enabled = append(enabled, c.vars.Channel)
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

// localConsumer is one channel's consumer Lambda, run in-process.
type localConsumer struct {
	vars    message.ChannelEnv
	on      bool // its target is configured
	runtime func(getenv func(string) string) (*consumer.Runtime, error)
}

// localConsumers lists the channels; each is on when its target is set,
// except the webhook, which falls back to the built-in sink.
func localConsumers(lookup func(string) string, queues consumer.SQS, awsCfg aws.Config, log *slog.Logger) []localConsumer {
	envOf := func(channel string) message.ChannelEnv {
		env, _ := message.EnvOf(channel)
		return env
	}
	return []localConsumer{
		{vars: envOf(message.ChannelWebhook), on: true, runtime: runtimeOf(webhook.Lambda, queues, awsCfg, log)},
		{vars: envOf(message.ChannelEmail), on: lookup("EMAIL_FROM") != "" || lookup("EMAIL_TO") != "",
			runtime: runtimeOf(email.Lambda, queues, awsCfg, log)},
		{vars: envOf(message.ChannelSlack), on: lookup("SLACK_WEBHOOK_URL") != "",
			runtime: runtimeOf(slack.Lambda, queues, awsCfg, log)},
	}
}

func runtimeOf[C any](l consumer.Lambda[C], queues consumer.SQS, awsCfg aws.Config, log *slog.Logger) func(func(string) string) (*consumer.Runtime, error) {
	return func(getenv func(string) string) (*consumer.Runtime, error) {
		return l.Runtime(getenv, queues, awsCfg, log)
	}
}

// maxReceives mirrors the template's RedrivePolicy: MAX_ATTEMPTS + 2
// receives before the embedded queue's safety net moves a message. An
// invalid MAX_ATTEMPTS is refused by the consumers themselves.
func maxReceives(lookup func(string) string) int {
	n, err := strconv.Atoi(lookup("MAX_ATTEMPTS"))
	if err != nil || n < 1 {
		n = consumer.DefaultMaxAttempts
	}
	return n + 2
}
