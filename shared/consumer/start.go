package consumer

import (
	"context"
	"log/slog"
	"os"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"

	"github.com/nicechat-relay/nicechat-relay/shared/awsenv"
	"github.com/nicechat-relay/nicechat-relay/shared/awsjson"
	"github.com/nicechat-relay/nicechat-relay/shared/breaker"
	"github.com/nicechat-relay/nicechat-relay/shared/channel"
	"github.com/nicechat-relay/nicechat-relay/shared/idempotency"
	"github.com/nicechat-relay/nicechat-relay/shared/secrets"
	"github.com/nicechat-relay/nicechat-relay/shared/settings"
)

// EnvFunctionName is the variable Lambda sets to the function's name.
const EnvFunctionName = "AWS_LAMBDA_FUNCTION_NAME"

// Main is the whole of the main of channel s's consumer Lambda: settings
// from the environment (a warning for each variable that looks like a
// mistyped setting), clients from the region and credentials Lambda gives
// the function (shared/awsenv), then lambda.Start. A configuration error is
// logged once, as a JSON line naming the variable at fault, and exits 1:
// Lambda reports the failed start.
func Main(s channel.Spec) {
	log := slog.New(slog.NewJSONHandler(os.Stdout, nil))
	settings.Warn(log.With("channel", s.Name), os.Environ())
	rt, err := Setup(context.Background(), s, os.Getenv, log)
	if err != nil {
		log.Error("configuration error", "channel", s.Name, "error", err.Error())
		os.Exit(1)
	}
	lambda.Start(rt.Handle)
}

// Setup builds the runtime a deployed consumer runs; the template's tests
// call it with the stack's environment.
func Setup(ctx context.Context, s channel.Spec, getenv func(string) string, log *slog.Logger) (*Runtime, error) {
	// The region and credentials Lambda gives the function, not the
	// SDK's default chain: see shared/awsenv.
	awsCfg, err := awsenv.Config(getenv)
	if err != nil {
		return nil, err
	}
	// A secret setting may come from Secrets Manager (NAME_SECRET_ARN),
	// read now, once.
	if getenv, err = secrets.Resolve(ctx, getenv, secrets.NewAPI(awsCfg, getenv), s.Secrets); err != nil {
		return nil, err
	}
	return NewFromEnv(s, getenv, sqs.NewFromConfig(awsCfg), awsCfg, nil, log)
}

// NewFromEnv reads the channel's settings, then the runtime's (so a missing
// target, the variable a user is likeliest to forget, is the error they
// see), and builds both around q. open replaces the Spec's Open when not
// nil (the local relay's email outbox); tune adjusts the runtime's
// settings.
func NewFromEnv(s channel.Spec, getenv func(string) string, q SQS, awsCfg aws.Config, open channel.OpenFunc, log *slog.Logger, tune ...func(*Config)) (*Runtime, error) {
	if open == nil {
		open = s.Open
	}
	ch, err := open(getenv, awsCfg)
	if err != nil {
		return nil, err
	}
	cfg, err := ConfigFromEnv(s.Name, getenv)
	if err != nil {
		return nil, err
	}
	cfg.Concurrency = s.Concurrency
	for _, f := range tune {
		f(&cfg)
	}
	switch {
	case cfg.Idempotency != nil:
	case cfg.IdempotencyTable != "":
		cfg.Idempotency = idempotency.NewTable(awsjson.New(awsCfg, awsjson.DynamoDB, getenv), cfg.IdempotencyTable)
	default:
		log.Warn("no idempotency store ("+idempotency.EnvTable+" is unset): delivery is at least once, and an event SQS or Nice Chat delivers twice is delivered twice", "channel", s.Name)
	}
	// Deployed, the channel pauses by disabling its own function's event
	// source mapping; Lambda names the function.
	if fn := getenv(EnvFunctionName); cfg.Pauser == nil && fn != "" {
		cfg.Pauser = breaker.NewMapping(awsjson.New(awsCfg, awsjson.Lambda, getenv), fn, cfg.QueueURL)
	}
	return New(cfg, ch, q, log), nil
}
