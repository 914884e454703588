package awsjson

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	"github.com/aws/aws-sdk-go-v2/credentials"
)

const region = "eu-central-1"

// server is a local AWS endpoint answering each request in turn with the
// next of answers (the last one again once they run out), and keeping
// what it received.
type server struct {
	t       *testing.T
	url     string
	mu      sync.Mutex
	answers []answer
	got     []received
}

type answer struct {
	status int
	header map[string]string
	body   string
	hangUp bool // close the connection without answering
}

type received struct {
	method, path, query, body string
	header                    http.Header
	signatureHolds            bool
}

func newServer(t *testing.T, answers ...answer) *server {
	s := &server{t: t, answers: answers}
	ts := httptest.NewServer(http.HandlerFunc(s.serve))
	t.Cleanup(ts.Close)
	s.url = ts.URL
	return s
}

func (s *server) serve(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	s.mu.Lock()
	s.got = append(s.got, received{r.Method, r.URL.Path, r.URL.RawQuery, string(body), r.Header.Clone(), signatureHolds(r, body)})
	a := s.answers[min(len(s.got), len(s.answers))-1]
	s.mu.Unlock()
	if a.hangUp {
		conn, _, err := w.(http.Hijacker).Hijack()
		if err == nil {
			conn.Close()
		}
		return
	}
	for k, v := range a.header {
		w.Header().Set(k, v)
	}
	w.WriteHeader(a.status)
	_, _ = io.WriteString(w, a.body)
}

func (s *server) requests() []received {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]received(nil), s.got...)
}

var (
	static    = credentials.NewStaticCredentialsProvider("AKIDEXAMPLE", "secret", "")
	temporary = credentials.NewStaticCredentialsProvider("ASIAEXAMPLE", "secret", "session-token")
)

// signatureHolds signs the request as it arrived, with the headers its
// Authorization names, at the time it says, and compares: what the client
// signed is what it sent.
func signatureHolds(r *http.Request, body []byte) bool {
	auth := r.Header.Get("Authorization")
	_, signed, ok := strings.Cut(auth, "SignedHeaders=")
	if !ok {
		return false
	}
	signed, _, _ = strings.Cut(signed, ",")
	at, err := time.Parse("20060102T150405Z", r.Header.Get("X-Amz-Date"))
	if err != nil {
		return false
	}
	creds, _ := static.Retrieve(context.Background())
	if r.Header.Get("X-Amz-Security-Token") != "" {
		creds, _ = temporary.Retrieve(context.Background())
	}
	_, service, _ := strings.Cut(auth, "/"+region+"/")
	service, _, _ = strings.Cut(service, "/")

	again, _ := http.NewRequest(r.Method, "http://"+r.Host+r.URL.RequestURI(), nil)
	again.ContentLength = r.ContentLength
	for _, name := range strings.Split(signed, ";") {
		if name != "host" && name != "content-length" {
			again.Header.Set(name, r.Header.Get(name))
		}
	}
	sum := sha256.Sum256(body)
	if err := v4.NewSigner().SignHTTP(context.Background(), creds, again, hex.EncodeToString(sum[:]), service, region, at); err != nil {
		return false
	}
	return again.Header.Get("Authorization") == auth
}

// client is a client of service at s that does not wait between attempts,
// and the backoffs it asked for.
func client(s *server, service Service, cfg aws.Config) (*Client, *[]bool) {
	if cfg.Region == "" {
		cfg.Region = region
	}
	if cfg.Credentials == nil {
		cfg.Credentials = static
	}
	c := New(cfg, service, func(k string) string {
		if k == EnvEndpointURL {
			return s.url
		}
		return ""
	})
	var waits []bool
	c.backoff = func(_ int, throttled bool) time.Duration {
		waits = append(waits, throttled)
		return 0
	}
	return c, &waits
}

