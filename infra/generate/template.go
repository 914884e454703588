package generate

import (
	_ "embed"
	"fmt"
	"strings"
	"text/template"
	"time"

	"github.com/nicechat-relay/nicechat-relay/shared/channel"
)

// eventListPattern is the constraint of every event-list parameter: a
// comma list of the types Nice Chat documents, * for all, empty for none.
const (
	eventListPattern    = `^ *(\*|new_visitor|new_chat|first_message|unanswered|new_order|push_form)?( *, *(\*|new_visitor|new_chat|first_message|unanswered|new_order|push_form))* *$`
	eventListConstraint = "a comma list of new_visitor, new_chat, first_message, unanswered, new_order, push_form; or * for all; empty for none"
	arnPattern          = `^$|^arn:aws[a-z-]*:secretsmanager:[a-z0-9-]+:[0-9]{12}:secret:[A-Za-z0-9/_+=.@-]+$`
)

// templateChannel is one Spec as the template's pieces read it.
type templateChannel struct {
	channel.Spec
	T    string // Title
	Cond string // Has<Title>
}

func newChannel(s channel.Spec) templateChannel {
	return templateChannel{Spec: s, T: s.Title, Cond: "Has" + s.Title}
}

// Rule is the end of the channel's section header, a line of dashes.
func (c templateChannel) Rule() string { return strings.Repeat("-", max(3, 62-len(c.Deploy.Label))) }

func (c templateChannel) Visibility() int { return int(c.Source.VisibilityTimeout() / time.Second) }
func (c templateChannel) Timeout() int    { return int(c.Source.FunctionTimeout / time.Second) }
func (c templateChannel) Window() int     { return int(c.Source.BatchWindow / time.Second) }

// Params are its settings, as template parameters, in order.
func (c templateChannel) Params() []channel.Param { return c.Deploy.Params }

// SecretParams are the parameters of its secret settings.
func (c templateChannel) SecretParams() []string {
	var out []string
	for _, p := range c.Deploy.Params {
		if c.Secret(p.Env) {
			out = append(out, p.Name())
		}
	}
	return out
}

// Records are the keys of the idempotency table it may touch: its
// delivery records, one per format, and those its Deploy adds.
func (c templateChannel) Records() []string {
	var out []string
	for _, r := range c.Routes {
		key := "evt_*#" + c.Name
		if r.Format != "" {
			key += "#" + string(r.Format)
		}
		out = append(out, quote(key))
	}
	return append(out, c.Deploy.Records...)
}

// RecordsComment says which records its role reaches.
func (c templateChannel) RecordsComment() string {
	if c.Deploy.RecordsComment != "" {
		return c.Deploy.RecordsComment
	}
	key := "<event id>#" + c.Name
	if len(c.Routes) > 1 || c.Routes[0].Format != "" {
		key += "#<format>"
	}
	return "Its own delivery records only (" + key + "): item actions, each of which names its key."
}

// Extra are the YAML fragments it adds to section.
func (c templateChannel) Extra(section string) []string {
	var out []string
	for _, f := range c.Deploy.Extra {
		if f.Section == section {
			out = append(out, strings.TrimRight(f.YAML, "\n"))
		}
	}
	return out
}

//go:embed channel.yaml.tmpl
var channelTemplate string

var channelBlock = template.Must(template.New("channel").Funcs(template.FuncMap{
	"text":    text,
	"comment": comment,
	"actions": func(actions []string) string {
		if len(actions) == 1 {
			return actions[0]
		}
		return "[" + strings.Join(actions, ", ") + "]"
	},
}).Parse(channelTemplate))

