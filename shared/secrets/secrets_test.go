package secrets_test

import (
	"context"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"

	"github.com/nicechat-relay/nicechat-relay/shared/awsjson"
	"github.com/nicechat-relay/nicechat-relay/shared/localaws"
	"github.com/nicechat-relay/nicechat-relay/shared/secrets"
)

func TestMain(m *testing.M) { os.Exit(localaws.Main(m)) }

// secret stores value in moto's Secrets Manager and returns its ARN.
func secret(t *testing.T, value string) string {
	t.Helper()
	out, err := secretsmanager.NewFromConfig(localaws.Config(t)).CreateSecret(context.Background(), &secretsmanager.CreateSecretInput{
		Name: aws.String(fmt.Sprintf("relay-%d", time.Now().UnixNano())), SecretString: aws.String(value),
	})
	if err != nil {
		t.Fatal(err)
	}
	return aws.ToString(out.ARN)
}

func TestASecretSettingComesFromSecretsManagerOnce(t *testing.T) {
	client := &counting{Client: api(t)}
	env := map[string]string{
		"SLACK_WEBHOOK_URL_SECRET_ARN": secret(t, "https://hooks.slack.com/services/T0/B0/s3cr3t\n"),
		"WEBHOOK_SECRET":               "whsec_plain",
		"OTHER":                        "x",
	}
	getenv, err := secrets.Resolve(context.Background(), func(k string) string { return env[k] }, client, []string{"SLACK_WEBHOOK_URL", "WEBHOOK_SECRET", "TELEGRAM_BOT_TOKEN"})
	if err != nil {
		t.Fatal(err)
	}
	for k, want := range map[string]string{
		"SLACK_WEBHOOK_URL":  "https://hooks.slack.com/services/T0/B0/s3cr3t",
		"WEBHOOK_SECRET":     "whsec_plain", // a plain value still works
		"TELEGRAM_BOT_TOKEN": "",
		"OTHER":              "x",
	} {
		for range 2 {
			if got := getenv(k); got != want {
				t.Errorf("%s = %q, want %q", k, got, want)
			}
		}
	}
	if client.calls != 1 {
		t.Errorf("%d calls to Secrets Manager, want 1 (read once, at start)", client.calls)
	}
}

func TestASecretThatCannotBeReadStopsTheStartNamingTheVariable(t *testing.T) {
	arn := secret(t, "x")
	tests := []struct {
		name    string
		env     map[string]string
		wantErr string
	}{
		{"no such secret", map[string]string{"CALLBACK_TOKEN_SECRET_ARN": arn + "-gone"}, "CALLBACK_TOKEN_SECRET_ARN: read the secret"},
		{"both a value and an ARN", map[string]string{"CALLBACK_TOKEN_SECRET_ARN": arn, "CALLBACK_TOKEN": "plain-token-0123456789abcdef"}, "CALLBACK_TOKEN and CALLBACK_TOKEN_SECRET_ARN are both set"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := secrets.Resolve(context.Background(), func(k string) string { return tt.env[k] }, api(t), []string{"CALLBACK_TOKEN"})
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) || strings.Contains(err.Error(), "plain-token") {
				t.Errorf("Resolve = %v, want an error with %q and no value", err, tt.wantErr)
			}
		})
	}
}

type counting struct {
	secrets.Client
	calls int
}

func (c *counting) GetSecret(ctx context.Context, arn string) (string, error) {
	c.calls++
	return c.Client.GetSecret(ctx, arn)
}

// api is the package's own signed client, pointed at moto.
func api(t *testing.T) *secrets.API {
	endpoint := localaws.Endpoint(t)
	return secrets.NewAPI(localaws.Config(t), func(k string) string {
		if k == secrets.EnvEndpointURL {
			return endpoint
		}
		return ""
	})
}

func TestTheEndpointVariableIsTheSDKs(t *testing.T) {
	if got := awsjson.SecretsManager.EndpointVariable(); secrets.EnvEndpoint != got {
		t.Errorf("secrets.EnvEndpoint = %s, want %s, the variable the client reads", secrets.EnvEndpoint, got)
	}
}
