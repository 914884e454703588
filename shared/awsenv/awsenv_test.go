package awsenv_test

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"sync"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	"github.com/aws/aws-sdk-go-v2/service/ses"
	"github.com/aws/aws-sdk-go-v2/service/sqs"

	"github.com/nicechat-relay/nicechat-relay/shared/awsenv"
)

// variables are every variable the package or the SDK's clients read.
var variables = []string{
	"AWS_REGION", "AWS_DEFAULT_REGION", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN",
	"AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_SQS", "AWS_ENDPOINT_URL_SES", "AWS_ENDPOINT_URL_DYNAMODB", "AWS_ENDPOINT_URL_LAMBDA",
	"AWS_ENDPOINT_URL_SECRETS_MANAGER",
}

// setenv makes the process environment exactly env (for the variables
// above), because the SDK's clients also look at it for endpoints, and
// returns os.Getenv, what Lambda's main passes.
func setenv(t *testing.T, env map[string]string) func(string) string {
	t.Helper()
	for _, k := range variables {
		t.Setenv(k, "") // restored after the test
		if v, ok := env[k]; ok {
			t.Setenv(k, v)
		} else {
			os.Unsetenv(k)
		}
	}
	return os.Getenv
}

var lambdaEnv = map[string]string{
	"AWS_REGION": "eu-central-1", "AWS_ACCESS_KEY_ID": "AKIDEXAMPLE", "AWS_SECRET_ACCESS_KEY": "secret", "AWS_SESSION_TOKEN": "token",
}

func with(base map[string]string, kv ...string) map[string]string {
	out := map[string]string{}
	for k, v := range base {
		out[k] = v
	}
	for i := 0; i < len(kv); i += 2 {
		if kv[i+1] == "" {
			delete(out, kv[i])
		} else {
			out[kv[i]] = kv[i+1]
		}
	}
	return out
}

