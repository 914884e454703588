// Package infra_test proves template.yaml without AWS: it evaluates the
// template for several sets of parameters and checks that each function's
// own configuration loader accepts what the stack would give it, that the
// queues, redrive counts, IAM and alarms fit the code, and (rie_test.go)
// that the built binaries answer under the Lambda Runtime Interface
// Emulator against a local SQS.
package infra_test

import (
	"cmp"
	"context"
	"fmt"
	"log/slog"
	"maps"
	"os"
	"os/exec"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"

	"github.com/nicechat-relay/nicechat-relay/shared/awsenv"
	"github.com/nicechat-relay/nicechat-relay/shared/channel"
	"github.com/nicechat-relay/nicechat-relay/shared/channels"
	"github.com/nicechat-relay/nicechat-relay/shared/consumer"
	"github.com/nicechat-relay/nicechat-relay/shared/humanize"
	"github.com/nicechat-relay/nicechat-relay/shared/idempotency"
	"github.com/nicechat-relay/nicechat-relay/shared/ingest"
	"github.com/nicechat-relay/nicechat-relay/shared/localaws"
	"github.com/nicechat-relay/nicechat-relay/shared/nicechat"
	"github.com/nicechat-relay/nicechat-relay/shared/secrets"
	"github.com/nicechat-relay/nicechat-relay/shared/slack"
)

// allChannels are deployable values that turn every channel on: the
// callback token, an alarm address, and each channel's parameters'
// Examples, from its description.
var allChannels = func() map[string]string {
	out := map[string]string{
		"CallbackToken": "tok_0123456789abcdefghijklmnop",
		"AlarmEmail":    "ops@example.com",
	}
	for _, spec := range channels.All {
		maps.Copy(out, examples(spec))
	}
	return out
}()

// examples are spec's parameters' Examples, by parameter: the values that
// turn it on in the scenarios.
func examples(spec channel.Spec) map[string]string {
	out := map[string]string{}
	for _, p := range spec.Deploy.Params {
		if p.Example != "" {
			out[p.Name()] = p.Example
		}
	}
	return out
}

// with returns allChannels changed by pairs of name, value.
func with(pairs ...string) map[string]string {
	out := map[string]string{}
	for k, v := range allChannels {
		out[k] = v
	}
	for i := 0; i+1 < len(pairs); i += 2 {
		out[pairs[i]] = pairs[i+1]
	}
	return out
}

var (
	// slackThreads turns Slack from its incoming webhook to a thread per
	// visitor through the Web API.
	slackThreads = []string{"SlackWebhookUrl", "", "SlackBotToken", testBotToken, "SlackChannel", testSlackChannel}
)

// A Slack app's bot token, and the id of the channel it is in.
const (
	testBotToken     = "xoxb-1234567890-1234567890123-AbCdEfGhIjKlMnOpQrStUvWx"
	testSlackChannel = "C0123456789"
)

func off(groups ...[]string) map[string]string { return with(slices.Concat(groups...)...) }

// channelOff are the pairs that turn spec off in allChannels: each of its
// parameters allChannels sets (or their SecretArn forms), emptied.
func channelOff(spec channel.Spec) []string {
	var out []string
	for _, p := range spec.Deploy.Params {
		for _, name := range []string{p.Name(), p.Name() + "SecretArn"} {
			if _, ok := allChannels[name]; ok {
				out = append(out, name, "")
			}
		}
	}
	return out
}

// allOff are the pairs that turn every channel of shared/channels off in
// allChannels.
func allOff() []string {
	var out []string
	for _, spec := range channels.All {
		out = append(out, channelOff(spec)...)
	}
	return out
}

// only are the pairs that turn off, in allChannels, every channel of
// shared/channels but those named: a channel added to the list is off in
// a scenario that means the named ones alone.
func only(names ...string) []string {
	for _, name := range names {
		channelNamed(name) // a misspelt name panics rather than turn every channel off
	}
	var out []string
	for _, spec := range channels.All {
		if !slices.Contains(names, spec.Name) {
			out = append(out, channelOff(spec)...)
		}
	}
	return out
}

// channelNamed is the channel of shared/channels called name.
func channelNamed(name string) channel.Spec {
	spec, ok := channels.Find(name)
	if !ok {
		panic("no channel " + name + " in shared/channels")
	}
	return spec
}

// scenarios are parameter sets a user may deploy with.
var scenarios = []struct {
	name   string
	params map[string]string
}{
	{"every channel on", allChannels},
	{"webhook only", off(only("webhook"))},
	{"email only", off(only("email"))},
	{"slack only", off(only("slack"))},
	{"telegram only, to a public channel", off(only("telegram"), []string{"TelegramChatId", "@shop_leads"})},
	{"webhook and slack", off(only("webhook", "slack"))},
	{"email with tech JSON for every event and a configuration set", off(only("email"), []string{"EmailTechEvents", "*", "EmailConfigurationSet", "relay-events"})},
	{"unsigned webhook, chat links, IPs shown, no alarm email", with("WebhookSecret", "", "ChatUrlTemplate", "https://nicechat.example.com/chats/{chat_id}", "HumanizeShowIp", "true", "DisplayTimezone", "Europe/Kyiv", "AlarmEmail", "")},
	{"every secret in Secrets Manager", secretsScenario()},
	{"rotating the callback token", with("CallbackTokenPrevious", testPreviousToken)},
	{"slack only, a thread per visitor", off(only("slack"), slackThreads)},
	{"every channel on, slack in threads kept 90 days with every reply shown in the channel", with(slices.Concat(slackThreads, []string{"SlackThreadTtl", "90d", "SlackBroadcastEvents", "*"})...)},
	{"slack in threads, its bot token in Secrets Manager", off(only("slack"), slackThreads, []string{"SlackBotToken", "", "SlackBotTokenSecretArn", testSecretArn("slack-bot")})},
	{"fewest attempts", with("MaxAttempts", "1")},
	{"most attempts", with("MaxAttempts", "12")},
}

// lambdaEnvironment is what Lambda adds to a function's variables: its
// region and credentials, here the local AWS's, with its endpoint.
func lambdaEnvironment(t testing.TB) map[string]string {
	env := map[string]string{}
	for _, kv := range localaws.Env(t) {
		k, v, _ := strings.Cut(kv, "=")
		env[k] = v
	}
	return env
}

// testPreviousToken is the token a rotation replaces.
const testPreviousToken = "tok_previous_9876543210zyxwvuts"

// secretValues are valid values of the secret settings, by parameter.
var secretValues = map[string]string{
	"CallbackTokenSecretArn":         "tok_from_secrets_manager_0123456789",
	"CallbackTokenPreviousSecretArn": "tok_previous_from_secrets_manager_9876",
	"WebhookUrlSecretArn":            allChannels["WebhookUrl"],
	"WebhookSecretSecretArn":         allChannels["WebhookSecret"],
	"SlackWebhookUrlSecretArn":       allChannels["SlackWebhookUrl"],
	"SlackBotTokenSecretArn":         testBotToken,
	"TelegramBotTokenSecretArn":      allChannels["TelegramBotToken"],
}

// withRealSecrets stores each secret a parameter names in the local
// Secrets Manager and puts the real ARN (with the random suffix Secrets
// Manager gives it) in its place.
func withRealSecrets(t testing.TB, params map[string]string) map[string]string {
	t.Helper()
	out := maps.Clone(params)
	for param, v := range params {
		if !strings.HasSuffix(param, "SecretArn") || v == "" {
			continue
		}
		created, err := secretsmanager.NewFromConfig(localaws.Config(t)).CreateSecret(context.Background(), &secretsmanager.CreateSecretInput{
			Name: aws.String(fmt.Sprintf("nicechat-relay/%s-%d", param, time.Now().UnixNano())), SecretString: aws.String(secretValues[param]),
		})
		if err != nil {
			t.Fatalf("create the secret of %s: %v", param, err)
		}
		out[param] = aws.ToString(created.ARN)
	}
	return out
}

// secretsScenario keeps every secret setting in Secrets Manager.
func secretsScenario() map[string]string {
	return with(
		"CallbackToken", "", "CallbackTokenSecretArn", testSecretArn("token"),
		"CallbackTokenPreviousSecretArn", testSecretArn("token-previous"),
		"WebhookUrl", "", "WebhookUrlSecretArn", testSecretArn("webhook-url"),
		"WebhookSecret", "", "WebhookSecretSecretArn", testSecretArn("webhook"),
		"SlackWebhookUrl", "", "SlackWebhookUrlSecretArn", testSecretArn("slack"),
		"TelegramBotToken", "", "TelegramBotTokenSecretArn", testSecretArn("telegram"))
}

// testSecretArn is a Secrets Manager ARN as the template's parameters take it.
func testSecretArn(name string) string {
	return "arn:aws:secretsmanager:us-east-1:123456789012:secret:nicechat-relay/" + name + "-AbCdEf"
}

// started is what a function's loader reports once the function started.
type started struct {
	deliveryTimeout time.Duration // one delivery, its turn included; consumers only
	paceInterval    time.Duration // least time between two deliveries, 0 = unpaced
}

// paced is a channel that spaces its deliveries.
type paced interface{ Interval() time.Duration }

