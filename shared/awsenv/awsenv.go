// Package awsenv builds the AWS SDK configuration of a Lambda function
// from the environment Lambda gives it: the region in AWS_REGION and the
// role's temporary credentials in AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY
// and AWS_SESSION_TOKEN.
//
// The SDK's config.LoadDefaultConfig looks in many more places (shared
// files, SSO, STS web identity, credential processes, IMDS), and linking
// that code costs a function about 2 MB and a millisecond of start-up it
// never uses. The relay's functions use this package; the tools people run
// (relayctl, the local relay) keep the default chain.
package awsenv

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"os"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/smithy-go/logging"
	"github.com/aws/smithy-go/middleware"

	"github.com/nicechat-relay/nicechat-relay/shared/awsjson"
)

// The variables read. Lambda sets the region and credentials in every
// function; the endpoints are for tests and local servers.
const (
	EnvRegion          = "AWS_REGION"
	EnvDefaultRegion   = "AWS_DEFAULT_REGION" // read when AWS_REGION is unset, as the SDK does
	EnvAccessKeyID     = "AWS_ACCESS_KEY_ID"
	EnvSecretAccessKey = "AWS_SECRET_ACCESS_KEY"
	EnvSessionToken    = "AWS_SESSION_TOKEN"
	// EnvEndpointURL points every service at one endpoint;
	// AWS_ENDPOINT_URL_<SERVICE> (AWS_ENDPOINT_URL_SQS, _SES, _DYNAMODB,
	// _LAMBDA, _SECRETS_MANAGER) one service, over it. The names are the
	// SDK's.
	EnvEndpointURL = "AWS_ENDPOINT_URL"
)

// services are the SDK ids of the services the functions call, whose
// endpoint variables Config checks; any other service's is read too.
var services = []string{"SQS", "SES", "DynamoDB", "Lambda", "Secrets Manager"}

// ErrNotInLambda is what every AWS call fails with when the environment
// holds neither a region nor credentials: the binary was started outside
// Lambda (a start-up test, the template's checks), where it can start but
// not reach AWS.
var ErrNotInLambda = errors.New(EnvRegion + ", " + EnvAccessKeyID + " and " + EnvSecretAccessKey +
	" are unset: Lambda sets them in every function; elsewhere set them to reach AWS")

// Config reads the SDK configuration from getenv. The SDK's default
// retryer applies (the services' standard retryer, 3 attempts).
//
// A region and credentials are required together: with one of them set,
// the error names the missing variable. With none set, the function can
// still start (Lambda always sets them, so this is a binary started
// elsewhere) and each AWS call fails with ErrNotInLambda.
func Config(getenv func(string) string) (aws.Config, error) {
	cfg := aws.Config{Logger: logging.NewStandardLogger(os.Stderr)}

	region := strings.TrimSpace(getenv(EnvRegion))
	if region == "" {
		region = strings.TrimSpace(getenv(EnvDefaultRegion))
	}
	key := strings.TrimSpace(getenv(EnvAccessKeyID))
	secret := strings.TrimSpace(getenv(EnvSecretAccessKey))
	token := strings.TrimSpace(getenv(EnvSessionToken))
	switch {
	case region == "" && key == "" && secret == "":
		cfg.APIOptions = append(cfg.APIOptions, failEveryCall(ErrNotInLambda))
	case region == "":
		return aws.Config{}, fmt.Errorf("%s is required with %s: Lambda sets both", EnvRegion, setOne(getenv, EnvAccessKeyID, EnvSecretAccessKey))
	case key == "":
		return aws.Config{}, fmt.Errorf("%s is required: the functions read their credentials from %s, %s and %s, which Lambda sets", EnvAccessKeyID, EnvAccessKeyID, EnvSecretAccessKey, EnvSessionToken)
	case secret == "":
		return aws.Config{}, fmt.Errorf("%s is required with %s", EnvSecretAccessKey, EnvAccessKeyID)
	default:
		cfg.Region = region
		cfg.Credentials = credentials{aws.Credentials{AccessKeyID: key, SecretAccessKey: secret, SessionToken: token, Source: "awsenv"}}
	}

	if v := strings.TrimSpace(getenv(EnvEndpointURL)); v != "" {
		if err := checkEndpoint(EnvEndpointURL, v); err != nil {
			return aws.Config{}, err
		}
		cfg.BaseEndpoint = aws.String(v)
	}
	endpoints := serviceEndpoints{getenv}
	for _, id := range services {
		name := endpoints.variable(id)
		if v := strings.TrimSpace(getenv(name)); v != "" {
			if err := checkEndpoint(name, v); err != nil {
				return aws.Config{}, err
			}
		}
	}
	// Each service client asks its configuration sources for its own
	// endpoint, as it asks the default chain's.
	cfg.ConfigSources = []any{endpoints}
	return cfg, nil
}

// setOne names whichever of the variables is set, for an error message.
func setOne(getenv func(string) string, names ...string) string {
	for _, n := range names {
		if strings.TrimSpace(getenv(n)) != "" {
			return n
		}
	}
	return names[0]
}

func checkEndpoint(name, raw string) error {
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return fmt.Errorf("%s must be an absolute http or https URL, got %q", name, raw)
	}
	return nil
}

// credentials are the static credentials Lambda gives a function: they
// stay valid for the life of the execution environment.
type credentials struct{ value aws.Credentials }

func (c credentials) Retrieve(context.Context) (aws.Credentials, error) { return c.value, nil }

// serviceEndpoints answers a service client's question for its endpoint
// with AWS_ENDPOINT_URL_<SDK ID, upper case, spaces as _>, as the SDK's
// default chain does.
type serviceEndpoints struct{ getenv func(string) string }

func (e serviceEndpoints) variable(sdkID string) string {
	return awsjson.Service{SDKID: sdkID}.EndpointVariable()
}

// GetServiceBaseEndpoint is the SDK's configsources.ServiceBaseEndpointProvider.
func (e serviceEndpoints) GetServiceBaseEndpoint(_ context.Context, sdkID string) (string, bool, error) {
	if v := strings.TrimSpace(e.getenv(e.variable(sdkID))); v != "" {
		return v, true, nil
	}
	return "", false, nil
}

// failEveryCall makes every operation of a client fail with err before
// it signs or sends anything (and so before any retry).
func failEveryCall(err error) func(*middleware.Stack) error {
	return func(s *middleware.Stack) error {
		return s.Initialize.Add(middleware.InitializeMiddlewareFunc("awsenv.NotInLambda",
			func(context.Context, middleware.InitializeInput, middleware.InitializeHandler) (middleware.InitializeOutput, middleware.Metadata, error) {
				return middleware.InitializeOutput{}, middleware.Metadata{}, err
			}), middleware.Before)
	}
}
