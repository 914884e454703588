package ingest_test

import (
	"encoding/json"
	"strings"
	"testing"

	fixtures "github.com/nicechat-relay/nicechat-relay/events"
	"github.com/nicechat-relay/nicechat-relay/shared/ingest"
)

// previousToken is the token a rotation replaces.
const previousToken = "old-token-9876543210-zyxwvuts"

// During a rotation ingest takes the new token and the old one, logs which
// one a callback carried (never the token), and takes nothing else.
func TestCallbacksCarryingThePreviousTokenAreAcceptedDuringARotation(t *testing.T) {
	tests := []struct {
		name         string
		previous     string // CALLBACK_TOKEN_PREVIOUS
		token        string // in the callback's URL
		wantStatus   int
		wantPrevious bool // a line with "token":"previous"
	}{
		{"the current token, with no rotation under way", "", token, 202, false},
		{"the current token, during a rotation", previousToken, token, 202, false},
		{"the previous token, during a rotation", previousToken, previousToken, 202, true},
		{"the previous token once the rotation is over", "", previousToken, 401, false},
		{"neither token", previousToken, "not-a-token-of-this-relay-0123", 401, false},
		{"the previous token with a character more", previousToken, previousToken + "x", 401, false},
		{"an empty token, with no previous token set", "", "", 401, false},
		{"an empty token, during a rotation", previousToken, "", 401, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := newRelay(t, map[string]string{ingest.EnvCallbackTokenPrevious: tt.previous})
			resp := r.post(t, tt.token, fixtures.Body("first_message"), false)
			if resp.StatusCode != tt.wantStatus {
				t.Fatalf("status %d %s, want %d", resp.StatusCode, resp.Body, tt.wantStatus)
			}
			queued := len(r.drain(t, "webhook"))
			if want := map[bool]int{true: 1}[tt.wantStatus == 202]; queued != want {
				t.Errorf("%d events queued, want %d", queued, want)
			}
			logs := r.logs.String()
			if got := previousLines(t, logs); got != map[bool]int{true: 1}[tt.wantPrevious] {
				t.Errorf("%d log lines name the previous token, want %d:\n%s", got, map[bool]int{true: 1}[tt.wantPrevious], logs)
			}
			if strings.Contains(logs, previousToken) {
				t.Errorf("the previous token appears in the logs:\n%s", logs)
			}
		})
	}
}

// previousLines counts the log lines saying a callback carried the
// previous token.
func previousLines(t *testing.T, logs string) int {
	t.Helper()
	n := 0
	for line := range strings.Lines(logs) {
		var entry map[string]any
		if err := json.Unmarshal([]byte(line), &entry); err != nil {
			t.Fatalf("a log line is not JSON: %q", line)
		}
		if entry["token"] == "previous" {
			n++
		}
	}
	return n
}

func TestAPreviousTokenIsHeldToTheCurrentOnesRules(t *testing.T) {
	tests := []struct {
		name     string
		previous string
		wantErr  string // empty: accepted
	}{
		{"unset", "", ""},
		{"a valid token", previousToken, ""},
		{"too short", "short-old", "CALLBACK_TOKEN_PREVIOUS must be at least 24 characters"},
		{"not URL-safe", "old/token/with/slashes-0123456789", "CALLBACK_TOKEN_PREVIOUS may only hold"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			env := map[string]string{
				ingest.EnvCallbackToken: token, ingest.EnvCallbackTokenPrevious: tt.previous,
				"QUARANTINE_QUEUE_URL": "q", "WEBHOOK_EVENTS": "*", "WEBHOOK_QUEUE_URL": "w",
			}
			cfg, err := ingest.LoadConfig(func(k string) string { return env[k] })
			switch {
			case tt.wantErr == "" && err != nil:
				t.Fatalf("refused: %v", err)
			case tt.wantErr == "" && cfg.PreviousToken != tt.previous:
				t.Errorf("PreviousToken = %q, want %q", cfg.PreviousToken, tt.previous)
			case tt.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tt.wantErr)):
				t.Fatalf("error %v, want one containing %q", err, tt.wantErr)
			}
			if err != nil && tt.previous != "" && strings.Contains(err.Error(), tt.previous) {
				t.Errorf("the error echoes the token: %v", err)
			}
		})
	}
}
