package generate

import (
	"strconv"
	"strings"

	"github.com/nicechat-relay/nicechat-relay/shared/channel"
)

// scalar is s as a YAML scalar: plain when YAML reads it back as the same
// string, double-quoted otherwise.
func scalar(s string) string {
	if plain(s) {
		return s
	}
	return quote(s)
}

// quote is s double-quoted; YAML's escapes agree with Go's for the
// printable ASCII the template holds.
func quote(s string) string { return strconv.Quote(s) }

func plain(s string) bool {
	if s == "" || strings.TrimSpace(s) != s || strings.ContainsAny(s[:1], "-?:,[]{}#&*!|>'\"%@`") {
		return false
	}
	if strings.Contains(s, ": ") || strings.Contains(s, " #") || strings.HasSuffix(s, ":") || strings.ContainsAny(s, "\n\t\\") {
		return false
	}
	switch strings.ToLower(s) {
	case "true", "false", "yes", "no", "on", "off", "y", "n", "null", "~":
		return false
	}
	if _, err := strconv.ParseFloat(s, 64); err == nil {
		return false
	}
	return true
}

// text is a long text as the value of a key at column indent: one line
// when it fits in width, else folded (>-) over lines of about 76
// columns.
func text(indent int, key, s string) string {
	if line := key + ": " + scalar(s); indent+len(line) <= 100 {
		return line
	}
	pad := strings.Repeat(" ", indent+2)
	var b strings.Builder
	b.WriteString(key + ": >-")
	col := 0
	for _, word := range strings.Fields(s) {
		if col > 0 && col+1+len(word) > 78 {
			col = 0
		}
		if col == 0 {
			b.WriteString("\n" + pad + word)
			col = len(pad) + len(word)
			continue
		}
		b.WriteString(" " + word)
		col += 1 + len(word)
	}
	return b.String()
}

// comment is s as YAML comment lines at column indent, wrapped at about
// 76 columns; each line but the first starts with the indent.
func comment(indent int, s string) string {
	if s == "" {
		return ""
	}
	pad := strings.Repeat(" ", indent)
	var lines []string
	line := "#"
	for _, word := range strings.Fields(s) {
		if len(line) > 1 && indent+len(line)+1+len(word) > 76 {
			lines = append(lines, line)
			line = "#"
		}
		line += " " + word
	}
	lines = append(lines, line)
	return strings.Join(lines, "\n"+pad) + "\n" + pad
}

// expr is a condition as CloudFormation writes it.
type expr struct {
	op    string // "And", "Or", or "" for a leaf
	items []expr
	param string
	empty bool // the leaf: the parameter is empty (else: is not)
}

// lower turns c into CloudFormation's terms: a secret setting is set when
// it or its SecretArn form is, empty when both are; nested !And in !And
// (and !Or in !Or) are one.
func lower(c channel.Cond, secret func(param string) bool) expr {
	leaf := func(param string, empty bool) expr {
		e := expr{param: param, empty: empty}
		if !secret(param) {
			return e
		}
		arn := expr{param: param + "SecretArn", empty: empty}
		if empty {
			return expr{op: "And", items: []expr{e, arn}}
		}
		return expr{op: "Or", items: []expr{e, arn}}
	}
	join := func(op string, cs []channel.Cond) expr {
		out := expr{op: op}
		for _, c := range cs {
			e := lower(c, secret)
			if e.op == op {
				out.items = append(out.items, e.items...)
			} else {
				out.items = append(out.items, e)
			}
		}
		if len(out.items) == 1 {
			return out.items[0]
		}
		return out
	}
	switch {
	case c.Set != "":
		return leaf(c.Set, false)
	case c.Empty != "":
		return leaf(c.Empty, true)
	case c.All != nil:
		return join("And", c.All)
	default:
		return join("Or", c.Any)
	}
}

// yaml writes e as the value of a key or list item whose children sit at
// column indent.
func (e expr) yaml(indent int) string {
	if e.op == "" {
		if e.empty {
			return `!Equals [!Ref ` + e.param + `, ""]`
		}
		return `!Not [!Equals [!Ref ` + e.param + `, ""]]`
	}
	pad := strings.Repeat(" ", indent)
	s := "!" + e.op
	for _, item := range e.items {
		s += "\n" + pad + "- " + item.yaml(indent+2)
	}
	return s
}
