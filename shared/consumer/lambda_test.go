package consumer_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
)

// consumerEnv is a valid configuration of each functions/<channel> main.
var consumerEnv = map[string]map[string]string{
	"webhook":  {"WEBHOOK_URL": "https://example.com/hook"},
	"email":    {"EMAIL_FROM": "relay@example.com", "EMAIL_TO": "owner@example.com"},
	"slack":    {"SLACK_WEBHOOK_URL": "https://hooks.slack.com/services/T000/B000/XXXX"},
	"telegram": {"TELEGRAM_BOT_TOKEN": "123456789:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw_", "TELEGRAM_CHAT_ID": "@shop_leads"},
}

var runtimeEnv = map[string]string{
	"QUEUE_URL":         "https://sqs.us-east-1.amazonaws.com/123456789012/src",
	"DLQ_URL":           "https://sqs.us-east-1.amazonaws.com/123456789012/dlq",
	"IDEMPOTENCY_TABLE": "nicechat-relay-IdempotencyTable",
}

// buildConsumerLambdas builds the real binaries, so the tests watch main
// itself start or fail.
func buildConsumerLambdas(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	args := []string{"build", "-o", dir + string(filepath.Separator)}
	for channel := range consumerEnv {
		args = append(args, "./functions/"+channel)
	}
	cmd := exec.Command("go", args...)
	cmd.Dir = filepath.Join("..", "..")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return dir
}

// startLambda runs a built consumer with env and no other variables but
// what keeps the AWS SDK off the network and the user's files.
func startLambda(t *testing.T, bin string, env map[string]string) (stdout string, err error) {
	t.Helper()
	cmd := exec.Command(bin)
	cmd.Env = []string{"HOME=" + t.TempDir(), "AWS_EC2_METADATA_DISABLED=true"}
	for k, v := range env {
		cmd.Env = append(cmd.Env, k+"="+v)
	}
	var out bytes.Buffer
	cmd.Stdout = &out
	err = cmd.Run()
	return out.String(), err
}

func TestAConsumerLambdaStartsOrLogsOneJSONLineNamingTheVariable(t *testing.T) {
	tests := []struct {
		channel string
		missing string // "" for a complete configuration
		wantErr string
	}{
		{"webhook", "", ""},
		{"webhook", "WEBHOOK_URL", "WEBHOOK_URL is required"},
		{"webhook", "QUEUE_URL", "QUEUE_URL is required"},
		{"webhook", "DLQ_URL", "DLQ_URL is required"},
		{"email", "", ""},
		{"email", "EMAIL_FROM", "EMAIL_FROM is required"},
		{"email", "EMAIL_TO", "EMAIL_TO is required: at least one address"},
		{"email", "QUEUE_URL", "QUEUE_URL is required"},
		{"email", "DLQ_URL", "DLQ_URL is required"},
		{"slack", "", ""},
		{"slack", "SLACK_WEBHOOK_URL", "SLACK_WEBHOOK_URL is required (or SLACK_BOT_TOKEN with SLACK_CHANNEL for one thread per visitor)"},
		{"slack", "QUEUE_URL", "QUEUE_URL is required"},
		{"slack", "DLQ_URL", "DLQ_URL is required"},
		{"telegram", "", ""},
		{"telegram", "TELEGRAM_BOT_TOKEN", "TELEGRAM_BOT_TOKEN is required"},
		{"telegram", "TELEGRAM_CHAT_ID", "TELEGRAM_CHAT_ID is required"},
		{"telegram", "QUEUE_URL", "QUEUE_URL is required"},
		// Without a table the consumer starts, at least once, and says so.
		{"webhook", "IDEMPOTENCY_TABLE", ""},
		{"slack", "IDEMPOTENCY_TABLE", ""},
	}
	dir := buildConsumerLambdas(t)
	for _, tt := range tests {
		name := tt.channel + "/configured"
		if tt.missing != "" {
			name = tt.channel + "/" + tt.missing + " missing"
		}
		t.Run(name, func(t *testing.T) {
			// The runtime API refuses the first poll, which ends the
			// process: a poll proves the consumer started.
			var mu sync.Mutex
			var polls []string
			api := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				mu.Lock()
				polls = append(polls, r.Method+" "+r.URL.Path)
				mu.Unlock()
				w.WriteHeader(http.StatusInternalServerError)
			}))
			defer api.Close()
			env := merge(consumerEnv[tt.channel], runtimeEnv)
			delete(env, tt.missing)
			env["AWS_LAMBDA_RUNTIME_API"] = strings.TrimPrefix(api.URL, "http://")

			stdout, err := startLambda(t, filepath.Join(dir, tt.channel), env)
			mu.Lock()
			defer mu.Unlock()
			if tt.missing == "" {
				if stdout != "" || len(polls) != 1 || polls[0] != "GET /2018-06-01/runtime/invocation/next" {
					t.Errorf("stdout = %q, runtime API saw %q; want no configuration error and one poll for the next invocation", stdout, polls)
				}
				return
			}
			if tt.missing == "IDEMPOTENCY_TABLE" {
				var line struct{ Level, Msg string }
				if strings.Count(stdout, "\n") != 1 || json.Unmarshal([]byte(stdout), &line) != nil || line.Level != "WARN" || !strings.Contains(line.Msg, "IDEMPOTENCY_TABLE is unset") || len(polls) != 1 {
					t.Errorf("stdout = %q, runtime API saw %q; want one WARN line that delivery is at least once, and a poll", stdout, polls)
				}
				return
			}
			if exit := (*exec.ExitError)(nil); !errors.As(err, &exit) || exit.ExitCode() != 1 {
				t.Fatalf("exit: %v, want exit code 1", err)
			}
			if len(polls) != 0 {
				t.Errorf("runtime API saw %q, want no poll from a consumer that cannot start", polls)
			}
			lines := strings.Split(strings.TrimSpace(stdout), "\n")
			var line struct{ Level, Msg, Error string }
			if len(lines) != 1 || json.Unmarshal([]byte(lines[0]), &line) != nil {
				t.Fatalf("stdout = %q, want one JSON line", stdout)
			}
			if line.Level != "ERROR" || line.Error != tt.wantErr {
				t.Errorf("log line = %+v, want an ERROR %q", line, tt.wantErr)
			}
		})
	}
}

func merge(maps ...map[string]string) map[string]string {
	out := map[string]string{}
	for _, m := range maps {
		for k, v := range m {
			out[k] = v
		}
	}
	return out
}
