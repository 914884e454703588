package fixtures_test

import (
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	fixtures "github.com/nicechat-relay/nicechat-relay/events"
	"github.com/nicechat-relay/nicechat-relay/shared/nicechat"
)

func TestEveryFixtureFileIsServed(t *testing.T) {
	files, err := filepath.Glob("*.json")
	if err != nil || len(files) == 0 {
		t.Fatalf("no fixture files: %v", err)
	}
	for _, file := range files {
		t.Run(file, func(t *testing.T) {
			name := strings.TrimSuffix(file, ".json")
			switch {
			case strings.HasPrefix(name, "apigw-"):
				if req := fixtures.Request(strings.TrimPrefix(name, "apigw-")); req.RawPath == "" || req.Body == "" {
					t.Errorf("request has no path or no body: %+v", req)
				}
			case strings.HasPrefix(name, "sqs-"):
				if ev := fixtures.SQS(strings.TrimPrefix(name, "sqs-")); len(ev.Records) == 0 {
					t.Errorf("SQS event has no records")
				}
			default:
				t.Errorf("%s is neither apigw-<event>.json nor sqs-<channel>.json", file)
			}
		})
	}
}

func TestBodyIsTheEventNiceChatPosts(t *testing.T) {
	for _, typ := range nicechat.KnownTypes {
		t.Run(typ, func(t *testing.T) {
			ev, err := nicechat.Parse(fixtures.Body(typ))
			if err != nil || ev.Type != typ {
				t.Errorf("Parse(Body(%q)) = %+v, %v", typ, ev, err)
			}
		})
	}
}

func TestAMissingFixturePanicsNamingTheFile(t *testing.T) {
	defer func() {
		if p := recover(); p == nil || !strings.Contains(p.(string), "apigw-no_such_event.json") {
			t.Errorf("panic = %v, want one naming apigw-no_such_event.json", p)
		}
	}()
	fixtures.Body("no_such_event")
}

// The package embeds every fixture; a Lambda that imported it would ship
// them.
func TestLambdasDoNotEmbedFixtures(t *testing.T) {
	const self = "github.com/nicechat-relay/nicechat-relay/events"
	cmd := exec.Command("go", "list", "-deps", "../functions/...")
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	deps := strings.Fields(string(out))
	if !slices.Contains(deps, "github.com/nicechat-relay/nicechat-relay/shared/consumer") {
		t.Fatalf("go list -deps does not list the Lambdas' imports:\n%s", out)
	}
	if slices.Contains(deps, self) {
		t.Errorf("a Lambda under functions/ imports %s", self)
	}
}

// No program the project ships links the testing package: the golden-file
// helper and every other test helper live in packages only tests import.
func TestProductionBinariesDoNotLinkTesting(t *testing.T) {
	for _, pkg := range []string{"../functions/...", "../cmd/..."} {
		t.Run(pkg, func(t *testing.T) {
			out, err := exec.Command("go", "list", "-deps", pkg).Output()
			if err != nil {
				t.Fatalf("go list: %v", err)
			}
			deps := strings.Fields(string(out))
			if !slices.Contains(deps, "github.com/nicechat-relay/nicechat-relay/shared/delivery") {
				t.Fatalf("go list -deps does not list the programs' imports:\n%s", out)
			}
			if slices.Contains(deps, "testing") {
				t.Errorf("a program under %s links the testing package", pkg)
			}
		})
	}
}

func TestNamesListsEveryRequestFixtureEventsFirst(t *testing.T) {
	names := fixtures.Names()
	want := []string{"first_message", "new_chat", "new_order", "new_visitor", "push_form", "unanswered", "invalid_new_order", "invalid_push_form"}
	if !slices.Equal(names, want) {
		t.Fatalf("Names() = %q, want %q", names, want)
	}
	for _, n := range names {
		if len(fixtures.Body(n)) == 0 {
			t.Errorf("fixture %s has an empty body", n)
		}
	}
}
