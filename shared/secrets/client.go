package secrets

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
)

// API reads secrets from Secrets Manager with one signed GetSecretValue
// call. The functions read at most a few secrets once, at start: the SDK's
// Secrets Manager package would cost every binary its size and its
// package initialisation for that.
type API struct {
	cfg      aws.Config
	endpoint string
	http     *http.Client
}

var _ Client = (*API)(nil)

// EnvEndpoint and EnvEndpointURL point the client at another endpoint (a
// test's local server), as they do the SDK's.
const (
	EnvEndpoint    = "AWS_ENDPOINT_URL_SECRETS_MANAGER"
	EnvEndpointURL = "AWS_ENDPOINT_URL"
)

// NewAPI is a client in cfg's region with cfg's credentials; getenv gives
// the endpoint overrides.
func NewAPI(cfg aws.Config, getenv func(string) string) *API {
	endpoint := strings.TrimSpace(getenv(EnvEndpoint))
	if endpoint == "" {
		endpoint = strings.TrimSpace(getenv(EnvEndpointURL))
	}
	if endpoint == "" {
		endpoint = "https://secretsmanager." + cfg.Region + ".amazonaws.com"
	}
	return &API{cfg: cfg, endpoint: strings.TrimSuffix(endpoint, "/"), http: &http.Client{Timeout: 10 * time.Second}}
}

// GetSecret returns the secret's string value.
func (a *API) GetSecret(ctx context.Context, arn string) (string, error) {
	body, _ := json.Marshal(map[string]string{"SecretId": arn})
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, a.endpoint+"/", bytes.NewReader(body))
	if err != nil {
		return "", err
	}
	req.Header.Set("Content-Type", "application/x-amz-json-1.1")
	req.Header.Set("X-Amz-Target", "secretsmanager.GetSecretValue")
	if a.cfg.Credentials == nil {
		return "", fmt.Errorf("no AWS credentials")
	}
	creds, err := a.cfg.Credentials.Retrieve(ctx)
	if err != nil {
		return "", err
	}
	sum := sha256.Sum256(body)
	if err := v4.NewSigner().SignHTTP(ctx, creds, req, hex.EncodeToString(sum[:]), "secretsmanager", a.cfg.Region, time.Now()); err != nil {
		return "", err
	}
	resp, err := a.http.Do(req)
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	answer, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if resp.StatusCode != http.StatusOK {
		var e struct {
			Type    string `json:"__type"`
			Message string `json:"message"`
			Msg     string `json:"Message"`
		}
		_ = json.Unmarshal(answer, &e)
		code := e.Type[strings.LastIndex(e.Type, "#")+1:]
		return "", fmt.Errorf("Secrets Manager answered %d %s: %s%s", resp.StatusCode, code, e.Message, e.Msg)
	}
	var out struct{ SecretString *string }
	if err := json.Unmarshal(answer, &out); err != nil {
		return "", fmt.Errorf("read Secrets Manager's answer: %w", err)
	}
	if out.SecretString == nil {
		return "", nil
	}
	return *out.SecretString, nil
}
