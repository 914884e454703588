package infra_test

import (
	"fmt"
	"os"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/nicechat-relay/nicechat-relay/shared/channel"
	"github.com/nicechat-relay/nicechat-relay/shared/channels"
)

// TestTemplateAndChannelListAgree holds template.yaml to shared/channels:
// each channel in the list has its whole block in the template, under its
// own condition, with the event source settings the local relay runs, and
// the template has nothing for a channel the list does not know. It is
// the one thing that keeps the two honest: the relay reads its settings
// from the list only.
func TestTemplateAndChannelListAgree(t *testing.T) {
	tpl := loadTemplate(t)
	s := newStack(t, tpl, allChannels)
	ingestEnv := s.function("IngestFunction").EnvRaw
	known := map[string]bool{"IngestFunction": true, "QuarantineQueue": true}

	for _, spec := range channels.All {
		t.Run(spec.Name, func(t *testing.T) {
			cond := "Has" + spec.Title
			if _, ok := tpl.Conditions[cond]; !ok {
				t.Fatalf("no condition %s: the channel must be off unless configured", cond)
			}
			for suffix, typ := range map[string]string{
				"Queue": "AWS::SQS::Queue", "Dlq": "AWS::SQS::Queue", "Function": "AWS::Serverless::Function",
				"Role": "AWS::IAM::Role", "BreakerPolicy": "AWS::IAM::Policy", "LogGroup": "AWS::Logs::LogGroup",
				"DlqAlarm": "AWS::CloudWatch::Alarm", "DlqAgeAlarm": "AWS::CloudWatch::Alarm", "QueueAgeAlarm": "AWS::CloudWatch::Alarm",
				"PausedAlarm": "AWS::CloudWatch::Alarm",
			} {
				id := spec.Title + suffix
				known[id] = true
				r, ok := tpl.Resources[id]
				switch {
				case !ok:
					t.Errorf("no resource %s (%s)", id, typ)
				case r.Type != typ:
					t.Errorf("%s is a %s, want %s", id, r.Type, typ)
				case r.Condition != cond:
					t.Errorf("%s is created under %q, want %s", id, r.Condition, cond)
				}
			}
			if _, err := os.Stat("../functions/" + spec.Name + "/main.go"); err != nil {
				t.Errorf("no functions/%s/main.go: %v", spec.Name, err)
			}
			for output, target := range map[string]string{spec.QueueOutput(): queueID(spec), spec.DLQOutput(): dlqID(spec), spec.FunctionOutput(): functionID(spec)} {
				if o, ok := tpl.Outputs[output]; !ok || o.Condition != cond || refTarget(o.Value) != target {
					t.Errorf("output %s missing, not under %s or not the Ref of %s: relayctl --stack reads it", output, cond, target)
				}
			}

			// Routing: a parameter per event list, with the list's
			// default, handed to ingest only while the channel is on.
			for _, r := range spec.Routes {
				param := parameterOf(r.Env)
				p, ok := tpl.Parameters[param]
				if !ok {
					t.Errorf("no parameter %s for %s", param, r.Env)
					continue
				}
				if p.Default == nil || *p.Default != r.Default {
					t.Errorf("parameter %s defaults to %v, the list (and the local relay) to %q", param, p.Default, r.Default)
				}
				want := fmt.Sprint(map[string]any{"Fn::If": []any{cond, map[string]any{"Ref": param}, ""}})
				if got := fmt.Sprint(ingestEnv[r.Env]); got != want {
					t.Errorf("ingest's %s = %s, want %s", r.Env, got, want)
				}
			}
			want := fmt.Sprint(map[string]any{"Fn::If": []any{cond, map[string]any{"Ref": queueID(spec)}, ""}})
			if got := fmt.Sprint(ingestEnv[spec.QueueEnv()]); got != want {
				t.Errorf("ingest's %s = %s, want %s", spec.QueueEnv(), got, want)
			}

			// The event source, as the local relay runs it.
			fn := s.function(functionID(spec))
			var source map[string]any
			for _, ev := range fn.Props["Events"].(map[string]any) {
				if path(ev, "Type") == "SQS" {
					source, _ = path(ev, "Properties").(map[string]any)
				}
			}
			if source == nil {
				t.Fatalf("%s has no SQS event", fn.ID)
			}
			if got := refTarget(source["Queue"]); got != queueID(spec) {
				t.Errorf("%s consumes %s, want %s", fn.ID, got, queueID(spec))
			}
			src := spec.Source
			queue := tpl.Resources[queueID(spec)].Properties
			for _, c := range []struct {
				what      string
				got, want int
			}{
				{"BatchSize", asInt(t, source["BatchSize"], "BatchSize"), src.BatchSize},
				{"MaximumBatchingWindowInSeconds", asInt(t, source["MaximumBatchingWindowInSeconds"], "window"), seconds(src.BatchWindow)},
				{"ScalingConfig.MaximumConcurrency", asInt(t, path(source, "ScalingConfig", "MaximumConcurrency"), "concurrency"), src.MaxConcurrency},
				{"the function's Timeout", fn.Timeout, seconds(src.FunctionTimeout)},
				{queueID(spec) + ".VisibilityTimeout", asInt(t, queue["VisibilityTimeout"], "VisibilityTimeout"), seconds(src.VisibilityTimeout())},
			} {
				if c.got != c.want {
					t.Errorf("%s: the template says %d, the channel list %d", c.what, c.got, c.want)
				}
			}
			if got := refTarget(path(queue, "RedrivePolicy", "deadLetterTargetArn")); got != dlqID(spec) {
				t.Errorf("%s redrives to %s, want %s", queueID(spec), got, dlqID(spec))
			}
			for _, n := range tpl.Parameters["MaxAttempts"].AllowedValues {
				sn := newStack(t, tpl, with("MaxAttempts", n))
				attempts, _ := strconv.Atoi(n)
				if got, want := asInt(t, sn.eval(path(queue, "RedrivePolicy", "maxReceiveCount")), "maxReceiveCount"), channel.RedriveMaxReceiveCount(attempts); got != want {
					t.Errorf("MaxAttempts=%s: maxReceiveCount = %d, the local relay uses %d", n, got, want)
				}
			}
		})
	}

	// And the other way round: nothing in the template belongs to a
	// channel the list does not know.
	for _, id := range sortedKeys(tpl.Resources) {
		r := tpl.Resources[id]
		if known[id] {
			continue
		}
		switch r.Type {
		case "AWS::Serverless::Function", "AWS::SQS::Queue":
			t.Errorf("%s (%s) belongs to no channel of shared/channels", id, r.Type)
		}
	}
	for name := range tpl.Conditions {
		title, ok := strings.CutPrefix(name, "Has")
		if !ok || title == "EmailConfigurationSet" || title == "AlarmEmail" || strings.HasSuffix(title, "SecretArn") {
			continue
		}
		if !slices.ContainsFunc(channels.All, func(s channel.Spec) bool { return s.Title == title }) {
			t.Errorf("condition %s names a channel shared/channels does not list", name)
		}
	}
}

func seconds(d time.Duration) int { return int(d / time.Second) }
