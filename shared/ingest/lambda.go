package ingest

import (
	"context"
	"log/slog"
	"os"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-sdk-go-v2/service/sqs"

	"github.com/nicechat-relay/nicechat-relay/shared/awsenv"
	"github.com/nicechat-relay/nicechat-relay/shared/secrets"
	"github.com/nicechat-relay/nicechat-relay/shared/settings"
)

// Main is the whole of the ingest Lambda's main. A variable that looks
// like a mistyped setting is warned about first. A configuration error is
// logged once, as a JSON line naming the variable at fault, and exits 1:
// Lambda reports the failed start.
func Main() {
	log := slog.New(slog.NewJSONHandler(os.Stdout, nil))
	settings.Warn(log.With("channel", "ingest"), os.Environ())
	handler, err := Setup(context.Background(), os.Getenv, log)
	if err != nil {
		log.Error("ingest cannot start: fix its configuration", "channel", "ingest", "error", err.Error())
		os.Exit(1)
	}
	lambda.Start(handler.invoke)
}

// Setup reads the configuration and builds the SQS client once, outside
// the handler, so warm invocations reuse them. The template's tests run it
// with the stack's environment, so they start ingest the way Lambda does.
func Setup(ctx context.Context, getenv func(string) string, log *slog.Logger) (*Handler, error) {
	// The region and credentials Lambda gives the function, not the SDK's
	// default chain: see shared/awsenv.
	awsCfg, err := awsenv.Config(getenv)
	if err != nil {
		return nil, err
	}
	// The tokens may come from Secrets Manager (CALLBACK_TOKEN_SECRET_ARN,
	// CALLBACK_TOKEN_PREVIOUS_SECRET_ARN), read now, once.
	if getenv, err = secrets.Resolve(ctx, getenv, secrets.NewAPI(awsCfg, getenv), SecretSettings); err != nil {
		return nil, err
	}
	cfg, err := LoadConfig(getenv)
	if err != nil {
		return nil, err
	}
	return NewHandler(New(cfg, sqs.NewFromConfig(awsCfg), log), os.Stdout), nil
}

// apiRequest is the part of an API Gateway HTTP API request (payload 2.0)
// ingest reads: the Lambda decodes the invocation into it, and skips the
// headers and the rest of the request context rather than decoding them
// into events.APIGatewayV2HTTPRequest.
type apiRequest struct {
	Body            string `json:"body"`
	IsBase64Encoded bool   `json:"isBase64Encoded"`
	PathParameters  struct {
		Token string `json:"token"`
	} `json:"pathParameters"`
	RequestContext struct {
		HTTP struct {
			Method string `json:"method"`
		} `json:"http"`
	} `json:"requestContext"`
}

// invoke is the Lambda's handler: Handle on the fields it reads.
func (h *Handler) invoke(ctx context.Context, req apiRequest) (events.APIGatewayV2HTTPResponse, error) {
	return h.handle(ctx, req.RequestContext.HTTP.Method, Callback{
		Token:  req.PathParameters.Token,
		Body:   req.Body,
		Base64: req.IsBase64Encoded,
	}), nil
}
