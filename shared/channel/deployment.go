package channel

import "strings"

// Deployment is what template.yaml and the README hold of a channel beyond
// its Go side: its parameters and what turns it on, the rules its
// parameters obey, what its function's role needs beyond every consumer's
// share, and what it adds to the stack. `make generate` (cmd/generate)
// writes from it the channel's parameters, rules, Has<Title> condition,
// ingest's variables and role statements for its queue, its block of
// resources (queue, DLQ, function, log group, role, breaker policy, the
// four alarms), its outputs, the names shared/settings knows of it, and
// the README's tables of its variables, its parameters and what turns it
// on. The function's timeout, batch and concurrency come from Source.
type Deployment struct {
	// Label is the channel as a sentence names it (Slack, Telegram).
	Label string
	// Delivery is one delivery as an alarm names it: "A Slack post"
	// (failed for good).
	Delivery string
	// Description is the function's.
	Description string
	// Delivers says what it delivers, for the README's channel table.
	Delivers string
	// OnDoc names what turns it on, for the rule that wants a channel and
	// the docs: "EmailFrom and EmailTo".
	OnDoc string
	// LocalOnDoc says when the local relay runs it.
	LocalOnDoc string
	// Ways are the ways to turn it on, each a row of the README's table
	// of what a deploy needs ("at least one channel"); none is one row,
	// Label and OnDoc.
	Ways []Way
	// Params are its settings, as template parameters, in order; the
	// event lists (Routes) follow them. A setting listed in the Spec's
	// Secrets is NoEcho and has a …SecretArn form.
	Params []Param
	// Settings are its function's variables as the README's consumer
	// settings table documents them, in order: its parameters' variables
	// and those no parameter sets (a timeout, a pace, an API URL), which
	// are named nowhere else. A parameter's variable with no row here
	// gets one from the parameter's Doc. With its parameters', event
	// lists', queues' and secrets' variables they are the names
	// shared/settings knows (make generate writes them there).
	Settings []Setting
	// On is the channel's Has<Title> condition: the stack creates its
	// resources, and ingest routes to it, only when it holds.
	On Cond
	// Rules refuse parameters its function would not start with, at
	// deploy time, naming the parameter at fault.
	Rules []Rule
	// Conditions are conditions of its own that its Statements use.
	Conditions []NamedCond
	// TimeoutComment and ConcurrencyComment say why Source's timeout and
	// MaxConcurrency are what they are.
	TimeoutComment, ConcurrencyComment string
	// MemorySize is the function's memory in MB; 0 is the Globals' (128).
	MemorySize int
	// Records are keys of the idempotency table it uses beyond its
	// delivery records (<event id>#<name>[#<format>]), as YAML
	// expressions for dynamodb:LeadingKeys; RecordsComment says what
	// they are.
	Records        []string
	RecordsComment string
	// Statements are what its role needs beyond every consumer's share
	// (logs, its queues, its records, its breaker, its secrets).
	Statements []Statement
	// FarEnd names the setting that points the function at its far end,
	// which the tests and the cold-start benchmark point at a local
	// server: a parameter whose Example is the URL it POSTs to
	// (WebhookUrl), or a variable no parameter sets whose default is the
	// real API (TELEGRAM_API_URL). Empty: it delivers through AWS (SES),
	// which the tests' local AWS stands in for.
	FarEnd string
	// Extra are resources and outputs beyond the per-channel block (an
	// archive's bucket, a schedule), each YAML text written after the
	// block's resources or outputs; each names its own Condition
	// (normally Has<Title>). A new kind of fragment (a dashboard's
	// widgets) is a new Section the generator places.
	Extra []Fragment
}

// Param is one setting of a channel as a template parameter: its name is
// the variable's in CamelCase (SLACK_BOT_TOKEN is SlackBotToken), and the
// function gets it as the variable.
type Param struct {
	Env     string // the variable: SLACK_BOT_TOKEN
	Type    string // String when empty
	Default string
	// AllowedPattern, AllowedValues and ConstraintDescription are
	// CloudFormation's, for a refusal at deploy time.
	Pattern    string
	Values     []string
	Constraint string
	// Description is the template's, which the console shows.
	Description string
	// Comment is a YAML comment above the parameter; EnvComment one above
	// the function's variable.
	Comment, EnvComment string
	// Display puts the parameter with the stack's display settings
	// (language, time zone) rather than in its channel's group.
	Display bool
	// Doc is the README's "what it is"; DocDefault its default, when not
	// the value itself ("empty = off").
	Doc, DocDefault string
	// Example is a valid value that the infra tests' scenarios set to
	// turn the channel on (every parameter of its On that has one) or to
	// use the setting; empty leaves it at its default there.
	Example string
}

// Setting is a row of the README's consumer settings table: one variable
// of the channel's function, or several alike (Also), its default and
// what it is, in Markdown.
type Setting struct {
	Env     string
	Also    []string
	Default string
	Doc     string
}

// Way is one way to turn a channel on: a name for it ("Slack, a thread
// per visitor") and the parameters to set, in Markdown.
type Way struct {
	Label, Set string
}

// Name is the template parameter: the variable in CamelCase.
func (p Param) Name() string { return ParameterName(p.Env) }

// ParameterName is the template parameter of a variable: SLACK_EVENTS is
// SlackEvents.
func ParameterName(variable string) string {
	var b strings.Builder
	for word := range strings.SplitSeq(strings.ToLower(variable), "_") {
		if word != "" {
			b.WriteString(strings.ToUpper(word[:1]) + word[1:])
		}
	}
	return b.String()
}

// Cond is a condition on the parameters, written as CloudFormation's
// !And, !Or and !Equals. Set and Empty of a secret setting take its
// …SecretArn form into account: set when either is, empty when both are.
type Cond struct {
	All, Any   []Cond
	Set, Empty string // a parameter
}

// Set holds when the parameter (or its SecretArn form) is not empty.
func Set(param string) Cond { return Cond{Set: param} }

// Empty holds when the parameter (and its SecretArn form) is empty.
func Empty(param string) Cond { return Cond{Empty: param} }

// AllOf holds when every one of cs does.
func AllOf(cs ...Cond) Cond { return Cond{All: cs} }

// AnyOf holds when one of cs does.
func AnyOf(cs ...Cond) Cond { return Cond{Any: cs} }

// NamedCond is a template condition.
type NamedCond struct {
	Name string
	If   Cond
}

// Rule is a template rule: assertions on the parameters, each refusing a
// deploy with its description.
type Rule struct {
	Name       string
	Comment    string
	Assertions []Assertion
}

// Assertion is one check of a rule.
type Assertion struct {
	Description string
	Assert      Cond
}

// Statement is an IAM statement of the channel's role; its resources and
// condition are YAML (intrinsic functions in their short form).
type Statement struct {
	Comment   string
	Actions   []string
	Resources []string
	Condition string // a YAML flow mapping, or empty
}

// Fragment is YAML text the channel adds to a section of the template.
type Fragment struct {
	Section string // "Resources" or "Outputs"
	YAML    string
}

// Secret reports whether the setting may come from Secrets Manager.
func (s Spec) Secret(env string) bool {
	for _, name := range s.Secrets {
		if name == env {
			return true
		}
	}
	return false
}
