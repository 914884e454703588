// Package generate writes what the channel list describes: template.yaml's
// channel regions (parameters, rules, conditions, ingest's routing, each
// channel's resources, outputs), ingest's routing table
// (shared/ingest/routes.go), the channels' setting names
// (shared/settings/channels_gen.go), the README's tables of the
// channels' parameters and settings and infra/samconfig.toml's list of
// the NoEcho parameters. cmd/generate (make generate) writes its Files; a test in
// infra fails, naming make generate, while a file differs from them.
package generate

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"

	"github.com/nicechat-relay/nicechat-relay/shared/channel"
)

// Command is what writes the generated files.
const Command = "make generate"

// The files generated, relative to the repository's root.
const (
	TemplateFile = "template.yaml"
	READMEFile   = "README.md"
	RoutesFile   = "shared/ingest/routes.go"
	SettingsFile = "shared/settings/channels_gen.go"
	// SamconfigFile's comment names the NoEcho parameters, never to be
	// put in it.
	SamconfigFile = "infra/samconfig.toml"
)

// Files returns the generated files for the channels specs, by path
// relative to root: template.yaml, README.md and infra/samconfig.toml with
// their generated regions rewritten (the rest as found under root),
// routes.go and channels_gen.go whole.
func Files(root string, specs []channel.Spec) (map[string][]byte, error) {
	out := map[string][]byte{}
	regions, err := templateRegions(specs)
	if err != nil {
		return nil, err
	}
	spliced := func(file string, regions map[string]string, m marker) error {
		src, err := os.ReadFile(filepath.Join(root, file))
		if err != nil {
			return err
		}
		if out[file], err = splice(src, regions, m); err != nil {
			return fmt.Errorf("%s: %w", file, err)
		}
		return nil
	}
	if err := spliced(TemplateFile, regions, yamlMarker); err != nil {
		return nil, err
	}
	if err := spliced(READMEFile, readmeRegions(specs), markdownMarker); err != nil {
		return nil, err
	}
	// The template as written: its NoEcho parameters, the channels' and
	// the callback tokens'.
	if err := spliced(SamconfigFile, samconfigRegions(out[TemplateFile]), yamlMarker); err != nil {
		return nil, err
	}
	out[RoutesFile] = Routes(specs)
	if out[SettingsFile], err = Settings(specs); err != nil {
		return nil, err
	}
	return out, nil
}

// marker finds the lines that open and close a generated region.
type marker struct {
	begin, end *regexp.Regexp
	open       func(name string) string
	close      func(name string) string
}

var (
	yamlMarker = marker{
		begin: regexp.MustCompile(`^(\s*)# BEGIN generated: ([a-z-]+)`),
		end:   regexp.MustCompile(`^\s*# END generated: ([a-z-]+)`),
		open: func(name string) string {
			return "# BEGIN generated: " + name + " — " + Command + " writes this from shared/channels; DO NOT EDIT"
		},
		close: func(name string) string { return "# END generated: " + name },
	}
	markdownMarker = marker{
		begin: regexp.MustCompile(`^(\s*)<!-- BEGIN generated: ([a-z-]+)`),
		end:   regexp.MustCompile(`^\s*<!-- END generated: ([a-z-]+)`),
		open: func(name string) string {
			return "<!-- BEGIN generated: " + name + " — " + Command + " writes this from shared/channels; DO NOT EDIT -->"
		},
		close: func(name string) string { return "<!-- END generated: " + name + " -->" },
	}
)

// splice replaces each region of src with its text from regions, indented
// as its opening marker is. Every region of src must be known, and every
// known region found.
func splice(src []byte, regions map[string]string, m marker) ([]byte, error) {
	in := strings.Split(string(src), "\n")
	var out []string
	seen := map[string]bool{}
	for i := 0; i < len(in); i++ {
		b := m.begin.FindStringSubmatch(in[i])
		if b == nil {
			if e := m.end.FindStringSubmatch(in[i]); e != nil {
				return nil, fmt.Errorf("line %d: the end of region %s, which was never opened", i+1, e[1])
			}
			out = append(out, in[i])
			continue
		}
		indent, name := b[1], b[2]
		text, ok := regions[name]
		if !ok {
			return nil, fmt.Errorf("line %d: region %s is not one %s writes", i+1, name, Command)
		}
		if seen[name] {
			return nil, fmt.Errorf("line %d: region %s appears twice", i+1, name)
		}
		seen[name] = true
		j := i + 1
		for ; j < len(in); j++ {
			if e := m.end.FindStringSubmatch(in[j]); e != nil {
				if e[1] != name {
					return nil, fmt.Errorf("line %d: region %s ends in region %s", j+1, e[1], name)
				}
				break
			}
		}
		if j == len(in) {
			return nil, fmt.Errorf("line %d: region %s never ends", i+1, name)
		}
		out = append(out, indent+m.open(name))
		if text != "" {
			for _, line := range strings.Split(text, "\n") {
				if line == "" {
					out = append(out, "")
				} else {
					out = append(out, indent+line)
				}
			}
		}
		out = append(out, indent+m.close(name))
		i = j
	}
	var missing []string
	for name := range regions {
		if !seen[name] {
			missing = append(missing, name)
		}
	}
	if len(missing) > 0 {
		slices.Sort(missing)
		return nil, fmt.Errorf("no region %s: mark where it goes", strings.Join(missing, ", "))
	}
	return []byte(strings.Join(out, "\n")), nil
}
