package infra_test

import (
	"fmt"
	"os"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"
)

// This file reads template.yaml and evaluates the intrinsic functions the
// template uses, the way CloudFormation would for a given set of parameter
// values, so the tests can check what a deployed stack would hold.

const templatePath = "../template.yaml"

type cfnTemplate struct {
	Globals struct {
		Function map[string]any `yaml:"Function"`
	} `yaml:"Globals"`
	Parameters map[string]cfnParameter              `yaml:"Parameters"`
	Mappings   map[string]map[string]map[string]any `yaml:"Mappings"`
	Conditions map[string]any                       `yaml:"Conditions"`
	Rules      map[string]struct {
		Assertions []struct {
			Assert            any    `yaml:"Assert"`
			AssertDescription string `yaml:"AssertDescription"`
		} `yaml:"Assertions"`
	} `yaml:"Rules"`
	Resources map[string]cfnResource `yaml:"Resources"`
	Outputs   map[string]struct {
		Condition string `yaml:"Condition"`
		Value     any    `yaml:"Value"`
	} `yaml:"Outputs"`
}

type cfnParameter struct {
	Type           string   `yaml:"Type"`
	Default        *string  `yaml:"Default"`
	NoEcho         bool     `yaml:"NoEcho"`
	MinLength      int      `yaml:"MinLength"`
	AllowedPattern string   `yaml:"AllowedPattern"`
	AllowedValues  []string `yaml:"AllowedValues"`
}

type cfnResource struct {
	Type       string         `yaml:"Type"`
	Condition  string         `yaml:"Condition"`
	Metadata   map[string]any `yaml:"Metadata"`
	Properties map[string]any `yaml:"Properties"`
}

// loadTemplate reads the template, turning the short forms of intrinsic
// functions (!Ref, !Sub, ...) into their long forms ({"Ref": ...}).
func loadTemplate(t testing.TB) *cfnTemplate {
	t.Helper()
	raw, err := os.ReadFile(templatePath)
	if err != nil {
		t.Fatalf("read the template: %v", err)
	}
	return parseTemplate(t, templatePath, raw)
}

// parseTemplate reads a template from raw, named name in failures.
func parseTemplate(t testing.TB, name string, raw []byte) *cfnTemplate {
	t.Helper()
	var doc yaml.Node
	if err := yaml.Unmarshal(raw, &doc); err != nil {
		t.Fatalf("parse %s: %v", name, err)
	}
	expandShortForms(&doc)
	var tpl cfnTemplate
	if err := doc.Decode(&tpl); err != nil {
		t.Fatalf("decode %s: %v", name, err)
	}
	return &tpl
}

func expandShortForms(n *yaml.Node) {
	for _, c := range n.Content {
		expandShortForms(c)
	}
	if !strings.HasPrefix(n.Tag, "!") || strings.HasPrefix(n.Tag, "!!") {
		return
	}
	name := strings.TrimPrefix(n.Tag, "!")
	if name != "Ref" && name != "Condition" {
		name = "Fn::" + name
	}
	arg := *n
	arg.Tag = ""
	arg.Style = 0
	switch {
	case name == "Fn::GetAtt" && n.Kind == yaml.ScalarNode:
		// !GetAtt Queue.Arn is [Queue, Arn].
		id, attr, _ := strings.Cut(n.Value, ".")
		arg = yaml.Node{Kind: yaml.SequenceNode, Content: []*yaml.Node{
			{Kind: yaml.ScalarNode, Tag: "!!str", Value: id},
			{Kind: yaml.ScalarNode, Tag: "!!str", Value: attr},
		}}
	case n.Kind == yaml.ScalarNode:
		arg.Tag = "!!str"
	}
	*n = yaml.Node{Kind: yaml.MappingNode, Tag: "!!map", Content: []*yaml.Node{
		{Kind: yaml.ScalarNode, Tag: "!!str", Value: name},
		&arg,
	}}
}

// noValue is AWS::NoValue: the list item or property it sits in vanishes.
type noValue struct{}

