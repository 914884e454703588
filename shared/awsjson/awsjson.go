// Package awsjson calls AWS APIs that speak JSON with signed HTTP requests:
// the JSON protocol (one POST with an X-Amz-Target header, DynamoDB's and
// Secrets Manager's) and REST-JSON (Lambda's). The functions make a handful
// of calls to DynamoDB, Lambda and Secrets Manager; the SDK's service
// packages would cost each binary about 1.6 MB and over a millisecond of
// package initialisation (their endpoint tables) for them. The signer
// (aws/signer/v4) is linked through SQS already.
//
// A Client does what the SDK's clients do around a call: the endpoint
// from the same settings, SigV4 signing, the standard retryer's attempts
// and backoff, and the error answer decoded into an *Error.
package awsjson

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
)

// Service is what a Client needs to know of an AWS service.
type Service struct {
	// SDKID is the service's id in the SDK ("Secrets Manager"): errors
	// name it, and its endpoint variable is AWS_ENDPOINT_URL_ followed by
	// it in upper case, spaces as _.
	SDKID string
	// SigningName signs requests and begins the regional host name.
	SigningName string
	// Target prefixes the operation in X-Amz-Target, and JSONVersion
	// ends the content type application/x-amz-json-<version>: the JSON
	// protocol only.
	Target, JSONVersion string
}

// The services the relay calls.
var (
	DynamoDB       = Service{SDKID: "DynamoDB", SigningName: "dynamodb", Target: "DynamoDB_20120810", JSONVersion: "1.0"}
	Lambda         = Service{SDKID: "Lambda", SigningName: "lambda"}
	SecretsManager = Service{SDKID: "Secrets Manager", SigningName: "secretsmanager", Target: "secretsmanager", JSONVersion: "1.1"}
)

// EnvEndpointURL points every service at one endpoint (a local server);
// Service.EndpointVariable one service, over it. The names are the SDK's.
const EnvEndpointURL = "AWS_ENDPOINT_URL"

// EndpointVariable is the variable that points the service alone at an
// endpoint: AWS_ENDPOINT_URL_SECRETS_MANAGER.
func (s Service) EndpointVariable() string {
	return EnvEndpointURL + "_" + strings.ReplaceAll(strings.ToUpper(s.SDKID), " ", "_")
}

// DefaultMaxAttempts and the backoff are the SDK's standard retryer's: a
// retry waits a random part of base×2^(retry-1), at most maxBackoff, where
// base is a second after throttling and 50 ms after any other failure.
const (
	DefaultMaxAttempts = 3
	maxBackoff         = 20 * time.Second
	baseDelay          = 50 * time.Millisecond
	throttleBaseDelay  = time.Second
	// maxAnswer bounds what is read of an answer: a DynamoDB item is at
	// most 400 KB, a page of event source mappings far less.
	maxAnswer = 8 << 20
)

// ErrNoCredentials means the configuration has no region or no
// credentials, so no call can be signed.
var ErrNoCredentials = errors.New("no AWS region or credentials")

// Client calls one service.
type Client struct {
	service     Service
	region      string
	credentials aws.CredentialsProvider // nil: unsigned (aws.AnonymousCredentials)
	noConfig    bool
	endpoint    string
	http        aws.HTTPClient
	signer      *v4.Signer
	maxAttempts int
	// backoff is the wait before the retry after attempt (1-based)
	// failed; tests shorten it.
	backoff func(attempt int, throttled bool) time.Duration
}

// New is a client of service with cfg's region, credentials, HTTP client
// and RetryMaxAttempts. Its endpoint is, as the SDK's would be, the
// service's own variable (AWS_ENDPOINT_URL_DYNAMODB, through getenv), the
// one cfg's configuration sources give the service, cfg.BaseEndpoint,
// AWS_ENDPOINT_URL, and otherwise the service's regional endpoint. getenv
// may be nil: a configuration from config.LoadDefaultConfig or
// shared/awsenv carries the endpoint settings already.
//
// The credentials are asked for at every attempt: the default chain's
// come cached (in an aws.CredentialsCache), shared/awsenv's are Lambda's
// static ones.
func New(cfg aws.Config, service Service, getenv func(string) string) *Client {
	if getenv == nil {
		getenv = func(string) string { return "" }
	}
	c := &Client{
		service:     service,
		region:      cfg.Region,
		credentials: cfg.Credentials,
		noConfig:    cfg.Credentials == nil || cfg.Region == "",
		endpoint:    strings.TrimSuffix(endpoint(cfg, service, getenv), "/"),
		http:        cfg.HTTPClient,
		signer:      v4.NewSigner(),
		maxAttempts: cfg.RetryMaxAttempts,
		backoff:     jitteredBackoff,
	}
	switch cfg.Credentials.(type) {
	case aws.AnonymousCredentials, *aws.AnonymousCredentials:
		c.credentials = nil
	}
	if c.http == nil {
		c.http = &http.Client{Timeout: 10 * time.Second}
	}
	if c.maxAttempts <= 0 {
		c.maxAttempts = DefaultMaxAttempts
	}
	return c
}

