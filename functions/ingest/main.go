// Command ingest is the Lambda behind POST /callback/{token}: it
// authenticates, validates and enqueues Nice Chat callbacks.
package main

import (
	"context"
	"log/slog"
	"os"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/sqs"

	"github.com/nicechat-relay/nicechat-relay/shared/ingest"
)

func main() {
	log := slog.New(slog.NewJSONHandler(os.Stdout, nil))
	handler, err := setup(context.Background(), log)
	if err != nil {
		log.Error("ingest cannot start: fix its configuration", "channel", "ingest", "error", err.Error())
		os.Exit(1)
	}
	lambda.Start(handler.Handle)
}

// setup reads the configuration and builds the SQS client once, outside
// the handler, so warm invocations reuse them.
func setup(ctx context.Context, log *slog.Logger) (*ingest.Handler, error) {
	cfg, err := ingest.LoadConfig(os.Getenv)
	if err != nil {
		return nil, err
	}
	awsCfg, err := config.LoadDefaultConfig(ctx)
	if err != nil {
		return nil, err
	}
	return ingest.NewHandler(ingest.New(cfg, sqs.NewFromConfig(awsCfg), log)), nil
}
