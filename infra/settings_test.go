package infra_test

import (
	"context"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/nicechat-relay/nicechat-relay/shared/channels"
	"github.com/nicechat-relay/nicechat-relay/shared/settings"
)

// Every variable the template gives a function is a setting the relay
// knows, so a deployed function never warns about its own template, and
// the warnings it does give are about what a person typed.
func TestEveryVariableTheTemplateSetsIsAKnownSetting(t *testing.T) {
	tpl := loadTemplate(t)
	for _, params := range []map[string]string{allChannels, with("SlackWebhookUrl", "", "SlackBotToken", "xoxb-1-2-abc", "SlackChannel", "C0RELAY01")} {
		for _, fn := range newStack(t, tpl, params).functions() {
			for name := range fn.EnvRaw {
				if !settings.Known(name) && !strings.HasPrefix(name, "AWS_") {
					t.Errorf("%s sets %s, which is not a setting (settings.Names)", fn.ID, name)
				}
			}
		}
	}
}

// Each function, as built for Lambda, warns at start about a variable
// that looks like a mistyped setting, naming the one it likely meant and
// not its value, even when its configuration then stops it.
func TestEveryFunctionWarnsAboutAMistypedSettingAtStart(t *testing.T) {
	ids := []string{"IngestFunction"}
	for _, spec := range channels.All {
		ids = append(ids, spec.Title+"Function")
	}
	for _, id := range ids {
		t.Run(id, func(t *testing.T) {
			bootstrap := buildForHost(t, id)
			ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
			defer cancel()
			cmd := exec.CommandContext(ctx, bootstrap)
			cmd.Env = []string{"AWS_REGION=us-east-1", "HUMANIZE_LANGAUGE=uk", "WEBHOOK_SECERT=whsec_s3cr3tvalue"}
			out, _ := cmd.CombinedOutput() // it stops: nothing else is configured
			text := string(out)
			for _, want := range []string{`"did_you_mean":"HUMANIZE_LANGUAGE"`, `"did_you_mean":"WEBHOOK_SECRET"`} {
				if !strings.Contains(text, want) {
					t.Errorf("%s's output lacks %s:\n%s", id, want, text)
				}
			}
			if strings.Contains(text, "s3cr3t") {
				t.Errorf("%s's output carries a variable's value:\n%s", id, text)
			}
		})
	}
}