func TestACallIsSentInItsProtocolAndSigned(t *testing.T) {
	tests := []struct {
		name        string
		service     Service
		credentials aws.CredentialsProvider
		call        func(c *Client) error
		want        received // method, path, query, body
		header      map[string]string
	}{
		{
			name: "DynamoDB in JSON 1.0", service: DynamoDB, credentials: static,
			call: func(c *Client) error {
				return c.Call(context.Background(), "GetItem", map[string]any{"TableName": "t", "ConsistentRead": true}, nil)
			},
			want:   received{method: "POST", path: "/", body: `{"ConsistentRead":true,"TableName":"t"}`},
			header: map[string]string{"Content-Type": "application/x-amz-json-1.0", "X-Amz-Target": "DynamoDB_20120810.GetItem", "X-Amz-Security-Token": ""},
		},
		{
			name: "Secrets Manager in JSON 1.1, with a session token", service: SecretsManager, credentials: temporary,
			call: func(c *Client) error {
				return c.Call(context.Background(), "GetSecretValue", map[string]string{"SecretId": "arn:aws:secretsmanager:eu-central-1:1:secret:x"}, nil)
			},
			want:   received{method: "POST", path: "/", body: `{"SecretId":"arn:aws:secretsmanager:eu-central-1:1:secret:x"}`},
			header: map[string]string{"Content-Type": "application/x-amz-json-1.1", "X-Amz-Target": "secretsmanager.GetSecretValue", "X-Amz-Security-Token": "session-token"},
		},
		{
			name: "a JSON operation without parameters sends an empty object", service: DynamoDB, credentials: static,
			call:   func(c *Client) error { return c.Call(context.Background(), "ListTables", nil, nil) },
			want:   received{method: "POST", path: "/", body: `{}`},
			header: map[string]string{"Content-Type": "application/x-amz-json-1.0", "X-Amz-Target": "DynamoDB_20120810.ListTables"},
		},
		{
			name: "Lambda's REST GET with a query", service: Lambda, credentials: temporary,
			call: func(c *Client) error {
				q := url.Values{"FunctionName": {"relay-Webhook:live"}, "Marker": {"next page/2"}}
				return c.REST(context.Background(), "ListEventSourceMappings", http.MethodGet, "/2015-03-31/event-source-mappings/", q, nil, nil)
			},
			want:   received{method: "GET", path: "/2015-03-31/event-source-mappings/", query: "FunctionName=relay-Webhook%3Alive&Marker=next%20page%2F2"},
			header: map[string]string{"Content-Type": "", "X-Amz-Target": "", "X-Amz-Security-Token": "session-token"},
		},
		{
			name: "Lambda's REST PUT with a body", service: Lambda, credentials: static,
			call: func(c *Client) error {
				return c.REST(context.Background(), "UpdateEventSourceMapping", http.MethodPut, "/2015-03-31/event-source-mappings/a1b2-c3", nil, struct{ Enabled bool }{false}, nil)
			},
			want:   received{method: "PUT", path: "/2015-03-31/event-source-mappings/a1b2-c3", body: `{"Enabled":false}`},
			header: map[string]string{"Content-Type": "application/json", "X-Amz-Target": ""},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := newServer(t, answer{status: 200, body: `{}`})
			c, _ := client(s, tt.service, aws.Config{Credentials: tt.credentials})
			if err := tt.call(c); err != nil {
				t.Fatal(err)
			}
			got := s.requests()
			if len(got) != 1 {
				t.Fatalf("%d requests, want 1", len(got))
			}
			r := got[0]
			if r.method != tt.want.method || r.path != tt.want.path || r.query != tt.want.query || r.body != tt.want.body {
				t.Errorf("request %s %s?%s %s, want %s %s?%s %s", r.method, r.path, r.query, r.body, tt.want.method, tt.want.path, tt.want.query, tt.want.body)
			}
			for k, want := range tt.header {
				if v := r.header.Get(k); v != want {
					t.Errorf("%s: %q, want %q", k, v, want)
				}
			}
			auth := r.header.Get("Authorization")
			if !strings.HasPrefix(auth, "AWS4-HMAC-SHA256 Credential=") || !strings.Contains(auth, "/"+region+"/"+tt.service.SigningName+"/aws4_request") || r.header.Get("X-Amz-Date") == "" {
				t.Errorf("Authorization %q, X-Amz-Date %q; want a SigV4 signature for %s in %s", auth, r.header.Get("X-Amz-Date"), tt.service.SigningName, region)
			}
			if !r.signatureHolds {
				t.Error("the signature does not hold for the request as it arrived")
			}
		})
	}
}

func TestAnAnswerIsDecodedIntoOut(t *testing.T) {
	s := newServer(t, answer{status: 200, body: `{"Item":{"id":{"S":"evt_1#slack"}},"Other":1}`})
	c, _ := client(s, DynamoDB, aws.Config{})
	var out struct{ Item map[string]map[string]string }
	if err := c.Call(context.Background(), "GetItem", map[string]string{}, &out); err != nil {
		t.Fatal(err)
	}
	if out.Item["id"]["S"] != "evt_1#slack" {
		t.Errorf("out = %+v", out)
	}
}

