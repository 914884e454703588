package infra_test

import (
	"encoding/json"
	"os"
	"slices"
	"testing"
)

// resourcesBefore is the template's resources as deployed stacks hold
// them, from before the template was generated from the channel list.
type resourcesBefore struct {
	Resources map[string]string   `json:"resources"` // logical id: type
	Stateful  []string            `json:"stateful"`
	Events    map[string][]string `json:"events"` // function: its events
}

// A deployed stack upgrades in place only if every resource keeps its
// logical id and type: CloudFormation replaces one whose id changes, and a
// new queue, DLQ, table or log group starts empty, losing what the old one
// held. SAM names the resources it adds after the function's events
// (WebhookFunctionQueue, the event source mapping the breaker updates), so
// those names hold too.
func TestADeployedStackUpgradesInPlaceKeepingEveryResourcesIdAndType(t *testing.T) {
	raw, err := os.ReadFile("testdata/resources-before-issue-23.json")
	if err != nil {
		t.Fatal(err)
	}
	var before resourcesBefore
	if err := json.Unmarshal(raw, &before); err != nil {
		t.Fatal(err)
	}
	tpl := loadTemplate(t)
	for _, id := range sortedKeys(before.Resources) {
		typ := before.Resources[id]
		stateful := slices.Contains(before.Stateful, id)
		t.Run(id, func(t *testing.T) {
			r, ok := tpl.Resources[id]
			switch {
			case !ok && stateful:
				t.Fatalf("%s (%s) is gone: a deployed stack would delete it and what it holds", id, typ)
			case !ok:
				t.Fatalf("%s (%s) is gone: a deployed stack would delete it", id, typ)
			case r.Type != typ:
				t.Fatalf("%s is a %s, was a %s: a deployed stack would replace it", id, r.Type, typ)
			}
			want, isFunction := before.Events[id]
			if !isFunction {
				return
			}
			events, _ := r.Properties["Events"].(map[string]any)
			if got := sortedKeys(events); !slices.Equal(got, want) {
				t.Errorf("%s's events are %v, were %v: SAM would rename the resources it makes of them", id, got, want)
			}
		})
	}
	for _, id := range before.Stateful {
		if _, ok := before.Resources[id]; !ok {
			t.Errorf("testdata lists %s as stateful but not among the resources", id)
		}
	}
}
