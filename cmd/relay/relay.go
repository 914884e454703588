package main

import (
	"cmp"
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/aws/aws-sdk-go-v2/config"

	"github.com/nicechat-relay/nicechat-relay/shared/channel"
	"github.com/nicechat-relay/nicechat-relay/shared/channels"
	"github.com/nicechat-relay/nicechat-relay/shared/consumer"
	"github.com/nicechat-relay/nicechat-relay/shared/docstore"
	"github.com/nicechat-relay/nicechat-relay/shared/idempotency"
	"github.com/nicechat-relay/nicechat-relay/shared/ingest"
	"github.com/nicechat-relay/nicechat-relay/shared/localqueue"
	"github.com/nicechat-relay/nicechat-relay/shared/localrelay"
	"github.com/nicechat-relay/nicechat-relay/shared/nicechat"
	"github.com/nicechat-relay/nicechat-relay/shared/webhook"
)

// Local settings; every other variable is the one the Lambdas read.
const (
	envAddr      = "RELAY_ADDR"          // where Nice Chat's callbacks arrive
	envAdminAddr = "RELAY_ADMIN_ADDR"    // the status page, /api, /sqs, the sink
	envDataDir   = localrelay.EnvDataDir // the queue file, the token, the outbox
	envGrace     = "RELAY_SHUTDOWN_GRACE"

	defaultAddr      = "127.0.0.1:8080"
	defaultAdminAddr = "127.0.0.1:8090"
	defaultData      = localrelay.DefaultDataDir
	defaultGrace     = 25 * time.Second

	tokenFile   = "callback-token"
	queueFile   = "queues.db"
	storeFile   = "idempotency.db"
	sqsPath     = "/sqs"
	accountPath = "/000000000000/"
)

// relay is one running local relay.
type relay struct {
	base     string // the callback listener's URL: Nice Chat's, perhaps through a tunnel
	admin    string // the admin listener's URL: this machine's
	dataDir  string
	settings string // the non-default RELAY_DATA_DIR, as a shell assignment
	language string // the humane messages' language and time zone, for the banner
	signing  string // whether the webhook signs, for the banner
	token    string
	// callbacks holds a place per callback being read or handled; full,
	// further callbacks are refused.
	callbacks chan struct{}
	log       *slog.Logger
	store     *localqueue.Store
	once      *idempotency.Local // what each channel has delivered
	docs      *docstore.Local    // the channels' documents (Slack's threads), in once's file
	pauses    *pauses            // which channels are paused
	outcomes  *eventOutcomes     // what each channel did with each event, for make demo
	// The callback listener serves POST /callback/{token} alone; the
	// admin listener everything else.
	listener      *connLimit
	server        *http.Server
	adminListener net.Listener
	adminServer   *http.Server
	channels      []*localChannel
	sink          *sink
	grace         time.Duration
	draining      atomic.Bool     // stopping: callbacks get 503
	ctx           context.Context // ends: stop gracefully
	stopped       chan error
}

// localChannel is one channel's consumer, as the status page shows it.
type localChannel struct {
	on                 bool
	name, target       string
	queue, dlq         string // queue names
	files              string // a directory of deliveries, for the status page
	usesSink           bool   // delivers to the built-in sink
	delivered, retried atomic.Int64
	deadLettered       atomic.Int64
	duplicates         atomic.Int64
	source             eventSource
}

func (c *localChannel) count(outcome string) {
	switch outcome {
	case consumer.OutcomeDelivered:
		c.delivered.Add(1)
	case consumer.OutcomeRetried:
		c.retried.Add(1)
	case consumer.OutcomeDeadLettered:
		c.deadLettered.Add(1)
	case consumer.OutcomeDuplicate:
		c.duplicates.Add(1)
	}
}

// start opens the queue file, builds ingest and the consumers from the
// environment (as the Lambdas do), listens, and starts serving and
// polling. It stops when ctx ends; wait returns after the graceful stop.
// lookupEnv is os.LookupEnv's: a variable set empty is not one that is
// unset (WEBHOOK_EVENTS= turns the webhook off, as in AWS).
func start(ctx context.Context, lookupEnv func(string) (string, bool), log *slog.Logger) (*relay, error) {
	return startWith(ctx, lookupEnv, log, defaultLimits)
}