// serviceEndpoints is the SDK's configsources.ServiceBaseEndpointProvider:
// the default chain's shared configuration and shared/awsenv answer it.
type serviceEndpoints interface {
	GetServiceBaseEndpoint(ctx context.Context, sdkID string) (string, bool, error)
}

func endpoint(cfg aws.Config, service Service, getenv func(string) string) string {
	if v := strings.TrimSpace(getenv(service.EndpointVariable())); v != "" {
		return v
	}
	for _, source := range cfg.ConfigSources {
		if s, ok := source.(serviceEndpoints); ok {
			if v, found, err := s.GetServiceBaseEndpoint(context.Background(), service.SDKID); found && err == nil && v != "" {
				return v
			}
		}
	}
	if cfg.BaseEndpoint != nil && *cfg.BaseEndpoint != "" {
		return *cfg.BaseEndpoint
	}
	if v := strings.TrimSpace(getenv(EnvEndpointURL)); v != "" {
		return v
	}
	domain := "amazonaws.com"
	if strings.HasPrefix(cfg.Region, "cn-") {
		domain = "amazonaws.com.cn"
	}
	return "https://" + service.SigningName + "." + cfg.Region + "." + domain
}

// Endpoint is the base URL the client sends to.
func (c *Client) Endpoint() string { return c.endpoint }

// Call sends operation in the JSON protocol: in as the body, the answer
// decoded into out (either may be nil).
func (c *Client) Call(ctx context.Context, operation string, in, out any) error {
	if c.service.Target == "" {
		return fmt.Errorf("%s %s: the service does not speak the JSON protocol", c.service.SDKID, operation)
	}
	body, err := marshal(in)
	if err != nil {
		return fmt.Errorf("%s %s: %w", c.service.SDKID, operation, err)
	}
	if body == nil {
		body = []byte("{}") // an operation without parameters
	}
	header := http.Header{
		"Content-Type": {"application/x-amz-json-" + c.service.JSONVersion},
		"X-Amz-Target": {c.service.Target + "." + operation},
	}
	return c.send(ctx, operation, http.MethodPost, "/", nil, header, body, out)
}

// REST sends operation as REST-JSON: method on path (below the
// endpoint) with query, in (when not nil) as the JSON body, the answer
// decoded into out (when not nil).
func (c *Client) REST(ctx context.Context, operation, method, path string, query url.Values, in, out any) error {
	body, err := marshal(in)
	if err != nil {
		return fmt.Errorf("%s %s: %w", c.service.SDKID, operation, err)
	}
	header := http.Header{}
	if body != nil {
		header.Set("Content-Type", "application/json")
	}
	return c.send(ctx, operation, method, path, query, header, body, out)
}

func marshal(in any) ([]byte, error) {
	if in == nil {
		return nil, nil
	}
	return json.Marshal(in)
}

// send makes the attempts of one call.
func (c *Client) send(ctx context.Context, operation, method, path string, query url.Values, header http.Header, body []byte, out any) error {
	if c.noConfig {
		return fmt.Errorf("%s %s: %w", c.service.SDKID, operation, ErrNoCredentials)
	}
	u, err := url.Parse(c.endpoint)
	if err != nil || u.Host == "" {
		return fmt.Errorf("%s %s: the endpoint %q is not a URL", c.service.SDKID, operation, c.endpoint)
	}
	u.Path += path
	u.RawQuery = query.Encode()
	sum := sha256.Sum256(body) // of nothing for a request without a body
	payloadHash := hex.EncodeToString(sum[:])

	for attempt := 1; ; attempt++ {
		answer, err := c.attempt(ctx, operation, method, u.String(), header, body, payloadHash)
		if err == nil {
			if out == nil || len(bytes.TrimSpace(answer)) == 0 {
				return nil
			}
			if err := json.Unmarshal(answer, out); err != nil {
				return fmt.Errorf("%s %s: read the answer: %w", c.service.SDKID, operation, err)
			}
			return nil
		}
		retry, throttled := retryable(ctx, err)
		if !retry || attempt >= c.maxAttempts {
			return c.failed(operation, attempt, err)
		}
		wait := c.backoff(attempt, throttled)
		if deadline, ok := ctx.Deadline(); ok && time.Until(deadline) < wait {
			return c.failed(operation, attempt, err) // the retry could not finish in time
		}
		timer := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			timer.Stop()
			return c.failed(operation, attempt, err)
		case <-timer.C:
		}
	}
}

func (c *Client) failed(operation string, attempts int, err error) error {
	var apiErr *Error
	if errors.As(err, &apiErr) {
		return err // it names the service and the operation
	}
	if attempts > 1 {
		return fmt.Errorf("%s %s (%d attempts): %w", c.service.SDKID, operation, attempts, err)
	}
	return fmt.Errorf("%s %s: %w", c.service.SDKID, operation, err)
}

