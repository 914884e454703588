package infra_test

// The README's "Deploy to AWS" against the template: what it tells a person
// to run and to set must be what the template takes and keeps.

import (
	"encoding/json"
	"os"
	"os/exec"
	"regexp"
	"slices"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"
)

const readmePath = "../README.md"

// readmeSection is the text under a README heading ("## X" or "### X"),
// up to the next heading of the same or a higher level.
func readmeSection(t *testing.T, heading string) string {
	t.Helper()
	b, err := os.ReadFile(readmePath)
	if err != nil {
		t.Fatal(err)
	}
	level, _, _ := strings.Cut(heading, " ")
	lines := strings.Split(string(b), "\n")
	start := slices.Index(lines, heading)
	if start < 0 {
		t.Fatalf("the README has no heading %q", heading)
	}
	end := len(lines)
	for i := start + 1; i < len(lines); i++ {
		if h, _, ok := strings.Cut(lines[i], " "); ok && strings.Trim(h, "#") == "" && h != "" && len(h) <= len(level) {
			end = i
			break
		}
	}
	return strings.Join(lines[start+1:end], "\n")
}

// codeName is a name in backquotes.
var codeName = regexp.MustCompile("`([A-Za-z]+)`")

func TestTheDeployTableNamesEveryParameterAndWhatEachSecretArnReplaces(t *testing.T) {
	tpl := loadTemplate(t)
	section := readmeSection(t, "### Build and deploy")
	const header = "| parameter | default | what it is |"
	// The stack's parameters, then each channel's (generated): two
	// tables of the same columns.
	tables := strings.Split(section, header+"\n")[1:]
	if len(tables) == 0 {
		t.Fatalf("no table %q under Build and deploy", header)
	}
	rows := map[string]string{} // parameter -> its row
	for _, table := range tables {
		for line := range strings.SplitSeq(table, "\n") {
			if !strings.HasPrefix(line, "|") {
				break
			}
			cells := strings.Split(line, "|")
			for _, m := range codeName.FindAllStringSubmatch(cells[1], -1) {
				if _, twice := rows[m[1]]; twice {
					t.Errorf("the table names %s twice", m[1])
				}
				rows[m[1]] = line
			}
		}
	}
	for _, name := range sortedKeys(tpl.Parameters) {
		row, ok := rows[name]
		if !ok {
			t.Errorf("the README's parameter table does not name %s", name)
			continue
		}
		if replaced, isArn := strings.CutSuffix(name, "SecretArn"); isArn && !strings.Contains(row, "instead of `"+replaced+"`") {
			t.Errorf("the README's row of %s does not say it is instead of `%s`: %s", name, replaced, row)
		}
		if tpl.Parameters[name].NoEcho && !strings.Contains(row, "secret") {
			t.Errorf("the README's row of %s does not say it is a secret: %s", name, row)
		}
	}
	for name := range rows {
		if _, ok := tpl.Parameters[name]; !ok {
			t.Errorf("the README's parameter table names %s, which the template does not have", name)
		}
	}
	// What the section says before the command: what is required, and
	// every parameter most people leave alone, by name.
	intro, _, _ := strings.Cut(section, "```sh")
	for _, name := range sortedKeys(tpl.Parameters) {
		if !strings.Contains(intro, "`"+name+"`") {
			t.Errorf("Build and deploy does not name %s before its first command (what is required, what most leave empty)", name)
		}
	}
}

// overridePair is one Key=Value of a --parameter-overrides.
var overridePair = regexp.MustCompile(`\b([A-Z][A-Za-z]+)=("[^"]*"|'[^']*'|\S*)`)