// loaders run each function's own start-up, what its main runs before
// lambda.Start, with the environment the stack gives it: ingest's, and
// each channel's in the list.
var loaders = func() map[string]func(getenv func(string) string) (started, error) {
	m := map[string]func(getenv func(string) string) (started, error){
		"IngestFunction": func(getenv func(string) string) (started, error) {
			_, err := ingest.Setup(context.Background(), getenv, slog.New(slog.DiscardHandler))
			return started{}, err
		},
	}
	for _, spec := range channels.All {
		m[functionID(spec)] = func(getenv func(string) string) (started, error) {
			if _, err := consumer.Setup(context.Background(), spec, getenv, slog.New(slog.DiscardHandler)); err != nil {
				return started{}, err
			}
			// The runtime keeps its channel to itself: open the same
			// channel again, its secrets read the same way, to read its
			// timings.
			awsCfg, err := awsenv.Config(getenv)
			if err != nil {
				return started{}, err
			}
			resolved, err := secrets.Resolve(context.Background(), getenv, secrets.NewAPI(awsCfg, getenv), spec.Secrets)
			if err != nil {
				return started{}, err
			}
			ch, err := spec.Open(resolved, aws.Config{})
			if err != nil {
				return started{}, err
			}
			st := started{deliveryTimeout: ch.Timeout()}
			if p, ok := ch.(paced); ok {
				st.paceInterval = p.Interval()
			}
			return st, nil
		}
	}
	return m
}()

// A channel's template resources are named after its Title.
func functionID(spec channel.Spec) string { return spec.Title + "Function" }
func queueID(spec channel.Spec) string    { return spec.Title + "Queue" }
func dlqID(spec channel.Spec) string      { return spec.Title + "Dlq" }

// parameterOf is the template parameter behind a variable: SLACK_EVENTS
// is SlackEvents.
func parameterOf(variable string) string {
	var b strings.Builder
	for word := range strings.SplitSeq(strings.ToLower(variable), "_") {
		if word != "" {
			b.WriteString(strings.ToUpper(word[:1]) + word[1:])
		}
	}
	return b.String()
}

func TestEveryFunctionIsBuiltByItsMakefileTargetWithTheLambdaFlags(t *testing.T) {
	tpl := loadTemplate(t)
	s := newStack(t, tpl, allChannels)
	g := tpl.Globals.Function
	for key, want := range map[string]any{"Runtime": "provided.al2023", "Handler": "bootstrap", "Architectures": []any{"arm64"}, "CodeUri": "."} {
		if got := g[key]; fmt.Sprint(got) != fmt.Sprint(want) {
			t.Errorf("Globals.Function.%s = %v, want %v", key, got, want)
		}
	}
	if got := path(g, "LoggingConfig", "LogFormat"); got != "JSON" {
		t.Errorf("Globals.Function.LoggingConfig.LogFormat = %v, want JSON (the code logs JSON lines)", got)
	}

	fns := s.functions()
	if len(fns) != len(loaders) {
		t.Errorf("the template has %d functions, the tests know %d: add the new one to loaders", len(fns), len(loaders))
	}
	for _, f := range fns {
		t.Run(f.ID, func(t *testing.T) {
			if got := path(tpl.Resources[f.ID].Metadata, "BuildMethod"); got != "makefile" {
				t.Errorf("Metadata.BuildMethod = %v, want makefile", got)
			}
			fn := strings.ToLower(strings.TrimSuffix(f.ID, "Function"))
			samBuild := dryRun(t, "build-"+f.ID, "ARTIFACTS_DIR=/artifacts")
			makeBuild := dryRun(t, "build/"+fn+"/bootstrap")
			want := strings.Replace(makeBuild, "-o build/"+fn+"/bootstrap", "-o /artifacts/bootstrap", 1)
			if samBuild != want {
				t.Errorf("make build-%s runs\n  %s\nwant the command of make build/%s/bootstrap with the output moved:\n  %s", f.ID, samBuild, fn, want)
			}
			for _, flag := range []string{"GOOS=linux", "GOARCH=arm64", "CGO_ENABLED=0", "-tags lambda.norpc", "./functions/" + fn} {
				if !strings.Contains(samBuild, flag) {
					t.Errorf("make build-%s lacks %q: %s", f.ID, flag, samBuild)
				}
			}
		})
	}
}

// dryRun returns the go build command make would run for target.
func dryRun(t *testing.T, target string, vars ...string) string {
	t.Helper()
	out, err := exec.Command("make", append([]string{"-n", "-C", "..", target}, vars...)...).CombinedOutput()
	if err != nil {
		t.Fatalf("make -n %s: %v\n%s", target, err, out)
	}
	for _, line := range strings.Split(string(out), "\n") {
		if strings.Contains(line, " build ") && strings.Contains(line, "go") {
			return strings.TrimSpace(line)
		}
	}
	t.Fatalf("make -n %s runs no go build:\n%s", target, out)
	return ""
}

func TestEachFunctionStartsWithTheEnvironmentTheStackGivesIt(t *testing.T) {
	tpl := loadTemplate(t)
	read := map[string]map[string]bool{} // function -> variables its code read, over all scenarios
	lambdaEnv := lambdaEnvironment(t)
	for _, sc := range scenarios {
		t.Run(sc.name, func(t *testing.T) {
			s := newStack(t, tpl, withRealSecrets(t, sc.params))
			if ok, why := s.rulesPass(); !ok {
				t.Fatalf("the template's Rules refuse these parameters: %s", why)
			}
			for _, f := range s.functions() {
				load, ok := loaders[f.ID]
				if !ok {
					t.Errorf("%s: no loader known for this function", f.ID)
					continue
				}
				if read[f.ID] == nil {
					read[f.ID] = map[string]bool{}
				}
				getenv := func(name string) string {
					read[f.ID][name] = true
					if v, ok := lambdaEnv[name]; ok {
						return v
					}
					return f.getenv(name)
				}
				if _, err := load(getenv); err != nil {
					t.Errorf("%s would not start: %v", f.ID, err)
				}
			}
		})
	}

	// Every variable the template sets is read by the code it is set for:
	// a misspelt name would otherwise be silently ignored.
	readByAny := map[string]bool{}
	for id, vars := range read {
		own, _ := path(tpl.Resources[id].Properties, "Environment", "Variables").(map[string]any)
		for name := range own {
			if !vars[name] {
				t.Errorf("%s sets %s, which its code never reads", id, name)
			}
		}
		for name := range vars {
			readByAny[name] = true
		}
	}
	shared, _ := path(tpl.Globals.Function, "Environment", "Variables").(map[string]any)
	for name := range shared {
		if !readByAny[name] {
			t.Errorf("Globals sets %s, which no function reads", name)
		}
	}
}

func TestIngestRoutesOnlyToTheChannelsTheStackCreates(t *testing.T) {
	tpl := loadTemplate(t)
	for _, sc := range scenarios {
		t.Run(sc.name, func(t *testing.T) {
			s := newStack(t, tpl, withRealSecrets(t, sc.params))
			lambdaEnv := lambdaEnvironment(t)
			getenv := func(k string) string {
				if v, ok := lambdaEnv[k]; ok {
					return v
				}
				return s.function("IngestFunction").getenv(k)
			}
			getenv, err := secrets.Resolve(context.Background(), getenv, secrets.NewAPI(localaws.Config(t), getenv), ingest.SecretSettings)
			if err != nil {
				t.Fatal(err)
			}
			cfg, err := ingest.LoadConfig(getenv)
			if err != nil {
				t.Fatalf("ingest would not start: %v", err)
			}
			routed := map[string]string{}
			for _, r := range cfg.Routes {
				routed[r.Channel] = r.QueueURL
			}
			for _, spec := range channels.All {
				channel, fn := spec.Name, functionID(spec)
				queue := refTarget(path(tpl.Resources[fn].Properties, "Environment", "Variables", "QUEUE_URL"))
				switch created := s.exists(fn); {
				case created && routed[channel] != s.queueURL(queue):
					t.Errorf("%s is on, but ingest sends it to %q, not to %s (the queue %s consumes)", channel, routed[channel], queue, fn)
				case !created && routed[channel] != "":
					t.Errorf("%s is off, but ingest routes to it (%s)", channel, routed[channel])
				}
			}
		})
	}
}