// stack evaluates the template for one set of parameter values.
type stack struct {
	t      testing.TB
	tpl    *cfnTemplate
	params map[string]string
	// queueURL gives a queue's URL (its Ref), tableName a table's name;
	// tests running the code against moto map them to real ones.
	queueURL  func(logicalID string) string
	tableName func(logicalID string) string
}

const (
	testRegion    = "us-east-1"
	testAccount   = "123456789012"
	testStackName = "nicechat-relay"
)

// newStack evaluates tpl with the defaults overridden by params.
func newStack(t testing.TB, tpl *cfnTemplate, params map[string]string) *stack {
	t.Helper()
	values := map[string]string{}
	for name, p := range tpl.Parameters {
		if p.Default != nil {
			values[name] = *p.Default
		}
	}
	for name, v := range params {
		if _, ok := tpl.Parameters[name]; !ok {
			t.Fatalf("the template has no parameter %s", name)
		}
		values[name] = v
	}
	for name := range tpl.Parameters {
		if _, ok := values[name]; !ok {
			t.Fatalf("parameter %s has no default and the test gave no value", name)
		}
	}
	return &stack{t: t, tpl: tpl, params: values,
		queueURL: func(id string) string {
			return fmt.Sprintf("https://sqs.%s.amazonaws.com/%s/%s-%s", testRegion, testAccount, testStackName, id)
		},
		tableName: func(id string) string { return testStackName + "-" + id },
	}
}

// exists reports whether a resource would be created.
func (s *stack) exists(id string) bool {
	r, ok := s.tpl.Resources[id]
	if !ok {
		s.t.Fatalf("no resource %s in the template", id)
	}
	return r.Condition == "" || s.condition(r.Condition)
}

func (s *stack) condition(name string) bool {
	c, ok := s.tpl.Conditions[name]
	if !ok {
		s.t.Fatalf("no condition %s in the template", name)
	}
	return s.truth(c)
}

func (s *stack) truth(v any) bool {
	b, ok := s.eval(v).(bool)
	if !ok {
		s.t.Fatalf("%v is not a condition", v)
	}
	return b
}

// rulesPass reports whether CloudFormation would accept the parameters,
// and the description of the first failing assertion.
func (s *stack) rulesPass() (bool, string) {
	for _, name := range sortedKeys(s.tpl.Rules) {
		for _, a := range s.tpl.Rules[name].Assertions {
			if !s.truth(a.Assert) {
				return false, a.AssertDescription
			}
		}
	}
	return true, ""
}

// str evaluates v to a string.
func (s *stack) str(v any) string {
	switch x := s.eval(v).(type) {
	case string:
		return x
	case int:
		return strconv.Itoa(x)
	case bool:
		return strconv.FormatBool(x)
	default:
		s.t.Fatalf("%v does not evaluate to a string (got %T)", v, x)
		return ""
	}
}

func (s *stack) eval(v any) any {
	switch x := v.(type) {
	case []any:
		var out []any
		for _, item := range x {
			if e := s.eval(item); e != (noValue{}) {
				out = append(out, e)
			}
		}
		return out
	case map[string]any:
		if len(x) == 1 {
			for k, arg := range x {
				if k == "Ref" || k == "Condition" || strings.HasPrefix(k, "Fn::") {
					return s.intrinsic(k, arg)
				}
			}
		}
		out := map[string]any{}
		for k, item := range x {
			if e := s.eval(item); e != (noValue{}) {
				out[k] = e
			}
		}
		return out
	default:
		return v
	}
}