func TestConfigReadsWhatLambdaSets(t *testing.T) {
	tests := []struct {
		name        string
		env         map[string]string
		region      string
		credentials aws.Credentials
		wantErr     string
	}{
		{name: "Lambda's environment", env: lambdaEnv, region: "eu-central-1",
			credentials: aws.Credentials{AccessKeyID: "AKIDEXAMPLE", SecretAccessKey: "secret", SessionToken: "token"}},
		{name: "long-lived keys without a session token", env: with(lambdaEnv, "AWS_SESSION_TOKEN", ""), region: "eu-central-1",
			credentials: aws.Credentials{AccessKeyID: "AKIDEXAMPLE", SecretAccessKey: "secret"}},
		{name: "AWS_DEFAULT_REGION when AWS_REGION is unset", env: with(lambdaEnv, "AWS_REGION", "", "AWS_DEFAULT_REGION", "us-west-2"), region: "us-west-2",
			credentials: aws.Credentials{AccessKeyID: "AKIDEXAMPLE", SecretAccessKey: "secret", SessionToken: "token"}},
		{name: "AWS_REGION over AWS_DEFAULT_REGION", env: with(lambdaEnv, "AWS_DEFAULT_REGION", "us-west-2"), region: "eu-central-1",
			credentials: aws.Credentials{AccessKeyID: "AKIDEXAMPLE", SecretAccessKey: "secret", SessionToken: "token"}},
		{name: "credentials without a region", env: with(lambdaEnv, "AWS_REGION", ""),
			wantErr: "AWS_REGION is required with AWS_ACCESS_KEY_ID: Lambda sets both"},
		{name: "a region without credentials", env: map[string]string{"AWS_REGION": "eu-central-1"},
			wantErr: "AWS_ACCESS_KEY_ID is required: the functions read their credentials from AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY and AWS_SESSION_TOKEN, which Lambda sets"},
		{name: "a key without its secret", env: with(lambdaEnv, "AWS_SECRET_ACCESS_KEY", ""),
			wantErr: "AWS_SECRET_ACCESS_KEY is required with AWS_ACCESS_KEY_ID"},
		{name: "a secret without its key", env: with(lambdaEnv, "AWS_ACCESS_KEY_ID", ""),
			wantErr: "AWS_ACCESS_KEY_ID is required: the functions read their credentials from AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY and AWS_SESSION_TOKEN, which Lambda sets"},
		{name: "an endpoint that is not a URL", env: with(lambdaEnv, "AWS_ENDPOINT_URL", "localhost:4566"),
			wantErr: `AWS_ENDPOINT_URL must be an absolute http or https URL, got "localhost:4566"`},
		{name: "a service endpoint that is not a URL", env: with(lambdaEnv, "AWS_ENDPOINT_URL_DYNAMODB", "/dynamodb"),
			wantErr: `AWS_ENDPOINT_URL_DYNAMODB must be an absolute http or https URL, got "/dynamodb"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg, err := awsenv.Config(setenv(t, tt.env))
			if tt.wantErr != "" {
				if err == nil || err.Error() != tt.wantErr {
					t.Fatalf("error %v, want %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			got, err := cfg.Credentials.Retrieve(context.Background())
			if err != nil {
				t.Fatal(err)
			}
			got.Source = ""
			if cfg.Region != tt.region || got != tt.credentials {
				t.Errorf("region %q, credentials %+v; want %q, %+v", cfg.Region, got, tt.region, tt.credentials)
			}
			if r := sqs.NewFromConfig(cfg).Options().Retryer; r == nil || r.MaxAttempts() != 3 {
				t.Errorf("retryer %v, want the SDK's standard retryer (3 attempts)", r)
			}
		})
	}
}

func TestEndpointsComeFromTheEnvironmentPerService(t *testing.T) {
	const all, own = "http://127.0.0.1:4566", "http://127.0.0.1:5000"
	tests := []struct {
		name string
		env  map[string]string
		want map[string]string // service -> base endpoint ("" for AWS's own)
	}{
		{"none: AWS's own", lambdaEnv, map[string]string{"SQS": "", "SES": "", "DynamoDB": "", "Lambda": "", "Secrets Manager": ""}},
		{"AWS_ENDPOINT_URL for all", with(lambdaEnv, "AWS_ENDPOINT_URL", all), map[string]string{"SQS": all, "SES": all, "DynamoDB": all, "Lambda": all, "Secrets Manager": all}},
		{"one service's over it", with(lambdaEnv, "AWS_ENDPOINT_URL", all, "AWS_ENDPOINT_URL_DYNAMODB", own), map[string]string{"SQS": all, "SES": all, "DynamoDB": own, "Lambda": all}},
		{"a service whose id has a space", with(lambdaEnv, "AWS_ENDPOINT_URL", all, "AWS_ENDPOINT_URL_SECRETS_MANAGER", own), map[string]string{"SQS": all, "Secrets Manager": own}},
		{"each service its own", with(lambdaEnv, "AWS_ENDPOINT_URL_SQS", own, "AWS_ENDPOINT_URL_SES", own+"/ses", "AWS_ENDPOINT_URL_DYNAMODB", own+"/ddb", "AWS_ENDPOINT_URL_LAMBDA", own+"/fn"),
			map[string]string{"SQS": own, "SES": own + "/ses", "DynamoDB": own + "/ddb", "Lambda": own + "/fn"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg, err := awsenv.Config(setenv(t, tt.env))
			if err != nil {
				t.Fatal(err)
			}
			got := map[string]string{
				"SQS":             aws.ToString(sqs.NewFromConfig(cfg).Options().BaseEndpoint),
				"SES":             aws.ToString(ses.NewFromConfig(cfg).Options().BaseEndpoint),
				"DynamoDB":        aws.ToString(dynamodb.NewFromConfig(cfg).Options().BaseEndpoint),
				"Lambda":          aws.ToString(lambda.NewFromConfig(cfg).Options().BaseEndpoint),
				"Secrets Manager": aws.ToString(secretsmanager.NewFromConfig(cfg).Options().BaseEndpoint),
			}
			for service, want := range tt.want {
				if got[service] != want {
					t.Errorf("%s endpoint %q, want %q", service, got[service], want)
				}
			}
		})
	}
}

func TestACallIsSignedWithLambdasCredentialsAndSentToTheEndpoint(t *testing.T) {
	var mu sync.Mutex
	var auth, token, target string
	server := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		mu.Lock()
		auth, token, target = r.Header.Get("Authorization"), r.Header.Get("X-Amz-Security-Token"), r.Header.Get("X-Amz-Target")
		mu.Unlock()
		w.Header().Set("Content-Type", "application/x-amz-json-1.0")
		_, _ = io.WriteString(w, `{"MessageId":"m-1"}`)
	}))
	defer server.Close()
	cfg, err := awsenv.Config(setenv(t, with(lambdaEnv, "AWS_ENDPOINT_URL_SQS", server.URL)))
	if err != nil {
		t.Fatal(err)
	}
	out, err := sqs.NewFromConfig(cfg).SendMessage(context.Background(), &sqs.SendMessageInput{
		QueueUrl: aws.String(server.URL + "/123456789012/q"), MessageBody: aws.String("{}")})
	if err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	defer mu.Unlock()
	if aws.ToString(out.MessageId) != "m-1" || target != "AmazonSQS.SendMessage" || token != "token" ||
		!strings.Contains(auth, "Credential=AKIDEXAMPLE/") || !strings.Contains(auth, "/eu-central-1/sqs/aws4_request") {
		t.Errorf("the endpoint got target %q, token %q, authorization %q", target, token, auth)
	}
}

// Started outside Lambda, with neither region nor credentials (a test of
// main's start-up, the template's checks), a function starts; each AWS
// call then fails at once, naming the variables, and sends nothing.
func TestWithoutLambdasVariablesEveryCallFailsNamingThem(t *testing.T) {
	requests := 0
	server := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { requests++ }))
	defer server.Close()
	cfg, err := awsenv.Config(setenv(t, map[string]string{"AWS_ENDPOINT_URL": server.URL}))
	if err != nil {
		t.Fatalf("Config: %v, want a configuration whose calls fail", err)
	}
	_, err = sqs.NewFromConfig(cfg).SendMessage(context.Background(), &sqs.SendMessageInput{QueueUrl: aws.String(server.URL + "/q"), MessageBody: aws.String("{}")})
	if !errors.Is(err, awsenv.ErrNotInLambda) || !strings.Contains(err.Error(), "AWS_REGION, AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY are unset") {
		t.Errorf("error %v, want ErrNotInLambda", err)
	}
	if requests != 0 {
		t.Errorf("%d requests reached the endpoint", requests)
	}
}