func TestTheRulesRefuseStacksThatCouldNotStartNamingTheParameterAtFault(t *testing.T) {
	tpl := loadTemplate(t)
	for _, tc := range []struct {
		name   string
		params map[string]string
		naming []string // what the refusal names, so the deploy says what to set
	}{
		{"no channel at all", off(allOff()), []string{"at least one channel", "WebhookUrl", "EmailFrom", "SlackWebhookUrl", "SlackBotToken", "TelegramBotToken"}},
		{"the only channel has no events", off(only("webhook"), []string{"WebhookEvents", ""}), []string{"WebhookEvents"}},
		{"telegram with a token but no chat", off(only("telegram"), []string{"TelegramChatId", ""}), []string{"TelegramChatId"}},
		{"telegram with a chat but no token", with("TelegramBotToken", ""), []string{"TelegramBotToken"}},
		{"no callback token at all", with("CallbackToken", ""), []string{"CallbackToken is required", "CallbackTokenSecretArn", "openssl rand -hex 24"}},
		{"no callback token, every channel off too", off(allOff(), []string{"CallbackToken", ""}), []string{"CallbackToken is required"}},
		{"a callback token both as a value and a secret", with("CallbackTokenSecretArn", testSecretArn("token")), []string{"CallbackToken or CallbackTokenSecretArn, not both"}},
		{"a previous callback token both as a value and a secret", with("CallbackTokenPrevious", testPreviousToken, "CallbackTokenPreviousSecretArn", testSecretArn("token-previous")), []string{"CallbackTokenPrevious or CallbackTokenPreviousSecretArn, not both"}},
		{"a webhook URL both as a value and a secret", with("WebhookUrlSecretArn", testSecretArn("webhook-url")), []string{"WebhookUrl or WebhookUrlSecretArn, not both"}},
		{"a webhook signing secret both as a value and a secret", with("WebhookSecretSecretArn", testSecretArn("webhook")), []string{"WebhookSecret or WebhookSecretSecretArn, not both"}},
		{"a Telegram bot token both as a value and a secret", with("TelegramBotTokenSecretArn", testSecretArn("telegram")), []string{"TelegramBotToken or TelegramBotTokenSecretArn, not both"}},
		{"the only channel a webhook whose URL is a secret, with no events", off(only("webhook"), []string{"WebhookUrl", "", "WebhookUrlSecretArn", testSecretArn("webhook-url"), "WebhookEvents", ""}), []string{"WebhookEvents"}},
		{"a Slack URL both as a value and a secret", with("SlackWebhookUrlSecretArn", testSecretArn("slack")), []string{"SlackWebhookUrl or SlackWebhookUrlSecretArn, not both"}},
		{"slack both through its webhook and with a bot token", with("SlackBotToken", testBotToken, "SlackChannel", testSlackChannel), []string{"SlackWebhookUrl", "SlackBotToken", "not both"}},
		{"slack both through its webhook and with a bot token, each in Secrets Manager", with("SlackWebhookUrl", "", "SlackWebhookUrlSecretArn", testSecretArn("slack"), "SlackBotTokenSecretArn", testSecretArn("slack-bot"), "SlackChannel", testSlackChannel), []string{"SlackWebhookUrl", "SlackBotToken", "not both"}},
		{"a Slack bot token without a channel", off(slackThreads, []string{"SlackChannel", ""}), []string{"SlackChannel"}},
		{"a Slack bot token in Secrets Manager without a channel", off(slackThreads, []string{"SlackBotToken", "", "SlackBotTokenSecretArn", testSecretArn("slack-bot"), "SlackChannel", ""}), []string{"SlackChannel"}},
		{"a Slack channel without a bot token (the webhook posts to its own)", with("SlackChannel", testSlackChannel), []string{"SlackBotToken", "SlackChannel"}},
		{"a Slack bot token both as a value and a secret", off(slackThreads, []string{"SlackBotTokenSecretArn", testSecretArn("slack-bot")}), []string{"SlackBotToken or SlackBotTokenSecretArn, not both"}},
		{"slack in threads, the only channel, with no events", off(only("slack"), slackThreads, []string{"SlackEvents", ""}), []string{"SlackEvents"}},
		{"email with a sender but no recipient", off(only("email", "telegram"), []string{"EmailTo", ""}), []string{"EmailFrom and EmailTo"}},
		{"email with recipients but no sender", with("EmailFrom", ""), []string{"EmailFrom and EmailTo"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			refused := refusals(newStack(t, tpl, tc.params))
			if len(refused) == 0 {
				t.Fatalf("the Rules accept %v", tc.params)
			}
			for _, want := range tc.naming {
				if !slices.ContainsFunc(refused, func(d string) bool { return strings.Contains(d, want) }) {
					t.Errorf("no refusal says %q; the refusals: %q", want, refused)
				}
			}
		})
	}
}

func TestTheRulesAcceptEachWayOfGivingTheTokenAndAChannel(t *testing.T) {
	tpl := loadTemplate(t)
	noChannel := allOff()
	for _, tc := range []struct {
		name   string
		params map[string]string
	}{
		{"the token as a value, every channel on", allChannels},
		{"the token in Secrets Manager", with("CallbackToken", "", "CallbackTokenSecretArn", testSecretArn("token"))},
		{"the token in Secrets Manager, the previous one as a value", with("CallbackToken", "", "CallbackTokenSecretArn", testSecretArn("token"), "CallbackTokenPrevious", testPreviousToken)},
		{"the webhook alone, its URL as a value", with(slices.Concat(noChannel, []string{"WebhookUrl", allChannels["WebhookUrl"]})...)},
		{"the webhook alone, its URL in Secrets Manager", with(slices.Concat(noChannel, []string{"WebhookUrlSecretArn", testSecretArn("webhook-url")})...)},
		{"email alone", with(slices.Concat(noChannel, []string{"EmailFrom", "relay@example.com", "EmailTo", "ops@example.com"})...)},
		{"email alone, tech JSON only", with(slices.Concat(noChannel, []string{"EmailFrom", "relay@example.com", "EmailTo", "ops@example.com", "EmailHumanEvents", "", "EmailTechEvents", "*"})...)},
		{"slack alone, its URL in Secrets Manager", with(slices.Concat(noChannel, []string{"SlackWebhookUrlSecretArn", testSecretArn("slack")})...)},
		{"slack alone in threads", with(slices.Concat(noChannel, slackThreads)...)},
		{"telegram alone, its token in Secrets Manager", with(slices.Concat(noChannel, []string{"TelegramBotTokenSecretArn", testSecretArn("telegram"), "TelegramChatId", "@shop_leads"})...)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if refused := refusals(newStack(t, tpl, tc.params)); len(refused) > 0 {
				t.Errorf("the Rules refuse it: %q", refused)
			}
		})
	}
}

// refusals are the descriptions of every assertion of the Rules that the
// stack's parameters fail, which CloudFormation shows when it refuses a
// deploy.
func refusals(s *stack) []string {
	var out []string
	for _, name := range sortedKeys(s.tpl.Rules) {
		for _, a := range s.tpl.Rules[name].Assertions {
			if !s.truth(a.Assert) {
				out = append(out, a.AssertDescription)
			}
		}
	}
	return out
}