// startWith is start with the server's limits; tests shorten them.
func startWith(ctx context.Context, lookupEnv func(string) (string, bool), log *slog.Logger, lim limits) (_ *relay, err error) {
	getenv := func(k string) string { v, _ := lookupEnv(k); return v }
	r := &relay{log: log, ctx: ctx, stopped: make(chan error, 1), sink: newSink(log), callbacks: make(chan struct{}, lim.callbacks), outcomes: newEventOutcomes(maxTrackedEvents)}
	r.dataDir = localrelay.DataDir(getenv)
	if v := getenv(envDataDir); v != "" {
		// make demo and relayctl find the relay from its data directory.
		r.settings = envDataDir + "=" + v
	}
	if r.grace, err = parseGrace(getenv(envGrace)); err != nil {
		return nil, err
	}

	addr, adminAddr := cmp.Or(getenv(envAddr), defaultAddr), cmp.Or(getenv(envAdminAddr), defaultAdminAddr)
	if err := errors.Join(checkListenAddr(envAddr, addr), checkListenAddr(envAdminAddr, adminAddr)); err != nil {
		return nil, err
	}
	callbacks, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("listen on %s (set %s to use another address): %w", addr, envAddr, err)
	}
	r.listener = limitConns(callbacks, lim.connections, lim.evictAfter)
	r.base = baseURL(r.listener.Addr())
	if r.adminListener, err = net.Listen("tcp", adminAddr); err != nil {
		r.listener.Close()
		return nil, fmt.Errorf("listen on %s for the status page and relayctl (set %s to use another address): %w", adminAddr, envAdminAddr, err)
	}
	r.admin = baseURL(r.adminListener.Addr())

	removeDataDir, err := makeDataDir(r.dataDir)
	if err != nil {
		r.listener.Close()
		r.adminListener.Close()
		return nil, err
	}
	defer func() {
		if err == nil {
			return
		}
		r.listener.Close()
		r.adminListener.Close()
		if r.once != nil {
			r.once.Close()
		}
		if r.store != nil {
			// Removed while this start still holds the queue file's lock,
			// so it can only be the folder this start made: a relay that
			// lost the lock to another keeps its hands off the folder.
			removeDataDir()
			r.store.Close()
		}
	}()

	r.store, err = localqueue.Open(filepath.Join(r.dataDir, queueFile), localqueue.Options{URLPrefix: r.admin + sqsPath + accountPath})
	if err != nil {
		return nil, err
	}
	if r.once, err = idempotency.OpenLocal(filepath.Join(r.dataDir, storeFile), time.Now()); err != nil {
		return nil, err
	}
	if r.docs, err = docstore.NewLocal(r.once.File()); err != nil {
		return nil, err
	}
	if r.pauses, err = loadPauses(r.dataDir); err != nil {
		return nil, err
	}
	if keys := r.once.InDoubt(); len(keys) > 0 {
		log.Warn("deliveries in doubt: the relay stopped after making them and before recording them; each is made again once its claim expires, so its far end may get it twice", "channel", "local", "in_doubt", keys)
	}

	// Variables the relay sets for the handlers, over the environment.
	env := map[string]string{}
	lookup := func(k string) string {
		if v, ok := env[k]; ok {
			return v
		}
		return getenv(k)
	}
	if r.token, err = callbackToken(getenv("CALLBACK_TOKEN"), r.dataDir); err != nil {
		return nil, err
	}
	env["CALLBACK_TOKEN"] = r.token
	// The event lists a channel gets when its variable is unset, as in
	// template.yaml; set empty, it selects no event.
	for _, spec := range channels.All {
		for _, route := range spec.Routes {
			if _, set := lookupEnv(route.Env); !set {
				env[route.Env] = route.Default
			}
		}
	}
	if env[ingest.EnvQuarantineQueueURL], err = r.store.CreateQueue("quarantine", nil); err != nil {
		return nil, err
	}
	if err := r.startConsumers(ctx, lookup, env); err != nil {
		return nil, err
	}

	r.language = describeLanguage(lookup)
	hook := r.channel(webhook.Name)
	r.signing = describeSigning(lookup, hook != nil && hook.on)

	cfg, err := ingest.LoadConfig(lookup)
	if err != nil {
		return nil, err
	}
	handler := ingest.NewHandler(ingest.New(cfg, r.store, log), nil) // CloudWatch's metrics: locally, the status page
	r.server = r.newServer(r.callbackRoutes(handler, cfg.MaxBodyBytes), lim)
	r.server.ConnState = r.listener.track
	adminLim := lim
	adminLim.maxHeaderBytes = adminMaxHeaderBytes
	r.adminServer = r.newServer(r.adminRoutes(), adminLim)
	// Written while this start holds the queue file's lock: a second
	// relay refused on the same folder never overwrites it.
	if err = localrelay.Write(r.dataDir, localrelay.Info{PID: os.Getpid(), CallbackURL: r.base, AdminURL: r.admin, StartedAt: time.Now().UTC()}); err != nil {
		return nil, err
	}
	go r.serve()
	log.Info("relay listening", "channel", "local", "callback_url", r.base+"/callback/…", "status_url", r.admin+"/", "channels", r.describeChannels(), "data_dir", r.dataDir)
	return r, nil
}

