package main

import (
	"bytes"
	"context"
	"os"
	"strings"
	"testing"

	"github.com/nicechat-relay/nicechat-relay/shared/localaws"
	"github.com/nicechat-relay/nicechat-relay/shared/localrelay"
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

// A relay started with CALLBACK_TOKEN keeps no token in its data
// directory: make demo, finding it running, says to give it the same
// token rather than to start the relay.
func TestDemoAsksForTheTokenARunningRelayWasGiven(t *testing.T) {
	dir := t.TempDir()
	if err := localrelay.Write(dir, localrelay.Info{PID: os.Getpid(), CallbackURL: "http://" + localaws.FreeAddr(t), AdminURL: "http://" + localaws.FreeAddr(t)}); err != nil {
		t.Fatal(err)
	}
	var out, errOut bytes.Buffer
	if code := demo(context.Background(), func(k string) string { return map[string]string{"RELAY_DATA_DIR": dir}[k] }, &out, &errOut); code != 1 {
		t.Fatalf("demo exited %d, want 1", code)
	}
	if !strings.Contains(errOut.String(), "give make demo the same CALLBACK_TOKEN") || strings.Contains(errOut.String(), "Start the relay first") {
		t.Errorf("demo's error = %s, want it to ask for the relay's CALLBACK_TOKEN", errOut.String())
	}
}