func TestParameterConstraintsMatchWhatTheCodeAccepts(t *testing.T) {
	tpl := loadTemplate(t)
	var eventLists []string
	for _, spec := range channels.All {
		for _, r := range spec.Routes {
			eventLists = append(eventLists, parameterOf(r.Env))
		}
	}
	type check struct {
		param, value string
		accept       bool
	}
	var checks []check
	for _, p := range eventLists {
		for _, v := range append([]string{"*", "", "first_message, unanswered", " new_order ,push_form "}, nicechat.KnownTypes...) {
			checks = append(checks, check{p, v, true})
		}
		for _, v := range []string{"first_mesage", "all", "first_message;unanswered", "new-order"} {
			checks = append(checks, check{p, v, false})
		}
	}
	checks = append(checks,
		check{"CallbackToken", strings.Repeat("a", 24), true},
		check{"CallbackToken", strings.Repeat("a", 23), false},
		check{"CallbackToken", "token/with/slashes-0123456789", false},
		check{"EmailFrom", "relay@example.com", true},
		check{"EmailFrom", "Relay <relay@example.com>", false}, // the SES identity is derived from it
		check{"EmailTo", "a@example.com,b@example.com", true},
		check{"EmailTo", "not an address", false},
		check{"WebhookSecret", allChannels["WebhookSecret"], true},
		check{"WebhookSecret", "plain-secret", false},
		check{"WebhookSecret", allChannels["WebhookSecret"] + " " + allChannels["WebhookSecret"], true},
		check{"WebhookSecret", allChannels["WebhookSecret"] + "  " + allChannels["WebhookSecret"], false},
		check{"WebhookUrl", "ftp://example.com/x", false},
		check{"ChatUrlTemplate", "https://nicechat.example.com/chats/{chat_id}", true},
		check{"ChatUrlTemplate", "https://nicechat.example.com/chats/", false},
		check{"EmailConfigurationSet", "relay-events", true},
		check{"EmailConfigurationSet", "relay events", false},
		check{"MaxAttempts", "0", false},
		check{"MaxAttempts", "13", false},
		check{"TelegramBotToken", allChannels["TelegramBotToken"], true},
		check{"TelegramBotToken", "AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw_", false},
		check{"TelegramChatId", "-1001234567890", true},
		check{"TelegramChatId", "@shop_leads", true},
		check{"TelegramChatId", "shop_leads", false},
		check{"TelegramChatId", "@abc", false},
		check{"TelegramChatId", "0", false},
		check{"TelegramChatId", "-0", false},
		check{"TelegramChatId", "-10012345678901234567", false},
		check{"CallbackToken", "", true},
		check{"CallbackTokenSecretArn", testSecretArn("token"), true},
		check{"CallbackTokenPreviousSecretArn", testSecretArn("token-previous"), true},
		check{"CallbackTokenPreviousSecretArn", "nicechat-relay/token-previous", false},
		check{"WebhookUrlSecretArn", testSecretArn("webhook-url"), true},
		check{"WebhookUrlSecretArn", "https://hooks.example.com/nicechat", false},
		check{"SlackWebhookUrlSecretArn", "nicechat-relay/slack", false},
		check{"SlackBotTokenSecretArn", testSecretArn("slack-bot"), true},
		check{"SlackBotTokenSecretArn", "nicechat-relay/slack-bot", false},
		check{"SlackBotToken", "", true},
		check{"SlackChannel", "", true},
	)
	for _, c := range checks {
		t.Run(c.param+"="+c.value, func(t *testing.T) {
			p, ok := tpl.Parameters[c.param]
			if !ok {
				t.Fatalf("no parameter %s", c.param)
			}
			if err := cfnAccepts(p, c.value); (err == nil) != c.accept {
				t.Errorf("CloudFormation accepts %q: %v, want %v (%v)", c.value, err == nil, c.accept, err)
			}
		})
	}

	// What the constraints let through, the code must take.
	for _, p := range eventLists {
		for _, v := range []string{"*", "first_message, unanswered", " new_order ,push_form ", *tpl.Parameters[p].Default} {
			if _, err := nicechat.ParseEventSet(v); err != nil {
				t.Errorf("%s=%q passes the template's constraint but ingest refuses it: %v", p, v, err)
			}
		}
	}
	for _, n := range tpl.Parameters["MaxAttempts"].AllowedValues {
		cfg, err := consumer.ConfigFromEnv("webhook", func(k string) string {
			return map[string]string{"QUEUE_URL": "q", "DLQ_URL": "d", "MAX_ATTEMPTS": n}[k]
		})
		if err != nil || strconv.Itoa(cfg.MaxAttempts) != n {
			t.Errorf("MaxAttempts=%s is allowed by the template but the consumer reads %d, %v", n, cfg.MaxAttempts, err)
		}
	}
	// The Slack thread settings: the constraints let through what the Slack
	// function takes, through the variable the template sets from each,
	// and refuse the rest at deploy time.
	slackFn := tpl.Resources["SlackFunction"].Properties
	for param, values := range map[string][]string{
		"SlackBotToken":        {testBotToken, "xoxb-1-2-x", "xoxp-1234-5678-user-token", "xoxb-with space", "https://hooks.slack.com/services/T0/B0/X"},
		"SlackChannel":         {testSlackChannel, "G0123456", "C012345", "C" + strings.Repeat("0", 31), "C" + strings.Repeat("0", 32), "c0123456789", "#leads", "leads", "D0123456789", "C0123-4567"},
		"SlackThreadTtl":       {"1h", "60m", "59m", "90m", "72h", "30d", "365d", "366d", "8760h", "8761h", "525600m", "525601m", "0d", "0h", "30", "1w", "-1h"},
		"SlackBroadcastEvents": {"", "none", " none ", "*", "unanswered,new_order", " new_order , push_form ", "none,unanswered", "*,unanswered", "unanswered,,new_order", "answered", "all"},
	} {
		variable := ""
		for name, v := range path(slackFn, "Environment", "Variables").(map[string]any) {
			if refTarget(v) == param {
				variable = name
			}
		}
		if variable == "" {
			t.Errorf("SlackFunction sets no variable from %s", param)
			continue
		}
		for _, v := range append(values, *tpl.Parameters[param].Default) {
			if v == "" && (param == "SlackBotToken" || param == "SlackChannel") {
				continue // empty is the webhook mode, checked by the Rules
			}
			env := map[string]string{slack.EnvBotToken: testBotToken, slack.EnvChannel: testSlackChannel, variable: v}
			_, codeErr := slack.ConfigFromEnv(func(k string) string { return env[k] })
			if cfnErr := cfnAccepts(tpl.Parameters[param], v); (cfnErr == nil) != (codeErr == nil) {
				t.Errorf("%s=%q: CloudFormation accepts it: %v, the Slack function (%s): %v (%v)", param, v, cfnErr == nil, variable, codeErr == nil, codeErr)
			}
		}
	}

	// What the CallbackTokenPrevious constraint lets through, ingest takes
	// as CALLBACK_TOKEN_PREVIOUS, and the other way round.
	for _, v := range []string{"", testPreviousToken, strings.Repeat("a", 24), strings.Repeat("a", 23), "token/with/slashes-0123456789", "token with spaces 0123456789"} {
		env := map[string]string{ingest.EnvCallbackToken: allChannels["CallbackToken"], ingest.EnvCallbackTokenPrevious: v, ingest.EnvQuarantineQueueURL: "q", "WEBHOOK_EVENTS": "*", "WEBHOOK_QUEUE_URL": "w"}
		_, codeErr := ingest.LoadConfig(func(k string) string { return env[k] })
		if cfnErr := cfnAccepts(tpl.Parameters["CallbackTokenPrevious"], v); (cfnErr == nil) != (codeErr == nil) {
			t.Errorf("CallbackTokenPrevious=%q: CloudFormation accepts it: %v, ingest: %v (%v)", v, cfnErr == nil, codeErr == nil, codeErr)
		}
	}

	for name, secret := range map[string]bool{"CallbackToken": true, "CallbackTokenPrevious": true, "WebhookSecret": true, "SlackWebhookUrl": true, "SlackBotToken": true, "TelegramBotToken": true, "WebhookUrl": true, "SlackChannel": false, "TelegramChatId": false} {
		if tpl.Parameters[name].NoEcho != secret {
			t.Errorf("%s: NoEcho = %v, want %v", name, tpl.Parameters[name].NoEcho, secret)
		}
	}
}

// cfnAccepts applies a parameter's constraints as CloudFormation does: the
// pattern must match the whole value.
func cfnAccepts(p cfnParameter, v string) error {
	if len(v) < p.MinLength {
		return fmt.Errorf("shorter than %d", p.MinLength)
	}
	if p.AllowedPattern != "" && !regexp.MustCompile(`^(?:`+p.AllowedPattern+`)$`).MatchString(v) {
		return fmt.Errorf("does not match %s", p.AllowedPattern)
	}
	if p.AllowedValues != nil && !slices.Contains(p.AllowedValues, v) {
		return fmt.Errorf("not one of %v", p.AllowedValues)
	}
	return nil
}

func TestScenarioParametersAreDeployable(t *testing.T) {
	tpl := loadTemplate(t)
	for _, sc := range scenarios {
		for name, v := range newStack(t, tpl, sc.params).params {
			if err := cfnAccepts(tpl.Parameters[name], v); err != nil {
				t.Errorf("%s: %s=%q: %v", sc.name, name, v, err)
			}
		}
	}
}

// sqsConsumer is one function's SQS event source and the queues around it.
type sqsConsumer struct {
	fn         function
	event      map[string]any // the event's Properties
	queue, dlq string         // logical ids
}

func consumers(t *testing.T, s *stack) []sqsConsumer {
	t.Helper()
	var out []sqsConsumer
	for _, f := range s.functions() {
		events, _ := f.Props["Events"].(map[string]any)
		for name, ev := range events {
			if path(ev, "Type") != "SQS" {
				continue
			}
			props, _ := path(ev, "Properties").(map[string]any)
			c := sqsConsumer{fn: f, event: props, queue: refTarget(props["Queue"])}
			if c.queue == "" {
				t.Fatalf("%s.Events.%s.Queue does not refer to a queue of the template", f.ID, name)
			}
			c.dlq = refTarget(path(s.tpl.Resources[c.queue].Properties, "RedrivePolicy", "deadLetterTargetArn"))
			out = append(out, c)
		}
	}
	return out
}

func TestQueuesFitTheirConsumers(t *testing.T) {
	tpl := loadTemplate(t)
	maxAttempts := 0
	for _, v := range tpl.Parameters["MaxAttempts"].AllowedValues {
		n, _ := strconv.Atoi(v)
		maxAttempts = max(maxAttempts, n)
	}
	// Slack in threads takes longer per delivery (a wait for the thread's
	// root, the reply, the summary's update) than through its webhook.
	for _, sc := range []struct {
		name   string
		params map[string]string
	}{
		{"slack through its webhook", allChannels},
		{"slack in threads", with(slackThreads...)},
	} {
		t.Run(sc.name, func(t *testing.T) {
			queuesFitTheirConsumers(t, tpl, newStack(t, tpl, sc.params), maxAttempts)
		})
	}
}