func TestAnErrorAnswerBecomesAnError(t *testing.T) {
	const item = `{"id":{"S":"evt_1#slack"},"state":{"S":"delivered"}}`
	tests := []struct {
		name    string
		service Service
		answer  answer
		want    Error
	}{
		{
			name: "DynamoDB's condition failure with the item", service: DynamoDB,
			answer: answer{status: 400, header: map[string]string{"X-Amzn-RequestId": "req-1"},
				body: `{"__type":"com.amazonaws.dynamodb.v20120810#ConditionalCheckFailedException","message":"The conditional request failed","Item":` + item + `}`},
			want: Error{Service: "DynamoDB", Operation: "Op", StatusCode: 400, Code: "ConditionalCheckFailedException", Message: "The conditional request failed", RequestID: "req-1"},
		},
		{
			name: "Lambda's error type in a header", service: Lambda,
			answer: answer{status: 404, header: map[string]string{"X-Amzn-ErrorType": "ResourceNotFoundException:http://internal.amazon.com/coral/com.amazonaws.lambda/"},
				body: `{"Type":"User","Message":"Function not found: arn:aws:lambda:eu-central-1:1:function:x"}`},
			want: Error{Service: "Lambda", Operation: "Op", StatusCode: 404, Code: "ResourceNotFoundException", Message: "Function not found: arn:aws:lambda:eu-central-1:1:function:x"},
		},
		{
			name: "Secrets Manager's Message", service: SecretsManager,
			answer: answer{status: 400, body: `{"__type":"ResourceNotFoundException","Message":"Secrets Manager can't find the specified secret."}`},
			want:   Error{Service: "Secrets Manager", Operation: "Op", StatusCode: 400, Code: "ResourceNotFoundException", Message: "Secrets Manager can't find the specified secret."},
		},
		{
			name: "a code field", service: DynamoDB,
			answer: answer{status: 400, body: `{"code":"ValidationException","message":"One or more parameter values were invalid"}`},
			want:   Error{Service: "DynamoDB", Operation: "Op", StatusCode: 400, Code: "ValidationException", Message: "One or more parameter values were invalid"},
		},
		{
			name: "an answer that is not JSON", service: Lambda,
			answer: answer{status: 403, body: `<html>Forbidden</html>`},
			want:   Error{Service: "Lambda", Operation: "Op", StatusCode: 403},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := newServer(t, tt.answer)
			c, _ := client(s, tt.service, aws.Config{})
			var err error
			if tt.service.Target != "" {
				err = c.Call(context.Background(), "Op", map[string]string{}, nil)
			} else {
				err = c.REST(context.Background(), "Op", http.MethodGet, "/", nil, nil, nil)
			}
			var got *Error
			if !errors.As(err, &got) {
				t.Fatalf("error %v, want an *Error", err)
			}
			if string(got.Body) != tt.answer.body {
				t.Errorf("Body %q, want the whole answer", got.Body)
			}
			got.Body = nil
			if !reflect.DeepEqual(*got, tt.want) {
				t.Errorf("error %+v, want %+v", *got, tt.want)
			}
			if !HasCode(err, tt.want.Code) || (tt.want.Code != "" && HasCode(err, "Other")) {
				t.Errorf("HasCode(%q) does not hold", tt.want.Code)
			}
			if want := tt.want.Service + " Op: HTTP"; !strings.HasPrefix(err.Error(), want) {
				t.Errorf("message %q, want it to begin %q", err, want)
			}
		})
	}
}

