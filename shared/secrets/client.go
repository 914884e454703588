package secrets

import (
	"context"

	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/nicechat-relay/nicechat-relay/shared/awsjson"
)

// API reads secrets from Secrets Manager with one signed GetSecretValue
// call. The functions read at most a few secrets once, at start: the SDK's
// Secrets Manager package would cost every binary its size and its
// package initialisation for that.
type API struct{ client *awsjson.Client }

var _ Client = (*API)(nil)

// EnvEndpoint and EnvEndpointURL point the client at another endpoint (a
// test's local server), as they do the SDK's.
const (
	EnvEndpoint    = "AWS_ENDPOINT_URL_SECRETS_MANAGER" // awsjson.SecretsManager.EndpointVariable()
	EnvEndpointURL = awsjson.EnvEndpointURL
)

// NewAPI is a client in cfg's region with cfg's credentials; getenv gives
// the endpoint overrides.
func NewAPI(cfg aws.Config, getenv func(string) string) *API {
	return &API{client: awsjson.New(cfg, awsjson.SecretsManager, getenv)}
}

// GetSecret returns the secret's string value.
func (a *API) GetSecret(ctx context.Context, arn string) (string, error) {
	var out struct{ SecretString *string }
	if err := a.client.Call(ctx, "GetSecretValue", map[string]string{"SecretId": arn}, &out); err != nil {
		return "", err
	}
	if out.SecretString == nil {
		return "", nil
	}
	return *out.SecretString, nil
}