func queuesFitTheirConsumers(t *testing.T, tpl *cfnTemplate, s *stack, maxAttempts int) {
	cs := consumers(t, s)
	if len(cs) != len(channels.All) {
		t.Fatalf("found %d SQS consumers, want one per channel (%d)", len(cs), len(channels.All))
	}
	for _, c := range cs {
		t.Run(c.fn.ID, func(t *testing.T) {
			q := tpl.Resources[c.queue].Properties
			if vis := asInt(t, q["VisibilityTimeout"], c.queue+".VisibilityTimeout"); vis < 6*c.fn.Timeout {
				t.Errorf("%s.VisibilityTimeout = %d, want at least 6 x %s's Timeout %d", c.queue, vis, c.fn.ID, c.fn.Timeout)
			}
			if got := refTarget(c.fn.EnvRaw["QUEUE_URL"]); got != c.queue {
				t.Errorf("%s: QUEUE_URL refers to %q, but the function consumes %s", c.fn.ID, got, c.queue)
			}
			if c.dlq == "" {
				t.Fatalf("%s has no RedrivePolicy.deadLetterTargetArn", c.queue)
			}
			if got := refTarget(c.fn.EnvRaw["DLQ_URL"]); got != c.dlq {
				t.Errorf("%s dead-letters to %q (DLQ_URL), but %s redrives to %s", c.fn.ID, got, c.queue, c.dlq)
			}
			if got := refTarget(c.fn.EnvRaw["MAX_ATTEMPTS"]); got != "MaxAttempts" {
				t.Errorf("%s: MAX_ATTEMPTS = %v, want the MaxAttempts parameter", c.fn.ID, c.fn.EnvRaw["MAX_ATTEMPTS"])
			}
			for _, n := range tpl.Parameters["MaxAttempts"].AllowedValues {
				sn := newStack(t, tpl, with("MaxAttempts", n))
				got := asInt(t, sn.eval(path(q, "RedrivePolicy", "maxReceiveCount")), "maxReceiveCount")
				attempts, _ := strconv.Atoi(sn.function(c.fn.ID).Env["MAX_ATTEMPTS"])
				if got != attempts+2 {
					t.Errorf("MaxAttempts=%s: %s maxReceiveCount = %d, want MAX_ATTEMPTS (%d) + 2", n, c.queue, got, attempts)
				}
			}
			retention := asInt(t, q["MessageRetentionPeriod"], c.queue+".MessageRetentionPeriod")
			if horizon := maxAttempts * 12 * 3600; retention < horizon {
				t.Errorf("%s keeps messages %ds, less than %d attempts spaced by up to 12h (%ds)", c.queue, retention, maxAttempts, horizon)
			}
			dlqRetention := asInt(t, path(tpl.Resources[c.dlq].Properties, "MessageRetentionPeriod"), c.dlq+".MessageRetentionPeriod")
			if dlqRetention != 1209600 || dlqRetention <= retention {
				t.Errorf("%s keeps messages %ds, want 1209600 (14 days, longer than %s's %ds)", c.dlq, dlqRetention, c.queue, retention)
			}
			if tpl.Resources[c.queue].Condition != tpl.Resources[c.fn.ID].Condition || tpl.Resources[c.dlq].Condition != tpl.Resources[c.fn.ID].Condition {
				t.Errorf("%s, %s and %s are not created under the same condition", c.queue, c.dlq, c.fn.ID)
			}

			if got := c.event["FunctionResponseTypes"]; fmt.Sprint(got) != "[ReportBatchItemFailures]" {
				t.Errorf("FunctionResponseTypes = %v, want [ReportBatchItemFailures]: without it one failure redelivers the whole batch", got)
			}
			batch := asInt(t, c.event["BatchSize"], "BatchSize")
			if batch < 1 || batch > 10 {
				t.Errorf("BatchSize = %d, want 1 to 10", batch)
			}
			if w := asInt(t, c.event["MaximumBatchingWindowInSeconds"], "MaximumBatchingWindowInSeconds"); w > 5 {
				t.Errorf("MaximumBatchingWindowInSeconds = %d: chat notifications should not wait that long", w)
			}
			conc := asInt(t, path(c.event, "ScalingConfig", "MaximumConcurrency"), "ScalingConfig.MaximumConcurrency")
			if conc < 2 {
				t.Errorf("MaximumConcurrency = %d, SQS's minimum is 2", conc)
			}

			st, err := loaders[c.fn.ID](c.fn.getenv)
			if err != nil {
				t.Fatalf("%s would not start: %v", c.fn.ID, err)
			}
			// A paced channel posts to a service that takes about one
			// message a second (Slack's webhooks, a Telegram chat), and
			// each of its instances paces itself alone.
			if st.paceInterval > 0 && st.paceInterval < time.Duration(conc)*time.Second {
				t.Errorf("%s: %d instances each posting every %s make more than one post a second", c.fn.ID, conc, st.paceInterval)
			}
			// The runtime starts no delivery with less time left than one
			// delivery's timeout plus its margin: a shorter Lambda would
			// never deliver anything.
			needed := time.Duration(batch-1)*st.paceInterval + st.deliveryTimeout + consumer.DefaultDeadlineMargin
			if limit := time.Duration(c.fn.Timeout) * time.Second; limit < needed {
				t.Errorf("%s Timeout = %s, less than a full batch needs (%s)", c.fn.ID, limit, needed)
			}
		})
	}
}

func TestEveryQueueIsEncryptedAndTakesTheLargestMessages(t *testing.T) {
	tpl := loadTemplate(t)
	n := 0
	for _, id := range sortedKeys(tpl.Resources) {
		r := tpl.Resources[id]
		if r.Type != "AWS::SQS::Queue" {
			continue
		}
		n++
		if r.Properties["SqsManagedSseEnabled"] != true {
			t.Errorf("%s: SqsManagedSseEnabled = %v, want true", id, r.Properties["SqsManagedSseEnabled"])
		}
		if got := asInt(t, r.Properties["MaximumMessageSize"], id+".MaximumMessageSize"); got != 1048576 {
			t.Errorf("%s: MaximumMessageSize = %d, want 1048576", id, got)
		}
		if _, isSource := r.Properties["RedrivePolicy"]; !isSource {
			if got := asInt(t, r.Properties["MessageRetentionPeriod"], id+".MessageRetentionPeriod"); got != 1209600 {
				t.Errorf("%s (a queue people read by hand) keeps messages %ds, want 1209600 (14 days)", id, got)
			}
		}
	}
	if want := 2*len(channels.All) + 1; n != want {
		t.Errorf("found %d queues, want %d (a queue and a DLQ per channel, and the quarantine)", n, want)
	}
}

func TestEachRoleGrantsWhatItsFunctionUsesAndNothingElse(t *testing.T) {
	tpl := loadTemplate(t)
	for _, params := range []map[string]string{
		with("EmailConfigurationSet", "relay-events"),
		secretsScenario(),
		with(slackThreads...),
		with(slices.Concat(slackThreads, []string{"SlackBotToken", "", "SlackBotTokenSecretArn", testSecretArn("slack-bot")})...),
	} {
		eachRoleGrantsWhatItsFunctionUses(t, tpl, newStack(t, tpl, params))
	}
}

func eachRoleGrantsWhatItsFunctionUses(t *testing.T, tpl *cfnTemplate, s *stack) {
	roles := map[string]bool{}
	for _, f := range s.functions() {
		t.Run(f.ID, func(t *testing.T) {
			if _, ok := f.Props["Policies"]; ok {
				t.Errorf("%s uses SAM Policies; give it its own Role so SAM adds no managed policy", f.ID)
			}
			role := refTarget(f.Props["Role"])
			if role == "" || tpl.Resources[role].Type != "AWS::IAM::Role" {
				t.Fatalf("%s.Role = %v, want !GetAtt of a role in this template: without it an SQS event makes SAM attach AWSLambdaSQSQueueExecutionRole (every queue in the account)", f.ID, f.Props["Role"])
			}
			if roles[role] {
				t.Errorf("%s shares %s with another function", f.ID, role)
			}
			roles[role] = true
			rp := tpl.Resources[role].Properties
			if _, ok := rp["ManagedPolicyArns"]; ok {
				t.Errorf("%s attaches managed policies; their resources are not scoped to this stack", role)
			}

			// What each resource may be used for, from the function's own
			// configuration.
			allowed := map[string][]string{}
			if lg := refTarget(path(f.Props, "LoggingConfig", "LogGroup")); lg != "" {
				allowed[lg] = []string{"logs:CreateLogStream", "logs:PutLogEvents"}
			} else {
				t.Errorf("%s has no LoggingConfig.LogGroup of its own", f.ID)
			}
			for name, v := range f.EnvRaw {
				q := refTarget(v)
				if q != "" && tpl.Resources[q].Type == "AWS::DynamoDB::Table" && f.EnvRaw["QUEUE_URL"] != nil {
					// The consumers' idempotency store (ingest ignores
					// the Globals that name it).
					allowed[q] = []string{"dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:UpdateItem", "dynamodb:DeleteItem"}
				}
				if q == "" || tpl.Resources[q].Type != "AWS::SQS::Queue" {
					continue
				}
				switch name {
				case "QUEUE_URL":
					allowed[q] = []string{"sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:GetQueueAttributes", "sqs:ChangeMessageVisibility"}
				default: // DLQ_URL, QUARANTINE_QUEUE_URL, <CHANNEL>_QUEUE_URL
					allowed[q] = []string{"sqs:SendMessage"}
				}
			}
			if f.ID == "IngestFunction" {
				// Its channel queue URLs sit in !If.
				var queueVars []any
				for _, spec := range channels.All {
					queueVars = append(queueVars, f.EnvRaw[spec.QueueEnv()])
				}
				for _, q := range referencedIDs(tpl, queueVars) {
					allowed[q] = []string{"sqs:SendMessage"}
				}
			}

			granted := map[string][]string{} // resource id (or "ses") -> actions
			for _, st := range s.roleStatements(role) {
				if breakerStatement(t, f, role, st, granted) {
					continue
				}
				if secretStatement(t, f, role, st, granted) {
					continue
				}
				checkStatement(t, tpl, role, st, allowed, granted, s)
			}
			// And the other way round: a permission the function needs and
			// lacks would fail in AWS only (dead letters without a reason,
			// say), so each one must be granted.
			if f.ID == "EmailFunction" {
				allowed["ses"] = []string{"ses:SendEmail"}
			}
			if f.EnvRaw["QUEUE_URL"] != nil {
				allowed["breaker"] = []string{"lambda:ListEventSourceMappings", "lambda:UpdateEventSourceMapping"}
			}
			for name, v := range f.Env {
				if strings.HasSuffix(name, secrets.Suffix) && v != "" {
					allowed["secret:"+v] = []string{"secretsmanager:GetSecretValue"}
				}
			}
			for resource, actions := range allowed {
				for _, a := range actions {
					if !slices.Contains(granted[resource], a) {
						t.Errorf("%s lacks %s on %s, which its function uses", role, a, resource)
					}
				}
			}
		})
	}
}

// roleStatements are the statements a role holds once the stack is
// created: its own policies' and those of each AWS::IAM::Policy attached
// to it.
func (s *stack) roleStatements(role string) []map[string]any {
	var docs []any
	for _, pol := range s.eval(s.tpl.Resources[role].Properties["Policies"]).([]any) {
		docs = append(docs, path(pol, "PolicyDocument"))
	}
	for _, id := range sortedKeys(s.tpl.Resources) {
		r := s.tpl.Resources[id]
		if r.Type != "AWS::IAM::Policy" || !s.exists(id) {
			continue
		}
		for _, attached := range r.Properties["Roles"].([]any) {
			if refTarget(attached) == role {
				docs = append(docs, s.eval(r.Properties["PolicyDocument"]))
			}
		}
	}
	var out []map[string]any
	for _, doc := range docs {
		for _, st := range path(doc, "Statement").([]any) {
			out = append(out, st.(map[string]any))
		}
	}
	return out
}

