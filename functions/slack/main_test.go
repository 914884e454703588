package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"os"
	"os/exec"
	"strings"
	"testing"
)

// TestMain runs main itself when asked to, so that a test can watch the
// real binary's start-up fail.
func TestMain(m *testing.M) {
	if os.Getenv("RELAY_RUN_MAIN") == "1" {
		main()
		return
	}
	os.Exit(m.Run())
}

var validEnv = map[string]string{
	"SLACK_WEBHOOK_URL": "https://hooks.slack.com/services/T000/B000/XXXX",
	"QUEUE_URL":         "https://sqs.us-east-1.amazonaws.com/123456789012/src",
	"DLQ_URL":           "https://sqs.us-east-1.amazonaws.com/123456789012/dlq",
}

func without(name string) []string {
	var env []string
	for k, v := range validEnv {
		if k != name {
			env = append(env, k+"="+v)
		}
	}
	return env
}

func TestAConfigErrorIsOneJSONLineNamingTheVariable(t *testing.T) {
	tests := []struct {
		name    string
		env     []string
		wantErr string
	}{
		{"SLACK_WEBHOOK_URL missing", without("SLACK_WEBHOOK_URL"), "SLACK_WEBHOOK_URL is required"},
		{"QUEUE_URL missing", without("QUEUE_URL"), "QUEUE_URL is required"},
		{"DLQ_URL missing", without("DLQ_URL"), "DLQ_URL is required"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cmd := exec.Command(os.Args[0], "-test.run=^$")
			cmd.Env = append([]string{"RELAY_RUN_MAIN=1", "HOME=" + t.TempDir(), "AWS_EC2_METADATA_DISABLED=true"}, tt.env...)
			var stdout bytes.Buffer
			cmd.Stdout = &stdout
			err := cmd.Run()
			if exit := (*exec.ExitError)(nil); !errors.As(err, &exit) || exit.ExitCode() == 0 {
				t.Fatalf("exit: %v, want a non-zero exit code", err)
			}
			lines := strings.Split(strings.TrimSpace(stdout.String()), "\n")
			var line struct{ Level, Msg, Error string }
			if len(lines) != 1 || json.Unmarshal([]byte(lines[0]), &line) != nil {
				t.Fatalf("stdout = %q, want one JSON line", stdout.String())
			}
			if line.Level != "ERROR" || line.Error != tt.wantErr {
				t.Errorf("log line = %+v, want an ERROR %q", line, tt.wantErr)
			}
		})
	}
}

func TestSetupBuildsTheRuntimeFromTheEnvironment(t *testing.T) {
	rt, err := setup(context.Background(), func(k string) string { return validEnv[k] }, slog.New(slog.NewJSONHandler(io.Discard, nil)))
	if err != nil || rt == nil {
		t.Fatalf("setup: %v", err)
	}
}
