// Command webhook is the webhook consumer Lambda: it POSTs each queued
// event to WEBHOOK_URL, signed when WEBHOOK_SECRET is set.
package main

import (
	"context"
	"fmt"
	"log/slog"
	"os"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/sqs"

	"github.com/nicechat-relay/nicechat-relay/shared/consumer"
	"github.com/nicechat-relay/nicechat-relay/shared/message"
	"github.com/nicechat-relay/nicechat-relay/shared/webhook"
)

func main() {
	log := slog.New(slog.NewJSONHandler(os.Stdout, nil))
	rt, err := setup(context.Background(), os.Getenv, log)
	if err != nil {
		log.Error("configuration error", "error", err.Error())
		os.Exit(1)
	}
	lambda.Start(rt.Handle)
}

func setup(ctx context.Context, getenv func(string) string, log *slog.Logger) (*consumer.Runtime, error) {
	chCfg, err := webhook.ConfigFromEnv(getenv)
	if err != nil {
		return nil, err
	}
	cfg, err := consumer.ConfigFromEnv(message.ChannelWebhook, getenv)
	if err != nil {
		return nil, err
	}
	ch, err := webhook.New(chCfg)
	if err != nil {
		return nil, err
	}
	awsCfg, err := config.LoadDefaultConfig(ctx)
	if err != nil {
		return nil, fmt.Errorf("load the AWS configuration: %w", err)
	}
	return consumer.New(cfg, ch, sqs.NewFromConfig(awsCfg), log), nil
}
