package infra_test

import (
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/nicechat-relay/nicechat-relay/infra/generate"
	"github.com/nicechat-relay/nicechat-relay/shared/channel"
	"github.com/nicechat-relay/nicechat-relay/shared/channels"
	"github.com/nicechat-relay/nicechat-relay/shared/settings"
)

// proofchannel is a channel nobody wrote: a description alone, as a
// newcomer adds one to shared/channels, named so that no real channel's
// name meets it.
var proofchannel = channel.Spec{
	Name:  "proofchannel",
	Title: "Proofchannel",
	Routes: []channel.Route{{
		Env: "PROOFCHANNEL_EVENTS", Default: channel.HumaneEvents,
		Description: "Event types posted to Proofchannel (comma list, * = all, empty = none).",
		Doc:         "event types posted to Proofchannel",
	}},
	Source:  channel.EventSource{BatchSize: 5, BatchWindow: time.Second, MaxConcurrency: 2, FunctionTimeout: 30 * time.Second},
	Secrets: []string{"PROOFCHANNEL_WEBHOOK_URL"},
	Deploy: channel.Deployment{
		FarEnd:      "ProofchannelWebhookUrl",
		Label:       "Proofchannel",
		Delivery:    "A Proofchannel message",
		Description: "Posts queued events to a Microsoft Proofchannel channel through its workflow webhook.",
		Delivers:    "humane Adaptive Card",
		OnDoc:       "ProofchannelWebhookUrl",
		LocalOnDoc:  "`PROOFCHANNEL_WEBHOOK_URL`",
		Params: []channel.Param{{
			Env:         "PROOFCHANNEL_WEBHOOK_URL",
			Pattern:     `^$|^https://[^\s]+$`,
			Constraint:  "empty, or an https URL",
			Description: "The Proofchannel workflow's webhook URL. Empty turns the channel off.",
			Doc:         "the Proofchannel workflow's webhook URL", DocDefault: "empty = off",
			Example: "https://proofchannel.example.com/workflows/abc",
		}, {
			Env: "PROOFCHANNEL_LANGUAGE", Display: true, Values: []string{"", "en", "pl", "uk"},
			Description: "Language of the Proofchannel messages; empty = HumanizeLanguage.",
			Doc:         "the Proofchannel messages' language", DocDefault: "empty = `HumanizeLanguage`",
		}},
		// A setting no parameter sets, as a timeout.
		Settings: []channel.Setting{{Env: "PROOFCHANNEL_TIMEOUT", Default: "`10s`", Doc: "timeout of one post"}},
		On:       channel.Set("ProofchannelWebhookUrl"),
		// Resources beyond the channel's block, as an archive's bucket.
		Extra: []channel.Fragment{{Section: "Resources", YAML: `ProofchannelCards:
  Type: AWS::S3::Bucket
  Condition: HasProofchannel
  DeletionPolicy: Retain
  UpdateReplacePolicy: Retain
  Properties:
    PublicAccessBlockConfiguration:
      BlockPublicAcls: true
      BlockPublicPolicy: true
      IgnorePublicAcls: true
      RestrictPublicBuckets: true`}, {Section: "Outputs", YAML: `ProofchannelCardsBucket:
  Condition: HasProofchannel
  Value: !Ref ProofchannelCards`}},
	},
}

