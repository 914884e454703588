package main

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudformation"

	"github.com/nicechat-relay/nicechat-relay/shared/localaws"
)

// stateOf is the STATE column of a channel in `channel status` output.
func stateOf(out, channel string) string {
	for _, line := range strings.Split(out, "\n") {
		if f := strings.Fields(line); len(f) >= 2 && f[0] == channel {
			if f[1] == "not" {
				return "not deployed"
			}
			return f[1]
		}
	}
	return ""
}

func TestChannelPauseAndResumeOnAStack(t *testing.T) {
	useLocalAWS(t)
	queue := localaws.Queue(t, "src")
	fn := localaws.EventSourceMapping(t, queue)
	name := fmt.Sprintf("relay-%d", time.Now().UnixNano())
	template := map[string]any{
		"Resources": map[string]any{"Placeholder": map[string]any{"Type": "AWS::CloudFormation::WaitConditionHandle"}},
		"Outputs": map[string]any{
			"SlackFunctionName": map[string]any{"Value": fn},
			"SlackQueueUrl":     map[string]any{"Value": queue},
		},
	}
	body, _ := json.Marshal(template)
	if _, err := cloudformation.NewFromConfig(localaws.Config(t)).CreateStack(context.Background(), &cloudformation.CreateStackInput{StackName: aws.String(name), TemplateBody: aws.String(string(body))}); err != nil {
		t.Fatalf("create stack: %v", err)
	}

	for _, step := range []struct {
		args []string
		want string
	}{
		{[]string{"status"}, "Enabled"},
		{[]string{"pause", "--channel", "slack"}, "Disabled"},
		{[]string{"status", "--channel", "slack"}, "Disabled"},
		{[]string{"pause", "--channel", "slack"}, "Disabled"}, // again: no error
		{[]string{"resume", "--channel", "slack"}, "Enabled"},
	} {
		out := relayctl(append(append([]string{"channel"}, step.args...), "--stack", name)...).must(t)
		if got := stateOf(out.stdout, "slack"); got != step.want {
			t.Errorf("channel %v: slack is %q, want %s:\n%s", step.args, got, step.want, out.stdout)
		}
	}
	if out := relayctl("channel", "status", "--stack", name).must(t); stateOf(out.stdout, "webhook") != "not deployed" {
		t.Errorf("a channel without outputs is shown as %q, want not deployed:\n%s", stateOf(out.stdout, "webhook"), out.stdout)
	}
	if r := relayctl("channel", "pause", "--channel", "webhook", "--stack", name); r.code != exitError || !strings.Contains(r.stderr, "the webhook channel is off in stack "+name+" (it has no WebhookFunctionName output): there is nothing to pause") {
		t.Errorf("pausing a channel the stack does not deploy: exit %d, stderr %q; want it refused, saying why", r.code, r.stderr)
	}
}

func TestChannelPauseAndResumeOnALocalRelay(t *testing.T) {
	bin := filepath.Join(t.TempDir(), "relay")
	build := exec.Command("go", "build", "-o", bin, "../relay")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("build the relay: %v\n%s", err, out)
	}
	admin, dataDir := localaws.FreeAddr(t), t.TempDir()
	relay := exec.Command(bin)
	relay.Env = append(os.Environ(), "RELAY_ADDR="+localaws.FreeAddr(t), "RELAY_ADMIN_ADDR="+admin, "RELAY_DATA_DIR="+dataDir,
		"RELAY_EMAIL=outbox", "CALLBACK_TOKEN=a-token-of-the-users-own-choosing")
	relay.SysProcAttr = localaws.ChildProcAttr()
	if err := relay.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = relay.Process.Kill(); _ = relay.Wait() })
	base := "http://" + admin
	for deadline := time.Now().Add(20 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		if resp, err := http.Get(base + "/api/status"); err == nil {
			resp.Body.Close()
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the relay does not answer")
		}
	}

	for _, where := range []struct {
		name    string
		flags   []string
		dataDir string // RELAY_DATA_DIR, where relayctl looks for a running relay
	}{
		{"--relay, the admin URL", []string{"--relay", base}, t.TempDir()},
		{"found from the relay's data directory", nil, dataDir},
	} {
		t.Run(where.name, func(t *testing.T) {
			t.Setenv("RELAY_DATA_DIR", where.dataDir)
			for _, step := range []struct {
				args    []string
				channel string
				want    string
			}{
				{[]string{"status"}, "webhook", "delivering"},
				{[]string{"status"}, "slack", "off"},
				{[]string{"pause", "--channel", "webhook"}, "webhook", "paused"},
				{[]string{"status", "--channel", "webhook"}, "webhook", "paused"},
				{[]string{"resume", "--channel", "webhook"}, "webhook", "delivering"},
			} {
				out := relayctl(append(append([]string{"channel"}, step.args...), where.flags...)...).must(t)
				if got := stateOf(out.stdout, step.channel); got != step.want {
					t.Errorf("channel %v: %s is %q, want %s:\n%s", step.args, step.channel, got, step.want, out.stdout)
				}
			}
			// A channel that is off delivers nothing: pausing it is
			// refused, and it stays off.
			off := relayctl(append([]string{"channel", "pause", "--channel", "slack"}, where.flags...)...)
			if off.code != exitError || !strings.Contains(off.stderr, "the relay refused to pause the slack channel: the slack channel is off, so there is nothing to pause (off: set SLACK_WEBHOOK_URL") {
				t.Errorf("pausing a channel that is off: exit %d, stderr %q; want it refused, saying why", off.code, off.stderr)
			}
			if out := relayctl(append([]string{"channel", "status"}, where.flags...)...).must(t); stateOf(out.stdout, "slack") != "off" {
				t.Errorf("after the refused pause slack is %q, want off:\n%s", stateOf(out.stdout, "slack"), out.stdout)
			}
		})
	}
}

func TestChannelCommandLineMistakes(t *testing.T) {
	for _, tt := range []struct {
		args []string
		want string
	}{
		{[]string{"channel"}, "channel needs a subcommand"},
		{[]string{"channel", "pause", "--relay", "http://127.0.0.1:1"}, "channel pause needs --channel"},
		{[]string{"channel", "resume", "--channel", "sms", "--relay", "http://127.0.0.1:1"}, `unknown channel "sms"`},
		{[]string{"channel", "status"}, "--stack NAME or --relay URL"},
		{[]string{"channel", "restart", "--channel", "slack", "--relay", "http://127.0.0.1:1"}, `unknown command "channel restart"`},
		{[]string{"channel", "status", "--relay", "127.0.0.1:8090"}, "--relay wants the local relay's admin URL"},
		{[]string{"channel", "pause", "--channel", "slack", "--relay", "http://[::1"}, "--relay wants the local relay's admin URL"},
	} {
		t.Setenv("RELAY_URL", "")
		r := relayctl(tt.args...)
		if r.code != exitUsage || !strings.Contains(r.stderr, tt.want) {
			t.Errorf("relayctl %v: exit %d, stderr %q; want exit %d and %q", tt.args, r.code, r.stderr, exitUsage, tt.want)
		}
	}
}
