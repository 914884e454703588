package main

import (
	"strings"
	"testing"
)

// A mistyped setting would leave the relay in English, unsigned or on
// the default port without a word: it names each such variable, and the
// setting meant, before it starts, never its value.
func TestTheRelayWarnsAboutAMistypedSettingAtStart(t *testing.T) {
	env := freeAddrs(t, map[string]string{
		"RELAY_DATA_DIR": t.TempDir(), "CALLBACK_TOKEN": testToken, "RELAY_EMAIL": "outbox",
		"HUMANIZE_LANGAUGE": "uk", "WEBHOOK_SECERT": "whsec_s3cr3tvalue", "RELAY_ADR": "127.0.0.1:1",
	})
	p := startProcess(t, env)
	out := p.out.String()
	for _, want := range []string{
		`"msg":"HUMANIZE_LANGAUGE is not a setting; did you mean HUMANIZE_LANGUAGE?"`,
		`"msg":"WEBHOOK_SECERT is not a setting; did you mean WEBHOOK_SECRET?"`,
		`"msg":"RELAY_ADR is not a setting; did you mean RELAY_ADDR?"`,
	} {
		if !strings.Contains(out, want) {
			t.Errorf("the relay's output lacks %s:\n%s", want, out)
		}
	}
	if strings.Contains(out, "s3cr3t") {
		t.Errorf("the relay's output carries a variable's value:\n%s", out)
	}
}