func (s *stack) intrinsic(name string, arg any) any {
	args, _ := arg.([]any)
	switch name {
	case "Ref":
		return s.ref(arg.(string))
	case "Condition":
		return s.condition(arg.(string))
	case "Fn::GetAtt":
		return s.getAtt(args[0].(string), args[1].(string))
	case "Fn::Sub":
		return s.sub(arg)
	case "Fn::If":
		if s.condition(args[0].(string)) {
			return s.eval(args[1])
		}
		return s.eval(args[2])
	case "Fn::Equals":
		return s.str(args[0]) == s.str(args[1])
	case "Fn::Not":
		return !s.truth(args[0])
	case "Fn::And":
		for _, c := range args {
			if !s.truth(c) {
				return false
			}
		}
		return true
	case "Fn::Or":
		for _, c := range args {
			if s.truth(c) {
				return true
			}
		}
		return false
	case "Fn::FindInMap":
		m, top, second := s.str(args[0]), s.str(args[1]), s.str(args[2])
		v, ok := s.tpl.Mappings[m][top][second]
		if !ok {
			s.t.Fatalf("Fn::FindInMap: %s has no %s.%s", m, top, second)
		}
		return v
	case "Fn::Split":
		return stringsToAny(strings.Split(s.str(args[1]), s.str(args[0])))
	case "Fn::Select":
		i, _ := strconv.Atoi(s.str(args[0]))
		list, _ := s.eval(args[1]).([]any)
		if i >= len(list) {
			s.t.Fatalf("Fn::Select: index %d out of %v", i, list)
		}
		return list[i]
	case "Fn::Join":
		var parts []string
		for _, p := range s.eval(args[1]).([]any) {
			parts = append(parts, s.str(p))
		}
		return strings.Join(parts, s.str(args[0]))
	}
	s.t.Fatalf("intrinsic function %s is not supported by this test", name)
	return nil
}

func (s *stack) ref(name string) any {
	switch name {
	case "AWS::NoValue":
		return noValue{}
	case "AWS::Region":
		return testRegion
	case "AWS::AccountId":
		return testAccount
	case "AWS::Partition":
		return "aws"
	case "AWS::URLSuffix":
		return "amazonaws.com"
	case "AWS::StackName":
		return testStackName
	}
	if v, ok := s.params[name]; ok {
		return v
	}
	if fn, ok := s.tpl.generatedMapping(name); ok {
		if !s.exists(fn) {
			s.t.Fatalf("Ref %s: %s is not created with these parameters", name, fn)
		}
		return mappingUUID(name)
	}
	r, ok := s.tpl.Resources[name]
	if !ok {
		s.t.Fatalf("Ref %s: no such parameter or resource", name)
	}
	if !s.exists(name) {
		s.t.Fatalf("Ref %s: the resource is not created with these parameters", name)
	}
	switch r.Type {
	case "AWS::SQS::Queue":
		return s.queueURL(name)
	case "AWS::DynamoDB::Table":
		return s.tableName(name)
	case "AWS::SNS::Topic":
		return fmt.Sprintf("arn:aws:sns:%s:%s:%s-%s", testRegion, testAccount, testStackName, name)
	default:
		return testStackName + "-" + name
	}
}

// generatedMapping reports whether id is the event source mapping SAM
// generates for an SQS event of a function (<function id><event name>),
// and that function.
func (tpl *cfnTemplate) generatedMapping(id string) (string, bool) {
	for fnID, r := range tpl.Resources {
		if r.Type != "AWS::Serverless::Function" {
			continue
		}
		events, _ := r.Properties["Events"].(map[string]any)
		for name, ev := range events {
			if path(ev, "Type") == "SQS" && fnID+name == id {
				return fnID, true
			}
		}
	}
	return "", false
}

// mappingUUID stands for the UUID that Ref of an event source mapping
// gives.
func mappingUUID(id string) string { return "uuid-of-" + id }

func (s *stack) getAtt(id, attr string) string {
	if !s.exists(id) {
		s.t.Fatalf("GetAtt %s.%s: the resource is not created with these parameters", id, attr)
	}
	return fmt.Sprintf("%s.%s", id, attr) // unique and traceable back to the resource
}

var subVariable = regexp.MustCompile(`\$\{([^}!]+)\}`)

func (s *stack) sub(arg any) string {
	text, vars := "", map[string]any{}
	switch x := arg.(type) {
	case string:
		text = x
	case []any:
		text = x[0].(string)
		vars = x[1].(map[string]any)
	}
	return subVariable.ReplaceAllStringFunc(text, func(m string) string {
		name := subVariable.FindStringSubmatch(m)[1]
		if v, ok := vars[name]; ok {
			return s.str(v)
		}
		if id, attr, ok := strings.Cut(name, "."); ok {
			return s.getAtt(id, attr)
		}
		return s.str(map[string]any{"Ref": name})
	})
}

