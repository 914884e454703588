package nicechat_test

import (
	"bytes"
	"encoding/json"
	"regexp"
	"strconv"
	"strings"
	"testing"

	fixtures "github.com/nicechat-relay/nicechat-relay/events"
	"github.com/nicechat-relay/nicechat-relay/shared/nicechat"
)

// seedBodies are the vendor's examples, valid and not.
func seedBodies() [][]byte {
	var seeds [][]byte
	for _, typ := range nicechat.KnownTypes {
		seeds = append(seeds, fixtures.Body(typ))
	}
	return append(seeds, fixtures.Body("invalid_new_order"), fixtures.Body("invalid_push_form"),
		[]byte(`{"event":"new_order","data":{"id":1,"products":[{"price":"1"}]}}`),
		[]byte(`{"event":"agent.joined:v2","data":{"id":-9223372036854775808}}`),
		[]byte(" \t{\"data\":{\"id\":7},\"event\":\"new_chat\"}\n"),
		// A form nesting a group deeper than MaxDepth allows.
		[]byte(`{"event":"push_form","data":{"id":1,"client":725,"result":`+strings.Repeat(`[{"label":"g","data":`, 32)+
			`[{"label":"a","value":"b"}]`+strings.Repeat(`}]`, 32)+`}}`))
}

var (
	eventID   = regexp.MustCompile(`^evt_[a-z2-7]{26}$`)
	eventType = regexp.MustCompile(`^[A-Za-z0-9_.:-]{1,64}$`)
)

func FuzzParse(f *testing.F) {
	for _, b := range seedBodies() {
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		input := bytes.Clone(b)
		ev, err := nicechat.Parse(b)
		if err != nil {
			return
		}
		if !bytes.Equal(ev.Raw, input) {
			t.Errorf("Raw %q differs from the body %q", ev.Raw, input)
		}
		if !eventType.MatchString(ev.Type) {
			t.Errorf("accepted event type %q", ev.Type)
		}
		if ev.ID != nicechat.EventID(input) || !eventID.MatchString(ev.ID) {
			t.Errorf("ID %q, want EventID(body) = %q of the form evt_<26 base32>", ev.ID, nicechat.EventID(input))
		}
		if !json.Valid(ev.Data) || bytes.TrimSpace(ev.Data)[0] != '{' {
			t.Errorf("Data %q is not a JSON object", ev.Data)
		}
		var data map[string]json.RawMessage
		if json.Unmarshal(ev.Data, &data) != nil || string(bytes.TrimSpace(data["id"])) != strconv.FormatInt(ev.DataID, 10) {
			t.Errorf("DataID %d, but data.id is %q", ev.DataID, data["id"])
		}
		_, _, _, _ = ev.Visitor(), ev.Chat(), ev.Order(), ev.Form()
	})
}