// sqsMapping is the logical id of the event source mapping SAM makes for
// the function's SQS event.
func sqsMapping(f function) string {
	events, _ := f.Props["Events"].(map[string]any)
	for name, ev := range events {
		if path(ev, "Type") == "SQS" {
			return f.ID + name
		}
	}
	return ""
}

// breakerStatement checks, and reports, a statement of a consumer's
// breaker: listing the event source mappings (an action with no
// resource-level permission, so on "*") and updating one, the function's
// own mapping only, by its ARN (in a policy of its own: the role naming
// the mapping would make a cycle).
func breakerStatement(t *testing.T, f function, role string, st map[string]any, granted map[string][]string) bool {
	t.Helper()
	actions := asStrings(st["Action"])
	if len(actions) != 1 || !strings.HasPrefix(actions[0], "lambda:") {
		return false
	}
	resources := asStrings(st["Resource"])
	switch actions[0] {
	case "lambda:ListEventSourceMappings":
		if fmt.Sprint(resources) != "[*]" || st["Condition"] != nil {
			t.Errorf("%s: %v, want ListEventSourceMappings on * alone", role, st)
		}
	case "lambda:UpdateEventSourceMapping":
		mapping := sqsMapping(f)
		want := fmt.Sprintf("arn:aws:lambda:%s:%s:event-source-mapping:%s", testRegion, testAccount, mappingUUID(mapping))
		if fmt.Sprint(resources) != "["+want+"]" || st["Condition"] != nil {
			t.Errorf("%s: %v, want UpdateEventSourceMapping on %s's own mapping (%s, by its ARN) alone", role, st, f.ID, mapping)
		}
	default:
		t.Errorf("%s: grants %s", role, actions[0])
	}
	if f.EnvRaw["QUEUE_URL"] == nil {
		t.Errorf("%s: %s's function is no consumer", role, actions[0])
	}
	granted["breaker"] = append(granted["breaker"], actions[0])
	return true
}

// secretStatement checks, and reports, a statement letting the function
// read a secret setting from Secrets Manager: only the secrets its own
// variables name.
func secretStatement(t *testing.T, f function, role string, st map[string]any, granted map[string][]string) bool {
	t.Helper()
	if fmt.Sprint(asStrings(st["Action"])) != "[secretsmanager:GetSecretValue]" {
		return false
	}
	for _, arn := range asStrings(st["Resource"]) {
		named := false
		for name, v := range f.Env {
			named = named || strings.HasSuffix(name, secrets.Suffix) && v != "" && v == arn
		}
		if !named {
			t.Errorf("%s: may read the secret %s, which no variable of %s names", role, arn, f.ID)
		}
		granted["secret:"+arn] = append(granted["secret:"+arn], "secretsmanager:GetSecretValue")
	}
	return true
}

func checkStatement(t *testing.T, tpl *cfnTemplate, role string, st map[string]any, allowed, granted map[string][]string, s *stack) {
	t.Helper()
	if st["Effect"] != "Allow" {
		return
	}
	actions := asStrings(st["Action"])
	resources := asStrings(st["Resource"])
	if len(actions) == 0 || len(resources) == 0 {
		t.Errorf("%s: a statement without Action or Resource: %v", role, st)
	}
	// The two conditions: the table's items by key, SES's sender.
	switch {
	case strings.HasPrefix(actions[0], "dynamodb:"):
		if keys := asStrings(path(st["Condition"], "ForAllValues:StringLike", "dynamodb:LeadingKeys")); len(keys) == 0 || len(st["Condition"].(map[string]any)) != 1 {
			t.Errorf("%s: the table statement's condition is %v, want ForAllValues:StringLike on dynamodb:LeadingKeys alone: the channel's own items", role, st["Condition"])
		}
	case strings.HasPrefix(actions[0], "ses:"):
		if want := map[string]any{"StringEquals": map[string]any{"ses:FromAddress": s.params["EmailFrom"]}}; fmt.Sprint(st["Condition"]) != fmt.Sprint(want) {
			t.Errorf("%s: the SES statement's condition is %v, want %v: EmailFrom alone, not every address of its domain", role, st["Condition"], want)
		}
	case st["Condition"] != nil:
		t.Errorf("%s: an unexpected condition %v", role, st["Condition"])
	}
	for _, a := range actions {
		if strings.Contains(a, "*") {
			t.Errorf("%s: wildcard action %q", role, a)
		}
	}
	for _, r := range resources {
		if r == "*" || strings.HasSuffix(r, ":*") || strings.HasSuffix(r, "/*") {
			t.Errorf("%s: wildcard resource %q", role, r)
		}
		id, isRef := strings.CutSuffix(r, ".Arn") // how the test's stack renders GetAtt
		if isRef {
			granted[id] = append(granted[id], actions...)
			for _, a := range actions {
				if !slices.Contains(allowed[id], a) {
					t.Errorf("%s: grants %s on %s, which its function does not use that way (allowed: %v)", role, a, id, allowed[id])
				}
			}
			continue
		}
		granted["ses"] = append(granted["ses"], actions...)
		for _, a := range actions {
			if a != "ses:SendEmail" { // shared/email calls SendEmail only
				t.Errorf("%s: grants %s on %s", role, a, r)
			}
		}
		from, cs := s.params["EmailFrom"], s.params["EmailConfigurationSet"]
		_, domain, _ := strings.Cut(from, "@")
		prefix := fmt.Sprintf("arn:aws:ses:%s:%s:", testRegion, testAccount)
		if r != prefix+"identity/"+from && r != prefix+"identity/"+domain && r != prefix+"configuration-set/"+cs {
			t.Errorf("%s: SES resource %q is neither EmailFrom's identity (address or domain) nor its configuration set", role, r)
		}
	}
}

func asStrings(v any) []string {
	switch x := v.(type) {
	case string:
		return []string{x}
	case []any:
		var out []string
		for _, item := range x {
			if s, ok := item.(string); ok {
				out = append(out, s)
			}
		}
		return out
	}
	return nil
}

// alarmWatch is what an alarm watches: a metric with one dimension value
// (a queue, a function, the API, a channel, a refusal reason).
type alarmWatch struct{ namespace, metric, target string }

func TestAnAlarmFiresOnEachNewFailureAndSaysWhatToRun(t *testing.T) {
	tpl := loadTemplate(t)
	s := newStack(t, tpl, allChannels)
	alarms := map[alarmWatch]string{}
	for _, id := range sortedKeys(tpl.Resources) {
		r := tpl.Resources[id]
		if r.Type != "AWS::CloudWatch::Alarm" {
			continue
		}
		p := r.Properties
		dim := path(p, "Dimensions").([]any)[0].(map[string]any)["Value"]
		target := refTarget(dim)
		if target == "" {
			target = fmt.Sprint(dim)
		}
		alarms[alarmWatch{fmt.Sprint(p["Namespace"]), fmt.Sprint(p["MetricName"]), target}] = id
		// Missing data is the quiet between failures: the alarm returns
		// to OK, and the next failure fires it again.
		if p["TreatMissingData"] != "notBreaching" || p["ComparisonOperator"] != "GreaterThanThreshold" {
			t.Errorf("%s: TreatMissingData %v, %v; want notBreaching, GreaterThanThreshold", id, p["TreatMissingData"], p["ComparisonOperator"])
		}
		if got := referencedIDs(tpl, p["AlarmActions"]); fmt.Sprint(got) != "[AlarmTopic]" {
			t.Errorf("%s: AlarmActions refer to %v, want [AlarmTopic]", id, got)
		}
		if d := s.str(p["AlarmDescription"]); !strings.Contains(d, "See: relayctl ") && !strings.Contains(d, "See: aws ") || strings.Contains(d, "${") {
			t.Errorf("%s: description %q names no command to run", id, d)
		}
		if tpl.Resources[target].Type != "" && r.Condition != tpl.Resources[target].Condition {
			t.Errorf("%s is created under %q, what it watches (%s) under %q", id, r.Condition, target, tpl.Resources[target].Condition)
		}
	}
	want := map[alarmWatch]string{
		{"AWS/SQS", "NumberOfMessagesSent", "QuarantineQueue"}: "a new quarantined callback",
		{"NiceChatRelay", "Refused", "unauthorized"}:           "callbacks refused with 401 (a wrong token in Nice Chat)",
		{"AWS/Lambda", "Errors", "IngestFunction"}:             "ingest errors",
		{"AWS/Lambda", "Throttles", "IngestFunction"}:          "ingest throttled",
		{"AWS/ApiGateway", "5xx", "HttpApi"}:                   "the API's 5xx",
	}
	for _, spec := range channels.All {
		want[alarmWatch{"AWS/SQS", "NumberOfMessagesSent", dlqID(spec)}] = "each new " + spec.Name + " dead letter"
		want[alarmWatch{"AWS/SQS", "ApproximateAgeOfOldestMessage", dlqID(spec)}] = "old " + spec.Name + " dead letters"
		want[alarmWatch{"AWS/SQS", "ApproximateAgeOfOldestMessage", queueID(spec)}] = "a stuck " + spec.Name + " queue"
		want[alarmWatch{"NiceChatRelay", "ChannelPaused", spec.Name}] = "the " + spec.Name + " channel pausing itself"
	}
	for w, what := range want {
		if _, ok := alarms[w]; !ok {
			t.Errorf("no alarm on %s: want one on %s %s of %s", what, w.namespace, w.metric, w.target)
		}
	}
	if len(alarms) != len(want) {
		t.Errorf("%d alarms, want the %d above", len(alarms), len(want))
	}
	// The metrics the code emits are the ones the alarms watch.
	if ingest.MetricRefused != "Refused" || ingest.ReasonUnauthorized != "unauthorized" || consumer.MetricPaused != "ChannelPaused" || consumer.DefaultNamespace != "NiceChatRelay" {
		t.Errorf("the code emits %s/%s{reason=%s} and %s, not what the alarms watch", consumer.DefaultNamespace, ingest.MetricRefused, ingest.ReasonUnauthorized, consumer.MetricPaused)
	}

	sub := tpl.Resources["AlarmEmailSubscription"]
	if sub.Type != "AWS::SNS::Subscription" || refTarget(sub.Properties["TopicArn"]) != "AlarmTopic" || refTarget(sub.Properties["Endpoint"]) != "AlarmEmail" || sub.Condition == "" {
		t.Errorf("AlarmEmailSubscription = %+v, want an email subscription of AlarmTopic to AlarmEmail, only when it is set", sub)
	}
	if newStack(t, tpl, with("AlarmEmail", "")).exists("AlarmEmailSubscription") {
		t.Errorf("an empty AlarmEmail still creates a subscription")
	}
}

