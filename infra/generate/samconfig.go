package generate

import (
	"regexp"
	"strings"
)

// samconfigRegions are infra/samconfig.toml's generated regions: the
// NoEcho parameters of template (the template as generated), which its
// comment says never to put in it.
func samconfigRegions(template []byte) map[string]string {
	return map[string]string{"secret-parameters": strings.TrimSuffix(comment(0, "The NoEcho parameters: "+strings.Join(noEchoParameters(template), ", ")+"."), "\n")}
}

var (
	topLevelKey  = regexp.MustCompile(`^([A-Za-z0-9]+):`)
	parameterKey = regexp.MustCompile(`^  ([A-Za-z0-9]+):\s*$`)
)

// noEchoParameters are the template's parameters marked NoEcho, in order.
func noEchoParameters(template []byte) []string {
	var out []string
	section, param := "", ""
	for line := range strings.SplitSeq(string(template), "\n") {
		if m := topLevelKey.FindStringSubmatch(line); m != nil {
			section = m[1]
			continue
		}
		if section != "Parameters" {
			continue
		}
		if m := parameterKey.FindStringSubmatch(line); m != nil {
			param = m[1]
		} else if strings.TrimSpace(line) == "NoEcho: true" && param != "" {
			out = append(out, param)
		}
	}
	return out
}