// startConsumers creates each channel's queues and starts the event
// source of each channel that is on; a channel that is off gets no events
// from ingest.
func (r *relay) startConsumers(ctx context.Context, lookup func(string) string, env map[string]string) error {
	// The queues' redrive policy is MAX_ATTEMPTS + 2 receives, as in the
	// template; the consumers' own reading of it checks it first.
	runtimeCfg, err := consumer.ConfigFromEnv("", func(k string) string {
		if k == consumer.EnvQueueURL || k == consumer.EnvDLQURL {
			return "not yet created"
		}
		return lookup(k)
	})
	if err != nil {
		return err
	}
	awsCfg, awsErr := config.LoadDefaultConfig(ctx)
	for _, spec := range channels.All {
		local := channel.Local{Target: "off"}
		if spec.Local != nil {
			local, err = spec.Local(channel.LocalEnv{
				Getenv: lookup, SinkURL: r.admin + sinkPath, DataDir: r.dataDir,
				AWS: awsCfg, AWSErr: awsErr, Log: r.log, Docs: r.docs,
			})
			if err != nil {
				return fmt.Errorf("the %s channel: %w", spec.Name, err)
			}
		}
		if empty := emptyEventLists(spec, lookup); local.On && empty != "" {
			// As in AWS, where ingest routes such a channel nothing.
			local = channel.Local{Target: "off: " + empty}
		}
		c := &localChannel{name: spec.Name, on: local.On, target: local.Target, files: local.Files, queue: spec.QueueName(), dlq: spec.DLQName()}
		for _, v := range local.Env {
			c.usesSink = c.usesSink || v == r.admin+sinkPath
		}
		r.channels = append(r.channels, c)
		// Every channel's queues exist, on or off, as relayctl expects.
		dlqURL, err := r.store.CreateQueue(c.dlq, nil)
		if err != nil {
			return err
		}
		queueURL, err := r.store.CreateQueue(c.queue, &localqueue.Redrive{DeadLetterQueue: c.dlq, MaxReceiveCount: channel.RedriveMaxReceiveCount(runtimeCfg.MaxAttempts)})
		if err != nil {
			return err
		}
		if !local.On {
			for _, route := range spec.Routes {
				env[route.Env] = "" // ingest routes nothing to it
			}
			continue
		}
		maps.Copy(env, local.Env)
		env[spec.QueueEnv()] = queueURL
		getenv := func(k string) string {
			switch k {
			case consumer.EnvQueueURL:
				return queueURL
			case consumer.EnvDLQURL:
				return dlqURL
			}
			return lookup(k)
		}
		// One runtime per instance, as Lambda runs MaxConcurrency
		// instances of the function, each with its own start-up (and so
		// its own pacing).
		src := spec.Source
		instances := make([]batchHandler, max(1, src.MaxConcurrency))
		for i := range instances {
			rt, err := consumer.NewFromEnv(spec, getenv, r.store, awsCfg, local.Open, r.log, func(cfg *consumer.Config) {
				cfg.OnOutcome = c.count
				cfg.OnReport = r.outcomes.reporter(spec.Name)
				cfg.Metrics = io.Discard // CloudWatch's metrics: locally the status page counts
				cfg.Idempotency = r.once // in place of IDEMPOTENCY_TABLE's DynamoDB table
				cfg.Pauser = pauser{r.pauses, spec.Name}
				cfg.PauseHold = 2 * time.Second // the pollers stop at once: no need to wait for a mapping to disable
			})
			if err != nil {
				return fmt.Errorf("the %s channel: %w", spec.Name, err)
			}
			instances[i] = rt.Handle
		}
		c.source = eventSource{
			Queue: r.store, URL: queueURL, BatchSize: src.BatchSize, BatchWindow: src.BatchWindow,
			Timeout: src.FunctionTimeout, Visibility: src.VisibilityTimeout(), Instances: instances,
			Paused: func() bool { return r.pauses.paused(spec.Name) },
			Log:    r.log.With("channel", spec.Name),
		}
	}
	return nil
}

// emptyEventLists says which of the channel's event lists are set empty
// when every one is ("WEBHOOK_EVENTS is empty"): the channel gets no
// event. "" when one selects events or does not parse (ingest then names it).
func emptyEventLists(spec channel.Spec, getenv func(string) string) string {
	var names []string
	for _, route := range spec.Routes {
		set, err := nicechat.ParseEventSet(getenv(route.Env))
		if err != nil || !set.Empty() {
			return ""
		}
		names = append(names, route.Env)
	}
	if len(names) == 1 {
		return names[0] + " is empty"
	}
	return strings.Join(names, " and ") + " are empty"
}