func TestTheREADMEsFirstDeployCommandMakesAStackTheRulesAccept(t *testing.T) {
	tpl := loadTemplate(t)
	section := readmeSection(t, "### Build and deploy")
	_, rest, _ := strings.Cut(section, "```sh\n")
	block, _, _ := strings.Cut(rest, "```")
	_, command, ok := strings.Cut(block, "sam deploy ")
	if !ok {
		t.Fatalf("the first command block of Build and deploy has no sam deploy:\n%s", block)
	}
	_, overrides, ok := strings.Cut(strings.ReplaceAll(command, "\\\n", " "), "--parameter-overrides")
	if !ok {
		t.Fatalf("the first sam deploy names no parameters: %s", command)
	}
	overrides, _, _ = strings.Cut(overrides, "\n")
	params := map[string]string{}
	for _, m := range overridePair.FindAllStringSubmatch(overrides, -1) {
		name, v := m[1], strings.Trim(m[2], `"'`)
		if strings.HasPrefix(v, "$") {
			v = allChannels[name] // a value the person gives: a valid one
		}
		if _, ok := tpl.Parameters[name]; !ok {
			t.Fatalf("the README's first deploy sets %s, which the template does not have", name)
		}
		if err := cfnAccepts(tpl.Parameters[name], v); err != nil {
			t.Errorf("the README's first deploy sets %s=%q, which CloudFormation refuses: %v", name, v, err)
		}
		params[name] = v
	}
	if params["CallbackToken"] == "" {
		t.Errorf("the README's first deploy gives no CallbackToken: %s", overrides)
	}
	// Every other parameter at the template's default, as on a first deploy.
	if refused := refusals(newStack(t, tpl, params)); len(refused) > 0 {
		t.Errorf("the README's first deploy (%v) is refused: %q", params, refused)
	}
}

func TestSamconfigNamesEveryNoEchoParameterAndHoldsNoValueOfOne(t *testing.T) {
	tpl := loadTemplate(t)
	b, err := os.ReadFile("samconfig.toml")
	if err != nil {
		t.Fatal(err)
	}
	var overrides []string
	for line := range strings.SplitSeq(string(b), "\n") {
		if k, v, ok := strings.Cut(line, "="); ok && strings.TrimSpace(k) == "parameter_overrides" {
			overrides = append(overrides, v)
		}
	}
	for _, name := range sortedKeys(tpl.Parameters) {
		if !tpl.Parameters[name].NoEcho {
			continue
		}
		// Its comment says which parameters a deploy never reads from it.
		if !regexp.MustCompile(`\b` + name + `\b`).Match(b) {
			t.Errorf("infra/samconfig.toml does not name %s among the NoEcho parameters never to put in it", name)
		}
		for _, o := range overrides {
			if regexp.MustCompile(`\b` + name + `=`).MatchString(o) {
				t.Errorf("infra/samconfig.toml's parameter_overrides holds %s, a secret, in a file of the repository", name)
			}
		}
	}
	if !strings.Contains(string(b), `stack_name = "nicechat-relay"`) || !strings.Contains(string(b), "128") {
		t.Errorf("infra/samconfig.toml names the stack without saying its length limit, 128 characters")
	}
}

// jmespath evaluates a JMESPath query as the AWS CLI's --query does, with
// the jmespath module that moto's boto3 brings.
func jmespath(t *testing.T, query string, doc any) any {
	t.Helper()
	in, err := json.Marshal(doc)
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command("python3", "-c", "import jmespath, json, sys; print(json.dumps(jmespath.search(sys.argv[1], json.load(sys.stdin))))", query)
	cmd.Stdin = strings.NewReader(string(in))
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("python3's jmespath (which moto's boto3 installs) could not evaluate %s: %v", query, err)
	}
	var v any
	if err := json.Unmarshal(out, &v); err != nil {
		t.Fatal(err)
	}
	return v
}

// cliQuery is the --query "..." of the first command in text that runs cli.
func cliQuery(t *testing.T, text, cli string) string {
	t.Helper()
	_, after, ok := strings.Cut(text, cli)
	if !ok {
		t.Fatalf("Tear down runs no %s", cli)
	}
	m := regexp.MustCompile(`--query "([^"]+)"`).FindStringSubmatch(after)
	if m == nil {
		t.Fatalf("Tear down's %s has no --query", cli)
	}
	return m[1]
}

