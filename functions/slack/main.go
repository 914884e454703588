// Command slack is the Slack consumer Lambda: it posts each queued event
// to the SLACK_WEBHOOK_URL incoming webhook as Block Kit.
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
	"github.com/nicechat-relay/nicechat-relay/shared/slack"
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
	chCfg, err := slack.ConfigFromEnv(getenv)
	if err != nil {
		return nil, err
	}
	cfg, err := consumer.ConfigFromEnv(message.ChannelSlack, getenv)
	if err != nil {
		return nil, err
	}
	// One at a time: the channel paces posts to Slack's one per second,
	// so parallel deliveries would only queue up behind its pacer.
	cfg.Concurrency = 1
	awsCfg, err := config.LoadDefaultConfig(ctx)
	if err != nil {
		return nil, fmt.Errorf("load the AWS configuration: %w", err)
	}
	return consumer.New(cfg, slack.New(chCfg), sqs.NewFromConfig(awsCfg), log), nil
}
