package ingest

import (
	"context"
	"fmt"
	"log/slog"
	"os"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
)

// Main is the whole of the ingest Lambda's main. A configuration error is
// logged once, as a JSON line naming the variable at fault, and exits 1:
// Lambda reports the failed start.
func Main() {
	log := slog.New(slog.NewJSONHandler(os.Stdout, nil))
	handler, err := Setup(context.Background(), os.Getenv, log)
	if err != nil {
		log.Error("ingest cannot start: fix its configuration", "channel", "ingest", "error", err.Error())
		os.Exit(1)
	}
	lambda.Start(handler.Handle)
}

// Setup reads the configuration and builds the SQS client once, outside
// the handler, so warm invocations reuse them. The template's tests run it
// with the stack's environment, so they start ingest the way Lambda does.
func Setup(ctx context.Context, getenv func(string) string, log *slog.Logger) (*Handler, error) {
	cfg, err := LoadConfig(getenv)
	if err != nil {
		return nil, err
	}
	awsCfg, err := config.LoadDefaultConfig(ctx)
	if err != nil {
		return nil, fmt.Errorf("load the AWS configuration: %w", err)
	}
	return NewHandler(New(cfg, sqs.NewFromConfig(awsCfg), log), os.Stdout), nil
}