// serve runs the HTTP servers and the event sources until r.ctx ends, then
// stops within one grace period: callbacks are answered 503 (Nice Chat
// retries them), no new batch starts, the batches in progress finish or,
// past the grace period, are cut short (their messages are delivered after
// the next start); the servers, the admin one hosting the built-in sink
// those batches may be posting to, close last.
func (r *relay) serve() {
	polling, stopPolling := context.WithCancel(r.ctx)
	defer stopPolling()
	hard, kill := context.WithCancel(context.WithoutCancel(r.ctx))
	defer kill()
	var sources sync.WaitGroup
	for _, c := range r.channels {
		if c.on {
			sources.Go(func() { c.source.run(polling, hard) })
		}
	}
	served := make(chan error, 2)
	go func() { served <- r.server.Serve(r.listener) }()
	go func() { served <- r.adminServer.Serve(r.adminListener) }()

	var err error
	select {
	case err = <-served:
		r.log.Error("the server stopped: stopping the relay", "channel", "local", "error", err.Error())
	case <-r.ctx.Done():
		r.log.Info("stopping: finishing the deliveries in progress", "channel", "local", "grace_s", r.grace.Seconds())
	}
	r.draining.Store(true)
	stopPolling()
	deadline := time.Now().Add(r.grace)
	done := make(chan struct{})
	go func() { sources.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(time.Until(deadline)):
		r.log.Warn("stopping: deliveries still running after the grace period are cut short; they are delivered after the next start", "channel", "local")
		kill()
		<-done
	}
	shutdown, cancel := context.WithDeadline(context.Background(), deadline.Add(time.Second))
	defer cancel()
	err = errors.Join(err, r.server.Shutdown(shutdown), r.adminServer.Shutdown(shutdown))
	if errors.Is(err, http.ErrServerClosed) {
		err = nil
	}
	// Removed while the queue file's lock is still held: a relay that
	// starts on the folder meanwhile writes its own after this.
	err = errors.Join(err, localrelay.Remove(r.dataDir), r.store.Close(), r.once.Close())
	if err == nil {
		r.log.Info("relay stopped", "channel", "local")
	}
	r.stopped <- err
}

// wait blocks until the relay has stopped.
func (r *relay) wait() error { return <-r.stopped }

func (r *relay) describeChannels() string {
	parts := make([]string, len(r.channels))
	for i, c := range r.channels {
		parts[i] = c.name + " → " + c.target
	}
	return strings.Join(parts, ", ")
}

// callbackToken is CALLBACK_TOKEN, else the token kept in the data
// directory, else a new one written there: a local relay keeps its
// callback URL across restarts without the user choosing a secret.
func callbackToken(fromEnv, dataDir string) (string, error) {
	if fromEnv != "" {
		return fromEnv, nil // ingest validates it
	}
	file := filepath.Join(dataDir, tokenFile)
	b, err := os.ReadFile(file)
	if err == nil && len(strings.TrimSpace(string(b))) > 0 {
		return strings.TrimSpace(string(b)), nil
	}
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		return "", fmt.Errorf("read the callback token: %w", err)
	}
	raw := make([]byte, 24)
	_, _ = rand.Read(raw)
	token := base64.RawURLEncoding.EncodeToString(raw) // 32 characters of A-Z a-z 0-9 - _
	if err := os.WriteFile(file, []byte(token+"\n"), 0o600); err != nil {
		return "", fmt.Errorf("keep the callback token: %w", err)
	}
	return token, nil
}

// baseURL is where this machine reaches a listener. One listening on every
// interface (0.0.0.0, [::]) is reached at 127.0.0.1: the admin listener's
// pages, SQS API and sink answer only requests naming this machine.
func baseURL(addr net.Addr) string {
	if tcp, ok := addr.(*net.TCPAddr); ok && tcp.IP.IsUnspecified() {
		return "http://" + net.JoinHostPort("127.0.0.1", strconv.Itoa(tcp.Port))
	}
	return "http://" + addr.String()
}

// makeDataDir creates dir, and returns what removes the folders it
// created, so that a start that fails leaves none behind (a folder that
// was there is left).
func makeDataDir(dir string) (remove func(), err error) {
	created := ""
	for d := filepath.Clean(dir); ; d = filepath.Dir(d) {
		if _, err := os.Lstat(d); !errors.Is(err, os.ErrNotExist) {
			break
		}
		created = d
		if filepath.Dir(d) == d {
			break
		}
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("%s: %w", envDataDir, err)
	}
	return func() {
		if created != "" {
			_ = os.RemoveAll(created)
		}
	}, nil
}

func parseGrace(v string) (time.Duration, error) {
	if v == "" {
		return defaultGrace, nil
	}
	d, err := time.ParseDuration(v)
	if err != nil || d < 0 {
		return 0, fmt.Errorf("%s must be a duration such as 25s, got %q", envGrace, v)
	}
	return d, nil
}
