// Package localaws runs the tests' AWS: a real SQS and SES API server on
// 127.0.0.1 (moto, which ships with the development image), reached by the
// ordinary SDK clients through a base endpoint. Test code only.
package localaws

import (
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	ddbtypes "github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	lambdatypes "github.com/aws/aws-sdk-go-v2/service/lambda/types"
	"github.com/aws/aws-sdk-go-v2/service/ses"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"
)

// EnvEndpoint, when set, names an already running server to use instead
// of starting one.
const EnvEndpoint = "RELAY_TEST_AWS_ENDPOINT"

// Region and the static credentials the local server accepts.
const (
	Region    = "us-east-1"
	AccessKey = "testing"
	SecretKey = "testing"
)

var (
	mu       sync.Mutex
	endpoint string
	server   *exec.Cmd
	proxy    *serializer
)

// Main runs a package's tests with a local AWS server started before them
// and stopped after: use it as `func TestMain(m *testing.M) { os.Exit(localaws.Main(m)) }`.
func Main(m *testing.M) int {
	defer Stop()
	return m.Run()
}

// Endpoint returns the base URL of the local AWS server, starting moto the
// first time it is needed, behind a proxy that serializes DynamoDB calls
// (see serializer). It fails the test with a clear message when
// moto is not installed.
func Endpoint(t testing.TB) string {
	t.Helper()
	mu.Lock()
	defer mu.Unlock()
	if endpoint != "" {
		return endpoint
	}
	upstream := os.Getenv(EnvEndpoint)
	if upstream == "" {
		e, cmd, err := startMoto()
		if err != nil {
			t.Fatalf("local AWS server: %v", err)
		}
		upstream, server = e, cmd
	}
	p, err := startSerializer(upstream)
	if err != nil {
		t.Fatalf("local AWS server's proxy: %v", err)
	}
	proxy, endpoint = p, p.url
	return endpoint
}

// Stop ends the server Endpoint started, if any.
func Stop() {
	mu.Lock()
	defer mu.Unlock()
	if proxy != nil {
		proxy.close()
	}
	if server != nil && server.Process != nil {
		_ = syscall.Kill(-server.Process.Pid, syscall.SIGTERM)
		_ = server.Wait()
	}
	server, proxy, endpoint = nil, nil, ""
}

// Env returns the environment variables that point the AWS SDK (and so a
// Lambda binary or relayctl run as a child process) at the local server.
func Env(t testing.TB) []string {
	return []string{
		"AWS_ENDPOINT_URL=" + Endpoint(t),
		"AWS_REGION=" + Region,
		"AWS_ACCESS_KEY_ID=" + AccessKey,
		"AWS_SECRET_ACCESS_KEY=" + SecretKey,
		"AWS_EC2_METADATA_DISABLED=true",
	}
}

// Config is an SDK configuration for the local server.
func Config(t testing.TB) aws.Config {
	return aws.Config{
		Region:       Region,
		Credentials:  credentials.NewStaticCredentialsProvider(AccessKey, SecretKey, ""),
		BaseEndpoint: aws.String(Endpoint(t)),
	}
}

// SQS is a client of the local SQS API.
func SQS(t testing.TB) *sqs.Client { return sqs.NewFromConfig(Config(t)) }

// SES is a client of the local SES API.
func SES(t testing.TB) *ses.Client { return ses.NewFromConfig(Config(t)) }

// DynamoDB is a client of the local DynamoDB API.
func DynamoDB(t testing.TB) *dynamodb.Client { return dynamodb.NewFromConfig(Config(t)) }

// IdempotencyTable creates a table named after the test the way
// template.yaml declares the idempotency table (partition key id, a
// string; on demand; TTL on expires_at) and returns its name.
func IdempotencyTable(t testing.TB) string {
	t.Helper()
	name := queueName(t.Name() + "-idempotency")
	ctx := context.Background()
	client := DynamoDB(t)
	_, err := client.CreateTable(ctx, &dynamodb.CreateTableInput{
		TableName:            aws.String(name),
		BillingMode:          ddbtypes.BillingModePayPerRequest,
		AttributeDefinitions: []ddbtypes.AttributeDefinition{{AttributeName: aws.String("id"), AttributeType: ddbtypes.ScalarAttributeTypeS}},
		KeySchema:            []ddbtypes.KeySchemaElement{{AttributeName: aws.String("id"), KeyType: ddbtypes.KeyTypeHash}},
	})
	if err != nil {
		t.Fatalf("create table %s: %v", name, err)
	}
	if _, err := client.UpdateTimeToLive(ctx, &dynamodb.UpdateTimeToLiveInput{
		TableName:               aws.String(name),
		TimeToLiveSpecification: &ddbtypes.TimeToLiveSpecification{AttributeName: aws.String("expires_at"), Enabled: aws.Bool(true)},
	}); err != nil {
		t.Fatalf("turn on TTL of %s: %v", name, err)
	}
	return name
}

// Lambda is a client of the local Lambda API (moto keeps functions and
// event source mappings but runs nothing).
func Lambda(t testing.TB) *lambda.Client { return lambda.NewFromConfig(Config(t)) }