// attempt sends the request once, signed now, and returns the answer's
// body, or an *Error for an error answer.
func (c *Client) attempt(ctx context.Context, operation, method, target string, header http.Header, body []byte, payloadHash string) ([]byte, error) {
	var reader io.Reader
	if body != nil {
		reader = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, target, reader)
	if err != nil {
		return nil, err
	}
	for k, v := range header {
		req.Header[k] = v
	}
	req.Header.Set("User-Agent", "nicechat-relay awsjson")
	if c.credentials != nil {
		creds, err := c.credentials.Retrieve(ctx)
		if err != nil {
			return nil, fmt.Errorf("retrieve the AWS credentials: %w", noRetry{err})
		}
		// The signer adds X-Amz-Date and, for temporary credentials,
		// X-Amz-Security-Token. Like the SDK's DynamoDB, Lambda and Secrets
		// Manager clients, the payload's hash is signed but not sent as
		// X-Amz-Content-Sha256 (S3's header).
		if err := c.signer.SignHTTP(ctx, creds, req, payloadHash, c.service.SigningName, c.region, time.Now()); err != nil {
			return nil, noRetry{err}
		}
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	answer, err := io.ReadAll(io.LimitReader(resp.Body, maxAnswer))
	if err != nil {
		return nil, err
	}
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return nil, decodeError(c.service.SDKID, operation, resp, answer)
	}
	return answer, nil
}

// noRetry marks a failure before sending that trying again cannot mend.
type noRetry struct{ error }

func (e noRetry) Unwrap() error { return e.error }

// Error is an error answer from AWS.
type Error struct {
	Service    string // the SDK id: DynamoDB
	Operation  string // PutItem
	StatusCode int
	// Code is the error's name (ConditionalCheckFailedException), from
	// x-amzn-ErrorType or the body's __type or code, without the
	// namespace before # and anything after :.
	Code      string
	Message   string
	RequestID string
	// Body is the whole answer: some errors carry more
	// (DynamoDB's ConditionalCheckFailedException the item, under Item,
	// when asked for with ReturnValuesOnConditionCheckFailure ALL_OLD).
	Body []byte
}

func (e *Error) Error() string {
	msg := fmt.Sprintf("%s %s: HTTP %d", e.Service, e.Operation, e.StatusCode)
	if e.Code != "" {
		msg += " " + e.Code
	}
	if e.Message != "" {
		msg += ": " + e.Message
	}
	return msg
}

// HasCode reports whether err is an error answer with code.
func HasCode(err error, code string) bool {
	var e *Error
	return errors.As(err, &e) && e.Code == code
}

func decodeError(service, operation string, resp *http.Response, body []byte) *Error {
	var fields struct {
		Type         string `json:"__type"`
		Code         string `json:"code"`
		Message      string `json:"message"`
		UpperMessage string `json:"Message"`
		ErrorMessage string `json:"errorMessage"`
	}
	_ = json.Unmarshal(body, &fields) // an answer that is not JSON keeps its status
	code := resp.Header.Get("X-Amzn-ErrorType")
	if code == "" {
		code = fields.Code
	}
	if code == "" {
		code = fields.Type
	}
	if i := strings.Index(code, ":"); i >= 0 {
		code = code[:i]
	}
	if i := strings.LastIndex(code, "#"); i >= 0 {
		code = code[i+1:]
	}
	message := fields.Message
	if message == "" {
		message = fields.UpperMessage
	}
	if message == "" {
		message = fields.ErrorMessage
	}
	requestID := resp.Header.Get("X-Amzn-RequestId")
	if requestID == "" {
		requestID = resp.Header.Get("X-Amz-Request-Id")
	}
	return &Error{
		Service: service, Operation: operation, StatusCode: resp.StatusCode,
		Code: strings.TrimSpace(code), Message: message, RequestID: requestID, Body: body,
	}
}

// retryable says whether the standard retryer would try err's call
// again, and whether err is throttling (which backs off longer).
func retryable(ctx context.Context, err error) (retry, throttled bool) {
	if ctx.Err() != nil {
		return false, false
	}
	var apiErr *Error
	if !errors.As(err, &apiErr) {
		var before noRetry
		// The request did not get an answer: the connection failed.
		return !errors.As(err, &before), false
	}
	switch apiErr.Code {
	case "Throttling", "ThrottlingException", "ThrottledException", "RequestThrottledException",
		"TooManyRequestsException", "ProvisionedThroughputExceededException", "TransactionInProgressException",
		"RequestLimitExceeded", "BandwidthLimitExceeded", "LimitExceededException", "RequestThrottled",
		"SlowDown", "PriorRequestNotComplete", "EC2ThrottledException":
		return true, true
	case "RequestTimeout", "RequestTimeoutException":
		return true, false
	}
	switch apiErr.StatusCode {
	case http.StatusTooManyRequests:
		return true, true
	case http.StatusInternalServerError, http.StatusBadGateway, http.StatusServiceUnavailable, http.StatusGatewayTimeout:
		return true, false
	}
	return false, false
}

// jitteredBackoff is the standard retryer's: a random part of
// base×2^(attempt-1), capped.
func jitteredBackoff(attempt int, throttled bool) time.Duration {
	base := baseDelay
	if throttled {
		base = throttleBaseDelay
	}
	limit := maxBackoff
	if attempt-1 < 20 {
		limit = min(base<<(attempt-1), maxBackoff)
	}
	return time.Duration(rand.Float64() * float64(limit))
}
