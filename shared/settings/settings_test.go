package settings_test

import (
	"bytes"
	"log/slog"
	"os"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/nicechat-relay/nicechat-relay/shared/channels"
	"github.com/nicechat-relay/nicechat-relay/shared/ingest"
	"github.com/nicechat-relay/nicechat-relay/shared/settings"
)

func TestAVariableATypoAwayFromASettingIsNamedWithTheSettingItMeant(t *testing.T) {
	tests := []struct {
		name    string
		environ []string
		want    []string
	}{
		{"two letters swapped", []string{"HUMANIZE_LANGAUGE=uk"}, []string{"HUMANIZE_LANGAUGE is not a setting; did you mean HUMANIZE_LANGUAGE?"}},
		{"a secret's name swapped", []string{"WEBHOOK_SECERT=whsec_abc"}, []string{"WEBHOOK_SECERT is not a setting; did you mean WEBHOOK_SECRET?"}},
		{"a letter missing", []string{"RELAY_ADR=127.0.0.1:8085"}, []string{"RELAY_ADR is not a setting; did you mean RELAY_ADDR?"}},
		{"a letter missing from a long name", []string{"SLACK_CHANEL=C123"}, []string{"SLACK_CHANEL is not a setting; did you mean SLACK_CHANNEL?"}},
		{"an underscore missing", []string{"TELEGRAM_CHATID=-100"}, []string{"TELEGRAM_CHATID is not a setting; did you mean TELEGRAM_CHAT_ID?"}},
		{"a secret's ARN misspelt", []string{"WEBHOOK_URL_SECRET_AN=arn:x"}, []string{"WEBHOOK_URL_SECRET_AN is not a setting; did you mean WEBHOOK_URL_SECRET_ARN?"}},
		{"several, in order, each once", []string{"RELAY_ADR=1", "HUMANIZE_LANGAUGE=uk", "RELAY_ADR=2"}, []string{
			"HUMANIZE_LANGAUGE is not a setting; did you mean HUMANIZE_LANGUAGE?",
			"RELAY_ADR is not a setting; did you mean RELAY_ADDR?",
		}},
		{"settings, spelt right", []string{"HUMANIZE_LANGUAGE=uk", "WEBHOOK_SECRET=x", "RELAY_ADDR=1", "CALLBACK_TOKEN_SECRET_ARN=arn"}, nil},
		{"another program's variables", []string{"AWS_REGION=eu-west-1", "PATH=/bin", "DISPLAY=:0", "HOME=/root", "AWS_LAMBDA_FUNCTION_NAME=f", "SLACK_APP_TOKEN=xapp", "SLACK_API_TOKEN=xoxp", "TELEGRAM_API_ID=1"}, nil},
		{"a word of ours, far from any setting", []string{"MAX_JOBS=4", "EMAIL=me@example.com", "QUEUE_DEPTH_LIMIT=9"}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got []string
			for _, m := range settings.Mistakes(tt.environ) {
				got = append(got, m.String())
			}
			if !slices.Equal(got, tt.want) {
				t.Errorf("Mistakes(%q) =\n%q\nwant\n%q", tt.environ, got, tt.want)
			}
		})
	}
}

func TestAWarningNamesTheVariableButNeverItsValue(t *testing.T) {
	var buf bytes.Buffer
	settings.Warn(slog.New(slog.NewJSONHandler(&buf, nil)), []string{"WEBHOOK_SECERT=whsec_s3cr3tvalue"})
	line := buf.String()
	if !strings.Contains(line, `"level":"WARN"`) || !strings.Contains(line, `"variable":"WEBHOOK_SECERT"`) || !strings.Contains(line, `"did_you_mean":"WEBHOOK_SECRET"`) {
		t.Errorf("warning = %s, want a WARN naming the variable and the setting", line)
	}
	if strings.Contains(line, "s3cr3t") {
		t.Errorf("warning %s carries the value", line)
	}
}

// The list is the settings the code reads: every channel's queue, dead
// letter queue and event-list variables, every secret setting, and every
// variable the README's configuration tables document.
func TestTheListHoldsEverySettingTheCodeAndTheREADMEName(t *testing.T) {
	names := map[string]bool{}
	for _, n := range settings.Names {
		if names[n] {
			t.Errorf("%s is listed twice", n)
		}
		names[n] = true
	}
	for _, spec := range channels.All {
		want := []string{spec.QueueEnv(), spec.DLQEnv()}
		for _, r := range spec.Routes {
			want = append(want, r.Env)
		}
		for _, n := range want {
			if !names[n] {
				t.Errorf("the %s channel's %s is not in settings.Names", spec.Name, n)
			}
		}
		for _, n := range spec.Secrets {
			if !slices.Contains(settings.SecretNames, n) {
				t.Errorf("the %s channel's secret %s is not in settings.SecretNames", spec.Name, n)
			}
		}
	}
	for _, n := range ingest.SecretSettings {
		if !slices.Contains(settings.SecretNames, n) {
			t.Errorf("ingest's secret %s is not in settings.SecretNames", n)
		}
	}
	for _, n := range settings.SecretNames {
		if !names[n] {
			t.Errorf("secret %s is not a setting", n)
		}
	}

	readme, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	text := string(readme)
	start := strings.Index(text, "\n## Configuration")
	end := strings.Index(text[start+1:], "\n## ")
	if start < 0 || end < 0 {
		t.Fatal("the README has no Configuration section")
	}
	variable := regexp.MustCompile("`([A-Z][A-Z0-9]*(?:_[A-Z0-9]+)+)`")
	documented := map[string]bool{}
	for _, line := range strings.Split(text[start:start+1+end], "\n") {
		cells := strings.Split(line, "|")
		if !strings.HasPrefix(line, "|") || len(cells) < 3 {
			continue
		}
		for _, m := range variable.FindAllStringSubmatch(cells[1], -1) {
			documented[m[1]] = true
			if !names[m[1]] {
				t.Errorf("the README's configuration documents %s, which settings.Names lacks", m[1])
			}
		}
	}
	if len(documented) < 20 {
		t.Fatalf("found %d variables in the README's configuration tables; the parser lost them", len(documented))
	}
	for n := range names {
		if !strings.Contains(text, "`"+n+"`") {
			t.Errorf("settings.Names has %s, which the README never names", n)
		}
	}
}
