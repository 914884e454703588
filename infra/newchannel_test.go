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

// teams is a channel nobody wrote: a description alone, as a newcomer adds
// one to shared/channels.
var teams = channel.Spec{
	Name:  "teams",
	Title: "Teams",
	Routes: []channel.Route{{
		Env: "TEAMS_EVENTS", Default: channel.HumaneEvents,
		Description: "Event types posted to Teams (comma list, * = all, empty = none).",
		Doc:         "event types posted to Teams",
	}},
	Source:  channel.EventSource{BatchSize: 5, BatchWindow: time.Second, MaxConcurrency: 2, FunctionTimeout: 30 * time.Second},
	Secrets: []string{"TEAMS_WEBHOOK_URL"},
	Deploy: channel.Deployment{
		Label:       "Teams",
		Delivery:    "A Teams message",
		Description: "Posts queued events to a Microsoft Teams channel through its workflow webhook.",
		Delivers:    "humane Adaptive Card",
		OnDoc:       "TeamsWebhookUrl",
		LocalOnDoc:  "`TEAMS_WEBHOOK_URL`",
		Params: []channel.Param{{
			Env:         "TEAMS_WEBHOOK_URL",
			Pattern:     `^$|^https://[^\s]+$`,
			Constraint:  "empty, or an https URL",
			Description: "The Teams workflow's webhook URL. Empty turns the channel off.",
			Doc:         "the Teams workflow's webhook URL", DocDefault: "empty = off",
			Example: "https://teams.example.com/workflows/abc",
		}, {
			Env: "TEAMS_LANGUAGE", Display: true, Values: []string{"", "en", "pl", "uk"},
			Description: "Language of the Teams messages; empty = HumanizeLanguage.",
			Doc:         "the Teams messages' language", DocDefault: "empty = `HumanizeLanguage`",
		}},
		// A setting no parameter sets, as a timeout.
		Settings: []channel.Setting{{Env: "TEAMS_TIMEOUT", Default: "`10s`", Doc: "timeout of one post"}},
		On:       channel.Set("TeamsWebhookUrl"),
		// Resources beyond the channel's block, as an archive's bucket.
		Extra: []channel.Fragment{{Section: "Resources", YAML: `TeamsCards:
  Type: AWS::S3::Bucket
  Condition: HasTeams
  DeletionPolicy: Retain
  UpdateReplacePolicy: Retain
  Properties:
    PublicAccessBlockConfiguration:
      BlockPublicAcls: true
      BlockPublicPolicy: true
      IgnorePublicAcls: true
      RestrictPublicBuckets: true`}, {Section: "Outputs", YAML: `TeamsCardsBucket:
  Condition: HasTeams
  Value: !Ref TeamsCards`}},
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
	for _, name := range []string{generate.TemplateFile, generate.READMEFile} {
		b, err := os.ReadFile(filepath.Join("..", name))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, name), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	list := append(slices.Clone(channels.All), teams)
	files, err := generate.Files(dir, list)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := sortedKeys(files), []string{generate.READMEFile, generate.RoutesFile, generate.SettingsFile, generate.TemplateFile}; !slices.Equal(got, want) {
		t.Fatalf("make generate writes %v, want %v", got, want)
	}
	current, err := generate.Files("..", channels.All)
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{generate.TemplateFile, generate.READMEFile} {
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
			if r, ok := tpl.Resources["Teams"+suffix]; !ok || r.Type != typ || r.Condition != "HasTeams" {
				t.Errorf("no Teams%s (%s) under HasTeams", suffix, typ)
			}
		}
		for _, p := range []string{"TeamsWebhookUrl", "TeamsWebhookUrlSecretArn", "TeamsEvents", "TeamsLanguage"} {
			if _, ok := tpl.Parameters[p]; !ok {
				t.Errorf("no parameter %s", p)
			}
		}
		if r, ok := tpl.Resources["TeamsCards"]; !ok || r.Type != "AWS::S3::Bucket" {
			t.Error("no TeamsCards bucket, the resource its description adds")
		}
		for _, o := range []string{teams.QueueOutput(), teams.DLQOutput(), teams.FunctionOutput(), "TeamsCardsBucket"} {
			if _, ok := tpl.Outputs[o]; !ok {
				t.Errorf("no output %s", o)
			}
		}

		alone := examples(teams)
		url := alone["TeamsWebhookUrl"]
		if url == "" {
			t.Fatal("TeamsWebhookUrl has no Example to turn the channel on with")
		}
		alone["CallbackToken"] = allChannels["CallbackToken"]
		for _, spec := range channels.All {
			for i := 0; i+1 < len(channelOff(spec)); i += 2 {
				alone[channelOff(spec)[i]] = ""
			}
		}
		s := newStack(t, tpl, alone)
		if ok, why := s.rulesPass(); !ok {
			t.Fatalf("the Rules refuse Teams as the only channel: %s", why)
		}
		if !s.exists("TeamsFunction") {
			t.Fatal("TeamsWebhookUrl set, but no TeamsFunction")
		}
		ingestEnv := s.function("IngestFunction")
		if got := ingestEnv.getenv("TEAMS_QUEUE_URL"); got != s.queueURL("TeamsQueue") {
			t.Errorf("ingest's TEAMS_QUEUE_URL = %q, want TeamsQueue's URL", got)
		}
		if got := ingestEnv.getenv("TEAMS_EVENTS"); got != channel.HumaneEvents {
			t.Errorf("ingest's TEAMS_EVENTS = %q, want %q", got, channel.HumaneEvents)
		}
		if got := s.function("TeamsFunction").getenv("TEAMS_WEBHOOK_URL"); got != url {
			t.Errorf("TeamsFunction's TEAMS_WEBHOOK_URL = %q, want %q", got, url)
		}

		alone["TeamsWebhookUrl"] = ""
		none := newStack(t, tpl, alone)
		if none.exists("TeamsFunction") {
			t.Error("TeamsWebhookUrl empty, but TeamsFunction is created")
		}
		if refused := refusals(none); !slices.ContainsFunc(refused, func(d string) bool { return strings.Contains(d, "TeamsWebhookUrl") }) {
			t.Errorf("with no channel, no refusal names TeamsWebhookUrl: %q", refused)
		}
	})

	t.Run("the cold-start benchmark", func(t *testing.T) {
		cases := channelColdStarts(list)
		i := slices.IndexFunc(cases, func(c coldStartCase) bool { return c.name == "teams" })
		if i < 0 {
			t.Fatal("the cold-start benchmark has no teams case")
		}
		if c := cases[i]; c.id != "TeamsFunction" || !slices.Equal(c.queues, []string{"TeamsQueue", "TeamsDlq"}) || c.event != "sqs-teams.json" || c.params == nil {
			t.Errorf("the teams case = %+v, want TeamsFunction, its queues, sqs-teams.json and its far end", c)
		}
	})

	t.Run("ingest's routes", func(t *testing.T) {
		if !strings.Contains(string(files[generate.RoutesFile]), `{name: "teams", queueEnv: "TEAMS_QUEUE_URL", routes: []routeVar{`) {
			t.Errorf("routes.go does not route to teams:\n%s", files[generate.RoutesFile])
		}
	})

	t.Run("the settings", func(t *testing.T) {
		names, secrets := generatedSettings(t, files[generate.SettingsFile])
		for _, n := range []string{"TEAMS_EVENTS", "TEAMS_QUEUE_URL", "TEAMS_DLQ_URL", "TEAMS_WEBHOOK_URL", "TEAMS_LANGUAGE", "TEAMS_TIMEOUT"} {
			if !slices.Contains(names, n) {
				t.Errorf("the settings the relay knows lack %s: %q", n, names)
			}
		}
		if !slices.Contains(secrets, "TEAMS_WEBHOOK_URL") {
			t.Errorf("the secret settings lack TEAMS_WEBHOOK_URL: %q", secrets)
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
			"| `TEAMS_EVENTS` |", "| `TEAMS_QUEUE_URL` |",
			"| `TEAMS_WEBHOOK_URL` | unset | the Teams workflow's webhook URL |", "| `TEAMS_LANGUAGE` |",
			"| `TEAMS_TIMEOUT` | `10s` | timeout of one post |", "| `TEAMS_DLQ_URL` |",
			"| Teams | `TeamsWebhookUrl` |", "- Teams: `TeamsWebhookUrlSecretArn`, `TeamsLanguage`, `TeamsEvents`",
			"| `TeamsWebhookUrl` | empty = off (secret) |", "| `TeamsWebhookUrlSecretArn` |", "| `TeamsLanguage` |",
			"| `teams` | `shared/teams` |",
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
