package consumer

import (
	"context"
	"fmt"
	"log/slog"
	"os"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/sqs"

	"github.com/nicechat-relay/nicechat-relay/shared/delivery"
)

// Lambda is what tells the consumer Lambdas apart: a channel, how it reads
// its settings (C) and how it is built from them. Its Main is the whole of
// a consumer's main.
type Lambda[C any] struct {
	Channel string                                      // message.ChannelWebhook, ...
	Config  func(getenv func(string) string) (C, error) // the channel's ConfigFromEnv
	// New builds the channel once, outside the handler, so warm
	// invocations reuse its clients; awsCfg is for channels that call AWS.
	New func(cfg C, awsCfg aws.Config) (delivery.Channel, error)
	// Concurrency overrides Config.Concurrency when not zero.
	Concurrency int
}

// Main builds the runtime from the environment and hands it to
// lambda.Start. A configuration error is logged once, as a JSON line naming
// the variable at fault, and exits 1: Lambda reports the failed start.
func (l Lambda[C]) Main() {
	log := slog.New(slog.NewJSONHandler(os.Stdout, nil))
	rt, err := l.Setup(context.Background(), os.Getenv, log)
	if err != nil {
		log.Error("configuration error", "channel", l.Channel, "error", err.Error())
		os.Exit(1)
	}
	lambda.Start(rt.Handle)
}

// Setup builds the runtime a deployed consumer runs: settings from getenv,
// SQS and the channel's AWS clients from the SDK's standard configuration.
func (l Lambda[C]) Setup(ctx context.Context, getenv func(string) string, log *slog.Logger) (*Runtime, error) {
	awsCfg, err := config.LoadDefaultConfig(ctx)
	if err != nil {
		return nil, fmt.Errorf("load the AWS configuration: %w", err)
	}
	return l.Runtime(getenv, sqs.NewFromConfig(awsCfg), awsCfg, log)
}

// Runtime reads the channel's settings, then the runtime's (so a missing
// target, the variable a user is likeliest to forget, is the error they
// see), and builds both around q. The local relay calls it with its
// embedded queue, and tune, if given, adjusts the runtime's settings (its
// status page counts outcomes through Config.OnOutcome).
func (l Lambda[C]) Runtime(getenv func(string) string, q SQS, awsCfg aws.Config, log *slog.Logger, tune ...func(*Config)) (*Runtime, error) {
	chCfg, err := l.Config(getenv)
	if err != nil {
		return nil, err
	}
	cfg, err := ConfigFromEnv(l.Channel, getenv)
	if err != nil {
		return nil, err
	}
	if l.Concurrency != 0 {
		cfg.Concurrency = l.Concurrency
	}
	for _, f := range tune {
		f(&cfg)
	}
	ch, err := l.New(chCfg, awsCfg)
	if err != nil {
		return nil, err
	}
	return New(cfg, ch, q, log), nil
}