// function is a created AWS::Serverless::Function with Globals applied.
type function struct {
	ID      string
	Timeout int
	Env     map[string]string // evaluated
	EnvRaw  map[string]any    // as written, globals merged
	Props   map[string]any    // as written, globals merged
}

func (s *stack) functions() []function {
	var out []function
	for _, id := range sortedKeys(s.tpl.Resources) {
		r := s.tpl.Resources[id]
		if r.Type != "AWS::Serverless::Function" || !s.exists(id) {
			continue
		}
		out = append(out, s.function(id))
	}
	return out
}

func (s *stack) function(id string) function {
	props := mergeGlobals(s.tpl.Globals.Function, s.tpl.Resources[id].Properties)
	f := function{ID: id, Props: props, EnvRaw: map[string]any{}, Env: map[string]string{}}
	if env, ok := props["Environment"].(map[string]any); ok {
		if vars, ok := env["Variables"].(map[string]any); ok {
			f.EnvRaw = vars
		}
	}
	for k, v := range f.EnvRaw {
		f.Env[k] = s.str(v)
	}
	f.Timeout, _ = strconv.Atoi(s.str(props["Timeout"]))
	return f
}

// getenv is what the function's code would see.
func (f function) getenv(name string) string { return f.Env[name] }

// mergeGlobals applies SAM's rule: maps merge key by key, anything else
// in the function wins.
func mergeGlobals(globals, props map[string]any) map[string]any {
	out := map[string]any{}
	for k, v := range globals {
		out[k] = v
	}
	for k, v := range props {
		gm, gok := out[k].(map[string]any)
		pm, pok := v.(map[string]any)
		if gok && pok {
			out[k] = mergeGlobals(gm, pm)
			continue
		}
		out[k] = v
	}
	return out
}

// refTarget returns the logical id an expression refers to (Ref or
// GetAtt), or "" when it refers to none.
func refTarget(v any) string {
	m, ok := v.(map[string]any)
	if !ok || len(m) != 1 {
		return ""
	}
	if r, ok := m["Ref"].(string); ok {
		return r
	}
	if ga, ok := m["Fn::GetAtt"].([]any); ok && len(ga) == 2 {
		id, _ := ga[0].(string)
		return id
	}
	return ""
}

// referencedIDs lists every logical id v mentions through Ref, GetAtt or
// a ${...} in Sub.
func referencedIDs(tpl *cfnTemplate, v any) []string {
	var ids []string
	var walk func(any)
	walk = func(v any) {
		switch x := v.(type) {
		case []any:
			for _, item := range x {
				walk(item)
			}
		case map[string]any:
			if id := refTarget(x); id != "" {
				if _, ok := tpl.Resources[id]; ok {
					ids = append(ids, id)
				}
				return
			}
			if sub, ok := x["Fn::Sub"]; ok {
				text := sub
				if list, ok := sub.([]any); ok {
					text = list[0]
					walk(list[1])
				}
				for _, m := range subVariable.FindAllStringSubmatch(text.(string), -1) {
					id, _, _ := strings.Cut(m[1], ".")
					if _, ok := tpl.Resources[id]; ok {
						ids = append(ids, id)
					}
				}
				return
			}
			for _, item := range x {
				walk(item)
			}
		}
	}
	walk(v)
	slices.Sort(ids)
	return slices.Compact(ids)
}

func stringsToAny(ss []string) []any {
	out := make([]any, len(ss))
	for i, s := range ss {
		out[i] = s
	}
	return out
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

// path walks nested maps: path(m, "Properties", "Queue").
func path(v any, keys ...string) any {
	for _, k := range keys {
		m, ok := v.(map[string]any)
		if !ok {
			return nil
		}
		v = m[k]
	}
	return v
}

// asInt reads a literal number from the template.
func asInt(t testing.TB, v any, what string) int {
	t.Helper()
	switch x := v.(type) {
	case int:
		return x
	case string:
		if n, err := strconv.Atoi(x); err == nil {
			return n
		}
	}
	t.Fatalf("%s: %v is not a literal number", what, v)
	return 0
}
