package ingest_test

import (
	"strings"
	"testing"

	"github.com/nicechat-relay/nicechat-relay/shared/channels"
	"github.com/nicechat-relay/nicechat-relay/shared/ingest"
)

// routeEnvs are the event variables of every channel of shared/channels,
// in routing order: those ingest's generated routes read.
func routeEnvs() []string {
	var out []string
	for _, spec := range channels.All {
		for _, r := range spec.Routes {
			out = append(out, r.Env)
		}
	}
	return out
}

func TestLoadConfigNamesTheVariableAtFault(t *testing.T) {
	valid := map[string]string{
		"CALLBACK_TOKEN":       token,
		"QUARANTINE_QUEUE_URL": "https://sqs/q",
		"WEBHOOK_EVENTS":       "*",
		"WEBHOOK_QUEUE_URL":    "https://sqs/w",
	}
	tests := []struct {
		name    string
		change  map[string]string
		wantErr string // empty: valid
	}{
		{"the minimal valid configuration", nil, ""},
		{"token missing", map[string]string{"CALLBACK_TOKEN": ""}, "CALLBACK_TOKEN is required"},
		{"token too short", map[string]string{"CALLBACK_TOKEN": "short"}, "CALLBACK_TOKEN must be at least 24 characters"},
		{"token not URL-safe", map[string]string{"CALLBACK_TOKEN": "token/with/slashes-0123456789"}, "CALLBACK_TOKEN may only hold"},
		{"quarantine missing", map[string]string{"QUARANTINE_QUEUE_URL": ""}, "QUARANTINE_QUEUE_URL is required"},
		{"size not a number", map[string]string{"MAX_BODY_BYTES": "256k"}, "MAX_BODY_BYTES must be"},
		{"size over SQS's limit", map[string]string{"MAX_BODY_BYTES": "2000000"}, "MAX_BODY_BYTES must be"},
		{"no channel enabled", map[string]string{"WEBHOOK_EVENTS": ""}, "no channel is enabled: set at least one of " + strings.Join(routeEnvs(), ", ") + " (a comma list of event types, or *)"},
		{"webhook queue missing", map[string]string{"WEBHOOK_QUEUE_URL": ""}, "WEBHOOK_QUEUE_URL is required because WEBHOOK_EVENTS"},
		{"email queue missing", map[string]string{"EMAIL_HUMAN_EVENTS": "new_order"}, "EMAIL_QUEUE_URL is required because EMAIL_HUMAN_EVENTS"},
		{"slack queue missing", map[string]string{"SLACK_EVENTS": "first_message"}, "SLACK_QUEUE_URL is required because SLACK_EVENTS"},
		{"typo in an event list", map[string]string{"SLACK_EVENTS": "first_mesage", "SLACK_QUEUE_URL": "x"}, `SLACK_EVENTS: unknown event type "first_mesage"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			env := map[string]string{}
			for k, v := range valid {
				env[k] = v
			}
			for k, v := range tt.change {
				env[k] = v
			}
			_, err := ingest.LoadConfig(func(k string) string { return env[k] })
			switch {
			case tt.wantErr == "" && err != nil:
				t.Fatalf("unexpected error: %v", err)
			case tt.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tt.wantErr)):
				t.Fatalf("error %v, want it to contain %q", err, tt.wantErr)
			}
			if err != nil && strings.Contains(err.Error(), token) {
				t.Errorf("the error echoes the token")
			}
		})
	}
}

func TestLoadConfigDefaultsAndRoutes(t *testing.T) {
	env := map[string]string{
		"CALLBACK_TOKEN":       token,
		"QUARANTINE_QUEUE_URL": "q",
		"EMAIL_TECH_EVENTS":    " new_order , new_order,push_form ",
		"EMAIL_HUMAN_EVENTS":   "*,new_chat",
		"EMAIL_QUEUE_URL":      "e",
	}
	cfg, err := ingest.LoadConfig(func(k string) string { return env[k] })
	if err != nil {
		t.Fatal(err)
	}
	if cfg.MaxBodyBytes != 262144 {
		t.Errorf("MaxBodyBytes = %d, want the 262144 default", cfg.MaxBodyBytes)
	}
	if len(cfg.Routes) != 2 || cfg.Routes[0].Name() != "email:tech" || cfg.Routes[1].Name() != "email:human" {
		t.Fatalf("routes = %+v", cfg.Routes)
	}
	tech, human := cfg.Routes[0].Events, cfg.Routes[1].Events
	if len(tech.Types) != 2 || !tech.Has("new_order") || !tech.Has("push_form") || tech.Has("new_chat") {
		t.Errorf("tech events = %+v", tech)
	}
	if !human.All || !human.Has("some_future_event") {
		t.Errorf("* must select every type, even undocumented ones: %+v", human)
	}
}