// EventSourceMapping creates a function named after the test and an
// enabled SQS event source mapping from queueURL to it, as the template's
// consumer functions have, and returns the function's name.
func EventSourceMapping(t testing.TB, queueURL string) string {
	t.Helper()
	ctx := context.Background()
	name := queueName(t.Name() + "-fn")
	role, err := iam.NewFromConfig(Config(t)).CreateRole(ctx, &iam.CreateRoleInput{
		RoleName:                 aws.String(name),
		AssumeRolePolicyDocument: aws.String(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"lambda.amazonaws.com"},"Action":"sts:AssumeRole"}]}`),
	})
	if err != nil {
		t.Fatalf("create role %s: %v", name, err)
	}
	// A zip holding an empty bootstrap: moto stores it, nothing runs it.
	zip := []byte("PK\x05\x06\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00")
	client := Lambda(t)
	if _, err := client.CreateFunction(ctx, &lambda.CreateFunctionInput{
		FunctionName: aws.String(name), Role: role.Role.Arn, Runtime: lambdatypes.RuntimeProvidedal2023,
		Handler: aws.String("bootstrap"), Code: &lambdatypes.FunctionCode{ZipFile: zip},
	}); err != nil {
		t.Fatalf("create function %s: %v", name, err)
	}
	attrs, err := SQS(t).GetQueueAttributes(ctx, &sqs.GetQueueAttributesInput{QueueUrl: aws.String(queueURL), AttributeNames: []sqstypes.QueueAttributeName{sqstypes.QueueAttributeNameQueueArn}})
	if err != nil {
		t.Fatalf("read the ARN of %s: %v", queueURL, err)
	}
	if _, err := client.CreateEventSourceMapping(ctx, &lambda.CreateEventSourceMappingInput{
		FunctionName: aws.String(name), EventSourceArn: aws.String(attrs.Attributes[string(sqstypes.QueueAttributeNameQueueArn)]),
		BatchSize: aws.Int32(10), Enabled: aws.Bool(true),
	}); err != nil {
		t.Fatalf("create the event source mapping of %s: %v", name, err)
	}
	return name
}

// SentEmail is a message the local SES holds as sent.
type SentEmail struct {
	ID           string              `json:"id"`
	Source       string              `json:"source"`
	Subject      string              `json:"subject"`
	Body         string              `json:"body"`
	Destinations map[string][]string `json:"destinations"`
}

// SentEmails returns every message the local SES has sent with addr among
// its To addresses, read from moto's state (GET /moto-api/data.json).
func SentEmails(t testing.TB, addr string) []SentEmail {
	t.Helper()
	resp, err := http.Get(Endpoint(t) + "/moto-api/data.json")
	if err != nil {
		t.Fatalf("read moto state: %v", err)
	}
	defer resp.Body.Close()
	var state struct {
		SES struct {
			Message []SentEmail `json:"Message"`
		} `json:"ses"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&state); err != nil {
		t.Fatalf("decode moto state: %v", err)
	}
	var out []SentEmail
	for _, m := range state.SES.Message {
		if slices.Contains(m.Destinations["ToAddresses"], addr) {
			out = append(out, m)
		}
	}
	return out
}

// Queue creates a queue named after the test (so tests never share one)
// and returns its URL.
func Queue(t testing.TB, suffix string) string {
	t.Helper()
	name := queueName(t.Name() + "-" + suffix)
	out, err := SQS(t).CreateQueue(context.Background(), &sqs.CreateQueueInput{QueueName: aws.String(name)})
	if err != nil {
		t.Fatalf("create queue %s: %v", name, err)
	}
	return *out.QueueUrl
}

// queueName keeps the characters SQS allows and the 80-character limit,
// with a counter so that names stay unique after the cut.
func queueName(s string) string {
	mu.Lock()
	counter++
	n := counter
	mu.Unlock()
	var b strings.Builder
	for _, r := range s {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9', r == '-', r == '_':
			b.WriteRune(r)
		default:
			b.WriteRune('-')
		}
	}
	name := b.String()
	suffix := fmt.Sprintf("-%d", n)
	if len(name) > 80-len(suffix) {
		name = name[:80-len(suffix)]
	}
	return name + suffix
}

var counter int

func startMoto() (string, *exec.Cmd, error) {
	if _, err := exec.LookPath("python3"); err != nil {
		return "", nil, fmt.Errorf("python3 is not installed; the tests need moto (python3 -m moto.server) for SQS and SES")
	}
	if out, err := exec.Command("python3", "-c", "import moto.server").CombinedOutput(); err != nil {
		return "", nil, fmt.Errorf("moto is not installed (python3 -c 'import moto.server': %s); install it with: pip install 'moto[server]', or set %s to a running SQS/SES API", strings.TrimSpace(string(out)), EnvEndpoint)
	}
	addr, err := freeAddr()
	if err != nil {
		return "", nil, err
	}
	host, port, _ := net.SplitHostPort(addr)
	cmd := exec.Command("python3", "-m", "moto.server", "-H", host, "-p", port)
	cmd.SysProcAttr = ChildProcAttr()
	var logs strings.Builder
	cmd.Stdout, cmd.Stderr = &logs, &logs
	if err := cmd.Start(); err != nil {
		return "", nil, fmt.Errorf("start moto: %w", err)
	}
	url := "http://" + addr
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		resp, err := http.Get(url + "/moto-api/")
		if err == nil {
			resp.Body.Close()
			return url, cmd, nil
		}
		time.Sleep(100 * time.Millisecond)
	}
	_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
	_ = cmd.Wait()
	return "", nil, fmt.Errorf("moto did not answer on %s within 30s; its output:\n%s", url, logs.String())
}

// FreeAddr returns a 127.0.0.1 address nothing listens on, for a server a
// test starts as a child process, which must be told where to listen.
func FreeAddr(t testing.TB) string {
	t.Helper()
	addr, err := freeAddr()
	if err != nil {
		t.Fatal(err)
	}
	return addr
}

func freeAddr() (string, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", fmt.Errorf("find a free port: %w", err)
	}
	defer l.Close()
	return l.Addr().String(), nil
}