func TestWhatAPersonMustReadSurvivesTheStack(t *testing.T) {
	tpl := loadTemplate(t)
	keep := []string{"QuarantineQueue", "IdempotencyTable"}
	for _, spec := range channels.All {
		keep = append(keep, dlqID(spec))
	}
	b, err := os.ReadFile(templatePath)
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Resources map[string]map[string]any `yaml:"Resources"`
	}
	if err := yaml.Unmarshal(b, &doc); err != nil {
		t.Fatal(err)
	}
	for _, id := range keep {
		if r := doc.Resources[id]; r["DeletionPolicy"] != "Retain" || r["UpdateReplacePolicy"] != "Retain" {
			t.Errorf("%s: DeletionPolicy %v, UpdateReplacePolicy %v; want Retain for both", id, r["DeletionPolicy"], r["UpdateReplacePolicy"])
		}
	}
	// Access logs, without the path: it holds the callback token.
	api := tpl.Resources["HttpApi"].Properties
	format := fmt.Sprint(path(api, "AccessLogSettings", "Format"))
	if refTarget(path(api, "AccessLogSettings", "DestinationArn")) != "ApiAccessLogGroup" || !strings.Contains(format, "$context.routeKey") || strings.Contains(format, "$context.path") {
		t.Errorf("HttpApi access logs = %v, want JSON lines to ApiAccessLogGroup, with the route key and never the path", path(api, "AccessLogSettings"))
	}
	if got := asInt(t, tpl.Resources["ApiAccessLogGroup"].Properties["RetentionInDays"], "RetentionInDays"); got != 30 {
		t.Errorf("ApiAccessLogGroup keeps logs %d days, want 30", got)
	}
}

func TestOutputsNameWhatRelayctlReads(t *testing.T) {
	tpl := loadTemplate(t)
	s := newStack(t, tpl, allChannels)
	for _, spec := range channels.All {
		fn := s.function(functionID(spec))
		for output, env := range map[string]string{spec.QueueOutput(): "QUEUE_URL", spec.DLQOutput(): "DLQ_URL"} {
			o, ok := tpl.Outputs[output]
			if !ok {
				t.Errorf("no output %s: relayctl --stack reads it", output)
				continue
			}
			if got, want := refTarget(o.Value), refTarget(fn.EnvRaw[env]); got != want {
				t.Errorf("output %s is the URL of %s, but %s's %s is %s", output, got, fn.ID, env, want)
			}
			if o.Condition != tpl.Resources[fn.ID].Condition {
				t.Errorf("output %s has condition %q, want %s's %q", output, o.Condition, fn.ID, tpl.Resources[fn.ID].Condition)
			}
		}
	}
	ingestFn := s.function("IngestFunction")
	if got, want := refTarget(tpl.Outputs[ingest.OutputQuarantineQueueURL].Value), refTarget(ingestFn.EnvRaw["QUARANTINE_QUEUE_URL"]); got == "" || got != want {
		t.Errorf("output %s refers to %q, want ingest's quarantine queue %q", ingest.OutputQuarantineQueueURL, got, want)
	}

	if got, want := s.str(tpl.Outputs["CallbackUrl"].Value), "https://nicechat-relay-HttpApi.execute-api.us-east-1.amazonaws.com/callback/"; got != want {
		t.Errorf("CallbackUrl = %s, want %s", got, want)
	}
	route, _ := path(ingestFn.Props, "Events").(map[string]any)
	// POST takes callbacks; GET is answered 405 with Allow: POST by the
	// same handler (a browser pasting the URL learns it is right).
	for _, method := range []string{"POST", "GET"} {
		var found bool
		for _, ev := range route {
			p := path(ev, "Properties")
			if path(ev, "Type") == "HttpApi" && path(p, "Method") == method && path(p, "Path") == "/callback/{token}" && refTarget(path(p, "ApiId")) == "HttpApi" {
				found = true
			}
		}
		if !found {
			t.Errorf("IngestFunction has no HttpApi event %s /callback/{token} on HttpApi: %v", method, route)
		}
	}
	throttle := path(tpl.Resources["HttpApi"].Properties, "DefaultRouteSettings")
	if path(throttle, "ThrottlingBurstLimit") == nil || path(throttle, "ThrottlingRateLimit") == nil {
		t.Errorf("HttpApi.DefaultRouteSettings has no throttling: %v", throttle)
	}
}

func TestTheLanguageParametersOfferTheCatalogsLanguages(t *testing.T) {
	tpl := loadTemplate(t)
	want := humanize.Languages()
	if got := tpl.Parameters["HumanizeLanguage"].AllowedValues; !slices.Equal(got, want) {
		t.Errorf("HumanizeLanguage allows %v, the catalogs are %v", got, want)
	}
	for _, p := range []string{"EmailLanguage", "SlackLanguage", "TelegramLanguage"} {
		if got := tpl.Parameters[p].AllowedValues; !slices.Equal(got, append([]string{""}, want...)) {
			t.Errorf("%s allows %v, want empty (HumanizeLanguage) or one of %v", p, got, want)
		}
	}
	// A stack in Ukrainian with the accountant's email in English starts.
	s := newStack(t, tpl, with("HumanizeLanguage", "uk", "EmailLanguage", "en"))
	for _, f := range s.functions() {
		if _, err := loaders[f.ID](f.getenv); err != nil {
			t.Errorf("%s would not start: %v", f.ID, err)
		}
	}
}

// A stack that names no DisplayTimezone shows its times in its language's
// zone (the shop's), whatever a channel's own language; one that names a
// zone shows them there. CloudFormation takes both.
func TestTheDisplayTimezoneDefaultsToHumanizeLanguagesZone(t *testing.T) {
	tpl := loadTemplate(t)
	param := tpl.Parameters["DisplayTimezone"]
	if param.Default == nil || *param.Default != "" {
		t.Fatalf("DisplayTimezone has the default %q (or none), want empty: HumanizeLanguage's zone", *cmp.Or(param.Default, new(string)))
	}
	for _, v := range []string{"", "UTC", "Europe/Kyiv", "America/Argentina/Buenos_Aires", "Etc/GMT+3"} {
		if err := cfnAccepts(param, v); err != nil {
			t.Errorf("DisplayTimezone=%q is refused: %v", v, err)
		}
	}
	tests := []struct {
		params map[string]string
		want   string
	}{
		{with(), "UTC"},
		{with("HumanizeLanguage", "uk"), "Europe/Kyiv"},
		{with("HumanizeLanguage", "uk", "EmailLanguage", "en", "SlackLanguage", "pl"), "Europe/Kyiv"},
		{with("HumanizeLanguage", "pl"), "Europe/Warsaw"},
		{with("HumanizeLanguage", "uk", "DisplayTimezone", "America/New_York"), "America/New_York"},
	}
	for _, tc := range tests {
		s := newStack(t, tpl, tc.params)
		for _, spec := range channels.All {
			f := s.function(functionID(spec))
			if _, ok := f.Env[humanize.EnvTimezone]; !ok {
				t.Fatalf("%s has no %s", f.ID, humanize.EnvTimezone)
			}
			opts, err := humanize.OptionsFromEnv(f.getenv, "")
			if err != nil {
				t.Errorf("%s with %v: %v", f.ID, tc.params, err)
				continue
			}
			if got := opts.Location.String(); got != tc.want {
				t.Errorf("%s with %v shows times in %s, want %s", f.ID, tc.params, got, tc.want)
			}
		}
	}
}

