package email

import (
	"slices"
	"strings"
	"testing"

	"github.com/nicechat-relay/nicechat-relay/shared/humane"
	"github.com/nicechat-relay/nicechat-relay/shared/humane/humanetest"
)

func TestConfigFromEnv(t *testing.T) {
	tooMany := strings.TrimSuffix(strings.Repeat("x@example.com,", 51), ",")
	tests := []struct {
		name    string
		env     map[string]string
		wantTo  []string
		wantErr string // the variable the error must name; "" means valid
	}{
		{name: "one recipient", env: map[string]string{"EMAIL_FROM": "relay@example.com", "EMAIL_TO": "owner@example.com"}, wantTo: []string{"owner@example.com"}},
		{name: "a list with names, spaces and a trailing comma", env: map[string]string{"EMAIL_FROM": "Relay <relay@example.com>", "EMAIL_TO": " a@example.com ,Shop Owner <b@example.com>, "}, wantTo: []string{"a@example.com", `"Shop Owner" <b@example.com>`}},
		{name: "a non-ASCII display name is MIME-encoded", env: map[string]string{"EMAIL_FROM": "relay@example.com", "EMAIL_TO": "Олена <olena@example.com>"}, wantTo: []string{"=?utf-8?q?=D0=9E=D0=BB=D0=B5=D0=BD=D0=B0?= <olena@example.com>"}},
		{name: "a configuration set", env: map[string]string{"EMAIL_FROM": "relay@example.com", "EMAIL_TO": "a@example.com", "EMAIL_CONFIGURATION_SET": "relay-events_1"}, wantTo: []string{"a@example.com"}},
		{name: "missing sender", env: map[string]string{"EMAIL_TO": "a@example.com"}, wantErr: "EMAIL_FROM is required"},
		{name: "sender that is not an address", env: map[string]string{"EMAIL_FROM": "relay", "EMAIL_TO": "a@example.com"}, wantErr: "EMAIL_FROM"},
		{name: "missing recipients", env: map[string]string{"EMAIL_FROM": "relay@example.com"}, wantErr: "EMAIL_TO is required"},
		{name: "only commas", env: map[string]string{"EMAIL_FROM": "relay@example.com", "EMAIL_TO": " , ,"}, wantErr: "EMAIL_TO is required"},
		{name: "one bad recipient in a list", env: map[string]string{"EMAIL_FROM": "relay@example.com", "EMAIL_TO": "a@example.com,not-an-address"}, wantErr: "EMAIL_TO"},
		{name: "a header smuggled into a recipient", env: map[string]string{"EMAIL_FROM": "relay@example.com", "EMAIL_TO": "a@example.com\r\nBcc: evil@example.com"}, wantErr: "EMAIL_TO"},
		{name: "a header smuggled into the sender", env: map[string]string{"EMAIL_FROM": "relay@example.com\nBcc: evil@example.com", "EMAIL_TO": "a@example.com"}, wantErr: "EMAIL_FROM"},
		{name: "more recipients than SES takes", env: map[string]string{"EMAIL_FROM": "relay@example.com", "EMAIL_TO": tooMany}, wantErr: "EMAIL_TO"},
		{name: "a configuration set name SES refuses", env: map[string]string{"EMAIL_FROM": "relay@example.com", "EMAIL_TO": "a@example.com", "EMAIL_CONFIGURATION_SET": "bad name!"}, wantErr: "EMAIL_CONFIGURATION_SET"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg, err := ConfigFromEnv(func(k string) string { return tt.env[k] })
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("ConfigFromEnv = %+v, %v; want an error naming %s", cfg, err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("ConfigFromEnv: %v", err)
			}
			if !slices.Equal(cfg.To, tt.wantTo) || cfg.ConfigurationSet != tt.env["EMAIL_CONFIGURATION_SET"] || cfg.Timeout != DefaultTimeout {
				t.Errorf("got To %q set %q timeout %v, want To %q set %q", cfg.To, cfg.ConfigurationSet, cfg.Timeout, tt.wantTo, tt.env["EMAIL_CONFIGURATION_SET"])
			}
			if err := cfg.Validate(); err != nil {
				t.Errorf("Validate rejects what ConfigFromEnv built: %v", err)
			}
		})
	}
}

func TestConfigFromEnvReadsTheHumaneSettings(t *testing.T) {
	humanetest.CheckSettings(t, humanetest.Settings{
		Env: env, Defaults: humane.Settings{Timeout: DefaultTimeout}, Required: map[string]string{EnvFrom: "relay@example.com", EnvTo: "a@example.com"},
		Read: func(getenv func(string) string) (humane.Settings, error) {
			c, err := ConfigFromEnv(getenv)
			return humane.Settings{Timeout: c.Timeout, Humanize: c.Humanize}, err
		},
	})
}

func TestValidateRejectsAConfigBuiltInCode(t *testing.T) {
	tests := []struct {
		name    string
		cfg     Config
		wantErr string
	}{
		{"no recipients", Config{From: "relay@example.com"}, "EMAIL_TO"},
		{"a recipient with a line break", Config{From: "relay@example.com", To: []string{"a@example.com\nBcc: b@example.com"}}, "EMAIL_TO"},
		{"no sender", Config{To: []string{"a@example.com"}}, "EMAIL_FROM"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := tt.cfg.Validate(); err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("Validate = %v, want an error naming %s", err, tt.wantErr)
			}
		})
	}
}
