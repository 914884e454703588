package generate

import (
	"strings"

	"github.com/nicechat-relay/nicechat-relay/shared/channel"
)

// readmeRegions are the README's tables of the channels: ingest's
// variables for each, each channel's function's settings, what turns each
// on at deploy time, each channel's template parameters, and the channel
// table of "Development".
func readmeRegions(specs []channel.Spec) map[string]string {
	var routes, settings, ways, others, params, list lines
	routes.add("| variable | default | meaning |", "|---|---|---|")
	settings.add("| variable | default | meaning |", "|---|---|---|")
	ways.add("| channel | set |", "|---|---|")
	params.add("| parameter | default | what it is |", "|---|---|---|")
	list.add("| channel | package | delivers | on when (AWS / local) |", "|---|---|---|---|")
	for i, s := range specs {
		d := s.Deploy
		for _, r := range s.Routes {
			def := "off"
			if r.Default != "" {
				def += " (template and local: `" + r.Default + "`)"
			}
			routes.add(row("`"+r.Env+"`", def, r.Doc))
		}
		routes.add(row("`"+s.QueueEnv()+"`", "required while "+s.Name+" is on", "the "+s.Name+" channel's queue"))

		documented := map[string]bool{}
		for _, st := range d.Settings {
			documented[st.Env] = true
			for _, n := range st.Also {
				documented[n] = true
			}
		}
		for _, p := range d.Params {
			if !documented[p.Env] {
				def := "unset"
				if p.Default != "" {
					def = "`" + p.Default + "`"
				}
				settings.add(row("`"+p.Env+"`", def, p.Doc))
			}
		}
		for _, st := range d.Settings {
			names := "`" + st.Env + "`"
			for _, n := range st.Also {
				names += ", `" + n + "`"
			}
			settings.add(row(names, st.Default, st.Doc))
		}
		settings.add(row("`"+s.DLQEnv()+"`", "unset", "for `relayctl`: the "+s.Name+" channel's dead-letter queue, the stack's `"+s.DLQOutput()+"` output"))

		if len(d.Ways) == 0 {
			ways.add(row(d.Label, codeNames(d.OnDoc)))
		}
		set := codeNames(d.OnDoc)
		for _, w := range d.Ways {
			ways.add(row(w.Label, w.Set))
			set += " " + w.Set
		}
		var rest []string
		for _, p := range d.Params {
			for _, name := range []string{p.Name(), p.Name() + "SecretArn"} {
				if (name == p.Name() || s.Secret(p.Env)) && !strings.Contains(set, "`"+name+"`") {
					rest = append(rest, "`"+name+"`")
				}
			}
		}
		for _, r := range s.Routes {
			rest = append(rest, "`"+channel.ParameterName(r.Env)+"`")
		}
		others.add("- " + d.Label + ": " + strings.Join(rest, ", ") + ";")
		if i == len(specs)-1 {
			others[len(others)-1] = strings.TrimSuffix(others[len(others)-1], ";") + "."
		}

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
			params.add(row("`"+channel.ParameterName(r.Env)+"`", def, r.Doc))
		}

		list.add(row("`"+s.Name+"`", "`shared/"+s.Name+"`", d.Delivers, codeNames(d.OnDoc)+" / "+d.LocalOnDoc))
	}
	return map[string]string{
		"ingest-channel-variables": routes.String(),
		"channel-settings":         settings.String(),
		"channel-ways":             ways.String(),
		"channel-other-parameters": others.String(),
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