func TestTheTeardownFindsAndDeletesEverythingSamDeleteKeeps(t *testing.T) {
	tpl := loadTemplate(t)
	section := readmeSection(t, "### Tear down")
	b, err := os.ReadFile(templatePath)
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Resources map[string]struct {
			Type           string `yaml:"Type"`
			DeletionPolicy string `yaml:"DeletionPolicy"`
		} `yaml:"Resources"`
	}
	if err := yaml.Unmarshal(b, &doc); err != nil {
		t.Fatal(err)
	}
	// What DescribeStackResources answers for a stack with every channel
	// on: the template's resources and those SAM adds beside them.
	var resources []map[string]string
	var kept [][]string
	for _, id := range sortedKeys(doc.Resources) {
		r := doc.Resources[id]
		resources = append(resources, map[string]string{"LogicalResourceId": id, "ResourceType": r.Type, "PhysicalResourceId": "physical-" + id})
		if r.DeletionPolicy == "Retain" {
			kept = append(kept, []string{r.Type, "physical-" + id})
		}
	}
	for id, typ := range map[string]string{"WebhookFunctionQueue": "AWS::Lambda::EventSourceMapping", "IngestFunctionCallbackPermission": "AWS::Lambda::Permission", "HttpApiApiGatewayDefaultStage": "AWS::ApiGatewayV2::Stage"} {
		resources = append(resources, map[string]string{"LogicalResourceId": id, "ResourceType": typ, "PhysicalResourceId": "physical-" + id})
	}
	got := jmespath(t, cliQuery(t, section, "aws cloudformation describe-stack-resources"), map[string]any{"StackResources": resources})
	var picked [][]string
	for _, row := range got.([]any) {
		var pair []string
		for _, v := range row.([]any) {
			pair = append(pair, v.(string))
		}
		picked = append(picked, pair)
	}
	if !slices.EqualFunc(picked, kept, slices.Equal) {
		t.Errorf("Tear down's list of what sam delete keeps picks %q; the resources with DeletionPolicy Retain are %q", picked, kept)
	}
	// Each kind it keeps, Tear down deletes.
	deletes := map[string]string{"AWS::SQS::Queue": "aws sqs delete-queue", "AWS::DynamoDB::Table": "aws dynamodb delete-table"}
	for _, k := range kept {
		cmd, known := deletes[k[0]]
		switch {
		case !known:
			t.Errorf("the stack keeps a %s, which Tear down does not say how to delete", k[0])
		case !strings.Contains(section, k[0]+")") || !strings.Contains(section, cmd):
			t.Errorf("Tear down does not delete a kept %s with %s", k[0], cmd)
		}
	}

	// The secrets the stack was given: the non-empty SecretArn parameters.
	params := secretsScenario()
	var parameters []map[string]string
	var want []any
	for _, name := range sortedKeys(tpl.Parameters) {
		v := params[name]
		parameters = append(parameters, map[string]string{"ParameterKey": name, "ParameterValue": v})
		if strings.HasSuffix(name, "SecretArn") && v != "" {
			want = append(want, v)
		}
	}
	secrets := jmespath(t, cliQuery(t, section, "aws cloudformation describe-stacks"), map[string]any{"Stacks": []any{map[string]any{"Parameters": parameters}}})
	if !slices.Equal(secrets.([]any), want) {
		t.Errorf("Tear down's list of the stack's secrets picks %v, want %v", secrets, want)
	}
	for _, s := range []string{"aws secretsmanager delete-secret", "aws sesv2 delete-email-identity", "sam delete --config-file infra/samconfig.toml --region"} {
		if !strings.Contains(section, s) {
			t.Errorf("Tear down does not run %s", s)
		}
	}
}

func TestTheAPIHasNoRouteButTheCallbacksSoAPIGatewayAnswersAnythingElse404(t *testing.T) {
	tpl := loadTemplate(t)
	api := tpl.Resources["HttpApi"].Properties
	for _, p := range []string{"DefinitionBody", "DefinitionUri"} {
		if api[p] != nil {
			t.Errorf("HttpApi has a %s: its routes are no longer only the functions' events", p)
		}
	}
	var routes []string
	for _, id := range sortedKeys(tpl.Resources) {
		if tpl.Resources[id].Type != "AWS::Serverless::Function" {
			continue
		}
		events, _ := tpl.Resources[id].Properties["Events"].(map[string]any)
		for _, ev := range events {
			if path(ev, "Type") == "HttpApi" {
				routes = append(routes, id+" "+path(ev, "Properties", "Method").(string)+" "+path(ev, "Properties", "Path").(string))
			}
		}
	}
	slices.Sort(routes)
	// No $default route, no ANY, no greedy path: /callback/ without a
	// token, another path or another method matches nothing, and API
	// Gateway answers 404 {"message":"Not Found"} before ingest runs, as
	// the README's "What ingest answers" says.
	if want := []string{"IngestFunction GET /callback/{token}", "IngestFunction POST /callback/{token}"}; !slices.Equal(routes, want) {
		t.Errorf("the API's routes are %q, want %q", routes, want)
	}
	answers := readmeSection(t, "## What ingest answers")
	if !strings.Contains(answers, "| `404` | no token at all (`/callback/`)") || strings.Contains(answers, "wrong or missing") {
		t.Errorf("What ingest answers does not say that no token at all is answered 404 (and a wrong one 401)")
	}
}
