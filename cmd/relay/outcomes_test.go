package main

import (
	"encoding/json"
	"io"
	"net/http"
	"testing"

	"github.com/nicechat-relay/nicechat-relay/shared/consumer"
)

func TestTheRelayKeepsTheOutcomesOfItsLatestEventsOnly(t *testing.T) {
	o := newEventOutcomes(2)
	for _, id := range []string{"evt_a", "evt_b", "evt_c"} {
		o.record(id, deliveryOutcome{Channel: "webhook", Outcome: consumer.OutcomeDelivered})
	}
	if got := o.of("evt_a"); len(got) != 0 {
		t.Errorf("the oldest event is still kept: %+v", got)
	}
	for _, id := range []string{"evt_b", "evt_c"} {
		if got := o.of(id); len(got) != 1 || got[0].Outcome != consumer.OutcomeDelivered {
			t.Errorf("%s: %+v, want its delivery", id, got)
		}
	}
	// A later outcome of a route replaces its earlier one, and says it
	// came later.
	before := o.of("evt_c")[0]
	o.record("evt_c", deliveryOutcome{Channel: "webhook", Outcome: consumer.OutcomeDuplicate})
	if after := o.of("evt_c"); len(after) != 1 || after[0].Outcome != consumer.OutcomeDuplicate || after[0].Seq <= before.Seq {
		t.Errorf("after a duplicate: %+v, want it alone, after %d", after, before.Seq)
	}
}

func TestAnEventTheRelayHasNotHandledHasEmptyListsNeverNull(t *testing.T) {
	r := startRelay(t, map[string]string{"CALLBACK_TOKEN": testToken})
	resp, err := http.Get(r.admin + "/api/events/evt_nosuchevent")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	var got map[string]json.RawMessage
	if err := json.Unmarshal(body, &got); err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("%d %s: %v", resp.StatusCode, body, err)
	}
	for _, list := range []string{"deliveries", "paused"} {
		if string(got[list]) != "[]" {
			t.Errorf("%s = %s, want []", list, got[list])
		}
	}
}
