package breaker_test

import (
	"context"
	"encoding/json"
	"errors"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/nicechat-relay/nicechat-relay/shared/awsjson"
	"github.com/nicechat-relay/nicechat-relay/shared/breaker"
)

// fakeLambda answers ListEventSourceMappings with pages, by marker, and
// keeps every call.
type fakeLambda struct {
	pages map[string]string // marker ("" for the first) -> JSON answer
	err   error
	calls []string // operation method path?query body
}

func (f *fakeLambda) REST(_ context.Context, operation, method, path string, query url.Values, in, out any) error {
	body, _ := json.Marshal(in)
	f.calls = append(f.calls, strings.Join([]string{operation, method, path + "?" + query.Encode(), string(body)}, " "))
	if f.err != nil {
		return f.err
	}
	if operation == "ListEventSourceMappings" {
		return json.Unmarshal([]byte(f.pages[query.Get("Marker")]), out)
	}
	return nil
}

const queueURL = "https://sqs.eu-central-1.amazonaws.com/123456789012/relay-SlackQueue-AbC"

// twoPages holds the slack queue's mapping, in state, on the second page
// of the function's mappings.
func twoPages(state string) map[string]string {
	return map[string]string{
		"": `{"EventSourceMappings":[{"UUID":"u-other","EventSourceArn":"arn:aws:sqs:eu-central-1:123456789012:relay-SlackQueue-AbC-old","State":"Enabled"}],"NextMarker":"page 2"}`,
		"page 2": `{"EventSourceMappings":[{"UUID":"u-slack","EventSourceArn":"arn:aws:sqs:eu-central-1:123456789012:relay-SlackQueue-AbC","State":"` + state + `",` +
			`"StateTransitionReason":"USER_INITIATED","LastModified":1.8000000125E9}]}`,
	}
}

func TestAMappingIsFoundAcrossPagesAndSwitchedByItsUUID(t *testing.T) {
	pause := func(m *breaker.Mapping) (bool, error) { return m.Pause(context.Background(), "x") }
	resume := func(m *breaker.Mapping) (bool, error) { return m.Resume(context.Background()) }
	tests := []struct {
		name   string
		state  string
		flip   func(m *breaker.Mapping) (bool, error)
		update string // the update sent; "" for none, and the flip reports no change
	}{
		{"pause an enabled mapping", "Enabled", pause, `UpdateEventSourceMapping PUT /2015-03-31/event-source-mappings/u-slack? {"Enabled":false}`},
		{"resume a disabled one", "Disabled", resume, `UpdateEventSourceMapping PUT /2015-03-31/event-source-mappings/u-slack? {"Enabled":true}`},
		{"pausing a disabling one is done", "Disabling", pause, ""},
		{"resuming an enabling one is done", "Enabling", resume, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := &fakeLambda{pages: twoPages(tt.state)}
			changed, err := tt.flip(breaker.NewMapping(f, "relay-SlackFunction-1", queueURL))
			if err != nil {
				t.Fatal(err)
			}
			if changed != (tt.update != "") {
				t.Errorf("reported a change: %v, want %v", changed, tt.update != "")
			}
			want := []string{
				`ListEventSourceMappings GET /2015-03-31/event-source-mappings/?FunctionName=relay-SlackFunction-1 null`,
				`ListEventSourceMappings GET /2015-03-31/event-source-mappings/?FunctionName=relay-SlackFunction-1&Marker=page+2 null`,
			}
			if tt.update != "" {
				want = append(want, tt.update)
			}
			if strings.Join(f.calls, "\n") != strings.Join(want, "\n") {
				t.Errorf("calls\n%s\nwant\n%s", strings.Join(f.calls, "\n"), strings.Join(want, "\n"))
			}
		})
	}
}

func TestAMappingsStatusIsItsStateReasonAndLastChange(t *testing.T) {
	st, err := breaker.NewMapping(&fakeLambda{pages: twoPages("Disabled")}, "relay-SlackFunction-1", queueURL).Status(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	want := breaker.Status{Paused: true, State: "Disabled", Reason: "USER_INITIATED", Since: time.Unix(1_800_000_012, 5e8)}
	if st.Paused != want.Paused || st.State != want.State || st.Reason != want.Reason || !st.Since.Equal(want.Since) {
		t.Errorf("status %+v, want %+v", st, want)
	}
}

func TestALambdaErrorNamesTheFunction(t *testing.T) {
	denied := &awsjson.Error{Service: "Lambda", Operation: "ListEventSourceMappings", StatusCode: 403, Code: "AccessDeniedException"}
	_, err := breaker.NewMapping(&fakeLambda{err: denied}, "relay-SlackFunction-1", queueURL).Pause(context.Background(), "x")
	if !errors.Is(err, denied) || !strings.Contains(err.Error(), "list the event source mappings of relay-SlackFunction-1") {
		t.Errorf("Pause = %v, want the error naming the function", err)
	}
}