func TestFailuresAreRetriedAsTheSDKsStandardRetryerDoes(t *testing.T) {
	ok := answer{status: 200, body: `{}`}
	throttled := answer{status: 400, body: `{"__type":"com.amazonaws.dynamodb.v20120810#ThrottlingException","message":"Rate exceeded"}`}
	tests := []struct {
		name        string
		maxAttempts int // cfg.RetryMaxAttempts
		answers     []answer
		attempts    int
		waits       []bool // the backoffs asked for: throttled or not
		wantErr     string
	}{
		{"a 500 then success", 0, []answer{{status: 500}, ok}, 2, []bool{false}, ""},
		{"a 502 and a 504 then success", 0, []answer{{status: 502}, {status: 504}, ok}, 3, []bool{false, false}, ""},
		{"throttling waits longer", 0, []answer{throttled, ok}, 2, []bool{true}, ""},
		{"a 429 is throttling", 0, []answer{{status: 429}, ok}, 2, []bool{true}, ""},
		{"a dropped connection", 0, []answer{{hangUp: true}, ok}, 2, []bool{false}, ""},
		{"three 503s are the end", 0, []answer{{status: 503}}, 3, []bool{false, false}, "HTTP 503"},
		{"dropped three times", 0, []answer{{hangUp: true}}, 3, []bool{false, false}, "(3 attempts)"},
		{"a client error is not retried", 0, []answer{{status: 400, body: `{"__type":"ValidationException"}`}}, 1, nil, "ValidationException"},
		{"a condition failure is not retried", 0, []answer{{status: 400, body: `{"__type":"x#ConditionalCheckFailedException"}`}}, 1, nil, "ConditionalCheckFailedException"},
		{"RetryMaxAttempts 1 tries once", 1, []answer{{status: 500}}, 1, nil, "HTTP 500"},
		{"RetryMaxAttempts 5 tries five times", 5, []answer{{status: 500}}, 5, []bool{false, false, false, false}, "HTTP 500"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := newServer(t, tt.answers...)
			c, waits := client(s, DynamoDB, aws.Config{RetryMaxAttempts: tt.maxAttempts})
			err := c.Call(context.Background(), "PutItem", map[string]string{"TableName": "t"}, nil)
			if (err == nil) != (tt.wantErr == "") || err != nil && !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("error %v, want %q", err, tt.wantErr)
			}
			got := s.requests()
			if len(got) != tt.attempts {
				t.Errorf("%d attempts, want %d", len(got), tt.attempts)
			}
			for i, r := range got {
				if r.body != `{"TableName":"t"}` || !r.signatureHolds {
					t.Errorf("attempt %d: body %q, signature holds %v; want each attempt whole and signed", i+1, r.body, r.signatureHolds)
				}
			}
			if len(*waits) != len(tt.waits) {
				t.Fatalf("backoffs %v, want %v", *waits, tt.waits)
			}
			for i := range tt.waits {
				if (*waits)[i] != tt.waits[i] {
					t.Errorf("backoffs %v, want %v", *waits, tt.waits)
				}
			}
		})
	}
}

func TestARetryThatCannotFinishBeforeTheDeadlineIsNotMade(t *testing.T) {
	s := newServer(t, answer{status: 503})
	c, _ := client(s, DynamoDB, aws.Config{})
	c.backoff = func(int, bool) time.Duration { return time.Hour }
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	err := c.Call(ctx, "PutItem", map[string]string{}, nil)
	var answered *Error
	if !errors.As(err, &answered) || answered.StatusCode != http.StatusServiceUnavailable || len(s.requests()) != 1 {
		t.Errorf("error %v after %d attempts, want the 503 after one", err, len(s.requests()))
	}
}

func TestACanceledCallStopsWaitingToRetry(t *testing.T) {
	s := newServer(t, answer{status: 503})
	c, _ := client(s, DynamoDB, aws.Config{})
	ctx, cancel := context.WithCancel(context.Background())
	c.backoff = func(int, bool) time.Duration { cancel(); return time.Hour }
	done := make(chan error, 1)
	go func() { done <- c.Call(ctx, "PutItem", map[string]string{}, nil) }()
	select {
	case err := <-done:
		if err == nil || len(s.requests()) != 1 {
			t.Errorf("error %v after %d attempts, want the 503 after one", err, len(s.requests()))
		}
	case <-time.After(time.Minute):
		t.Fatal("the call waited out its backoff after its context was canceled")
	}
}

func TestTheBackoffIsJitteredExponentialAndCapped(t *testing.T) {
	tests := []struct {
		attempt   int
		throttled bool
		limit     time.Duration
	}{
		{1, false, 50 * time.Millisecond},
		{2, false, 100 * time.Millisecond},
		{3, false, 200 * time.Millisecond},
		{1, true, time.Second},
		{2, true, 2 * time.Second},
		{6, true, 20 * time.Second},
		{64, true, 20 * time.Second},
	}
	for _, tt := range tests {
		distinct := map[time.Duration]bool{}
		for range 200 {
			d := jitteredBackoff(tt.attempt, tt.throttled)
			if d < 0 || d >= tt.limit {
				t.Fatalf("backoff after attempt %d (throttled %v) = %s, want within [0, %s)", tt.attempt, tt.throttled, d, tt.limit)
			}
			distinct[d] = true
		}
		if len(distinct) < 100 {
			t.Errorf("backoff after attempt %d: %d distinct values of 200, want jitter", tt.attempt, len(distinct))
		}
	}
}