// templateRegions are the generated regions of template.yaml, each
// written without the indentation of its markers.
func templateRegions(specs []channel.Spec) (map[string]string, error) {
	secret := map[string]bool{}
	for _, s := range specs {
		for _, p := range s.Deploy.Params {
			secret[p.Name()] = s.Secret(p.Env)
		}
	}
	isSecret := func(param string) bool { return secret[param] }
	var groups, display, params, rules, secretRules, conds, ingestEnv, ingestRole, blocks, outputs lines
	var onDocs, eventParams []string
	var someChannel []channel.Cond
	for i, s := range specs {
		c := newChannel(s)
		d := s.Deploy
		if d.Label == "" || d.On.Set == "" && d.On.All == nil && d.On.Any == nil {
			return nil, fmt.Errorf("channel %s: its Deploy has no Label or no On", s.Name)
		}

		// Parameters, their groups and the rules on secrets.
		var own []string
		for _, p := range d.Params {
			if p.Display {
				display.add("- " + p.Name())
			} else {
				own = append(own, p.Name())
			}
			params.add(parameter(p, s.Secret(p.Env)))
			if s.Secret(p.Env) {
				if !p.Display {
					own = append(own, p.Name()+"SecretArn")
				}
				params.add(secretArnParameter(p))
				secretRules.add("- AssertDescription: Give "+p.Name()+" or "+p.Name()+"SecretArn, not both.",
					`  Assert: !Or [!Equals [!Ref `+p.Name()+`, ""], !Equals [!Ref `+p.Name()+`SecretArn, ""]]`)
			}
		}
		var events []channel.Cond
		for _, r := range s.Routes {
			name := channel.ParameterName(r.Env)
			own = append(own, name)
			params.add(parameter(channel.Param{Env: r.Env, Default: r.Default, Pattern: eventListPattern, Constraint: eventListConstraint, Description: r.Description}, false))
			events = append(events, channel.Set(name))
			if r.Default != "" {
				eventParams = append(eventParams, name)
			}
		}
		groups.add("- Label:",
			"    default: "+scalar(d.Label+" channel (on with "+d.OnDoc+"; a secret may be given as its SecretArn instead)"),
			"  Parameters: ["+strings.Join(own, ", ")+"]")

		// Rules.
		onDocs = append(onDocs, d.OnDoc)
		someChannel = append(someChannel, channel.AllOf(d.On, channel.AnyOf(events...)))
		for _, r := range d.Rules {
			rules.add("")
			if r.Comment != "" {
				rules.add(strings.TrimRight(comment(0, r.Comment), " \n"))
			}
			rules.add(r.Name+":", "  Assertions:")
			for _, a := range r.Assertions {
				rules.add("    - "+text(6, "AssertDescription", a.Description),
					"      Assert: "+lower(a.Assert, isSecret).yaml(8))
			}
		}

		// Conditions.
		conds.add(c.Cond + ": " + lower(d.On, isSecret).yaml(2))
		for _, p := range c.SecretParams() {
			conds.add("Has" + p + "SecretArn: !Not [!Equals [!Ref " + p + "SecretArn, \"\"]]")
		}
		for _, nc := range d.Conditions {
			conds.add(nc.Name + ": " + lower(nc.If, isSecret).yaml(2))
		}

		// Ingest: the channel's event lists and queue, while it is on.
		for _, r := range s.Routes {
			ingestEnv.add(r.Env + ": !If [" + c.Cond + ", !Ref " + channel.ParameterName(r.Env) + `, ""]`)
		}
		ingestEnv.add(s.QueueEnv() + ": !If [" + c.Cond + ", !Ref " + c.T + `Queue, ""]`)
		ingestRole.add("- !If",
			"  - "+c.Cond,
			"  - Effect: Allow",
			"    Action: sqs:SendMessage",
			"    Resource: !GetAtt "+c.T+"Queue.Arn",
			"  - !Ref AWS::NoValue")

		// Its resources.
		var b strings.Builder
		if err := channelBlock.Execute(&b, c); err != nil {
			return nil, fmt.Errorf("channel %s: %w", s.Name, err)
		}
		if i > 0 {
			blocks.add("")
		}
		blocks.add(strings.TrimRight(b.String(), "\n"))

		// Outputs: what relayctl --stack reads.
		outputs.add(s.QueueOutput()+":", "  Condition: "+c.Cond, "  Value: !Ref "+c.T+"Queue",
			s.DLQOutput()+":", "  Condition: "+c.Cond, "  Value: !Ref "+c.T+"Dlq",
			s.FunctionOutput()+":", "  Condition: "+c.Cond,
			"  Description: relayctl channel status|pause|resume --channel "+s.Name+" finds the event source mapping through it.",
			"  Value: !Ref "+c.T+"Function")
		for _, f := range c.Extra("Outputs") {
			outputs.add(f)
		}
	}

	var some lines
	some.add("# Ingest refuses to start with no channel to route to; refuse the deploy",
		"# instead, with a clearer message.",
		"SomeChannelEnabled:",
		"  Assertions:",
		"    - "+text(6, "AssertDescription", "Turn on at least one channel: set "+strings.Join(onDocs, ", or ")+
			" (each secret may be given as its SecretArn instead), and leave that channel's list of events ("+
			strings.Join(eventParams, ", ")+") non-empty."),
		"      Assert: "+lower(channel.AnyOf(someChannel...), isSecret).yaml(8))
	return map[string]string{
		"parameter-groups":   groups.String(),
		"display-parameters": display.String(),
		"parameters":         params.String(),
		"rules":              some.String() + "\n" + rules.String(),
		"secret-assertions":  secretRules.String(),
		"conditions":         conds.String(),
		"ingest-environment": ingestEnv.String(),
		"ingest-statements":  ingestRole.String(),
		"channels":           blocks.String(),
		"outputs":            outputs.String(),
	}, nil
}

// parameter is p as a template parameter.
func parameter(p channel.Param, secret bool) string {
	var l lines
	if p.Comment != "" {
		l.add(strings.TrimRight(comment(2, p.Comment), " \n"))
	}
	typ := p.Type
	if typ == "" {
		typ = "String"
	}
	l.add(p.Name()+":", "  Type: "+typ, "  Default: "+defaultValue(p.Default))
	if secret {
		l.add("  NoEcho: true")
	}
	if p.Pattern != "" {
		l.add("  AllowedPattern: " + quote(p.Pattern))
	}
	if p.Values != nil {
		vs := make([]string, len(p.Values))
		for i, v := range p.Values {
			vs[i] = scalar(v)
			if v == "" {
				vs[i] = `""`
			}
		}
		l.add("  AllowedValues: [" + strings.Join(vs, ", ") + "]")
	}
	if p.Constraint != "" {
		l.add("  ConstraintDescription: " + scalar(p.Constraint))
	}
	l.add("  " + text(2, "Description", p.Description))
	return l.String()
}

func defaultValue(v string) string {
	if v == "" {
		return `""`
	}
	return scalar(v)
}

// secretArnParameter is the …SecretArn form of a secret setting.
func secretArnParameter(p channel.Param) string {
	return parameter(channel.Param{
		Env:         p.Env + "_SECRET_ARN",
		Pattern:     arnPattern,
		Constraint:  "empty, or the ARN of a Secrets Manager secret",
		Description: "Instead of " + p.Name() + ", a Secrets Manager secret holding it, read by the function at start (the value stays out of its configuration).",
	}, false)
}

// lines is text built a line at a time.
type lines []string

func (l *lines) add(s ...string) { *l = append(*l, s...) }
func (l lines) String() string   { return strings.Join(l, "\n") }
