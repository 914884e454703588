package generate

import (
	"strings"

	"github.com/nicechat-relay/nicechat-relay/shared/consumer"
)

// readmeRegions are the README's tables of the channels: ingest's
// variables for each, each channel's template parameters, and the
// channel table of "Development".
func readmeRegions(specs []consumer.Spec) map[string]string {
	var routes, params, list lines
	routes.add("| variable | default | meaning |", "|---|---|---|")
	params.add("| parameter | default | what it is |", "|---|---|---|")
	list.add("| channel | package | delivers | on when (AWS / local) |", "|---|---|---|---|")
	for _, s := range specs {
		d := s.Deploy
		for _, r := range s.Routes {
			def := "off"
			if r.Default != "" {
				def += " (template and local: `" + r.Default + "`)"
			}
			routes.add(row("`"+r.Env+"`", def, r.Doc))
		}
		routes.add(row("`"+s.QueueEnv()+"`", "required while "+s.Name+" is on", "the "+s.Name+" channel's queue"))

		for _, p := range d.Params {
			def := p.DocDefault
			if def == "" {
				def = "empty"
				if p.Default != "" {
					def = "`" + p.Default + "`"
				}
			}
			if s.Secret(p.Env) {
				def += " (secret)"
			}
			params.add(row("`"+p.Name()+"`", def, p.Doc))
			if s.Secret(p.Env) {
				params.add(row("`"+p.Name()+"SecretArn`", "empty", "instead of `"+p.Name()+"`: the ARN of a Secrets Manager secret holding it"))
			}
		}
		for _, r := range s.Routes {
			def := "empty"
			if r.Default != "" {
				def = "`" + r.Default + "`"
			}
			params.add(row("`"+consumer.ParameterName(r.Env)+"`", def, r.Doc))
		}

		list.add(row("`"+s.Name+"`", "`shared/"+s.Name+"`", d.Delivers, codeNames(d.OnDoc)+" / "+d.LocalOnDoc))
	}
	return map[string]string{
		"ingest-channel-variables": routes.String(),
		"channel-parameters":       params.String(),
		"channel-table":            list.String(),
	}
}

func row(cells ...string) string { return "| " + strings.Join(cells, " | ") + " |" }

// codeNames puts each parameter of an OnDoc in backquotes:
// "EmailFrom and EmailTo" is "`EmailFrom` and `EmailTo`".
func codeNames(s string) string {
	words := strings.Fields(s)
	for i, w := range words {
		name := strings.TrimRight(w, ",")
		if name != "" && name[0] >= 'A' && name[0] <= 'Z' {
			words[i] = "`" + name + "`" + w[len(name):]
		}
	}
	return strings.Join(words, " ")
}