func TestTheEndpointComesFromTheSDKsSettingsInTheSDKsOrder(t *testing.T) {
	const own, all, base, source = "http://127.0.0.1:5000", "http://127.0.0.1:4566", "http://127.0.0.1:7000/", "http://127.0.0.1:6000"
	tests := []struct {
		name    string
		service Service
		region  string
		env     map[string]string
		cfg     aws.Config
		want    string
	}{
		{"the regional endpoint", DynamoDB, "eu-central-1", nil, aws.Config{}, "https://dynamodb.eu-central-1.amazonaws.com"},
		{"Lambda's", Lambda, "us-east-1", nil, aws.Config{}, "https://lambda.us-east-1.amazonaws.com"},
		{"Secrets Manager's", SecretsManager, "eu-west-1", nil, aws.Config{}, "https://secretsmanager.eu-west-1.amazonaws.com"},
		{"in China", DynamoDB, "cn-north-1", nil, aws.Config{}, "https://dynamodb.cn-north-1.amazonaws.com.cn"},
		{"AWS_ENDPOINT_URL", DynamoDB, region, map[string]string{"AWS_ENDPOINT_URL": all}, aws.Config{}, all},
		{"the service's variable over it", DynamoDB, region, map[string]string{"AWS_ENDPOINT_URL": all, "AWS_ENDPOINT_URL_DYNAMODB": own}, aws.Config{}, own},
		{"a name with a space", SecretsManager, region, map[string]string{"AWS_ENDPOINT_URL": all, "AWS_ENDPOINT_URL_SECRETS_MANAGER": own}, aws.Config{}, own},
		{"another service's variable is not its", Lambda, region, map[string]string{"AWS_ENDPOINT_URL": all, "AWS_ENDPOINT_URL_DYNAMODB": own}, aws.Config{}, all},
		{"cfg.BaseEndpoint, without its slash", Lambda, region, nil, aws.Config{BaseEndpoint: aws.String(base)}, strings.TrimSuffix(base, "/")},
		{"the configuration sources' endpoint for the service", Lambda, region, map[string]string{"AWS_ENDPOINT_URL": all},
			aws.Config{BaseEndpoint: aws.String(base), ConfigSources: []any{"not a source", sources{"Lambda": source}}}, source},
		{"but not another service's", DynamoDB, region, nil, aws.Config{BaseEndpoint: aws.String(base), ConfigSources: []any{sources{"Lambda": source}}}, strings.TrimSuffix(base, "/")},
		{"the service's variable first", Lambda, region, map[string]string{"AWS_ENDPOINT_URL_LAMBDA": own}, aws.Config{ConfigSources: []any{sources{"Lambda": source}}}, own},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.cfg.Region = tt.region
			c := New(tt.cfg, tt.service, func(k string) string { return tt.env[k] })
			if got := c.Endpoint(); got != tt.want {
				t.Errorf("endpoint %q, want %q", got, tt.want)
			}
		})
	}
}

// sources answers as the SDK's shared configuration does for the
// services' endpoints.
type sources map[string]string

func (s sources) GetServiceBaseEndpoint(_ context.Context, sdkID string) (string, bool, error) {
	v, ok := s[sdkID]
	return v, ok, nil
}

func TestWithoutRegionOrCredentialsNothingIsSent(t *testing.T) {
	for _, cfg := range []aws.Config{{}, {Region: region}, {Credentials: static}} {
		s := newServer(t, answer{status: 200, body: `{}`})
		c := New(cfg, DynamoDB, func(string) string { return s.url })
		if err := c.Call(context.Background(), "GetItem", map[string]string{}, nil); !errors.Is(err, ErrNoCredentials) || len(s.requests()) != 0 {
			t.Errorf("config %+v: error %v, %d requests; want ErrNoCredentials and none", cfg, err, len(s.requests()))
		}
	}
}

func TestAnonymousCredentialsSendUnsigned(t *testing.T) {
	s := newServer(t, answer{status: 200, body: `{}`})
	c, _ := client(s, Lambda, aws.Config{Credentials: aws.AnonymousCredentials{}})
	if err := c.REST(context.Background(), "ListEventSourceMappings", http.MethodGet, "/", nil, nil, nil); err != nil {
		t.Fatal(err)
	}
	if auth := s.requests()[0].header.Get("Authorization"); auth != "" {
		t.Errorf("Authorization %q, want none", auth)
	}
}

func TestAFailingCredentialsProviderIsNotRetried(t *testing.T) {
	s := newServer(t, answer{status: 200, body: `{}`})
	fail := aws.CredentialsProviderFunc(func(context.Context) (aws.Credentials, error) {
		return aws.Credentials{}, errors.New("SSO session expired")
	})
	c, waits := client(s, Lambda, aws.Config{Credentials: fail})
	err := c.REST(context.Background(), "ListEventSourceMappings", http.MethodGet, "/", nil, nil, nil)
	if err == nil || !strings.Contains(err.Error(), "SSO session expired") || len(*waits) != 0 || len(s.requests()) != 0 {
		t.Errorf("error %v, %d backoffs, %d requests; want the provider's error at once", err, len(*waits), len(s.requests()))
	}
}