func TestTheIdempotencyTableIsTheOneTheConsumersUse(t *testing.T) {
	tpl := loadTemplate(t)
	table := tpl.Resources["IdempotencyTable"]
	p := table.Properties
	for _, c := range []struct {
		what      string
		got, want any
	}{
		{"Type", table.Type, "AWS::DynamoDB::Table"},
		{"Condition", table.Condition, ""},
		{"BillingMode", p["BillingMode"], "PAY_PER_REQUEST"},
		{"KeySchema", fmt.Sprint(p["KeySchema"]), "[map[AttributeName:id KeyType:HASH]]"},
		{"AttributeDefinitions", fmt.Sprint(p["AttributeDefinitions"]), "[map[AttributeName:id AttributeType:S]]"},
		{"TimeToLiveSpecification", fmt.Sprint(p["TimeToLiveSpecification"]), "map[AttributeName:expires_at Enabled:true]"},
		{"PointInTimeRecoverySpecification", fmt.Sprint(p["PointInTimeRecoverySpecification"]), "map[PointInTimeRecoveryEnabled:true]"},
		{"SSESpecification", fmt.Sprint(p["SSESpecification"]), "map[SSEEnabled:true]"},
	} {
		if c.got != c.want {
			t.Errorf("IdempotencyTable %s = %v, want %v", c.what, c.got, c.want)
		}
	}
	s := newStack(t, tpl, allChannels)
	for _, spec := range channels.All {
		fn := s.function(functionID(spec))
		if got := refTarget(fn.EnvRaw["IDEMPOTENCY_TABLE"]); got != "IdempotencyTable" {
			t.Errorf("%s: IDEMPOTENCY_TABLE refers to %q, want IdempotencyTable", fn.ID, got)
		}
	}
	// What the parameter's constraint lets through, the consumers take;
	// what they would refuse, it refuses at deploy time.
	param := tpl.Parameters["IdempotencyWindow"]
	for _, v := range []string{*param.Default, "90m", "1h", "7d", "30d", "1m", "31d", "0h", "0m", "24", "soon", "-1h", "720h", "721h", "1000h", "43200m", "43201m", "50000m"} {
		_, parseErr := idempotency.ParseWindow(v)
		if cfnErr := cfnAccepts(param, v); cfnErr == nil && parseErr != nil || cfnErr != nil && parseErr == nil {
			t.Errorf("IdempotencyWindow=%q: CloudFormation accepts it: %v, the consumers: %v", v, cfnErr == nil, parseErr == nil)
		}
	}
}

// A stack with a Slack bot token gives the Slack function its token, its
// channel and the thread settings, with the template's defaults the
// code's own, and the idempotency table the threads are kept in: the
// function starts with them, and would not without the table.
func TestSlackInThreadsStartsWithItsSettingsAndTheIdempotencyTable(t *testing.T) {
	tpl := loadTemplate(t)
	if got := *tpl.Parameters["SlackBroadcastEvents"].Default; got != slack.DefaultBroadcastEvents {
		t.Errorf("SlackBroadcastEvents defaults to %q, the Slack function (and the local relay) to %q", got, slack.DefaultBroadcastEvents)
	}
	if got, err := idempotency.ParseDays("SlackThreadTtl", *tpl.Parameters["SlackThreadTtl"].Default, 0, 0, 1<<62); err != nil || got != slack.DefaultThreadTTL {
		t.Errorf("SlackThreadTtl defaults to %s (%v), the Slack function (and the local relay) to %s", got, err, slack.DefaultThreadTTL)
	}
	lambdaEnv := lambdaEnvironment(t)

	for _, tc := range []struct {
		name      string
		params    map[string]string
		ttl       time.Duration
		broadcast []string
	}{
		{"with the defaults", off(only("slack"), slackThreads), slack.DefaultThreadTTL, []string{nicechat.TypeUnanswered, nicechat.TypeNewOrder}},
		{"threads kept 90 days, unanswered and forms shown in the channel", off(only("slack"), slackThreads, []string{"SlackThreadTtl", "90d", "SlackBroadcastEvents", "unanswered, push_form"}), 90 * 24 * time.Hour, []string{nicechat.TypeUnanswered, nicechat.TypePushForm}},
		{"no reply shown in the channel", off(only("slack"), slackThreads, []string{"SlackBroadcastEvents", "none"}), slack.DefaultThreadTTL, []string{}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := newStack(t, tpl, tc.params)
			if ok, why := s.rulesPass(); !ok {
				t.Fatalf("the template's Rules refuse these parameters: %s", why)
			}
			fn := s.function("SlackFunction")
			for name, want := range map[string]string{
				slack.EnvBotToken: testBotToken, slack.EnvBotToken + secrets.Suffix: "", slack.EnvChannel: testSlackChannel,
				slack.EnvThreadTTL: s.params["SlackThreadTtl"], slack.EnvBroadcastEvents: s.params["SlackBroadcastEvents"],
				slack.EnvWebhookURL: "", slack.EnvWebhookURL + secrets.Suffix: "",
			} {
				if got := fn.Env[name]; got != want {
					t.Errorf("%s = %q, want %q", name, got, want)
				}
			}
			if got := refTarget(fn.EnvRaw[idempotency.EnvTable]); got != "IdempotencyTable" {
				t.Errorf("%s refers to %q, want IdempotencyTable: the threads are kept there", idempotency.EnvTable, got)
			}

			cfg, err := slack.ConfigFromEnv(fn.getenv)
			if err != nil {
				t.Fatalf("the Slack settings are refused: %v", err)
			}
			if !cfg.Threaded() || cfg.ChannelID != testSlackChannel || cfg.ThreadTTL != tc.ttl || !slices.Equal(cfg.Broadcast, tc.broadcast) {
				t.Errorf("the Slack function reads threaded %v in %q, kept %s, broadcasting %v; want threads in %s kept %s broadcasting %v",
					cfg.Threaded(), cfg.ChannelID, cfg.ThreadTTL, cfg.Broadcast, testSlackChannel, tc.ttl, tc.broadcast)
			}

			getenv := func(name string) string {
				if v, ok := lambdaEnv[name]; ok {
					return v
				}
				return fn.getenv(name)
			}
			if _, err := loaders[fn.ID](getenv); err != nil {
				t.Errorf("%s would not start: %v", fn.ID, err)
			}
			withoutTable := func(name string) string {
				if name == idempotency.EnvTable {
					return ""
				}
				return getenv(name)
			}
			if _, err := loaders[fn.ID](withoutTable); err == nil || !strings.Contains(err.Error(), idempotency.EnvTable) {
				t.Errorf("without %s: %v, want a refusal to start naming it", idempotency.EnvTable, err)
			}
		})
	}
}

// The Slack role may read the secret of the mode in use, and only that
// one: the webhook URL's or the bot token's.
func TestTheSlackRoleReadsOnlyTheSecretOfItsMode(t *testing.T) {
	tpl := loadTemplate(t)
	for _, tc := range []struct {
		name   string
		params map[string]string
		want   []string
	}{
		{"the webhook URL as a value", allChannels, nil},
		{"the webhook URL in Secrets Manager", with("SlackWebhookUrl", "", "SlackWebhookUrlSecretArn", testSecretArn("slack")), []string{testSecretArn("slack")}},
		{"a bot token as a value", with(slackThreads...), nil},
		{"a bot token in Secrets Manager", with(slices.Concat(slackThreads, []string{"SlackBotToken", "", "SlackBotTokenSecretArn", testSecretArn("slack-bot")})...), []string{testSecretArn("slack-bot")}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := newStack(t, tpl, tc.params)
			if ok, why := s.rulesPass(); !ok {
				t.Fatalf("the template's Rules refuse these parameters: %s", why)
			}
			var readable []string
			for _, pol := range s.eval(tpl.Resources["SlackRole"].Properties["Policies"]).([]any) {
				for _, st := range path(pol, "PolicyDocument", "Statement").([]any) {
					if slices.Contains(asStrings(path(st, "Action")), "secretsmanager:GetSecretValue") {
						readable = append(readable, asStrings(path(st, "Resource"))...)
					}
				}
			}
			if !slices.Equal(readable, tc.want) {
				t.Errorf("SlackRole may read the secrets %v, want %v", readable, tc.want)
			}
		})
	}
}

// longestStackName is the longest name CloudFormation gives a stack: 128
// letters, digits and hyphens, starting with a letter.
var longestStackName = "n" + strings.Repeat("-relay-0123", 11) + strings.Repeat("x", 6)

func TestTheLongestStackNameFitsEveryNameTheTemplateMakesFromIt(t *testing.T) {
	if len(longestStackName) != 128 {
		t.Fatalf("longestStackName has %d characters, want 128", len(longestStackName))
	}
	tpl := loadTemplate(t)
	// The properties that may hold the stack's name, and their services'
	// limits: every other name is left to CloudFormation, which makes one up
	// from the stack's and shortens it to fit.
	limits := map[string]int{"LogGroupName": 512, "AlarmDescription": 1024}
	physicalNames := []string{"FunctionName", "QueueName", "RoleName", "TableName", "TopicName", "AlarmName", "Name", "ApiName", "LogGroupName"}
	var walk func(id, key string, v any)
	walk = func(id, key string, v any) {
		switch x := v.(type) {
		case []any:
			for _, item := range x {
				walk(id, key, item)
			}
		case map[string]any:
			if sub, ok := x["Fn::Sub"]; ok {
				text, _ := sub.(string)
				if list, ok := sub.([]any); ok {
					text, _ = list[0].(string)
				}
				if !strings.Contains(text, "${AWS::StackName}") {
					return
				}
				limit, known := limits[key]
				if !known {
					t.Errorf("%s.%s is made from the stack's name, and no limit of its service is known to this test: %s", id, key, text)
					return
				}
				// Every other ${...} at its longest: a logical id, a region.
				made := subVariable.ReplaceAllStringFunc(text, func(v string) string {
					if v == "${AWS::StackName}" {
						return longestStackName
					}
					return strings.Repeat("x", 64)
				})
				if len(made) > limit {
					t.Errorf("%s.%s is %d characters with a %d-character stack name, over its limit of %d: %s", id, key, len(made), len(longestStackName), limit, text)
				}
				return
			}
			for k, item := range x {
				walk(id, k, item)
			}
		}
	}
	for _, id := range sortedKeys(tpl.Resources) {
		r := tpl.Resources[id]
		for _, name := range physicalNames {
			if _, named := r.Properties[name]; named && !(name == "LogGroupName" && r.Type == "AWS::Logs::LogGroup") {
				t.Errorf("%s sets its own %s: CloudFormation must make it up, from the stack's name shortened to fit", id, name)
			}
		}
		walk(id, "", r.Properties)
	}
}