// The proof that a channel is described once: with one more description
// in the list, make generate's files carry the channel everywhere (a
// template cfn-lint takes, with its resources under its condition, ingest
// routing to it, its rules; ingest's routes; the settings the relay knows;
// the README's tables), the scenarios turn it on from its description and
// the other channels off from theirs, and no file but the generated ones
// changes, nor any line of them outside their generated regions.
func TestAChannelAddedToTheListReachesTheTemplateRoutesDocsAndScenarios(t *testing.T) {
	dir := t.TempDir()
	for _, name := range []string{generate.TemplateFile, generate.READMEFile, generate.SamconfigFile} {
		b, err := os.ReadFile(filepath.Join("..", name))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.MkdirAll(filepath.Dir(filepath.Join(dir, name)), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, name), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	list := append(slices.Clone(channels.All), proofchannel)
	files, err := generate.Files(dir, list)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := sortedKeys(files), []string{generate.READMEFile, generate.SamconfigFile, generate.RoutesFile, generate.SettingsFile, generate.TemplateFile}; !slices.Equal(got, want) {
		t.Fatalf("make generate writes %v, want %v", got, want)
	}
	current, err := generate.Files("..", channels.All)
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{generate.TemplateFile, generate.READMEFile, generate.SamconfigFile} {
		if outside(files[name]) != outside(current[name]) {
			t.Errorf("%s changes outside its generated regions", name)
		}
	}

	t.Run("the template", func(t *testing.T) {
		path := filepath.Join(dir, generate.TemplateFile)
		if err := os.WriteFile(path, files[generate.TemplateFile], 0o644); err != nil {
			t.Fatal(err)
		}
		if out, err := exec.Command("cfn-lint", path).CombinedOutput(); err != nil {
			t.Errorf("cfn-lint refuses the template: %v\n%s", err, out)
		}
		tpl := parseTemplate(t, path, files[generate.TemplateFile])
		for suffix, typ := range map[string]string{
			"Queue": "AWS::SQS::Queue", "Dlq": "AWS::SQS::Queue", "Function": "AWS::Serverless::Function",
			"Role": "AWS::IAM::Role", "BreakerPolicy": "AWS::IAM::Policy", "LogGroup": "AWS::Logs::LogGroup",
			"DlqAlarm": "AWS::CloudWatch::Alarm", "DlqAgeAlarm": "AWS::CloudWatch::Alarm",
			"QueueAgeAlarm": "AWS::CloudWatch::Alarm", "PausedAlarm": "AWS::CloudWatch::Alarm",
		} {
			if r, ok := tpl.Resources["Proofchannel"+suffix]; !ok || r.Type != typ || r.Condition != "HasProofchannel" {
				t.Errorf("no Proofchannel%s (%s) under HasProofchannel", suffix, typ)
			}
		}
		for _, p := range []string{"ProofchannelWebhookUrl", "ProofchannelWebhookUrlSecretArn", "ProofchannelEvents", "ProofchannelLanguage"} {
			if _, ok := tpl.Parameters[p]; !ok {
				t.Errorf("no parameter %s", p)
			}
		}
		if r, ok := tpl.Resources["ProofchannelCards"]; !ok || r.Type != "AWS::S3::Bucket" {
			t.Error("no ProofchannelCards bucket, the resource its description adds")
		}
		for _, o := range []string{proofchannel.QueueOutput(), proofchannel.DLQOutput(), proofchannel.FunctionOutput(), "ProofchannelCardsBucket"} {
			if _, ok := tpl.Outputs[o]; !ok {
				t.Errorf("no output %s", o)
			}
		}

		alone := examples(proofchannel)
		url := alone["ProofchannelWebhookUrl"]
		if url == "" {
			t.Fatal("ProofchannelWebhookUrl has no Example to turn the channel on with")
		}
		alone["CallbackToken"] = allChannels["CallbackToken"]
		for _, spec := range channels.All {
			for i := 0; i+1 < len(channelOff(spec)); i += 2 {
				alone[channelOff(spec)[i]] = ""
			}
		}
		s := newStack(t, tpl, alone)
		if ok, why := s.rulesPass(); !ok {
			t.Fatalf("the Rules refuse Proofchannel as the only channel: %s", why)
		}
		if !s.exists("ProofchannelFunction") {
			t.Fatal("ProofchannelWebhookUrl set, but no ProofchannelFunction")
		}
		ingestEnv := s.function("IngestFunction")
		if got := ingestEnv.getenv("PROOFCHANNEL_QUEUE_URL"); got != s.queueURL("ProofchannelQueue") {
			t.Errorf("ingest's PROOFCHANNEL_QUEUE_URL = %q, want ProofchannelQueue's URL", got)
		}
		if got := ingestEnv.getenv("PROOFCHANNEL_EVENTS"); got != channel.HumaneEvents {
			t.Errorf("ingest's PROOFCHANNEL_EVENTS = %q, want %q", got, channel.HumaneEvents)
		}
		if got := s.function("ProofchannelFunction").getenv("PROOFCHANNEL_WEBHOOK_URL"); got != url {
			t.Errorf("ProofchannelFunction's PROOFCHANNEL_WEBHOOK_URL = %q, want %q", got, url)
		}

		alone["ProofchannelWebhookUrl"] = ""
		none := newStack(t, tpl, alone)
		if none.exists("ProofchannelFunction") {
			t.Error("ProofchannelWebhookUrl empty, but ProofchannelFunction is created")
		}
		if refused := refusals(none); !slices.ContainsFunc(refused, func(d string) bool { return strings.Contains(d, "ProofchannelWebhookUrl") }) {
			t.Errorf("with no channel, no refusal names ProofchannelWebhookUrl: %q", refused)
		}
	})

	t.Run("the cold-start benchmark", func(t *testing.T) {
		cases := channelColdStarts(list)
		i := slices.IndexFunc(cases, func(c coldStartCase) bool { return c.name == "proofchannel" })
		if i < 0 {
			t.Fatal("the cold-start benchmark has no proofchannel case")
		}
		if c := cases[i]; c.id != "ProofchannelFunction" || !slices.Equal(c.queues, []string{"ProofchannelQueue", "ProofchannelDlq"}) || c.event != "sqs-proofchannel.json" || c.params == nil {
			t.Errorf("the proofchannel case = %+v, want ProofchannelFunction, its queues, sqs-proofchannel.json and its far end", c)
		}
	})

	t.Run("samconfig.toml", func(t *testing.T) {
		if !regexp.MustCompile(`\bProofchannelWebhookUrl\b`).Match(files[generate.SamconfigFile]) {
			t.Errorf("infra/samconfig.toml does not name ProofchannelWebhookUrl among the NoEcho parameters:\n%s", files[generate.SamconfigFile])
		}
	})

	t.Run("ingest's routes", func(t *testing.T) {
		if !strings.Contains(string(files[generate.RoutesFile]), `{name: "proofchannel", queueEnv: "PROOFCHANNEL_QUEUE_URL", routes: []routeVar{`) {
			t.Errorf("routes.go does not route to proofchannel:\n%s", files[generate.RoutesFile])
		}
	})

	t.Run("the settings", func(t *testing.T) {
		names, secrets := generatedSettings(t, files[generate.SettingsFile])
		for _, n := range []string{"PROOFCHANNEL_EVENTS", "PROOFCHANNEL_QUEUE_URL", "PROOFCHANNEL_DLQ_URL", "PROOFCHANNEL_WEBHOOK_URL", "PROOFCHANNEL_LANGUAGE", "PROOFCHANNEL_TIMEOUT"} {
			if !slices.Contains(names, n) {
				t.Errorf("the settings the relay knows lack %s: %q", n, names)
			}
		}
		if !slices.Contains(secrets, "PROOFCHANNEL_WEBHOOK_URL") {
			t.Errorf("the secret settings lack PROOFCHANNEL_WEBHOOK_URL: %q", secrets)
		}
		for _, spec := range channels.All {
			for _, n := range generate.SettingNames(spec) {
				if !slices.Contains(names, n) || !slices.Contains(settings.Names, n) {
					t.Errorf("the %s channel's %s is lost", spec.Name, n)
				}
			}
		}
	})

	t.Run("the README", func(t *testing.T) {
		readme := string(files[generate.READMEFile])
		for _, want := range []string{
			"| `PROOFCHANNEL_EVENTS` |", "| `PROOFCHANNEL_QUEUE_URL` |",
			"| `PROOFCHANNEL_WEBHOOK_URL` | unset | the Proofchannel workflow's webhook URL |", "| `PROOFCHANNEL_LANGUAGE` |",
			"| `PROOFCHANNEL_TIMEOUT` | `10s` | timeout of one post |", "| `PROOFCHANNEL_DLQ_URL` |",
			"| Proofchannel | `ProofchannelWebhookUrl` |", "- Proofchannel: `ProofchannelWebhookUrlSecretArn`, `ProofchannelLanguage`, `ProofchannelEvents`",
			"| `ProofchannelWebhookUrl` | empty = off (secret) |", "| `ProofchannelWebhookUrlSecretArn` |", "| `ProofchannelLanguage` |",
			"| `proofchannel` | `shared/proofchannel` |",
		} {
			if !strings.Contains(readme, want) {
				t.Errorf("the README has no %q", want)
			}
		}
	})
}

// generatedSettings are the values of channelNames and channelSecrets in
// a generated shared/settings/channels_gen.go.
func generatedSettings(t *testing.T, src []byte) (names, secrets []string) {
	t.Helper()
	f, err := parser.ParseFile(token.NewFileSet(), generate.SettingsFile, src, 0)
	if err != nil {
		t.Fatalf("%s is not Go: %v", generate.SettingsFile, err)
	}
	lists := map[string]*[]string{"channelNames": &names, "channelSecrets": &secrets}
	ast.Inspect(f, func(n ast.Node) bool {
		spec, ok := n.(*ast.ValueSpec)
		if !ok || len(spec.Names) != 1 || len(spec.Values) != 1 || lists[spec.Names[0].Name] == nil {
			return true
		}
		for _, e := range spec.Values[0].(*ast.CompositeLit).Elts {
			v, err := strconv.Unquote(e.(*ast.BasicLit).Value)
			if err != nil {
				t.Fatal(err)
			}
			*lists[spec.Names[0].Name] = append(*lists[spec.Names[0].Name], v)
		}
		return false
	})
	if len(names) == 0 || len(secrets) == 0 {
		t.Fatalf("%s has no channelNames or channelSecrets", generate.SettingsFile)
	}
	return names, secrets
}

var generatedRegion = regexp.MustCompile(`(?s)BEGIN generated: ([a-z-]+).*?END generated: ([a-z-]+)`)

// outside is a file with its generated regions left out.
func outside(b []byte) string { return generatedRegion.ReplaceAllString(string(b), "$1") }
